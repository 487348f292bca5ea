/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The plan-expansion step, before clone(): the one place that looks at the
 * host to turn agentjail's rules into concrete operations.
 *
 *  - Where each sandbox path comes from on the host, from the operations in
 *    order (the last one covering a path wins), with every bind source
 *    resolved as mount.c will resolve it.
 *  - In a profile run, a bind source reached through a symbolic link that
 *    lies inside a writable bind is refused: the sandbox could have planted
 *    it to have its next run see more.
 *  - --socket sources must be sockets.
 *  - mask and protect globs and protect-git directories: one walk per
 *    distinct tree (nested roots share their ancestor's walk), every
 *    pattern matched during it; git repositories found on the way.
 *  - Protected paths that do not exist yet but could be created through a
 *    writable bind get a placeholder: an empty directory, made just before
 *    the launch and removed after it (an empty directory is invisible to
 *    git, and nothing can be created over a read-only mount point).
 *  - hide, mask and protect move after every other operation, in that order.
 */
#pragma once

struct aj_plan;
struct aj_front;

/* More matches than this is an error (each is a mount). */
#define AJ_MASK_MAX 10000

/* Logs. */
int aj_expand_plan(struct aj_plan *plan, struct aj_front *f);
/* Create the placeholders the expansion planned.  Logs. */
int aj_expand_placeholders_create(struct aj_front *f);
/* Remove the ones created and still empty (the sandbox is gone by now). */
void aj_expand_placeholders_remove(struct aj_front *f);
