/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/mask.h"
#include "agentjail/mountfd.h"
#include "agentjail/plan.h"
#include "cleanup.h"

/*
 * The empty file or directory a cover is cloned from, made once in the setup
 * tmpfs (the current root while operations run; it is detached with the
 * rest of the setup root when the sandbox's root takes over).
 */
static int empty_source(bool dir, bool hide)
{
	static const char *const names[2][2] = { { "/aj-mask-file", "/aj-hide-file" },
						  { "/aj-mask-dir", "/aj-hide-dir" } };
	const char *name = names[dir][hide];
	mode_t mode = hide ? 0 : dir ? 0555 : 0444;

	if (dir) {
		if (mkdir(name, mode) < 0 && errno != EEXIST)
			return -errno;
	} else {
		int fd = open(name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);

		if (fd < 0)
			return -errno;
		(void)close(fd); /* only its name is needed */
	}
	{
		int fd = open(name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		return fd < 0 ? -errno : fd;
	}
}

int aj_mask_apply(int root, const struct aj_op *op)
{
	_cleanup_close_ int target = -EBADF, src = -EBADF, tree = -EBADF;
	bool hide = op->kind == AJ_OP_HIDE;
	const char *what = hide ? "hide" : "mask";
	struct stat st;
	bool dir;
	int r;

	if (!op->dest)
		return 0; /* a mask rule: its matches follow it as ops of their own */
	target = aj_open_in_root(root, op->dest, O_PATH, 0);
	if (target == -ENOENT || target == -ENOTDIR)
		return 0; /* nothing there to cover */
	if (target < 0)
		return aj_err(target, "%s '%s'", what, op->dest);
	if (fstat(target, &st) < 0)
		return aj_err(-errno, "%s '%s'", what, op->dest);
	/*
	 * A match that leads to a device, socket or FIFO (a planted ".env ->
	 * /dev/null") shows no file content: covering it would only break it.
	 */
	if (!hide && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	dir = S_ISDIR(st.st_mode);
	src = empty_source(dir, hide);
	if (src < 0)
		return aj_err(src, "%s '%s': making the empty cover", what, op->dest);
	tree = aj_tree_clone(src, false);
	if (tree < 0)
		return aj_err(tree, "%s '%s'", what, op->dest);
	r = aj_mount_set(tree, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				       MOUNT_ATTR_NOEXEC, false);
	if (r >= 0)
		r = aj_mount_move(tree, target);
	if (r < 0)
		return aj_err(r, "%s '%s'", what, op->dest);
	return 0;
}
