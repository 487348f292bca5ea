/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Sidecars: the processes the monitor forks beside the sandbox before
 * clone() (the network proxy, the learn/--verbose observer).
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Become a sidecar named name: terminal signals ignored (they are the
 * command's; the monitor ends a sidecar with SIGTERM, unblocked here), every
 * fd but keep (sorted in place) and stderr closed, stdin and stdout on
 * /dev/null, no capabilities.  _exit(1) when the capabilities cannot go.
 */
void aj_sidecar_begin(const char *name, int *keep, size_t n_keep);
/*
 * Then wait for the one fd the setup child sends over sock (and close sock);
 * _exit(0) when none comes: the setup failed and has said why.  From then on
 * SIGTERM is an event, read from *ret_signal_fd.  name prefixes messages.
 */
int aj_sidecar_receive(const char *name, int sock, int *ret_signal_fd);

/* From the monitor: SIGTERM, at most timeout_ms for it to end, then SIGKILL; reaped. */
void aj_sidecar_stop(pid_t pid, int pidfd, int timeout_ms);
