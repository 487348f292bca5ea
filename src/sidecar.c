/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/log.h"
#include "agentjail/sidecar.h"

void aj_sidecar_begin(const char *name, int *keep, size_t n_keep)
{
	sigset_t set;
	int null;

	(void)prctl(PR_SET_NAME, name);
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* Nothing of the caller's or the plan's (--sync-fd, --info-fd, ...) stays open. */
	(void)aj_close_fds_except(keep, n_keep);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		(void)dup2(null, STDIN_FILENO);
		(void)dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			(void)close(null);
	}
	if (aj_caps_drop_all() < 0)
		_exit(1);
}

int aj_sidecar_receive(const char *name, int sock, int *ret_signal_fd)
{
	sigset_t set;
	int fd = aj_recv_fd(sock);

	(void)close(sock);
	if (fd < 0)
		_exit(0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*ret_signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*ret_signal_fd < 0) {
		aj_err(-errno, "%s: signalfd", name);
		_exit(1);
	}
	return fd;
}

void aj_sidecar_stop(pid_t pid, int pidfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	(void)kill(pid, SIGTERM);
	if (pidfd < 0 || poll(&pfd, 1, timeout_ms) <= 0)
		(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}
