/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/reap.h"

/* Signals passed on to the command when sent to agentjail. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

void aj_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

int aj_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

int aj_reap_drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	/* Bounding and ambient first (they need the caps we are about to drop). */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the last capability this kernel knows */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int aj_reap_signalfd(void)
{
	sigset_t set;
	int sfd;

	aj_signal_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	return sfd < 0 ? -errno : sfd;
}

static void write_status(int fd, int st)
{
	const char *p = (const char *)&st;
	size_t left = sizeof(st);

	while (left > 0) {
		ssize_t k = write(fd, p, left);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return; /* the monitor is gone: nobody to tell */
		p += k;
		left -= (size_t)k;
	}
}

_Noreturn void aj_reap_loop(pid_t command, int status_fd, int sfd)
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
				write_status(status_fd, st);
				(void)close(status_fd);
			}
		}
	}
}
