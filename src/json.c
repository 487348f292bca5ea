/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * JSON writing and strict reading for the audit log (see json.h).  The
 * reader never trusts its input: it validates the whole value before any
 * accessor hands out a part of it, nesting is capped so hostile input cannot
 * exhaust the stack, and numbers are converted only when they are integers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/json.h"

#define MAX_DEPTH 64

/* ---- the buffer ---------------------------------------------------------- */

void aj_buf_free(struct aj_buf *b)
{
	free(b->data);
	*b = (struct aj_buf){ 0 };
}

static int reserve(struct aj_buf *b, size_t more)
{
	size_t need, cap;
	char *d;

	if (b->err)
		return b->err;
	if (more > SIZE_MAX / 2 - b->len)
		return b->err = -ENOMEM;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d)
		return b->err = -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int aj_buf_put(struct aj_buf *b, const void *p, size_t n)
{
	int r = reserve(b, n);

	if (r < 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int aj_buf_puts(struct aj_buf *b, const char *s)
{
	return aj_buf_put(b, s, strlen(s));
}

int aj_buf_printf(struct aj_buf *b, const char *fmt, ...)
{
	va_list ap;
	int k, r;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return b->err = -EINVAL;
	r = reserve(b, (size_t)k);
	if (r < 0)
		return r;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)k;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

int aj_json_put_strn(struct aj_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	aj_buf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(p + i, n - i);
		char esc[8];

		if (k == 1 && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' && p[i] != 0x7f) {
			size_t j = i;

			/* Copy a run of plain ASCII at once. */
			while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
				j++;
			aj_buf_put(b, p + i, j - i);
			i = j;
			continue;
		}
		if (k > 1) {
			aj_buf_put(b, p + i, k);
			i += k;
			continue;
		}
		switch (p[i]) {
		case '"': aj_buf_puts(b, "\\\""); break;
		case '\\': aj_buf_puts(b, "\\\\"); break;
		case '\n': aj_buf_puts(b, "\\n"); break;
		case '\t': aj_buf_puts(b, "\\t"); break;
		case '\r': aj_buf_puts(b, "\\r"); break;
		default:
			/* A control character, DEL, or a byte that is not UTF-8. */
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			aj_buf_puts(b, esc);
		}
		i++;
	}
	return aj_buf_put(b, "\"", 1);
}

int aj_json_put_str(struct aj_buf *b, const char *s)
{
	if (!s)
		return aj_buf_puts(b, "null");
	return aj_json_put_strn(b, s, strlen(s));
}

int aj_json_put_key(struct aj_buf *b, bool *first, const char *key)
{
	if (!*first)
		aj_buf_put(b, ",", 1);
	*first = false;
	aj_json_put_str(b, key);
	return aj_buf_put(b, ":", 1);
}

/* ---- the reader ---------------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex4(const char *p, const char *end, uint32_t *ret)
{
	uint32_t v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

/*
 * Walk a string starting at its opening quote; returns the byte after the
 * closing quote, or NULL.  With out, the decoded bytes are appended there.
 * A \u escape must form a whole code point (surrogates only in pairs).
 */
static const char *string(const char *p, const char *end, struct aj_buf *out)
{
	p++;
	while (p < end && *p != '"') {
		const unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			uint32_t cp, lo;
			char u[4];
			size_t k = 0;

			if (++p >= end)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/':
				u[k++] = *p; break;
			case 'b': u[k++] = '\b'; break;
			case 'f': u[k++] = '\f'; break;
			case 'n': u[k++] = '\n'; break;
			case 'r': u[k++] = '\r'; break;
			case 't': u[k++] = '\t'; break;
			case 'u':
				if (hex4(p + 1, end, &cp) < 0)
					return NULL;
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return NULL;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (end - p < 7 || p[1] != '\\' || p[2] != 'u' ||
					    hex4(p + 3, end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return NULL;
					p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				}
				if (cp < 0x80)
					u[k++] = (char)cp;
				else if (cp < 0x800) {
					u[k++] = (char)(0xc0 | cp >> 6);
					u[k++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					u[k++] = (char)(0xe0 | cp >> 12);
					u[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					u[k++] = (char)(0x80 | (cp & 0x3f));
				} else {
					u[k++] = (char)(0xf0 | cp >> 18);
					u[k++] = (char)(0x80 | ((cp >> 12) & 0x3f));
					u[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					u[k++] = (char)(0x80 | (cp & 0x3f));
				}
				break;
			default:
				return NULL;
			}
			if (out)
				aj_buf_put(out, u, k);
			p++;
			continue;
		}
		{
			size_t k = utf8_len((const unsigned char *)p, (size_t)(end - p));

			if (!k)
				return NULL;
			if (out)
				aj_buf_put(out, p, k);
			p += k;
		}
	}
	return p < end ? p + 1 : NULL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && is_digit(*p))
		while (p < end && is_digit(*p))
			p++;
	else
		return NULL;
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	return p;
}

static const char *literal(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - p) < n || memcmp(p, word, n) != 0)
		return NULL;
	return p + n;
}

