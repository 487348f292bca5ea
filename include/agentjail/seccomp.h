/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once

struct aj_plan;

/* Read a program from fd (then closed) into the plan. Logs. */
int aj_seccomp_take_fd(struct aj_plan *plan, int fd);
/* Read the late --seccomp fd (bwrap reads it after setup). Logs. */
int aj_seccomp_read_late(struct aj_plan *plan);
/* Install the built-in filter, then the programs from --seccomp / --add-seccomp-fd. Logs. */
int aj_seccomp_install(const struct aj_plan *plan);
