/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The reaper: pid 1 of the sandbox's pid namespace (or, with --lock-file or
 * --sync-fd, a plain parent of the command).  It holds the locks and the
 * sync fd for the sandbox's lifetime and keeps no capability.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
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
_Noreturn void aj_reaper(struct aj_run *run, pid_t command, const int *lock_fds)
{
	const struct aj_plan *plan = run->plan;
	_cleanup_free_ int *keep = calloc(plan->n_lock_files + 3, sizeof(int));
	int code = 1, sfd;
	bool command_done = false;
	sigset_t set;
	size_t n = 0;

	if (!keep)
		_exit(1);
	aj_signal_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		(void)aj_err(-errno, "signalfd");
		_exit(1);
	}
	keep[n++] = sfd;
	keep[n++] = run->status_wr;
	if (plan->sync_fd >= 0)
		keep[n++] = plan->sync_fd;
	for (size_t i = 0; i < plan->n_lock_files; i++)
		keep[n++] = lock_fds[i];
	(void)aj_close_fds_except(keep, n); /* best effort: all ours are CLOEXEC anyway */
	free(TAKE_PTR(keep)); /* the loop below ends in _exit(): no cleanup runs there */
	if (aj_caps_drop_all() < 0)
		_exit(1);
	(void)prctl(PR_SET_DUMPABLE, 0); /* /proc/1/{mem,fd,exe} give the command nothing */
	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (aj_seccomp_install(plan) < 0)
		_exit(1);

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
				(void)aj_write_all(run->status_wr, &st, sizeof(st));
				(void)close(run->status_wr);
			}
		}
	}
}
