/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * One table for every option.  The command line walks argv and calls
 * aj_opt_apply() for each known option; the profile parser does the same for
 * INI keys.  The parse functions only fill the plan: they never mount, open
 * paths or start anything (reading an fd that *is* the argument, as --args and
 * --add-seccomp-fd do, is the one exception, and bwrap does it at parse time).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <unistd.h>

#include "agentjail/audit.h"
#include "agentjail/fdutil.h"
#include "agentjail/limits.h"
#include "agentjail/front.h"
#include "agentjail/log.h"
#include "agentjail/netpolicy.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/rules.h"
#include "agentjail/seccomp.h"
#include "agentjail/walls.h"
#include "cleanup.h"

/* ---- argument parsers ---------------------------------------------------- */

int aj_parse_fd(const char *s, int *ret_fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 0 || v > INT32_MAX)
		return -EINVAL;
	*ret_fd = (int)v;
	return 0;
}

int aj_parse_octal(const char *s, int *ret_mode)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '7')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (*end || errno || v > 07777)
		return -EINVAL;
	*ret_mode = (int)v;
	return 0;
}

static int parse_id(const char *s, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	/* (uid_t)-1 means "no change" to the kernel, never a valid id. */
	if (*end || errno || v >= UINT32_MAX)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * An fd given on the command line must be open now: a typo would otherwise
 * surface much later, after namespaces exist, as an unrelated error.
 */
static int take_fd_arg(struct aj_parser *p, const struct aj_opt *o, const char *s, int *ret_fd)
{
	int fd;

	(void)p;
	if (aj_parse_fd(s, &fd) < 0)
		return aj_errx(-EINVAL, "Invalid fd: %s", s);
	if (fcntl(fd, F_GETFD) < 0)
		return aj_err(-errno, "%s %s: fd %d is not open", o->name, s, fd);
	*ret_fd = fd;
	return 0;
}

static int set_str(char **dst, const char *s)
{
	char *c = strdup(s);

	if (!c)
		return aj_err(-ENOMEM, "Out of memory");
	free(*dst);
	*dst = c;
	return 0;
}

static int strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = reallocarray(*v, *n + 2, sizeof(char *));

	if (!nv)
		return aj_err(-ENOMEM, "Out of memory");
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return aj_err(-ENOMEM, "Out of memory");
	nv[++*n] = NULL;
	return 0;
}

static struct aj_op *new_op(struct aj_parser *p, enum aj_op_kind kind, unsigned flags)
{
	struct aj_op *op = aj_plan_add_op(p->plan, kind);

	if (!op) {
		aj_err(-ENOMEM, "Out of memory");
		return NULL;
	}
	op->flags = flags;
	op->where = p->where;
	return op;
}

static int take_perms(struct aj_parser *p)
{
	int v = p->next_perms;

	p->next_perms = -1;
	return v;
}

/* ---- parse functions ----------------------------------------------------- */

static int opt_help(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	p->action = AJ_ACTION_HELP;
	return 0;
}

static int opt_version(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	p->action = AJ_ACTION_VERSION;
	return 0;
}

static int opt_unshare(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)args;
	p->plan->unshare |= o->arg;
	return 0;
}

static int opt_unshare_all(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	/* bwrap's definition: user and cgroup only where the kernel allows. */
	p->plan->unshare_user_try = true;
	p->plan->unshare_cgroup_try = true;
	p->plan->unshare |= AJ_NS_IPC | AJ_NS_PID | AJ_NS_NET | AJ_NS_UTS;
	return 0;
}

static int opt_share_net(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	p->plan->unshare &= ~AJ_NS_NET;
	return 0;
}

static int opt_unshare_try(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)args;
	if (o->arg == AJ_NS_USER)
		p->plan->unshare_user_try = true;
	else
		p->plan->unshare_cgroup_try = true;
	return 0;
}

static int opt_flag(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;

	(void)args;
	if (strcmp(o->name, "--die-with-parent") == 0)
		plan->die_with_parent = true;
	else if (strcmp(o->name, "--new-session") == 0)
		plan->new_session = true;
	else if (strcmp(o->name, "--as-pid-1") == 0)
		plan->as_pid_1 = true;
	else if (strcmp(o->name, "--disable-userns") == 0)
		plan->disable_userns = true;
	else if (strcmp(o->name, "--assert-userns-disabled") == 0)
		plan->assert_userns_disabled = true;
	else if (strcmp(o->name, "--clearenv") == 0)
		aj_plan_clearenv(plan);
	else if (strcmp(o->name, "--level-prefix") == 0)
		aj_log_set_level_prefix(true);
	else if (strcmp(o->name, "--not-a-security-boundary") == 0)
		; /* bwrap 0.12's permission to fail open; flags apply atomically here, never partly */
	else if (strcmp(o->name, "--quiet") == 0)
		aj_log_set_quiet(true);
	else if (strcmp(o->name, "--verbose") == 0)
		aj_log_set_verbose(aj_log_verbose() + 1);
	else
		return aj_errx(-EINVAL, "internal error: no flag handler for %s", o->name);
	return 0;
}

