/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * libFuzzer harness: the command line (cli.c and every parse function of the
 * option table), then what a launch derives from a plan before clone():
 * validation, the walls' settings and the seccomp filter.
 *
 * The input is argv, words separated by NUL bytes.  Any argument of an
 * option that takes an FD is replaced by a memfd holding the input itself,
 * so --args and --add-seccomp-fd read fuzzed data and no option ever
 * touches one of the fuzzer's own fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agentjail/cli.h"
#include "agentjail/filter.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "fuzz.h"

#define MAX_WORDS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_WORDS + 2];
	int fds[MAX_WORDS], n_fds = 0, argc = 1, next;
	struct aj_plan *plan;
	struct aj_parser p;
	char fdnum[MAX_WORDS][16];

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"agentjail";
	for (size_t i = 0; i < size && argc <= MAX_WORDS; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;

	plan = aj_plan_new();
	if (!plan || aj_parser_init(&p, plan, false) < 0) {
		aj_plan_free(plan);
		free(buf);
		return 0;
	}
	/* FD arguments: fds of our own, with the input as their content. */
	for (int i = 1; i < argc; i++) {
		const struct aj_opt *o = aj_opt_find(&p, argv[i]);
		int fd;

		if (!o || !o->metavar || strncmp(o->metavar, "FD", 2) != 0 || i + 1 >= argc)
			continue;
		fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0)
			break;
		(void)!write(fd, data, size);
		(void)lseek(fd, 0, SEEK_SET);
		fds[n_fds] = fd;
		snprintf(fdnum[n_fds], sizeof(fdnum[0]), "%d", fd);
		argv[++i] = fdnum[n_fds++];
	}

	if (aj_cli_parse(&p, argc, argv, 1, &next) >= 0 && aj_parser_finish(&p) >= 0 &&
	    aj_plan_validate(plan) >= 0) {
		struct aj_walls w;
		struct aj_blob b = { 0 };

		/* What aj_walls_prepare() does before clone(), minus the system. */
		aj_walls_resolve(plan, false, &w);
		if (w.filter && aj_filter_build(&w.spec, &b) == 0)
			free(b.data);
		fuzz_describe(plan);
	}
	aj_parser_done(&p);
	aj_plan_free(plan);
	fuzz_close_leftovers(fds, n_fds);
	free(buf);
	return 0;
}
