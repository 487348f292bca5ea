/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * hide and mask, applied in the setup child after every other operation.
 *
 * The path is resolved inside the new root, following links as the sandbox
 * would (RESOLVE_IN_ROOT): what the name shows is what gets covered, and a
 * link can never point the cover outside the sandbox.  A directory gets an
 * empty read-only directory over it, anything else an empty read-only file;
 * hide makes them mode 0 (unreadable), mask 0555/0444 (readable, empty).
 * The covers are mount points: they cannot be removed, renamed or written,
 * and a mount namespace made inside later keeps them locked in place.
 */
#pragma once

struct aj_op;

/* root: O_PATH fd of the future root.  Logs. */
int aj_mask_apply(int root, const struct aj_op *op);