/* The fd-valued settings; o->arg is the offset of the int in the plan. */
static int opt_fd_setting(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	int *slot = (int *)((char *)p->plan + o->arg);
	int fd, r;

	r = take_fd_arg(p, o, args[0], &fd);
	if (r < 0)
		return r;
	*slot = fd;
	return 0;
}

static int opt_id(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	unsigned long v;
	bool is_uid = strcmp(o->name, "--uid") == 0;

	if (parse_id(args[0], &v) < 0)
		return aj_errx(-EINVAL, "Invalid %s: %s", is_uid ? "uid" : "gid", args[0]);
	if (is_uid) {
		p->plan->uid = (uid_t)v;
		p->plan->uid_set = true;
	} else {
		p->plan->gid = (gid_t)v;
		p->plan->gid_set = true;
	}
	return 0;
}

static int opt_hostname(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	return set_str(&p->plan->hostname, args[0]);
}

static int opt_chdir(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	return set_str(&p->plan->chdir, args[0]);
}

static int opt_argv0(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	if (p->argv0_seen)
		return aj_errx(-EINVAL, "--argv0 used multiple times");
	p->argv0_seen = true;
	return set_str(&p->plan->argv0, args[0]);
}

static int opt_setenv(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	if (aj_plan_setenv(p->plan, args[0], args[1]) < 0)
		return aj_errx(-EINVAL, "setenv failed");
	return 0;
}

static int opt_unsetenv(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	if (aj_plan_unsetenv(p->plan, args[0]) < 0)
		return aj_errx(-EINVAL, "unsetenv failed");
	return 0;
}

static int opt_lock_file(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	return strv_push(&p->plan->lock_files, &p->plan->n_lock_files, args[0]);
}

static int opt_keep_fd(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;
	int fd, r, *v;

	r = take_fd_arg(p, o, args[0], &fd);
	if (r < 0)
		return r;
	if (fd <= 2)
		return 0; /* stdio is always passed on */
	v = reallocarray(plan->keep_fds, plan->n_keep_fds + 1, sizeof(int));
	if (!v)
		return aj_err(-ENOMEM, "Out of memory");
	plan->keep_fds = v;
	v[plan->n_keep_fds++] = fd;
	return 0;
}

static int opt_label(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)p, (void)o, (void)args;
	/*
	 * agentjail does not link libselinux, and labels are only meaningful
	 * where SELinux is active; refuse rather than run unlabelled.
	 */
	return aj_errx(-EOPNOTSUPP, "labeling not supported on this system");
}

/* --bind, --ro-bind, --dev-bind and -try forms; o->arg holds AJ_OPF_*. */
static int opt_bind(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op = new_op(p, AJ_OP_BIND, o->arg);

	if (!op)
		return -ENOMEM;
	if (set_str(&op->src, args[0]) < 0 || set_str(&op->dest, args[1]) < 0)
		return -ENOMEM;
	return 0;
}

static int opt_bind_fd(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op;
	int fd, r;

	r = take_fd_arg(p, o, args[0], &fd);
	if (r < 0)
		return r;
	op = new_op(p, AJ_OP_BIND_FD, o->arg);
	if (!op)
		return -ENOMEM;
	op->fd = fd;
	return set_str(&op->dest, args[1]);
}

/* Operations that take only DEST; o->arg is the enum aj_op_kind. */
static int opt_dest_op(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op = new_op(p, (enum aj_op_kind)o->arg, 0);

	if (!op)
		return -ENOMEM;
	if (o->flags & AJ_OPT_TAKES_PERMS)
		op->perms = take_perms(p);
	if (o->flags & AJ_OPT_TAKES_SIZE) {
		op->size = p->next_size;
		p->next_size = 0;
	}
	return set_str(&op->dest, args[0]);
}

/* --file, --bind-data, --ro-bind-data: FD DEST. */
static int opt_fd_dest_op(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	bool is_file = strcmp(o->name, "--file") == 0;
	struct aj_op *op;
	int fd, r;

	r = take_fd_arg(p, o, args[0], &fd);
	if (r < 0)
		return r;
	op = new_op(p, is_file ? AJ_OP_FILE : AJ_OP_BIND_DATA, o->arg);
	if (!op)
		return -ENOMEM;
	op->fd = fd;
	op->perms = take_perms(p);
	return set_str(&op->dest, args[1]);
}

static int opt_symlink(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op = new_op(p, AJ_OP_SYMLINK, 0);

	(void)o;
	if (!op)
		return -ENOMEM;
	if (set_str(&op->src, args[0]) < 0 || set_str(&op->dest, args[1]) < 0)
		return -ENOMEM;
	return 0;
}

static int opt_chmod(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_op *op;
	int mode;

	(void)o;
	if (aj_parse_octal(args[0], &mode) < 0)
		return aj_errx(-EINVAL, "--chmod takes an octal argument <= 07777");
	op = new_op(p, AJ_OP_CHMOD, 0);
	if (!op)
		return -ENOMEM;
	op->perms = mode;
	return set_str(&op->dest, args[1]);
}

static int opt_perms(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	int mode;

	(void)o;
	if (aj_parse_octal(args[0], &mode) < 0)
		return aj_errx(-EINVAL, "--perms takes an octal argument <= 07777");
	if (p->next_perms >= 0)
		return aj_errx(-EINVAL, "--perms given twice for the same action");
	p->next_perms = mode;
	return 0;
}

