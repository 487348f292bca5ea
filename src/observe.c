/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The observer in the launch (observe.h): started by the monitor before
 * clone(), given the listener by the command's process just before it
 * execs, stopped by the monitor once the sandbox is gone.
 *
 * It is a process of its own, like the proxy, so the monitor stays small
 * and the sandbox's calls are answered without waiting on anything else.
 * It keeps no capability: reading a sandboxed process's memory needs none,
 * because the sandbox's user namespace belongs to the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/json.h"
#include "agentjail/launch.h"
#include "agentjail/learn.h"
#include "agentjail/log.h"
#include "agentjail/observe.h"
#include "agentjail/plan.h"
#include "agentjail/sidecar.h"
#include "cleanup.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

struct aj_observe *aj_observe_new(enum aj_observe_mode mode)
{
	struct aj_observe *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	*o = (struct aj_observe){ .mode = mode, .result_fd = -EBADF, .netlog_fd = -EBADF,
				  .sock_child = -EBADF, .pidfd = -EBADF };
	return o;
}

struct aj_observe *aj_observe_free(struct aj_observe *o)
{
	if (!o)
		return NULL;
	aj_learn_base_free(o->base);
	aj_learn_base_free(o->learning);
	free(o->filter.data);
	aj_closep(&o->result_fd);
	aj_closep(&o->netlog_fd);
	aj_closep(&o->sock_child);
	aj_closep(&o->pidfd);
	free(o);
	return NULL;
}

/* ---- the observer process ------------------------------------------------------ */

static _Noreturn void observer_main(const struct aj_observe *o, int sock)
{
	int keep[2] = { sock, o->result_fd }, listener, sfd;

	/* Only the socket, the table's memfd and stderr (verbose reports) stay open. */
	aj_sidecar_begin("agentjail-obs", keep, o->result_fd >= 0 ? 2 : 1);
	/* SIGTERM comes as an event: the table is written out first. */
	listener = aj_sidecar_receive("observer", sock, &sfd);
	_exit(aj_observe_serve(o, listener, sfd));
}

/* ---- the monitor ---------------------------------------------------------------- */

/* Verbose runs under the agentjail name are observed, to say what the sandbox denies. */
static int prepare_verbose(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	struct aj_observe *o;

	if (run->bwrap || aj_log_verbose() <= 0)
		return 0;
	o = plan->observe = aj_observe_new(AJ_OBSERVE_VERBOSE);
	if (!o || !(o->base = aj_learn_base_new(NULL)) || aj_learn_base_add_views(o->base, plan) < 0)
		return aj_err(-ENOMEM, "Out of memory");
	return 1;
}

/* Learn with the proxy: the decisions are needed after the run, audit or not. */
static int keep_netlog(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;

	if (o->mode != AJ_OBSERVE_LEARN || run->plan->net_mode != AJ_NET_PROXY)
		return 0;
	if (run->netlog_fd < 0) {
		run->netlog_fd = memfd_create("agentjail-netlog", MFD_CLOEXEC);
		/* O_APPEND: each write() of a whole line lands whole, from any writer. */
		if (run->netlog_fd < 0 || fcntl(run->netlog_fd, F_SETFL, O_APPEND) < 0)
			return aj_err(-errno, "memfd_create");
	}
	o->netlog_fd = fcntl(run->netlog_fd, F_DUPFD_CLOEXEC, 3);
	return o->netlog_fd < 0 ? aj_err(-errno, "fcntl") : 0;
}

int aj_observe_start(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;
	int sv[2], r;
	pid_t pid;

	if (!o) {
		r = prepare_verbose(run);
		if (r <= 0)
			return r;
		o = run->plan->observe;
	}
	if (keep_netlog(run) < 0)
		return -EIO;
	r = aj_observe_filter_build(&o->filter);
	/* --verbose is no reason to refuse a run: say what is missing and go on. */
	if (r < 0 && o->mode == AJ_OBSERVE_VERBOSE) {
		aj_notice("observer: building the seccomp notify filter: %s: denied paths are not "
			  "reported", strerror(-r));
		return 0;
	}
	if (r < 0)
		return aj_err(r, "observer: building the seccomp filter");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return aj_err(-errno, "observer: socketpair");
	pid = fork();
	if (pid < 0) {
		r = -errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		return aj_err(r, "observer: fork");
	}
	if (pid == 0) {
		(void)close(sv[1]);
		observer_main(o, sv[0]);
	}
	(void)close(sv[0]);
	o->sock_child = sv[1];
	o->pid = pid;
	o->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

void aj_observe_after_clone(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;

	if (o)
		aj_closep(&o->sock_child), o->sock_child = -EBADF;
}

void aj_observe_child_close(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;

	if (!o)
		return;
	aj_closep(&o->result_fd);
	aj_closep(&o->netlog_fd);
	aj_closep(&o->pidfd);
	o->result_fd = o->netlog_fd = o->pidfd = -EBADF;
}

int aj_observe_install(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;
	struct sock_fprog prog;
	int listener, r = 0;

	if (!o || o->sock_child < 0 || !o->filter.data)
		return 0;
	prog = (struct sock_fprog){ .len = (unsigned short)(o->filter.size / 8),
				    .filter = o->filter.data };
	/*
	 * no_new_privs is set (launch.c), so no privilege is needed for this.
	 * WAIT_KILLABLE_RECV (Linux 5.19): once the observer has the call, only
	 * a fatal signal interrupts the wait, so an open() or stat() never
	 * fails with EINTR where it would not have without the observer.
	 */
	listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
				&prog);
	if (listener < 0 && errno == EINVAL)
		listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0 && o->mode == AJ_OBSERVE_VERBOSE) {
		/* A kernel or container without notification: the observer sees EOF and ends. */
		aj_notice("observer: loading the seccomp notify filter: %s: denied paths are not "
			  "reported", strerror(errno));
		aj_closep(&o->sock_child);
		o->sock_child = -EBADF;
		return 0;
	}
	if (listener < 0)
		return aj_err(-errno, "observer: loading the seccomp notify filter");
	r = aj_send_fd(o->sock_child, listener);
	if (r < 0)
		r = aj_err(r, "observer: passing the listener out");
	(void)close(listener);
	aj_closep(&o->sock_child);
	o->sock_child = -EBADF;
	return r;
}

