/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The launch: decisions taken from the plan once, then the monitor (parent)
 * and the sandbox setup (child) stages.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct aj_plan;

/* What this launch does, derived from the plan and the caller before clone(). */
struct aj_run {
	struct aj_plan *plan;    /* the monitor consumes the status fds it owns */
	bool bwrap;             /* invoked as bwrap */
	unsigned ns;            /* AJ_NS_* that will be created */
	bool privileged;        /* real uid 0 */
	uid_t host_uid;         /* the caller's ids */
	gid_t host_gid;
	uid_t uid;              /* ids the command runs with inside */
	gid_t gid;
	bool nested_userns;     /* setup runs as uid 0 in an outer userns, the command in an inner one */
	bool new_procfs;        /* --proc mounts a new instance (pid namespace is ours) */
	bool reaper;            /* a process stays between pid 1 / the monitor and the command */
	char *cwd;              /* caller's cwd, tried inside when --chdir is absent */
	char *tty;              /* host path of our stdout tty for /dev/console, or NULL */
	mode_t umask;           /* the caller's umask, restored before exec */
	uint64_t caps_keep;     /* capabilities the command keeps (bit n = cap n) */

	/* Pipes between the monitor, the setup child, the reaper and the command. */
	int go_rd, go_wr;       /* monitor -> child: maps are written, go on */
	int status_rd, status_wr; /* reaper -> monitor: the command's wait status */
	int exec_rd, exec_wr;   /* command -> monitor: a byte right before execve */

	pid_t child;            /* the cloned child, as the monitor sees it */
	int child_pidfd;
};

/* Run the plan; returns the exit status for main() (command's, or 1). */
int aj_launch(struct aj_plan *plan, bool bwrap);
