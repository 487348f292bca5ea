/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail --check: run a battery of escape attempts inside the sandbox the
 * rest of the command line (or profile) describes, and print what held.
 *
 * On the host side it sets up what the sandbox must not reach: a decoy
 * secret and a writable directory outside the project, a unix socket there,
 * an abstract unix socket, a TCP port on the host's loopback, a "canary"
 * process whose environment is ours and which notes any signal it gets, and
 * a pty for the terminal-injection probe.  The probes run in aj-probe (the
 * static helper, run from an fd: nothing of it needs to be inside), which
 * reports one line per probe on a pipe.
 *
 * A probe that got through is a failure unless the plan itself allows it
 * (the host network shared, nested user namespaces allowed, a path bound
 * writable, ...), which the table says.  Exit status 1 when anything that
 * should have been blocked was not, or when the battery did not complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/check.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "cleanup.h"
#include "config.h"

struct fixtures {
	char *decoy;       /* a directory outside the project, with "secret" */
	char *drop;        /* decoy/drop: writable by anyone, if anyone could see it */
	char *sock;        /* decoy/sock: a listening unix socket */
	char abstract[64]; /* a listening abstract unix socket */
	int unix_fd, abstract_fd, tcp_fd, tcp_port;
	int pty_master, pty_slave;
	int report_rd, report_wr;
	pid_t canary;
};

/* ---- the host side -------------------------------------------------------- */

/* aj-probe next to us (build tree, staged copy), or where meson installs it. */
static int open_probe(void)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *const rel[] = { "aj-probe", "tests/aj-probe" };

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; i < ELEMENTSOF(rel); i++) {
			int fd;

			snprintf(path, sizeof(path), "%s/%s", self, rel[i]);
			fd = open(path, O_PATH | O_CLOEXEC);
			if (fd >= 0)
				return fd;
		}
	}
	return open(AJ_LIBEXECDIR "/aj-probe", O_PATH | O_CLOEXEC);
}

/* Waits for SIGTERM; exits 10 if a SIGUSR1 arrived first. */
static _Noreturn void canary_main(void)
{
	sigset_t set;
	int sig, got = 0;

	(void)prctl(PR_SET_NAME, "aj-canary");
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)syscall(SYS_close_range, 3U, ~0U, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			_exit(1);
		if (sig == SIGUSR1)
			got = 1;
		else
			_exit(got ? 10 : 0);
	}
}

static int listen_unix(const char *name, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int fd;

	if (n + 2 > sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path + abstract, name, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + n + !abstract)) < 0 ||
	    listen(fd, 4) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

static int listen_tcp(int *ret_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

static int open_pty(int *ret_master, int *ret_slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;
	char *name;

	if (m < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
		close(m);
		return -errno;
	}
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		close(m);
		return -errno;
	}
	*ret_master = m;
	*ret_slave = s;
	return 0;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	return fchmod(fd, mode) < 0 ? -errno : 0;
}

