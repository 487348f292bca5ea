/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The audit record of a run (audit.h): when auditing is on, what the record
 * holds, and keeping the log out of the sandbox's reach.  The chained file
 * itself is auditlog.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agentjail/audit.h"
#include "agentjail/fdutil.h"
#include "agentjail/json.h"
#include "agentjail/launch.h"
#include "agentjail/limits.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/reap.h"
#include "agentjail/sha256.h"
#include "cleanup.h"
#include "config.h"

/* The proxy's decisions: at most this much is read, and this many kept. */
#define NETLOG_MAX_BYTES (16u << 20)
#define NETLOG_MAX_ENTRIES 10000

struct aj_audit {
	char *path;
	char *cwd;  /* the caller's, NULL when it was deleted */
	struct timespec start_real, start_mono;
};

/* ---- options ------------------------------------------------------------ */

static int parse_switch(const char *s, bool *ret)
{
	static const char *const on[] = { "on", "true", "yes" }, *const off[] = { "off", "false", "no" };

	for (size_t i = 0; i < ELEMENTSOF(on); i++) {
		if (strcmp(s, on[i]) == 0)
			return *ret = true, 0;
		if (strcmp(s, off[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

/* o->arg: 0 = on/off, 1 = the log's path, 2 = syslog on/off. */
int aj_audit_opt(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	struct aj_plan *plan = p->plan;
	const char *v = args[0];
	char what[256];
	bool b;

	if (p->where.file)
		snprintf(what, sizeof(what), "%s:%u: %s", p->where.file, p->where.line, o->key);
	else
		snprintf(what, sizeof(what), "%s", o->name);
	if (o->arg == 1) {
		const char *home = getenv("HOME");
		char *path;

		if (!*v)
			return aj_errx(-EINVAL, "%s: the audit log needs a file name", what);
		if (strncmp(v, "~/", 2) == 0) {
			if (!home || home[0] != '/')
				return aj_errx(-EINVAL, "%s: '%s': HOME is not set", what, v);
			if (asprintf(&path, "%s/%s", home, v + 2) < 0)
				return aj_err(-ENOMEM, "Out of memory");
		} else if (!(path = strdup(v)))
			return aj_err(-ENOMEM, "Out of memory");
		free(plan->audit_log);
		plan->audit_log = path;
		if (plan->audit == AJ_AUDIT_DEFAULT)
			plan->audit = AJ_AUDIT_ON;
		return 0;
	}
	if (parse_switch(v, &b) < 0)
		return aj_errx(-EINVAL, "%s takes on or off, not '%s'", what, v);
	if (o->arg == 0)
		plan->audit = b ? AJ_AUDIT_ON : AJ_AUDIT_OFF;
	else
		plan->audit_syslog = b;
	return 0;
}

bool aj_audit_enabled(const struct aj_plan *plan, bool bwrap)
{
	/* Tools call bwrap many times a minute: under that name, only when asked. */
	return plan->audit == AJ_AUDIT_ON || (plan->audit == AJ_AUDIT_DEFAULT && !bwrap);
}

/*
 * The log's path, and how much of it must exist already (*ret_keep bytes):
 * agentjail creates the directories after that, never a home directory or
 * the parents of $XDG_STATE_HOME, and below a $HOME that is not the one the
 * password database names (a test, a script) only agentjail's own directory
 * in an existing .local/state.
 */
static int locate(const struct aj_plan *plan, char **ret, size_t *ret_keep, bool *ret_own)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	struct passwd *pw = getpwuid(getuid());
	const char *pw_home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	char *path, *slash;
	size_t keep;
	int k;

	*ret_own = true;
	if (plan && plan->audit_log) {
		path = strdup(plan->audit_log);
		if (!path)
			return -ENOMEM;
		slash = strrchr(path, '/');
		*ret_keep = slash ? (size_t)(slash - path) : 0;
		*ret = path;
		return 0;
	}
	/* The XDG base directory rules: a relative value is to be ignored. */
	if (state && state[0] == '/') {
		k = asprintf(&path, "%s/agentjail/audit.jsonl", state);
		slash = k < 0 ? NULL : memrchr(path, '/', strlen(state));
		keep = slash ? (size_t)(slash - path) : 0;
	} else {
		if (!home || home[0] != '/')
			home = pw_home;
		if (!home)
			return -ENOENT;
		k = asprintf(&path, "%s/.local/state/agentjail/audit.jsonl", home);
		keep = strlen(home);
		if (pw_home && strcmp(home, pw_home) != 0) {
			keep += strlen("/.local/state");
			*ret_own = false;
		}
	}
	if (k < 0)
		return -ENOMEM;
	*ret = path;
	*ret_keep = keep;
	return 0;
}

int aj_audit_path(const struct aj_plan *plan, char **ret)
{
	size_t keep;
	bool own;

	return locate(plan, ret, &keep, &own);
}

/* ---- before the sandbox ------------------------------------------------- */

/* Create the directories of path after its first keep bytes, each new one 0700. */
static int make_dirs(const char *path, size_t keep)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = strchr(p + keep + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* real is at or below base: the rest of real after base ("" or "/x/y"), else NULL. */
static const char *below(const char *real, const char *base)
{
	size_t n = strlen(base);

	if (strcmp(base, "/") == 0)
		return real;
	if (strncmp(real, base, n) == 0 && (real[n] == '\0' || real[n] == '/'))
		return real + n;
	return NULL;
}

static int add_cover(struct aj_plan *plan, const char *dest, const char *rest)
{
	_cleanup_free_ char *path = NULL;
	size_t n = strlen(dest);
	struct aj_op *op;

	if (asprintf(&path, "%.*s%s", (int)(n > 1 && dest[n - 1] == '/' ? n - 1 : n), dest, rest) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < plan->n_ops; i++)
		if (plan->ops[i].kind == AJ_OP_BIND && plan->ops[i].dest &&
		    strcmp(plan->ops[i].dest, path) == 0 && plan->ops[i].src &&
		    strcmp(plan->ops[i].src, "/dev/null") == 0)
			return 0;
	op = aj_plan_add_op(plan, AJ_OP_BIND);
	if (!op)
		return -ENOMEM;
	op->flags = AJ_OPF_RO;
	op->src = strdup("/dev/null");
	op->dest = TAKE_PTR(path);
	return op->src ? 0 : -ENOMEM;
}

/*
 * Wherever a bind, overlay or bind-fd would show the log inside the
 * sandbox, bind the host's /dev/null read-only over it (nodev makes it
 * unopenable).  A mount point cannot be renamed, unlinked or linked to, and
 * the record is written through the fd opened before clone() anyway, so
 * games with the directories around it change nothing either.
 */
static int cover_log(struct aj_plan *plan, int log_fd)
{
	char real[PATH_MAX], link[64];
	size_t n_ops = plan->n_ops;
	ssize_t k;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", log_fd);
	k = readlink(link, real, sizeof(real) - 1);
	if (k < 0)
		return -errno;
	real[k] = '\0';
	for (size_t i = 0; i < n_ops; i++) {
		const char *srcs[64];
		size_t n = 0;
		char fdreal[PATH_MAX];

		/* The kinds whose source is a host path shown at dest (overlay: its layers too). */
		if (plan->ops[i].kind == AJ_OP_BIND)
			srcs[n++] = plan->ops[i].src;
		else if (plan->ops[i].kind == AJ_OP_OVERLAY) {
			if (plan->ops[i].src)
				srcs[n++] = plan->ops[i].src;
			for (size_t l = 0; l < plan->ops[i].n_layers && n < ELEMENTSOF(srcs); l++)
				srcs[n++] = plan->ops[i].layers[l];
		} else if (plan->ops[i].kind == AJ_OP_BIND_FD) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", plan->ops[i].fd);
			k = readlink(link, fdreal, sizeof(fdreal) - 1);
			if (k < 0)
				continue;
			fdreal[k] = '\0';
			srcs[n++] = fdreal;
		} else
			continue;
		for (size_t s = 0; s < n; s++) {
			_cleanup_free_ char *rs = srcs[s] ? realpath(srcs[s], NULL) : NULL;
			const char *rest = rs ? below(real, rs) : NULL;
			int r;

			if (!rest || !plan->ops[i].dest)
				continue;
			r = add_cover(plan, plan->ops[i].dest, rest);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * Open (or create) the log.  Auditing asked for (--audit on, a log named) is
 * required: failing to open the log stops the launch.  The default is best
 * effort, so a missing or read-only home does not stop every sandbox: a
 * notice says the run goes unrecorded.
 */
static int open_log(struct aj_run *run, char **ret_path)
{
	struct aj_plan *plan = run->plan;
	bool required = plan->audit == AJ_AUDIT_ON;
	_cleanup_free_ char *path = NULL;
	const char *what = "Can't open the audit log";
	size_t keep;
	struct stat st;
	bool own;
	int fd, r;

	r = locate(plan, &path, &keep, &own);
	if (r < 0) {
		if (!required)
			return aj_notice("not recording this run: no place for the audit log (no HOME); "
					 "--audit-log FILE names one, --audit off silences this"), 0;
		return aj_err(r, "Can't find a place for the audit log (set XDG_STATE_HOME or HOME, "
				 "or --audit-log FILE, or --audit off)");
	}
	if (path[0] != '/') {
		char *abs;

		if (!run->cwd || asprintf(&abs, "%s/%s", run->cwd, path) < 0)
			return aj_errx(-EINVAL, "Can't make the audit log path '%s' absolute", path);
		keep += strlen(run->cwd) + 1;
		free(path);
		path = abs;
	}
	r = make_dirs(path, keep);
	if (r >= 0) {
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
		r = fd < 0 ? -errno : 0;
	} else
		what = "Can't create the directory of the audit log";
	if (r >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		(void)close(fd);
		r = -EINVAL;
		what = "Not a regular file: the audit log";
	}
	if (r < 0 && !required && !own) {
		/* A $HOME set for a test or a script: quiet, it was not meant to hold a log. */
		aj_debug("not recording this run: %s '%s': %s", what, path, strerror(-r));
		return 0;
	}
	if (r < 0) {
		if (!required)
			return aj_notice("not recording this run: %s '%s': %s; --audit-log FILE names "
					 "another place, --audit off silences this",
					 what, path, strerror(-r)), 0;
		return aj_err(r, "%s '%s' (--audit off runs without one)", what, path);
	}
	run->audit_fd = fd;
	*ret_path = TAKE_PTR(path);
	return 0;
}

int aj_audit_begin(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	_cleanup_free_ char *path = NULL;
	struct aj_audit *a;
	int r;

	if (!aj_audit_enabled(plan, run->bwrap))
		return 0;
	r = open_log(run, &path);
	if (r < 0 || run->audit_fd < 0)
		return r;
	/* Filled by the proxy, read back into the record; never the sandbox's. */
	run->netlog_fd = memfd_create("agentjail-netlog", MFD_CLOEXEC);
	/* O_APPEND: each write() of a whole line lands whole, from any writer. */
	if (run->netlog_fd < 0 || fcntl(run->netlog_fd, F_SETFL, O_APPEND) < 0)
		return aj_err(-errno, "memfd_create");
	r = cover_log(plan, run->audit_fd);
	if (r < 0)
		return aj_err(r, "Can't hide the audit log '%s' from the sandbox", path);

	a = calloc(1, sizeof(*a));
	if (!a)
		return aj_err(-ENOMEM, "Out of memory");
	a->path = TAKE_PTR(path);
	if (run->cwd && !(a->cwd = strdup(run->cwd))) {
		free(a->path);
		free(a);
		return aj_err(-ENOMEM, "Out of memory");
	}
	clock_gettime(CLOCK_REALTIME, &a->start_real);
	clock_gettime(CLOCK_MONOTONIC, &a->start_mono);
	run->audit = a;
	return 0;
}

/* ---- the record --------------------------------------------------------- */

static void put_time(struct aj_buf *b, const struct timespec *ts)
{
	struct tm tm;
	char s[32];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	aj_buf_printf(b, "\"%s.%03ldZ\"", s, ts->tv_nsec / 1000000);
}

static void put_strv(struct aj_buf *b, char *const *v, size_t n)
{
	aj_buf_puts(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			aj_buf_puts(b, ",");
		aj_json_put_str(b, v[i]);
	}
	aj_buf_puts(b, "]");
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/*
 * The whole command line of agentjail, from /proc/self/cmdline.  A
 * --setenv value before the command is replaced by its sha256: the log
 * must not become a copy of the secrets passed to the sandbox.
 */
static void put_cmdline(struct aj_buf *b, const struct aj_plan *plan)
{
	_cleanup_close_ int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *data = NULL;
	_cleanup_free_ const char **word = NULL;
	size_t size = 0, words = 0, opts;
	void *buf;

	if (fd < 0 || aj_read_all(fd, 1u << 20, &buf, &size) < 0) {
		aj_buf_puts(b, "null");
		return;
	}
	data = buf;
	word = calloc(size + 1, sizeof(char *));
	if (!word) {
		aj_buf_puts(b, "null");
		return;
	}
	for (size_t i = 0; i < size; i += strlen(data + i) + 1)
		word[words++] = data + i;
	/* The command is the last words; agentjail's options come before it. */
	opts = words > strv_len(plan->argv) ? words - strv_len(plan->argv) : 0;
	aj_buf_puts(b, "[");
	for (size_t w = 0; w < words; w++) {
		if (w)
			aj_buf_puts(b, ",");
		if (w >= 3 && w < opts && strcmp(word[w - 2], "--setenv") == 0) {
			char hex[AJ_SHA256_HEX_SIZE];

			aj_sha256_hex(word[w], strlen(word[w]), hex);
			aj_buf_printf(b, "\"<redacted sha256:%s>\"", hex);
			continue;
		}
		aj_json_put_str(b, word[w]);
	}
	aj_buf_puts(b, "]");
}

static void put_policy(struct aj_buf *b, const struct aj_run *run)
{
	static const struct {
		unsigned bit;
		const char *name;
	} ns[] = { { AJ_NS_USER, "user" }, { AJ_NS_IPC, "ipc" }, { AJ_NS_PID, "pid" },
		   { AJ_NS_NET, "net" },   { AJ_NS_UTS, "uts" }, { AJ_NS_CGROUP, "cgroup" } };
	static const char *const net[] = { [AJ_NET_UNSET] = NULL, [AJ_NET_NONE] = "none",
					   [AJ_NET_HOST] = "host", [AJ_NET_PROXY] = "proxy" };
	const struct aj_plan *plan = run->plan;
	const char *mode = net[plan->net_mode];
	bool first = true;

	aj_buf_puts(b, "{");
	aj_json_put_key(b, &first, "hardened");
	aj_buf_puts(b, plan->hardened ? "true" : "false");
	aj_json_put_key(b, &first, "namespaces");
	aj_buf_puts(b, "[\"mnt\"");
	for (size_t i = 0; i < ELEMENTSOF(ns); i++)
		if (run->ns & ns[i].bit)
			aj_buf_printf(b, ",\"%s\"", ns[i].name);
	aj_buf_puts(b, "]");
	aj_json_put_key(b, &first, "network");
	aj_json_put_str(b, mode ? mode : (run->ns & AJ_NS_NET) ? "none" : "host");
	aj_json_put_key(b, &first, "allow_hosts");
	put_strv(b, plan->allow_hosts, plan->n_allow_hosts);
	aj_json_put_key(b, &first, "deny_hosts");
	put_strv(b, plan->deny_hosts, plan->n_deny_hosts);
	aj_json_put_key(b, &first, "uid");
	aj_buf_printf(b, "%u", (unsigned)run->uid);
	aj_json_put_key(b, &first, "gid");
	aj_buf_printf(b, "%u", (unsigned)run->gid);

	aj_json_put_key(b, &first, "mounts");
	aj_buf_puts(b, "[");
	for (size_t i = 0; i < plan->n_ops; i++) {
		const struct aj_op *op = &plan->ops[i];
		bool f = true;

		aj_buf_puts(b, i ? ",{" : "{");
		aj_json_put_key(b, &f, "op");
		aj_json_put_str(b, aj_op_kind_name(op->kind));
		if (op->src) {
			aj_json_put_key(b, &f, "src");
			aj_json_put_str(b, op->src);
		}
		if (op->fd >= 0) {
			aj_json_put_key(b, &f, "fd");
			aj_buf_printf(b, "%d", op->fd);
		}
		if (op->dest) {
			aj_json_put_key(b, &f, "dest");
			aj_json_put_str(b, op->dest);
		}
		if (op->n_layers) {
			aj_json_put_key(b, &f, "layers");
			put_strv(b, op->layers, op->n_layers);
		}
		if (op->flags & AJ_OPF_RO)
			aj_buf_puts(b, ",\"ro\":true");
		if (op->flags & AJ_OPF_TRY)
			aj_buf_puts(b, ",\"try\":true");
		if (op->flags & AJ_OPF_DEV)
			aj_buf_puts(b, ",\"dev\":true");
		if (op->size)
			aj_buf_printf(b, ",\"size\":%" PRIu64, op->size);
		aj_buf_puts(b, "}");
	}
	aj_buf_puts(b, "]");

	aj_json_put_key(b, &first, "caps");
	aj_buf_puts(b, "[");
	for (unsigned c = 0, n = 0; c < 64; c++) {
		char *name;

		if (!(run->caps_keep & (UINT64_C(1) << c)) || !(name = cap_to_name((cap_value_t)c)))
			continue;
		aj_buf_puts(b, n++ ? "," : "");
		aj_json_put_str(b, name);
		cap_free(name);
	}
	aj_buf_puts(b, "]");
	aj_json_put_key(b, &first, "seccomp_programs");
	aj_buf_printf(b, "%zu", plan->n_seccomp_progs + (plan->seccomp_fd >= 0 ? 1 : 0));

	/* Names only: values are often secrets. */
	aj_json_put_key(b, &first, "env");
	aj_buf_puts(b, "[");
	for (size_t i = 0; i < plan->n_env; i++) {
		const char *eq = strchr(plan->env[i], '=');

		aj_buf_puts(b, i ? "," : "");
		aj_json_put_strn(b, plan->env[i], eq ? (size_t)(eq - plan->env[i]) : strlen(plan->env[i]));
	}
	aj_buf_puts(b, "]");
	aj_json_put_key(b, &first, "new_session");
	aj_buf_puts(b, plan->new_session ? "true" : "false");
	aj_json_put_key(b, &first, "die_with_parent");
	aj_buf_puts(b, plan->die_with_parent ? "true" : "false");
	aj_buf_puts(b, "}");
}

/* A string member of a decision: present, a string, short, without control characters. */
static char *netlog_str(const struct aj_json_val *obj, const char *key, size_t max)
{
	struct aj_json_val v;
	char *s = NULL;

	if (aj_json_get(obj, key, &v) < 0 || aj_json_string(&v, &s) < 0)
		return NULL;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(s);
			return NULL;
		}
	if (strlen(s) > max) {
		free(s);
		return NULL;
	}
	return s;
}

static bool netlog_int(const struct aj_json_val *obj, const char *key, int64_t max, int64_t *ret)
{
	struct aj_json_val v;

	return aj_json_get(obj, key, &v) == 0 && aj_json_int(&v, ret) == 0 && *ret >= 0 && *ret <= max;
}

/* One decision line, re-written member by member; false when it is not one. */
static bool netlog_entry(const char *line, size_t len, struct aj_buf *b, bool first)
{
	_cleanup_free_ char *time = NULL, *host = NULL, *decision = NULL, *reason = NULL;
	struct aj_json_val obj;
	int64_t port, up = 0, down = 0;

	if (aj_json_check(line, len, &obj) < 0 || obj.type != AJ_JSON_OBJECT)
		return false;
	time = netlog_str(&obj, "time", 40);
	host = netlog_str(&obj, "host", 255);
	decision = netlog_str(&obj, "decision", 5);
	if (!time || !host || !decision || !netlog_int(&obj, "port", 65535, &port))
		return false;
	/* RFC 3339: digits, 'T', ':', '.', '-', '+', 'Z' only. */
	if (strspn(time, "0123456789T:.-+Z") != strlen(time) || strlen(time) < 20)
		return false;
	if (strcmp(decision, "allow") != 0 && strcmp(decision, "deny") != 0)
		return false;
	reason = netlog_str(&obj, "reason", 200);
	{
		struct aj_json_val v;

		/* Optional members: absent is fine, present must be right. */
		if (!reason && aj_json_get(&obj, "reason", &v) != -ENOENT)
			return false;
		if (aj_json_get(&obj, "bytes_up", &v) != -ENOENT && !netlog_int(&obj, "bytes_up", INT64_MAX, &up))
			return false;
		if (aj_json_get(&obj, "bytes_down", &v) != -ENOENT &&
		    !netlog_int(&obj, "bytes_down", INT64_MAX, &down))
			return false;
	}
	aj_buf_puts(b, first ? "{\"time\":" : ",{\"time\":");
	aj_json_put_str(b, time);
	aj_buf_puts(b, ",\"host\":");
	aj_json_put_str(b, host);
	aj_buf_printf(b, ",\"port\":%" PRId64 ",\"decision\":\"%s\",\"reason\":", port, decision);
	aj_json_put_str(b, reason ? reason : "");
	aj_buf_printf(b, ",\"bytes_up\":%" PRId64 ",\"bytes_down\":%" PRId64 "}", up, down);
	return true;
}

int aj_audit_netlog_json(int fd, struct aj_buf *b, size_t *ret_dropped)
{
	_cleanup_free_ char *data = NULL;
	size_t size = 0, kept = 0, dropped = 0;
	struct stat st;
	void *buf;
	int r;

	aj_buf_puts(b, "[");
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		r = aj_read_all_from_start(fd, NETLOG_MAX_BYTES, &buf, &size);
		if (r == -E2BIG) {
			/* Too much to keep: note it instead. */
			dropped++;
			r = 0, size = 0, buf = NULL;
		}
		if (r < 0)
			return r;
		data = buf;
		for (size_t i = 0; i < size;) {
			const char *nl = memchr(data + i, '\n', size - i);
			size_t len = nl ? (size_t)(nl - (data + i)) : size - i;

			if (len > 0) {
				if (kept < NETLOG_MAX_ENTRIES && netlog_entry(data + i, len, b, kept == 0))
					kept++;
				else
					dropped++;
			}
			i += len + 1;
		}
	}
	*ret_dropped = dropped;
	return aj_buf_puts(b, "]");
}

static void put_exit(struct aj_buf *b, const struct aj_run *run)
{
	int st = run->wstatus;

	if (st == -1) {
		aj_buf_puts(b, "{\"code\":1,\"status\":null,\"signal\":null,\"executed\":false,"
			       "\"error\":\"the sandbox did not start\"}");
		return;
	}
	aj_buf_printf(b, "{\"code\":%d,\"status\":", aj_exit_code(st));
	if (WIFEXITED(st))
		aj_buf_printf(b, "%d", WEXITSTATUS(st));
	else
		aj_buf_puts(b, "null");
	aj_buf_puts(b, ",\"signal\":");
	if (WIFSIGNALED(st)) {
		const char *abbrev = sigabbrev_np(WTERMSIG(st));

		if (abbrev)
			aj_buf_printf(b, "\"SIG%s\"", abbrev);
		else
			aj_buf_printf(b, "\"%d\"", WTERMSIG(st));
	} else
		aj_buf_puts(b, "null");
	aj_buf_printf(b, ",\"executed\":%s}", run->execd ? "true" : "false");
}

static int build(struct aj_run *run, const struct timespec *end_real, int64_t ms, struct aj_buf *b)
{
	const struct aj_plan *plan = run->plan;
	struct passwd *pw = getpwuid(getuid());
	char host[256] = "", hex[AJ_SHA256_HEX_SIZE];
	size_t dropped = 0, mark;
	bool first = true;

	(void)gethostname(host, sizeof(host) - 1); /* "" is an honest value if it fails */
	aj_json_put_key(b, &first, "start");
	put_time(b, &run->audit->start_real);
	aj_json_put_key(b, &first, "end");
	put_time(b, end_real);
	aj_json_put_key(b, &first, "duration_ms");
	aj_buf_printf(b, "%" PRId64, ms);
	aj_json_put_key(b, &first, "user");
	aj_json_put_str(b, pw ? pw->pw_name : NULL);
	aj_json_put_key(b, &first, "uid");
	aj_buf_printf(b, "%u", (unsigned)getuid());
	aj_json_put_key(b, &first, "host");
	aj_json_put_str(b, host);
	aj_json_put_key(b, &first, "cwd");
	aj_json_put_str(b, run->audit->cwd);
	aj_json_put_key(b, &first, "pid");
	aj_buf_printf(b, "%d", (int)getpid());
	aj_json_put_key(b, &first, "agentjail");
	aj_json_put_str(b, AJ_VERSION);
	aj_json_put_key(b, &first, "mode");
	aj_json_put_str(b, run->bwrap ? "bwrap" : "agentjail");
	aj_json_put_key(b, &first, "profile");
	aj_json_put_str(b, plan->profile_name);
	aj_json_put_key(b, &first, "profile_sha256");
	if (plan->profile_text) {
		aj_sha256_hex(plan->profile_text, strlen(plan->profile_text), hex);
		aj_json_put_str(b, hex);
	} else
		aj_buf_puts(b, "null");
	aj_json_put_key(b, &first, "argv");
	put_cmdline(b, plan);
	aj_json_put_key(b, &first, "command");
	put_strv(b, plan->argv, strv_len(plan->argv));
	aj_json_put_key(b, &first, "policy");
	put_policy(b, run);
	aj_json_put_key(b, &first, "limits");
	aj_limits_json(run, b);
	aj_json_put_key(b, &first, "network");
	mark = b->len;
	if (aj_audit_netlog_json(run->netlog_fd, b, &dropped) < 0 && !b->err) {
		/* The decisions are lost, not the record: say so in it. */
		b->len = mark;
		b->data[mark] = '\0';
		aj_buf_puts(b, "null");
	}
	aj_json_put_key(b, &first, "network_dropped");
	aj_buf_printf(b, "%zu", dropped);
	aj_json_put_key(b, &first, "exit");
	put_exit(b, run);
	return b->err;
}

/*
 * A sandbox with a writable view of a directory above the log can rename
 * that directory: the record still goes to the file opened before (it is
 * this fd), but the next run would start a new chain at the old path.  Say
 * so while it can still be traced.
 */
static void check_not_moved(int fd, const char *path)
{
	struct stat now, at_path;
	char link[64], where[PATH_MAX];
	ssize_t k;

	if (fstat(fd, &now) < 0)
		return;
	if (stat(path, &at_path) == 0 && at_path.st_dev == now.st_dev && at_path.st_ino == now.st_ino)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	k = readlink(link, where, sizeof(where) - 1);
	where[k > 0 ? k : 0] = '\0';
	aj_warn("the audit log '%s' was moved or replaced during this run; its records, this "
		"run's included, are in '%s'", path, where);
}

void aj_audit_end(struct aj_run *run)
{
	struct aj_audit *a = run->audit;
	struct timespec end_real, end_mono;
	struct aj_buf b = { 0 };
	char digest[AJ_SHA256_HEX_SIZE];
	unsigned long long seq = 0;
	int64_t ms;
	int r;

	if (!a)
		return;
	clock_gettime(CLOCK_REALTIME, &end_real);
	clock_gettime(CLOCK_MONOTONIC, &end_mono);
	ms = (int64_t)(end_mono.tv_sec - a->start_mono.tv_sec) * 1000 +
	     (end_mono.tv_nsec - a->start_mono.tv_nsec) / 1000000;
	r = build(run, &end_real, ms, &b);
	if (r >= 0)
		r = aj_auditlog_append(run->audit_fd, b.data, b.len, &seq, digest);
	if (r < 0)
		aj_err(r, "Can't write the audit record to '%s'", a->path);
	else
		check_not_moved(run->audit_fd, a->path);
	if (r >= 0 && run->plan->audit_syslog) {
		/* An anchor outside the user's reach: the chain's head, run by run. */
		openlog("agentjail", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_INFO, "audit %s seq=%llu sha256=%s uid=%u exit=%d", a->path, seq, digest,
		       (unsigned)getuid(), run->wstatus == -1 ? 1 : aj_exit_code(run->wstatus));
		closelog();
	}
	aj_buf_free(&b);
	aj_closep(&run->audit_fd);
	aj_closep(&run->netlog_fd);
	run->audit_fd = run->netlog_fd = -EBADF;
	free(a->path);
	free(a->cwd);
	free(a);
	run->audit = NULL;
}

void aj_audit_describe(const struct aj_plan *plan, bool bwrap, FILE *f)
{
	_cleanup_free_ char *path = NULL;

	if (!aj_audit_enabled(plan, bwrap)) {
		fprintf(f, "audit: off\n");
		return;
	}
	if (aj_audit_path(plan, &path) < 0)
		fprintf(f, "audit: on, but no place for the log (set XDG_STATE_HOME or HOME)\n");
	else
		fprintf(f, "audit: on, records appended to %s%s\n", path,
			plan->audit_syslog ? ", digests to syslog" : "");
}
