/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/ini.h"
#include "agentjail/log.h"
#include "cleanup.h"

int aj_ini_read_file(const char *path, char **ret_text, size_t *ret_len)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;
	void *data;
	size_t len;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return aj_err(-errno, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return aj_err(-errno, "stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return aj_errx(-EINVAL, "'%s' is not a regular file", path);
	r = aj_read_all(fd, AJ_INI_MAX_FILE, &data, &len);
	if (r == -E2BIG)
		return aj_errx(r, "'%s' is larger than %u bytes", path, AJ_INI_MAX_FILE);
	if (r < 0)
		return aj_err(r, "read '%s'", path);
	*ret_text = data;
	*ret_len = len;
	return 0;
}

struct lines {
	unsigned *key_lines; /* line number of each handler call, in order */
	size_t n, next;
};

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Refuse what inih would parse differently from what the file says. */
static int precheck(const char *name, const char *text, size_t len, struct lines *ret)
{
	unsigned lineno = 0;
	size_t pos = 0;

	if (memchr(text, '\0', len))
		return aj_errx(-EINVAL, "%s: contains a NUL byte", name);
	/* A UTF-8 byte order mark is skipped by inih, and by us. */
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *s = line;
		size_t k;

		pos += n + 1;
		lineno++;
		if (n > AJ_INI_MAX_LINE)
			return aj_errx(-EINVAL, "%s:%u: line longer than %d bytes (write long lists "
						"as repeated keys)",
				       name, lineno, AJ_INI_MAX_LINE);
		if (blank(line, n))
			continue;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ';' || *s == '#')
			continue;
		if (s != line)
			return aj_errx(-EINVAL, "%s:%u: indented line (it would continue the previous "
						"value)",
				       name, lineno);
		if (*s == '[') {
			const char *end = memchr(s, ']', n);

			if (!end)
				return aj_errx(-EINVAL, "%s:%u: section header without ']'", name, lineno);
			if ((size_t)(end - s - 1) > AJ_INI_MAX_SECTION)
				return aj_errx(-EINVAL, "%s:%u: section name longer than %d bytes", name,
					       lineno, AJ_INI_MAX_SECTION);
			/* Only a comment may follow the header. */
			const char *rest = end + 1;
			size_t rest_n = n - (size_t)(rest - line);
			size_t ws = 0;

			while (ws < rest_n && (rest[ws] == ' ' || rest[ws] == '\t' || rest[ws] == '\r'))
				ws++;
			if (ws < rest_n && rest[ws] != ';' && rest[ws] != '#')
				return aj_errx(-EINVAL, "%s:%u: text after the section header", name,
					       lineno);
			continue;
		}
		/* Bounded by the line: text need not end in a NUL (found by fuzz-ini). */
		for (k = 0; k < n && line[k] != '=' && line[k] != ':'; k++)
			;
		if (k >= n || k == 0 || blank(line, k))
			return aj_errx(-EINVAL, "%s:%u: expected 'key = value'", name, lineno);
		unsigned *v = reallocarray(ret->key_lines, ret->n + 1, sizeof(unsigned));
		if (!v)
			return aj_err(-ENOMEM, "Out of memory");
		ret->key_lines = v;
		v[ret->n++] = lineno;
	}
	return 0;
}

struct call {
	const char *name;
	struct lines *lines;
	aj_ini_handler fn;
	void *userdata;
	int error;
};

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct call *c = user;
	unsigned line;

	if (c->error < 0)
		return 1; /* already failed: inih goes on, we ignore the rest */
	if (c->lines->next >= c->lines->n) {
		c->error = aj_errx(-EINVAL, "%s: internal error: more keys than lines", c->name);
		return 1;
	}
	line = c->lines->key_lines[c->lines->next++];
	c->error = c->fn(c->userdata, section, key, value, line);
	if (c->error > 0)
		c->error = 0;
	return 1;
}

int aj_ini_parse(const char *name, const char *text, size_t len, aj_ini_handler fn,
		 void *userdata)
{
	struct lines lines = { 0 };
	struct call c = { .name = name, .lines = &lines, .fn = fn, .userdata = userdata };
	_cleanup_free_ char *copy = NULL;
	int r;

	r = precheck(name, text, len, &lines);
	if (r < 0) {
		free(lines.key_lines);
		return r;
	}
	copy = strndup(text, len);
	if (!copy) {
		free(lines.key_lines);
		return aj_err(-ENOMEM, "Out of memory");
	}
	r = ini_parse_string(copy, on_key, &c);
	free(lines.key_lines);
	if (c.error < 0)
		return c.error;
	if (r != 0)
		return aj_errx(-EINVAL, "%s:%d: cannot parse this line", name, r);
	if (lines.next != lines.n)
		return aj_errx(-EINVAL, "%s: internal error: %zu of %zu keys parsed", name, lines.next,
			       lines.n);
	return 0;
}
