/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The start object lists the sandbox's first process and the inode of each
 * namespace it was given, in bwrap's fixed key order (cgroup, ipc, mnt, net,
 * pid, uts; never user).  Tools such as flatpak parse these exact shapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/status.h"

static const struct {
	const char *name;
	unsigned bit; /* 0: always present */
} ns_keys[] = {
	{ "cgroup", AJ_NS_CGROUP }, { "ipc", AJ_NS_IPC }, { "mnt", 0 },
	{ "net", AJ_NS_NET },       { "pid", AJ_NS_PID }, { "uts", AJ_NS_UTS },
};

static size_t format_start(const struct aj_run *run, bool pretty, char *buf, size_t size)
{
	const char *sep = pretty ? ",\n    " : ", ";
	char path[64];
	size_t n;

	n = (size_t)snprintf(buf, size, pretty ? "{\n    \"child-pid\": %i" : "{ \"child-pid\": %i",
			     (int)run->child);
	for (size_t i = 0; i < sizeof(ns_keys) / sizeof(ns_keys[0]) && n < size; i++) {
		struct stat st;

		if (ns_keys[i].bit && !(run->ns & ns_keys[i].bit))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)run->child, ns_keys[i].name);
		if (stat(path, &st) < 0)
			continue; /* bwrap leaves out what it cannot read */
		n += (size_t)snprintf(buf + n, size - n, "%s\"%s-namespace\": %ju", sep,
				      ns_keys[i].name, (uintmax_t)st.st_ino);
	}
	if (n < size)
		n += (size_t)snprintf(buf + n, size - n, pretty ? "\n}\n" : " }\n");
	return n < size ? n : size - 1;
}

int aj_status_write_start(const struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	char buf[512];
	size_t n;
	int r;

	if (plan->info_fd >= 0) {
		n = format_start(run, true, buf, sizeof(buf));
		r = aj_write_all(plan->info_fd, buf, n);
		if (r < 0)
			return aj_err(r, "Write to info_fd");
		/* Written once, then closed, as bwrap does; a close error changes nothing. */
		(void)close(plan->info_fd);
		plan->info_fd = -EBADF;
	}
	if (plan->json_status_fd >= 0) {
		n = format_start(run, false, buf, sizeof(buf));
		r = aj_write_all(plan->json_status_fd, buf, n);
		if (r < 0)
			return aj_err(r, "Write to json_status_fd");
	}
	return 0;
}

int aj_status_write_exit(const struct aj_run *run, int code)
{
	char buf[64];
	int n, r;

	if (run->plan->json_status_fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "{ \"exit-code\": %i }\n", code);
	r = aj_write_all(run->plan->json_status_fd, buf, (size_t)n);
	if (r < 0)
		return aj_err(r, "Write to json_status_fd");
	return 0;
}
