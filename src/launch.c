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

#include "agentjail/audit.h"
#include "agentjail/caps.h"
#include "agentjail/fdutil.h"
#include "agentjail/landlock.h"
#include "agentjail/launch.h"
#include "agentjail/limits.h"
#include "agentjail/log.h"
#include "agentjail/mount.h"
#include "agentjail/net.h"
#include "agentjail/observe.h"
#include "agentjail/plan.h"
#include "agentjail/reap.h"
#include "agentjail/proxy.h"
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

/* Provided by the sanitizer runtime in -Db_sanitize builds, absent otherwise. */
extern void __lsan_do_leak_check(void) __attribute__((weak));

/*
 * AddressSanitizer's vfork() clears the shadow of the stack the child used
 * with a fresh mapping, which RLIMIT_DATA (--limit-memory) then refuses to
 * pid 1: sanitizer builds fork instead (start_command).
 */
#if defined(__SANITIZE_ADDRESS__)
#define AJ_CAN_VFORK 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AJ_CAN_VFORK 0
#endif
#endif
#ifndef AJ_CAN_VFORK
#define AJ_CAN_VFORK 1
#endif

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
	if (plan->net_mode == AJ_NET_PROXY && aj_proxy_prepare(run) < 0)
		return -EINVAL;
	/* May add a user namespace (root mapped away), so before its consequences. */
	if (aj_walls_prepare(run) < 0)
		return -EPERM;
	userns = run->ns & AJ_NS_USER;

	if ((plan->uid_set || plan->gid_set) && !userns && plan->userns_fd < 0)
		return aj_errx(-EINVAL, "Specifying --%s requires --unshare-user or --userns",
			       plan->uid_set ? "uid" : "gid");
	run->uid = plan->uid_set ? plan->uid : run->host_uid;
	run->gid = plan->gid_set ? plan->gid : run->host_gid;
	/*
	 * An inner user namespace holds the command when /dev needs devpts
	 * (mounted as uid 0, see userns.c) or when --disable-userns must cap
	 * the outer one.  Ids are unknown with --userns-block-fd: someone else
	 * writes the maps, so nothing is nested then.
	 */
	run->setup_uid = run->uid;
	run->setup_gid = run->gid;
	if (userns && plan->userns_block_fd < 0 && has_op(plan, AJ_OP_DEV) &&
	    (run->uid != 0 || run->gid != 0)) {
		run->nested_userns = true;
		run->setup_uid = run->setup_gid = 0;
	}
	if (plan->disable_userns)
		run->nested_userns = true;
	run->new_procfs = (run->ns & AJ_NS_PID) || plan->pidns_fd >= 0;
	run->reaper = ((run->ns & AJ_NS_PID) && !plan->as_pid_1) || plan->n_lock_files > 0 ||
		      plan->sync_fd >= 0;

	/* /proc as the caller sees it: the setup needs it once / is replaced. */
	run->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (run->proc_fd < 0)
		return aj_err(-errno, "Can't open /proc");
	/*
	 * In a bwrap-compatible run pid 1 must be joinable through
	 * /proc/<child-pid>/ns, yet out of the command's reach (reaper.c).  A
	 * Landlock fence around the command does both at no cost; without one
	 * the reaper executes agentjail-reaper from inside, where it need not be.
	 */
	if (run->reaper && !plan->hardened) {
		if ((run->ns & AJ_NS_PID) && plan->pidns_fd < 0 && !plan->no_fence)
			run->fence_fd = aj_landlock_fence_open(run->privileged);
		if (run->fence_fd < 0)
			run->reaper_exe_fd = aj_reaper_open_program();
	}
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

/*
 * fork() into new namespaces.  clone3 first; clone where it is missing.  With
 * a cgroup the child starts in it (Linux 5.7, older than our 5.12 baseline),
 * so not one instruction of the sandbox runs outside its limits.
 */
static pid_t clone_ns(unsigned long flags, int cgroup_fd)
{
	struct clone_args args = { .flags = flags, .exit_signal = SIGCHLD };
	long pid;

	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == ENOSYS && cgroup_fd < 0)
		pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	return (pid_t)pid;
}

/* ---- the setup child (inside) ------------------------------------------ */

/* The audit log, the proxy's decisions and the cgroup belong to the monitor. */
static int stage_monitor_fds(struct aj_run *run)
{
	aj_closep(&run->audit_fd);
	aj_closep(&run->netlog_fd);
	aj_closep(&run->cgroup_fd);
	run->audit_fd = run->netlog_fd = run->cgroup_fd = -EBADF;
	aj_observe_child_close(run);
	return 0;
}

