/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Resource limits: [limits] in a profile, --limit-* on the command line.
 *
 * memory, pids and cpus go into a cgroup v2 of the sandbox's own when the
 * caller was delegated one (cgroup.h); otherwise memory and pids fall back to
 * rlimits (RLIMIT_DATA per process; RLIMIT_NPROC, counted in the sandbox's own
 * user namespace) or, for root, to the pid namespace's pid_max.  nofile, cpu,
 * fsize and core are always rlimits.  tmp-size sizes every tmpfs mounted
 * without --size.  docs/LIMITS.md has the details.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agentjail/plan.h"

struct aj_parser;
struct aj_opt;
struct aj_run;
struct aj_buf;

/* Value syntax, pure: -EINVAL on bad syntax, -ERANGE when too large. */
int aj_limits_parse_size(const char *s, uint64_t *ret);    /* 4096, 512M, 8G, 1TiB */
int aj_limits_parse_count(const char *s, uint64_t *ret);   /* 4096 */
int aj_limits_parse_seconds(const char *s, uint64_t *ret); /* 90, 90s, 10m, 2h, 1d */
int aj_limits_parse_cpus(const char *s, uint64_t *ret);    /* 1, 1.5, 0.25, 150% -> thousandths */

/* One limit's value with its range checks, "unlimited" included. */
int aj_limits_parse(enum aj_limit which, const char *s, uint64_t *ret);
/* The INI key ("memory") and a value as one would write it ("8G", "10m", "1.5"). */
const char *aj_limits_name(enum aj_limit which);
const char *aj_limits_format(enum aj_limit which, uint64_t v, char *buf, size_t size);

/* The option table's parse function for --limit-* and [limits]; o->arg is the limit. */
int aj_limits_opt(struct aj_parser *p, const struct aj_opt *o, char **args);
/* agentjail's own default: core dumps off (not when invoked as bwrap). */
void aj_limits_set_defaults(struct aj_plan *plan, bool bwrap);

/* Monitor, before clone(): tmpfs sizes, the mechanism of each limit, the cgroup. Logs. */
int aj_limits_prepare(struct aj_run *run);
/* Child stage, before the mounts: pid_max of the new pid namespace, if that is the pids limit. */
int aj_limits_apply_pidns(struct aj_run *run);
/* Child stage, after the mounts and before the capability drop: the rlimits. Logs. */
int aj_limits_apply(struct aj_run *run);
/* Monitor, once the command has ended: empty and remove the cgroup. Logs a notice. */
void aj_limits_cleanup(struct aj_run *run);

/* For --explain: each limit in force, its value and the mechanism enforcing it. */
void aj_limits_describe(const struct aj_plan *plan, FILE *f);
/* For the audit record: {"memory":{"value":N,"via":"rlimit"},...}, or {} without limits. */
int aj_limits_json(const struct aj_run *run, struct aj_buf *b);
