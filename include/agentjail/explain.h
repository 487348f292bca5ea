/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * --explain: the effective policy in plain words, one section per concern.
 *
 * Each section is a row of a table in explain.c (a title and a function);
 * a part of agentjail with more to say (limits, landlock, seccomp) gives its
 * section a function of its own in its own file and points its row there.
 */
#pragma once

#include <stdio.h>

struct aj_plan;
struct aj_front;

void aj_explain_print(FILE *out, const struct aj_plan *plan, const struct aj_front *f);

/* The sections (explain.c unless noted). */
void aj_explain_profile(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
void aj_explain_filesystem(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
void aj_explain_network(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
void aj_explain_environment(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
void aj_explain_security(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
void aj_explain_limits(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