static int setup_fixtures(struct fixtures *fx)
{
	const char *home = getenv("HOME");
	char tmpl[PATH_MAX], path[PATH_MAX + 16];
	int r;

	/* Where secrets live; /var/tmp when there is no usable home. */
	snprintf(tmpl, sizeof(tmpl), "%s/.agentjail-check-XXXXXX",
		 home && home[0] == '/' && access(home, W_OK) == 0 ? home : "/var/tmp");
	if (!mkdtemp(tmpl))
		return aj_err(-errno, "--check: mkdtemp '%s'", tmpl);
	fx->decoy = strdup(tmpl);
	if (!fx->decoy || asprintf(&fx->drop, "%s/drop", tmpl) < 0 ||
	    asprintf(&fx->sock, "%s/sock", tmpl) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	/* Readable and writable by anyone who can see them: only the sandbox stands in the way. */
	if (chmod(fx->decoy, 0755) < 0 || mkdir(fx->drop, 0777) < 0 || chmod(fx->drop, 0777) < 0)
		return aj_err(-errno, "--check: preparing '%s'", fx->decoy);
	snprintf(path, sizeof(path), "%s/secret", fx->decoy);
	r = write_text(path, "agentjail --check decoy secret\n", 0644);
	if (r < 0)
		return aj_err(r, "--check: writing '%s'", path);

	fx->unix_fd = listen_unix(fx->sock, false);
	if (fx->unix_fd < 0 || chmod(fx->sock, 0777) < 0)
		return aj_err(fx->unix_fd < 0 ? fx->unix_fd : -errno, "--check: unix socket '%s'",
			      fx->sock);
	snprintf(fx->abstract, sizeof(fx->abstract), "agentjail-check-%d-%ld", (int)getpid(),
		 (long)random());
	fx->abstract_fd = listen_unix(fx->abstract, true);
	if (fx->abstract_fd < 0)
		return aj_err(fx->abstract_fd, "--check: abstract unix socket");
	fx->tcp_fd = listen_tcp(&fx->tcp_port);
	if (fx->tcp_fd < 0)
		return aj_err(fx->tcp_fd, "--check: TCP socket on 127.0.0.1");
	r = open_pty(&fx->pty_master, &fx->pty_slave);
	if (r < 0)
		return aj_err(r, "--check: pty");
	{
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return aj_err(-errno, "--check: pipe");
		fx->report_rd = p[0];
		fx->report_wr = p[1];
	}
	fx->canary = fork();
	if (fx->canary < 0)
		return aj_err(-errno, "--check: fork");
	if (fx->canary == 0)
		canary_main();
	return 0;
}

/* The canary's verdict: did a signal from the sandbox reach it? */
static bool canary_signalled(struct fixtures *fx)
{
	int st;

	if (fx->canary <= 0)
		return false;
	(void)kill(fx->canary, SIGTERM);
	if (waitpid(fx->canary, &st, 0) < 0)
		return false;
	fx->canary = 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 10;
}

static void teardown(struct fixtures *fx)
{
	char path[PATH_MAX + 16];

	(void)canary_signalled(fx);
	aj_closep(&fx->unix_fd);
	aj_closep(&fx->abstract_fd);
	aj_closep(&fx->tcp_fd);
	aj_closep(&fx->pty_master);
	aj_closep(&fx->pty_slave);
	aj_closep(&fx->report_rd);
	aj_closep(&fx->report_wr);
	if (fx->decoy) {
		snprintf(path, sizeof(path), "%s/secret", fx->decoy);
		(void)unlink(path);
		(void)unlink(fx->sock);
		(void)rmdir(fx->drop);
		(void)rmdir(fx->decoy); /* best effort: a probe that wrote there leaves it behind */
	}
	free(fx->decoy);
	free(fx->drop);
	free(fx->sock);
}

/* ---- what the plan allows --------------------------------------------------- */

/* Is path at or under dir, by whole components? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool op_writable(const struct aj_op *op)
{
	switch (op->kind) {
	case AJ_OP_BIND:
	case AJ_OP_BIND_FD:
	case AJ_OP_BIND_DATA:
	case AJ_OP_OVERLAY:
		return !(op->flags & AJ_OPF_RO);
	case AJ_OP_TMPFS:
	case AJ_OP_DIR:
	case AJ_OP_DEV:
	case AJ_OP_MQUEUE:
		return true;
	case AJ_OP_REMOUNT_RO:
	case AJ_OP_PROC:
	case AJ_OP_FILE:
	case AJ_OP_SYMLINK:
	case AJ_OP_CHMOD:
	case AJ_OP_HIDE:
	case AJ_OP_MASK:
	case AJ_OP_PROTECT:
	case _AJ_OP_KIND_MAX:
		break;
	}
	return false;
}

static bool mounts_something(const struct aj_op *op)
{
	return op->kind != AJ_OP_SYMLINK && op->kind != AJ_OP_CHMOD && op->kind != AJ_OP_FILE &&
	       op->kind != AJ_OP_DIR;
}

/* The plan writes path if the last operation covering it is a writable one. */
static bool plan_writes(const struct aj_plan *plan, const char *path)
{
	bool w = false;

	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].dest && under(path, plan->ops[i].dest) &&
		    (mounts_something(&plan->ops[i]) || plan->ops[i].kind == AJ_OP_DIR))
			w = op_writable(&plan->ops[i]);
	return w;
}

/* Is the operation at i inside (not at) what an earlier writable operation mounted? */
static bool inside_writable(const struct aj_plan *plan, size_t i)
{
	const char *dest = plan->ops[i].dest;

	for (size_t j = 0; j < i; j++) {
		const struct aj_op *o = &plan->ops[j];

		if (o->dest && op_writable(o) && under(dest, o->dest) && !under(o->dest, dest))
			return true;
	}
	return false;
}

/* Read-only paths inside writable ones: what a profile protects (.git/hooks, .env). */
static int protected_paths(const struct aj_plan *plan, char ***ret, size_t *ret_n)
{
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < plan->n_ops && n < 16; i++) {
		const struct aj_op *op = &plan->ops[i];
		char **nv;

		if (!op->dest || op_writable(op) || !mounts_something(op) || op->kind == AJ_OP_PROC ||
		    !inside_writable(plan, i))
			continue;
		nv = reallocarray(v, n + 1, sizeof(char *));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = op->dest;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool plan_has_netns(const struct aj_plan *plan)
{
	if (plan->net_mode == AJ_NET_NONE || plan->net_mode == AJ_NET_PROXY)
		return true;
	return plan->net_mode == AJ_NET_UNSET && (plan->unshare & AJ_NS_NET);
}

static bool allowed_name(const struct aj_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_seccomp_allow; i++)
		if (strcmp(plan->seccomp_allow[i], name) == 0)
			return true;
	return false;
}

