/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * aj-probe: a static helper run inside sandboxes to report what the command
 * sees, in stable text that tests compare (across agentjail and bwrap, root
 * and unprivileged).  Static, so a sandbox needs nothing but this file.
 *
 *   aj-probe CMD [ARGS...] [: CMD [ARGS...]]...
 *
 * Commands:
 *   ids                  uid, gid, groups, capability sets, no_new_privs, seccomp
 *   mounts               mountinfo reduced to: mountpoint root fstype flags
 *   stat PATH...         type, mode, owner of each PATH (lstat) or the errno name
 *   read PATH...         bytes readable from PATH or the errno name
 *   write PATH...        whether PATH can be opened for writing (creating it)
 *   mkdir PATH...        whether PATH can be created as a directory
 *   fds                  open fds >= 3 and what they point to
 *   ns                   namespace inodes (cgroup ipc mnt net pid user uts)
 *   pid                  pid and ppid
 *   hostname             the host name
 *   cwd                  the working directory
 *   env                  the environment, sorted
 *   exit N               exit with status N
 *   kill SIG             kill itself with signal SIG
 *   sleep SECONDS        sleep
 *   wait-signal          print the first of INT TERM HUP QUIT USR1 USR2 WINCH received
 *   connect IP PORT      try a TCP connection, print ok or the errno name
 *   setuid-root          try setuid(0), print ok or the errno name
 *
 * Kernel walls (each prints "WHAT ok" or "WHAT ERRNAME"):
 *   syscall NAME...      a harmless call of NAME (ptrace, keyctl, bpf, setns, clone3,
 *                        io_uring_setup, perf_event_open, process_vm_readv, personality)
 *   personality HEX      personality(HEX)
 *   tiocsti [high]       TIOCSTI (high: with bit 32 of the request set) on /dev/tty
 *   tiocsti-pty          TIOCSTI on a new pty made our controlling terminal
 *   tioclinux            TIOCLINUX on /dev/tty
 *   i386-getpid          getpid through int 0x80 (in a child: it may be killed)
 *   x32-getpid           getpid through the x32 ABI
 *   ptrace-child         PTRACE_ATTACH to a child of ours
 *   userns               unshare(CLONE_NEWUSER) (in a child)
 *   mount-tmpfs          mount a tmpfs on / (undone at once)
 *   raw-socket           socket(AF_INET, SOCK_RAW) and socket(AF_PACKET, SOCK_RAW)
 *   io-uring             io_uring_setup(1)
 *   openat FD PATH       openat(FD, PATH) for reading: a leaked directory fd
 *   readlink PATH        readlink
 *   listdir PATH         whether the directory can be listed
 *   signal PID SIG       kill(PID, SIG)
 *   unix-connect PATH    connect to a unix socket at PATH
 *   abstract-connect N   connect to the abstract unix socket N
 *   statfs PATH          size of the filesystem at PATH in bytes
 *   landlock-abi         the kernel's Landlock ABI (0: none)
 *   dumpable             PR_GET_DUMPABLE
 *   securebits           PR_GET_SECUREBITS in hex
 *   check KEY=VALUE...   the --check battery (agentjail --check): one line per probe,
 *                        "NAME blocked|open DETAIL", on fd report=N
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

const char *errname(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EBADF: return "EBADF";
	case ENXIO: return "ENXIO";
	case ELOOP: return "ELOOP";
	case EXDEV: return "EXDEV";
	case EBUSY: return "EBUSY";
	case ENOSPC: return "ENOSPC";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case ENOTTY: return "ENOTTY";
	case EIO: return "EIO";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOKEY: return "ENOKEY";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case ECHILD: return "ECHILD";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOTCONN: return "ENOTCONN";
	case EOVERFLOW: return "EOVERFLOW";
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
	}
}

