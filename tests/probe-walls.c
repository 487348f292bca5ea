/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * aj-probe: the kernel-wall commands (see probe.c's list) and the battery
 * that `agentjail --check` runs inside a sandbox.  Every attempt is harmless
 * when it succeeds: calls take arguments the kernel rejects after its
 * permission checks, writes open without writing (O_TMPFILE for
 * directories), an injected character goes to a pty of our own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

/* 0 or the errno of the last failure. */
static int err_of(long r)
{
	return r < 0 ? errno : 0;
}

static void say(const char *what, int e)
{
	printf("%s %s\n", what, e ? errname(e) : "ok");
}

/* Run fn in a child (it may change our state or be killed); its errno, or -signal. */
static int in_child(int (*fn)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(fn(arg) & 0x7f);
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

static const char *child_result(int r)
{
	static char buf[32];

	if (r >= 0)
		return r ? errname(r) : "ok";
	snprintf(buf, sizeof(buf), "killed-by-%d", -r);
	return buf;
}

/* ---- single calls ------------------------------------------------------- */

static int call_named(const char *name)
{
	if (!strcmp(name, "ptrace"))
		return err_of(ptrace(PTRACE_PEEKDATA, 0, NULL, NULL));
	if (!strcmp(name, "keyctl"))
		return err_of(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -100, 0));
	if (!strcmp(name, "bpf"))
		return err_of(syscall(SYS_bpf, -1, NULL, 0));
	if (!strcmp(name, "setns"))
		return err_of(syscall(SYS_setns, -1, 0));
	if (!strcmp(name, "clone3"))
		return err_of(syscall(SYS_clone3, NULL, 0));
	if (!strcmp(name, "io_uring_setup"))
		return err_of(syscall(SYS_io_uring_setup, 0, NULL));
	if (!strcmp(name, "perf_event_open"))
		return err_of(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0));
	if (!strcmp(name, "process_vm_readv"))
		return err_of(syscall(SYS_process_vm_readv, 0, NULL, 0, NULL, 0, 0));
	if (!strcmp(name, "open_tree"))
		return err_of(syscall(SYS_open_tree, -1, "", 0));
	if (!strcmp(name, "finit_module"))
		return err_of(syscall(SYS_finit_module, -1, "", 0));
	if (!strcmp(name, "getpid"))
		return err_of(syscall(SYS_getpid));
	return EINVAL;
}

#if defined(__x86_64__)
static int i386_getpid(void *arg)
{
	long r;

	(void)arg;
	/* getpid is 20 on i386; the compat entry clobbers r8-r11. */
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
	if (r < 0)
		return (int)-r;
	return r == getpid() ? 0 : EINVAL;
}

static int x32_getpid(void *arg)
{
	long r;

	(void)arg;
	r = syscall(39 | 0x40000000L); /* __X32_SYSCALL_BIT | getpid */
	if (r < 0)
		return errno;
	return r == getpid() ? 0 : EINVAL;
}
#endif

static int do_userns(void *arg)
{
	(void)arg;
	return err_of(unshare(CLONE_NEWUSER));
}

