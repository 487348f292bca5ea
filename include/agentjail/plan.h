/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The plan: everything a launch will do, as a plain value.
 *
 * The front ends (cli.c, profile.c) only fill a plan; the launcher only reads
 * one.  The plan owns every string, array and file descriptor it points to,
 * so aj_plan_free() is the one place they are released.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum aj_op_kind {
	AJ_OP_BIND,       /* --bind, --ro-bind, --dev-bind and their -try forms */
	AJ_OP_BIND_FD,    /* --bind-fd, --ro-bind-fd */
	AJ_OP_REMOUNT_RO, /* --remount-ro */
	AJ_OP_TMPFS,      /* --tmpfs */
	AJ_OP_PROC,       /* --proc */
	AJ_OP_DEV,        /* --dev */
	AJ_OP_MQUEUE,     /* --mqueue */
	AJ_OP_DIR,        /* --dir */
	AJ_OP_FILE,       /* --file */
	AJ_OP_BIND_DATA,  /* --bind-data, --ro-bind-data */
	AJ_OP_SYMLINK,    /* --symlink */
	AJ_OP_CHMOD,      /* --chmod */
	AJ_OP_OVERLAY,    /* --overlay, --tmp-overlay, --ro-overlay */
	/*
	 * agentjail's rules (rules.h).  A mask/protect op with dest == NULL is
	 * the rule as written (src: the pattern); expand.c adds one op with
	 * dest set per match, and moves all three kinds after every other
	 * operation, so a later bind cannot uncover them.
	 */
	AJ_OP_HIDE,       /* --hide: dest shows empty and unreadable */
	AJ_OP_MASK,       /* --mask: each match shows as an empty read-only file */
	AJ_OP_PROTECT,    /* --protect, --protect-git: read-only inside a writable bind */
	_AJ_OP_KIND_MAX,
};

enum {
	AJ_OPF_RO = 1u << 0,          /* mount read-only */
	AJ_OPF_TRY = 1u << 1,         /* skip when the source does not exist */
	AJ_OPF_DEV = 1u << 2,         /* keep device nodes usable (no nodev) */
	AJ_OPF_TMP_OVERLAY = 1u << 3, /* overlay upper/work in the setup tmpfs */
	AJ_OPF_GIT = 1u << 4,         /* protect: every git repository below src */
	AJ_OPF_SOCKET = 1u << 5,      /* bind: the source must be a socket (--socket) */
	AJ_OPF_RO_FALLBACK = 1u << 6, /* overlay the kernel refuses: bind the layer read-only */
};

/* Where a setting came from, for messages: "claude.ini:12" or "argv[7]". */
struct aj_src {
	const char *file; /* NULL for the command line; else owned by plan->names */
	unsigned line;    /* line number, or argument index on the command line */
};

struct aj_op {
	enum aj_op_kind kind;
	unsigned flags;      /* AJ_OPF_* */
	char *src;           /* owned; host path, symlink target, or NULL */
	char *dest;          /* owned; path inside the sandbox */
	int fd;              /* owned; -EBADF when unused */
	int perms;           /* -1 = the operation's default mode */
	uint64_t size;       /* tmpfs size in bytes, 0 = kernel default */
	char **layers;       /* owned; overlay sources, bottom first */
	size_t n_layers;
	char *workdir;       /* owned; --overlay work directory */
	struct aj_src where;
};

/* Namespace bits, used for plan->unshare. */
enum {
	AJ_NS_USER = 1u << 0,
	AJ_NS_IPC = 1u << 1,
	AJ_NS_PID = 1u << 2,
	AJ_NS_NET = 1u << 3,
	AJ_NS_UTS = 1u << 4,
	AJ_NS_CGROUP = 1u << 5,
};

/* Network policy (--net, [network] mode). */
enum aj_net_mode {
	AJ_NET_UNSET,  /* bwrap's rules: --unshare-net / --share-net decide */
	AJ_NET_NONE,   /* own namespace, loopback only */
	AJ_NET_HOST,   /* the host's network */
	AJ_NET_PROXY,  /* own namespace; out only through the built-in proxy */
};