/* Validate one value at p (no leading blanks); returns its end or NULL. */
static const char *value(const char *p, const char *end, int depth, enum aj_json_type *ret_type)
{
	enum aj_json_type t;

	if (p >= end || depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '{':
	case '[': {
		bool obj = *p == '{';
		char close = obj ? '}' : ']';

		t = obj ? AJ_JSON_OBJECT : AJ_JSON_ARRAY;
		p = skip_ws(p + 1, end);
		if (p < end && *p == close) {
			p++;
			break;
		}
		for (;;) {
			enum aj_json_type dummy;

			if (obj) {
				if (p >= end || *p != '"' || !(p = string(p, end, NULL)))
					return NULL;
				p = skip_ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = skip_ws(p + 1, end);
			}
			p = value(p, end, depth + 1, &dummy);
			if (!p)
				return NULL;
			p = skip_ws(p, end);
			if (p < end && *p == ',') {
				p = skip_ws(p + 1, end);
				continue;
			}
			if (p < end && *p == close) {
				p++;
				break;
			}
			return NULL;
		}
		break;
	}
	case '"':
		t = AJ_JSON_STRING;
		p = string(p, end, NULL);
		break;
	case 't':
		t = AJ_JSON_BOOL;
		p = literal(p, end, "true");
		break;
	case 'f':
		t = AJ_JSON_BOOL;
		p = literal(p, end, "false");
		break;
	case 'n':
		t = AJ_JSON_NULL;
		p = literal(p, end, "null");
		break;
	default:
		t = AJ_JSON_NUMBER;
		p = number(p, end);
	}
	*ret_type = t;
	return p;
}

int aj_json_check(const char *s, size_t n, struct aj_json_val *ret)
{
	const char *end = s + n, *p = skip_ws(s, end), *start = p;
	enum aj_json_type t;

	p = value(p, end, 0, &t);
	if (!p || skip_ws(p, end) != end)
		return -EINVAL;
	if (ret)
		*ret = (struct aj_json_val){ .type = t, .p = start, .n = (size_t)(p - start) };
	return 0;
}

/* The values handed out were validated as a whole; walking them again is safe. */
int aj_json_get(const struct aj_json_val *obj, const char *key, struct aj_json_val *ret)
{
	const char *p, *end;
	size_t klen = strlen(key);
	int found = 0;

	if (obj->type != AJ_JSON_OBJECT)
		return -EINVAL;
	p = obj->p + 1;
	end = obj->p + obj->n - 1;
	for (;;) {
		const char *kstart, *kend, *v;
		enum aj_json_type t;

		p = skip_ws(p, end);
		if (p >= end)
			break;
		kstart = p;
		kend = string(p, end, NULL);
		if (!kend)
			return -EINVAL;
		p = skip_ws(kend, end) + 1; /* the ':' */
		p = skip_ws(p, end);
		v = value(p, end, 1, &t);
		if (!v)
			return -EINVAL;
		/* Keys are compared as written: an escaped spelling is another key. */
		if ((size_t)(kend - kstart) == klen + 2 && memcmp(kstart + 1, key, klen) == 0) {
			if (found++)
				return -EINVAL;
			*ret = (struct aj_json_val){ .type = t, .p = p, .n = (size_t)(v - p) };
		}
		p = skip_ws(v, end);
		if (p < end && *p == ',')
			p++;
	}
	return found ? 0 : -ENOENT;
}

int aj_json_next(const struct aj_json_val *arr, size_t *pos, struct aj_json_val *ret)
{
	const char *end, *p, *v;
	enum aj_json_type t;

	if (arr->type != AJ_JSON_ARRAY)
		return -EINVAL;
	end = arr->p + arr->n - 1;
	p = skip_ws(arr->p + 1 + *pos, end);
	if (p < end && *p == ',')
		p = skip_ws(p + 1, end);
	if (p >= end)
		return -ENOENT;
	v = value(p, end, 1, &t);
	if (!v)
		return -EINVAL;
	*ret = (struct aj_json_val){ .type = t, .p = p, .n = (size_t)(v - p) };
	*pos = (size_t)(v - (arr->p + 1));
	return 0;
}

int aj_json_string(const struct aj_json_val *v, char **ret)
{
	struct aj_buf b = { 0 };

	if (v->type != AJ_JSON_STRING)
		return -EINVAL;
	if (!string(v->p, v->p + v->n, &b) || b.err) {
		aj_buf_free(&b);
		return -EINVAL;
	}
	if (aj_buf_put(&b, "", 0) < 0 || memchr(b.data, '\0', b.len)) {
		aj_buf_free(&b);
		return -EINVAL;
	}
	*ret = b.data;
	return 0;
}

int aj_json_int(const struct aj_json_val *v, int64_t *ret)
{
	char buf[32], *e;
	long long x;

	if (v->type != AJ_JSON_NUMBER || v->n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	if (strpbrk(buf, ".eE"))
		return -EINVAL;
	errno = 0;
	x = strtoll(buf, &e, 10);
	if (errno || *e)
		return -EINVAL;
	*ret = x;
	return 0;
}

int aj_json_bool(const struct aj_json_val *v, bool *ret)
{
	if (v->type != AJ_JSON_BOOL)
		return -EINVAL;
	*ret = v->p[0] == 't';
	return 0;
}
