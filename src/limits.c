/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Resource limits (limits.h): value syntax, the choice of mechanism, and
 * applying them.  The choice is made once in the monitor, before clone(), and
 * the child only carries it out, so --explain, the notice, the audit record
 * and the sandbox all describe the same thing.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agentjail/cgroup.h"
#include "agentjail/fdutil.h"
#include "agentjail/json.h"
#include "agentjail/launch.h"
#include "agentjail/limits.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "cleanup.h"

/* How one limit is enforced. */
enum via {
	VIA_NONE,
	VIA_RLIMIT,
	VIA_CGROUP,
	VIA_PID_MAX, /* pid_max of the sandbox's own pid namespace */
	VIA_TMPFS,
};

static const char *const via_names[] = {
	[VIA_NONE] = "none", [VIA_RLIMIT] = "rlimit", [VIA_CGROUP] = "cgroup",
	[VIA_PID_MAX] = "pid_max", [VIA_TMPFS] = "tmpfs",
};

struct aj_limits_state {
	unsigned char via[_AJ_LIMIT_MAX];
	struct aj_cgroup *cg;
};

/*
 * The kernel keeps pids below 300 for its own threads once the pid counter
 * has wrapped (RESERVED_PIDS), in every pid namespace, and refuses a pid_max
 * below 301.  A pid_max of N + 300 therefore never allows fewer than N tasks
 * and never more than N + 299.
 */
#define PID_MAX_SLACK 300

/* ---- value syntax ------------------------------------------------------- */

static int parse_digits(const char **s, uint64_t *ret)
{
	const char *p = *s;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*ret = v;
	return 0;
}

int aj_limits_parse_count(const char *s, uint64_t *ret)
{
	int r = parse_digits(&s, ret);

	if (r < 0)
		return r;
	return *s ? -EINVAL : 0;
}

int aj_limits_parse_size(const char *s, uint64_t *ret)
{
	static const char units[] = "KMGT";
	unsigned shift = 0;
	uint64_t v;
	int r;

	r = parse_digits(&s, &v);
	if (r < 0)
		return r;
	if (*s) {
		const char *u = strchr(units, *s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);

		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (unsigned)(u - units + 1);
		s++;
		/* Binary units only: "8G" and "8GiB" mean 8 * 2^30; "8GB" is refused as ambiguous. */
		if (strcmp(s, "iB") == 0)
			s += 2;
		if (*s)
			return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

int aj_limits_parse_seconds(const char *s, uint64_t *ret)
{
	uint64_t v, mul = 1;
	int r;

	r = parse_digits(&s, &v);
	if (r < 0)
		return r;
	if (*s) {
		switch (*s) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return -EINVAL;
		}
		if (s[1])
			return -EINVAL;
	}
	if (v > UINT64_MAX / mul)
		return -ERANGE;
	*ret = v * mul;
	return 0;
}

int aj_limits_parse_cpus(const char *s, uint64_t *ret)
{
	uint64_t whole, frac = 0;
	int r;

	r = parse_digits(&s, &whole);
	if (r < 0)
		return r;
	if (whole > UINT32_MAX)
		return -ERANGE;
	if (*s == '%' && !s[1]) {
		*ret = whole * 10; /* 100% is one CPU: 1000 thousandths */
		return 0;
	}
	if (*s == '.') {
		unsigned digits = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == 3)
				return -EINVAL; /* finer than the kernel's 1 ms per 100 ms period */
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
		if (!digits)
			return -EINVAL;
		while (digits++ < 3)
			frac *= 10;
	}
	if (*s)
		return -EINVAL;
	*ret = whole * 1000 + frac;
	return 0;
}

