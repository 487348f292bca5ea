/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The observer process: one loop over the seccomp listener.
 *
 * Each notification: read the path argument(s) from the caller's memory
 * (process_vm_readv: one call, no fd to keep per process), make them
 * absolute through /proc/TID/cwd or /proc/TID/fd/N, look them up in the
 * table, and answer.  The answer is CONTINUE: the kernel runs the call as
 * if nothing had looked.  What we read can differ from what the kernel
 * then reads (another thread may rewrite the memory in between), so the
 * record is what the program showed us, and a refusal (learn mode: a path
 * that looks like a secret) is a courtesy, never a wall: the base
 * profile's hide and mask rules are the wall (docs/LEARN.md).
 *
 * Names from /proc/TID/cwd and /proc/TID/fd/N are the sandbox's own: its
 * root is the root of its mount namespace, so the kernel writes them as the
 * sandbox sees them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/json.h"
#include "agentjail/learn.h"
#include "agentjail/log.h"
#include "agentjail/observe.h"
#include "agentjail/strmap.h"
#include "cleanup.h"

/* Linux 6.6: wake the observer on the notifying CPU (faster round trips). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "the observer decodes system calls of x86_64 and aarch64 only"
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

/* Decided once per record. */
enum {
	S_DECIDED = 1u << 0,
	S_REFUSE = 1u << 1,
	S_REPORTED = 1u << 2,
};

struct rec {
	const char *path;     /* the map's key */
	unsigned acc;
	unsigned state;
	unsigned long count;
	pid_t pid;
	char comm[16];
};

/* Process names by tid, read once: a direct-mapped cache (an exec forgets its slot). */
#define COMM_SLOTS 256

struct obs {
	const struct aj_observe *o;
	struct {
		pid_t pid;
		char comm[16];
	} comms[COMM_SLOTS];
	struct aj_strmap map; /* path -> index in recs */
	struct rec *recs;
	size_t n, cap;
	unsigned long dropped;
	int root_fd;          /* verbose: the sandbox's root, from the first process seen */
};

/* ---- reading the caller ------------------------------------------------------ */

/* A NUL-terminated string at addr in pid's memory; its length, or -errno. */
static ssize_t read_str(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;

	if (!addr)
		return -EFAULT;
	while (got + 1 < size) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		struct iovec l, r;
		ssize_t k;
		char *z;

		if (chunk > size - 1 - got)
			chunk = size - 1 - got;
		l = (struct iovec){ .iov_base = buf + got, .iov_len = chunk };
		r = (struct iovec){ .iov_base = (void *)(uintptr_t)(addr + got), .iov_len = chunk };
		k = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (k <= 0)
			return k < 0 ? -errno : -EFAULT;
		z = memchr(buf + got, '\0', (size_t)k);
		if (z)
			return z - buf;
		got += (size_t)k;
	}
	return -ENAMETOOLONG;
}

static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t size)
{
	struct iovec l = { .iov_base = buf, .iov_len = size };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = size };

	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)size ? 0 : -EFAULT;
}

/* The directory a relative path starts from: the cwd, or the fd dirfd. */
static int base_dir(pid_t pid, int dirfd, char *buf, size_t size)
{
	char link[64];
	ssize_t n;

	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, dirfd);
	n = readlink(link, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* "pipe:[12]", "anon_inode:...", or a deleted directory: not a place. */
	if (buf[0] != '/' || (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0))
		return -ENOENT;
	return 0;
}

static void read_comm(pid_t pid, char comm[16])
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	strcpy(comm, "?");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	buf[15] = '\0'; /* the kernel's TASK_COMM_LEN */
	memcpy(comm, buf, strlen(buf) + 1);
}

static void comm_of(struct obs *s, pid_t pid, char comm[16])
{
	unsigned k = (unsigned)pid % COMM_SLOTS;

	if (s->comms[k].pid != pid) {
		read_comm(pid, s->comms[k].comm);
		s->comms[k].pid = pid;
	}
	memcpy(comm, s->comms[k].comm, 16);
}

/* ---- the table ------------------------------------------------------------- */

static struct rec *lookup(struct obs *s, const char *path, pid_t pid, bool *ret_new)
{
	size_t len = strlen(path), idx;
	bool added;
	struct rec *r;