static int stage_wait_go(struct aj_run *run)
{
	char go;
	ssize_t k;

	(void)close(run->go_wr);
	/* The monitor owns the status fds: a reader waiting for EOF must get it. */
	aj_closep(&run->plan->info_fd);
	aj_closep(&run->plan->json_status_fd);
	run->plan->info_fd = run->plan->json_status_fd = -EBADF;
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

static int stage_proxy_socket(struct aj_run *run)
{
	return aj_proxy_listen_inside(run);
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

/* --disable-userns: the outer namespace allows exactly one more, the inner one. */
static int stage_userns_limit(struct aj_run *run)
{
	int r;

	if (!run->plan->disable_userns)
		return 0;
	/* Opened from inside the new namespace: it is that namespace's limit. */
	r = aj_write_file(run->proc_fd, "sys/user/max_user_namespaces", "1");
	if (r < 0)
		return aj_err(r, "Can't set max_user_namespaces for --disable-userns");
	return 0;
}

/* In a joined namespace (--userns), take the ids asked for with --uid/--gid. */
static int stage_ids(struct aj_run *run)
{
	if (run->plan->userns_fd < 0 || (!run->plan->uid_set && !run->plan->gid_set))
		return 0;
	return aj_userns_take_joined_ids(run);
}

static int stage_userns2(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;

	if (plan->userns2_fd >= 0 && setns(plan->userns2_fd, CLONE_NEWUSER) < 0)
		return aj_err(-errno, "Setting userns2 failed");
	return 0;
}

/* --disable-userns and --assert-userns-disabled: try, and fail if it works. */
static int stage_userns_check(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	pid_t pid;
	int st;

	if (!plan->disable_userns && !plan->assert_userns_disabled)
		return 0;
	/* Try in a throwaway child: success must not change our own namespace. */
	pid = fork();
	if (pid < 0)
		return aj_err(-errno, "fork");
	if (pid == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
	if (waitpid(pid, &st, 0) < 0)
		return aj_err(-errno, "waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return aj_errx(-EPERM, "creation of new user namespaces was not disabled as requested");
	return 0;
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

/*
 * Inherited by the reaper, and by the command until its exec: their /proc
 * entries give nothing.  When pid 1 must stay joinable (reaper.c) the fork
 * below sets it instead, on each side at its time: the caller may read
 * child-pid from --info-fd and join /proc/PID/ns at once, as with bwrap.
 */
static int stage_not_dumpable(struct aj_run *run)
{
	if (run->reaper && (run->fence_fd >= 0 || run->reaper_exe_fd >= 0))
		return 0;
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
 * dumpable once nothing writes /proc/self any more; the seccomp filter is
 * built first, by this child while the monitor writes the id maps
 * (libseccomp's pages stay out of the monitor, which waits all along), and
 * installed last, just before exec (exec.c), so the setup itself is never
 * filtered.
 * The monitor's own files are closed before anything else.  The pid
 * namespace's pid_max is written through the host's /proc, before the
 * mounts hide it; the rlimits come after the mounts (which they must not
 * constrain) and before the inner user namespace (whose RLIMIT_NPROC
 * ceiling is taken from ours when it is made) and the capability drop
 * (raising a hard limit needs CAP_SYS_RESOURCE).
 */
static const struct aj_stage {
	const char *name;
	int (*run)(struct aj_run *run);
} child_stages[] = {
	{ "monitor's files", stage_monitor_fds },
	{ "seccomp filter", aj_walls_build_filter },
	{ "wait for the id maps", stage_wait_go },
	{ "host identity", aj_userns_switch_ids },
	{ "pid namespace size", aj_limits_apply_pidns },
	{ "loopback", stage_loopback },
	/* In the new network namespace, before anything else can take the port. */
	{ "proxy socket", stage_proxy_socket },
	{ "user namespace limit", stage_userns_limit },
	{ "mounts", stage_mounts },
	{ "hostname", stage_hostname },
	{ "ids in a joined user namespace", stage_ids },
	{ "second user namespace", stage_userns2 },
	{ "limits", aj_limits_apply },
	{ "inner user namespace", stage_nested_userns },
	{ "user namespace check", stage_userns_check },
	{ "landlock", aj_landlock_apply },
	{ "capabilities", stage_caps },
	{ "block fd", stage_block_fd },
	{ "seccomp fd", stage_seccomp_read },
	{ "working directory", stage_cwd },
	{ "session", stage_session },
	{ "not dumpable", stage_not_dumpable },
};

/*
 * With a reaper this process becomes it, and the command its child.  Where
 * the command need not wait for pid 1 (pid 1 is fenced off from it, or not
 * dumpable already), the child borrows pid 1's memory until its exec
 * (vfork: no page tables copied, which costs about 1 ms on a small VM): pid
 * 1 is suspended meanwhile, and the child changes nothing pid 1 reads later
 * (its fds, credentials, filters, signal state and dumpable flag are its
 * own or left alone; it ends in exec or _exit).  A reaper that executes
 * agentjail-reaper must run while the command waits for it: a plain fork.
 */
static _Noreturn void start_command(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	_cleanup_free_ int *lock_fds = calloc(plan->n_lock_files + 1, sizeof(int));
	_cleanup_free_ int *keep = calloc(plan->n_lock_files + 4, sizeof(int));
	const bool wait_reaper = run->reaper_exe_fd >= 0;
	const bool borrow = AJ_CAN_VFORK && !wait_reaper;
	int ready[2] = { -EBADF, -EBADF };
	pid_t pid;

	if (!lock_fds || !keep || aj_reaper_take_locks(plan, lock_fds) < 0)
		_exit(1);
	/*
	 * The executed reaper is dumpable until it says otherwise; the command
	 * waits for that word, so that it never finds pid 1 open.
	 */
	if (wait_reaper && pipe2(ready, O_CLOEXEC) < 0) {
		aj_err(-errno, "pipe");
		_exit(1);
	}
	run->ready_wr = ready[1];
	pid = borrow ? vfork() : fork();
	if (pid < 0) {
		aj_err(-errno, "fork");
		_exit(1);
	}
	if (pid > 0) {
		if (run->exec_wr >= 0)
			(void)close(run->exec_wr);
		if (ready[0] >= 0)
			(void)close(ready[0]);
		aj_reaper(run, pid, lock_fds, keep);
	}
	(void)close(run->status_wr);
	if (run->fence_fd >= 0 && aj_landlock_fence_enter(run->fence_fd) < 0)
		_exit(1);
	/* Borrowed memory keeps pid 1's flag, which must stay as it is. */
	if (!borrow && prctl(PR_SET_DUMPABLE, 0) < 0) {
		aj_err(-errno, "prctl(PR_SET_DUMPABLE)");
		_exit(1);
	}
	if (wait_reaper) {
		char b;

		(void)close(ready[1]);
		/* A byte, or EOF from a reaper that stayed forked (or died, ending it all). */
		while (read(ready[0], &b, 1) < 0 && errno == EINTR)
			;
		(void)close(ready[0]);
	}
	aj_exec_command(run);
}

/* A stage that fails has logged why; nothing half-built runs a command. */
static _Noreturn void child_main(struct aj_run *run)
{
	for (size_t i = 0; i < ELEMENTSOF(child_stages); i++)
		if (child_stages[i].run(run) < 0)
			_exit(1);
	if (run->reaper)
		start_command(run);
	aj_exec_command(run);
}

/* ---- the monitor (outside) ---------------------------------------------- */

/*
 * Profile runs: once the command is done, so is everything it left running
 * (with a pid namespace, killing its pid 1 takes all of them, and waitid()
 * returns only once they are gone).  What the run set up on the host for
 * its duration (placeholders of protected paths) can then go safely.  The
 * pidfd makes this safe even when the monitor has already reaped the child.
 */
static void end_sandbox(struct aj_run *run)
{
	siginfo_t info;

	if (run->child_pidfd < 0)
		return;
	(void)syscall(SYS_pidfd_send_signal, run->child_pidfd, SIGKILL, NULL, 0);
	(void)waitid(P_PIDFD, (id_t)run->child_pidfd, &info, WEXITED); /* ECHILD: reaped already */
	aj_closep(&run->child_pidfd);
}

static void close_pair(int *a, int *b)
{
	aj_closep(a);
	aj_closep(b);
	*a = *b = -EBADF;
}

/* Every way out of aj_launch() passes here: the cgroup goes, the run is recorded. */
/*
 * Every way out of aj_launch(): the proxy ends first (it writes its last
 * decisions as it closes), then the record that embeds them is written.
 */
static void run_done(struct aj_run *run)
{
	aj_proxy_stop(run);
	aj_observe_stop(run);
	aj_audit_end(run);
	aj_limits_cleanup(run);
}

int aj_launch(struct aj_plan *plan, bool bwrap)
{
	_cleanup_(run_done) struct aj_run run = {
		.plan = plan, .bwrap = bwrap,
		.go_rd = -EBADF, .go_wr = -EBADF, .status_rd = -EBADF, .status_wr = -EBADF,
		.exec_rd = -EBADF, .exec_wr = -EBADF, .child_pidfd = -EBADF, .proc_fd = -EBADF, .reaper_exe_fd = -EBADF, .ready_wr = -EBADF,
		.fence_fd = -EBADF,
		.netlog_fd = -EBADF, .proxy_fd = -EBADF, .proxy_pidfd = -EBADF,
		.cgroup_fd = -EBADF, .audit_fd = -EBADF, .wstatus = -1,
	};
	sigset_t set;
	int r, code;

	r = prepare(&run);
	if (r < 0 || aj_limits_prepare(&run) < 0 || aj_audit_begin(&run) < 0)
		return 1;
	/* Before the proxy: a learning run keeps the proxy's decisions. */
	if (aj_observe_start(&run) < 0)
		return 1;
	if (plan->net_mode == AJ_NET_PROXY && aj_proxy_start(&run) < 0)
		return 1;
	if (make_pipe(&run.go_rd, &run.go_wr) < 0 ||
	    (run.reaper && make_pipe(&run.status_rd, &run.status_wr) < 0) ||
	    ((plan->json_status_fd >= 0 || run.audit) && make_pipe(&run.exec_rd, &run.exec_wr) < 0))
		return 1;
	/* Read only once the command is gone; never wait on it. */
	if (run.exec_rd >= 0 && fcntl(run.exec_rd, F_SETFL, O_NONBLOCK) < 0)
		return aj_err(-errno, "fcntl"), 1;

	/* Blocked from before the clone, so no signal is lost in between. */
	aj_signal_set(&set);
	sigprocmask(SIG_BLOCK, &set, &run.oldmask);

	/* Join what the caller handed us; the child is then born inside. */
	if (plan->userns_fd >= 0 && __lsan_do_leak_check)
		/*
		 * LeakSanitizer's exit-time check cannot stop the world from inside
		 * a joined user namespace and spins; check now, in sanitizer builds.
		 */
		__lsan_do_leak_check();
	if (plan->userns_fd >= 0 && setns(plan->userns_fd, CLONE_NEWUSER) < 0) {
		if (errno == EINVAL)
			aj_errx(-EINVAL, "Joining the specified user namespace failed, it might not be a "
					 "descendant of the current user namespace.");
		else
			aj_err(-errno, "Joining specified user namespace failed");
		return 1;
	}
	if (plan->pidns_fd >= 0 && setns(plan->pidns_fd, CLONE_NEWPID) < 0) {
		aj_err(-errno, "Setting pidns failed");
		return 1;
	}

	run.child = clone_ns(clone_flags(run.ns), run.cgroup_fd);
	if (run.child < 0) {
		aj_userns_explain_failure(errno, run.ns);
		return 1;
	}
	if (run.child == 0)
		child_main(&run);
	aj_closep(&run.fence_fd);
	/* Without a pid namespace the sandbox sees us: keep /proc/PID/fd (the audit log) closed. */
	if (run.audit_fd >= 0)
		(void)prctl(PR_SET_DUMPABLE, 0);
	/* A profile's sandbox ends with its command (see end_sandbox). */
	if (plan->hardened)
		run.child_pidfd = (int)syscall(SYS_pidfd_open, run.child, 0);

	aj_closep(&run.go_rd);
	aj_closep(&run.status_wr);
	aj_closep(&run.exec_wr);
	aj_closep(&run.proxy_fd);
	run.go_rd = run.status_wr = run.exec_wr = run.proxy_fd = -EBADF;
	aj_observe_after_clone(&run);

	if (plan->die_with_parent)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	r = 0;
	/* With --userns-block-fd someone else (newuidmap) writes the maps. */
	if ((run.ns & AJ_NS_USER) && plan->userns_block_fd < 0)
		r = aj_userns_write_maps(&run, run.child);
	if (r >= 0)
		r = aj_status_write_start(&run);
	if (r >= 0 && plan->userns_block_fd >= 0) {
		char b;
		ssize_t k;

		do
			k = read(plan->userns_block_fd, &b, 1);
		while (k < 0 && errno == EINTR);
		(void)close(plan->userns_block_fd); /* a byte or EOF: go on */
		plan->userns_block_fd = -EBADF;
	}
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
	end_sandbox(&run);
	free(run.cwd);
	free(run.tty);
	return code < 0 ? 1 : code;
}