void aj_observe_stop(struct aj_run *run)
{
	struct aj_observe *o = run->plan->observe;

	if (!o)
		return;
	/* Without the socket's other end an observer still waiting for it ends by itself. */
	aj_closep(&o->sock_child);
	o->sock_child = -EBADF;
	if (o->pid <= 0)
		return;
	/*
	 * A bwrap-style run leaves what the command started running: the
	 * observer serves it until the last process under the filter is gone
	 * (the kernel then hangs the listener up), so nothing of it sees a
	 * call fail for lack of an answer.
	 */
	if (o->mode == AJ_OBSERVE_VERBOSE && !run->plan->hardened)
		return;
	/* Writing a large table takes a moment; never wait long. */
	aj_sidecar_stop(o->pid, o->pidfd, 10000);
	aj_closep(&o->pidfd);
	o->pidfd = -EBADF;
	o->pid = 0;
}

/* ---- the table, read back ----------------------------------------------------------- */

void aj_observe_recs_free(struct aj_observe_rec *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].path);
	free(v);
}

static int parse_line(const char *line, size_t len, struct aj_observe_rec *rec,
		      unsigned long *dropped)
{
	struct aj_json_val obj, v;
	_cleanup_free_ char *comm = NULL;
	int64_t acc, n, pid;

	if (aj_json_check(line, len, &obj) < 0 || obj.type != AJ_JSON_OBJECT)
		return -EINVAL;
	if (aj_json_get(&obj, "dropped", &v) == 0) {
		if (aj_json_int(&v, &n) < 0 || n < 0)
			return -EINVAL;
		*dropped += (unsigned long)n;
		return 0;
	}
	if (aj_json_get(&obj, "path", &v) < 0 || aj_json_string(&v, &rec->path) < 0)
		return -EINVAL;
	if (aj_json_get(&obj, "acc", &v) < 0 || aj_json_int(&v, &acc) < 0 ||
	    aj_json_get(&obj, "n", &v) < 0 || aj_json_int(&v, &n) < 0 ||
	    aj_json_get(&obj, "pid", &v) < 0 || aj_json_int(&v, &pid) < 0 ||
	    aj_json_get(&obj, "comm", &v) < 0 || aj_json_string(&v, &comm) < 0 || acc < 0 ||
	    n < 0 || pid < 0) {
		free(rec->path);
		rec->path = NULL;
		return -EINVAL;
	}
	rec->acc = (unsigned)acc;
	rec->count = (unsigned long)n;
	rec->pid = (pid_t)pid;
	snprintf(rec->comm, sizeof(rec->comm), "%s", comm);
	return 1;
}

int aj_observe_read(struct aj_observe *o, struct aj_observe_rec **ret, size_t *ret_n,
		    unsigned long *ret_dropped)
{
	_cleanup_free_ char *data = NULL;
	struct aj_observe_rec *v = NULL;
	size_t size = 0, n = 0, cap = 0;
	void *buf;
	int r;

	*ret = NULL;
	*ret_n = 0;
	*ret_dropped = 0;
	if (o->result_fd < 0)
		return 0;
	r = aj_read_all_from_start(o->result_fd, (size_t)1 << 30, &buf, &size);
	if (r < 0)
		return aj_err(r, "observer: reading its table");
	data = buf;
	for (size_t i = 0; i < size;) {
		const char *nl = memchr(data + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (data + i)) : size - i;
		struct aj_observe_rec rec = { 0 };

		if (len) {
			r = parse_line(data + i, len, &rec, ret_dropped);
			if (r < 0) {
				aj_observe_recs_free(v, n);
				return aj_errx(-EBADMSG, "observer: a malformed record in its table");
			}
			if (r > 0) {
				if (n == cap) {
					size_t nc = cap ? cap * 2 : 256;
					struct aj_observe_rec *nv = reallocarray(v, nc, sizeof(*nv));

					if (!nv) {
						free(rec.path);
						aj_observe_recs_free(v, n);
						return aj_err(-ENOMEM, "Out of memory");
					}
					v = nv;
					cap = nc;
				}
				v[n++] = rec;
			}
		}
		i += len + 1;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
