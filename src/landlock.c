/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Landlock, a second wall under the mounts.  The ruleset is built from the
 * same plan as the mounts: full access where the plan mounts read-write,
 * read and execute where it mounts read-only, and nothing anywhere else
 * (the root itself may only be listed).  It holds even if the command gets
 * hold of a path outside its mounts, for example through a directory fd
 * leaked to it (the runc CVE-2024-21626 class) or a mount it should not see.
 *
 * Landlock grants by file hierarchy, not by mount: it cannot make a path
 * read-only inside a read-write one (the mount does that), and a directory
 * bound at two places carries the rights of both.  So it narrows what the
 * mounts show; it does not replace them.
 *
 * ABI negotiation: the access rights a kernel does not know are left out of
 * the handled set.  ABI 1 cannot allow a rename across directories at all
 * (REFER arrived in ABI 2), which would break git, so walls.c does not use
 * Landlock below ABI 2.  From ABI 6 the sandbox is also scoped: abstract
 * unix sockets and signals of processes outside it are out of reach.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/landlock.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/mountfd.h"
#include "agentjail/plan.h"
#include "cleanup.h"

/* Debian 12's headers are Linux 6.1 (ABI 2); the later values are the kernel's UAPI. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif

/* struct landlock_ruleset_attr as of ABI 6; older kernels accept the zero tail. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define A(x) LANDLOCK_ACCESS_FS_##x
static const uint64_t READ = A(EXECUTE) | A(READ_FILE) | A(READ_DIR);
static const uint64_t WRITE = A(WRITE_FILE) | A(REMOVE_DIR) | A(REMOVE_FILE) | A(MAKE_CHAR) |
			      A(MAKE_DIR) | A(MAKE_REG) | A(MAKE_SOCK) | A(MAKE_FIFO) |
			      A(MAKE_BLOCK) | A(MAKE_SYM) | A(REFER) | A(TRUNCATE);
/* The rights that make sense on a file that is not a directory. */
static const uint64_t FILE_RIGHTS = A(EXECUTE) | A(READ_FILE) | A(WRITE_FILE) | A(TRUNCATE) |
				    A(IOCTL_DEV);
/* procfs: read, and write its per-process files (oom_score_adj, comm, ...). */
static const uint64_t PROC = A(READ_FILE) | A(READ_DIR) | A(WRITE_FILE);
#undef A

static uint64_t handled_for(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */

	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

int aj_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? (int)v : 0;
}

/*
 * A process in a Landlock domain may not ptrace, nor read through /proc
 * (exe, fd, mem, environ, root), a process outside that domain or in a
 * wider one: the kernel checks it in ptrace_may_access(), whatever the
 * dumpable flag says.  So a domain that restricts nothing else serves as a
 * fence between the command and the sandbox's pid 1.  A domain needs one
 * restriction at least; these are ones the command cannot notice: from ABI
 * 6, signals to processes outside (in a pid namespace of its own, that is
 * pid 1 only, which ignores them anyway); before, the creation of block
 * devices, which a user namespace never allows (EACCES instead of EPERM).
 * Root outside a user namespace may make block devices: it needs ABI 6.
 */
int aj_landlock_fence_open(bool privileged)
{
	struct ruleset_attr attr = { 0 };
	int abi = aj_landlock_abi(), fd;

	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_SIGNAL;
	else if (abi >= 1 && !privileged)
		attr.handled_access_fs = LANDLOCK_ACCESS_FS_MAKE_BLOCK;
	else
		return -EOPNOTSUPP;
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	return fd < 0 ? -errno : fd;
}

int aj_landlock_fence_enter(int ruleset)
{
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return aj_err(-errno, "landlock: fence the command off from pid 1");
	return 0;
}

static int add_rule(int ruleset, int fd, uint64_t access);

int aj_landlock_confine_reader(const char *const *paths, size_t n)
{
	struct ruleset_attr attr = { 0 };
	_cleanup_close_ int ruleset = -EBADF;
	int abi = aj_landlock_abi();
	const uint64_t read = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

	if (abi <= 0)
		return -EOPNOTSUPP;
	attr.handled_access_fs = handled_for(abi);
	if (abi >= 4)
		attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP; /* and no rule: no bind */
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd = open(paths[i], O_PATH | O_CLOEXEC);
		struct stat st;
		int r;

		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue; /* not on this system */
		if (fd < 0 || fstat(fd, &st) < 0)
			return -errno;
		r = add_rule(ruleset, fd, S_ISDIR(st.st_mode) ? read : LANDLOCK_ACCESS_FS_READ_FILE);
		if (r < 0)
			return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return -errno;
	return 0;
}

/* One path of the plan and what the command may do beneath it. */
struct rule {
	const char *dest;
	uint64_t access;
	bool mount_root; /* only if something was mounted there (a -try source may be missing) */
};

struct rules {
	struct rule *v;
	size_t n;
};

static bool same_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

static struct rule *find(struct rules *rs, const char *dest)
{
	for (size_t i = 0; i < rs->n; i++)
		if (same_path(rs->v[i].dest, dest))
			return &rs->v[i];
	return NULL;
}

/* A later operation on the same destination covers the earlier one. */
static int set_rule(struct rules *rs, const char *dest, uint64_t access, bool mount_root)
{
	struct rule *r = find(rs, dest);

	if (!r) {
		struct rule *v = reallocarray(rs->v, rs->n + 1, sizeof(*v));

		if (!v)
			return -ENOMEM;
		rs->v = v;
		r = &v[rs->n++];
	}
	*r = (struct rule){ .dest = dest, .access = access, .mount_root = mount_root };
	return 0;
}

