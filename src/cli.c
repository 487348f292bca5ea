/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/cli.h"
#include "agentjail/fdutil.h"
#include "agentjail/log.h"
#include "cleanup.h"

/* An --args file is capped like the whole argument list: 9000 words of at
 * most a page each is far beyond any real use. */
#define ARGS_FILE_MAX (9000u * 4096u)

static int missing_args(const struct aj_opt *o)
{
	static const char *const words[] = { "", "an argument", "two arguments", "three arguments" };

	if (o->flags & AJ_OPT_ONE_ARG_WORD)
		return aj_errx(-EINVAL, "%s takes one argument", o->name);
	return aj_errx(-EINVAL, "%s takes %s", o->name, words[o->nargs]);
}

static int parse_words(struct aj_parser *p, int argc, char **argv, int start, bool in_file,
		       int *ret_next);

/*
 * --args FD: NUL-separated words parsed in place.  Inside such a file
 * parsing ends quietly at "--" or at the first non-option word, and whatever
 * follows is dropped: the command always comes from the real argv.
 */
static int parse_args_fd(struct aj_parser *p, const char *arg)
{
	_cleanup_free_ char *data = NULL;
	_cleanup_free_ char **words = NULL;
	size_t size, n = 0;
	int fd, r, next;
	void *buf;

	if (aj_parse_fd(arg, &fd) < 0)
		return aj_errx(-EINVAL, "Invalid fd: %s", arg);
	r = aj_read_all(fd, ARGS_FILE_MAX, &buf, &size);
	if (r < 0)
		return aj_err(r, "Can't read --args data");
	data = buf;
	(void)close(fd); /* consumed, as bwrap does */

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\0')
			n++;
	if (size > 0 && data[size - 1] != '\0')
		n++;
	words = calloc(n + 1, sizeof(char *));
	if (!words)
		return aj_err(-ENOMEM, "Out of memory");
	for (size_t i = 0, w = 0; i < size && w < n; w++) {
		words[w] = data + i;
		i += strlen(data + i) + 1;
	}
	p->n_args += (unsigned)n;
	if (p->n_args > AJ_MAX_ARGS)
		return aj_errx(-E2BIG, "Exceeded maximum number of arguments %u", AJ_MAX_ARGS);
	return parse_words(p, (int)n, words, 0, true, &next);
}

static int parse_words(struct aj_parser *p, int argc, char **argv, int start, bool in_file,
		       int *ret_next)
{
	int i = start;

	/* --help and --version end the parse (bwrap's rule); --check reads on. */
	while (i < argc && (p->action == AJ_ACTION_RUN || p->action == AJ_ACTION_CHECK)) {
		const char *a = argv[i];
		const struct aj_opt *o;
		int r;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		o = aj_opt_find(p, a);
		if (!o)
			return aj_errx(-EINVAL, "Unknown option %s", a);
		if (argc - i - 1 < (int)o->nargs)
			return missing_args(o);
		p->where = (struct aj_src){ .file = NULL, .line = (unsigned)i };
		if (o->flags & AJ_OPT_SPECIAL) {
			if (in_file)
				return aj_errx(-EINVAL, "--args not supported in arguments file");
			r = parse_args_fd(p, argv[i + 1]);
		} else
			r = aj_opt_apply(p, o, argv + i + 1);
		if (r < 0)
			return r;
		i += 1 + o->nargs;
	}
	*ret_next = i;
	return 0;
}

int aj_cli_parse(struct aj_parser *p, int argc, char **argv, int start, int *ret_next)
{
	p->n_args += (unsigned)argc;
	if (p->n_args > AJ_MAX_ARGS)
		return aj_errx(-E2BIG, "Exceeded maximum number of arguments %u", AJ_MAX_ARGS);
	return parse_words(p, argc, argv, start, false, ret_next);
}

void aj_cli_usage(FILE *f, const char *argv0, bool bwrap)
{
	const struct aj_opt *t;
	size_t n;

	fprintf(f, "usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n\n", argv0);
	t = aj_opt_table(&n);
	for (size_t i = 0; i < n; i++) {
		char left[64];

		if ((t[i].flags & AJ_OPT_HIDDEN) || (bwrap && !(t[i].flags & AJ_OPT_BWRAP)))
			continue;
		snprintf(left, sizeof(left), "%s%s%s", t[i].name, t[i].metavar ? " " : "",
			 t[i].metavar ? t[i].metavar : "");
		fprintf(f, "    %-28s %s\n", left, t[i].help);
	}
}
