/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* JSON writing (escaping) and the strict reader used on audit records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/json.h"
#include "tap.h"

static char *esc(const char *s, size_t n)
{
	struct aj_buf b = { 0 };

	aj_json_put_strn(&b, s, n);
	return b.data;
}

TEST(escaping_quotes_controls_and_bad_utf8)
{
	char *s;

	s = esc("a\"b\\c\n\t\x01", 8);
	EXPECT_STREQ(s, "\"a\\\"b\\\\c\\n\\t\\u0001\"");
	free(s);
	/* Valid UTF-8 passes through; a stray byte becomes \u00XX. */
	s = esc("\xc3\xa9\xff/x\x7f", 6);
	EXPECT_STREQ(s, "\"\xc3\xa9\\u00ff/x\\u007f\"");
	free(s);
	/* An overlong encoding of '/' and a UTF-16 surrogate in UTF-8 are not UTF-8. */
	s = esc("\xc0\xaf\xed\xa0\x80", 5);
	EXPECT_STREQ(s, "\"\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"");
	free(s);
	/* Whatever goes in, what comes out parses. */
	{
		char all[256];

		for (int i = 0; i < 256; i++)
			all[i] = (char)i;
		s = esc(all, sizeof(all));
		EXPECT_EQ(aj_json_check(s, strlen(s), NULL), 0);
		free(s);
	}
}

TEST(round_trip_of_a_string)
{
	const char *in = "tab\there \"q\" \xe2\x82\xac \xf0\x9f\x98\x80 back\\slash";
	struct aj_json_val v;
	char *s, *out;

	s = esc(in, strlen(in));
	ASSERT_EQ(aj_json_check(s, strlen(s), &v), 0);
	ASSERT_EQ(aj_json_string(&v, &out), 0);
	EXPECT_STREQ(out, in);
	free(out);
	free(s);
}

TEST(reader_accepts_valid_documents)
{
	const char *ok[] = {
		"{}", "[]", " {\"a\" : [1, -2.5e3, true, false, null, \"x\"] } ", "0", "-0.1",
		"\"\\u00e9\\ud83d\\ude00\"", "[[[[]]]]", "{\"a\":{\"b\":{}}}",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		EXPECT_EQ(aj_json_check(ok[i], strlen(ok[i]), NULL), 0);
}

TEST(reader_refuses_invalid_documents)
{
	const char *bad[] = {
		"", "{", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[1,]", "[1 2]", "01", "1.", "-", "+1",
		"1e", "\"\x01\"", "\"\\x41\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\xff\"", "tru",
		"nul", "{} {}", "{\"a\":1,}", "'x'", "\"unterminated",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = aj_json_check(bad[i], strlen(bad[i]), NULL);

		if (r != -EINVAL)
			printf("#   accepted: %s\n", bad[i]);
		EXPECT_EQ(r, -EINVAL);
	}
}

TEST(nesting_is_capped)
{
	char deep[400];

	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	EXPECT_EQ(aj_json_check(deep, sizeof(deep), NULL), -EINVAL);
	EXPECT_EQ(aj_json_check(deep + 150, 100, NULL), 0);
}

TEST(members_and_array_elements)
{
	const char *t = "{\"n\": 42, \"s\": \"hi\", \"arr\": [\"a\", {\"x\": 1}, 3], \"b\": true,"
			" \"big\": 1e3, \"neg\": -7}";
	struct aj_json_val o, v, e;
	int64_t i;
	bool b;
	char *s;
	size_t pos = 0;
	int n = 0;

	ASSERT_EQ(aj_json_check(t, strlen(t), &o), 0);
	ASSERT_EQ(aj_json_get(&o, "n", &v), 0);
	ASSERT_EQ(aj_json_int(&v, &i), 0);
	EXPECT_EQ(i, 42);
	ASSERT_EQ(aj_json_get(&o, "neg", &v), 0);
	ASSERT_EQ(aj_json_int(&v, &i), 0);
	EXPECT_EQ(i, -7);
	ASSERT_EQ(aj_json_get(&o, "big", &v), 0);
	EXPECT_EQ(aj_json_int(&v, &i), -EINVAL);
	ASSERT_EQ(aj_json_get(&o, "s", &v), 0);
	ASSERT_EQ(aj_json_string(&v, &s), 0);
	EXPECT_STREQ(s, "hi");
	free(s);
	EXPECT_EQ(aj_json_int(&v, &i), -EINVAL);
	ASSERT_EQ(aj_json_get(&o, "b", &v), 0);
	ASSERT_EQ(aj_json_bool(&v, &b), 0);
	EXPECT_TRUE(b);
	EXPECT_EQ(aj_json_get(&o, "x", &v), -ENOENT);
	ASSERT_EQ(aj_json_get(&o, "arr", &v), 0);
	while (aj_json_next(&v, &pos, &e) == 0)
		n++;
	EXPECT_EQ(n, 3);
}

TEST(duplicate_keys_are_refused)
{
	const char *t = "{\"a\":1,\"b\":2,\"a\":3}";
	struct aj_json_val o, v;

	ASSERT_EQ(aj_json_check(t, strlen(t), &o), 0);
	EXPECT_EQ(aj_json_get(&o, "a", &v), -EINVAL);
	EXPECT_EQ(aj_json_get(&o, "b", &v), 0);
}

TEST(a_string_with_a_nul_is_refused)
{
	const char *t = "\"a\\u0000b\"";
	struct aj_json_val v;
	char *s = NULL;

	ASSERT_EQ(aj_json_check(t, strlen(t), &v), 0);
	EXPECT_EQ(aj_json_string(&v, &s), -EINVAL);
	EXPECT_TRUE(s == NULL);
}

int main(void)
{
	return tap_main();
}
