/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * protect, applied in the setup child last of all.
 *
 * The path is bound read-only onto itself (recursively).  That alone does
 * not stop a rename of one of its parents, which would carry the protected
 * directory away and leave the name free to be planted again (`mv .git
 * .git-old; git init`): so every directory between the path and the mount
 * it lives in is made a mount point of its own (a writable bind onto
 * itself, a "pin"), and the kernel refuses to rename or remove a mount
 * point.  Renames across a pin fail with EXDEV, which mv and most tools
 * handle by copying.
 *
 * No symbolic link is followed on the way (RESOLVE_NO_SYMLINKS): a link
 * there would let the sandbox swap what the name means after the mount.  A
 * protected path that is itself a link is bound onto itself (so it cannot
 * be replaced) and its target is protected too.
 */
#pragma once

struct aj_op;

/* root: O_PATH fd of the future root.  Logs. */
int aj_protect_apply(int root, const struct aj_op *op);
