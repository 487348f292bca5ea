/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <string.h>

#include "agentjail/sha256.h"
#include "tap.h"

static void hex_of(const char *msg, char hex[AJ_SHA256_HEX_SIZE])
{
	aj_sha256_hex(msg, strlen(msg), hex);
}

TEST(empty_message)
{
	char h[AJ_SHA256_HEX_SIZE];

	hex_of("", h);
	EXPECT_STREQ(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(one_block_abc)
{
	char h[AJ_SHA256_HEX_SIZE];

	hex_of("abc", h);
	EXPECT_STREQ(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(two_blocks_448_bits)
{
	char h[AJ_SHA256_HEX_SIZE];

	/* 56 bytes: the length no longer fits the first block's padding. */
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", h);
	EXPECT_STREQ(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(two_blocks_896_bits)
{
	char h[AJ_SHA256_HEX_SIZE];

	hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnop"
	       "jklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	       h);
	EXPECT_STREQ(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(a_million_a_in_uneven_pieces)
{
	static char a[1000000];
	struct aj_sha256 s;
	uint8_t d[AJ_SHA256_SIZE];
	char h[AJ_SHA256_HEX_SIZE];
	size_t done = 0, step = 1;

	memset(a, 'a', sizeof(a));
	aj_sha256_init(&s);
	/* Pieces of 1, 2, 3 ... bytes cross every block boundary position. */
	while (done < sizeof(a)) {
		size_t k = step < sizeof(a) - done ? step : sizeof(a) - done;

		aj_sha256_update(&s, a + done, k);
		done += k;
		step = step % 131 + 1;
	}
	aj_sha256_final(&s, d);
	aj_sha256_to_hex(d, h);
	EXPECT_STREQ(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(padding_boundaries_agree_with_one_shot)
{
	char buf[130], one[AJ_SHA256_HEX_SIZE], split[AJ_SHA256_HEX_SIZE];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 3);
	/* Lengths 55, 56, 63, 64, 65 are the padding edge cases. */
	for (size_t n = 50; n <= sizeof(buf); n++) {
		struct aj_sha256 s;
		uint8_t d[AJ_SHA256_SIZE];

		aj_sha256_hex(buf, n, one);
		aj_sha256_init(&s);
		aj_sha256_update(&s, buf, n / 3);
		aj_sha256_update(&s, buf + n / 3, n - n / 3);
		aj_sha256_final(&s, d);
		aj_sha256_to_hex(d, split);
		EXPECT_STREQ(one, split);
	}
	/* 64 bytes of 0..63, checked against sha256sum. */
	for (int i = 0; i < 64; i++)
		buf[i] = (char)i;
	aj_sha256_hex(buf, 64, one);
	EXPECT_STREQ(one, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108");
}

int main(void)
{
	return tap_main();
}