static const struct kind {
	const char *name;
	int (*parse)(const char *s, uint64_t *ret);
	const char *syntax;
	uint64_t min, max;
} kinds[_AJ_LIMIT_MAX] = {
	[AJ_LIMIT_MEMORY] = { "memory", aj_limits_parse_size, "a size such as 512M or 8G",
			      1u << 20, UINT64_C(1) << 62 },
	[AJ_LIMIT_PIDS] = { "pids", aj_limits_parse_count, "a number of processes", 1, 4194304 },
	[AJ_LIMIT_NOFILE] = { "nofile", aj_limits_parse_count, "a number of open files", 1, 1u << 30 },
	[AJ_LIMIT_CPU] = { "cpu", aj_limits_parse_seconds, "a CPU time such as 90s, 10m or 2h", 1,
			   UINT64_C(1) << 40 },
	[AJ_LIMIT_FSIZE] = { "fsize", aj_limits_parse_size, "a size such as 512M or 8G", 1,
			     UINT64_C(1) << 62 },
	[AJ_LIMIT_CORE] = { "core", aj_limits_parse_size, "a size such as 0 or 512M", 0,
			    UINT64_C(1) << 62 },
	[AJ_LIMIT_CPUS] = { "cpus", aj_limits_parse_cpus, "a number of CPUs such as 1.5 or 150%", 1,
			    1000000 },
	[AJ_LIMIT_TMP_SIZE] = { "tmp-size", aj_limits_parse_size, "a size such as 512M or 8G", 1,
				SIZE_MAX / 2 },
};

const char *aj_limits_name(enum aj_limit which)
{
	return (unsigned)which < _AJ_LIMIT_MAX ? kinds[which].name : "?";
}

int aj_limits_parse(enum aj_limit which, const char *s, uint64_t *ret)
{
	const struct kind *k = &kinds[which];
	uint64_t v;
	int r;

	if (strcmp(s, "unlimited") == 0 || strcmp(s, "infinity") == 0) {
		*ret = AJ_LIMIT_UNLIMITED;
		return 0;
	}
	r = k->parse(s, &v);
	if (r < 0)
		return r;
	if (v < k->min || v > k->max)
		return -ERANGE;
	*ret = v;
	return 0;
}

const char *aj_limits_format(enum aj_limit which, uint64_t v, char *buf, size_t size)
{
	if (v == AJ_LIMIT_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else if (kinds[which].parse == aj_limits_parse_size) {
		static const char units[] = "\0KMGT";
		unsigned u = 0;

		while (u < 4 && v && (v & 1023) == 0)
			v >>= 10, u++;
		snprintf(buf, size, "%" PRIu64 "%.1s", v, u ? &units[u] : "");
	} else if (kinds[which].parse == aj_limits_parse_seconds) {
		if (v % 3600 == 0)
			snprintf(buf, size, "%" PRIu64 "h", v / 3600);
		else if (v % 60 == 0)
			snprintf(buf, size, "%" PRIu64 "m", v / 60);
		else
			snprintf(buf, size, "%" PRIu64 "s", v);
	} else if (kinds[which].parse == aj_limits_parse_cpus) {
		int n = snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, v / 1000, v % 1000);

		/* "1.500" -> "1.5", "2.000" -> "2" */
		while (n > 0 && (size_t)n < size && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && (size_t)n < size && buf[n - 1] == '.')
			buf[--n] = '\0';
	} else
		snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

static bool active(const struct aj_plan *plan, enum aj_limit l)
{
	return (plan->limits_set & (1u << l)) && plan->limits[l] != AJ_LIMIT_UNLIMITED;
}

/* ---- the option table's parse function ---------------------------------- */

int aj_limits_opt(struct aj_parser *p, const struct aj_opt *o, char **args)
{
	enum aj_limit l = (enum aj_limit)o->arg;
	const struct kind *k = &kinds[l];
	char what[256], lo[32], hi[32];
	uint64_t v;
	int r;

	if (p->where.file)
		snprintf(what, sizeof(what), "%s:%u: %s", p->where.file, p->where.line, k->name);
	else
		snprintf(what, sizeof(what), "%s", o->name);
	r = aj_limits_parse(l, args[0], &v);
	if (r == -ERANGE)
		return aj_errx(-EINVAL, "%s: '%s' is out of range (%s to %s)", what, args[0],
			       aj_limits_format(l, k->min, lo, sizeof(lo)),
			       aj_limits_format(l, k->max, hi, sizeof(hi)));
	if (r < 0)
		return aj_errx(-EINVAL, "%s: '%s' is not %s, or unlimited", what, args[0], k->syntax);
	p->plan->limits[l] = v;
	p->plan->limits_set |= 1u << l;
	return 0;
}

void aj_limits_set_defaults(struct aj_plan *plan, bool bwrap)
{
	/*
	 * A core dump copies the process's memory (its secrets) to wherever
	 * the host's core_pattern points, outside the sandbox's view.
	 */
	if (!bwrap) {
		plan->limits[AJ_LIMIT_CORE] = 0;
		plan->limits_set |= 1u << AJ_LIMIT_CORE;
	}
}

/* ---- choosing the mechanism --------------------------------------------- */

static unsigned cgroup_mask(const struct aj_plan *plan)
{
	return (active(plan, AJ_LIMIT_MEMORY) ? AJ_CG_MEMORY : 0) |
	       (active(plan, AJ_LIMIT_PIDS) ? AJ_CG_PIDS : 0) |
	       (active(plan, AJ_LIMIT_CPUS) ? AJ_CG_CPU : 0);
}

/* pid_max became a per-pid-namespace setting in Linux 6.14; before, it is the host's. */
static bool pid_max_is_per_namespace(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 14);
}

