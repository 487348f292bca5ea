/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Just enough JSON for the audit log: a growable text buffer with correct
 * string escaping for writing, and a strict validating reader (RFC 8259,
 * UTF-8 checked, nesting capped) that finds the members of an object.
 * Input read back is hostile by assumption: every accessor validates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer; err latches the first failure (-ENOMEM). */
struct aj_buf {
	char *data; /* NUL-terminated when non-NULL */
	size_t len, cap;
	int err;
};

void aj_buf_free(struct aj_buf *b);
int aj_buf_put(struct aj_buf *b, const void *p, size_t n);
int aj_buf_puts(struct aj_buf *b, const char *s);
int aj_buf_printf(struct aj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A JSON string, quotes included; NULL gives null.  Bytes that are not valid
 * UTF-8 are written as \u00XX (their Latin-1 reading), so the output is
 * always valid JSON and the original byte stays recognisable.
 */
int aj_json_put_str(struct aj_buf *b, const char *s);
int aj_json_put_strn(struct aj_buf *b, const char *s, size_t n);
/* "key": with the separator before it when first is false. */
int aj_json_put_key(struct aj_buf *b, bool *first, const char *key);

enum aj_json_type {
	AJ_JSON_NULL,
	AJ_JSON_BOOL,
	AJ_JSON_NUMBER,
	AJ_JSON_STRING,
	AJ_JSON_ARRAY,
	AJ_JSON_OBJECT,
};

/* A value inside a text: its type and its raw span (quotes included). */
struct aj_json_val {
	enum aj_json_type type;
	const char *p;
	size_t n;
};

/* The whole text is exactly one valid JSON value (surrounding blanks allowed). */
int aj_json_check(const char *s, size_t n, struct aj_json_val *ret);
/* The member key of an object; -ENOENT when absent, -EINVAL when not an object or duplicated. */
int aj_json_get(const struct aj_json_val *obj, const char *key, struct aj_json_val *ret);
/* Next element of an array (*pos starts at 0); 0 with an element, -ENOENT at the end. */
int aj_json_next(const struct aj_json_val *arr, size_t *pos, struct aj_json_val *ret);
/* A string decoded to UTF-8 (malloc'd); -EINVAL when not a string or it holds a NUL. */
int aj_json_string(const struct aj_json_val *v, char **ret);
/* An integer number in int64 range; -EINVAL otherwise. */
int aj_json_int(const struct aj_json_val *v, int64_t *ret);
/* true/false; -EINVAL otherwise. */
int aj_json_bool(const struct aj_json_val *v, bool *ret);
