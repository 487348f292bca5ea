/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The bwrap-style command line: argv -> plan, strictly left to right.
 */
#pragma once

#include <stdio.h>

#include "agentjail/options.h"

/*
 * Parse options from argv[start..argc).  Stops at "--" (consumed) or at the
 * first word that does not start with '-'; *ret_next is the index of the
 * command's first word.  Logs and returns -errno on bad input.
 */
int aj_cli_parse(struct aj_parser *p, int argc, char **argv, int start, int *ret_next);

/* "usage: ARGV0 [OPTIONS...] [--] COMMAND [ARGS...]" and the option list. */
void aj_cli_usage(FILE *f, const char *argv0, bool bwrap);