struct situation {
	bool cgroup;      /* a cgroup of the sandbox's own exists (or can) */
	bool root;        /* the sandbox's processes are host uid 0 */
	bool userns;      /* ... in a user namespace of their own */
	bool pidns;       /* ... in a pid namespace of their own */
	const char *why;  /* why there is no cgroup, when limits wanted one */
};

/* Fill via[] for every active limit; -EOPNOTSUPP with msg when one cannot be enforced. */
static int choose(const struct aj_plan *plan, const struct situation *s, unsigned char *via,
		  char *msg, size_t size)
{
	char v[32];

	memset(via, VIA_NONE, _AJ_LIMIT_MAX);
	for (unsigned l = 0; l < _AJ_LIMIT_MAX; l++) {
		if (!active(plan, (enum aj_limit)l))
			continue;
		switch ((enum aj_limit)l) {
		case AJ_LIMIT_MEMORY:
			via[l] = s->cgroup ? VIA_CGROUP : VIA_RLIMIT;
			break;
		case AJ_LIMIT_PIDS:
			if (s->cgroup)
				via[l] = VIA_CGROUP;
			else if (s->userns && !s->root)
				/* Counted per user namespace: only the sandbox's own tasks. */
				via[l] = VIA_RLIMIT;
			else if (s->pidns && pid_max_is_per_namespace())
				via[l] = VIA_PID_MAX;
			else {
				snprintf(msg, size,
					 "limit pids=%s cannot be enforced: root is exempt from "
					 "RLIMIT_NPROC, there is no delegated cgroup v2 (%s), and a pid "
					 "namespace's own pid_max needs --unshare-pid on Linux 6.14 or later",
					 aj_limits_format(AJ_LIMIT_PIDS, plan->limits[l], v, sizeof(v)),
					 s->why ? s->why : "not tried");
				return -EOPNOTSUPP;
			}
			break;
		case AJ_LIMIT_CPUS:
			if (!s->cgroup) {
				snprintf(msg, size,
					 "limit cpus=%s needs a delegated cgroup v2 with the cpu "
					 "controller (%s)",
					 aj_limits_format(AJ_LIMIT_CPUS, plan->limits[l], v, sizeof(v)),
					 s->why ? s->why : "not tried");
				return -EOPNOTSUPP;
			}
			via[l] = VIA_CGROUP;
			break;
		case AJ_LIMIT_TMP_SIZE:
			via[l] = VIA_TMPFS;
			break;
		case AJ_LIMIT_NOFILE:
		case AJ_LIMIT_CPU:
		case AJ_LIMIT_FSIZE:
		case AJ_LIMIT_CORE:
			via[l] = VIA_RLIMIT;
			break;
		case _AJ_LIMIT_MAX:
			break;
		}
	}
	return 0;
}