static int ptrace_child(void)
{
	pid_t pid;
	int e;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		pause();
		_exit(0);
	}
	e = err_of(ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	if (!e) {
		(void)waitpid(pid, NULL, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, __WALL);
	return e;
}

static int mount_propagation(void)
{
	/* A real mount(2) that needs CAP_SYS_ADMIN and changes nothing that matters here. */
	return err_of(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
}

static int io_uring(void)
{
	unsigned char params[120] = { 0 }; /* struct io_uring_params */
	long fd = syscall(SYS_io_uring_setup, 1, params);

	if (fd >= 0)
		close((int)fd);
	return err_of(fd);
}

static int sock_try(int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? errno : 0;
}

static int unix_connect(const char *path, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	socklen_t len;
	int fd, e;

	if (n + 1 >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memcpy(sa.sun_path + abstract, path, n);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + n + !abstract);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	e = err_of(connect(fd, (struct sockaddr *)&sa, len));
	close(fd);
	return e;
}

static int tcp_connect(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, e;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	e = err_of(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	return e;
}

/* TIOCSTI of one space on fd; high: with bit 32 of the request set (the kernel ignores it). */
static int tiocsti(int fd, bool high)
{
	unsigned long req = TIOCSTI;
	char c = ' ';

	if (high)
		req |= UINT64_C(1) << 32;
	return err_of(ioctl(fd, req, &c));
}

struct sti {
	int fd;
	bool high;
};

/* In a child: a new session with fd as its controlling terminal, then TIOCSTI. */
static int sti_as_ctty(void *arg)
{
	struct sti *s = arg;

	if (setsid() < 0)
		return 100;
	if (ioctl(s->fd, TIOCSCTTY, 0) < 0)
		return 101;
	return tiocsti(s->fd, s->high);
}

static int open_new_pty(void)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), s;
	char name[64];
	int unlock = 0;

	if (m < 0)
		return -errno;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &unlock) < 0) {
		close(m);
		return -errno;
	}
	snprintf(name, sizeof(name), "/dev/pts/%d", unlock);
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return -errno;
	return s; /* the master stays open (leaked on purpose) for the slave to work */
}

/* Can something be written in dir?  O_TMPFILE leaves nothing behind. */
static int dir_writable(const char *dir)
{
	char path[4096];
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR)
		return errno;
	snprintf(path, sizeof(path), "%s/.agentjail-check-%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	unlink(path);
	return 0;
}

/* Opening for writing, without truncating or writing anything. */
static int path_writable(const char *path)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return dir_writable(path);
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static bool is_canary(pid_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "aj-canary", 9) == 0;
}

/* ---- the --check battery -------------------------------------------------- */

struct battery {
	FILE *out;
	int tty;
	pid_t canary;
	const char *decoy, *unix_path, *abstract;
	int tcp;
	char **protect, **outside;
	size_t n_protect, n_outside;
};

static void verdict(struct battery *b, const char *name, int e, const char *detail)
{
	fprintf(b->out, "%s %s %s\n", name, e ? "blocked" : "open",
		detail ? detail : (e ? errname(e) : "ok"));
}

static void run_battery(struct battery *b)
{
	char path[4096], detail[96];
	int e, e2;

	snprintf(path, sizeof(path), "%s/secret", b->decoy ? b->decoy : "/nonexistent");
	e = open(path, O_RDONLY | O_CLOEXEC);
	if (e >= 0)
		close(e);
	verdict(b, "decoy-read", err_of(e), NULL);
	for (size_t i = 0; i < b->n_outside; i++) {
		snprintf(path, sizeof(path), "write-outside:%s", b->outside[i]);
		verdict(b, path, path_writable(b->outside[i]), NULL);
	}
	for (size_t i = 0; i < b->n_protect; i++) {
		snprintf(path, sizeof(path), "write-protected:%s", b->protect[i]);
		verdict(b, path, path_writable(b->protect[i]), NULL);
	}

	e = b->canary > 0 && is_canary(b->canary) ? 0 : ESRCH;
	verdict(b, "host-see", e, NULL);
	if (e == 0) {
		int fd;
		ssize_t k;
		char buf[256];

		snprintf(path, sizeof(path), "/proc/%d/environ", (int)b->canary);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		k = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
		e = fd < 0 ? errno : k <= 0 ? (k < 0 ? errno : EACCES) : 0;
		if (fd >= 0)
			close(fd);
	}
	verdict(b, "host-environ", e, NULL);
	/* Whether it arrived, only the canary can say: the monitor decides. */
	e = b->canary > 0 ? err_of(kill(b->canary, SIGUSR1)) : ESRCH;
	fprintf(b->out, "host-signal tried %s\n", e ? errname(e) : "ok");

	verdict(b, "ptrace", ptrace_child(), NULL);

	if (b->tty >= 0) {
		struct sti s = { .fd = b->tty, .high = false };

		e = in_child(sti_as_ctty, &s);
		s.high = true;
		e2 = in_child(sti_as_ctty, &s);
		if (e >= 100 || e2 >= 100)
			fprintf(b->out, "tiocsti untested %s\n",
				e == 100 || e2 == 100 ? "setsid" : "TIOCSCTTY");
		else {
			snprintf(detail, sizeof(detail), "%s,high:%s", child_result(e), child_result(e2));
			verdict(b, "tiocsti", e && e2 ? EPERM : 0, detail);
		}
		{
			char sub = 12; /* TIOCL_GETSHIFTSTATE */

			verdict(b, "tioclinux", err_of(ioctl(b->tty, TIOCLINUX, &sub)), NULL);
		}
	} else
		fprintf(b->out, "tiocsti untested no-tty\n");

	verdict(b, "mount", mount_propagation(), NULL);
	e = in_child(do_userns, NULL);
	verdict(b, "userns", e, child_result(e));
	verdict(b, "raw-socket", sock_try(AF_INET, SOCK_RAW, IPPROTO_ICMP), NULL);
	verdict(b, "packet-socket", sock_try(AF_PACKET, SOCK_RAW, 0), NULL);
	if (b->tcp > 0)
		verdict(b, "network", tcp_connect("127.0.0.1", b->tcp), NULL);
	verdict(b, "proc-sys-write",
		path_writable("/proc/sys/kernel/core_pattern"), NULL);
	verdict(b, "sysrq-write", path_writable("/proc/sysrq-trigger"), NULL);
	verdict(b, "sys-write", path_writable("/sys/kernel/uevent_helper"), NULL);
	verdict(b, "module", call_named("finit_module"), NULL);
	e = (int)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? EPERM : 0;
	verdict(b, "setuid", e, e ? "no_new_privs" : "no_new_privs-unset");
#if defined(__x86_64__)
	e = in_child(i386_getpid, NULL);
	verdict(b, "i386", e, child_result(e));
	e = in_child(x32_getpid, NULL);
	verdict(b, "x32", e, child_result(e));
#endif
	verdict(b, "io-uring", io_uring(), NULL);
	if (b->unix_path)
		verdict(b, "unix-path", unix_connect(b->unix_path, false), NULL);
	if (b->abstract)
		verdict(b, "unix-abstract", unix_connect(b->abstract, true), NULL);
	fprintf(b->out, "done\n");
}

