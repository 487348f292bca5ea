/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The one tree walk behind mask, protect globs and git-aware protection.
 *
 * Each directory under the root is read once, whatever the number of
 * patterns, with getdents64 and the entry types it returns (no stat unless a
 * filesystem leaves the type unknown).  Symbolic links are reported, never
 * followed; directories are opened with O_NOFOLLOW below their parent's fd,
 * so a link planted in the tree cannot lead the walk elsewhere.  Nothing is
 * pruned except what a mask hides as a whole.
 *
 * Helpers never print: on failure the walk returns -errno and names the path
 * in failed_path.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct aj_glob;

enum aj_walk_git {
	AJ_WALK_GIT_DIR,   /* a directory named .git */
	AJ_WALK_GIT_FILE,  /* a file named .git ("gitdir: ...") */
	AJ_WALK_GIT_BARE,  /* a directory that looks like a git dir (HEAD, objects, refs) */
	AJ_WALK_GIT_ADMIN, /* a worktree's admin dir (HEAD, commondir) */
};

/* Entry types as in struct dirent's d_type. */
typedef int (*aj_walk_match_fn)(void *userdata, size_t glob_index, const char *path,
				unsigned char type);
typedef int (*aj_walk_git_fn)(void *userdata, const char *path, enum aj_walk_git kind);

struct aj_walk {
	const char *root;              /* absolute host path, no symlinks */
	struct aj_glob *const *globs;  /* patterns (host paths) at or below root */
	size_t n_globs;
	bool git;                      /* report git repositories */
	/*
	 * Called for each match; return > 0 to not descend into a directory
	 * that matched (its contents are masked as a whole), < 0 to stop.
	 */
	aj_walk_match_fn on_match;
	aj_walk_git_fn on_git;
	void *userdata;

	/* Out. */
	size_t n_dirs, n_entries;
	char *failed_path; /* malloc'd: where the walk failed */
};

#define AJ_WALK_MAX_DEPTH 256

/* Walk w->root.  A missing root is not an error (nothing to find). */
int aj_walk_run(struct aj_walk *w);
void aj_walk_done(struct aj_walk *w);
