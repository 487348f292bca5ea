/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail-reaper: the sandbox's pid 1, executed by the reaper agentjail
 * forks (reaper.c says why).  Static and small: it runs inside the sandbox,
 * which may hold none of agentjail's libraries, under the sandbox's limits.
 *
 *   agentjail-reaper COMMAND-PID STATUS-FD DIE-WITH-PARENT(0|1) READY-FD
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agentjail/reap.h"

static int number(const char *s, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int main(int argc, char **argv)
{
	long pid, status_fd, ready_fd;
	int sfd;

	if (argc != 5 || number(argv[1], 0x7fffffff, &pid) < 0 || pid == 0 ||
	    number(argv[2], 0x7fffffff, &status_fd) < 0 || number(argv[4], 0x7fffffff, &ready_fd) < 0)
		return 2;
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return 1;
	/* From here /proc/1 gives the command nothing: let it go on. */
	(void)write((int)ready_fd, "r", 1);
	(void)close((int)ready_fd);
	(void)fcntl((int)status_fd, F_SETFD, FD_CLOEXEC);
	/* Executing gave a root reaper its capabilities back; it needs none. */
	if (aj_reap_drop_caps() < 0)
		return 1;
	if (strcmp(argv[3], "1") == 0)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	sfd = aj_reap_signalfd();
	if (sfd < 0)
		return 1;
	aj_reap_loop((pid_t)pid, (int)status_fd, sfd);
}
