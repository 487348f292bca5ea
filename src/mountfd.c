/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The new mount API throughout (open_tree, mount_setattr, move_mount, fsopen,
 * fsmount: Linux 5.12; Debian 12 ships 6.1).  It gives what the classic
 * mount(2) dance cannot: a bind made read-only recursively and atomically
 * before it is attached, without reading /proc/self/mountinfo per mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/mountfd.h"
#include "cleanup.h"

int aj_open_in_root(int root, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	do
		fd = syscall(SYS_openat2, root, path, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN); /* a rename raced with the lookup */
	return fd < 0 ? -errno : (int)fd;
}

int aj_split_path(const char *path, char **ret_parent, char **ret_name)
{
	_cleanup_free_ char *copy = strdup(path);
	char *slash, *name;
	size_t len;

	if (!copy)
		return -ENOMEM;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		name = strdup(copy);
		*ret_parent = strdup(".");
	} else {
		name = strdup(slash + 1);
		while (slash > copy && slash[-1] == '/')
			slash--;
		*slash = '\0';
		*ret_parent = strdup(*copy ? copy : "/");
	}
	if (!name || !*ret_parent) {
		free(name);
		free(*ret_parent);
		return -ENOMEM;
	}
	*ret_name = name;
	return 0;
}

/* Open the directory that holds path's last component; that name in *ret_name. */
static int open_parent(int root, const char *path, char **ret_name)
{
	_cleanup_free_ char *parent = NULL, *name = NULL;
	int r, pfd;

	r = aj_split_path(path, &parent, &name);
	if (r < 0)
		return r;
	pfd = aj_open_in_root(root, parent, O_PATH | O_DIRECTORY, 0);
	if (pfd >= 0)
		*ret_name = TAKE_PTR(name);
	return pfd;
}

int aj_mkdir_in_root(int root, const char *path, mode_t mode)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int fd = -EBADF, pfd = -EBADF;

	fd = aj_open_in_root(root, path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0)
		return 0;
	if (fd != -ENOENT)
		return fd;
	pfd = open_parent(root, path, &name);
	if (pfd < 0)
		return pfd;
	if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
		return -errno;
	/* Whatever is there now must be a directory (a dangling symlink is not). */
	fd = aj_open_in_root(root, path, O_PATH | O_DIRECTORY, 0);
	return fd < 0 ? fd : 0;
}

int aj_mkdir_parents_in_root(int root, const char *path, mode_t mode, char **ret_failed)
{
	_cleanup_free_ char *buf = strdup(path);
	char *p;

	if (!buf)
		return -ENOMEM;
	p = buf;
	while (*p == '/')
		p++;
	while ((p = strchr(p, '/'))) {
		int r;

		*p = '\0';
		r = aj_mkdir_in_root(root, buf, mode);
		if (r < 0) {
			if (ret_failed)
				*ret_failed = TAKE_PTR(buf);
			return r;
		}
		*p = '/';
		while (*p == '/')
			p++;
	}
	return 0;
}

int aj_touch_in_root(int root, const char *path, mode_t mode)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int fd = -EBADF, pfd = -EBADF;

	fd = aj_open_in_root(root, path, O_PATH, 0);
	if (fd >= 0) {
		struct stat st;

		/* A file cannot be mounted on a directory: say so before trying. */
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			return -EISDIR;
		return 0;
	}
	if (fd != -ENOENT)
		return fd;
	pfd = open_parent(root, path, &name);
	if (pfd < 0)
		return pfd;
	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
	if (fd < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int aj_tree_clone(int fd, bool recursive)
{
	int m = open_tree(fd, "",
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
				  (recursive ? AT_RECURSIVE : 0));

	return m < 0 ? -errno : m;
}

int aj_mount_set(int fd, uint64_t attr_set, bool recursive)
{
	struct mount_attr attr = { .attr_set = attr_set };

	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return -errno;
	return 0;
}

int aj_mount_move(int mfd, int target)
{
	if (move_mount(mfd, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

int aj_fs_mount(const char *fstype, const char *const *options, uint64_t attrs)
{
	_cleanup_close_ int fs = -EBADF;
	int m;

	fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	for (const char *const *o = options; o && *o; o += 2) {
		int r = o[1] ? fsconfig(fs, FSCONFIG_SET_STRING, o[0], o[1], 0)
			     : fsconfig(fs, FSCONFIG_SET_FLAG, o[0], NULL, 0);
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	m = fsmount(fs, FSMOUNT_CLOEXEC, (unsigned)attrs);
	return m < 0 ? -errno : m;
}