/* Resource limits ([limits], --limit-*): an index into plan->limits (limits.h). */
enum aj_limit {
	AJ_LIMIT_MEMORY,   /* bytes */
	AJ_LIMIT_PIDS,     /* tasks (processes and threads) */
	AJ_LIMIT_NOFILE,   /* open files, per process */
	AJ_LIMIT_CPU,      /* CPU seconds, per process */
	AJ_LIMIT_FSIZE,    /* bytes, per file written */
	AJ_LIMIT_CORE,     /* core dump bytes; 0 = off */
	AJ_LIMIT_CPUS,     /* CPU bandwidth in thousandths of a CPU (cgroup cpu.max) */
	AJ_LIMIT_TMP_SIZE, /* size of each tmpfs given without --size, bytes */
	_AJ_LIMIT_MAX,
};
#define AJ_LIMIT_UNLIMITED UINT64_MAX /* "unlimited": set, and means "do not limit" */

/* The audit log switch (plan->audit). */
enum aj_audit_mode {
	AJ_AUDIT_DEFAULT, /* on unless invoked as bwrap */
	AJ_AUDIT_ON,
	AJ_AUDIT_OFF,
};

/* One --cap-add or --cap-drop, kept in order. cap == -1 means ALL. */
struct aj_capop {
	bool add;
	int cap;
};

/* A seccomp program read at parse time (--add-seccomp-fd). */
struct aj_blob {
	void *data;
	size_t size;
};

/* The built-in seccomp filter (--seccomp-filter, [security] seccomp). */
enum aj_seccomp_mode {
	AJ_SECCOMP_UNSET,   /* the default list when hardened, else none */
	AJ_SECCOMP_NONE,    /* no built-in list (seccomp-deny names still apply) */
	AJ_SECCOMP_DEFAULT, /* the calls a coding agent never needs (filter.c) */
};

/* A yes/no setting that may be left to the mode's default. */
enum aj_switch {
	AJ_SWITCH_UNSET,
	AJ_SWITCH_OFF,
	AJ_SWITCH_ON,
	AJ_SWITCH_REQUIRE, /* landlock only: fail when the kernel lacks it */
};

struct aj_observe;

struct aj_plan {
	/* Filesystem operations, applied in this order. */
	struct aj_op *ops;
	size_t n_ops, cap_ops;

	/* Namespaces. */
	unsigned unshare;        /* AJ_NS_* asked for without -try */
	bool unshare_user_try;   /* --unshare-user-try */
	bool unshare_cgroup_try; /* --unshare-cgroup-try */
	int userns_fd, userns2_fd, pidns_fd; /* owned; -EBADF when unset */
	bool disable_userns, assert_userns_disabled;

	/* Identity inside the sandbox. */
	bool uid_set, gid_set;
	uid_t uid;
	gid_t gid;
	char *hostname;

	/* Process. */
	char **argv;      /* owned, NULL-terminated; the command */
	char *argv0;      /* --argv0 */
	char *chdir;      /* --chdir */
	char **env;       /* owned, NULL-terminated: the command's environment */
	size_t n_env;
	bool die_with_parent, new_session, as_pid_1;

	/* Status and synchronisation fds (owned; -EBADF when unset). */
	int info_fd, json_status_fd, sync_fd, block_fd, userns_block_fd;
	char **lock_files;
	size_t n_lock_files;

