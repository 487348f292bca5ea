/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Mount and path primitives on file descriptors.  They know nothing of the
 * plan and never print: >= 0 or -errno.
 *
 * Paths "in root" are resolved with openat2(RESOLVE_IN_ROOT): absolute
 * symlinks and ".." stay inside the tree rooted at the given fd, so a symlink
 * planted in a bound directory cannot send a mount out of the sandbox.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). */
int aj_open_in_root(int root, const char *path, int flags, mode_t mode);
/* Like mkdir -p for every parent of path (not path itself), with mode. */
int aj_mkdir_parents_in_root(int root, const char *path, mode_t mode, char **ret_failed);
/* Make path a directory (existing ones are kept as they are). */
int aj_mkdir_in_root(int root, const char *path, mode_t mode);
/* Make path exist as a non-directory (-EISDIR if it is one); create an empty
 * regular file with mode when it does not exist. */
int aj_touch_in_root(int root, const char *path, mode_t mode);
/* Split path into its parent and last component (both malloc'd). */
int aj_split_path(const char *path, char **ret_parent, char **ret_name);

/* Clone the mount tree at fd (recursively) as a detached mount. */
int aj_tree_clone(int fd, bool recursive);
/* Add MOUNT_ATTR_* flags to the detached or attached mount fd (recursively). */
int aj_mount_set(int fd, uint64_t attr_set, bool recursive);
/* Move the detached mount mfd onto the target fd. */
int aj_mount_move(int mfd, int target);

/* A new filesystem: fsopen + fsconfig(key=value pairs, NULL-terminated) + fsmount. */
int aj_fs_mount(const char *fstype, const char *const *options, uint64_t attrs);