static int push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(char *));

	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static void battery(int argc, char **argv)
{
	struct battery b = { .out = stdout, .tty = -1 };
	sigset_t set;

	/* The reaper passes SIGUSR1 on to us when host-signal hits it by number. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < argc; i++) {
		char *k = argv[i], *v = strchr(k, '=');

		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(k, "report")) {
			FILE *f = fdopen(atoi(v), "w");

			if (f)
				b.out = f;
		} else if (!strcmp(k, "tty"))
			b.tty = atoi(v);
		else if (!strcmp(k, "canary"))
			b.canary = (pid_t)atoi(v);
		else if (!strcmp(k, "decoy"))
			b.decoy = v;
		else if (!strcmp(k, "unix"))
			b.unix_path = v;
		else if (!strcmp(k, "abstract"))
			b.abstract = v;
		else if (!strcmp(k, "tcp"))
			b.tcp = atoi(v);
		else if (!strcmp(k, "protect"))
			push(&b.protect, &b.n_protect, v);
		else if (!strcmp(k, "outside"))
			push(&b.outside, &b.n_outside, v);
	}
	run_battery(&b);
	fflush(b.out);
	free(b.protect);
	free(b.outside);
}

/* ---- commands ------------------------------------------------------------ */

bool walls_command(const char *c, int argc, char **argv)
{
	char what[128];
	int e;

	if (!strcmp(c, "syscall")) {
		for (int i = 0; i < argc; i++) {
			snprintf(what, sizeof(what), "syscall %s", argv[i]);
			say(what, call_named(argv[i]));
		}
	} else if (!strcmp(c, "personality") && argc > 0) {
		unsigned long v = strtoul(argv[0], NULL, 16);
		long r = syscall(SYS_personality, v);

		snprintf(what, sizeof(what), "personality %s", argv[0]);
		say(what, err_of(r));
		if (r >= 0 && v != 0xffffffffUL)
			(void)syscall(SYS_personality, (unsigned long)r); /* put it back */
	} else if (!strcmp(c, "tiocsti")) {
		bool high = argc > 0 && !strcmp(argv[0], "high");
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

		say(high ? "tiocsti high" : "tiocsti", fd < 0 ? errno : tiocsti(fd, high));
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(c, "tiocsti-pty")) {
		int fd = open_new_pty();
		struct sti s = { .fd = fd, .high = false };

		if (fd < 0)
			say("tiocsti-pty", -fd);
		else {
			e = in_child(sti_as_ctty, &s);
			printf("tiocsti-pty %s\n", e >= 100 ? "untested" : child_result(e));
			s.high = true;
			e = in_child(sti_as_ctty, &s);
			printf("tiocsti-pty high %s\n", e >= 100 ? "untested" : child_result(e));
		}
	} else if (!strcmp(c, "tioclinux")) {
		char sub = 12;
		int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

		say("tioclinux", fd < 0 ? errno : err_of(ioctl(fd, TIOCLINUX, &sub)));
		if (fd >= 0)
			close(fd);
#if defined(__x86_64__)
	} else if (!strcmp(c, "i386-getpid")) {
		printf("i386-getpid %s\n", child_result(in_child(i386_getpid, NULL)));
	} else if (!strcmp(c, "x32-getpid")) {
		printf("x32-getpid %s\n", child_result(in_child(x32_getpid, NULL)));
#endif
	} else if (!strcmp(c, "ptrace-child")) {
		say("ptrace-child", ptrace_child());
	} else if (!strcmp(c, "userns")) {
		printf("userns %s\n", child_result(in_child(do_userns, NULL)));
	} else if (!strcmp(c, "mount")) {
		say("mount", mount_propagation());
	} else if (!strcmp(c, "raw-socket")) {
		say("raw-socket", sock_try(AF_INET, SOCK_RAW, IPPROTO_ICMP));
		say("packet-socket", sock_try(AF_PACKET, SOCK_RAW, 0));
	} else if (!strcmp(c, "io-uring")) {
		say("io-uring", io_uring());
	} else if (!strcmp(c, "openat") && argc > 1) {
		int fd = openat(atoi(argv[0]), argv[1], O_RDONLY | O_CLOEXEC);

		snprintf(what, sizeof(what), "openat %s %s", argv[0], argv[1]);
		say(what, fd < 0 ? errno : 0);
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(c, "readlink") && argc > 0) {
		char t[4096];

		snprintf(what, sizeof(what), "readlink %s", argv[0]);
		say(what, err_of(readlink(argv[0], t, sizeof(t))));
	} else if (!strcmp(c, "listdir") && argc > 0) {
		DIR *d = opendir(argv[0]);

		snprintf(what, sizeof(what), "listdir %s", argv[0]);
		e = d ? 0 : errno;
		if (d && !readdir(d))
			e = errno;
		say(what, e);
		if (d)
			closedir(d);
	} else if (!strcmp(c, "signal") && argc > 1) {
		snprintf(what, sizeof(what), "signal %s", argv[0]);
		say(what, err_of(kill((pid_t)atoi(argv[0]), atoi(argv[1]))));
	} else if (!strcmp(c, "unix-connect") && argc > 0) {
		say("unix-connect", unix_connect(argv[0], false));
	} else if (!strcmp(c, "abstract-connect") && argc > 0) {
		say("abstract-connect", unix_connect(argv[0], true));
	} else if (!strcmp(c, "statfs") && argc > 0) {
		struct statfs sf;

		if (statfs(argv[0], &sf) < 0)
			printf("statfs %s %s\n", argv[0], errname(errno));
		else
			printf("statfs %s %llu\n", argv[0],
			       (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize);
	} else if (!strcmp(c, "landlock-abi")) {
		long v = syscall(SYS_landlock_create_ruleset, NULL, 0, 1 /* VERSION */);

		printf("landlock-abi %ld\n", v < 0 ? 0 : v);
	} else if (!strcmp(c, "dumpable")) {
		printf("dumpable %d\n", (int)prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	} else if (!strcmp(c, "securebits")) {
		printf("securebits %#x\n", (unsigned)prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	} else if (!strcmp(c, "check")) {
		battery(argc, argv);
	} else
		return false;
	return true;
}
