/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/mountfd.h"
#include "agentjail/plan.h"
#include "agentjail/protect.h"
#include "cleanup.h"

/* The new root as the setup child names it (mount.c's layout). */
#define NEWROOT "/newroot"

/* path inside the new root, refusing every symbolic link on the way. */
static int open_nolinks(int root, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	do
		fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	return fd < 0 ? -errno : (int)fd;
}

static int mount_root(int fd, bool *ret)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0)
		return -errno;
	*ret = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return 0;
}

/* Bind the tree at fd onto itself; read-only (recursively) or as it is (a pin). */
static int self_bind(int fd, bool ro)
{
	_cleanup_close_ int tree = aj_tree_clone(fd, true);
	int r;

	if (tree < 0)
		return tree;
	if (ro) {
		r = aj_mount_set(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true);
		if (r < 0)
			return r;
	}
	return aj_mount_move(tree, fd);
}

/* Make every directory between path and its mount a mount point, outermost first. */
static int pin_parents(int root, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_free_ size_t *todo = NULL; /* lengths of the prefixes to pin */
	size_t n = 0;
	char *slash;
	int r;

	if (!dir)
		return aj_err(-ENOMEM, "Out of memory");
	while ((slash = strrchr(dir, '/')) && slash != dir) {
		_cleanup_close_ int fd = -EBADF;
		bool is_root = false;
		size_t *v;

		*slash = '\0';
		fd = open_nolinks(root, dir, O_PATH | O_DIRECTORY);
		if (fd == -ENOENT || fd == -ENOTDIR)
			return 0; /* gone: nothing left to protect */
		if (fd == -ELOOP || fd == -EXDEV)
			return aj_errx(-ELOOP, "protect '%s': '%s' is a symbolic link (refusing a path "
					       "whose meaning the sandbox could change)",
				       path, dir);
		if (fd < 0)
			return aj_err(fd, "protect '%s': '%s'", path, dir);
		r = mount_root(fd, &is_root);
		if (r < 0)
			return aj_err(r, "protect '%s': '%s'", path, dir);
		if (is_root)
			break;
		v = reallocarray(todo, n + 1, sizeof(*v));
		if (!v)
			return aj_err(-ENOMEM, "Out of memory");
		todo = v;
		todo[n++] = (size_t)(slash - dir);
	}
	/* Outermost first, each opened anew so it lands on the mounts made before it. */
	for (size_t i = n; i-- > 0;) {
		_cleanup_close_ int fd = -EBADF;
		_cleanup_free_ char *prefix = strndup(path, todo[i]);

		if (!prefix)
			return aj_err(-ENOMEM, "Out of memory");
		fd = open_nolinks(root, prefix, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return aj_err(fd, "protect '%s': pinning '%s'", path, prefix);
		r = self_bind(fd, false);
		if (r < 0)
			return aj_err(r, "protect '%s': pinning '%s'", path, prefix);
	}
	return 0;
}

/* The path of an fd as the sandbox will see it. */
static int sandbox_path(int fd, char **ret)
{
	char link[64], buf[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/oldroot/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (strncmp(buf, NEWROOT, strlen(NEWROOT)) != 0 ||
	    (buf[strlen(NEWROOT)] != '/' && buf[strlen(NEWROOT)] != '\0'))
		return -EXDEV;
	*ret = strdup(buf[strlen(NEWROOT)] ? buf + strlen(NEWROOT) : "/");
	return *ret ? 0 : -ENOMEM;
}

static int protect_path(int root, const char *path, unsigned depth)
{
	_cleanup_free_ char *parent = NULL, *name = NULL, *target_path = NULL;
	_cleanup_close_ int pfd = -EBADF, fd = -EBADF, tree = -EBADF, target = -EBADF;
	struct stat st;
	int r;

	if (strcmp(path, "/") == 0)
		return aj_errx(-EINVAL, "protect '/': protect what is below it instead");
	r = pin_parents(root, path);
	if (r < 0)
		return r;
	r = aj_split_path(path, &parent, &name);
	if (r < 0)
		return aj_err(r, "Out of memory");
	pfd = open_nolinks(root, parent, O_PATH | O_DIRECTORY);
	if (pfd == -ENOENT || pfd == -ENOTDIR)
		return 0;
	if (pfd < 0)
		return aj_err(pfd, "protect '%s'", path);
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : aj_err(-errno, "protect '%s'", path);
	if (!S_ISLNK(st.st_mode)) {
		fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return aj_err(-errno, "protect '%s'", path);
		r = self_bind(fd, true);
		return r < 0 ? aj_err(r, "protect '%s'", path) : 0;
	}

	/* A link: pin the link itself, then protect what it leads to. */
	fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	tree = open_tree(pfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
	if (fd < 0 || tree < 0)
		return aj_err(-errno, "protect '%s' (a symbolic link)", path);
	r = aj_mount_move(tree, fd);
	if (r < 0)
		return aj_err(r, "protect '%s' (a symbolic link)", path);
	target = aj_open_in_root(root, path, O_PATH, 0);
	if (target == -ENOENT)
		return aj_errx(-ENOENT, "protect '%s': a symbolic link to something missing, which "
					"the sandbox could create; remove the link or make its target",
			       path);
	if (target < 0)
		return aj_err(target, "protect '%s'", path);
	if (depth >= 2)
		return aj_errx(-ELOOP, "protect '%s': too many symbolic links", path);
	r = sandbox_path(target, &target_path);
	if (r < 0)
		return aj_err(r, "protect '%s': finding the link's target", path);
	return protect_path(root, target_path, depth + 1);
}

int aj_protect_apply(int root, const struct aj_op *op)
{
	if (!op->dest)
		return 0; /* a rule: its targets follow it as ops of their own */
	return protect_path(root, op->dest, 0);
}