	/* Kernel walls. */
	struct aj_capop *capops;
	size_t n_capops;
	int seccomp_fd;             /* --seccomp, read late */
	struct aj_blob *seccomp_progs; /* --add-seccomp-fd, read at parse time */
	size_t n_seccomp_progs;
	enum aj_seccomp_mode seccomp_mode;
	char **seccomp_allow;       /* names lifted from the built-in filter */
	size_t n_seccomp_allow;
	char **seccomp_deny;        /* names added to it (EPERM) */
	size_t n_seccomp_deny;
	enum aj_switch nested_userns, io_uring, landlock;
	/* As bwrap: /etc/agentjail/bwrap.ini's overlay (walls.h AJ_OVERLAY_*). */
	unsigned bwrap_overlay;
	/* Hardened root: the host ids the sandbox's ids map to. */
	bool root_map_set;
	uid_t root_map_uid;
	gid_t root_map_gid;
	uint64_t tmpfs_size;        /* resolved by walls.c from tmp-size: tmpfs size, 0 = kernel's */
	struct aj_blob filter;      /* the built-in filter as BPF, built before clone */
	int exec_fd;                /* owned; exec this file instead of argv[0] (--check) */

	/* Network policy: host patterns, as given ("*.example.com:443"). */
	enum aj_net_mode net_mode;
	char **allow_hosts;
	size_t n_allow_hosts;
	char **deny_hosts;
	size_t n_deny_hosts;

	/*
	 * agentjail's own defaults apply (a profile or zero-config run): the
	 * hardening that a bwrap-compatible command line does not get by default.
	 */
	bool hardened;
	bool no_fence;       /* agentjail-test only: pid 1 executes agentjail-reaper (reaper.c) */
	const char *test_proxy_open; /* agentjail-test only: the proxy tries to open it (proxy.c) */
	char *profile_name;  /* the profile asked for, NULL without one */
	char *profile_text;  /* the effective profile as INI (for --dump-profile, audit) */

	/* Resource limits: limits[AJ_LIMIT_*] counts when bit (1u << AJ_LIMIT_*) is in limits_set. */
	uint64_t limits[_AJ_LIMIT_MAX];
	unsigned limits_set;

	/* The audit log (audit.h). */
	enum aj_audit_mode audit;
	char *audit_log;     /* NULL: $XDG_STATE_HOME/agentjail/audit.jsonl */
	bool audit_syslog;   /* also send each record's digest to syslog */

	/* The observer (observe.h): agentjail learn, --verbose; NULL when none. */
	struct aj_observe *observe;

	/* fds the command may inherit besides 0-2 (--keep-fd). */
	int *keep_fds;
	size_t n_keep_fds;
	/* bwrap passes every inherited fd on; agentjail closes them. */
	bool inherit_fds;

	/* Names of files settings came from (struct aj_src.file points here). */
	char **names;
	size_t n_names;
};

struct aj_plan *aj_plan_new(void);
struct aj_plan *aj_plan_free(struct aj_plan *plan);
void aj_plan_freep(struct aj_plan **plan);

/* Append a zeroed op (fd -EBADF, perms -1); returns NULL on ENOMEM. */
struct aj_op *aj_plan_add_op(struct aj_plan *plan, enum aj_op_kind kind);

/* Environment edits, in the order given (bwrap applies them at parse time). */
int aj_plan_setenv(struct aj_plan *plan, const char *name, const char *value);
int aj_plan_unsetenv(struct aj_plan *plan, const char *name);
void aj_plan_clearenv(struct aj_plan *plan);
const char *aj_plan_getenv(const struct aj_plan *plan, const char *name);

/* Take ownership of a seccomp program; -EINVAL unless a non-empty multiple of 8 bytes. */
int aj_plan_add_seccomp(struct aj_plan *plan, void *data, size_t size);

/* Remember a file name for struct aj_src; returns the plan's copy or NULL. */
const char *aj_plan_intern_name(struct aj_plan *plan, const char *name);

/* Format where into buf: "argument 7" or "file.ini:12". */
const char *aj_src_format(const struct aj_src *where, char *buf, size_t size);

const char *aj_op_kind_name(enum aj_op_kind kind);
/* The host path a bind's source (path or --bind-fd) resolves to, malloc'd; NULL and errno. */
char *aj_op_source_realpath(const struct aj_op *op);

/* Cross-option checks that need the whole plan (bwrap's rules). Logs. */
int aj_plan_validate(struct aj_plan *plan);
