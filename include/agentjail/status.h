/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * --info-fd and --json-status-fd: bwrap's JSON, byte for byte.
 */
#pragma once

#include <sys/types.h>

struct aj_run;

/* Write the start object to info_fd (pretty) and json_status_fd (one line). Logs. */
int aj_status_write_start(const struct aj_run *run);
/* Write {"exit-code": N} to json_status_fd. Logs. */
int aj_status_write_exit(const struct aj_run *run, int code);
