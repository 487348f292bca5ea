/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Git runs configuration as code: hooks, core.hooksPath, core.fsmonitor and
 * friends.  For each repository the walk finds (a .git directory, a .git
 * file of a worktree or submodule, a bare or module git dir), this lists the
 * host paths that must stay read-only for the host's next git command to run
 * only what the person put there:
 *
 *   the hooks directory of the common git dir, its config (and
 *   config.worktree), the files that config includes, the directory
 *   core.hooksPath names (repository config first, then the global and system
 *   ones; husky's ".husky/_" brings ".husky" along), the .git file or link
 *   itself, commondir, and the hook managers' files at the work tree top
 *   (.gitmodules, .pre-commit-config.yaml, lefthook.yml).
 *
 * gitdir: and commondir pointers are followed to the real git dir (with
 * realpath: the host's view, which is the one the host's git will use).
 * Files are read with O_NONBLOCK, at most 1 MiB, regular files only, so a
 * FIFO or device planted in a repository cannot stall or feed the scan.
 * Helpers: nothing is printed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "agentjail/walk.h"

struct aj_vars;

struct aj_git_target {
	char *path;       /* host path */
	const char *why;  /* static text: "git hooks", "git config", ... */
	char *repo;       /* the work tree or git dir it belongs to (for --explain) */
	bool dir;         /* a directory (for a placeholder when it is missing) */
	bool placeholder; /* when missing, it may be created (empty) so it cannot be planted */
};

struct aj_git_scan {
	struct aj_git_target *targets;
	size_t n_targets;
	char **seen; /* git dirs already handled (realpaths) */
	size_t n_seen;
	char *global_hooks_path; /* core.hooksPath from the system/global config */
	const char *home;
};

/* Read the global and system git config for core.hooksPath. */
int aj_git_scan_init(struct aj_git_scan *s, const struct aj_vars *vars);
/* A repository found by the walk; adds its targets. */
int aj_git_scan_add(struct aj_git_scan *s, const char *path, enum aj_walk_git kind);
void aj_git_scan_done(struct aj_git_scan *s);

/*
 * Parse git config text; fn is called with the lower-cased "section.key"
 * (subsections keep their case: "includeif.<cond>.path") and the value
 * (NULL for a key without '=').  Exposed for the unit tests.
 */
int aj_git_config_parse(const char *text, size_t len,
			int (*fn)(void *userdata, const char *name, const char *value), void *userdata);