static int plan_rules(const struct aj_plan *plan, struct rules *rs)
{
	uint64_t dev = LANDLOCK_ACCESS_FS_IOCTL_DEV;
	int r = set_rule(rs, "/", LANDLOCK_ACCESS_FS_READ_DIR, false);

	for (size_t i = 0; r >= 0 && i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		uint64_t rw = (op->flags & AJ_OPF_RO) ? READ : READ | WRITE;
		struct rule *prev;

		switch (op->kind) {
		case AJ_OP_BIND:
		case AJ_OP_BIND_FD:
		case AJ_OP_BIND_DATA:
			r = set_rule(rs, op->dest, rw | ((op->flags & AJ_OPF_DEV) ? dev : 0), true);
			break;
		case AJ_OP_OVERLAY:
			r = set_rule(rs, op->dest, rw, true);
			break;
		case AJ_OP_TMPFS:
		case AJ_OP_MQUEUE:
			r = set_rule(rs, op->dest, READ | WRITE, true);
			break;
		case AJ_OP_DEV:
			r = set_rule(rs, op->dest, READ | WRITE | dev, true);
			break;
		case AJ_OP_PROC:
			r = set_rule(rs, op->dest, PROC, true);
			break;
		case AJ_OP_DIR:
		case AJ_OP_FILE:
			/* Made for the command to use; the mode still applies. */
			r = set_rule(rs, op->dest, READ | WRITE, false);
			break;
		case AJ_OP_REMOUNT_RO:
			prev = find(rs, op->dest);
			r = set_rule(rs, op->dest, prev ? prev->access & (READ | dev) : READ, true);
			break;
		case AJ_OP_SYMLINK:
		case AJ_OP_CHMOD:
			break; /* nothing to open: a symlink is followed to its target's rule */
		case AJ_OP_HIDE:
		case AJ_OP_MASK:
		case AJ_OP_PROTECT:
			/*
			 * Landlock only grants: a right a parent grants cannot be taken
			 * back beneath it, so these stay the mounts' job.  What this can
			 * do is replace a rule at the very same path.  A pattern's own
			 * op has no dest; its matches follow as ops of their own.
			 */
			if (op->dest)
				r = set_rule(rs, op->dest, op->kind == AJ_OP_HIDE ? 0 : READ, true);
			break;
		case _AJ_OP_KIND_MAX:
			r = -EINVAL;
			break;
		}
	}
	return r;
}

static int add_rule(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access, .parent_fd = fd };

	if (!access)
		return 0;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return -errno;
	return 0;
}

/* Rights that fit the file at fd; 0 when the rule does not apply. */
static uint64_t fit(int fd, const struct rule *rule, uint64_t handled)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &stx) < 0)
		return 0;
	if (rule->mount_root && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return 0; /* a -try bind whose source was missing */
	if (!S_ISDIR(stx.stx_mode))
		return rule->access & handled & FILE_RIGHTS;
	return rule->access & handled;
}

static int add_plan_rules(int ruleset, const struct aj_plan *plan, uint64_t handled)
{
	struct rules rs = { 0 };
	_cleanup_close_ int root = -EBADF;
	int r;

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return aj_err(-errno, "landlock: open /");
	r = plan_rules(plan, &rs);
	if (r < 0) {
		free(rs.v);
		return aj_err(r, "landlock: rules");
	}
	for (size_t i = 0; r >= 0 && i < rs.n; i++) {
		_cleanup_close_ int fd = aj_open_in_root(root, rs.v[i].dest, O_PATH, 0);

		if (fd == -ENOENT)
			continue; /* a -try operation that was skipped */
		if (fd < 0)
			r = aj_err(fd, "landlock: open '%s'", rs.v[i].dest);
		else if ((r = add_rule(ruleset, fd, fit(fd, &rs.v[i], handled))) < 0)
			r = aj_err(r, "landlock: rule for '%s'", rs.v[i].dest);
	}
	free(rs.v);
	if (r < 0)
		return r;

	/* Opened after the restriction: the reaper's lock files, --check's probe. */
	for (size_t i = 0; i < plan->n_lock_files; i++) {
		_cleanup_close_ int fd = aj_open_in_root(root, plan->lock_files[i], O_PATH, 0);

		if (fd >= 0 && (r = add_rule(ruleset, fd, LANDLOCK_ACCESS_FS_READ_FILE)) < 0)
			return aj_err(r, "landlock: rule for '%s'", plan->lock_files[i]);
	}
	if (plan->exec_fd >= 0 &&
	    (r = add_rule(ruleset, plan->exec_fd,
			  LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE)) < 0)
		return aj_err(r, "landlock: rule for the program to run");
	return 0;
}

int aj_landlock_apply(struct aj_run *run)
{
	struct ruleset_attr attr = { 0 };
	_cleanup_close_ int ruleset = -EBADF;
	int abi = run->landlock_abi, r;

	if (abi <= 0)
		return 0;
	attr.handled_access_fs = handled_for(abi);
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return aj_err(-errno, "landlock: create ruleset (ABI %d)", abi);
	r = add_plan_rules(ruleset, run->plan, attr.handled_access_fs);
	/* The reaper executes agentjail-reaper (reaper.c), from outside the plan's paths. */
	if (r >= 0 && run->reaper_exe_fd >= 0 &&
	    (r = add_rule(ruleset, run->reaper_exe_fd,
			  (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE) &
				  attr.handled_access_fs)) < 0)
		r = aj_err(r, "landlock: rule for the reaper's program");
	if (r < 0)
		return r;
	/* no_new_privs is already set (launch.c), which Landlock requires. */
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return aj_err(-errno, "landlock: restrict");
	return 0;
}
