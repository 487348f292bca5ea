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

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"
#include "cleanup.h"

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
 * pid 1: reap everything, pass the command's status to the monitor the
 * moment it is known, forward signals the monitor sends, and exit when no
 * child is left (the kernel then ends the pid namespace).
 */
static _Noreturn void reap(pid_t command, int status_fd, int sfd)
{
	int code = 1;
	bool command_done = false;

	for (;;) {
		struct signalfd_siginfo si;
		ssize_t k = read(sfd, &si, sizeof(si));

		if (k < 0 && errno == EINTR)
			continue;
		if (k != sizeof(si))
			_exit(1);
		if (si.ssi_signo != SIGCHLD) {
			/* From the monitor (or anyone who could signal us): pass it on. */
			if (!command_done && si.ssi_code != SI_KERNEL)
				(void)kill(command, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);

			if (p == 0)
				break;
			if (p < 0) {
				if (errno == EINTR)
					continue;
				_exit(code); /* ECHILD: nothing left to reap */
			}
			if (p == command) {
				command_done = true;
				code = aj_exit_code(st);
				(void)aj_write_all(status_fd, &st, sizeof(st));
				(void)close(status_fd);
			}
		}
	}
}

static int signal_fd(void)
{
	sigset_t set;
	int sfd;

	aj_signal_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		(void)aj_err(-errno, "signalfd");
	return sfd;
}

/*
 * Not dumpable, so /proc/1/{mem,fd,exe} give the command nothing (the runc
 * CVE-2019-5736 class: writing the launcher's binary through /proc/1/exe).
 * Yet tools join a bwrap sandbox through the ns files of /proc/<child-pid> (--userns,
 * --pidns), and reading those of a process that is not dumpable takes
 * CAP_SYS_PTRACE in the user namespace its memory belongs to.  A forked
 * reaper's memory belongs to the caller's namespace, where the caller has no
 * such capability; so the reaper executes agentjail again: its new memory
 * belongs to the sandbox's namespace, where the caller (its owner) has every
 * capability and the command, without capabilities, has none.  (The entries
 * of such a /proc/1 then belong to the namespace's uid 0, so a command that
 * is uid 0 inside may list /proc/1/fd, though not follow it.)  Hardened runs
 * need no joining and keep the forked reaper, opaque to the command whatever
 * its uid; so do runs whose sandbox lacks the libraries agentjail needs, or
 * whose caller's seccomp program forbids execve.
 */
_Noreturn void aj_reaper(struct aj_run *run, pid_t command, const int *lock_fds)
{
	const struct aj_plan *plan = run->plan;
	_cleanup_free_ int *keep = calloc(plan->n_lock_files + 4, sizeof(int));
	char pid_s[16], fd_s[16], ready_s[16], *argv[8];
	size_t n = 0;
	int sfd;

	if (!keep)
		_exit(1);
	keep[n++] = run->status_wr;
	keep[n++] = run->self_exe_fd;
	keep[n++] = run->ready_wr;
	if (plan->sync_fd >= 0)
		keep[n++] = plan->sync_fd;
	for (size_t i = 0; i < plan->n_lock_files; i++)
		keep[n++] = lock_fds[i];
	(void)aj_close_fds_except(keep, n); /* best effort: all ours are CLOEXEC anyway */
	free(TAKE_PTR(keep)); /* the paths below end in exec or _exit(): no cleanup runs */
	if (aj_caps_drop_all() < 0)
		_exit(1);
	(void)prctl(PR_SET_DUMPABLE, 0);
	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (aj_seccomp_install(plan) < 0)
		_exit(1);

	/* Everything it holds crosses the exec: the sync fd, the locks, the status pipe. */
	if (!plan->hardened && run->self_exe_fd >= 0 && run->ready_wr >= 0 &&
	    aj_set_cloexec(run->status_wr, false) >= 0 && aj_set_cloexec(run->ready_wr, false) >= 0) {
		snprintf(pid_s, sizeof(pid_s), "%d", (int)command);
		snprintf(fd_s, sizeof(fd_s), "%d", run->status_wr);
		snprintf(ready_s, sizeof(ready_s), "%d", run->ready_wr);
		argv[0] = (char *)"agentjail-reaper";
		argv[1] = (char *)AJ_REAPER_ARG;
		argv[2] = pid_s;
		argv[3] = fd_s;
		argv[4] = (char *)(plan->die_with_parent ? "1" : "0");
		argv[5] = ready_s;
		argv[6] = NULL;
		if (plan->sync_fd >= 0)
			(void)aj_set_cloexec(plan->sync_fd, false);
		for (size_t i = 0; i < plan->n_lock_files; i++)
			(void)aj_set_cloexec(lock_fds[i], false);
		(void)execveat(run->self_exe_fd, "", argv, (char *[]){ NULL }, AT_EMPTY_PATH);
		/* A caller's --seccomp program may forbid it: reap from here. */
	}
	/* Not dumpable already: the command may go on (EOF tells it). */
	if (run->ready_wr >= 0)
		(void)close(run->ready_wr);
	sfd = signal_fd();
	if (sfd < 0)
		_exit(1);
	reap(command, run->status_wr, sfd);
}

int aj_reaper_main(int argc, char **argv)
{
	int fd, ready, sfd;
	long pid;
	char *end;

	if (argc != 6)
		return 1;
	pid = strtol(argv[2], &end, 10);
	if (*end || pid <= 0 || aj_parse_fd(argv[3], &fd) < 0 || aj_parse_fd(argv[5], &ready) < 0)
		return 1;
	(void)aj_set_cloexec(fd, true);
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return 1;
	/* From here /proc/1 gives the command nothing: let it go on. */
	(void)aj_write_all(ready, "r", 1);
	(void)close(ready);
	/* Exec gave a root reaper its capabilities back; it needs none. */
	if (aj_caps_drop_all() < 0)
		return 1;
	if (strcmp(argv[4], "1") == 0)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	sfd = signal_fd();
	if (sfd < 0)
		return 1;
	reap((pid_t)pid, fd, sfd);
}