static void ids(void)
{
	gid_t groups[64];
	int n = getgroups(64, groups);
	char line[256];
	FILE *f;

	printf("uid=%u euid=%u gid=%u egid=%u groups=", getuid(), geteuid(), getgid(), getegid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", groups[i]);
	printf("\n");
	f = fopen("/proc/self/status", "re");
	if (!f) {
		printf("status: %s\n", errname(errno));
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
		    strncmp(line, "Seccomp:", 8) == 0)
			fputs(line, stdout);
	fclose(f);
}

/*
 * mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPEROPTS".
 * Only the visible tree is printed: a mount covered by a later mount at the
 * same place, or sitting on a covered mount, cannot be reached by the command.
 */
struct mnt {
	int id, parent;
	char line[512];
	char point[1024];
};

static struct mnt mnts[512];
static int n_mnts;

static int visible(int i, int depth)
{
	if (depth > 64)
		return 0;
	for (int j = i + 1; j < n_mnts; j++)
		if (strcmp(mnts[j].point, mnts[i].point) == 0)
			return 0;
	for (int j = 0; j < n_mnts; j++)
		if (mnts[j].id == mnts[i].parent && j != i)
			return visible(j, depth + 1);
	return 1; /* the root of our view */
}

static void mounts(void)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f) {
		printf("mountinfo: %s\n", errname(errno));
		return;
	}
	n_mnts = 0;
	while (n_mnts < 512 && fgets(line, sizeof(line), f)) {
		char *tok[32];
		int n = 0;
		char *save, *t;
		int dash = -1;

		for (t = strtok_r(line, " \n", &save); t && n < 32; t = strtok_r(NULL, " \n", &save))
			tok[n++] = t;
		for (int i = 6; i < n; i++)
			if (strcmp(tok[i], "-") == 0) {
				dash = i;
				break;
			}
		if (n < 6 || dash < 0 || dash + 1 >= n)
			continue;
		/* Keep only the flags both tools control; drop atime flags. */
		char flags[128] = "";
		char *opt, *osave;
		for (opt = strtok_r(tok[5], ",", &osave); opt; opt = strtok_r(NULL, ",", &osave))
			if (!strcmp(opt, "ro") || !strcmp(opt, "rw") || !strcmp(opt, "nosuid") ||
			    !strcmp(opt, "nodev") || !strcmp(opt, "noexec")) {
				if (*flags)
					strcat(flags, ",");
				strcat(flags, opt);
			}
		mnts[n_mnts].id = atoi(tok[0]);
		mnts[n_mnts].parent = atoi(tok[1]);
		snprintf(mnts[n_mnts].point, sizeof(mnts[n_mnts].point), "%s", tok[4]);
		snprintf(mnts[n_mnts].line, sizeof(mnts[n_mnts].line), "%s %s %s %s", tok[4], tok[3],
			 tok[dash + 1], flags);
		n_mnts++;
	}
	fclose(f);
	for (int i = 0; i < n_mnts; i++)
		if (visible(i, 0))
			printf("%s\n", mnts[i].line);
}

static void do_stat(const char *p)
{
	struct stat st;
	const char *type = "?";

	if (lstat(p, &st) < 0) {
		printf("%s %s\n", p, errname(errno));
		return;
	}
	if (S_ISDIR(st.st_mode))
		type = "dir";
	else if (S_ISREG(st.st_mode))
		type = "file";
	else if (S_ISLNK(st.st_mode))
		type = "link";
	else if (S_ISCHR(st.st_mode))
		type = "chr";
	else if (S_ISBLK(st.st_mode))
		type = "blk";
	else if (S_ISFIFO(st.st_mode))
		type = "fifo";
	else if (S_ISSOCK(st.st_mode))
		type = "sock";
	printf("%s %s %04o %u:%u", p, type, (unsigned)(st.st_mode & 07777), st.st_uid, st.st_gid);
	if (S_ISLNK(st.st_mode)) {
		char t[PATH_MAX];
		ssize_t k = readlink(p, t, sizeof(t) - 1);
		if (k >= 0) {
			t[k] = '\0';
			printf(" -> %s", t);
		}
	}
	if (S_ISREG(st.st_mode))
		printf(" size=%lld", (long long)st.st_size);
	printf("\n");
}

static void do_read(const char *p)
{
	char buf[65536];
	long long total = 0;
	ssize_t k;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("read %s %s\n", p, errname(errno));
		return;
	}
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		total += k;
	if (k < 0)
		printf("read %s %s\n", p, errname(errno));
	else
		printf("read %s %lld\n", p, total);
	close(fd);
}

static void do_write(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND, 0644);

	if (fd < 0) {
		printf("write %s %s\n", p, errname(errno));
		return;
	}
	printf("write %s ok\n", p);
	close(fd);
}

