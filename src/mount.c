/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The sandbox's root, in bwrap's shape so that what the command sees (and
 * /proc/self/mountinfo) matches it:
 *
 *   1. make "/" a recursive slave: host mounts keep propagating in, nothing
 *      we do propagates out;
 *   2. resolve every host source path with realpath() while the host tree is
 *      still "/" (relative paths and symlinks as the caller sees them);
 *   3. mount a tmpfs (the "base") on /tmp of our mount namespace, make
 *      base/newroot a mount point, and pivot_root into base with the host
 *      under /oldroot;
 *   4. apply the operations in order: sources from /oldroot, destinations
 *      resolved inside /newroot with RESOLVE_IN_ROOT;
 *   5. detach /oldroot, pivot_root into /newroot and detach the base.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/mask.h"
#include "agentjail/mount.h"
#include "agentjail/mountfd.h"
#include "agentjail/plan.h"
#include "agentjail/protect.h"
#include "cleanup.h"

/* Per-op host paths, resolved before the pivot. */
struct resolved {
	char *src;      /* realpath of op->src (bind, overlay upper) or of the fd */
	char *workdir;  /* realpath of op->workdir */
	char **layers;  /* realpaths of op->layers */
	bool skip;      /* -try source that does not exist */
};

struct ctx {
	struct aj_run *run;
	struct resolved *res;
	int root;       /* O_PATH of the future root (/newroot), reopened per op */
	int old;        /* O_PATH of the host root (/oldroot) */
	unsigned n_tmp; /* counter for names in the base tmpfs */
};

static const uint64_t RO = MOUNT_ATTR_RDONLY, NOSUID = MOUNT_ATTR_NOSUID,
		      NODEV = MOUNT_ATTR_NODEV, NOEXEC = MOUNT_ATTR_NOEXEC;

/*
 * Mode of the parents an operation creates: 0755 without the group bits when
 * the operation's mode has none, and likewise for others.  Operations that
 * take no --perms count as mode 0, so their parents are 0700: bwrap 0.8-0.11
 * behave so, and scripts see it (BWRAP-COMPAT.md 4.2).
 */
static mode_t parent_mode(int perms)
{
	mode_t m = 0755;

	if (!(perms & 0070))
		m &= ~(mode_t)0070;
	if (!(perms & 0007))
		m &= ~(mode_t)0007;
	return m;
}

static int make_parents(struct ctx *c, const char *dest, int perms)
{
	_cleanup_free_ char *failed = NULL;
	int r = aj_mkdir_parents_in_root(c->root, dest, parent_mode(perms), &failed);

	if (r < 0)
		return aj_err(r, "Can't mkdir %s", failed ? failed : dest);
	return 0;
}

