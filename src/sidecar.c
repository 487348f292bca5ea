/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
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
