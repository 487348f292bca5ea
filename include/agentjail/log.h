/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Diagnostics.  Every message is one line on stderr, "<prog>: <text>", where
 * <prog> is "agentjail" or "bwrap" (when invoked under that name).  Errors are
 * never silenced; notices are hidden by --quiet; debug lines need --verbose.
 *
 * The error helpers return the code they were given so a caller can write
 *     return aj_err(r, "bind-mount '%s'", path);
 */
#pragma once

#include <stdbool.h>

void aj_log_set_prog(const char *prog);
const char *aj_log_prog(void);
void aj_log_set_level_prefix(bool on);
void aj_log_set_quiet(bool on);
void aj_log_set_verbose(int level);
int aj_log_verbose(void);
/*
 * While a profile line is applied, its place ("claude.ini:12: mode"): every
 * message then says where the bad input is.  NULL to clear.  The string must
 * outlive its use.
 */
void aj_log_set_context(const char *context);

/* "<prog>: <fmt>: <strerror(-r)>"; returns r. */
int aj_err(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "<prog>: <fmt>"; returns r. */
int aj_errx(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Warnings are shown even with --quiet (bwrap prints them unconditionally). */
void aj_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void aj_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void aj_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