/* ---- the monitor's part ------------------------------------------------- */

int aj_limits_prepare(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	struct aj_limits_state *st;
	unsigned mask = cgroup_mask(plan);
	char why[512] = "", msg[1024];
	struct situation s = {
		.root = run->host_uid == 0,
		.userns = run->ns & AJ_NS_USER,
		.pidns = run->ns & AJ_NS_PID,
	};
	int r;

	/* tmp-size is applied by the mounts, through walls.c's resolved plan->tmpfs_size. */
	st = calloc(1, sizeof(*st));
	if (!st)
		return aj_err(-ENOMEM, "Out of memory");
	run->limits = st;
	if (mask) {
		_cleanup_free_ char *dir = NULL;
		struct aj_cgroup_limits lim = {
			.memory = active(plan, AJ_LIMIT_MEMORY) ? plan->limits[AJ_LIMIT_MEMORY] : 0,
			.pids = active(plan, AJ_LIMIT_PIDS) ? plan->limits[AJ_LIMIT_PIDS] : 0,
			.cpus_milli = active(plan, AJ_LIMIT_CPUS) ? plan->limits[AJ_LIMIT_CPUS] : 0,
		};

		r = aj_cgroup_probe(mask, &dir, why, sizeof(why));
		if (r >= 0)
			r = aj_cgroup_create(dir, mask, &lim, &st->cg, why, sizeof(why));
		if (r == -ENOMEM)
			return aj_err(r, "Out of memory");
		if (r >= 0)
			run->cgroup_fd = aj_cgroup_leaf_fd(st->cg);
		s.cgroup = st->cg != NULL;
		s.why = why;
	}
	r = choose(plan, &s, st->via, msg, sizeof(msg));
	if (r < 0)
		return aj_errx(r, "%s", msg);
	if (mask) {
		char names[64], how[256] = "";
		size_t n = 0;

		if (st->cg) {
			aj_notice("limits: %s in cgroup %s",
				  aj_cgroup_mask_names(mask, names, sizeof(names)), aj_cgroup_path(st->cg));
			return 0;
		}
		if (st->via[AJ_LIMIT_MEMORY] == VIA_RLIMIT)
			n += (size_t)snprintf(how + n, sizeof(how) - n, "memory by RLIMIT_DATA per process");
		if (st->via[AJ_LIMIT_PIDS] != VIA_NONE && n < sizeof(how))
			snprintf(how + n, sizeof(how) - n, "%spids by %s", n ? ", " : "",
				 st->via[AJ_LIMIT_PIDS] == VIA_RLIMIT ? "RLIMIT_NPROC"
								      : "pid_max of the pid namespace");
		aj_notice("limits: no cgroup (%s): %s", why, how);
	}
	return 0;
}

void aj_limits_cleanup(struct aj_run *run)
{
	struct aj_limits_state *st = run->limits;
	const char *path;

	if (!st)
		return;
	path = st->cg ? aj_cgroup_path(st->cg) : NULL;
	if (path) {
		_cleanup_free_ char *copy = strdup(path);

		if (aj_cgroup_destroy(st->cg) < 0)
			aj_notice("cannot remove cgroup %s, ignoring", copy ? copy : "");
	}
	run->cgroup_fd = -EBADF;
	free(st);
	run->limits = NULL;
}

/* ---- the child's part --------------------------------------------------- */

