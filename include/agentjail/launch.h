/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The launch: decisions taken from the plan once, then the monitor (parent)
 * and the sandbox setup (child) stages.
 */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentjail/filter.h"

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
	bool nested_userns;     /* the command runs in an inner userns made after setup */
	uid_t setup_uid;        /* ids during setup (in the outer userns) */
	gid_t setup_gid;
	bool new_procfs;        /* --proc mounts a new instance (pid namespace is ours) */
	bool reaper;            /* a process stays between pid 1 / the monitor and the command */
	int proc_fd;            /* O_PATH of the host's /proc, opened before clone() */
	int reaper_exe_fd;      /* O_PATH of agentjail-reaper, for the reaper's exec */
	int fence_fd;           /* Landlock ruleset fencing the command off from pid 1 */
	int ready_wr;           /* the reaper's word to the command: no longer dumpable */
	char *cwd;              /* caller's cwd, tried inside when --chdir is absent */
	char *tty;              /* host path of our stdout tty for /dev/console, or NULL */
	mode_t umask;           /* the caller's umask, restored before exec */
	uint64_t caps_keep;     /* capabilities the command keeps (bit n = cap n) */

	/* Kernel walls (walls.c), decided before clone(). */
	uid_t map_uid;          /* host ids the sandbox's ids map to: the caller's, */
	gid_t map_gid;          /* or root-maps-to when root runs hardened */
	bool switch_ids;        /* the child leaves host uid 0 for the mapped ids */
	int landlock_abi;       /* > 0: apply Landlock, negotiated to this ABI */
	bool filter;            /* a built-in seccomp filter, as filter_spec says */
	struct aj_filter_spec filter_spec; /* (its names point into the plan) */

	/* Pipes between the monitor, the setup child, the reaper and the command. */
	int go_rd, go_wr;       /* monitor -> child: maps are written, go on */
	int status_rd, status_wr; /* reaper -> monitor: the command's wait status */
	int exec_rd, exec_wr;   /* command -> monitor: a byte right before execve */

	sigset_t oldmask;       /* the caller's signal mask, restored before exec */

	pid_t child;            /* the cloned child, as the monitor sees it */
	int child_pidfd;

	/* --net proxy (proxy.c). */
	int netlog_fd;          /* decisions as JSON lines (audit log); -EBADF when unused;
				 * set before aj_proxy_start(), the proxy writes to it */
	int proxy_fd;           /* setup child -> proxy: the listening socket travels here */
	pid_t proxy_pid;        /* the proxy process; 0 when none */
	int proxy_pidfd;
	/* Limits and audit: the monitor's alone; the child closes these fds first. */
	struct aj_limits_state *limits; /* limits.c: how each limit is enforced */
	int cgroup_fd;          /* the sandbox's cgroup (clone3 CLONE_INTO_CGROUP), or -EBADF */
	struct aj_audit *audit; /* audit.c: this run's record in the making */
	int audit_fd;           /* the audit log, opened before clone(), or -EBADF */
	int wstatus;            /* the command's wait status, -1 until known */
	bool execd;             /* the command was exec'd (known with the exec pipe) */
};

/* Run the plan; returns the exit status for main() (command's, or 1). */
int aj_launch(struct aj_plan *plan, bool bwrap);

/* monitor.c: wait for the command, pass signals on; returns its exit code. */
int aj_monitor(struct aj_run *run);

/* reaper.c: open and read-lock the --lock-file paths (inside the sandbox). Logs. */
int aj_reaper_take_locks(const struct aj_plan *plan, int *fds);
/* reaper.c: become the reaper of command (agentjail executed again, see there). */
/* keep: room for plan->n_lock_files + 4 fds, allocated before the fork. */
_Noreturn void aj_reaper(struct aj_run *run, pid_t command, const int *lock_fds, int *keep);
/* reaper.c: open the agentjail-reaper program (-EBADF when there is none). */
int aj_reaper_open_program(void);

/* exec.c: --chdir, else the caller's cwd, else $HOME, else /; sets PWD. Logs. */
int aj_exec_choose_cwd(struct aj_run *run);
/* exec.c: close what must not be inherited, install seccomp, exec COMMAND. */
_Noreturn void aj_exec_command(struct aj_run *run);
