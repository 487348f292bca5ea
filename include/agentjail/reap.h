/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The reaper's loop, shared by agentjail (its fallback reaper) and the small
 * static agentjail-reaper program (see reaper.c for why there are two).  No
 * plan, no libraries beyond libc: the static program links this file alone.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* The signals passed on to the command, plus SIGCHLD. */
void aj_signal_set(sigset_t *set);
/* A wait status as an exit code: n, or 128 + signal. */
int aj_exit_code(int wstatus);
/* Drop every capability, bounding set best effort (raw syscalls). */
int aj_reap_drop_caps(void);
/* A signalfd for aj_signal_set(); -errno on failure. */
int aj_reap_signalfd(void);
/*
 * Reap every child; send the command's wait status to status_fd the moment
 * it is known; pass signals on to the command; exit when no child is left.
 */
_Noreturn void aj_reap_loop(pid_t command, int status_fd, int sfd);
