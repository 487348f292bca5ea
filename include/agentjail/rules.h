/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail's rules beyond bwrap, as option-table rows (each also an INI key):
 *
 *   --hide PATH         [filesystem] hide         empty and unreadable
 *   --mask GLOB         [filesystem] mask         each match an empty read-only file
 *   --protect PATH|GLOB [filesystem] protect      read-only inside a writable bind
 *   --protect-git DIR   [filesystem] protect-git  git-aware protection of every repo below
 *   --socket PATH       [filesystem] socket       one host socket, by name
 *   --pass-env PATTERN  [env] pass                copy variables from the caller
 *
 * The parse functions only record the rule in the plan; expand.c resolves
 * globs and repositories before the launch, mask.c and protect.c apply them.
 */
#pragma once

#include <stdbool.h>

struct aj_parser;
struct aj_opt;

int aj_rules_opt_hide(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_rules_opt_mask(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_rules_opt_protect(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_rules_opt_protect_git(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_rules_opt_socket(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_rules_opt_pass_env(struct aj_parser *p, const struct aj_opt *o, char **args);

/*
 * Does this variable hold (or point to) another tool's credentials?  A
 * wildcard in `pass` never passes one; naming it does.
 */
bool aj_env_is_credential(const char *name);
