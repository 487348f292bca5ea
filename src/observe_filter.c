/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The observer's seccomp filter: SECCOMP_RET_USER_NOTIF for the calls that
 * name a path (and connect), ALLOW for everything else.  Built with
 * libseccomp in the monitor before clone() and exported as BPF, like the
 * built-in filter (filter.c); the command's process loads it with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER (observe.c).
 *
 * A notification costs two context switches, so what can be told from the
 * registers alone is left out: fstat() done as fstatat(fd, "", AT_EMPTY_PATH)
 * (glibc's way), statx() on an fd, futimens().  Only the native ABI is
 * watched: the built-in filter of a hardened plan refuses the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <unistd.h>

#include "agentjail/filter.h"
#include "agentjail/observe.h"
#include "cleanup.h"

/* Calls notified whatever their arguments. */
static const char *const always[] = {
	"open", "openat", "openat2", "creat", "execve",
	"stat", "lstat", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
	"chdir", "fchdir", "truncate",
	"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
	"link", "linkat", "symlink", "symlinkat", "mknod", "mknodat",
	"chmod", "fchmodat", "chown", "lchown", "fchownat", "utime", "utimes",
	"connect",
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int add(scmp_filter_ctx ctx, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR || nr < 0)
		return 0; /* not a call of this architecture (open, stat on arm64) */
	return seccomp_rule_add_array(ctx, SCMP_ACT_NOTIFY, nr, n, cmp);
}

static int add_rules(scmp_filter_ctx ctx)
{
	/* The flags word of each call that can name its fd instead of a path. */
	const struct scmp_arg_cmp no_empty3 = SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0);
	const struct scmp_arg_cmp no_empty2 = SCMP_A2(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0);
	const struct scmp_arg_cmp no_empty4 = SCMP_A4(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0);
	const struct scmp_arg_cmp has_path1 = SCMP_A1(SCMP_CMP_NE, 0, 0);
	int r;

	for (size_t i = 0; i < ELEMENTSOF(always); i++)
		if ((r = add(ctx, always[i], 0, NULL)) < 0)
			return r;
	if ((r = add(ctx, "newfstatat", 1, &no_empty3)) < 0 || (r = add(ctx, "statx", 1, &no_empty2)) < 0 ||
	    (r = add(ctx, "execveat", 1, &no_empty4)) < 0 || (r = add(ctx, "utimensat", 1, &has_path1)) < 0)
		return r;
	return 0;
}

int aj_observe_filter_build(struct aj_blob *ret)
{
	_cleanup_(ctx_releasep) scmp_filter_ctx ctx = NULL;
	int r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r >= 0)
		r = add_rules(ctx);
	if (r < 0)
		return r;
	return aj_filter_export(ctx, ret);
}