static bool cap_added(const struct aj_plan *plan, int cap)
{
	bool on = false;

	for (size_t i = 0; i < plan->n_capops; i++)
		if (plan->capops[i].cap == cap || plan->capops[i].cap < 0)
			on = plan->capops[i].add;
	return on;
}

/* The table: the probe's name, what it tries, and when the plan allows it. */
struct row {
	const char *name;
	const char *what;
};

static const struct row rows[] = {
	{ "decoy-read", "read a decoy secret outside the project" },
	{ "write-outside", "write outside the project" },
	{ "write-protected", "write a protected path" },
	{ "host-see", "see a host process" },
	{ "host-environ", "read a host process's environment via /proc" },
	{ "host-signal", "signal a host process" },
	{ "ptrace", "ptrace a process" },
	{ "tiocsti", "inject input into the terminal (TIOCSTI)" },
	{ "tioclinux", "TIOCLINUX on the terminal" },
	{ "mount", "mount" },
	{ "userns", "create a user namespace" },
	{ "raw-socket", "open a raw IP socket" },
	{ "packet-socket", "open a packet socket" },
	{ "network", "connect to a port on the host's loopback" },
	{ "proc-sys-write", "write /proc/sys" },
	{ "sysrq-write", "write /proc/sysrq-trigger" },
	{ "sys-write", "write /sys" },
	{ "module", "load a kernel module" },
	{ "setuid", "gain privileges through a setuid binary" },
	{ "i386", "system call through the i386 ABI" },
	{ "x32", "system call through the x32 ABI" },
	{ "io-uring", "set up io_uring" },
	{ "unix-path", "connect to a host unix socket (path)" },
	{ "unix-abstract", "connect to a host unix socket (abstract)" },
};

/* NULL when the plan does not allow what the probe did; else the reason. */
static const char *plan_allows(const struct aj_plan *plan, const struct aj_walls *w,
			       const char *name, const char *arg)
{
	if (!strcmp(name, "write-outside"))
		return arg && plan_writes(plan, arg) ? "the plan binds it writable" : NULL;
	if (!strcmp(name, "network"))
		return plan_has_netns(plan) ? NULL : "the plan shares the host network";
	if (!strcmp(name, "userns"))
		return !w->spec.nested_userns && plan->nested_userns == AJ_SWITCH_ON
			       ? "nested-userns = true"
			       : NULL;
	if (!strcmp(name, "io-uring"))
		return plan->io_uring == AJ_SWITCH_ON ? "io-uring = true" : NULL;
	if (!strcmp(name, "ptrace"))
		return allowed_name(plan, "ptrace") ? "seccomp-allow = ptrace" : NULL;
	if (!strcmp(name, "tiocsti") || !strcmp(name, "tioclinux"))
		return allowed_name(plan, "ioctl") ? "seccomp-allow = ioctl" : NULL;
	if (!strcmp(name, "raw-socket") || !strcmp(name, "packet-socket"))
		return cap_added(plan, CAP_NET_RAW) ? "--cap-add CAP_NET_RAW" : NULL;
	return NULL;
}

