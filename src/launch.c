/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The launch, in three processes (bwrap's model, BWRAP-COMPAT.md 6):
 *
 *   monitor   the caller's process: clones the child into the new namespaces,
 *             writes its uid/gid maps, reports status, forwards signals and
 *             exits with the command's status as soon as the command ends;
 *   reaper    pid 1 of a new pid namespace (or a plain parent when --lock-file
 *             or --sync-fd ask for one): holds locks, reaps orphans, passes
 *             the command's status up, keeps no capability;
 *   command   pid 2 (or pid 1 with --as-pid-1): execs COMMAND.
 *
 * Setup happens in the cloned child before it forks the reaper, so every
 * failure stops the launch before the command exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/mount.h"
#include "agentjail/net.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"
#include "agentjail/status.h"
#include "agentjail/userns.h"
#include "cleanup.h"

extern char **environ;

/* Signals passed on to the command when sent to agentjail. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static void forward_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
		sigaddset(set, forwarded[i]);
	sigaddset(set, SIGCHLD);
}

/* An exit status in the shell's encoding: n, or 128 + signal. */
static int exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static bool has_op(const struct aj_plan *plan, enum aj_op_kind kind)
{
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].kind == kind)
			return true;
	return false;
}

/* ---- decisions before clone() ------------------------------------------- */

static int prepare(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	bool userns;

	run->host_uid = getuid();
	run->host_gid = getgid();
	run->privileged = run->host_uid == 0;
	run->ns = plan->unshare;

	/* Unprivileged, a user namespace is the only way in (bwrap adds it too). */
	if (!run->privileged && plan->userns_fd < 0)
		run->ns |= AJ_NS_USER;
	if (plan->unshare_user_try && plan->userns_fd < 0 && aj_userns_available())
		run->ns |= AJ_NS_USER;
	if (plan->unshare_cgroup_try && access("/proc/self/ns/cgroup", F_OK) == 0)
		run->ns |= AJ_NS_CGROUP;
	if ((plan->unshare & AJ_NS_CGROUP) && access("/proc/self/ns/cgroup", F_OK) < 0)
		return aj_errx(-EINVAL, "Cannot create new cgroup namespace because the kernel does "
					"not support it");
	userns = run->ns & AJ_NS_USER;

	if ((plan->uid_set || plan->gid_set) && !userns && plan->userns_fd < 0)
		return aj_errx(-EINVAL, "Specifying --%s requires --unshare-user or --userns",
			       plan->uid_set ? "uid" : "gid");
	run->uid = plan->uid_set ? plan->uid : run->host_uid;
	run->gid = plan->gid_set ? plan->gid : run->host_gid;
	run->nested_userns = userns && has_op(plan, AJ_OP_DEV) && (run->uid != 0 || run->gid != 0);
	run->new_procfs = (run->ns & AJ_NS_PID) || plan->pidns_fd >= 0;
	run->reaper = ((run->ns & AJ_NS_PID) && !plan->as_pid_1) || plan->n_lock_files > 0 ||
		      plan->sync_fd >= 0;

	if (plan->userns_fd >= 0 || plan->userns2_fd >= 0 || plan->pidns_fd >= 0 ||
	    plan->disable_userns || plan->assert_userns_disabled || plan->userns_block_fd >= 0)
		return aj_errx(-EOPNOTSUPP, "--userns, --userns2, --pidns, --userns-block-fd, "
					    "--disable-userns and --assert-userns-disabled are not "
					    "supported yet");
	run->cwd = getcwd(NULL, 0); /* NULL when deleted: then $HOME, then / */
	if (isatty(STDOUT_FILENO)) {
		const char *t = ttyname(STDOUT_FILENO);

		run->tty = t ? strdup(t) : NULL;
	}
	run->umask = umask(0);
	umask(run->umask);
	if (aj_caps_plan(run) < 0)
		return -EPERM;

	/* Always, as bwrap: setuid binaries and file caps inside give nothing. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return aj_err(-errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}

static int make_pipe(int *rd, int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return aj_err(-errno, "pipe");
	*rd = p[0];
	*wr = p[1];
	return 0;
}

static unsigned long clone_flags(unsigned ns)
{
	unsigned long f = CLONE_NEWNS;

	if (ns & AJ_NS_USER)
		f |= CLONE_NEWUSER;
	if (ns & AJ_NS_IPC)
		f |= CLONE_NEWIPC;
	if (ns & AJ_NS_PID)
		f |= CLONE_NEWPID;
	if (ns & AJ_NS_NET)
		f |= CLONE_NEWNET;
	if (ns & AJ_NS_UTS)
		f |= CLONE_NEWUTS;
	if (ns & AJ_NS_CGROUP)
		f |= CLONE_NEWCGROUP;
	return f;
}

/* fork() into new namespaces.  clone3 first; clone where it is missing. */
static pid_t clone_ns(unsigned long flags)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid < 0 && errno == ENOSYS)
		pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	return (pid_t)pid;
}