static int opt_size(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	unsigned long long v;
	char *end;

	(void)o;
	if (*args[0] < '0' || *args[0] > '9')
		return aj_errx(-EINVAL, "--size takes a non-zero number of bytes");
	errno = 0;
	v = strtoull(args[0], &end, 0);
	if (*end || errno || v == 0)
		return aj_errx(-EINVAL, "--size takes a non-zero number of bytes");
	if (v > SIZE_MAX / 2)
		return aj_errx(-EINVAL, "--size (for tmpfs) is limited to %zu", SIZE_MAX / 2);
	if (p->next_size)
		return aj_errx(-EINVAL, "--size given twice for the same action");
	p->next_size = v;
	return 0;
}

static int opt_overlay_src(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o;
	return strv_push(&p->next_layers, &p->n_next_layers, args[0]);
}

/* --overlay RWSRC WORKDIR DEST, --tmp-overlay DEST, --ro-overlay DEST. */
static int opt_overlay(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	size_t need = strcmp(o->name, "--ro-overlay") == 0 ? 2 : 1;
	struct aj_op *op;

	if (p->n_next_layers < need)
		return aj_errx(-EINVAL, "%s requires at least %s --overlay-src", o->name,
			       need == 2 ? "two" : "one");
	op = new_op(p, AJ_OP_OVERLAY, o->arg);
	if (!op)
		return -ENOMEM;
	op->layers = TAKE_PTR(p->next_layers);
	op->n_layers = p->n_next_layers;
	p->n_next_layers = 0;
	if (o->nargs == 3) {
		if (set_str(&op->src, args[0]) < 0 || set_str(&op->workdir, args[1]) < 0)
			return -ENOMEM;
		return set_str(&op->dest, args[2]);
	}
	return set_str(&op->dest, args[0]);
}

static int opt_seccomp(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	int fd, r;

	if (p->plan->n_seccomp_progs > 0)
		return aj_errx(-EINVAL, "--seccomp cannot be combined with --add-seccomp-fd");
	r = take_fd_arg(p, o, args[0], &fd);
	if (r < 0)
		return r;
	p->plan->seccomp_fd = fd;
	return 0;
}

static int opt_add_seccomp_fd(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	int fd;

	(void)o;
	if (p->plan->seccomp_fd >= 0)
		return aj_errx(-EINVAL, "--add-seccomp-fd cannot be combined with --seccomp");
	if (aj_parse_fd(args[0], &fd) < 0)
		return aj_errx(-EINVAL, "Invalid fd: %s", args[0]);
	/* Read now, as bwrap does: the same fd given twice reads nothing the second time. */
	return aj_seccomp_take_fd(p->plan, fd);
}

static int opt_cap(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;
	struct aj_capop *v;
	cap_value_t cap;
	int c;

	if (strcasecmp(args[0], "ALL") == 0)
		c = -1;
	else if (cap_from_name(args[0], &cap) == 0)
		c = (int)cap;
	else
		return aj_errx(-EINVAL, "unknown cap: %s", args[0]);
	v = reallocarray(plan->capops, plan->n_capops + 1, sizeof(*v));
	if (!v)
		return aj_err(-ENOMEM, "Out of memory");
	plan->capops = v;
	v[plan->n_capops++] = (struct aj_capop){ .add = o->arg != 0, .cap = c };
	return 0;
}

static int opt_net(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	static const struct {
		const char *name;
		enum aj_net_mode mode;
	} modes[] = { { "none", AJ_NET_NONE }, { "host", AJ_NET_HOST }, { "proxy", AJ_NET_PROXY } };

	for (size_t i = 0; i < ELEMENTSOF(modes); i++)
		if (strcmp(args[0], modes[i].name) == 0) {
			p->plan->net_mode = modes[i].mode;
			return 0;
		}
	return aj_errx(-EINVAL, "%s takes none, host or proxy, not '%s'", o->name, args[0]);
}

/* --allow-host / --deny-host PATTERN; o->arg: 1 = allow. Syntax in netpolicy.c. */
static int opt_host_pattern(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;
	struct aj_hostpat pat;
	const char *why = "";

	if (aj_hostpat_parse(args[0], &pat, &why) < 0)
		return aj_errx(-EINVAL, "%s: not a host pattern: '%s': %s", o->name, args[0], why);
	if (o->arg)
		return strv_push(&plan->allow_hosts, &plan->n_allow_hosts, args[0]);
	return strv_push(&plan->deny_hosts, &plan->n_deny_hosts, args[0]);
}

/* ---- kernel walls (walls.c) ---------------------------------------------- */

/* "--seccomp-deny" on the command line, "file.ini:3: seccomp-deny" in a profile. */
static const char *label(const struct aj_parser *p, const struct aj_opt *o, char *buf, size_t n)
{
	if (!p->where.file)
		return o->name;
	snprintf(buf, n, "%s:%u: %s", p->where.file, p->where.line, o->key ? o->key : o->name);
	return buf;
}

static int opt_hardened(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	p->plan->hardened = true;
	return 0;
}