static const struct row *find_row(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

/* Read what the probe reported (all of it is there once the launch returned). */
static char *read_report(int fd)
{
	size_t size = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t k;

	if (!buf || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (size + 1 >= cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		k = read(fd, buf + size, cap - size - 1);
		if (k <= 0)
			break;
		size += (size_t)k;
	}
	buf[size] = '\0';
	return buf;
}

struct tally {
	unsigned held, allowed, open, untested;
};

static void report_line(const struct aj_plan *plan, const struct aj_walls *w, char *line,
			bool signalled, struct tally *t)
{
	char *save, *name = strtok_r(line, " ", &save);
	char *verdict = strtok_r(NULL, " ", &save), *detail = strtok_r(NULL, "\n", &save);
	char *arg = name ? strchr(name, ':') : NULL;
	const struct row *row;
	const char *why = NULL, *status;
	bool open;

	if (!name || !verdict)
		return;
	if (arg)
		*arg++ = '\0';
	row = find_row(name);
	if (!row)
		return;
	if (!strcmp(name, "host-signal")) {
		/* The probe only tried: the canary knows whether it arrived. */
		open = signalled;
		detail = signalled ? (char *)"the canary got SIGUSR1" : detail;
	} else if (!strcmp(verdict, "untested")) {
		printf("  %-8s %-46s %s\n", "UNTESTED", row->what, detail ? detail : "");
		t->untested++;
		return;
	} else
		open = strcmp(verdict, "open") == 0;

	if (!open) {
		status = "held";
		t->held++;
	} else if ((why = plan_allows(plan, w, name, arg))) {
		status = "allowed";
		t->allowed++;
	} else {
		status = "OPEN";
		t->open++;
	}
	printf("  %-8s %s%s%s", status, row->what, arg ? ": " : "", arg ? arg : "");
	printf(" (%s)%s%s\n", detail ? detail : verdict, why ? ": " : "", why ? why : "");
}

/* ---- the whole check -------------------------------------------------------- */

static int build_argv(struct aj_plan *plan, const struct fixtures *fx)
{
	_cleanup_free_ char **prot = NULL;
	size_t n_prot = 0, n = 0;
	const char *home = getenv("HOME");
	char **v;

	if (protected_paths(plan, &prot, &n_prot) < 0)
		return -ENOMEM;
	v = calloc(16 + n_prot, sizeof(char *));
	if (!v)
		return -ENOMEM;
	aj_strv_freep(&plan->argv); /* a profile's default command: the probe runs instead */
	plan->argv = v;
	if (!(v[n++] = strdup("aj-probe")) || !(v[n++] = strdup("check")) ||
	    asprintf(&v[n++], "report=%d", fx->report_wr) < 0 ||
	    asprintf(&v[n++], "tty=%d", fx->pty_slave) < 0 ||
	    asprintf(&v[n++], "canary=%d", (int)fx->canary) < 0 ||
	    asprintf(&v[n++], "decoy=%s", fx->decoy) < 0 ||
	    asprintf(&v[n++], "unix=%s", fx->sock) < 0 ||
	    asprintf(&v[n++], "abstract=%s", fx->abstract) < 0 ||
	    asprintf(&v[n++], "tcp=%d", fx->tcp_port) < 0 ||
	    asprintf(&v[n++], "outside=%s", fx->drop) < 0)
		return -ENOMEM;
	if (home && home[0] == '/' && strcmp(home, "/") != 0 && asprintf(&v[n++], "outside=%s", home) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n_prot; i++)
		if (asprintf(&v[n++], "protect=%s", prot[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int keep_fd(struct aj_plan *plan, int fd)
{
	int *v = reallocarray(plan->keep_fds, plan->n_keep_fds + 1, sizeof(int));

	if (!v)
		return -ENOMEM;
	plan->keep_fds = v;
	v[plan->n_keep_fds++] = fd;
	return 0;
}

int aj_check_main(struct aj_plan *plan, int argc, char **argv)
{
	struct fixtures fx = { .unix_fd = -EBADF, .abstract_fd = -EBADF, .tcp_fd = -EBADF,
			       .pty_master = -EBADF, .pty_slave = -EBADF, .report_rd = -EBADF,
			       .report_wr = -EBADF };
	struct tally t = { 0 };
	struct aj_walls w;
	_cleanup_free_ char *report = NULL;
	bool signalled, done = false;
	int code;

	if (argc > 0)
		return aj_errx(-EINVAL, "--check runs its own probes: no COMMAND ('%s')", argv[0]), 1;
	plan->exec_fd = open_probe();
	if (plan->exec_fd < 0)
		return aj_err(-errno, "--check: cannot find aj-probe (next to agentjail or in %s)",
			      AJ_LIBEXECDIR),
		       1;
	if (setup_fixtures(&fx) < 0 || build_argv(plan, &fx) < 0 ||
	    keep_fd(plan, fx.report_wr) < 0 || keep_fd(plan, fx.pty_slave) < 0) {
		teardown(&fx);
		return 1;
	}

	fflush(stdout);
	code = aj_launch(plan, false);
	aj_closep(&fx.report_wr);
	fx.report_wr = -EBADF;
	signalled = canary_signalled(&fx);
	report = read_report(fx.report_rd);

	aj_walls_resolve(plan, getuid() == 0, &w);
	printf("agentjail --check: %s plan, running as uid %u\n",
	       plan->hardened ? "a hardened" : "a bwrap-style", (unsigned)getuid());
	for (char *line = report, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strcmp(line, "done") == 0)
			done = true;
		else
			report_line(plan, &w, line, signalled, &t);
	}
	teardown(&fx);

	if (!done) {
		aj_errx(-EIO, "--check: the probes did not complete (exit status %d)", code);
		return 1;
	}
	printf("agentjail --check: %u held, %u allowed by the plan, %u got through, %u untested\n",
	       t.held, t.allowed, t.open, t.untested);
	return t.open || t.untested ? 1 : 0;
}