/* ---- the command and the reaper (inside) -------------------------------- */

static _Noreturn void die(void)
{
	_exit(1);
}

static int choose_cwd(struct aj_run *run)
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
		_cleanup_free_ int *keep = calloc(plan->n_keep_fds + 3, sizeof(int));
		size_t n = 0;

		if (!keep)
			return aj_err(-ENOMEM, "Out of memory");
		for (size_t i = 0; i < plan->n_keep_fds; i++)
			keep[n++] = plan->keep_fds[i];
		if (run->exec_wr >= 0)
			keep[n++] = run->exec_wr; /* close-on-exec: gone once exec succeeds */
		if (plan->as_pid_1 && plan->sync_fd >= 0)
			keep[n++] = plan->sync_fd;
		r = aj_close_fds_except(keep, n);
		if (r < 0)
			return aj_err(r, "close_range");
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

static _Noreturn void exec_command(struct aj_run *run, const sigset_t *oldmask)
{
	struct aj_plan *plan = run->plan;
	const char *file = plan->argv[0];
	char **argv = plan->argv;

	if (close_for_exec(run) < 0)
		die();
	if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		(void)aj_err(-errno, "prctl(PR_SET_PDEATHSIG)"), die();
	if (aj_seccomp_install(plan) < 0)
		die();
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (plan->argv0)
		argv[0] = plan->argv0;
	if (run->exec_wr >= 0)
		(void)aj_write_all(run->exec_wr, "x", 1); /* the monitor reads it only if present */
	environ = plan->env;
	execvp(file, argv);
	{
		int e = errno;

		if (run->exec_wr >= 0)
			(void)aj_write_all(run->exec_wr, "x", 1); /* a second byte: exec failed */
		aj_err(-e, "execvp %s", file);
	}
	die();
}

static int take_locks(const struct aj_plan *plan, int *fds)
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
static _Noreturn void reaper(struct aj_run *run, pid_t command, const int *lock_fds)
{
	const struct aj_plan *plan = run->plan;
	_cleanup_free_ int *keep = calloc(plan->n_lock_files + 3, sizeof(int));
	int code = 1, sfd;
	bool command_done = false;
	sigset_t set;
	size_t n = 0;

	if (!keep)
		die();
	forward_set(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		(void)aj_err(-errno, "signalfd"), die();
	keep[n++] = sfd;
	keep[n++] = run->status_wr;
	if (plan->sync_fd >= 0)
		keep[n++] = plan->sync_fd;
	for (size_t i = 0; i < plan->n_lock_files; i++)
		keep[n++] = lock_fds[i];
	(void)aj_close_fds_except(keep, n); /* best effort: all ours are CLOEXEC anyway */
	if (aj_caps_drop_all() < 0)
		die();
	(void)prctl(PR_SET_DUMPABLE, 0); /* /proc/1/{mem,fd,exe} give the command nothing */
	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (aj_seccomp_install(plan) < 0)
		die();

	for (;;) {
		struct signalfd_siginfo si;
		ssize_t k = read(sfd, &si, sizeof(si));

		if (k < 0 && errno == EINTR)
			continue;
		if (k != sizeof(si))
			die();
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
				code = exit_code(st);
				(void)aj_write_all(run->status_wr, &st, sizeof(st));
				(void)close(run->status_wr);
			}
		}
	}
}

