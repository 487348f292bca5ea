/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/audit.h"
#include "agentjail/explain.h"
#include "agentjail/front.h"
#include "agentjail/limits.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "cleanup.h"

static const struct {
	const char *title;
	void (*print)(FILE *out, const struct aj_plan *plan, const struct aj_front *f);
} sections[] = {
	{ "Profile", aj_explain_profile },
	{ "Filesystem (in the order applied)", aj_explain_filesystem },
	{ "Network", aj_explain_network },
	{ "Environment", aj_explain_environment },
	{ "Security", aj_explain_security },
	{ "Limits and audit", aj_explain_limits },
};

void aj_explain_print(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
		fprintf(out, "%s%s\n", i ? "\n" : "", sections[i].title);
		sections[i].print(out, plan, f);
	}
}

void aj_explain_profile(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	fprintf(out, "  profile:      %s%s%s%s\n", plan->profile_name ? plan->profile_name : "(none)",
		f->profile_path ? " (" : "", f->profile_path ? f->profile_path : "",
		f->profile_path ? ")" : "");
	if (f->description)
		fprintf(out, "  description:  %s\n", f->description);
	fprintf(out, "  project:      %s\n",
		f->vars.project ? f->vars.project : "(none: ${PROJECT} cannot be used)");
	fprintf(out, "  command:     ");
	for (char **a = plan->argv; a && *a; a++)
		fprintf(out, " %s", *a);
	fprintf(out, "%s\n", f->interactive ? "  (an interactive shell)" : "");
}

static void bind_line(FILE *out, const struct aj_op *op)
{
	_cleanup_free_ char *real = op->src ? realpath(op->src, NULL) : NULL;
	const char *mode = (op->flags & AJ_OPF_SOCKET) ? "socket"
			   : (op->flags & AJ_OPF_RO)   ? "read-only"
			   : (op->flags & AJ_OPF_DEV)  ? "read-write, devices"
						       : "read-write";

	if (!real) {
		fprintf(out, "  %-13s %s  (%s: %s)\n", mode, op->dest,
			(op->flags & AJ_OPF_TRY) ? "skipped" : "fails",
			errno == ENOENT ? "not on this host" : strerror(errno));
		return;
	}
	if (strcmp(real, op->dest) == 0)
		fprintf(out, "  %-13s %s\n", mode, op->dest);
	else
		fprintf(out, "  %-13s %s  (from %s)\n", mode, op->dest, real);
}

void aj_explain_filesystem(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	(void)f;
	fprintf(out, "  Everything not listed here does not exist in the sandbox.\n");
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		size_t n = 0;

		switch (op->kind) {
		case AJ_OP_BIND:
			bind_line(out, op);
			break;
		case AJ_OP_BIND_FD:
			fprintf(out, "  %-13s %s  (from fd %d)\n",
				(op->flags & AJ_OPF_RO) ? "read-only" : "read-write", op->dest, op->fd);
			break;
		case AJ_OP_REMOUNT_RO:
			fprintf(out, "  %-13s %s\n", "made read-only", op->dest);
			break;
		case AJ_OP_TMPFS:
			fprintf(out, "  %-13s %s  (empty, writable, gone at exit)\n", "tmpfs", op->dest);
			break;
		case AJ_OP_PROC:
		case AJ_OP_DEV:
		case AJ_OP_MQUEUE:
			fprintf(out, "  %-13s %s\n", aj_op_kind_name(op->kind), op->dest);
			break;
		case AJ_OP_DIR:
		case AJ_OP_FILE:
		case AJ_OP_BIND_DATA:
		case AJ_OP_CHMOD:
		case AJ_OP_OVERLAY:
			fprintf(out, "  %-13s %s\n", aj_op_kind_name(op->kind), op->dest);
			break;
		case AJ_OP_SYMLINK:
			fprintf(out, "  %-13s %s -> %s\n", "symlink", op->dest, op->src);
			break;
		case AJ_OP_HIDE:
			fprintf(out, "  %-13s %s  (shown empty and unreadable)\n", "hidden", op->dest);
			break;
		case AJ_OP_MASK:
			if (op->dest)
				break; /* listed under its rule */
			for (size_t k = i + 1; k < plan->n_ops && plan->ops[k].kind == AJ_OP_MASK &&
					       plan->ops[k].dest;
			     k++)
				n++;
			if (n == 0) {
				fprintf(out, "  %-13s %s  (no match now)\n", "masked", op->src);
				break;
			}
			fprintf(out, "  %-13s %s  (%zu match%s, each shown as an empty read-only file)\n",
				"masked", op->src, n, n == 1 ? "" : "es");
			for (size_t k = i + 1; k <= i + n; k++)
				fprintf(out, "  %-13s   %s\n", "", plan->ops[k].dest);
			break;
		case AJ_OP_PROTECT:
			if (!op->dest) {
				if (op->flags & AJ_OPF_GIT)
					fprintf(out, "  %-13s git repositories under %s: hooks, config, "
						     "core.hooksPath\n",
						"protected", op->src);
				break;
			}
			if (op->src)
				fprintf(out, "  %-13s %s  (%s)\n", "protected", op->dest, op->src);
			else
				fprintf(out, "  %-13s %s\n", "protected", op->dest);
			break;
		case _AJ_OP_KIND_MAX:
			break;
		}
	}
}

