/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Shared by the libFuzzer harnesses (fuzz-*.c).  Each harness defines
 * LLVMFuzzerTestOneInput(); replay.c gives it a main() for builds without
 * libFuzzer, so the committed corpus runs in every build.
 *
 * A new harness (for example fuzz-profile.c for profile.c) is one file
 * here, a corpus directory corpus/NAME/, and NAME in the list in
 * tests/fuzz/meson.build.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "agentjail/plan.h"
#include "agentjail/walls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Close the harness's own fds that the parser left open (--keep-fd keeps them). */
static inline void fuzz_close_leftovers(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fcntl(fds[i], F_GETFD) >= 0)
			(void)close(fds[i]);
}

/* Print what --explain would say about the walls, into nothing. */
static inline void fuzz_describe(const struct aj_plan *plan)
{
	FILE *f = fopen("/dev/null", "we");

	if (f) {
		aj_walls_describe(plan, f);
		fclose(f);
	}
}