static int opt_check(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	(void)o, (void)args;
	p->action = AJ_ACTION_CHECK;
	return 0;
}

/* --seccomp-filter MODE, --seccomp-default. */
static int opt_seccomp_filter(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	char buf[256];

	if (o->nargs == 0 || strcmp(args[0], "default") == 0)
		p->plan->seccomp_mode = AJ_SECCOMP_DEFAULT;
	else if (strcmp(args[0], "none") == 0)
		p->plan->seccomp_mode = AJ_SECCOMP_NONE;
	else
		return aj_errx(-EINVAL, "%s takes default or none, not '%s'",
			       label(p, o, buf, sizeof(buf)), args[0]);
	return 0;
}

static void strv_remove(char **v, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n;)
		if (strcmp(v[i], s) == 0) {
			free(v[i]);
			memmove(&v[i], &v[i + 1], (*n - i) * sizeof(char *)); /* with the NULL */
			(*n)--;
		} else
			i++;
}

/* --seccomp-allow / --seccomp-deny NAMES; o->arg: 1 = allow.  The later mention wins. */
static int opt_seccomp_names(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;
	_cleanup_free_ char *copy = strdup(args[0]);
	char *save = NULL, buf[256];
	size_t n = 0;
	int r;

	if (!copy)
		return aj_err(-ENOMEM, "Out of memory");
	for (char *name = strtok_r(copy, " \t,", &save); name; name = strtok_r(NULL, " \t,", &save)) {
		if (!aj_filter_known_name(name))
			return aj_errx(-EINVAL, "%s: unknown system call '%s'",
				       label(p, o, buf, sizeof(buf)), name);
		if (o->arg) {
			strv_remove(plan->seccomp_deny, &plan->n_seccomp_deny, name);
			r = strv_push(&plan->seccomp_allow, &plan->n_seccomp_allow, name);
		} else {
			strv_remove(plan->seccomp_allow, &plan->n_seccomp_allow, name);
			r = strv_push(&plan->seccomp_deny, &plan->n_seccomp_deny, name);
		}
		if (r < 0)
			return r;
		n++;
	}
	if (n == 0)
		return aj_errx(-EINVAL, "%s: no system call named", label(p, o, buf, sizeof(buf)));
	return 0;
}

/* A yes/no setting; o->arg is the offset of its enum aj_switch in the plan. */
static int opt_switch(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	enum aj_switch *slot = (enum aj_switch *)((char *)p->plan + o->arg);
	bool landlock = slot == &p->plan->landlock;
	int b = aj_parse_bool(args[0]);
	char buf[256];

	if (landlock && strcmp(args[0], "require") == 0) {
		*slot = AJ_SWITCH_REQUIRE;
		return 0;
	}
	if (b < 0)
		return aj_errx(-EINVAL, "%s takes %s, not '%s'", label(p, o, buf, sizeof(buf)),
			       landlock ? "on, off or require" : "true or false", args[0]);
	*slot = b ? AJ_SWITCH_ON : AJ_SWITCH_OFF;
	return 0;
}

static int opt_new_session_value(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	int b = aj_parse_bool(args[0]);
	char buf[256];

	if (b < 0)
		return aj_errx(-EINVAL, "%s takes true or false, not '%s'",
			       label(p, o, buf, sizeof(buf)), args[0]);
	p->plan->new_session = b;
	return 0;
}

/* UID[:GID]; the gid is the uid when not given. */
static int opt_root_maps_to(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	_cleanup_free_ char *copy = strdup(args[0]);
	unsigned long uid, gid;
	char *colon, buf[256];

	if (!copy)
		return aj_err(-ENOMEM, "Out of memory");
	colon = strchr(copy, ':');
	if (colon)
		*colon++ = '\0';
	if (parse_id(copy, &uid) < 0 || (colon && parse_id(colon, &gid) < 0))
		return aj_errx(-EINVAL, "%s takes UID or UID:GID, not '%s'",
			       label(p, o, buf, sizeof(buf)), args[0]);
	p->plan->root_map_set = true;
	p->plan->root_map_uid = (uid_t)uid;
	p->plan->root_map_gid = (gid_t)(colon ? gid : uid);
	return 0;
}

/* ---- the table ----------------------------------------------------------- */

#define PLAN_FD(field) ((unsigned)offsetof(struct aj_plan, field))
#define PLAN_SWITCH(field) ((unsigned)offsetof(struct aj_plan, field))
#define B AJ_OPT_BWRAP

