/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The monitor: the caller's own process once the sandbox runs.  It waits for
 * the command's status (from the reaper, or from the child itself), passes
 * signals on, writes the final status JSON and returns the exit code.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/reap.h"
#include "agentjail/status.h"
#include "cleanup.h"

/* Read the command's wait status from the reaper, if it has sent one. */
static bool read_status(struct aj_run *run, int *ret_wstatus)
{
	int st;
	ssize_t k;

	if (run->status_rd < 0)
		return false;
	do
		k = read(run->status_rd, &st, sizeof(st));
	while (k < 0 && errno == EINTR);
	if (k != sizeof(st))
		return false;
	*ret_wstatus = st;
	return true;
}

/* The command was exec'd iff exactly one byte arrived before EOF. */
static bool command_was_execd(struct aj_run *run)
{
	char b[2];
	ssize_t k;

	if (run->exec_rd < 0)
		return false;
	do
		k = read(run->exec_rd, b, sizeof(b));
	while (k < 0 && errno == EINTR);
	return k == 1;
}

static int finish(struct aj_run *run, int wstatus)
{
	int code = aj_exit_code(wstatus);

	run->wstatus = wstatus;
	run->execd = command_was_execd(run);
	if (run->execd)
		(void)aj_status_write_exit(run, code);
	return code;
}

int aj_monitor(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	_cleanup_close_ int sfd = -EBADF;
	sigset_t set;

	aj_signal_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return aj_err(-errno, "signalfd");

	for (;;) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
					 { .fd = run->status_rd, .events = POLLIN } };
		struct signalfd_siginfo si;
		int st;

		if (poll(pfd, run->status_rd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return aj_err(-errno, "poll");
		}
		if (run->status_rd >= 0 && pfd[1].revents) {
			if (read_status(run, &st))
				return finish(run, st);
			/* EOF without a status: the reaper died; its own exit tells. */
			(void)close(run->status_rd);
			run->status_rd = -EBADF;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			pid_t p;

			if (si.ssi_signo != SIGCHLD) {
				/*
				 * A terminal's signals reach the command directly (same
				 * process group) unless it runs in its own session.
				 */
				if (si.ssi_code != SI_KERNEL || plan->new_session)
					(void)kill(run->child, (int)si.ssi_signo);
				continue;
			}
			if (run->proxy_pid > 0 &&
			    waitpid(run->proxy_pid, &st, WNOHANG) == run->proxy_pid) {
				/* Exit status 0: it saw the setup fail, which is reported already. */
				if (st != 0)
					aj_warn("proxy: ended unexpectedly (%s %d): the sandbox has no "
						"network any more", WIFSIGNALED(st) ? "signal" : "status",
						WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				run->proxy_pid = 0;
			}
			p = waitpid(run->child, &st, WNOHANG);
			if (p == run->child) {
				int cst;

				if (read_status(run, &cst))
					return finish(run, cst);
				return finish(run, st);
			}
		}
	}
}
