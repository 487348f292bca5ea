/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * User namespaces: the id maps, the inner namespace used when /dev needs a
 * devpts instance, and plain-words diagnostics when the kernel refuses one.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/userns.h"
#include "cleanup.h"

static long read_long(const char *path)
{
	char buf[64];

	if (aj_read_small_file(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

bool aj_userns_available(void)
{
	if (access("/proc/self/ns/user", F_OK) < 0)
		return false;
	if (read_long("/proc/sys/user/max_user_namespaces") == 0)
		return false;
	if (read_long("/proc/sys/kernel/unprivileged_userns_clone") == 0 && getuid() != 0)
		return false;
	return true;
}

static int write_map(int dirfd, const char *file, unsigned inside, unsigned outside)
{
	char line[64];

	snprintf(line, sizeof(line), "%u %u 1\n", inside, outside);
	return aj_write_file(dirfd, file, line);
}

/*
 * The monitor writes the child's maps (it is in the parent namespace, which
 * the kernel requires for an unprivileged writer).  setgroups is denied first:
 * an unprivileged gid_map write needs it, and a sandbox has no business
 * dropping supplementary groups it was given to escape a deny-by-group ACL.
 */
int aj_userns_write_maps(const struct aj_run *run, pid_t pid)
{
	_cleanup_close_ int dirfd = -EBADF;
	char path[64];
	unsigned uid_in = run->setup_uid, gid_in = run->setup_gid;
	int r;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return aj_err(-errno, "open %s", path);
	/* A root caller mapped away drops its groups itself (aj_userns_switch_ids). */
	r = run->switch_ids ? 0 : aj_write_file(dirfd, "setgroups", "deny\n");
	if (r < 0 && r != -ENOENT)
		return aj_err(r, "Can't write setgroups of the sandbox");
	r = write_map(dirfd, "uid_map", uid_in, run->map_uid);
	if (r < 0)
		return aj_err(r, "setting up uid map");
	r = write_map(dirfd, "gid_map", gid_in, run->map_gid);
	if (r < 0)
		return aj_err(r, "setting up gid map");
	return 0;
}

/*
 * A root caller whose sandbox is mapped to an unprivileged host uid: the
 * child still runs as host uid 0 (unmapped inside) after clone().  It drops
 * root's supplementary groups, then takes the mapped ids, keeping its
 * capabilities in the new namespace (they were never tied to uid 0 there).
 * From here on the host sees the sandbox, setup included, as that uid.
 */
int aj_userns_switch_ids(struct aj_run *run)
{
	uid_t uid = run->setup_uid;
	gid_t gid = run->setup_gid;

	if (!run->switch_ids)
		return 0;
	if (setgroups(0, NULL) < 0)
		return aj_err(-errno, "dropping the supplementary groups");
	if (setresgid(gid, gid, gid) < 0)
		return aj_err(-errno, "setresgid(%u)", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return aj_err(-errno, "setresuid(%u)", (unsigned)uid);
	return 0;
}

/*
 * devpts refuses to mount unless uid 0 and gid 0 are mapped in the mounting
 * namespace (it creates ptmx owned by them).  So when /dev is asked for and
 * the command must not be uid 0, setup runs as 0 in an outer namespace and
 * the command in an inner one whose only id is the requested one, mapped to
 * that 0 (which is the caller on the host).  --disable-userns uses the same
 * inner namespace (the outer one's limit then forbids any further one).
 * Mounts made in the outer
 * namespace are locked in the inner one, which is what we want anyway.
 */
int aj_userns_enter_nested(const struct aj_run *run)
{
	int r;

	if (unshare(CLONE_NEWUSER) < 0)
		return aj_err(-errno, "creating the inner user namespace");
	/* Through the host's /proc: the sandbox may have none. */
	r = aj_write_file(run->proc_fd, "self/setgroups", "deny\n");
	if (r < 0)
		return aj_err(r, "Can't write /proc/self/setgroups");
	r = write_map(run->proc_fd, "self/uid_map", run->uid, run->setup_uid);
	if (r < 0)
		return aj_err(r, "setting up uid map");
	r = write_map(run->proc_fd, "self/gid_map", run->gid, run->setup_gid);
	if (r < 0)
		return aj_err(r, "setting up gid map");
	return 0;
}

/*
 * setuid() away from 0 empties the effective set; keep the permitted one
 * (PR_SET_KEEPCAPS) and raise it again, so the capability stage that follows
 * can still cut the bounding set.
 */
int aj_userns_take_joined_ids(const struct aj_run *run)
{
	const struct aj_plan *plan = run->plan;
	cap_t c;
	int r = 0;

	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		return aj_err(-errno, "prctl(PR_SET_KEEPCAPS) failed");
	if (plan->gid_set && setresgid(plan->gid, plan->gid, plan->gid) < 0)
		return aj_err(-errno, "unable to switch to gid %u", (unsigned)plan->gid);
	if (plan->uid_set && setresuid(plan->uid, plan->uid, plan->uid) < 0)
		return aj_err(-errno, "unable to switch to uid %u", (unsigned)plan->uid);
	(void)prctl(PR_SET_KEEPCAPS, 0);
	c = cap_get_proc();
	if (!c)
		return aj_err(-errno, "capget");
	for (int i = 0; i < (int)cap_max_bits(); i++) {
		cap_value_t v = (cap_value_t)i;
		cap_flag_value_t on;

		if (cap_get_flag(c, v, CAP_PERMITTED, &on) == 0 && on == CAP_SET)
			(void)cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
	}
	if (cap_set_proc(c) < 0)
		r = aj_err(-errno, "capset");
	(void)cap_free(c);
	return r;
}

int aj_userns_explain_failure(int err, unsigned ns)
{
	long v;

	if (!(ns & AJ_NS_USER) || (err != EPERM && err != ENOSPC && err != EINVAL && err != EUSERS &&
				    err != EACCES))
		return aj_err(-err, "Creating new namespace failed");

	v = read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	if (v == 1 && (err == EPERM || err == EACCES))
		return aj_errx(-err,
			       "No permissions to create a new user namespace: AppArmor restricts "
			       "unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1, "
			       "as on Ubuntu 23.10 and later). Allow agentjail with an AppArmor profile that "
			       "grants 'userns,' (see the README), or set the sysctl to 0");
	v = read_long("/proc/sys/user/max_user_namespaces");
	if (v == 0)
		return aj_errx(-err,
			       "Creating a new user namespace failed: user namespaces are disabled "
			       "(user.max_user_namespaces = 0). Raise it, e.g. "
			       "'sysctl -w user.max_user_namespaces=15000'");
	if (err == ENOSPC || err == EUSERS)
		return aj_errx(-err,
			       "Creating new namespace failed: nesting depth or "
			       "/proc/sys/user/max_*_namespaces exceeded (user.max_user_namespaces = %ld)",
			       v);
	v = read_long("/proc/sys/kernel/unprivileged_userns_clone");
	if (v == 0)
		return aj_errx(-err,
			       "No permissions to create a new user namespace: unprivileged user "
			       "namespaces are off (kernel.unprivileged_userns_clone = 0). On Debian "
			       "enable them with 'sysctl -w kernel.unprivileged_userns_clone=1'");
	if (err == EINVAL)
		return aj_errx(-err, "Creating new namespace failed, likely because the kernel does "
				     "not support user namespaces (CONFIG_USER_NS)");
	return aj_errx(-err,
		       "No permissions to create a new user namespace (%s). The sysctls allow it, so "
		       "something else refuses: most often a container runtime's seccomp profile that "
		       "blocks clone/unshare (Docker's default does; run the container with a profile "
		       "that allows them), or an LSM policy",
		       strerror(err));
}
