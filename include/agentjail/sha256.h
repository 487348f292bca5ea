/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * SHA-256 (FIPS 180-4), for the audit log's hash chain and the digest of the
 * effective profile.  Pure code: no allocation, no system calls.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define AJ_SHA256_SIZE 32
#define AJ_SHA256_HEX_SIZE 65 /* 64 hex digits and a NUL */

struct aj_sha256 {
	uint32_t h[8];
	uint64_t bytes;      /* message length so far */
	uint8_t block[64];   /* pending input, bytes % 64 of it */
};

void aj_sha256_init(struct aj_sha256 *s);
void aj_sha256_update(struct aj_sha256 *s, const void *data, size_t size);
void aj_sha256_final(struct aj_sha256 *s, uint8_t digest[AJ_SHA256_SIZE]);

/* One call: the digest of data as 64 lower-case hex digits into hex. */
void aj_sha256_hex(const void *data, size_t size, char hex[AJ_SHA256_HEX_SIZE]);
/* Lower-case hex of a digest. */
void aj_sha256_to_hex(const uint8_t digest[AJ_SHA256_SIZE], char hex[AJ_SHA256_HEX_SIZE]);