	*ret_new = false;
	if (aj_strmap_get(&s->map, path, len, &idx))
		return &s->recs[idx];
	if (s->n >= AJ_OBSERVE_MAX_RECORDS) {
		s->dropped++;
		return NULL;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct rec *v = reallocarray(s->recs, cap, sizeof(*v));

		if (!v) {
			s->dropped++;
			return NULL;
		}
		s->recs = v;
		s->cap = cap;
	}
	if (aj_strmap_add(&s->map, path, len, s->n, &added) < 0 || !added) {
		s->dropped++;
		return NULL;
	}
	r = &s->recs[s->n++];
	/* The map keeps the path: one copy for both. */
	*r = (struct rec){ .pid = pid, .path = aj_strmap_key(&s->map, path, len) };
	comm_of(s, pid, r->comm);
	*ret_new = true;
	return r;
}

/* ---- deciding -------------------------------------------------------------- */

static bool on_host(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Learn: a path that looks like a secret and that the run would see from the host. */
static void decide_learn(struct obs *s, struct rec *r)
{
	struct aj_base *base = s->o->base;
	const struct aj_view *v;

	r->state |= S_DECIDED;
	if (!base || r->path[0] != '/')
		return;
	/* What the base shows itself is the base's business (masked there, or meant). */
	if (aj_learn_base_provides(base, r->path, false) || aj_learn_base_hidden(base, r->path))
		return;
	/* Not the host's while learning (a tmpfs kept from the base): the sandbox's own. */
	v = s->o->learning ? aj_learn_base_view(s->o->learning, r->path) : NULL;
	if (!v || !v->host)
		return;
	if (!aj_learn_base_secret(base, r->path, false) || !on_host(r->path))
		return;
	r->state |= S_REFUSE;
	r->acc |= AJ_ACC_REFUSED;
	if (aj_log_verbose() > 0)
		aj_notice("learn: refused %s to %s (pid %d): it looks like a secret (%s)", r->path,
			  r->comm, (int)r->pid, aj_learn_base_secret(base, r->path, false));
}

static const char *acc_verb(unsigned acc)
{
	if (acc & AJ_ACC_EXEC)
		return "execute";
	if (acc & AJ_ACC_CONNECT)
		return "connect to";
	if (acc & (AJ_ACC_WRITE | AJ_ACC_CREATE))
		return "write";
	if (acc & AJ_ACC_READ)
		return "read";
	return "look at";
}

/* Is p there in the sandbox? (resolved inside its root, links included) */
static bool in_sandbox(struct obs *s, pid_t pid, const char *p)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	long fd;

	if (s->root_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
		s->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s->root_fd < 0)
			return true; /* cannot tell: say nothing */
	}
	fd = syscall(SYS_openat2, s->root_fd, p[1] ? p + 1 : ".", &how, sizeof(how));
	if (fd < 0)
		return errno != ENOENT && errno != ENOTDIR;
	(void)close((int)fd);
	return true;
}

/* Verbose: say once why the sandbox refuses what this path is used for. */
static void decide_verbose(struct obs *s, struct rec *r, unsigned acc, pid_t pid)
{
	struct aj_base *base = s->o->base;
	const struct aj_view *v;
	const char *why = NULL, *rule;
	bool write = acc & (AJ_ACC_WRITE | AJ_ACC_CREATE);
	char buf[PATH_MAX + 64];

	if (r->state & S_REPORTED || !base || r->path[0] != '/')
		return;
	/* The kernel's own files: /proc/self here is the observer's, not the caller's. */
	if (aj_path_covers("/proc", r->path))
		return;
	if ((rule = aj_learn_base_hidden(base, r->path)) && !(acc & AJ_ACC_MAYBE_NEW)) {
		snprintf(buf, sizeof(buf), "hidden by the profile (%s)", rule);
		why = buf;
	} else if ((v = aj_learn_base_view(base, r->path)) && v->host) {
		if (write && (!v->writable || aj_learn_base_protected(base, r->path)))
			why = aj_learn_base_protected(base, r->path) ? "protected: read-only inside"
								       : "read-only in the sandbox";
	} else if (!(acc & AJ_ACC_MAYBE_NEW) && !(acc & AJ_ACC_CREATE) && on_host(r->path) &&
		   !in_sandbox(s, pid, r->path))
		why = "not in the sandbox (the host has it)";
	if (!why)
		return;
	r->state |= S_REPORTED;
	aj_notice("denied: %s %s (%s, pid %d): %s", acc_verb(acc), r->path, r->comm, (int)pid, why);
}