int aj_limits_apply_pidns(struct aj_run *run)
{
	const struct aj_limits_state *st = run->limits;
	char v[32];
	int r;

	if (!st || st->via[AJ_LIMIT_PIDS] != VIA_PID_MAX)
		return 0;
	/* Checked again here: on an older kernel this file is the host's own setting. */
	if (!(run->ns & AJ_NS_PID) || !pid_max_is_per_namespace())
		return aj_errx(-EOPNOTSUPP, "pid_max is not per pid namespace here");
	snprintf(v, sizeof(v), "%" PRIu64, run->plan->limits[AJ_LIMIT_PIDS] + PID_MAX_SLACK);
	r = aj_write_file(AT_FDCWD, "/proc/sys/kernel/pid_max", v);
	if (r < 0)
		return aj_err(r, "Can't set pid_max of the sandbox's pid namespace to %s", v);
	return 0;
}

static const int resource[_AJ_LIMIT_MAX] = {
	[AJ_LIMIT_MEMORY] = RLIMIT_DATA,   [AJ_LIMIT_PIDS] = RLIMIT_NPROC,
	[AJ_LIMIT_NOFILE] = RLIMIT_NOFILE, [AJ_LIMIT_CPU] = RLIMIT_CPU,
	[AJ_LIMIT_FSIZE] = RLIMIT_FSIZE,   [AJ_LIMIT_CORE] = RLIMIT_CORE,
	[AJ_LIMIT_CPUS] = -1,              [AJ_LIMIT_TMP_SIZE] = -1,
};

int aj_limits_apply(struct aj_run *run)
{
	const struct aj_limits_state *st = run->limits;
	const struct aj_plan *plan = run->plan;

	if (!st)
		return 0;
	for (unsigned l = 0; l < _AJ_LIMIT_MAX; l++) {
		struct rlimit old, lim;
		char v[32], h[32];

		if (st->via[l] != VIA_RLIMIT || resource[l] < 0)
			continue;
		/* Soft and hard alike, so the sandbox cannot raise it back. */
		lim.rlim_cur = lim.rlim_max = (rlim_t)plan->limits[l];
		/* CPU time: SIGXCPU at the limit, SIGKILL one second later. */
		if (l == AJ_LIMIT_CPU)
			lim.rlim_max = lim.rlim_cur + 1;
		if (setrlimit(resource[l], &lim) == 0)
			continue;
		if (errno == EPERM && getrlimit(resource[l], &old) == 0 && lim.rlim_max > old.rlim_max)
			return aj_errx(-EPERM, "Can't set limit %s=%s: above the hard limit %s of the "
					       "calling process",
				       kinds[l].name,
				       aj_limits_format((enum aj_limit)l, plan->limits[l], v, sizeof(v)),
				       aj_limits_format((enum aj_limit)l, (uint64_t)old.rlim_max, h,
							sizeof(h)));
		return aj_err(-errno, "Can't set limit %s=%s", kinds[l].name,
			      aj_limits_format((enum aj_limit)l, plan->limits[l], v, sizeof(v)));
	}
	return 0;
}

/* ---- descriptions ------------------------------------------------------- */

