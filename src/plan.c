/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/observe.h"
#include "agentjail/plan.h"
#include "cleanup.h"

extern char **environ;

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd); /* the plan is being dropped; nothing to report */
	*fd = -EBADF;
}

struct aj_plan *aj_plan_new(void)
{
	_cleanup_free_ struct aj_plan *plan = calloc(1, sizeof(*plan));
	size_t n = 0;

	if (!plan)
		return NULL;
	plan->userns_fd = plan->userns2_fd = plan->pidns_fd = -EBADF;
	plan->info_fd = plan->json_status_fd = plan->sync_fd = -EBADF;
	plan->block_fd = plan->userns_block_fd = plan->seccomp_fd = -EBADF;
	plan->exec_fd = -EBADF;

	/* The command starts from our environment, as bwrap's does. */
	while (environ && environ[n])
		n++;
	plan->env = calloc(n + 1, sizeof(char *));
	if (!plan->env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		plan->env[i] = strdup(environ[i]);
		if (!plan->env[i]) {
			strv_free(plan->env);
			return NULL;
		}
	}
	plan->n_env = n;
	return TAKE_PTR(plan);
}

static void op_clear(struct aj_op *op)
{
	free(op->src);
	free(op->dest);
	free(op->workdir);
	for (size_t i = 0; i < op->n_layers; i++)
		free(op->layers[i]);
	free(op->layers);
	close_fd(&op->fd);
}

struct aj_plan *aj_plan_free(struct aj_plan *plan)
{
	if (!plan)
		return NULL;
	for (size_t i = 0; i < plan->n_ops; i++)
		op_clear(&plan->ops[i]);
	free(plan->ops);
	close_fd(&plan->userns_fd);
	close_fd(&plan->userns2_fd);
	close_fd(&plan->pidns_fd);
	close_fd(&plan->info_fd);
	close_fd(&plan->json_status_fd);
	close_fd(&plan->sync_fd);
	close_fd(&plan->block_fd);
	close_fd(&plan->userns_block_fd);
	close_fd(&plan->seccomp_fd);
	free(plan->hostname);
	strv_free(plan->argv);
	free(plan->argv0);
	free(plan->chdir);
	strv_free(plan->env);
	strv_free(plan->lock_files);
	free(plan->capops);
	for (size_t i = 0; i < plan->n_seccomp_progs; i++)
		free(plan->seccomp_progs[i].data);
	free(plan->seccomp_progs);
	strv_free(plan->seccomp_allow);
	strv_free(plan->seccomp_deny);
	free(plan->filter.data);
	close_fd(&plan->exec_fd);
	free(plan->keep_fds);
	strv_free(plan->allow_hosts);
	strv_free(plan->deny_hosts);
	free(plan->profile_name);
	free(plan->profile_text);
	free(plan->audit_log);
	aj_observe_free(plan->observe);
	strv_free(plan->names);
	free(plan);
	return NULL;
}

void aj_plan_freep(struct aj_plan **plan)
{
	*plan = aj_plan_free(*plan);
}

struct aj_op *aj_plan_add_op(struct aj_plan *plan, enum aj_op_kind kind)
{
	struct aj_op *op;

	if (plan->n_ops == plan->cap_ops) {
		size_t cap = plan->cap_ops ? plan->cap_ops * 2 : 16;
		struct aj_op *ops = reallocarray(plan->ops, cap, sizeof(*ops));
		if (!ops)
			return NULL;
		plan->ops = ops;
		plan->cap_ops = cap;
	}
	op = &plan->ops[plan->n_ops++];
	*op = (struct aj_op){ .kind = kind, .fd = -EBADF, .perms = -1 };
	return op;
}