/* One path a call names: record it; returns -errno to refuse the call, else 0. */
static int note(struct obs *s, pid_t pid, int dirfd, uint64_t addr, unsigned acc)
{
	char raw[PATH_MAX], dir[PATH_MAX], abs[PATH_MAX];
	const char *start = NULL;
	bool fresh;
	struct rec *r;
	ssize_t n = read_str(pid, addr, raw, sizeof(raw));

	if (n <= 0)
		return 0; /* unreadable or "": the kernel says what it says */
	if (raw[0] != '/') {
		if (base_dir(pid, dirfd, dir, sizeof(dir)) < 0)
			return 0;
		start = dir;
	}
	if (aj_path_join(start ? start : "/", raw, abs, sizeof(abs)) < 0)
		return 0;
	r = lookup(s, abs, pid, &fresh);
	if (!r)
		return 0;
	r->count++;
	if (s->o->mode == AJ_OBSERVE_LEARN) {
		/* A refusal is decided on the first use that could show the content. */
		if (!(r->state & S_DECIDED) && (acc & ~(unsigned)AJ_ACC_MAYBE_NEW) != AJ_ACC_CREATE)
			decide_learn(s, r);
	} else if ((r->acc | acc) != r->acc || fresh)
		decide_verbose(s, r, acc, pid);
	r->acc |= acc;
	/* A new file made where a secret-looking one is absent needs no refusal. */
	return (r->state & S_REFUSE) ? -ENOENT : 0;
}

static int note_sockaddr(struct obs *s, pid_t pid, uint64_t addr, uint64_t len)
{
	union {
		struct sockaddr sa;
		struct sockaddr_un un;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	char key[INET6_ADDRSTRLEN + 16], abs[PATH_MAX];
	bool fresh;
	struct rec *r;

	memset(&u, 0, sizeof(u));
	if (len < sizeof(sa_family_t) || len > sizeof(u) || read_mem(pid, addr, &u, len) < 0)
		return 0;
	if (u.sa.sa_family == AF_UNIX) {
		size_t max = len - offsetof(struct sockaddr_un, sun_path);

		if (max == 0 || u.un.sun_path[0] == '\0')
			return 0; /* abstract: not a path (and scoped by Landlock, net namespace) */
		u.un.sun_path[max < sizeof(u.un.sun_path) ? max : sizeof(u.un.sun_path) - 1] = '\0';
		if (u.un.sun_path[0] != '/') {
			char dir[PATH_MAX];

			if (base_dir(pid, AT_FDCWD, dir, sizeof(dir)) < 0 ||
			    aj_path_join(dir, u.un.sun_path, abs, sizeof(abs)) < 0)
				return 0;
		} else if (aj_path_join("/", u.un.sun_path, abs, sizeof(abs)) < 0)
			return 0;
		r = lookup(s, abs, pid, &fresh);
		if (r) {
			r->count++;
			if (s->o->mode == AJ_OBSERVE_VERBOSE && fresh)
				decide_verbose(s, r, AJ_ACC_CONNECT, pid);
			r->acc |= AJ_ACC_CONNECT;
		}
		return 0;
	}
	if (u.sa.sa_family == AF_INET && len >= sizeof(u.in)) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &u.in.sin_addr, a, sizeof(a));
		/* The proxy inside: every proxied connection starts there. */
		if (u.in.sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			return 0;
		snprintf(key, sizeof(key), "inet:%s:%u", a, ntohs(u.in.sin_port));
	} else if (u.sa.sa_family == AF_INET6 && len >= sizeof(u.in6)) {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, &u.in6.sin6_addr, a, sizeof(a));
		if (IN6_IS_ADDR_LOOPBACK(&u.in6.sin6_addr))
			return 0;
		snprintf(key, sizeof(key), "inet:[%s]:%u", a, ntohs(u.in6.sin6_port));
	} else
		return 0;
	r = lookup(s, key, pid, &fresh);
	if (r) {
		r->count++;
		r->acc |= AJ_ACC_CONNECT;
	}
	return 0;
}

static unsigned open_acc(uint64_t flags)
{
	unsigned acc;

	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return AJ_ACC_CREATE | AJ_ACC_DIR; /* an unnamed file in that directory */
	if (flags & O_PATH)
		return AJ_ACC_STAT | ((flags & O_DIRECTORY) ? AJ_ACC_DIR : 0);
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		acc = AJ_ACC_READ;
		break;
	case O_WRONLY:
		acc = AJ_ACC_WRITE;
		break;
	default:
		acc = AJ_ACC_READ | AJ_ACC_WRITE;
		break;
	}
	if (flags & O_TRUNC)
		acc |= AJ_ACC_WRITE;
	if (flags & O_CREAT)
		acc |= AJ_ACC_WRITE | AJ_ACC_MAYBE_NEW;
	if (flags & O_DIRECTORY)
		acc |= AJ_ACC_DIR;
	return acc;
}

