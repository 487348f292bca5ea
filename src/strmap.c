/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/strmap.h"

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The slot of key, or the empty slot where it would go. */
static size_t slot_of(const struct aj_strmap *m, const char *key, size_t len)
{
	size_t mask = m->cap - 1, i = (size_t)hash(key, len) & mask;

	while (m->keys[i] && (strncmp(m->keys[i], key, len) != 0 || m->keys[i][len] != '\0'))
		i = (i + 1) & mask;
	return i;
}

bool aj_strmap_get(const struct aj_strmap *m, const char *key, size_t len, size_t *ret_val)
{
	size_t i;

	if (!m->cap)
		return false;
	i = slot_of(m, key, len);
	if (!m->keys[i])
		return false;
	if (ret_val)
		*ret_val = m->vals[i];
	return true;
}

const char *aj_strmap_key(const struct aj_strmap *m, const char *key, size_t len)
{
	return m->cap ? m->keys[slot_of(m, key, len)] : NULL;
}

static int grow(struct aj_strmap *m)
{
	struct aj_strmap n = { .cap = m->cap ? m->cap * 2 : 64 };

	n.keys = calloc(n.cap, sizeof(char *));
	n.vals = calloc(n.cap, sizeof(size_t));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			size_t k = slot_of(&n, m->keys[i], strlen(m->keys[i]));

			n.keys[k] = m->keys[i];
			n.vals[k] = m->vals[i];
		}
	n.n = m->n;
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int aj_strmap_add(struct aj_strmap *m, const char *key, size_t len, size_t val, bool *ret_added)
{
	size_t i;
	char *copy;

	/* At most 3/4 full, so a probe always ends at an empty slot. */
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
		return -ENOMEM;
	i = slot_of(m, key, len);
	if (m->keys[i]) {
		if (ret_added)
			*ret_added = false;
		return 0;
	}
	copy = strndup(key, len);
	if (!copy)
		return -ENOMEM;
	m->keys[i] = copy;
	m->vals[i] = val;
	m->n++;
	if (ret_added)
		*ret_added = true;
	return 0;
}

void aj_strmap_done(struct aj_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	*m = (struct aj_strmap){ 0 };
}
