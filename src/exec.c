/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The last steps of the command's process: working directory, the fds it
 * may keep, the signal mask it had, and execvp() with the plan's environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/observe.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"
#include "cleanup.h"

extern char **environ;

int aj_exec_choose_cwd(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	const char *home = aj_plan_getenv(plan, "HOME");
	const char *cwd;

	if (plan->chdir) {
		if (chdir(plan->chdir) < 0)
			return aj_err(-errno, "Can't chdir to %s", plan->chdir);
		cwd = plan->chdir;
	} else if (run->cwd && chdir(run->cwd) == 0)
		cwd = run->cwd;
	else if (home && chdir(home) == 0)
		cwd = home;
	else {
		if (chdir("/") < 0)
			return aj_err(-errno, "Can't chdir to /");
		cwd = "/";
	}
	/* The child's copy of the plan; the monitor's is untouched. */
	if (aj_plan_setenv(plan, "PWD", cwd) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

/* Close what the command must not inherit. */
static int close_for_exec(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	int r;

	if (!plan->inherit_fds) {
		/* agentjail: nothing but stdio, --keep-fd and (with --as-pid-1) --sync-fd. */
		_cleanup_free_ int *keep = calloc(plan->n_keep_fds + 4, sizeof(int));
		size_t n = 0;

		if (!keep)
			return aj_err(-ENOMEM, "Out of memory");
		for (size_t i = 0; i < plan->n_keep_fds; i++)
			keep[n++] = plan->keep_fds[i];
		if (run->exec_wr >= 0)
			keep[n++] = run->exec_wr; /* close-on-exec: gone once exec succeeds */
		if (plan->exec_fd >= 0)
			keep[n++] = plan->exec_fd; /* likewise */
		if (plan->as_pid_1 && plan->sync_fd >= 0)
			keep[n++] = plan->sync_fd;
		r = aj_close_fds_except(keep, n);
		if (r < 0)
			return aj_err(r, "close_range");
		/* Passed on means open after exec, also for fds we made ourselves (--check). */
		for (size_t i = 0; i < plan->n_keep_fds; i++)
			if ((r = aj_set_cloexec(plan->keep_fds[i], false)) < 0)
				return aj_err(r, "--keep-fd %d", plan->keep_fds[i]);
		return 0;
	}
	/* bwrap: inherited fds pass through; the ones it consumed do not. */
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].fd >= 0)
			(void)close(plan->ops[i].fd);
	if (plan->info_fd >= 0)
		(void)close(plan->info_fd);
	if (plan->json_status_fd >= 0)
		(void)close(plan->json_status_fd);
	if (plan->sync_fd >= 0 && !plan->as_pid_1)
		(void)close(plan->sync_fd);
	return 0;
}

_Noreturn void aj_exec_command(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	const char *file = plan->argv[0];
	char **argv = plan->argv;

	/* Before the fds go: the observer's socket is one of them. */
	if (aj_observe_install(run) < 0 || close_for_exec(run) < 0)
		_exit(1);
	if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		(void)aj_err(-errno, "prctl(PR_SET_PDEATHSIG)");
		_exit(1);
	}
	if (aj_seccomp_install(plan) < 0)
		_exit(1);
	sigprocmask(SIG_SETMASK, &run->oldmask, NULL);
	if (plan->argv0)
		argv[0] = plan->argv0;
	if (run->exec_wr >= 0)
		(void)aj_write_all(run->exec_wr, "x", 1); /* the monitor reads it only if present */
	environ = plan->env;
	if (plan->exec_fd >= 0)
		/* A program agentjail brought along (--check): no path inside is needed. */
		(void)execveat(plan->exec_fd, "", argv, environ, AT_EMPTY_PATH);
	else
		execvp(file, argv);
	{
		int e = errno;

		if (run->exec_wr >= 0)
			(void)aj_write_all(run->exec_wr, "x", 1); /* a second byte: exec failed */
		aj_err(-e, "execvp %s", file);
	}
	_exit(1);
}
