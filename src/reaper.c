/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The reaper: pid 1 of the sandbox's pid namespace (or, with --lock-file or
 * --sync-fd, a plain parent of the command).  It holds the locks and the
 * sync fd for the sandbox's lifetime and keeps no capability.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"
#include "agentjail/reap.h"
#include "cleanup.h"
#include "config.h"

int aj_reaper_take_locks(const struct aj_plan *plan, int *fds)
{
	for (size_t i = 0; i < plan->n_lock_files; i++) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };

		fds[i] = open(plan->lock_files[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return aj_err(-errno, "Unable to open lock file %s", plan->lock_files[i]);
		if (fcntl(fds[i], F_SETLK, &fl) < 0)
			return aj_err(-errno, "Unable to lock file %s", plan->lock_files[i]);
	}
	return 0;
}

/*
 * The command must not reach pid 1 through /proc/1/{mem,fd,exe} or ptrace
 * (the runc CVE-2019-5736 class: writing the launcher's binary through
 * /proc/1/exe).  Yet tools join a bwrap sandbox through the ns files of
 * /proc/<child-pid> (--userns, --pidns), which takes the same access.
 *
 * - Hardened runs need no joining: the forked reaper is not dumpable,
 *   opaque to the command whatever its uid.
 * - bwrap-compatible runs with a pid namespace of their own, where Landlock
 *   can: the reaper stays dumpable, as bwrap's does, and the command is
 *   fenced off by a Landlock domain of its own (landlock.c), which the
 *   kernel checks before anything else.  It costs nothing.
 * - Otherwise the reaper executes the small static agentjail-reaper:
 *   reading the ns files of a process that is not dumpable takes
 *   CAP_SYS_PTRACE in the user namespace its memory belongs to; a forked
 *   reaper's memory belongs to the caller's namespace, where the caller has
 *   no such capability, an executed one's to the sandbox's, where the caller
 *   (its owner) has every capability and the command, without capabilities,
 *   none.  (The entries of such a /proc/1 belong to the namespace's uid 0,
 *   so a command that is uid 0 inside may list /proc/1/fd, though not
 *   follow it.)  It costs an exec (about 1.5 ms) before the command starts.
 *   Without the program, or when the caller's seccomp program forbids
 *   execve, the forked reaper serves, not dumpable.
 */
_Noreturn void aj_reaper(struct aj_run *run, pid_t command, const int *lock_fds, int *keep)
{
	const struct aj_plan *plan = run->plan;
	bool fenced = run->fence_fd >= 0; /* closed below, with the rest */
	char pid_s[16], fd_s[16], ready_s[16], *argv[6];
	size_t n = 0;
	int sfd;

	/*
	 * Nothing here allocates: the command may have just borrowed this
	 * memory (launch.c), and under a memory limit a sanitizer's allocator
	 * would find none left.  keep has room for n_lock_files + 4 fds.
	 */
	keep[n++] = run->status_wr;
	keep[n++] = run->reaper_exe_fd;
	keep[n++] = run->ready_wr;
	if (plan->sync_fd >= 0)
		keep[n++] = plan->sync_fd;
	for (size_t i = 0; i < plan->n_lock_files; i++)
		keep[n++] = lock_fds[i];
	(void)aj_close_fds_except(keep, n); /* best effort: all ours are CLOEXEC anyway */
	if (aj_reap_drop_caps() < 0)
		_exit(1);
	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (aj_seccomp_install(plan) < 0)
		_exit(1);

	/* What it holds crosses the exec: the sync fd, the locks, the status pipe. */
	if (!plan->hardened && run->reaper_exe_fd >= 0 && run->ready_wr >= 0 &&
	    aj_set_cloexec(run->status_wr, false) >= 0 && aj_set_cloexec(run->ready_wr, false) >= 0) {
		snprintf(pid_s, sizeof(pid_s), "%d", (int)command);
		snprintf(fd_s, sizeof(fd_s), "%d", run->status_wr);
		snprintf(ready_s, sizeof(ready_s), "%d", run->ready_wr);
		argv[0] = (char *)"agentjail-reaper";
		argv[1] = pid_s;
		argv[2] = fd_s;
		argv[3] = (char *)(plan->die_with_parent ? "1" : "0");
		argv[4] = ready_s;
		argv[5] = NULL;
		if (plan->sync_fd >= 0)
			(void)aj_set_cloexec(plan->sync_fd, false);
		for (size_t i = 0; i < plan->n_lock_files; i++)
			(void)aj_set_cloexec(lock_fds[i], false);
		(void)execveat(run->reaper_exe_fd, "", argv, (char *[]){ NULL }, AT_EMPTY_PATH);
	}
	/*
	 * Dumpable until here, so that the owner can join /proc/PID/ns while
	 * the exec above happens; the command waits on ready_wr meanwhile.
	 * Behind a fence the command cannot reach it anyway: it stays so.
	 */
	if (!fenced && prctl(PR_SET_DUMPABLE, 0) < 0)
		_exit(1);
	/* Now the command may go on (EOF tells it). */
	if (run->ready_wr >= 0)
		(void)close(run->ready_wr);
	sfd = aj_reap_signalfd();
	if (sfd < 0)
		_exit(1);
	aj_reap_loop(command, run->status_wr, sfd);
}

/*
 * agentjail-reaper lives next to agentjail in a build tree, in
 * AJ_LIBEXECDIR once installed.  Without it the forked reaper serves.
 */
int aj_reaper_open_program(void)
{
	char self[4096], path[4200];
	ssize_t k = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int fd;

	if (k > 0) {
		char *slash;

		self[k] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/agentjail-reaper", self);
			fd = open(path, O_PATH | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
	}
	fd = open(AJ_LIBEXECDIR "/agentjail-reaper", O_PATH | O_CLOEXEC);
	return fd >= 0 ? fd : -EBADF;
}
