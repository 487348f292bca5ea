/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* aj-probe: shared between probe.c and probe-walls.c. */
#pragma once

#include <stdbool.h>

/* "ENOENT", "EPERM", ... or "E<n>". */
const char *errname(int e);

/* The kernel-wall commands (probe-walls.c); false when c is not one of them. */
bool walls_command(const char *c, int argc, char **argv);
