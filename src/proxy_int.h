/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The proxy's insides, shared by its files: proxy_loop.c (the event loop,
 * connections, deadlines), proxy_request.c (requests and decisions),
 * proxy_relay.c (connect and relay), proxy_answer.c (answers and records).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>

#include "agentjail/netpolicy.h"
#include "agentjail/proxy.h"
#include "agentjail/proxy_http.h"
#include "agentjail/resolve.h"

/*
 * The relay's one buffer, shared by all connections.  Large, because on
 * loopback the relay is bound by its own CPU: each peek-and-send costs
 * wake-ups and TCP bookkeeping that bigger chunks spread over more bytes
 * (measured, bench/net-proxy.sh: 1, 2, 8 and 16 MiB; 8 was fastest).  Only
 * bulk data touches its pages, and they are given back when the relay idles.
 */
#define RELAY_BUF (8u << 20)
#define RELAY_SMALL (64u << 10)   /* a peek beyond this has touched pages worth giving back */
#define PUMP_BUDGET (4u << 20)     /* bytes one connection moves before others' turn */
#define SWEEP_MS 250
#define MAX_EVENTS 128
#define RESOLVER_THREADS 4

enum state {
	S_FIRST,        /* nothing read: HTTP or SOCKS5? */
	S_HTTP_HEADER,
	S_SOCKS_AUTH,   /* RFC 1929 user/password sub-negotiation */
	S_SOCKS_REQUEST,
	S_RESOLVE,
	S_CONNECT,
	S_SEND_HEADER,  /* plain HTTP: the rewritten header to the server */
	S_RELAY,
	S_DRAIN,        /* refused: read the client's rest, then close */
};

enum proto { P_NONE, P_CONNECT, P_FORWARD, P_SOCKS };

struct conn {
	unsigned slot;
	uint32_t gen;
	enum state st;
	enum proto proto;
	int cfd, ufd;
	bool c_eof, u_eof;        /* read sides at end of file */
	bool u_shut, c_shut;      /* write sides shut */
	bool queued;              /* in the ready list (budget ran out) */
	bool allowed, logged;
	bool no_answer;           /* the client gets no error message (SOCKS4) */
	struct conn *rnext, *rprev; /* the ready list */
	int64_t deadline;         /* CLOCK_MONOTONIC ms; 0: none */
	struct timespec t0;       /* CLOCK_REALTIME of the decision */
	uint64_t bytes_up, bytes_down;
	struct aj_target target;
	uint8_t n_addrs, next_addr;
	struct aj_netaddr addrs[AJ_RESOLVE_MAX_ADDRS];
	char *out;                /* plain HTTP: header still to send */
	size_t out_len, out_off;
	char reason[224];
};

struct loop {
	const struct aj_proxy_config *cfg;
	int ep;
	struct aj_resolver *resolver;
	struct conn **slots;
	unsigned max, n_open, *free_slots, n_free;
	uint32_t gen;
	struct conn *ready_head, *ready_tail; /* budget ran out: continue later */
	unsigned n_ready;
	bool accepting;
	int64_t next_sweep;
	/* --verbose says each refused host:port once (twice --verbose: every time). */
	uint64_t denied[256];
	unsigned n_denied;
	char scratch[AJ_HTTP_HEADER_MAX + 1];
	char *relay_buf;          /* RELAY_BUF bytes, mmap'ed */
	bool relay_hot;           /* relay_buf holds pages touched by bulk data */
	bool relay_busy;          /* bulk data moved since the last sweep */
};

/* epoll data: generation << 32 | slot << 1 | upstream; the fixed fds above that. */
#define EV_LISTEN (UINT64_MAX - 0)
#define EV_SIGNAL (UINT64_MAX - 1)
#define EV_RESOLVER (UINT64_MAX - 2)

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t ev_data(const struct conn *c, bool upstream)
{
	return (uint64_t)c->gen << 32 | (uint64_t)c->slot << 1 | upstream;
}

static inline int ep_add(struct loop *l, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static inline int ep_mod(struct loop *l, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

/* proxy_loop.c */
void aj_proxy_close_fd(int *fd);
void aj_proxy_conn_close(struct loop *l, struct conn *c);

/* proxy_answer.c: the one place a decision is recorded, and the answers. */
const char *aj_proxy_proto_name(enum proto p);
void aj_proxy_log_record(struct loop *l, struct conn *c, bool final);
void aj_proxy_decide(struct loop *l, struct conn *c, bool allow, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void aj_proxy_send_small(struct conn *c, const void *buf, size_t len);
void aj_proxy_answer_error(struct loop *l, struct conn *c, int status, uint8_t socks,
			   const char *error, const char *message);
void aj_proxy_refuse(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error);
void aj_proxy_fail(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error,
		   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void aj_proxy_malformed(struct loop *l, struct conn *c, int status, const char *error,
			const char *why);

/* proxy_relay.c */
void aj_proxy_connect_next(struct loop *l, struct conn *c, int last_err);
void aj_proxy_on_connect_event(struct loop *l, struct conn *c);
void aj_proxy_send_header(struct loop *l, struct conn *c);
void aj_proxy_pump(struct loop *l, struct conn *c);
void aj_proxy_relay_idle(struct loop *l);

/* proxy_request.c */
void aj_proxy_on_request(struct loop *l, struct conn *c, uint32_t events);
void aj_proxy_on_drain(struct loop *l, struct conn *c);
void aj_proxy_on_resolved(struct loop *l, const struct aj_resolve_result *res);
