/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * --net proxy: the sandbox's only way out.  The listening socket lives in the
 * sandbox's network namespace (127.0.0.1:AJ_PROXY_PORT); the proxy serving it
 * is a process of agentjail in the host's namespace.
 */
#pragma once

#include <stdint.h>

struct aj_run;
struct aj_plan;
struct aj_netpolicy;

/* The port inside the sandbox; the namespace is the sandbox's own, so it never clashes. */
#define AJ_PROXY_PORT 3128

/* Timeouts of the proxy, in milliseconds. */
#define AJ_PROXY_HEADER_TIMEOUT_MS 10000  /* accept to complete request (slow clients) */
#define AJ_PROXY_RESOLVE_TIMEOUT_MS 15000
#define AJ_PROXY_CONNECT_TIMEOUT_MS 10000 /* per address */
#define AJ_PROXY_DRAIN_MS 2000            /* reading a refused client's rest before closing */

struct aj_proxy_config {
	const struct aj_netpolicy *policy;
	int listen_fd;       /* listening, any namespace */
	int netlog_fd;       /* decisions as JSON lines; -EBADF when unused */
	int signal_fd;       /* a signalfd: readable means shut down; -EBADF when unused */
	unsigned max_conns;  /* 0: as many as RLIMIT_NOFILE allows, at most 4096 */
};

/* The event loop; returns 0 after a clean shutdown, -errno on a setup failure. Logs. */
int aj_proxy_serve(const struct aj_proxy_config *cfg);

/* Bytes of user memory one open connection takes (for the benchmark's report). */
unsigned long aj_proxy_conn_size(void);

/* ---- the launch (proxy.c) ------------------------------------------------ */

/* Before clone(): check the patterns, set the proxy variables in plan->env. Logs. */
int aj_proxy_prepare(struct aj_run *run);
/* Before clone(): fork the proxy process; run->proxy_fd is the child's end. Logs. */
int aj_proxy_start(struct aj_run *run);
/* Setup child, in the new network namespace: listen and hand the socket out. Logs. */
int aj_proxy_listen_inside(struct aj_run *run);
/* Monitor: the command has ended (or the launch failed): stop the proxy and reap it. */
void aj_proxy_stop(struct aj_run *run);
