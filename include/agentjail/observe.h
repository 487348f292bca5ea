/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The observer: what the command opens, stats, executes, writes and
 * connects to, seen from outside the sandbox through a seccomp
 * user-notification filter (no ptrace, no strace, no privilege).
 *
 *   monitor ──fork (before clone)──► observer (host namespaces, no caps)
 *      │                                 ▲ the filter's listener (SCM_RIGHTS)
 *      └──clone──► ... command's process: loads the notify filter with
 *                      SECCOMP_FILTER_FLAG_NEW_LISTENER, sends the listener
 *                      out, closes it, loads the built-in filter, execs
 *
 * For each notified call the observer reads the path from the process's
 * memory (process_vm_readv), makes it absolute through /proc/PID/cwd or
 * /proc/PID/fd/N (the sandbox's own view: the sandbox's root is the root of
 * its mount namespace), records it, and answers CONTINUE: the kernel then
 * runs the call exactly as it would have without the observer.  The one
 * exception is learn mode's refusal of paths that look like secrets
 * (learn_base.c), answered with ENOENT, what the base profile would have
 * answered.
 *
 * Two modes:
 *   learn    (agentjail learn) records every path and writes the table, as
 *            JSON lines, to a memfd the caller reads after the launch;
 *   verbose  (--verbose on a normal run) reports each path the sandbox
 *            denies, once, on stderr, as it happens.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agentjail/plan.h"

struct aj_run;
struct aj_base;

/* What a process did with a path (bits of a record's "acc"). */
enum {
	AJ_ACC_READ = 1u << 0,    /* opened for reading (a directory: listed) */
	AJ_ACC_STAT = 1u << 1,    /* looked at: stat, access, readlink, O_PATH */
	AJ_ACC_EXEC = 1u << 2,    /* executed */
	AJ_ACC_WRITE = 1u << 3,   /* opened for writing, truncated, its metadata changed */
	AJ_ACC_CREATE = 1u << 4,  /* created, removed or renamed (its directory changes) */
	AJ_ACC_DIR = 1u << 5,     /* used as a directory (O_DIRECTORY, chdir, mkdir) */
	AJ_ACC_CONNECT = 1u << 6, /* connect() to it (a unix socket path) */
	AJ_ACC_REFUSED = 1u << 7, /* learn: refused, it looks like a secret */
	AJ_ACC_MAYBE_NEW = 1u << 8, /* O_CREAT: created unless it existed */
};

/* Records kept at most; what comes after is counted, not kept. */
#define AJ_OBSERVE_MAX_RECORDS 1000000

enum aj_observe_mode {
	AJ_OBSERVE_LEARN,
	AJ_OBSERVE_VERBOSE,
};

/* Owned by the plan (plan->observe); the runtime part is the monitor's. */
struct aj_observe {
	enum aj_observe_mode mode;
	struct aj_base *base;   /* what the base profile shows (learn_base.c); owned */
	struct aj_base *learning; /* learn: what the learning view shows; owned */
	int result_fd;          /* learn: memfd, the observer's table as JSON lines */
	int netlog_fd;          /* learn: a copy of the proxy's decision log, or -EBADF */

	/* Runtime, set by aj_observe_start(). */
	struct aj_blob filter;  /* the notify filter (BPF) */
	int sock_child;         /* the command's end: the listener travels out here */
	pid_t pid;              /* the observer process, 0 when none */
	int pidfd;
};

/* One record, as the observer writes it and learn.c reads it back. */
struct aj_observe_rec {
	char *path;       /* absolute, in the sandbox's view; "inet:ADDR:PORT" for a connect */
	unsigned acc;     /* AJ_ACC_* */
	unsigned long count;
	pid_t pid;        /* the first process that touched it (host pid) */
	char comm[16];    /* its name */
};

struct aj_observe *aj_observe_new(enum aj_observe_mode mode);
struct aj_observe *aj_observe_free(struct aj_observe *o);

/*
 * Monitor, before clone(): decide whether this run is observed (learn mode,
 * or --verbose on an agentjail run), build the filter and fork the observer.
 * Logs.
 */
int aj_observe_start(struct aj_run *run);
/* Monitor, right after clone(): drop the command's end of the socket. */
void aj_observe_after_clone(struct aj_run *run);
/* Setup child: close what belongs to the monitor (the result and log fds). */
void aj_observe_child_close(struct aj_run *run);
/* Command's process, before its fds are closed: load the filter, send the listener. Logs. */
int aj_observe_install(struct aj_run *run);
/* Monitor, once the sandbox is gone: let the observer write its table and reap it. */
void aj_observe_stop(struct aj_run *run);

/* Read the table the observer wrote (learn).  Logs. */
int aj_observe_read(struct aj_observe *o, struct aj_observe_rec **ret, size_t *ret_n,
		    unsigned long *ret_dropped);
void aj_observe_recs_free(struct aj_observe_rec *v, size_t n);

/* ---- the observer process (observe_loop.c) ------------------------------- */

/* The BPF of the notify filter (observe_filter.c). */
int aj_observe_filter_build(struct aj_blob *ret);
/* Serve the listener until the sandbox is gone or SIGTERM; returns an exit status. */
int aj_observe_serve(const struct aj_observe *o, int listener, int signal_fd);