/* A path argument: a[fd_arg] is its dirfd (-1: the cwd), a[path_arg] the pointer. */
static int at(struct obs *s, pid_t pid, const uint64_t *a, int fd_arg, int path_arg, unsigned acc)
{
	return note(s, pid, fd_arg < 0 ? AT_FDCWD : (int)a[fd_arg], a[path_arg], acc);
}

#define AT(fd_arg, path_arg, acc) at(s, pid, a, fd_arg, path_arg, acc)

/* Record what the call names; returns -errno to refuse it, else 0. */
static int handle(struct obs *s, const struct seccomp_notif *req)
{
	const uint64_t *a = (const uint64_t *)req->data.args;
	pid_t pid = (pid_t)req->pid;
	int r;

	if (req->data.arch != NATIVE_ARCH)
		return 0; /* the filter watches the native ABI only */
	switch (req->data.nr) {
#ifdef SYS_open
	case SYS_open:
		return AT(-1, 0, open_acc(a[1]));
#endif
	case SYS_openat:
		return AT(0, 1, open_acc(a[2]));
	case SYS_openat2: {
		struct open_how how;

		if (a[3] < sizeof(uint64_t) || read_mem(pid, a[2], &how.flags, sizeof(how.flags)) < 0)
			return 0;
		return AT(0, 1, open_acc(how.flags));
	}
#ifdef SYS_creat
	case SYS_creat:
		return AT(-1, 0, AJ_ACC_WRITE | AJ_ACC_MAYBE_NEW);
#endif
	case SYS_execve:
		s->comms[(unsigned)pid % COMM_SLOTS].pid = 0; /* a new name, if it works */
		return AT(-1, 0, AJ_ACC_EXEC);
	case SYS_execveat:
		s->comms[(unsigned)pid % COMM_SLOTS].pid = 0;
		return AT(0, 1, AJ_ACC_EXEC);
#ifdef SYS_stat
	case SYS_stat:
	case SYS_lstat:
		return AT(-1, 0, AJ_ACC_STAT);
#endif
#ifdef SYS_access
	case SYS_access:
		return AT(-1, 0, AJ_ACC_STAT);
#endif
#ifdef SYS_readlink
	case SYS_readlink:
		return AT(-1, 0, AJ_ACC_STAT);
#endif
	case SYS_newfstatat:
	case SYS_statx:
	case SYS_faccessat:
	case SYS_faccessat2:
	case SYS_readlinkat:
		return AT(0, 1, AJ_ACC_STAT);
	case SYS_chdir:
		return AT(-1, 0, AJ_ACC_STAT | AJ_ACC_DIR);
	case SYS_fchdir:
		return 0;
	case SYS_truncate:
		return AT(-1, 0, AJ_ACC_WRITE);
#ifdef SYS_mkdir
	case SYS_mkdir:
	case SYS_rmdir:
		return AT(-1, 0, AJ_ACC_CREATE | AJ_ACC_DIR);
	case SYS_unlink:
		return AT(-1, 0, AJ_ACC_CREATE);
	case SYS_rename:
		if ((r = AT(-1, 0, AJ_ACC_CREATE | AJ_ACC_READ)) < 0)
			return r;
		return AT(-1, 1, AJ_ACC_CREATE);
	case SYS_link:
		/* The old name is read: a link is another way to its content. */
		if ((r = AT(-1, 0, AJ_ACC_READ)) < 0)
			return r;
		return AT(-1, 1, AJ_ACC_CREATE);
	case SYS_symlink:
		return AT(-1, 1, AJ_ACC_CREATE);
	case SYS_mknod:
		return AT(-1, 0, AJ_ACC_CREATE);
	case SYS_chmod:
	case SYS_chown:
	case SYS_lchown:
	case SYS_utime:
	case SYS_utimes:
		return AT(-1, 0, AJ_ACC_WRITE);
#endif
	case SYS_mkdirat:
		return AT(0, 1, AJ_ACC_CREATE | AJ_ACC_DIR);
	case SYS_unlinkat:
		return AT(0, 1, AJ_ACC_CREATE | ((a[2] & AT_REMOVEDIR) ? AJ_ACC_DIR : 0));
	case SYS_renameat:
	case SYS_renameat2:
		if ((r = AT(0, 1, AJ_ACC_CREATE | AJ_ACC_READ)) < 0)
			return r;
		return AT(2, 3, AJ_ACC_CREATE);
	case SYS_linkat:
		if ((r = AT(0, 1, AJ_ACC_READ)) < 0)
			return r;
		return AT(2, 3, AJ_ACC_CREATE);
	case SYS_symlinkat:
		return AT(1, 2, AJ_ACC_CREATE);
	case SYS_mknodat:
		return AT(0, 1, AJ_ACC_CREATE);
	case SYS_fchmodat:
	case SYS_fchownat:
	case SYS_utimensat:
		return AT(0, 1, AJ_ACC_WRITE);
	case SYS_connect:
		return note_sockaddr(s, pid, a[1], a[2]);
	default:
		return 0;
	}
}