static void do_mkdir(const char *p)
{
	if (mkdir(p, 0755) < 0)
		printf("mkdir %s %s\n", p, errname(errno));
	else
		printf("mkdir %s ok\n", p);
}

static void fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d) {
		printf("fds: %s\n", errname(errno));
		return;
	}
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		char path[64], target[PATH_MAX];
		ssize_t k;

		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		k = readlink(path, target, sizeof(target) - 1);
		target[k > 0 ? k : 0] = '\0';
		printf("fd %d %s\n", fd, target);
	}
	closedir(d);
}

static void ns(void)
{
	static const char *const names[] = { "cgroup", "ipc", "mnt", "net", "pid", "user", "uts" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", names[i]);
		if (stat(path, &st) < 0)
			printf("%s %s\n", names[i], errname(errno));
		else
			printf("%s %lu\n", names[i], (unsigned long)st.st_ino);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void env(void)
{
	size_t n = 0;

	while (environ[n])
		n++;
	qsort(environ, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", environ[i]);
}

static void wait_signal(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
	sigset_t set;
	int sig;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("ready\n");
	fflush(stdout);
	if (sigwait(&set, &sig) == 0)
		printf("signal %d\n", sig);
}

static void do_connect(const char *ip, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		printf("connect %s\n", errname(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		printf("connect %s\n", errname(errno));
	else
		printf("connect ok\n");
	close(fd);
}

/* Run one command; returns the number of words it used. */
static int run(int argc, char **argv)
{
	const char *c = argv[0];
	int n = 1;

	while (n < argc && strcmp(argv[n], ":") != 0)
		n++;
	if (!strcmp(c, "ids"))
		ids();
	else if (!strcmp(c, "mounts"))
		mounts();
	else if (!strcmp(c, "stat"))
		for (int i = 1; i < n; i++)
			do_stat(argv[i]);
	else if (!strcmp(c, "read"))
		for (int i = 1; i < n; i++)
			do_read(argv[i]);
	else if (!strcmp(c, "write"))
		for (int i = 1; i < n; i++)
			do_write(argv[i]);
	else if (!strcmp(c, "mkdir"))
		for (int i = 1; i < n; i++)
			do_mkdir(argv[i]);
	else if (!strcmp(c, "fds"))
		fds();
	else if (!strcmp(c, "ns"))
		ns();
	else if (!strcmp(c, "pid"))
		printf("pid %d ppid %d\n", (int)getpid(), (int)getppid());
	else if (!strcmp(c, "hostname")) {
		char h[256] = "";
		gethostname(h, sizeof(h) - 1);
		printf("hostname %s\n", h);
	} else if (!strcmp(c, "cwd")) {
		char d[PATH_MAX];
		printf("cwd %s\n", getcwd(d, sizeof(d)) ? d : errname(errno));
	} else if (!strcmp(c, "env"))
		env();
	else if (!strcmp(c, "exit") && n > 1) {
		fflush(stdout);
		exit(atoi(argv[1]));
	} else if (!strcmp(c, "kill") && n > 1) {
		fflush(stdout);
		signal(atoi(argv[1]), SIG_DFL);
		kill(getpid(), atoi(argv[1]));
		pause();
	} else if (!strcmp(c, "sleep") && n > 1) {
		fflush(stdout);
		sleep((unsigned)atoi(argv[1]));
	} else if (!strcmp(c, "wait-signal"))
		wait_signal();
	else if (!strcmp(c, "connect") && n > 2)
		do_connect(argv[1], argv[2]);
	else if (!strcmp(c, "setuid-root"))
		printf("setuid-root %s\n", setuid(0) == 0 ? "ok" : errname(errno));
	else if (walls_command(c, n - 1, argv + 1))
		;
	else {
		fprintf(stderr, "aj-probe: unknown command '%s'\n", c);
		exit(2);
	}
	fflush(stdout);
	return n;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: aj-probe CMD [ARGS...] [: CMD [ARGS...]]...\n");
		return 2;
	}
	while (i < argc) {
		i += run(argc - i, argv + i);
		if (i < argc && strcmp(argv[i], ":") == 0)
			i++;
	}
	return 0;
}