static ssize_t env_find(const struct aj_plan *plan, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < plan->n_env; i++)
		if (strncmp(plan->env[i], name, len) == 0 && plan->env[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

int aj_plan_setenv(struct aj_plan *plan, const char *name, const char *value)
{
	char *entry;
	ssize_t i;

	/* setenv(3)'s rules: a name is non-empty and has no '='. */
	if (!*name || strchr(name, '='))
		return -EINVAL;
	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return -ENOMEM;
	i = env_find(plan, name);
	if (i >= 0) {
		free(plan->env[i]);
		plan->env[i] = entry;
		return 0;
	}
	char **env = reallocarray(plan->env, plan->n_env + 2, sizeof(char *));
	if (!env) {
		free(entry);
		return -ENOMEM;
	}
	plan->env = env;
	env[plan->n_env++] = entry;
	env[plan->n_env] = NULL;
	return 0;
}

int aj_plan_unsetenv(struct aj_plan *plan, const char *name)
{
	ssize_t i;

	if (!*name || strchr(name, '='))
		return -EINVAL;
	while ((i = env_find(plan, name)) >= 0) {
		free(plan->env[i]);
		memmove(&plan->env[i], &plan->env[i + 1],
			(plan->n_env - (size_t)i) * sizeof(char *));
		plan->n_env--;
	}
	return 0;
}

void aj_plan_clearenv(struct aj_plan *plan)
{
	for (size_t i = 0; i < plan->n_env; i++)
		free(plan->env[i]);
	plan->n_env = 0;
	plan->env[0] = NULL;
}

const char *aj_plan_getenv(const struct aj_plan *plan, const char *name)
{
	ssize_t i = env_find(plan, name);

	return i >= 0 ? plan->env[i] + strlen(name) + 1 : NULL;
}

int aj_plan_add_seccomp(struct aj_plan *plan, void *data, size_t size)
{
	struct aj_blob *v;

	if (size == 0 || size % 8) {
		free(data);
		return -EINVAL;
	}
	v = reallocarray(plan->seccomp_progs, plan->n_seccomp_progs + 1, sizeof(*v));
	if (!v) {
		free(data);
		return -ENOMEM;
	}
	plan->seccomp_progs = v;
	v[plan->n_seccomp_progs++] = (struct aj_blob){ .data = data, .size = size };
	return 0;
}

const char *aj_plan_intern_name(struct aj_plan *plan, const char *name)
{
	char **names;

	for (size_t i = 0; i < plan->n_names; i++)
		if (strcmp(plan->names[i], name) == 0)
			return plan->names[i];
	names = reallocarray(plan->names, plan->n_names + 2, sizeof(char *));
	if (!names)
		return NULL;
	plan->names = names;
	names[plan->n_names] = strdup(name);
	if (!names[plan->n_names])
		return NULL;
	names[++plan->n_names] = NULL;
	return names[plan->n_names - 1];
}

const char *aj_src_format(const struct aj_src *where, char *buf, size_t size)
{
	if (where->file)
		snprintf(buf, size, "%s:%u", where->file, where->line);
	else
		snprintf(buf, size, "argument %u", where->line);
	return buf;
}

char *aj_op_source_realpath(const struct aj_op *op)
{
	char fdpath[32];

	if (op->kind != AJ_OP_BIND_FD)
		return op->src ? realpath(op->src, NULL) : (errno = EINVAL, NULL);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", op->fd);
	return realpath(fdpath, NULL);
}

const char *aj_op_kind_name(enum aj_op_kind kind)
{
	static const char *const names[_AJ_OP_KIND_MAX] = {
		[AJ_OP_BIND] = "bind",         [AJ_OP_BIND_FD] = "bind-fd",
		[AJ_OP_REMOUNT_RO] = "remount-ro", [AJ_OP_TMPFS] = "tmpfs",
		[AJ_OP_PROC] = "proc",         [AJ_OP_DEV] = "dev",
		[AJ_OP_MQUEUE] = "mqueue",     [AJ_OP_DIR] = "dir",
		[AJ_OP_FILE] = "file",         [AJ_OP_BIND_DATA] = "bind-data",
		[AJ_OP_SYMLINK] = "symlink",   [AJ_OP_CHMOD] = "chmod",
		[AJ_OP_OVERLAY] = "overlay",
		[AJ_OP_HIDE] = "hide",         [AJ_OP_MASK] = "mask",
		[AJ_OP_PROTECT] = "protect",
	};

	return (unsigned)kind < _AJ_OP_KIND_MAX ? names[kind] : "?";
}

/*
 * bwrap's combination rules, with its wording so scripts that match the
 * messages keep working.  The automatic user namespace for unprivileged
 * callers is added later (launch.c), so "explicit --unshare-user" checks here
 * see only what was asked for.
 */
int aj_plan_validate(struct aj_plan *plan)
{
	bool userns = plan->unshare & AJ_NS_USER;

	if (plan->userns_fd >= 0 && (userns || plan->unshare_user_try))
		return aj_errx(-EINVAL, "--userns not compatible --unshare-user");
	if (plan->userns_block_fd >= 0 && !userns)
		return aj_errx(-EINVAL, "--userns-block-fd requires --unshare-user");
	if (plan->userns_block_fd >= 0 && plan->info_fd < 0)
		return aj_errx(-EINVAL, "--userns-block-fd requires --info-fd");
	if (plan->disable_userns && plan->userns_block_fd >= 0)
		return aj_errx(-EINVAL, "--disable-userns is not compatible with  --userns-block-fd");
	if (plan->as_pid_1 && !(plan->unshare & AJ_NS_PID))
		return aj_errx(-EINVAL, "Specifying --as-pid-1 requires --unshare-pid");
	if (plan->as_pid_1 && plan->n_lock_files > 0)
		return aj_errx(-EINVAL, "Specifying --as-pid-1 and --lock-file is not permitted");
	if (plan->hostname && !(plan->unshare & AJ_NS_UTS))
		return aj_errx(-EINVAL, "Specifying --hostname requires --unshare-uts");
	return 0;
}
