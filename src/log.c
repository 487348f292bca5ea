/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/log.h"

/* The only mutable file-scope state besides main.c (STYLE rule 8). */
static const char *log_prog = "agentjail";
static bool log_level_prefix;
static bool log_quiet;
static int log_verbose;
static const char *log_context; /* "file.ini:12: key" while a profile line is applied */

void aj_log_set_prog(const char *prog)
{
	log_prog = prog;
}

const char *aj_log_prog(void)
{
	return log_prog;
}

void aj_log_set_level_prefix(bool on)
{
	log_level_prefix = on;
}

void aj_log_set_quiet(bool on)
{
	log_quiet = on;
}

void aj_log_set_verbose(int level)
{
	log_verbose = level;
}

int aj_log_verbose(void)
{
	return log_verbose;
}

void aj_log_set_context(const char *context)
{
	log_context = context;
}

/*
 * Format the whole line first and emit it with one write(2): the launcher,
 * its reaper and the command share stderr, and a line split over several
 * writes could interleave with theirs.
 */
__attribute__((format(printf, 3, 0)))
static void emit(int level, int err, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t n = 0;
	int k;

	if (log_level_prefix) {
		k = snprintf(buf, sizeof(buf), "<%d>", level);
		n = k > 0 ? (size_t)k : 0;
	}
	k = snprintf(buf + n, sizeof(buf) - n, "%s: %s%s", log_prog, log_context ? log_context : "",
		     log_context ? ": " : "");
	if (k > 0 && (size_t)k < sizeof(buf) - n)
		n += (size_t)k;
	if (n < sizeof(buf)) {
		k = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
		if (k > 0)
			n += (size_t)k;
	}
	if (err > 0 && n < sizeof(buf)) {
		k = snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(err));
		if (k > 0)
			n += (size_t)k;
	}
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n++] = '\n';

	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* stderr is gone; nothing better to do */
		off += (size_t)w;
	}
}

int aj_err(int r, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(3, r < 0 ? -r : r, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

int aj_errx(int r, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(3, 0, fmt, ap);
	va_end(ap);
	errno = saved;
	return r;
}

void aj_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	emit(4, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void aj_notice(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_quiet)
		return;
	va_start(ap, fmt);
	emit(5, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void aj_debug(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	emit(7, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}
