/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * cgroup v2 for the sandbox (see cgroup.h).  Used only where the caller was
 * delegated a writable cgroup whose controllers include the ones a limit
 * needs; everything else falls back to rlimits in limits.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentjail/cgroup.h"
#include "agentjail/fdutil.h"
#include "cleanup.h"

struct aj_cgroup {
	char *outer;   /* <dir>/agentjail-<pid>: the limits */
	int outer_fd;  /* O_DIRECTORY */
	int leaf_fd;   /* <outer>/sandbox: the processes */
};

static const struct {
	const char *name;
	unsigned bit;
} controllers[] = { { "memory", AJ_CG_MEMORY }, { "pids", AJ_CG_PIDS }, { "cpu", AJ_CG_CPU } };

static int reason(char *why, size_t size, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int reason(char *why, size_t size, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

int aj_cgroup_parse_self(const char *text, char **ret_path)
{
	const char *p = text;

	/* Only the unified hierarchy's line has an empty controller list: "0::PATH". */
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 3 && strncmp(p, "0::", 3) == 0 && p[3] == '/') {
			char *path = strndup(p + 3, len - 3);

			if (!path)
				return -ENOMEM;
			*ret_path = path;
			return 0;
		}
		p = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 3;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

int aj_cgroup_parse_mountinfo(const char *text, char **ret_mountpoint)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		_cleanup_free_ char *line = strndup(p, len);
		char *f[6], *sep, *save = NULL, *fstype;
		int n = 0;

		p = nl ? nl + 1 : NULL;
		if (!line)
			return -ENOMEM;
		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		fstype = strtok_r(sep + 3, " ", &save);
		if (!fstype || strcmp(fstype, "cgroup2") != 0)
			continue;
		save = NULL;
		for (char *t = strtok_r(line, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		if (n < 5 || strcmp(f[3], "/") != 0)
			continue;
		*ret_mountpoint = unescape_octal(f[4], strlen(f[4]));
		return *ret_mountpoint ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

unsigned aj_cgroup_parse_controllers(const char *list)
{
	unsigned mask = 0;
	const char *p = list;

	while (*p) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
			if (len == strlen(controllers[i].name) && strncmp(p, controllers[i].name, len) == 0)
				mask |= controllers[i].bit;
		p += len;
	}
	return mask;
}

const char *aj_cgroup_mask_names(unsigned mask, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(controllers) && n < size; i++)
		if (mask & controllers[i].bit)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", controllers[i].name);
	return buf;
}

static int read_file(const char *dir, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	return aj_read_small_file(dfd, name, buf, size);
}

static int read_text(const char *path, char **ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *data;
	size_t size;
	int r;

	if (fd < 0)
		return -errno;
	r = aj_read_all(fd, 1u << 20, &data, &size);
	if (r < 0)
		return r;
	*ret = data;
	return 0;
}

int aj_cgroup_probe(unsigned want, char **ret_dir, char *why, size_t why_size)
{
	_cleanup_free_ char *self = NULL, *mounts = NULL, *path = NULL, *mnt = NULL, *dir = NULL;
	char list[512], names[64];
	unsigned have;
	int r;

	r = read_text("/proc/self/cgroup", &self);
	if (r < 0)
		return reason(why, why_size, r, "cannot read /proc/self/cgroup");
	if (aj_cgroup_parse_self(self, &path) < 0)
		return reason(why, why_size, -ENOENT, "this process is in no cgroup v2 hierarchy");
	r = read_text("/proc/self/mountinfo", &mounts);
	if (r < 0)
		return reason(why, why_size, r, "cannot read /proc/self/mountinfo");
	if (aj_cgroup_parse_mountinfo(mounts, &mnt) < 0)
		return reason(why, why_size, -ENOENT, "no cgroup2 file system is mounted");
	if (asprintf(&dir, "%s%s", strcmp(mnt, "/") == 0 ? "" : mnt, strcmp(path, "/") == 0 ? "" : path) < 0)
		return -ENOMEM;
	if (!*dir) {
		free(dir);
		dir = strdup("/");
		if (!dir)
			return -ENOMEM;
	}
	r = read_file(dir, "cgroup.controllers", list, sizeof(list));
	if (r < 0)
		return reason(why, why_size, r, "cannot read %s/cgroup.controllers", dir);
	have = aj_cgroup_parse_controllers(list);
	if ((have & want) != want)
		return reason(why, why_size, -EOPNOTSUPP, "controller(s) %s not delegated to %s",
			      aj_cgroup_mask_names(want & ~have, names, sizeof(names)), dir);
	if (access(dir, W_OK) < 0)
		return reason(why, why_size, -EACCES, "%s is not writable (not delegated)", dir);
	{
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/cgroup.subtree_control", dir);
		if (access(sub, W_OK) < 0)
			return reason(why, why_size, -EACCES, "%s is not writable (not delegated)", sub);
		snprintf(sub, sizeof(sub), "%s/cgroup.procs", dir);
		if (access(sub, W_OK) < 0)
			return reason(why, why_size, -EACCES, "%s is not writable (not delegated)", sub);
	}
	*ret_dir = TAKE_PTR(dir);
	return 0;
}

static int write_at(int dfd, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int write_at(int dfd, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return aj_write_file(dfd, name, buf);
}

/* "+memory +pids" into dir's cgroup.subtree_control. */
static int enable(int dfd, unsigned mask)
{
	char buf[128];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(controllers); i++)
		if (mask & controllers[i].bit)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s+%s", n ? " " : "",
					      controllers[i].name);
	return aj_write_file(dfd, "cgroup.subtree_control", buf);
}

/* Are we (this single-threaded process) the only member of dir? */
static bool alone_in(int dfd)
{
	char buf[256];
	int r = aj_read_small_file(dfd, "cgroup.procs", buf, sizeof(buf));
	char me[32];

	if (r < 0)
		return false;
	snprintf(me, sizeof(me), "%d", (int)getpid());
	return strcmp(buf, me) == 0;
}

static int enable_controllers(int dfd, unsigned want, char *why, size_t why_size)
{
	char list[512];
	int r;

	r = aj_read_small_file(dfd, "cgroup.subtree_control", list, sizeof(list));
	if (r < 0)
		return reason(why, why_size, r, "cannot read cgroup.subtree_control");
	if ((aj_cgroup_parse_controllers(list) & want) == want)
		return 0;
	r = enable(dfd, want);
	if (r != -EBUSY)
		return r < 0 ? reason(why, why_size, r, "cannot enable the controllers") : 0;
	/* A group with processes hands nothing down (cgroup v2's "no internal processes"). */
	if (!alone_in(dfd))
		return reason(why, why_size, -EBUSY,
			      "its cgroup holds other processes (run agentjail in a cgroup of its "
			      "own, e.g. systemd-run --user --scope -p Delegate=yes)");
	if (mkdirat(dfd, "agentjail-monitor", 0755) < 0 && errno != EEXIST)
		return reason(why, why_size, -errno, "cannot create agentjail-monitor");
	{
		_cleanup_close_ int mfd = openat(dfd, "agentjail-monitor", O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (mfd < 0)
			return reason(why, why_size, -errno, "cannot open agentjail-monitor");
		r = write_at(mfd, "cgroup.procs", "0");
		if (r < 0)
			return reason(why, why_size, r, "cannot move into agentjail-monitor");
	}
	r = enable(dfd, want);
	if (r < 0)
		return reason(why, why_size, r, "cannot enable the controllers");
	return 0;
}

int aj_cgroup_create(const char *dir, unsigned want, const struct aj_cgroup_limits *lim,
		     struct aj_cgroup **ret, char *why, size_t why_size)
{
	_cleanup_close_ int dfd = -EBADF;
	struct aj_cgroup *cg;
	char name[64];
	int r;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return reason(why, why_size, -errno, "cannot open %s", dir);
	r = enable_controllers(dfd, want, why, why_size);
	if (r < 0)
		return r;

	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->outer_fd = cg->leaf_fd = -EBADF;
	snprintf(name, sizeof(name), "agentjail-%d", (int)getpid());
	if (asprintf(&cg->outer, "%s/%s", dir, name) < 0) {
		free(cg);
		return -ENOMEM;
	}
	if (mkdirat(dfd, name, 0755) < 0) {
		r = reason(why, why_size, -errno, "cannot create %s", cg->outer);
		free(cg->outer);
		free(cg);
		return r;
	}
	cg->outer_fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->outer_fd < 0) {
		r = reason(why, why_size, -errno, "cannot open %s", cg->outer);
		goto fail;
	}
	if (lim->memory) {
		r = write_at(cg->outer_fd, "memory.max", "%" PRIu64, lim->memory);
		if (r < 0) {
			reason(why, why_size, r, "cannot write %s/memory.max", cg->outer);
			goto fail;
		}
		/* Without this the limit only moves the excess to swap. */
		r = write_at(cg->outer_fd, "memory.swap.max", "0");
		if (r < 0 && r != -ENOENT) {
			reason(why, why_size, r, "cannot write %s/memory.swap.max", cg->outer);
			goto fail;
		}
	}
	if (lim->pids) {
		r = write_at(cg->outer_fd, "pids.max", "%" PRIu64, lim->pids);
		if (r < 0) {
			reason(why, why_size, r, "cannot write %s/pids.max", cg->outer);
			goto fail;
		}
	}
	if (lim->cpus_milli) {
		r = write_at(cg->outer_fd, "cpu.max", "%" PRIu64 " 100000", lim->cpus_milli * 100);
		if (r < 0) {
			reason(why, why_size, r, "cannot write %s/cpu.max", cg->outer);
			goto fail;
		}
	}
	if (mkdirat(cg->outer_fd, "sandbox", 0755) < 0) {
		r = reason(why, why_size, -errno, "cannot create %s/sandbox", cg->outer);
		goto fail;
	}
	cg->leaf_fd = openat(cg->outer_fd, "sandbox", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->leaf_fd < 0) {
		r = reason(why, why_size, -errno, "cannot open %s/sandbox", cg->outer);
		goto fail;
	}
	*ret = cg;
	return 0;
fail:
	(void)aj_cgroup_destroy(cg); /* the reason above is the one that matters */
	return r;
}

int aj_cgroup_leaf_fd(const struct aj_cgroup *cg)
{
	return cg ? cg->leaf_fd : -EBADF;
}

const char *aj_cgroup_path(const struct aj_cgroup *cg)
{
	return cg ? cg->outer : NULL;
}

/* Wait up to about two seconds for "populated 0" in cgroup.events. */
static bool wait_empty(int dfd)
{
	for (int i = 0; i < 200; i++) {
		char buf[256];
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		if (aj_read_small_file(dfd, "cgroup.events", buf, sizeof(buf)) < 0)
			return false;
		if (strstr(buf, "populated 0"))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

int aj_cgroup_destroy(struct aj_cgroup *cg)
{
	int r = 0;

	if (!cg)
		return 0;
	if (cg->outer_fd >= 0) {
		/* cgroup.kill (Linux 5.14) ends whatever the command left behind. */
		(void)write_at(cg->outer_fd, "cgroup.kill", "1");
		(void)wait_empty(cg->outer_fd);
		if (cg->leaf_fd >= 0 && unlinkat(cg->outer_fd, "sandbox", AT_REMOVEDIR) < 0 &&
		    errno != ENOENT)
			r = -errno;
	}
	aj_closep(&cg->leaf_fd);
	aj_closep(&cg->outer_fd);
	if (cg->outer && rmdir(cg->outer) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	free(cg->outer);
	free(cg);
	return r < 0 ? -EBUSY : 0;
}
