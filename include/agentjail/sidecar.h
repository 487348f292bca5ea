/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Sidecars: the processes the monitor forks beside the sandbox before
 * clone() (the network proxy, the learn/--verbose observer).
 */
#pragma once

#include <stddef.h>

/*
 * Become a sidecar named name: terminal signals ignored (they are the
 * command's; the monitor ends a sidecar with SIGTERM, unblocked here), every
 * fd but keep (sorted in place) and stderr closed, stdin and stdout on
 * /dev/null, no capabilities.  _exit(1) when the capabilities cannot go.
 */
void aj_sidecar_begin(const char *name, int *keep, size_t n_keep);
