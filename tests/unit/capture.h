/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Capture what the code under test writes to stderr, so a test can match
 * the exact message a bad input produces.  Tests run in forked children
 * (tap.h), so redirecting fd 2 affects only the test at hand.
 */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int capture_fd = -1;
static int capture_saved = -1;

static inline void capture_begin(void)
{
	char name[] = "/tmp/aj-capture.XXXXXX";

	capture_fd = mkostemp(name, O_CLOEXEC);
	if (capture_fd < 0)
		abort();
	unlink(name);
	capture_saved = dup(2);
	dup2(capture_fd, 2);
}

/* What was written since capture_begin(), without the last newline (static buffer). */
static inline const char *capture_end(void)
{
	static char buf[8192];
	ssize_t n;

	dup2(capture_saved, 2);
	close(capture_saved);
	n = pread(capture_fd, buf, sizeof(buf) - 1, 0);
	close(capture_fd);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}
