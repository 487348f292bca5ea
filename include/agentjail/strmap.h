/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A string -> index map (open addressing, FNV-1a), for the observer's table
 * of paths and the learn proposals.  Keys are copied.  Pure code.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct aj_strmap {
	char **keys;    /* cap slots, NULL when empty */
	size_t *vals;
	size_t n, cap;  /* cap: 0 or a power of two */
};

/* The value of key (len bytes), if present. */
bool aj_strmap_get(const struct aj_strmap *m, const char *key, size_t len, size_t *ret_val);
/* The map's own copy of key (valid until the map is done), or NULL. */
const char *aj_strmap_key(const struct aj_strmap *m, const char *key, size_t len);
/*
 * Add key with val unless present; *ret_added says which.  Returns 0, or
 * -ENOMEM (the map is unchanged).
 */
int aj_strmap_add(struct aj_strmap *m, const char *key, size_t len, size_t val, bool *ret_added);
void aj_strmap_done(struct aj_strmap *m);