void aj_explain_network(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	(void)f;
	switch (plan->net_mode) {
	case AJ_NET_UNSET:
		fprintf(out, "  mode: %s\n", (plan->unshare & AJ_NS_NET) ? "none (loopback only)"
									 : "the host's network");
		break;
	case AJ_NET_NONE:
		fprintf(out, "  mode: none (own network namespace, loopback only)\n");
		break;
	case AJ_NET_HOST:
		fprintf(out, "  mode: host (the host's network, unfiltered)\n");
		break;
	case AJ_NET_PROXY:
		fprintf(out, "  mode: proxy (only the allowed hosts, through agentjail's proxy)\n");
		break;
	}
	for (size_t i = 0; i < plan->n_allow_hosts; i++)
		fprintf(out, "  allowed: %s\n", plan->allow_hosts[i]);
	for (size_t i = 0; i < plan->n_deny_hosts; i++)
		fprintf(out, "  denied:  %s\n", plan->deny_hosts[i]);
}

void aj_explain_environment(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	(void)f;
	fprintf(out, "  %s; the command gets %zu variable%s (values not shown):\n",
		plan->hardened ? "cleared, then [env] pass and set" : "inherited, with the edits given",
		plan->n_env, plan->n_env == 1 ? "" : "s");
	for (size_t i = 0; i < plan->n_env; i++) {
		const char *eq = strchr(plan->env[i], '=');

		fprintf(out, "    %.*s\n", eq ? (int)(eq - plan->env[i]) : (int)strlen(plan->env[i]),
			plan->env[i]);
	}
}

void aj_explain_security(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	(void)f;
	fprintf(out, "  namespaces: user%s%s%s%s, mount\n", (plan->unshare & AJ_NS_PID) ? ", pid" : "",
		(plan->unshare & AJ_NS_IPC) ? ", ipc" : "", (plan->unshare & AJ_NS_UTS) ? ", uts" : "",
		plan->unshare_cgroup_try || (plan->unshare & AJ_NS_CGROUP) ? ", cgroup" : "");
	/* walls.c says what the kernel walls will be: filter, Landlock, capabilities. */
	aj_walls_describe(plan, out);
	fprintf(out, "  ends with its command: %s\n", plan->die_with_parent ? "yes" : "no");
}

/* limits.c and audit.c describe themselves; indented here under their title. */
static void indented(FILE *out, const struct aj_plan *plan,
		     void (*describe)(const struct aj_plan *plan, FILE *f))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	if (!mem)
		return;
	describe(plan, mem);
	fclose(mem);
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		fprintf(out, "  %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
	}
	free(buf);
}

static void audit_describe(const struct aj_plan *plan, FILE *f)
{
	aj_audit_describe(plan, false, f);
}

void aj_explain_limits(FILE *out, const struct aj_plan *plan, const struct aj_front *f)
{
	(void)f;
	indented(out, plan, aj_limits_describe);
	indented(out, plan, audit_describe);
}