static const char *describe_via(enum aj_limit l, enum via via, uint64_t value, char *buf, size_t size)
{
	static const char *const rl_text[_AJ_LIMIT_MAX] = {
		[AJ_LIMIT_MEMORY] = "RLIMIT_DATA, per process",
		[AJ_LIMIT_PIDS] = "RLIMIT_NPROC, counting the tasks of the sandbox's user namespace",
		[AJ_LIMIT_NOFILE] = "RLIMIT_NOFILE, per process",
		[AJ_LIMIT_CPU] = "RLIMIT_CPU, per process: SIGXCPU, then SIGKILL a second later",
		[AJ_LIMIT_FSIZE] = "RLIMIT_FSIZE, per file: SIGXFSZ / EFBIG beyond it",
		[AJ_LIMIT_CORE] = "RLIMIT_CORE",
	};
	static const char *const cg_text[_AJ_LIMIT_MAX] = {
		[AJ_LIMIT_MEMORY] = "cgroup memory.max (and memory.swap.max 0), the whole sandbox",
		[AJ_LIMIT_PIDS] = "cgroup pids.max, the whole sandbox",
		[AJ_LIMIT_CPUS] = "cgroup cpu.max, the whole sandbox",
	};

	switch (via) {
	case VIA_RLIMIT:
		snprintf(buf, size, "%s%s", rl_text[l] ? rl_text[l] : "rlimit",
			 l == AJ_LIMIT_CORE && value == 0 ? " (core dumps off)" : "");
		break;
	case VIA_CGROUP:
		snprintf(buf, size, "%s", cg_text[l] ? cg_text[l] : "cgroup");
		break;
	case VIA_PID_MAX:
		snprintf(buf, size, "pid_max %" PRIu64 " of the sandbox's pid namespace: at most %" PRIu64
				    " tasks", value + PID_MAX_SLACK, value + PID_MAX_SLACK - 1);
		break;
	case VIA_TMPFS:
		snprintf(buf, size, "size of every tmpfs mounted without --size");
		break;
	case VIA_NONE:
		snprintf(buf, size, "not limited");
		break;
	}
	return buf;
}

void aj_limits_describe(const struct aj_plan *plan, FILE *f)
{
	_cleanup_free_ char *dir = NULL;
	unsigned mask = cgroup_mask(plan);
	char why[512] = "", msg[1024];
	unsigned char via[_AJ_LIMIT_MAX];
	struct situation s = {
		.root = getuid() == 0,
		.userns = getuid() != 0 || (plan->unshare & AJ_NS_USER) || plan->unshare_user_try,
		.pidns = plan->unshare & AJ_NS_PID,
	};
	bool any = false;

	if (mask) {
		s.cgroup = aj_cgroup_probe(mask, &dir, why, sizeof(why)) >= 0;
		s.why = why;
	}
	if (choose(plan, &s, via, msg, sizeof(msg)) < 0) {
		fprintf(f, "limits: refused: %s\n", msg);
		return;
	}
	for (unsigned l = 0; l < _AJ_LIMIT_MAX; l++) {
		char v[32], d[256];

		if (!(plan->limits_set & (1u << l)))
			continue;
		if (!any)
			fprintf(f, mask ? (s.cgroup ? "limits (cgroup v2 under %s):\n"
						    : "limits (rlimits; no cgroup: %s):\n")
					: "limits:\n",
				s.cgroup ? dir : why);
		any = true;
		fprintf(f, "  %-9s %-10s %s\n", kinds[l].name,
			aj_limits_format((enum aj_limit)l, plan->limits[l], v, sizeof(v)),
			describe_via((enum aj_limit)l, (enum via)via[l], plan->limits[l], d, sizeof(d)));
	}
	if (!any)
		fprintf(f, "limits: none\n");
}

int aj_limits_json(const struct aj_run *run, struct aj_buf *b)
{
	const struct aj_plan *plan = run->plan;
	const struct aj_limits_state *st = run->limits;
	bool first = true;

	aj_buf_puts(b, "{");
	for (unsigned l = 0; l < _AJ_LIMIT_MAX; l++) {
		if (!active(plan, (enum aj_limit)l))
			continue;
		aj_json_put_key(b, &first, kinds[l].name);
		aj_buf_printf(b, "{\"value\":%" PRIu64 ",\"via\":\"%s\"}", plan->limits[l],
			      via_names[st ? st->via[l] : VIA_NONE]);
	}
	if (st && st->cg) {
		aj_json_put_key(b, &first, "cgroup");
		aj_json_put_str(b, aj_cgroup_path(st->cg));
	}
	return aj_buf_puts(b, "}");
}
