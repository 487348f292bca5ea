/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The kernel walls of a launch, decided once from the plan:
 *
 *                      hardened plan        bwrap-style line     as `bwrap`
 *   seccomp filter     default list         none                 overlay (bwrap.ini)
 *   nested userns      refused              allowed              allowed
 *   io_uring           refused              allowed              refused (overlay)
 *   Landlock           on                   off                  off
 *   capabilities       --cap-add only,      bwrap's rules        bwrap's rules
 *                      securebits locked
 *   root caller        mapped to 65534      host root            host root
 *   tmpfs size         25% of RAM each      kernel default       kernel default
 *
 * Every row can be set explicitly ([security] keys, --seccomp-filter, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/ini.h"
#include "agentjail/landlock.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "cleanup.h"

int aj_parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

static uint64_t ram_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

void aj_walls_resolve(const struct aj_plan *plan, bool privileged, struct aj_walls *ret)
{
	bool hardened = plan->hardened;
	bool overlay = plan->bwrap_overlay != 0;
	enum aj_seccomp_mode mode = plan->seccomp_mode;
	struct aj_walls w = { 0 };

	if (mode == AJ_SECCOMP_UNSET)
		mode = hardened ? AJ_SECCOMP_DEFAULT : AJ_SECCOMP_NONE;
	w.spec.defaults = mode == AJ_SECCOMP_DEFAULT;
	w.spec.allow = plan->seccomp_allow;
	w.spec.n_allow = plan->n_seccomp_allow;
	w.spec.deny = plan->seccomp_deny;
	w.spec.n_deny = plan->n_seccomp_deny;
	/* Asked for explicitly, a switch wins over the mode's default. */
	w.spec.nested_userns = plan->nested_userns == AJ_SWITCH_UNSET ? w.spec.defaults
								   : plan->nested_userns == AJ_SWITCH_OFF;
	w.spec.io_uring = plan->io_uring == AJ_SWITCH_UNSET
				  ? w.spec.defaults || (plan->bwrap_overlay & AJ_OVERLAY_IO_URING)
				  : plan->io_uring == AJ_SWITCH_OFF;
	w.spec.tty_injection = w.spec.defaults || (plan->bwrap_overlay & AJ_OVERLAY_TTY);
	w.filter = w.spec.defaults || w.spec.nested_userns || w.spec.io_uring ||
		   w.spec.tty_injection || w.spec.n_deny > 0;
	/* Without the overlay's say, a filter refuses foreign ABIs: otherwise it is bypassed. */
	w.spec.foreign_abi = overlay && !hardened && mode != AJ_SECCOMP_DEFAULT
				     ? (plan->bwrap_overlay & AJ_OVERLAY_ABI) != 0
				     : true;
	if (overlay && (plan->bwrap_overlay & AJ_OVERLAY_ABI))
		w.filter = true;

	w.landlock = plan->landlock == AJ_SWITCH_UNSET ? hardened : plan->landlock != AJ_SWITCH_OFF;
	w.landlock_required = plan->landlock == AJ_SWITCH_REQUIRE;
	w.hardened_caps = hardened;
	w.map_root = hardened && privileged && plan->userns_fd < 0;
	w.map_uid = plan->root_map_set ? plan->root_map_uid : AJ_ROOT_MAP_DEFAULT;
	w.map_gid = plan->root_map_set ? plan->root_map_gid : AJ_ROOT_MAP_DEFAULT;
	/* [limits] tmp-size when given ("unlimited": the kernel's), else a quarter of RAM. */
	if (plan->limits_set & (1u << AJ_LIMIT_TMP_SIZE))
		w.tmpfs_size = plan->limits[AJ_LIMIT_TMP_SIZE] == AJ_LIMIT_UNLIMITED
				       ? 0
				       : plan->limits[AJ_LIMIT_TMP_SIZE];
	else if (hardened)
		w.tmpfs_size = ram_bytes() / 4;
	*ret = w;
}

int aj_walls_prepare(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	struct aj_walls w;
	aj_walls_resolve(plan, run->privileged, &w);
	run->map_uid = run->host_uid;
	run->map_gid = run->host_gid;
	if (w.map_root) {
		/* Root's files on the host stay out of reach: the sandbox is someone else. */
		run->ns |= AJ_NS_USER;
		run->map_uid = w.map_uid;
		run->map_gid = w.map_gid;
		run->switch_ids = true;
	}
	plan->tmpfs_size = w.tmpfs_size;
	run->filter = w.filter;
	run->filter_spec = w.spec;

	if (w.landlock) {
		int abi = aj_landlock_abi();

		if (abi >= 2)
			run->landlock_abi = abi;
		else if (w.landlock_required)
			return aj_errx(-EOPNOTSUPP, "landlock = require, but %s",
				       abi ? "the kernel's Landlock ABI 1 cannot allow renames "
					     "across directories"
					   : "the kernel has no Landlock (Linux 5.13+, lsm=landlock)");
		else
			aj_debug("Landlock not used: kernel ABI %d", abi);
	}

	/* The filter itself is built by the setup child (aj_walls_build_filter). */
	return 0;
}

/*
 * In the setup child, before anything of the sandbox exists (while the
 * monitor writes the id maps, so it costs no wall time): libseccomp's
 * work (and its pages) stays out of the monitor, which waits all along the
 * command's run and should stay small.  The reaper and the command inherit
 * the program and load it last (seccomp.c).
 */
int aj_walls_build_filter(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	int r;

	if (!run->filter || plan->filter.data)
		return 0;
	r = aj_filter_build(&run->filter_spec, &plan->filter);
	if (r < 0)
		return aj_err(r, "building the seccomp filter");
	return 0;
}

static void print_size(FILE *f, uint64_t v)
{
	if (v >= (UINT64_C(1) << 30))
		fprintf(f, "%.1f GiB", (double)v / (double)(UINT64_C(1) << 30));
	else
		fprintf(f, "%" PRIu64 " MiB", v >> 20);
}

void aj_walls_describe(const struct aj_plan *plan, FILE *f)
{
	bool privileged = getuid() == 0;
	struct aj_walls w;
	int abi = aj_landlock_abi();

	aj_walls_resolve(plan, privileged, &w);
	if (w.filter) {
		fprintf(f, "  seccomp filter: %s\n",
			w.spec.defaults ? "default list" : "bwrap hardening overlay");
		aj_filter_describe(&w.spec, f);
	} else
		fputs("  seccomp filter: none\n", f);
	if (plan->n_seccomp_progs || plan->seccomp_fd >= 0)
		fputs("  seccomp programs from the caller: stacked on top\n", f);
	fprintf(f, "  nested user namespaces: %s\n", w.spec.nested_userns ? "refused" : "allowed");
	fprintf(f, "  io_uring: %s\n", w.spec.io_uring ? "refused" : "allowed");

	if (!w.landlock)
		fputs("  landlock: off\n", f);
	else if (abi < 2)
		fprintf(f, "  landlock: inactive (%s)%s\n",
			abi ? "kernel ABI 1 cannot allow renames across directories"
			    : "the kernel has no Landlock",
			w.landlock_required ? ", required: the launch fails" : "");
	else
		fprintf(f, "  landlock: active, ABI %d: the plan's paths only%s\n", abi,
			abi >= 6 ? "; abstract unix sockets and signals scoped to the sandbox" : "");

	if (w.hardened_caps) {
		bool added = false;

		for (size_t i = 0; i < plan->n_capops; i++)
			added |= plan->capops[i].add;
		fprintf(f, "  capabilities: %s; bounding set emptied; securebits locked; "
			   "no_new_privs\n",
			added ? "only --cap-add ones" : "none");
	}
	else
		fputs("  capabilities: bwrap's rules; no_new_privs\n", f);
	if (w.map_root)
		fprintf(f, "  identity: root runs as host uid %u, gid %u\n", (unsigned)w.map_uid,
			(unsigned)w.map_gid);
	if (w.tmpfs_size) {
		fputs("  tmpfs size limit: ", f);
		print_size(f, w.tmpfs_size);
		fputs(" each (/dev, /dev/shm and the root included)\n", f);
	}
}

/* ---- /etc/agentjail/bwrap.ini ------------------------------------------ */

struct ini_state {
	const char *path;
	unsigned overlay;
	bool hardening;
};

static int on_bwrap_key(void *userdata, const char *section, const char *key, const char *value,
			unsigned line)
{
	static const struct {
		const char *key;
		unsigned bit;
	} rules[] = {
		{ "terminal-injection", AJ_OVERLAY_TTY },
		{ "foreign-abi", AJ_OVERLAY_ABI },
		{ "io-uring", AJ_OVERLAY_IO_URING },
	};
	struct ini_state *st = userdata;
	int b;

	if (strcmp(section, "bwrap") != 0)
		return aj_errx(-EINVAL, "%s:%u: unknown section [%s]", st->path, line, section);
	if (strcmp(key, "hardening") == 0) {
		b = aj_parse_bool(value);
		if (b < 0)
			return aj_errx(-EINVAL, "%s:%u: hardening takes true or false, not '%s'",
				       st->path, line, value);
		st->hardening = b;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
		if (strcmp(key, rules[i].key) != 0)
			continue;
		if (strcmp(value, "deny") == 0)
			st->overlay |= rules[i].bit;
		else if (strcmp(value, "allow") == 0)
			st->overlay &= ~rules[i].bit;
		else
			return aj_errx(-EINVAL, "%s:%u: %s takes deny or allow, not '%s'", st->path,
				       line, key, value);
		return 0;
	}
	return aj_errx(-EINVAL, "%s:%u: unknown key '%s'", st->path, line, key);
}

int aj_walls_parse_bwrap_ini(struct aj_plan *plan, const char *name, const char *text, size_t len)
{
	struct ini_state st = { .path = name, .overlay = AJ_OVERLAY_ALL, .hardening = true };
	int r = aj_ini_parse(name, text, len, on_bwrap_key, &st);

	if (r < 0)
		return r;
	plan->bwrap_overlay = st.hardening ? st.overlay : 0;
	return 0;
}

int aj_walls_load_bwrap_ini(struct aj_plan *plan, const char *path)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *text = NULL;
	struct stat sb;
	void *data;
	size_t len;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		plan->bwrap_overlay = AJ_OVERLAY_ALL; /* not configured: hardened */
		return 0;
	}
	if (fd < 0)
		return aj_err(-errno, "open '%s'", path);
	if (fstat(fd, &sb) < 0)
		return aj_err(-errno, "stat '%s'", path);
	if (!S_ISREG(sb.st_mode))
		return aj_errx(-EINVAL, "'%s' is not a regular file", path);
	/* Whoever can write it turns the hardening off for everybody. */
	if ((sb.st_uid != 0 && sb.st_uid != getuid()) || (sb.st_mode & 022))
		return aj_errx(-EPERM, "'%s' must belong to root (or you) and be writable by its "
				       "owner only",
			       path);
	r = aj_read_all(fd, AJ_INI_MAX_FILE, &data, &len);
	if (r < 0)
		return aj_err(r, "read '%s'", path);
	text = data;
	return aj_walls_parse_bwrap_ini(plan, path, text, len);
}
