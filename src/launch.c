/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The launch, in three processes (bwrap's model, BWRAP-COMPAT.md 6):
 *
 *   monitor   the caller's process: clones the child into the new namespaces,
 *             writes its uid/gid maps, reports status, forwards signals and
 *             exits with the command's status as soon as the command ends
 *             (monitor.c);
 *   reaper    pid 1 of a new pid namespace (or a plain parent when --lock-file
 *             or --sync-fd ask for one): holds locks, reaps orphans, passes
 *             the command's status up, keeps no capability (reaper.c);
 *   command   pid 2 (or pid 1 with --as-pid-1): execs COMMAND (exec.c).
 *
 * The cloned child runs the setup stages below, in order, before it forks
 * the reaper, so every failure stops the launch before the command exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/landlock.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/mount.h"
#include "agentjail/net.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"
#include "agentjail/status.h"
#include "agentjail/userns.h"
#include "agentjail/walls.h"
#include "cleanup.h"

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
	if (plan->net_mode == AJ_NET_NONE || plan->net_mode == AJ_NET_PROXY)
		run->ns |= AJ_NS_NET;
	else if (plan->net_mode == AJ_NET_HOST)
		run->ns &= ~AJ_NS_NET;
	if (plan->net_mode == AJ_NET_PROXY)
		/* Fail closed until the proxy exists: the namespace has loopback only. */
		aj_warn("--net proxy: the proxy is not available in this build; the network is off");
	/* May add a user namespace (root mapped away), so before its consequences. */
	if (aj_walls_prepare(run) < 0)
		return -EPERM;
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

/* ---- the setup child (inside) ------------------------------------------ */

static int stage_wait_go(struct aj_run *run)
{
	char go;
	ssize_t k;

	(void)close(run->go_wr);
	if (run->status_rd >= 0)
		(void)close(run->status_rd);
	if (run->exec_rd >= 0)
		(void)close(run->exec_rd);
	if (run->plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The monitor writes our id maps first (or gives up and closes the pipe). */
	do
		k = read(run->go_rd, &go, 1);
	while (k < 0 && errno == EINTR);
	(void)close(run->go_rd);
	return k == 1 ? 0 : -EPIPE;
}

static int stage_loopback(struct aj_run *run)
{
	return (run->ns & AJ_NS_NET) ? aj_net_loopback_up() : 0;
}

static int stage_mounts(struct aj_run *run)
{
	umask(0); /* modes asked for are modes given; restored before exec */
	return aj_mount_build_root(run);
}

static int stage_hostname(struct aj_run *run)
{
	const char *h = run->plan->hostname;

	if (h && sethostname(h, strlen(h)) < 0)
		return aj_err(-errno, "Can't set hostname to %s", h);
	return 0;
}

static int stage_nested_userns(struct aj_run *run)
{
	return run->nested_userns ? aj_userns_enter_nested(run) : 0;
}

static int stage_caps(struct aj_run *run)
{
	return aj_caps_drop(run);
}

static int stage_block_fd(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	char b;
	ssize_t k;

	if (plan->block_fd < 0)
		return 0;
	do
		k = read(plan->block_fd, &b, 1);
	while (k < 0 && errno == EINTR);
	(void)close(plan->block_fd); /* a byte or EOF both release us */
	plan->block_fd = -EBADF;
	return 0;
}

static int stage_seccomp_read(struct aj_run *run)
{
	return aj_seccomp_read_late(run->plan);
}

static int stage_cwd(struct aj_run *run)
{
	umask(run->umask);
	return aj_exec_choose_cwd(run);
}

static int stage_session(struct aj_run *run)
{
	if (run->plan->new_session && setsid() < 0)
		return aj_err(-errno, "setsid");
	return 0;
}

/* Inherited by the reaper, and by the command until its exec: /proc/1 gives nothing. */
static int stage_not_dumpable(struct aj_run *run)
{
	(void)run;
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return aj_err(-errno, "prctl(PR_SET_DUMPABLE)");
	return 0;
}

/*
 * Order matters: the mounts need the capabilities the new user namespace
 * gives, so they come before the capability drop; the hostname and the
 * loopback need the namespaces' owner, so they come before entering the
 * inner user namespace; a root caller leaves host uid 0 before touching any
 * host path, so the setup reaches only what the mapped uid may; Landlock
 * needs the final paths, so it follows the mounts; the process stops being
 * dumpable once nothing writes /proc/self any more; seccomp is installed
 * last, just before exec (exec.c), so the setup itself is never filtered.
 */
static const struct aj_stage {
	const char *name;
	int (*run)(struct aj_run *run);
} child_stages[] = {
	{ "wait for the id maps", stage_wait_go },
	{ "host identity", aj_userns_switch_ids },
	{ "loopback", stage_loopback },
	{ "mounts", stage_mounts },
	{ "hostname", stage_hostname },
	{ "inner user namespace", stage_nested_userns },
	{ "landlock", aj_landlock_apply },
	{ "capabilities", stage_caps },
	{ "block fd", stage_block_fd },
	{ "seccomp fd", stage_seccomp_read },
	{ "working directory", stage_cwd },
	{ "session", stage_session },
	{ "not dumpable", stage_not_dumpable },
};

/* A stage that fails has logged why; nothing half-built runs a command. */
static _Noreturn void child_main(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;

	for (size_t i = 0; i < ELEMENTSOF(child_stages); i++)
		if (child_stages[i].run(run) < 0)
			_exit(1);

	if (run->reaper) {
		_cleanup_free_ int *lock_fds = calloc(plan->n_lock_files + 1, sizeof(int));
		pid_t pid;

		if (!lock_fds || aj_reaper_take_locks(plan, lock_fds) < 0)
			_exit(1);
		pid = fork();
		if (pid < 0) {
			aj_err(-errno, "fork");
			_exit(1);
		}
		if (pid > 0) {
			if (run->exec_wr >= 0)
				(void)close(run->exec_wr);
			aj_reaper(run, pid, lock_fds);
		}
		(void)close(run->status_wr);
	}
	aj_exec_command(run);
}

/* ---- the monitor (outside) ---------------------------------------------- */

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
	sigset_t set;
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
	aj_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, &run.oldmask);

	run.child = clone_ns(clone_flags(run.ns));
	if (run.child < 0) {
		aj_userns_explain_failure(errno, run.ns);
		return 1;
	}
	if (run.child == 0)
		child_main(&run);

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

	code = aj_monitor(&run);
	free(run.cwd);
	free(run.tty);
	return code < 0 ? 1 : code;
}
