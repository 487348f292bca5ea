/* SPDX-License-Identifier: LGPL-2.0-or-later */
#pragma once
struct aj_plan;
int aj_check_main(struct aj_plan *plan, int argc, char **argv);