/* Open a host path that realpath() produced, refusing any symlink met now. */
static int open_host(struct ctx *c, const char *real)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
	};
	const char *rel = real;
	long fd;

	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	fd = syscall(SYS_openat2, c->old, rel, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Create the mount point (directory or empty 0444 file) and open it. */
static int mount_point(struct ctx *c, const char *dest, bool dir, int perms)
{
	int r = make_parents(c, dest, perms);

	if (r < 0)
		return r;
	r = dir ? aj_mkdir_in_root(c->root, dest, 0755) : aj_touch_in_root(c->root, dest, 0444);
	if (r < 0)
		return aj_err(r, dir ? "Can't mkdir %s" : "Can't create file at %s", dest);
	r = aj_open_in_root(c->root, dest, O_PATH, 0);
	if (r < 0)
		return aj_err(r, "Can't open %s", dest);
	return r;
}

/* Clone the tree at src_fd, add attrs on every mount of it, attach at dest. */
static int bind_fd_at(struct ctx *c, int src_fd, const char *what, const char *dest, uint64_t attrs,
		      int perms)
{
	_cleanup_close_ int target = -EBADF, tree = -EBADF;
	struct stat st;
	int r;

	if (fstat(src_fd, &st) < 0)
		return aj_err(-errno, "Can't stat %s", what);
	target = mount_point(c, dest, S_ISDIR(st.st_mode), perms);
	if (target < 0)
		return target;
	tree = aj_tree_clone(src_fd, true);
	if (tree < 0)
		return aj_err(tree, "Can't bind mount %s on %s", what, dest);
	r = aj_mount_set(tree, attrs, true);
	if (r < 0)
		return aj_err(r, "Can't bind mount %s on %s: Unable to apply mount flags", what, dest);
	r = aj_mount_move(tree, target);
	if (r < 0)
		return aj_err(r, "Can't bind mount %s on %s", what, dest);
	return 0;
}

static uint64_t bind_attrs(unsigned flags)
{
	return NOSUID | ((flags & AJ_OPF_DEV) ? 0 : NODEV) | ((flags & AJ_OPF_RO) ? RO : 0);
}

static int op_bind(struct ctx *c, const struct aj_op *op, const struct resolved *res)
{
	_cleanup_close_ int src = -EBADF;

	src = open_host(c, res->src);
	if (src < 0)
		return aj_err(src, "Can't find source path %s", op->src);
	return bind_fd_at(c, src, op->src, op->dest, bind_attrs(op->flags), 0);
}

static int op_bind_fd(struct ctx *c, const struct aj_op *op, const struct resolved *res)
{
	_cleanup_close_ int src = -EBADF, check = -EBADF;
	struct stat want, got;
	char what[32];
	int r;

	snprintf(what, sizeof(what), "fd %d", op->fd);
	src = open_host(c, res->src);
	if (src < 0)
		return aj_err(src, "Can't find source path %s", res->src);
	r = bind_fd_at(c, src, what, op->dest, bind_attrs(op->flags), 0);
	if (r < 0)
		return r;
	/* The path may have been swapped since realpath(): check it is the fd's file. */
	check = aj_open_in_root(c->root, op->dest, O_PATH, 0);
	if (check < 0 || fstat(op->fd, &want) < 0 || fstat(check, &got) < 0 ||
	    want.st_dev != got.st_dev || want.st_ino != got.st_ino)
		return aj_errx(-EXDEV, "Race condition binding dirfd");
	return 0;
}

static int op_remount_ro(struct ctx *c, const struct aj_op *op)
{
	_cleanup_close_ int fd = -EBADF;
	struct statx stx;
	int r;

	fd = aj_open_in_root(c->root, op->dest, O_PATH, 0);
	if (fd < 0)
		return aj_err(fd, "Can't remount readonly on %s", op->dest);
	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
		return aj_err(-errno, "Can't remount readonly on %s", op->dest);
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return aj_errx(-EINVAL, "Can't remount readonly on %s: not a mount point", op->dest);
	r = aj_mount_set(fd, RO | NOSUID | NODEV, false);
	if (r < 0)
		return aj_err(r, "Can't remount readonly on %s", op->dest);
	return 0;
}

/* Attach a freshly made filesystem (fd from aj_fs_mount) at dest. */
static int attach_new(struct ctx *c, int mfd, const char *fstype, const char *dest, int perms)
{
	_cleanup_close_ int target = -EBADF, m = mfd;
	int r;

	if (m < 0)
		return aj_err(m, "Can't mount %s on %s", fstype, dest);
	target = mount_point(c, dest, true, perms);
	if (target < 0)
		return target;
	r = aj_mount_move(m, target);
	if (r < 0)
		return aj_err(r, "Can't mount %s on %s", fstype, dest);
	return 0;
}

static int op_tmpfs(struct ctx *c, const struct aj_op *op)
{
	int mode = op->perms >= 0 ? op->perms : 0755;
	/* --size, else the plan's default (walls.c: hardened plans get one). */
	uint64_t size = op->size ? op->size : c->run->plan->tmpfs_size;
	char modestr[16], sizestr[32];
	const char *opts[] = { "source", "tmpfs", "mode", modestr, size ? "size" : NULL, sizestr,
			       NULL };

	snprintf(modestr, sizeof(modestr), "%#o", (unsigned)mode);
	snprintf(sizestr, sizeof(sizestr), "%ju", (uintmax_t)size);
	return attach_new(c, aj_fs_mount("tmpfs", opts, NOSUID | NODEV), "tmpfs", op->dest, mode);
}

static int op_mqueue(struct ctx *c, const struct aj_op *op)
{
	const char *opts[] = { "source", "mqueue", NULL };

	return attach_new(c, aj_fs_mount("mqueue", opts, 0), "mqueue", op->dest, 0);
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/* Bind dest (inside the sandbox) read-only onto itself, if it exists. */
static int cover_ro(struct ctx *c, const char *dest)
{
	_cleanup_close_ int fd = -EBADF, tree = -EBADF;
	int r;

	fd = aj_open_in_root(c->root, dest, O_PATH, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return aj_err(fd, "Can't open %s", dest);
	tree = aj_tree_clone(fd, true);
	if (tree < 0)
		return aj_err(tree, "Can't bind mount %s read-only", dest);
	r = aj_mount_set(tree, RO | NOSUID | NODEV, true);
	if (r >= 0)
		r = aj_mount_move(tree, fd);
	if (r < 0)
		return aj_err(r, "Can't bind mount %s read-only", dest);
	return 0;
}

/*
 * Hide dest (inside the sandbox) behind something empty and read-only: an
 * empty tmpfs for a directory, an empty file of the base tmpfs for a file.
 */
static int mask(struct ctx *c, const char *dest)
{
	static const char empty[] = "/proc-mask-empty";
	const char *opts[] = { "source", "tmpfs", "mode", "0555", "size", "4096", NULL };
	_cleanup_close_ int fd = -EBADF, tree = -EBADF;
	struct stat st;
	int r;

	fd = aj_open_in_root(c->root, dest, O_PATH, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return aj_err(fd < 0 ? fd : -errno, "Can't open %s", dest);
	if (S_ISDIR(st.st_mode))
		tree = aj_fs_mount("tmpfs", opts, RO | NOSUID | NODEV | NOEXEC);
	else {
		_cleanup_close_ int file = open(empty, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0444);

		if (file < 0)
			return aj_err(-errno, "Can't create %s", empty);
		tree = aj_tree_clone(file, false);
		if (tree >= 0 && (r = aj_mount_set(tree, RO | NOSUID | NODEV | NOEXEC, false)) < 0) {
			aj_closep(&tree);
			tree = r;
		}
	}
	r = tree < 0 ? tree : aj_mount_move(tree, fd);
	if (r < 0)
		return aj_err(r, "Can't mask %s", dest);
	return 0;
}

/*
 * Kernel knobs stay read-only even for a root inside (BWRAP-COMPAT.md 3.7),
 * and what container runtimes mask shows empty: the kernel's memory and
 * symbol addresses, keys, timers and scheduler internals, hardware tables.
 */
static const char *const proc_read_only[] = { "sys", "sysrq-trigger", "irq", "bus", "fs" };
static const char *const proc_masked[] = { "kcore", "keys", "key-users", "timer_list",
					   "sched_debug", "latency_stats", "acpi", "asound",
					   "scsi", "kallsyms" };

static int op_proc(struct ctx *c, const struct aj_op *op)
{
	int r;

	if (c->run->new_procfs) {
		const char *opts[] = { "source", "proc", NULL };

		r = attach_new(c, aj_fs_mount("proc", opts, NOSUID | NOEXEC | NODEV), "proc", op->dest, 0);
	} else {
		/* Not our pid namespace: the kernel refuses a new instance, so bind the host's. */
		_cleanup_close_ int src = open_host(c, "/proc");

		if (src < 0)
			return aj_err(src, "Can't find source path /proc");
		r = bind_fd_at(c, src, "/proc", op->dest, NOSUID | NODEV, 0);
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(proc_read_only); i++) {
		_cleanup_free_ char *p = join(op->dest, proc_read_only[i]);

		if (!p)
			return aj_err(-ENOMEM, "Out of memory");
		r = cover_ro(c, p);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(proc_masked); i++) {
		_cleanup_free_ char *p = join(op->dest, proc_masked[i]);

		if (!p)
			return aj_err(-ENOMEM, "Out of memory");
		r = mask(c, p);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dev_node(struct ctx *c, const char *dest, const char *name, const char *host_path)
{
	_cleanup_free_ char *p = join(dest, name);
	_cleanup_close_ int src = -EBADF;

	if (!p)
		return aj_err(-ENOMEM, "Out of memory");
	src = open_host(c, host_path);
	if (src < 0)
		return aj_err(src, "Can't find source path %s", host_path);
	/* Device nodes must stay usable: no nodev on these binds. */
	return bind_fd_at(c, src, host_path, p, NOSUID, 0);
}

/* A minimal /dev: a few host nodes, a private devpts, std* links (BWRAP-COMPAT.md 4.3). */
static int op_dev(struct ctx *c, const struct aj_op *op)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" }, { "fd", "/proc/self/fd" },
		{ "core", "/proc/kcore" },
	};
	uint64_t size = c->run->plan->tmpfs_size; /* /dev/shm lives in it */
	char sizestr[32];
	const char *tmpfs_opts[] = { "source", "tmpfs", "mode", "0755", size ? "size" : NULL, sizestr,
				     NULL };
	const char *pts_opts[] = { "source", "devpts", "newinstance", NULL, "ptmxmode", "0666",
				   "mode", "620", NULL };
	_cleanup_close_ int dev = -EBADF;
	_cleanup_free_ char *pts = join(op->dest, "pts");
	int r;

	if (!pts)
		return aj_err(-ENOMEM, "Out of memory");
	snprintf(sizestr, sizeof(sizestr), "%ju", (uintmax_t)size);
	r = attach_new(c, aj_fs_mount("tmpfs", tmpfs_opts, NOSUID | NODEV), "tmpfs", op->dest, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
		char host[32];

		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		r = dev_node(c, op->dest, nodes[i], host);
		if (r < 0)
			return r;
	}
	dev = aj_open_in_root(c->root, op->dest, O_PATH | O_DIRECTORY, 0);
	if (dev < 0)
		return aj_err(dev, "Can't open %s", op->dest);
	for (size_t i = 0; i < ELEMENTSOF(links); i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			return aj_err(-errno, "Can't create symlink %s/%s", op->dest, links[i][0]);
	if (mkdirat(dev, "shm", 0755) < 0)
		return aj_err(-errno, "Can't create %s/shm", op->dest);
	r = attach_new(c, aj_fs_mount("devpts", pts_opts, NOSUID | NOEXEC), "devpts", pts, 0);
	if (r < 0)
		return r;
	if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
		return aj_err(-errno, "Can't make symlink at %s/ptmx", op->dest);
	/* bwrap gives the sandbox our terminal as /dev/console when stdout is one. */
	if (c->run->tty)
		return dev_node(c, op->dest, "console", c->run->tty);
	return 0;
}

static int op_dir(struct ctx *c, const struct aj_op *op)
{
	int mode = op->perms >= 0 ? op->perms : 0755;
	int r = make_parents(c, op->dest, mode);

	if (r < 0)
		return r;
	r = aj_mkdir_in_root(c->root, op->dest, (mode_t)mode);
	if (r < 0)
		return aj_err(r, "Can't mkdir %s", op->dest);
	return 0;
}

static int op_file(struct ctx *c, const struct aj_op *op)
{
	int mode = op->perms >= 0 ? op->perms : 0666;
	_cleanup_close_ int fd = -EBADF;
	int r = make_parents(c, op->dest, mode);

	if (r < 0)
		return r;
	fd = aj_open_in_root(c->root, op->dest, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY, (mode_t)mode);
	if (fd < 0)
		return aj_err(fd, "Can't create file at %s", op->dest);
	r = aj_copy_fd(op->fd, fd);
	if (r < 0)
		return aj_err(r, "Can't write data to file %s", op->dest);
	return 0;
}

/* The data lives in a file of the base tmpfs, invisible once the root switches. */
static int op_bind_data(struct ctx *c, const struct aj_op *op)
{
	int mode = op->perms >= 0 ? op->perms : 0600;
	_cleanup_close_ int fd = -EBADF;
	char name[48];
	int r;

	snprintf(name, sizeof(name), "/bind-data-%u", c->n_tmp++);
	fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return aj_err(-errno, "Can't create temporary file for %s", op->dest);
	r = aj_copy_fd(op->fd, fd);
	if (r < 0)
		return aj_err(r, "Can't write data to file %s", op->dest);
	r = bind_fd_at(c, fd, op->dest, op->dest, NOSUID | NODEV | ((op->flags & AJ_OPF_RO) ? RO : 0),
		       mode);
	(void)unlink(name); /* the bind keeps the file; a leftover name dies with the base */
	return r;
}

static int op_symlink(struct ctx *c, const struct aj_op *op)
{
	_cleanup_free_ char *parent = NULL, *name = NULL;
	_cleanup_close_ int pfd = -EBADF;
	char existing[PATH_MAX];
	ssize_t n;
	int r = make_parents(c, op->dest, 0);

	if (r < 0)
		return r;
	r = aj_split_path(op->dest, &parent, &name);
	if (r < 0)
		return aj_err(r, "Out of memory");
	pfd = aj_open_in_root(c->root, parent, O_PATH | O_DIRECTORY, 0);
	if (pfd < 0)
		return aj_err(pfd, "Can't make symlink at %s", op->dest);
	if (symlinkat(op->src, pfd, name) == 0)
		return 0;
	if (errno != EEXIST)
		return aj_err(-errno, "Can't make symlink at %s", op->dest);
	/* Since bwrap 0.9 the same link made twice is fine. */
	n = readlinkat(pfd, name, existing, sizeof(existing) - 1);
	if (n < 0)
		return aj_errx(-EEXIST, "Can't make symlink at %s: destination exists and is not a symlink",
			       op->dest);
	existing[n] = '\0';
	if (strcmp(existing, op->src) != 0)
		return aj_errx(-EEXIST, "Can't make symlink at %s: existing destination is %s", op->dest,
			       existing);
	return 0;
}

static int op_chmod(struct ctx *c, const struct aj_op *op)
{
	_cleanup_close_ int fd = -EBADF;
	char path[32];

	fd = aj_open_in_root(c->root, op->dest, O_PATH, 0);
	if (fd < 0)
		return aj_err(fd, "Can't chmod %#o %s", (unsigned)op->perms, op->dest);
	/* fchmod() refuses O_PATH fds and fchmodat2() is Linux 6.6: go through /proc. */
	snprintf(path, sizeof(path), "self/fd/%d", fd);
	if (fchmodat(c->run->proc_fd, path, (mode_t)op->perms, 0) < 0)
		return aj_err(-errno, "Can't chmod %#o %s", (unsigned)op->perms, op->dest);
	return 0;
}

/* overlayfs takes ':' as the layer separator and '\\' as its escape. */
static int append_layer(char **buf, size_t *len, const char *s)
{
	size_t need = *len + 2 * strlen(s) + 2;
	char *nb = realloc(*buf, need);

	if (!nb)
		return -ENOMEM;
	*buf = nb;
	if (*len)
		nb[(*len)++] = ':';
	for (; *s; s++) {
		if (*s == ':' || *s == '\\')
			nb[(*len)++] = '\\';
		nb[(*len)++] = *s;
	}
	nb[*len] = '\0';
	return 0;
}

static char *oldroot_path(const char *real)
{
	char *s;

	if (asprintf(&s, "/oldroot%s", strcmp(real, "/") == 0 ? "" : real) < 0)
		return NULL;
	return s;
}

static int op_overlay(struct ctx *c, const struct aj_op *op, const struct resolved *res)
{
	_cleanup_free_ char *lower = NULL, *upper = NULL, *work = NULL;
	size_t len = 0;
	const char *opts[12];
	size_t k = 0;
	int mfd;

	/* Top-most layer first: the reverse of the command line. */
	for (size_t i = op->n_layers; i-- > 0;) {
		_cleanup_free_ char *p = oldroot_path(res->layers[i]);

		if (!p || append_layer(&lower, &len, p) < 0)
			return aj_err(-ENOMEM, "Out of memory");
	}
	if (op->flags & AJ_OPF_TMP_OVERLAY) {
		unsigned n = c->n_tmp++;

		if (asprintf(&upper, "/tmp-overlay-upper-%u", n) < 0 ||
		    asprintf(&work, "/tmp-overlay-work-%u", n) < 0)
			return aj_err(-ENOMEM, "Out of memory");
		if (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0)
			return aj_err(-errno, "Can't create overlay directories for %s", op->dest);
	} else if (!(op->flags & AJ_OPF_RO)) {
		upper = oldroot_path(res->src);
		work = oldroot_path(res->workdir);
		if (!upper || !work)
			return aj_err(-ENOMEM, "Out of memory");
	}
	opts[k++] = "source", opts[k++] = "overlay";
	opts[k++] = "lowerdir", opts[k++] = lower;
	if (upper) {
		opts[k++] = "upperdir", opts[k++] = upper;
		opts[k++] = "workdir", opts[k++] = work;
	}
	opts[k++] = "userxattr", opts[k++] = NULL;
	opts[k] = NULL;
	mfd = aj_fs_mount("overlay", opts, 0);
	/* The learning view: a filesystem overlayfs cannot stack on is shown read-only. */
	if (mfd < 0 && (op->flags & AJ_OPF_RO_FALLBACK) && op->n_layers == 1) {
		_cleanup_close_ int src = open_host(c, res->layers[0]);

		aj_debug("overlay on %s refused (%s): a read-only bind instead", op->dest,
			 strerror(-mfd));
		if (src < 0)
			return aj_err(src, "Can't find source path %s", op->layers[0]);
		return bind_fd_at(c, src, op->layers[0], op->dest, RO | NOSUID | NODEV, 0);
	}
	if (mfd == -ELOOP)
		return aj_errx(mfd, "Can't make overlay mount on %s with options %s: Overlay "
				    "directories may not overlap",
			       op->dest, lower);
	return attach_new(c, mfd, "overlay", op->dest, 0);
}

static int apply_op(struct ctx *c, const struct aj_op *op, const struct resolved *res)
{
	if (res->skip)
		return 0;
	switch (op->kind) {
	case AJ_OP_BIND:
		return op_bind(c, op, res);
	case AJ_OP_BIND_FD:
		return op_bind_fd(c, op, res);
	case AJ_OP_REMOUNT_RO:
		return op_remount_ro(c, op);
	case AJ_OP_TMPFS:
		return op_tmpfs(c, op);
	case AJ_OP_PROC:
		return op_proc(c, op);
	case AJ_OP_DEV:
		return op_dev(c, op);
	case AJ_OP_MQUEUE:
		return op_mqueue(c, op);
	case AJ_OP_DIR:
		return op_dir(c, op);
	case AJ_OP_FILE:
		return op_file(c, op);
	case AJ_OP_BIND_DATA:
		return op_bind_data(c, op);
	case AJ_OP_SYMLINK:
		return op_symlink(c, op);
	case AJ_OP_CHMOD:
		return op_chmod(c, op);
	case AJ_OP_OVERLAY:
		return op_overlay(c, op, res);
	case AJ_OP_HIDE:
	case AJ_OP_MASK:
		return aj_mask_apply(c->root, op);
	case AJ_OP_PROTECT:
		return aj_protect_apply(c->root, op);
	case _AJ_OP_KIND_MAX:
		break;
	}
	return aj_errx(-EINVAL, "internal error: unknown operation %d", (int)op->kind);
}

/* realpath() a host source; ENOENT of a -try source marks the op skipped. */
static int resolve_one(const char *path, bool try, char **ret, bool *ret_skip)
{
	char *r = realpath(path, NULL);

	if (!r) {
		if (errno == ENOENT && try) {
			*ret_skip = true;
			return 0;
		}
		return aj_err(-errno, "Can't find source path %s", path);
	}
	*ret = r;
	return 0;
}

static int resolve_sources(const struct aj_plan *plan, struct resolved *res)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		bool try = op->flags & AJ_OPF_TRY;
		int r = 0;

		if (op->kind == AJ_OP_BIND) {
			r = resolve_one(op->src, try, &res[i].src, &res[i].skip);
		} else if (op->kind == AJ_OP_BIND_FD) {
			char fdpath[32];

			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", op->fd);
			r = resolve_one(fdpath, false, &res[i].src, &res[i].skip);
		} else if (op->kind == AJ_OP_OVERLAY) {
			res[i].layers = calloc(op->n_layers + 1, sizeof(char *));
			if (!res[i].layers)
				return aj_err(-ENOMEM, "Out of memory");
			for (size_t l = 0; l < op->n_layers && r >= 0; l++)
				r = resolve_one(op->layers[l], false, &res[i].layers[l], &res[i].skip);
			if (r >= 0 && op->src)
				r = resolve_one(op->src, false, &res[i].src, &res[i].skip);
			if (r >= 0 && op->workdir)
				r = resolve_one(op->workdir, false, &res[i].workdir, &res[i].skip);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int setup_base(const struct aj_plan *plan)
{
	char data[32] = "";

	/* The base becomes the sandbox's root: it gets the default tmpfs size too. */
	if (plan->tmpfs_size)
		snprintf(data, sizeof(data), "size=%ju", (uintmax_t)plan->tmpfs_size);
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return aj_err(-errno, "Failed to make / slave");
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID, *data ? data : NULL) < 0)
		return aj_err(-errno, "Failed to mount tmpfs");
	if (chdir("/tmp") < 0)
		return aj_err(-errno, "chdir /tmp");
	if (mkdir("newroot", 0755) < 0)
		return aj_err(-errno, "Creating newroot failed");
	if (mount("newroot", "newroot", NULL, MS_BIND | MS_REC, NULL) < 0)
		return aj_err(-errno, "setting up newroot bind");
	if (mkdir("oldroot", 0755) < 0)
		return aj_err(-errno, "Creating oldroot failed");
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		return aj_err(-errno, "pivot_root");
	if (chdir("/") < 0)
		return aj_err(-errno, "chdir / (base path)");
	return 0;
}

static int switch_root(void)
{
	if (mount("oldroot", "oldroot", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return aj_err(-errno, "Failed to make old root rprivate");
	if (umount2("oldroot", MNT_DETACH) < 0)
		return aj_err(-errno, "unmount old root");
	if (chdir("/newroot") < 0)
		return aj_err(-errno, "chdir /newroot");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return aj_err(-errno, "pivot_root(/newroot)");
	if (umount2(".", MNT_DETACH) < 0)
		return aj_err(-errno, "unmount old base");
	if (chdir("/") < 0)
		return aj_err(-errno, "chdir /");
	return 0;
}

static void ctx_done(struct ctx *c, size_t n)
{
	for (size_t i = 0; c->res && i < n; i++) {
		free(c->res[i].src);
		free(c->res[i].workdir);
		if (c->res[i].layers)
			for (char **l = c->res[i].layers; *l; l++)
				free(*l);
		free(c->res[i].layers);
	}
	free(c->res);
	aj_closep(&c->root);
	aj_closep(&c->old);
}

int aj_mount_build_root(struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	struct ctx c = { .run = run, .root = -EBADF, .old = -EBADF };
	int r;

	c.res = calloc(plan->n_ops + 1, sizeof(*c.res));
	if (!c.res)
		return aj_err(-ENOMEM, "Out of memory");
	r = resolve_sources(plan, c.res);
	if (r >= 0)
		r = setup_base(plan);
	if (r >= 0) {
		c.old = open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c.old < 0)
			r = aj_err(-errno, "open /oldroot");
	}
	for (size_t i = 0; r >= 0 && i < plan->n_ops; i++) {
		/* Reopen: an operation on "/" stacks a mount over the old fd's. */
		aj_closep(&c.root);
		c.root = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c.root < 0)
			r = aj_err(-errno, "open /newroot");
		else
			r = apply_op(&c, &plan->ops[i], &c.res[i]);
	}
	ctx_done(&c, plan->n_ops);
	if (r < 0)
		return r;
	return switch_root();
}