static const struct aj_opt table[] = {
	{ "--help", NULL, 0, B, opt_help, 0, NULL, NULL, "Show this help and exit" },
	{ "--version", NULL, 0, B, opt_version, 0, NULL, NULL, "Show the version and exit" },
	{ "--args", "FD", 1, B | AJ_OPT_SPECIAL, NULL, 0, NULL, NULL,
	  "Read more options from FD, separated by NUL bytes" },
	{ "--argv0", "VALUE", 1, B, opt_argv0, 0, NULL, NULL, "Run COMMAND with argv[0] set to VALUE" },
	{ "--level-prefix", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Start each diagnostic with a <N> syslog level" },
	{ "--not-a-security-boundary", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Accepted for bwrap 0.12 scripts; agentjail never fails open" },

	{ "--unshare-all", NULL, 0, B, opt_unshare_all, 0, NULL, NULL,
	  "Unshare user (if possible), ipc, pid, net, uts and cgroup (if possible)" },
	{ "--share-net", NULL, 0, B, opt_share_net, 0, NULL, NULL,
	  "Keep the host network (after --unshare-all or --unshare-net)" },
	{ "--unshare-user", NULL, 0, B, opt_unshare, AJ_NS_USER, NULL, NULL,
	  "New user namespace (always used when run unprivileged)" },
	{ "--unshare-user-try", NULL, 0, B, opt_unshare_try, AJ_NS_USER, NULL, NULL,
	  "New user namespace if the kernel allows one, else none" },
	{ "--unshare-ipc", NULL, 0, B, opt_unshare, AJ_NS_IPC, NULL, NULL, "New IPC namespace" },
	{ "--unshare-pid", NULL, 0, B, opt_unshare, AJ_NS_PID, NULL, NULL, "New PID namespace" },
	{ "--unshare-net", NULL, 0, B, opt_unshare, AJ_NS_NET, NULL, NULL,
	  "New network namespace with only loopback" },
	{ "--unshare-uts", NULL, 0, B, opt_unshare, AJ_NS_UTS, NULL, NULL,
	  "New UTS namespace (host and domain name)" },
	{ "--unshare-cgroup", NULL, 0, B, opt_unshare, AJ_NS_CGROUP, NULL, NULL,
	  "New cgroup namespace" },
	{ "--unshare-cgroup-try", NULL, 0, B, opt_unshare_try, AJ_NS_CGROUP, NULL, NULL,
	  "New cgroup namespace if the kernel allows one, else none" },
	{ "--userns", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(userns_fd), NULL, NULL,
	  "Enter the user namespace FD instead of creating one" },
	{ "--userns2", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(userns2_fd), NULL, NULL,
	  "Switch to the user namespace FD once setup is done" },
	{ "--disable-userns", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Forbid new user namespaces inside the sandbox" },
	{ "--assert-userns-disabled", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Fail unless new user namespaces are already forbidden" },
	{ "--pidns", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(pidns_fd), NULL, NULL,
	  "Enter the PID namespace FD (as parent with --unshare-pid)" },
	{ "--uid", "UID", 1, B | AJ_OPT_LAST_WINS, opt_id, 0, NULL, NULL,
	  "User id inside the sandbox (needs a user namespace)" },
	{ "--gid", "GID", 1, B | AJ_OPT_LAST_WINS, opt_id, 0, NULL, NULL,
	  "Group id inside the sandbox (needs a user namespace)" },
	{ "--hostname", "NAME", 1, B | AJ_OPT_LAST_WINS, opt_hostname, 0, NULL, NULL,
	  "Host name inside the sandbox (needs --unshare-uts)" },

	{ "--chdir", "DIR", 1, B | AJ_OPT_LAST_WINS | AJ_OPT_ONE_ARG_WORD, opt_chdir, 0, NULL, NULL,
	  "Working directory of COMMAND" },
	{ "--clearenv", NULL, 0, B, opt_flag, 0, "env", "clear", "Start from an empty environment" },
	{ "--setenv", "VAR VALUE", 2, B, opt_setenv, 0, "env", "set", "Set VAR to VALUE" },
	{ "--unsetenv", "VAR", 1, B, opt_unsetenv, 0, "env", "unset", "Remove VAR" },

	{ "--lock-file", "DEST", 1, B, opt_lock_file, 0, NULL, NULL,
	  "Hold a read lock on DEST while the sandbox runs" },
	{ "--sync-fd", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(sync_fd), NULL, NULL,
	  "Keep FD open while the sandbox runs" },

	{ "--bind", "SRC DEST", 2, B, opt_bind, 0, "filesystem", "bind",
	  "Bind the host path SRC on DEST, writable" },
	{ "--bind-try", "SRC DEST", 2, B, opt_bind, AJ_OPF_TRY, "filesystem", "bind-try",
	  "As --bind, skipped when SRC does not exist" },
	{ "--dev-bind", "SRC DEST", 2, B, opt_bind, AJ_OPF_DEV, "filesystem", "dev-bind",
	  "As --bind, device nodes usable" },
	{ "--dev-bind-try", "SRC DEST", 2, B, opt_bind, AJ_OPF_DEV | AJ_OPF_TRY, "filesystem",
	  "dev-bind-try", "As --dev-bind, skipped when SRC does not exist" },
	{ "--ro-bind", "SRC DEST", 2, B, opt_bind, AJ_OPF_RO, "filesystem", "ro-bind",
	  "Bind the host path SRC on DEST, read-only" },
	{ "--ro-bind-try", "SRC DEST", 2, B, opt_bind, AJ_OPF_RO | AJ_OPF_TRY, "filesystem",
	  "ro-bind-try", "As --ro-bind, skipped when SRC does not exist" },
	{ "--bind-fd", "FD DEST", 2, B, opt_bind_fd, 0, NULL, NULL,
	  "Bind the open file or directory FD on DEST" },
	{ "--ro-bind-fd", "FD DEST", 2, B, opt_bind_fd, AJ_OPF_RO, NULL, NULL,
	  "Bind the open file or directory FD on DEST, read-only" },
	{ "--remount-ro", "DEST", 1, B | AJ_OPT_ONE_ARG_WORD, opt_dest_op, AJ_OP_REMOUNT_RO,
	  "filesystem", "remount-ro", "Make the mount at DEST read-only (not recursive)" },
	{ "--exec-label", "LABEL", 1, B | AJ_OPT_LAST_WINS, opt_label, 0, NULL, NULL,
	  "SELinux label for COMMAND (not supported)" },
	{ "--file-label", "LABEL", 1, B | AJ_OPT_LAST_WINS, opt_label, 0, NULL, NULL,
	  "SELinux label for files the sandbox creates (not supported)" },
	{ "--proc", "DEST", 1, B, opt_dest_op, AJ_OP_PROC, "filesystem", "proc",
	  "Mount a procfs on DEST" },
	{ "--dev", "DEST", 1, B, opt_dest_op, AJ_OP_DEV, "filesystem", "dev",
	  "Mount a minimal /dev on DEST" },
	{ "--tmpfs", "DEST", 1, B | AJ_OPT_TAKES_PERMS | AJ_OPT_TAKES_SIZE, opt_dest_op, AJ_OP_TMPFS,
	  "filesystem", "tmpfs", "Mount an empty tmpfs on DEST" },
	{ "--mqueue", "DEST", 1, B, opt_dest_op, AJ_OP_MQUEUE, "filesystem", "mqueue",
	  "Mount a POSIX message queue filesystem on DEST" },
	{ "--dir", "DEST", 1, B | AJ_OPT_TAKES_PERMS, opt_dest_op, AJ_OP_DIR, "filesystem", "dir",
	  "Create the directory DEST" },
	{ "--file", "FD DEST", 2, B | AJ_OPT_TAKES_PERMS, opt_fd_dest_op, 0, NULL, NULL,
	  "Copy the data of FD into the new file DEST" },
	{ "--bind-data", "FD DEST", 2, B | AJ_OPT_TAKES_PERMS, opt_fd_dest_op, 0, NULL, NULL,
	  "Copy the data of FD into a file bound on DEST" },
	{ "--ro-bind-data", "FD DEST", 2, B | AJ_OPT_TAKES_PERMS, opt_fd_dest_op, AJ_OPF_RO, NULL, NULL,
	  "As --bind-data, read-only" },
	{ "--symlink", "SRC DEST", 2, B, opt_symlink, 0, "filesystem", "symlink",
	  "Create the symbolic link DEST pointing to SRC" },
	{ "--overlay-src", "SRC", 1, B | AJ_OPT_LAYER, opt_overlay_src, 0, "filesystem", "overlay-src",
	  "Add SRC as a lower layer of the next overlay" },
	{ "--overlay", "RWSRC WORKDIR DEST", 3, B | AJ_OPT_TAKES_LAYERS, opt_overlay, 0, NULL, NULL,
	  "Overlay on DEST, writes go to RWSRC" },
	{ "--tmp-overlay", "DEST", 1, B | AJ_OPT_TAKES_LAYERS, opt_overlay, AJ_OPF_TMP_OVERLAY,
	  "filesystem", "tmp-overlay", "Overlay on DEST, writes are thrown away" },
	{ "--ro-overlay", "DEST", 1, B | AJ_OPT_TAKES_LAYERS, opt_overlay, AJ_OPF_RO, "filesystem",
	  "ro-overlay", "Read-only overlay of the sources on DEST" },

	{ "--seccomp", "FD", 1, B | AJ_OPT_LAST_WINS, opt_seccomp, 0, NULL, NULL,
	  "Apply the seccomp BPF program read from FD" },
	{ "--add-seccomp-fd", "FD", 1, B, opt_add_seccomp_fd, 0, NULL, NULL,
	  "Add the seccomp BPF program read from FD (repeatable)" },
	{ "--block-fd", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(block_fd), NULL, NULL,
	  "Wait for a byte on FD before running COMMAND" },
	{ "--userns-block-fd", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(userns_block_fd),
	  NULL, NULL, "Wait for a byte on FD before the user namespace is used" },
	{ "--info-fd", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(info_fd), NULL, NULL,
	  "Write the sandbox's pid and namespaces as JSON to FD" },
	{ "--json-status-fd", "FD", 1, B | AJ_OPT_LAST_WINS, opt_fd_setting, PLAN_FD(json_status_fd),
	  NULL, NULL, "Write start and exit status as JSON lines to FD" },
	{ "--new-session", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Run COMMAND in a new session, without a controlling terminal" },
	{ "--die-with-parent", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Kill the sandbox when the process that started it dies" },
	{ "--as-pid-1", NULL, 0, B, opt_flag, 0, NULL, NULL,
	  "Run COMMAND as pid 1 (no reaper; needs --unshare-pid)" },
	{ "--cap-add", "CAP", 1, B, opt_cap, 1, NULL, NULL, "Keep capability CAP (or ALL)" },
	{ "--cap-drop", "CAP", 1, B, opt_cap, 0, NULL, NULL, "Drop capability CAP (or ALL)" },
	{ "--perms", "OCTAL", 1, B | AJ_OPT_MODIFIER, opt_perms, 0, NULL, NULL,
	  "Mode of what the next operation creates" },
	{ "--size", "BYTES", 1, B | AJ_OPT_MODIFIER, opt_size, 0, NULL, NULL,
	  "Size limit of the next --tmpfs" },
	{ "--chmod", "OCTAL PATH", 2, B, opt_chmod, 0, "filesystem", "chmod",
	  "Change the mode of the existing PATH" },

	/* agentjail's own options. */
	{ "--net", "MODE", 1, 0, opt_net, 0, "network", "mode",
	  "Network: none, host, or proxy (an allowlist of host names)" },
	{ "--allow-host", "PATTERN", 1, 0, opt_host_pattern, 1, "network", "allow",
	  "With --net proxy: allow HOST, *.DOMAIN, optionally :PORT" },
	{ "--deny-host", "PATTERN", 1, 0, opt_host_pattern, 0, "network", "deny",
	  "With --net proxy: refuse PATTERN even when allowed" },
	{ "--limit-memory", "SIZE", 1, 0, aj_limits_opt, AJ_LIMIT_MEMORY, "limits", "memory",
	  "Memory limit (512M, 8G; a cgroup's, else per process)" },
	{ "--limit-pids", "N", 1, 0, aj_limits_opt, AJ_LIMIT_PIDS, "limits", "pids",
	  "At most N processes and threads in the sandbox" },
	{ "--limit-nofile", "N", 1, 0, aj_limits_opt, AJ_LIMIT_NOFILE, "limits", "nofile",
	  "At most N open files per process" },
	{ "--limit-cpu", "TIME", 1, 0, aj_limits_opt, AJ_LIMIT_CPU, "limits", "cpu",
	  "CPU time per process (90s, 10m, 2h)" },
	{ "--limit-fsize", "SIZE", 1, 0, aj_limits_opt, AJ_LIMIT_FSIZE, "limits", "fsize",
	  "Largest file a process may write" },
	{ "--limit-core", "SIZE", 1, 0, aj_limits_opt, AJ_LIMIT_CORE, "limits", "core",
	  "Largest core dump (default 0: none)" },
	{ "--limit-cpus", "N", 1, 0, aj_limits_opt, AJ_LIMIT_CPUS, "limits", "cpus",
	  "CPU bandwidth (1.5, 150%; needs a delegated cgroup)" },
	{ "--limit-tmp-size", "SIZE", 1, 0, aj_limits_opt, AJ_LIMIT_TMP_SIZE, "limits", "tmp-size",
	  "Size of each tmpfs without --size, /dev and the root (hardened: RAM/4)" },
	{ "--audit", "on|off", 1, 0, aj_audit_opt, 0, "audit", "enabled",
	  "Record this run in the audit log (default: on, off as bwrap)" },
	{ "--audit-log", "FILE", 1, 0, aj_audit_opt, 1, "audit", "log",
	  "The audit log (default $XDG_STATE_HOME/agentjail/audit.jsonl)" },
	{ "--audit-syslog", "on|off", 1, 0, aj_audit_opt, 2, "audit", "syslog",
	  "Also send each record's sha256 to syslog" },
	{ "--profile", "NAME", 1, 0, aj_front_opt_profile, 0, NULL, NULL,
	  "Apply profile NAME here (options after it add to it and win)" },
	{ "--project", "DIR", 1, 0, aj_front_opt_project, 0, NULL, NULL,
	  "The project for ${PROJECT} (default: git top level, else the current directory)" },
	{ "-c", "COMMAND", 1, 0, aj_front_opt_command, 0, NULL, NULL,
	  "Run COMMAND with the shell in the profile (default: the default profile)" },
	{ "--explain", NULL, 0, 0, aj_front_opt_explain, 0, NULL, NULL,
	  "Print the effective policy in plain words and exit" },
	{ "--dump-profile", NULL, 0, 0, aj_front_opt_dump, 0, NULL, NULL,
	  "Print the effective profile as INI and exit" },
	{ "--hide", "PATH", 1, 0, aj_rules_opt_hide, 0, "filesystem", "hide",
	  "Show PATH empty and unreadable" },
	{ "--mask", "GLOB", 1, 0, aj_rules_opt_mask, 0, "filesystem", "mask",
	  "Show every match of GLOB as an empty read-only file (** = any depth)" },
	{ "--protect", "PATH", 1, 0, aj_rules_opt_protect, 0, "filesystem", "protect",
	  "Keep PATH (or GLOB matches) read-only, even inside a writable bind" },
	{ "--protect-try", "PATH", 1, 0, aj_rules_opt_protect, AJ_OPF_TRY, "filesystem", "protect-try",
	  "As --protect, but a missing PATH is left missing (no placeholder)" },
	{ "--protect-git", "DIR", 1, 0, aj_rules_opt_protect_git, 0, "filesystem", "protect-git",
	  "Protect hooks and config of every git repository under DIR" },
	{ "--socket", "PATH", 1, 0, aj_rules_opt_socket, 0, "filesystem", "socket",
	  "Make the host socket PATH reachable at the same path" },
	{ "--pass-env", "PATTERN", 1, 0, aj_rules_opt_pass_env, 0, "env", "pass",
	  "Copy matching variables from the caller (credentials only when named)" },
	{ "--keep-fd", "FD", 1, 0, opt_keep_fd, 0, NULL, NULL,
	  "Pass FD on to COMMAND (other inherited fds are closed)" },
	{ "--quiet", NULL, 0, 0, opt_flag, 0, NULL, NULL, "Hide notices (errors are always shown)" },
	{ "--verbose", NULL, 0, 0, opt_flag, 0, NULL, NULL, "Explain what is being set up" },

	/* Kernel walls (walls.c, filter.c, landlock.c, caps.c, check.c). */
	{ "--hardened", NULL, 0, 0, opt_hardened, 0, NULL, NULL,
	  "The walls a profile gets: seccomp filter, Landlock, no caps, root mapped away" },
	{ "--seccomp-filter", "MODE", 1, 0, opt_seccomp_filter, 0, "security", "seccomp",
	  "Built-in seccomp filter: default or none" },
	{ "--seccomp-default", NULL, 0, 0, opt_seccomp_filter, 0, NULL, NULL,
	  "Same as --seccomp-filter default" },
	{ "--seccomp-allow", "NAMES", 1, 0, opt_seccomp_names, 1, "security", "seccomp-allow",
	  "Drop the built-in filter's rules for these system calls" },
	{ "--seccomp-deny", "NAMES", 1, 0, opt_seccomp_names, 0, "security", "seccomp-deny",
	  "Make these system calls fail with EPERM" },
	{ "--nested-userns", "BOOL", 1, 0, opt_switch, PLAN_SWITCH(nested_userns), "security",
	  "nested-userns", "Allow new user namespaces (and mounts in them) inside" },
	{ "--io-uring", "BOOL", 1, 0, opt_switch, PLAN_SWITCH(io_uring), "security", "io-uring",
	  "Allow io_uring" },
	{ "--landlock", "MODE", 1, 0, opt_switch, PLAN_SWITCH(landlock), "security", "landlock",
	  "Landlock as a second wall: on, off, or require" },
	{ "--new-session-value", "BOOL", 1, AJ_OPT_HIDDEN, opt_new_session_value, 0, "security",
	  "new-session", "As --new-session when true (the profile key)" },
	{ "--root-maps-to", "UID[:GID]", 1, 0, opt_root_maps_to, 0, "security", "root-maps-to",
	  "Hardened, as root: the host ids the sandbox runs as (default 65534)" },
	{ "--check", NULL, 0, 0, opt_check, 0, NULL, NULL,
	  "Run the self-check probes in this sandbox and print what held" },
};

#undef B

const struct aj_opt *aj_opt_table(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(table);
	return table;
}

const struct aj_opt *aj_opt_find(const struct aj_parser *p, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (strcmp(table[i].name, name) == 0) {
			if (p->bwrap && !(table[i].flags & AJ_OPT_BWRAP))
				return NULL;
			return &table[i];
		}
	return NULL;
}

const struct aj_opt *aj_opt_find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (table[i].section && strcmp(table[i].section, section) == 0 &&
		    strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

int aj_parser_init(struct aj_parser *p, struct aj_plan *plan, bool bwrap)
{
	*p = (struct aj_parser){ .plan = plan, .bwrap = bwrap, .next_perms = -1 };
	p->seen = calloc(ELEMENTSOF(table), 1);
	if (!p->seen)
		return aj_err(-ENOMEM, "Out of memory");
	return 0;
}

void aj_parser_done(struct aj_parser *p)
{
	for (size_t i = 0; i < p->n_next_layers; i++)
		free(p->next_layers[i]);
	free(p->next_layers);
	free(p->seen);
	p->next_layers = NULL;
	p->seen = NULL;
}

int aj_opt_apply(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	size_t idx = (size_t)(o - table);
	int r;

	if (o->flags & AJ_OPT_LAST_WINS) {
		if (p->seen[idx])
			aj_warn("Only the last %s option will take effect", o->name);
		p->seen[idx] = 1;
	}
	r = o->parse(p, o, args);
	if (r < 0)
		return r;

	/* Modifiers bind to the very next option (bwrap's rule). */
	if (p->next_perms >= 0 && !(o->flags & AJ_OPT_MODIFIER))
		return aj_errx(-EINVAL, "--perms must be followed by an option that creates a file");
	if (p->next_size && !(o->flags & AJ_OPT_MODIFIER))
		return aj_errx(-EINVAL, "--size must be followed by --tmpfs");
	if (p->n_next_layers && !(o->flags & AJ_OPT_LAYER))
		return aj_errx(-EINVAL, "--overlay-src must be followed by another --overlay-src or one "
					"of --overlay, --tmp-overlay, or --ro-overlay");
	return 0;
}

int aj_parser_finish(struct aj_parser *p)
{
	/* A dangling --perms or --size is ignored, as bwrap does; --overlay-src is not. */
	if (p->n_next_layers)
		return aj_errx(-EINVAL, "--overlay-src must be followed by another --overlay-src or one "
					"of --overlay, --tmp-overlay, or --ro-overlay");
	p->next_perms = -1;
	p->next_size = 0;
	return 0;
}