/* ---- the table out ------------------------------------------------------------ */

static int dump(struct obs *s, int fd)
{
	struct aj_buf b = { 0 };
	int r = 0;

	for (size_t i = 0; i < s->n && r >= 0; i++) {
		const struct rec *rec = &s->recs[i];

		aj_buf_puts(&b, "{\"path\":");
		aj_json_put_str(&b, rec->path);
		aj_buf_printf(&b, ",\"acc\":%u,\"n\":%lu,\"pid\":%d,\"comm\":", rec->acc, rec->count,
			      (int)rec->pid);
		aj_json_put_str(&b, rec->comm);
		aj_buf_puts(&b, "}\n");
		if (b.err)
			return b.err;
		if (b.len > 65536 || i + 1 == s->n) {
			r = aj_write_all(fd, b.data, b.len);
			b.len = 0;
		}
	}
	if (r >= 0 && s->dropped) {
		b.len = 0;
		aj_buf_printf(&b, "{\"dropped\":%lu}\n", s->dropped);
		r = b.err ? b.err : aj_write_all(fd, b.data, b.len);
	}
	aj_buf_free(&b);
	return r;
}

/*
 * The watcher: a thread that waits for the end (the kernel hangs the
 * listener up when no process is left under the filter, or the monitor's
 * SIGTERM arrives) and interrupts the main thread's blocking RECV until it
 * has seen it.  A poll() for no event but the hang-up is not woken by each
 * notification (the kernel's wake-up says EPOLLIN), so the main loop is one
 * RECV and one SEND per call, with nothing between.
 */
struct watch {
	pthread_t main;
	int listener, signal_fd;
	atomic_bool stop, done;
};

static void on_wake(int sig)
{
	(void)sig; /* only to interrupt a blocking ioctl */
}

static void *watcher(void *arg)
{
	struct watch *w = arg;
	struct pollfd pfd[2] = { { .fd = w->listener, .events = 0 },
				 { .fd = w->signal_fd, .events = POLLIN } };

	while (poll(pfd, 2, -1) < 0 && errno == EINTR)
		;
	atomic_store(&w->stop, true);
	/* Until the main thread is out: a signal sent just before it blocks is lost. */
	while (!atomic_load(&w->done)) {
		pthread_kill(w->main, SIGUSR1);
		usleep(20000);
	}
	return NULL;
}

int aj_observe_serve(const struct aj_observe *o, int listener, int signal_fd)
{
	struct obs s = { .o = o, .root_fd = -EBADF };
	struct watch w = { .main = pthread_self(), .listener = listener, .signal_fd = signal_fd };
	struct sigaction sa = { .sa_handler = on_wake }; /* no SA_RESTART: RECV returns EINTR */
	uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
	pthread_t t;
	sigset_t set;
	int code = 0;

	/* Linux 6.6: the sandbox's thread hands its CPU straight to us. */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (sigaction(SIGUSR1, &sa, NULL) < 0 || pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0 ||
	    pthread_create(&t, NULL, watcher, &w) != 0)
		return 1;
	while (!atomic_load(&w.stop)) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		int r;

		memset(&req, 0, sizeof(req));
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR || errno == ENOENT)
				continue; /* the end, or the caller went away before we looked */
			code = 1;
			break;
		}
		r = handle(&s, &req);
		resp = (struct seccomp_notif_resp){ .id = req.id };
		if (r < 0)
			resp.error = r;
		else
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		/* ENOENT: the call was interrupted meanwhile; it comes again if restarted. */
		(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	/* The watcher stops interrupting us; after an error it may still wait: we exit anyway. */
	atomic_store(&w.done, true);
	if (o->mode == AJ_OBSERVE_LEARN && o->result_fd >= 0 && dump(&s, o->result_fd) < 0)
		code = 1;
	aj_closep(&s.root_fd);
	return code;
}