static _Noreturn void child_main(struct aj_run *run, const sigset_t *oldmask)
{
	struct aj_plan *plan = run->plan;
	char go;
	ssize_t k;

	(void)close(run->go_wr);
	if (run->status_rd >= 0)
		(void)close(run->status_rd);
	if (run->exec_rd >= 0)
		(void)close(run->exec_rd);
	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);

	/* Wait until the monitor has written our id maps (or gave up). */
	do
		k = read(run->go_rd, &go, 1);
	while (k < 0 && errno == EINTR);
	if (k != 1)
		die();
	(void)close(run->go_rd);

	if ((run->ns & AJ_NS_NET) && aj_net_loopback_up() < 0)
		die();
	umask(0); /* modes asked for are modes given */
	if (aj_mount_build_root(run) < 0)
		die();
	if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
		(void)aj_err(-errno, "sethostname"), die();
	if (run->nested_userns && aj_userns_enter_nested(run) < 0)
		die();
	if (aj_caps_drop(run) < 0)
		die();
	if (plan->block_fd >= 0) {
		char b;

		do
			k = read(plan->block_fd, &b, 1);
		while (k < 0 && errno == EINTR);
		(void)close(plan->block_fd); /* a byte or EOF both release us */
	}
	if (aj_seccomp_read_late(plan) < 0)
		die();
	umask(run->umask);
	if (choose_cwd(run) < 0)
		die();
	if (plan->new_session && setsid() < 0)
		(void)aj_err(-errno, "setsid"), die();

	if (run->reaper) {
		_cleanup_free_ int *lock_fds = calloc(plan->n_lock_files + 1, sizeof(int));
		pid_t pid;

		if (!lock_fds || take_locks(plan, lock_fds) < 0)
			die();
		pid = fork();
		if (pid < 0)
			(void)aj_err(-errno, "fork"), die();
		if (pid > 0) {
			if (run->exec_wr >= 0)
				(void)close(run->exec_wr);
			reaper(run, pid, lock_fds);
		}
		(void)close(run->status_wr);
	}
	exec_command(run, oldmask);
}

/* ---- the monitor (outside) ---------------------------------------------- */

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
	int code = exit_code(wstatus);

	if (command_was_execd(run))
		(void)aj_status_write_exit(run, code);
	return code;
}

static int monitor(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	_cleanup_close_ int sfd = -EBADF;
	sigset_t set;

	forward_set(&set);
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

static void close_pair(int *a, int *b)
{
	aj_closep(a);
	aj_closep(b);
	*a = *b = -EBADF;
}

int aj_launch(struct aj_plan *plan, bool bwrap)
{
	struct aj_run run = {
		.plan = plan, .bwrap = bwrap,
		.go_rd = -EBADF, .go_wr = -EBADF, .status_rd = -EBADF, .status_wr = -EBADF,
		.exec_rd = -EBADF, .exec_wr = -EBADF, .child_pidfd = -EBADF,
	};
	sigset_t set, oldmask;
	int r, code;

	r = prepare(&run);
	if (r < 0)
		return 1;
	if (make_pipe(&run.go_rd, &run.go_wr) < 0 ||
	    (run.reaper && make_pipe(&run.status_rd, &run.status_wr) < 0) ||
	    (plan->json_status_fd >= 0 && make_pipe(&run.exec_rd, &run.exec_wr) < 0))
		return 1;
	/* Read only once the command is gone; never wait on it. */
	if (run.exec_rd >= 0 && fcntl(run.exec_rd, F_SETFL, O_NONBLOCK) < 0)
		return aj_err(-errno, "fcntl"), 1;

	/* Blocked from before the clone, so no signal is lost in between. */
	forward_set(&set);
	sigprocmask(SIG_BLOCK, &set, &oldmask);

	run.child = clone_ns(clone_flags(run.ns));
	if (run.child < 0) {
		aj_userns_explain_failure(errno, run.ns);
		return 1;
	}
	if (run.child == 0)
		child_main(&run, &oldmask);

	aj_closep(&run.go_rd);
	aj_closep(&run.status_wr);
	aj_closep(&run.exec_wr);
	run.go_rd = run.status_wr = run.exec_wr = -EBADF;

	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = 0;
	if (run.ns & AJ_NS_USER)
		r = aj_userns_write_maps(&run, run.child);
	if (r >= 0)
		r = aj_status_write_start(&run);
	if (r < 0) {
		/* Closing the go pipe unwritten makes the child give up. */
		close_pair(&run.go_rd, &run.go_wr);
		(void)waitpid(run.child, NULL, 0);
		return 1;
	}
	if (aj_write_all(run.go_wr, "g", 1) < 0) {
		(void)waitpid(run.child, NULL, 0);
		return 1;
	}
	aj_closep(&run.go_wr);
	run.go_wr = -EBADF;

	code = monitor(&run);
	free(run.cwd);
	free(run.tty);
	return code < 0 ? 1 : code;
}
