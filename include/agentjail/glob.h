/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Path globs for mask and protect: fnmatch(3) per path component ('*', '?',
 * '[...]'; a '*' matches dot files too, secrets often start with a dot),
 * '**' as a whole component for any number of directories (none included),
 * and a trailing '/' for directories only.
 *
 * A glob is compiled once; the tree walk then asks, for each directory entry,
 * only what that entry can answer: most patterns are ROOT/any/NAME-GLOB, and
 * a NAME-GLOB of the form literal, prefix*, *suffix is a memcmp, not an
 * fnmatch.  Pure code.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct aj_glob;

/* Does s contain a glob character (*, ? or [)? */
bool aj_glob_has_magic(const char *s);

/*
 * Compile an absolute pattern.  -EINVAL when it is not absolute, has an
 * empty, "." or ".." component, or "**" mixed with other text in a
 * component.
 */
int aj_glob_compile(const char *pattern, struct aj_glob **ret);
struct aj_glob *aj_glob_free(struct aj_glob *g);

/* The pattern as given, and its literal leading directory ("/p" for "/p/ ** /x"). */
const char *aj_glob_pattern(const struct aj_glob *g);
const char *aj_glob_root(const struct aj_glob *g);
/* Components below the root a match can be at most (SIZE_MAX with "**"). */
size_t aj_glob_max_depth(const struct aj_glob *g);
/* Only directories match (the pattern ends in '/'). */
bool aj_glob_dirs_only(const struct aj_glob *g);

/*
 * Does the path rel (below the root, components separated by '/', no
 * leading '/'), whose last component is name, match?  is_dir: the entry is a
 * directory (for patterns ending in '/').
 */
bool aj_glob_match(const struct aj_glob *g, const char *rel, const char *name, bool is_dir);

/*
 * A copy of g for another root: the same components below it.  Used to
 * match host paths with a pattern written for the sandbox.
 */
int aj_glob_rebase(const struct aj_glob *g, const char *root, struct aj_glob **ret);
