/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The proxy's event loop: one thread, one epoll set, edge-triggered.
 *
 * A connection goes: request (HTTP header or SOCKS5 handshake, read with
 * MSG_PEEK into one buffer shared by all connections, so a connection that
 * is still talking costs no buffer of its own) -> decision on the name ->
 * resolution (resolve.c) -> decision on each address -> non-blocking
 * connect -> relay.  The relay moves bytes with splice(2) through two pipes
 * per connection, so the data never enters user space and what a
 * connection can hold is bounded by the pipe sizes.
 *
 * A hostile client can hurt only itself: requests have a size cap and a
 * deadline, refusals are answered without blocking, and each event handles
 * a bounded amount of data before others get their turn.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/netlog.h"
#include "agentjail/netpolicy.h"
#include "agentjail/proxy.h"
#include "agentjail/proxy_http.h"
#include "agentjail/proxy_socks.h"
#include "agentjail/resolve.h"
#include "cleanup.h"

/*
 * Pipes start at the kernel's default (16 pages) and grow to PIPE_BULK once a
 * direction has carried that much: fewer splice calls and wakeups for bulk data, while
 * the many idle or chatty connections stay small (pipe pages count against
 * fs.pipe-user-pages-soft per user; past it the kernel refuses to grow them,
 * which only costs speed).
 */
#define PIPE_BULK (1024 * 1024)
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
	int up[2], down[2];       /* pipes: client -> server, server -> client */
	size_t up_n, down_n;      /* bytes in each pipe */
	size_t up_cap, down_cap;
	bool up_grown, down_grown; /* PIPE_BULK asked for */
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
	char scratch[AJ_HTTP_HEADER_MAX + 1];
};

/* epoll data: generation << 32 | slot << 1 | upstream; the fixed fds above that. */
#define EV_LISTEN (UINT64_MAX - 0)
#define EV_SIGNAL (UINT64_MAX - 1)
#define EV_RESOLVER (UINT64_MAX - 2)

unsigned long aj_proxy_conn_size(void)
{
	return sizeof(struct conn) + sizeof(struct conn *) + sizeof(unsigned);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t ev_data(const struct conn *c, bool upstream)
{
	return (uint64_t)c->gen << 32 | (uint64_t)c->slot << 1 | upstream;
}

static int ep_add(struct loop *l, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int ep_mod(struct loop *l, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

static const char *proto_name(enum proto p)
{
	switch (p) {
	case P_CONNECT: return "CONNECT";
	case P_FORWARD: return "HTTP";
	case P_SOCKS: return "SOCKS5";
	case P_NONE: break;
	}
	return "request";
}

/* ---- the record of a decision --------------------------------------------- */

/* The one place a decision is written: verbose stderr and the JSON log. */
static void log_record(struct loop *l, struct conn *c, bool final)
{
	struct aj_netlog_entry e = {
		.time = c->t0, .host = c->target.host, .port = c->target.port,
		.allow = c->allowed, .reason = c->reason,
		.bytes_up = c->bytes_up, .bytes_down = c->bytes_down,
	};
	const char *host = c->target.host[0] ? c->target.host : "?";
	bool v6 = c->target.is_addr && c->target.addr.family == AF_INET6;

	if (!final) {
		aj_debug("proxy: %s %s%s%s:%u (%s): %s", c->allowed ? "allow" : "deny",
			 v6 ? "[" : "", host, v6 ? "]" : "", c->target.port, proto_name(c->proto),
			 c->reason);
	} else if (c->allowed) {
		aj_debug("proxy: closed %s%s%s:%u: %llu bytes up, %llu down", v6 ? "[" : "", host,
			 v6 ? "]" : "", c->target.port, (unsigned long long)c->bytes_up,
			 (unsigned long long)c->bytes_down);
	}
	if ((final || !c->allowed) && !c->logged) {
		c->logged = true;
		if (l->cfg->netlog_fd >= 0)
			(void)aj_netlog_write(l->cfg->netlog_fd, &e); /* the log's reader is gone: go on */
	}
}

static void decide(struct loop *l, struct conn *c, bool allow, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void decide(struct loop *l, struct conn *c, bool allow, const char *fmt, ...)
{
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &c->t0);
	c->allowed = allow;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	log_record(l, c, false);
}

/* ---- connections --------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd); /* also leaves the epoll set: the fd is ours alone */
	*fd = -EBADF;
}

static void ready_unlink(struct loop *l, struct conn *c)
{
	if (!c->queued)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		l->ready_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		l->ready_tail = c->rprev;
	c->rnext = c->rprev = NULL;
	c->queued = false;
	l->n_ready--;
}

static void conn_close(struct loop *l, struct conn *c)
{
	ready_unlink(l, c);
	if (c->allowed)
		log_record(l, c, true);
	close_fd(&c->cfd);
	close_fd(&c->ufd);
	close_fd(&c->up[0]);
	close_fd(&c->up[1]);
	close_fd(&c->down[0]);
	close_fd(&c->down[1]);
	free(c->out);
	l->slots[c->slot] = NULL;
	l->free_slots[l->n_free++] = c->slot;
	l->n_open--;
	free(c);
	if (!l->accepting && l->n_open < l->max) {
		if (ep_mod(l, l->cfg->listen_fd, EPOLLIN, EV_LISTEN) == 0)
			l->accepting = true;
	}
}

/* A short answer to the client; it fits an empty socket buffer, so never waits. */
static void send_small(struct conn *c, const void *buf, size_t len)
{
	(void)send(c->cfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Answer an error (HTTP status or SOCKS reply), then drain and close. */
static void answer_error(struct loop *l, struct conn *c, int status, uint8_t socks,
			 const char *error, const char *message)
{
	if (c->no_answer) {
		/* said already, in another protocol */
	} else if (c->proto == P_SOCKS || c->st == S_SOCKS_REQUEST || c->st == S_SOCKS_AUTH) {
		uint8_t r[10];

		aj_socks_reply(socks, r);
		send_small(c, r, sizeof(r));
	} else {
		char buf[2048];
		size_t n = aj_http_error(buf, sizeof(buf), status, error, message);

		send_small(c, buf, n);
	}
	close_fd(&c->ufd);
	/*
	 * Closing with unread bytes would send a reset, which may destroy the
	 * answer before the client reads it: half-close, read the rest for a
	 * moment, then close.
	 */
	(void)shutdown(c->cfd, SHUT_WR);
	c->st = S_DRAIN;
	c->deadline = now_ms() + AJ_PROXY_DRAIN_MS;
	(void)ep_mod(l, c->cfd, EPOLLIN | EPOLLRDHUP | EPOLLET, ev_data(c, false));
}

static void refuse(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error)
{
	char msg[768];

	snprintf(msg, sizeof(msg), "agentjail: %s to %s:%u refused: %s", proto_name(c->proto),
		 c->target.host[0] ? c->target.host : "?", c->target.port, c->reason);
	answer_error(l, c, status, socks, error, msg);
}

/* The request could not be served although the policy allowed it. */
static void fail(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void fail(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error,
		 const char *fmt, ...)
{
	char what[192], msg[768];
	size_t n = strlen(c->reason);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->reason + n, sizeof(c->reason) - n, "; failed: %s", what);
	aj_debug("proxy: %s:%u: %s", c->target.host, c->target.port, what);
	snprintf(msg, sizeof(msg), "agentjail: %s to %s:%u failed: %s", proto_name(c->proto),
		 c->target.host, c->target.port, what);
	answer_error(l, c, status, socks, error, msg);
}

/* A request that is not one: refused at once, logged with what is known. */
static void malformed(struct loop *l, struct conn *c, int status, const char *error,
		      const char *why)
{
	decide(l, c, false, "malformed %s: %s", proto_name(c->proto), why);
	{
		char msg[320];

		snprintf(msg, sizeof(msg), "agentjail: proxy: %s", why);
		answer_error(l, c, status, AJ_SOCKS_FAILURE, error, msg);
	}
}

/* ---- relay --------------------------------------------------------------- */

static int make_pipe(int p[2], size_t *ret_cap)
{
	int sz;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	sz = fcntl(p[1], F_GETPIPE_SZ);
	*ret_cap = sz > 0 ? (size_t)sz : 4096;
	return 0;
}

/* One direction: src -> pipe -> dst.  Returns bytes written to dst, or -errno. */
static ssize_t move(int src, int dst, int p[2], const size_t *cap, size_t *inpipe, bool *src_eof,
		    bool *dst_shut, size_t budget)
{
	ssize_t total = 0;

	for (;;) {
		bool progress = false;
		ssize_t n;

		if (!*src_eof && *inpipe < *cap) {
			n = splice(src, NULL, p[1], NULL, *cap - *inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				*inpipe += (size_t)n;
				progress = true;
			} else if (n == 0)
				*src_eof = true;
			else if (errno != EAGAIN && errno != EINTR)
				return -errno;
		}
		if (*inpipe > 0) {
			n = splice(p[0], NULL, dst, NULL, *inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				*inpipe -= (size_t)n;
				total += n;
				progress = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
		}
		if (*src_eof && *inpipe == 0 && !*dst_shut) {
			(void)shutdown(dst, SHUT_WR); /* pass the half-close on */
			*dst_shut = true;
		}
		if (!progress || (size_t)total >= budget)
			return total;
	}
}

static void enqueue(struct loop *l, struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->rnext = NULL;
	c->rprev = l->ready_tail;
	if (l->ready_tail)
		l->ready_tail->rnext = c;
	else
		l->ready_head = c;
	l->ready_tail = c;
	l->n_ready++;
}

/* A direction that carried PIPE_BULK bytes is a bulk transfer: give it a big pipe, once. */
static void grow(int p[2], size_t *cap, bool *tried, uint64_t moved)
{
	int sz;

	if (*tried || moved < PIPE_BULK)
		return;
	*tried = true;
	sz = fcntl(p[1], F_SETPIPE_SZ, PIPE_BULK);
	if (sz > 0)
		*cap = (size_t)sz; /* when refused (the user's pipe pages are spent), stay small */
}

static void pump(struct loop *l, struct conn *c)
{
	ssize_t up, down;

	up = move(c->cfd, c->ufd, c->up, &c->up_cap, &c->up_n, &c->c_eof, &c->u_shut, PUMP_BUDGET);
	if (up < 0) {
		conn_close(l, c);
		return;
	}
	c->bytes_up += (uint64_t)up;
	grow(c->up, &c->up_cap, &c->up_grown, c->bytes_up);
	down = move(c->ufd, c->cfd, c->down, &c->down_cap, &c->down_n, &c->u_eof, &c->c_shut,
		    PUMP_BUDGET);
	if (down < 0) {
		conn_close(l, c);
		return;
	}
	c->bytes_down += (uint64_t)down;
	grow(c->down, &c->down_cap, &c->down_grown, c->bytes_down);
	if (c->u_shut && c->c_shut) {
		conn_close(l, c);
		return;
	}
	/* Edge-triggered: a connection stopped by its budget gets no new event. */
	if ((size_t)up >= PUMP_BUDGET || (size_t)down >= PUMP_BUDGET)
		enqueue(l, c);
}

/* Pipes and events for the relay, before the client is told it may go on. */
static int relay_prepare(struct loop *l, struct conn *c)
{
	int one = 1;

	/* The proxy forwards what it has at once; Nagle would hold small writes back. */
	(void)setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (make_pipe(c->up, &c->up_cap) < 0 || make_pipe(c->down, &c->down_cap) < 0 ||
	    ep_mod(l, c->cfd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, ev_data(c, false)) < 0) {
		fail(l, c, 503, AJ_SOCKS_FAILURE, "proxy_internal_error", "out of file descriptors");
		return -EMFILE;
	}
	return 0;
}

static void start_relay(struct loop *l, struct conn *c)
{
	c->st = S_RELAY;
	c->deadline = 0;
	pump(l, c);
}

static void send_header(struct loop *l, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->ufd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			return; /* EPOLLOUT will come */
		if (n < 0) {
			fail(l, c, 502, 0, "connection_terminated", "sending the request: %s",
			     strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->bytes_up += c->out_len;
	start_relay(l, c);
}

static void connected(struct loop *l, struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

	if (relay_prepare(l, c) < 0)
		return;
	switch (c->proto) {
	case P_CONNECT:
		send_small(c, ok, sizeof(ok) - 1);
		start_relay(l, c);
		break;
	case P_SOCKS: {
		uint8_t r[10];

		aj_socks_reply(AJ_SOCKS_OK, r);
		send_small(c, r, sizeof(r));
		start_relay(l, c);
		break;
	}
	case P_FORWARD:
		c->st = S_SEND_HEADER;
		c->deadline = now_ms() + AJ_PROXY_CONNECT_TIMEOUT_MS;
		send_header(l, c);
		break;
	case P_NONE:
		conn_close(l, c);
		break;
	}
}

/* ---- connect ------------------------------------------------------------- */

static void connect_next(struct loop *l, struct conn *c, int last_err)
{
	while (c->next_addr < c->n_addrs) {
		const struct aj_netaddr *a = &c->addrs[c->next_addr++];
		struct sockaddr_storage ss = { 0 };
		socklen_t len;
		int fd;

		if (a->family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			sin->sin_family = AF_INET;
			sin->sin_port = htons(c->target.port);
			memcpy(&sin->sin_addr, a->bytes, 4);
			len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(c->target.port);
			memcpy(&sin6->sin6_addr, a->bytes, 16);
			len = sizeof(*sin6);
		}
		fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last_err = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
			last_err = errno;
			(void)close(fd);
			continue;
		}
		c->ufd = fd;
		if (ep_add(l, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, ev_data(c, true)) < 0) {
			last_err = errno;
			close_fd(&c->ufd);
			continue;
		}
		c->st = S_CONNECT;
		c->deadline = now_ms() + AJ_PROXY_CONNECT_TIMEOUT_MS;
		return;
	}
	{
		char txt[64];
		const struct aj_netaddr *a = &c->addrs[c->n_addrs ? c->n_addrs - 1 : 0];

		aj_netaddr_format(a, txt, sizeof(txt));
		if (last_err == ETIMEDOUT)
			fail(l, c, 504, AJ_SOCKS_TTL_EXPIRED, "connection_timeout",
			     "connecting to %s port %u timed out", txt, c->target.port);
		else
			fail(l, c, 502,
			     last_err == ECONNREFUSED ? AJ_SOCKS_REFUSED
			     : last_err == ENETUNREACH ? AJ_SOCKS_NET_UNREACHABLE
						       : AJ_SOCKS_HOST_UNREACHABLE,
			     last_err == ECONNREFUSED ? "connection_refused" : "destination_unavailable",
			     "connect to %s port %u: %s", txt, c->target.port, strerror(last_err));
	}
}

static void on_connect_event(struct loop *l, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		connected(l, c);
		return;
	}
	close_fd(&c->ufd);
	connect_next(l, c, err);
}

/* ---- the decision -------------------------------------------------------- */

/* Keep the addresses the policy lets through; refuse when none is left. */
static void check_addrs(struct loop *l, struct conn *c, const struct aj_netaddr *addrs, size_t n)
{
	char why[192] = "";

	c->n_addrs = c->next_addr = 0;
	for (size_t i = 0; i < n; i++) {
		char w[192];

		if (aj_netpolicy_check_addr(l->cfg->policy, &addrs[i], c->target.port, w, sizeof(w)))
			c->addrs[c->n_addrs++] = addrs[i];
		else if (!why[0])
			memcpy(why, w, sizeof(why));
	}
	if (c->n_addrs == 0) {
		decide(l, c, false, "%s", why);
		refuse(l, c, 403, AJ_SOCKS_NOT_ALLOWED, "destination_ip_prohibited");
		return;
	}
	connect_next(l, c, EHOSTUNREACH);
}

static void start_target(struct loop *l, struct conn *c)
{
	char why[192];
	int r;

	if (!aj_netpolicy_check_name(l->cfg->policy, &c->target, why, sizeof(why))) {
		decide(l, c, false, "%s", why);
		refuse(l, c, 403, AJ_SOCKS_NOT_ALLOWED, "http_request_denied");
		return;
	}
	decide(l, c, true, "%s", why);
	if (c->target.is_addr) {
		check_addrs(l, c, &c->target.addr, 1);
		return;
	}
	r = aj_resolver_submit(l->resolver, ev_data(c, false), c->target.host);
	if (r < 0) {
		fail(l, c, 503, AJ_SOCKS_FAILURE, "proxy_internal_error", "cannot resolve: %s",
		     strerror(-r));
		return;
	}
	c->st = S_RESOLVE;
	c->deadline = now_ms() + AJ_PROXY_RESOLVE_TIMEOUT_MS;
}

static void on_resolved(struct loop *l, const struct aj_resolve_result *res)
{
	unsigned slot = (unsigned)(res->id & 0xffffffff) >> 1;
	struct conn *c = slot < l->max ? l->slots[slot] : NULL;

	/* The connection may have gone (or timed out) while the name was looked up. */
	if (!c || c->gen != (uint32_t)(res->id >> 32) || c->st != S_RESOLVE)
		return;
	if (res->error) {
		fail(l, c, 502, AJ_SOCKS_HOST_UNREACHABLE, "dns_error", "cannot resolve '%s': %s",
		     c->target.host, gai_strerror(res->error));
		return;
	}
	check_addrs(l, c, res->addrs, res->n_addrs);
}

/* ---- requests ------------------------------------------------------------ */

/* Peek at what the client sent so far; -1 when the connection is done with. */
static ssize_t peek(struct loop *l, struct conn *c)
{
	ssize_t n = recv(c->cfd, l->scratch, AJ_HTTP_HEADER_MAX, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* Closed (or reset) before any complete request: nothing was decided. */
		conn_close(l, c);
		return -1;
	}
	return n;
}

static void consume(struct conn *c, size_t n, char *scratch)
{
	/* The bytes were peeked, so this never waits and never returns fewer. */
	(void)!recv(c->cfd, scratch, n, MSG_DONTWAIT);
}

static void on_http(struct loop *l, struct conn *c, size_t n, bool hup)
{
	struct aj_http_req req;
	size_t end = aj_http_header_end(l->scratch, n);

	c->proto = P_NONE;
	if (!end) {
		if (n >= AJ_HTTP_HEADER_MAX)
			malformed(l, c, 431, "http_request_error",
				  "request header larger than 16 KiB");
		else if (hup)
			malformed(l, c, 400, "http_request_error",
				  "connection closed before the end of the request header");
		return;
	}
	consume(c, end, l->scratch);
	if (aj_http_parse(l->scratch, end, &req) < 0) {
		malformed(l, c, req.status, req.error, req.why);
		return;
	}
	c->target = req.target;
	c->proto = req.kind == AJ_HTTP_CONNECT ? P_CONNECT : P_FORWARD;
	c->out = req.out;
	c->out_len = req.out_len;
	start_target(l, c);
}

static void on_socks(struct loop *l, struct conn *c, bool hup)
{
	for (;;) {
		ssize_t n = peek(l, c);
		uint8_t method, reply, r2[2];
		const uint8_t *b = (const uint8_t *)l->scratch;
		int used;

		if (n < 0)
			return;
		if (c->st == S_FIRST)
			used = aj_socks_greeting(b, (size_t)n, &method);
		else if (c->st == S_SOCKS_AUTH)
			used = aj_socks_userpass(b, (size_t)n);
		else
			used = aj_socks_request(b, (size_t)n, &c->target, &reply);
		if (used < 0) {
			c->proto = P_SOCKS;
			malformed(l, c, 400, "http_request_error", "not a SOCKS5 message");
			return;
		}
		if (used == 0) {
			if (hup) {
				c->proto = P_SOCKS;
				malformed(l, c, 400, "http_request_error",
					  "connection closed in the SOCKS5 handshake");
			}
			return;
		}
		consume(c, (size_t)used, l->scratch);
		if (c->st == S_FIRST) {
			r2[0] = AJ_SOCKS_VERSION, r2[1] = method;
			send_small(c, r2, 2);
			if (method == AJ_SOCKS_AUTH_NO_METHOD) {
				c->proto = P_SOCKS;
				c->st = S_SOCKS_REQUEST;
				malformed(l, c, 400, "http_request_error",
					  "no SOCKS5 authentication method this proxy offers");
				return;
			}
			c->st = method == AJ_SOCKS_AUTH_USERPASS ? S_SOCKS_AUTH : S_SOCKS_REQUEST;
			continue;
		}
		if (c->st == S_SOCKS_AUTH) {
			r2[0] = 1, r2[1] = 0; /* any credentials: the sandbox is the only client */
			send_small(c, r2, 2);
			c->st = S_SOCKS_REQUEST;
			continue;
		}
		c->proto = P_SOCKS;
		if (reply != AJ_SOCKS_OK) {
			decide(l, c, false, "%s",
			       reply == AJ_SOCKS_CMD_UNSUPPORTED ? "only the SOCKS5 CONNECT command is supported"
			       : reply == AJ_SOCKS_ATYP_UNSUPPORTED ? "unsupported SOCKS5 address type"
			       : reply == AJ_SOCKS_HOST_UNREACHABLE ? "not a host name"
								    : "port 0");
			answer_error(l, c, 400, reply, "http_request_error", c->reason);
			return;
		}
		start_target(l, c);
		return;
	}
}

static void on_request(struct loop *l, struct conn *c, uint32_t events)
{
	bool hup = events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR);
	ssize_t n;

	if (c->st == S_SOCKS_AUTH || c->st == S_SOCKS_REQUEST) {
		on_socks(l, c, hup);
		return;
	}
	n = peek(l, c);
	if (n <= 0)
		return;
	if (c->st == S_FIRST) {
		if (l->scratch[0] == AJ_SOCKS_VERSION) {
			on_socks(l, c, hup);
			return;
		}
		if (l->scratch[0] == 4) {
			static const uint8_t rej[8] = { 0, 0x5b };

			send_small(c, rej, sizeof(rej));
			c->no_answer = true;
			malformed(l, c, 400, "http_request_error",
				  "SOCKS4 is not supported; use SOCKS5 (socks5h://)");
			return;
		}
		c->st = S_HTTP_HEADER;
	}
	on_http(l, c, (size_t)n, hup);
}

static void on_drain(struct loop *l, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->cfd, l->scratch, sizeof(l->scratch), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(l, c);
		return;
	}
}

static void on_conn_event(struct loop *l, struct conn *c, bool upstream, uint32_t events)
{
	switch (c->st) {
	case S_FIRST:
	case S_HTTP_HEADER:
	case S_SOCKS_AUTH:
	case S_SOCKS_REQUEST:
		if (!upstream)
			on_request(l, c, events);
		break;
	case S_RESOLVE:
		break; /* the answer decides; a client that left is seen at relay time */
	case S_CONNECT:
		if (upstream)
			on_connect_event(l, c);
		break;
	case S_SEND_HEADER:
		if (upstream)
			send_header(l, c);
		break;
	case S_RELAY:
		pump(l, c);
		break;
	case S_DRAIN:
		if (!upstream)
			on_drain(l, c);
		break;
	}
}

/* ---- deadlines ----------------------------------------------------------- */

static void expire(struct loop *l, struct conn *c)
{
	switch (c->st) {
	case S_FIRST:
	case S_HTTP_HEADER:
	case S_SOCKS_AUTH:
	case S_SOCKS_REQUEST:
		malformed(l, c, 408, "http_request_error",
			  "the request did not arrive within 10 seconds");
		break;
	case S_RESOLVE:
		fail(l, c, 504, AJ_SOCKS_HOST_UNREACHABLE, "dns_timeout",
		     "resolving '%s' timed out", c->target.host);
		break;
	case S_CONNECT:
		close_fd(&c->ufd);
		connect_next(l, c, ETIMEDOUT);
		break;
	case S_SEND_HEADER:
		fail(l, c, 504, 0, "connection_timeout", "the server does not read the request");
		break;
	case S_RELAY:
	case S_DRAIN:
		conn_close(l, c);
		break;
	}
}

static void sweep(struct loop *l, int64_t now)
{
	for (unsigned i = 0; i < l->max; i++) {
		struct conn *c = l->slots[i];

		if (c && c->deadline && c->deadline <= now)
			expire(l, c);
	}
}

/* ---- the loop ------------------------------------------------------------ */

static void on_accept(struct loop *l)
{
	for (unsigned k = 0; k < 64; k++) {
		struct conn *c;
		int fd;

		if (l->n_open >= l->max) {
			/* Full: stop listening until a connection ends (the backlog waits). */
			if (ep_mod(l, l->cfg->listen_fd, 0, EV_LISTEN) == 0)
				l->accepting = false;
			return;
		}
		fd = accept4(l->cfg->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or EMFILE and the like: try again at the next event */
		c = calloc(1, sizeof(*c));
		if (!c) {
			(void)close(fd);
			return;
		}
		*c = (struct conn){ .cfd = fd, .ufd = -EBADF, .up = { -EBADF, -EBADF },
				    .down = { -EBADF, -EBADF }, .st = S_FIRST };
		c->slot = l->free_slots[--l->n_free];
		c->gen = ++l->gen;
		c->deadline = now_ms() + AJ_PROXY_HEADER_TIMEOUT_MS;
		l->slots[c->slot] = c;
		l->n_open++;
		if (ep_add(l, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, ev_data(c, false)) < 0)
			conn_close(l, c);
	}
}

static void on_resolver(struct loop *l)
{
	struct aj_resolve_result res;

	while (aj_resolver_collect(l->resolver, &res) == 0)
		on_resolved(l, &res);
}

static unsigned choose_max(unsigned asked)
{
	struct rlimit rl;
	unsigned by_fds;

	if (asked)
		return asked;
	/* Each connection holds six fds: client, server, two pipes. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && rl.rlim_cur < 65536) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* keep the old limit if refused */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
		return 8;
	by_fds = (unsigned)((rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur) - 32) / 6;
	return by_fds < 4096 ? by_fds : 4096;
}

static void loop_free(struct loop *l)
{
	for (unsigned i = 0; l->slots && i < l->max; i++)
		if (l->slots[i])
			conn_close(l, l->slots[i]);
	aj_resolver_free(l->resolver);
	free(l->slots);
	free(l->free_slots);
	if (l->ep >= 0)
		(void)close(l->ep);
	free(l);
}

static int loop_run(struct loop *l)
{
	struct epoll_event evs[MAX_EVENTS];

	for (;;) {
		int timeout = l->n_ready ? 0 : l->n_open ? SWEEP_MS : -1;
		int n = epoll_wait(l->ep, evs, MAX_EVENTS, timeout);
		int64_t now;

		if (n < 0 && errno != EINTR)
			return aj_err(-errno, "proxy: epoll_wait");
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			struct conn *c;
			unsigned slot;

			if (d == EV_LISTEN) {
				on_accept(l);
				continue;
			}
			if (d == EV_SIGNAL)
				return 0;
			if (d == EV_RESOLVER) {
				on_resolver(l);
				continue;
			}
			slot = (unsigned)(d & 0xffffffff) >> 1;
			c = l->slots[slot];
			if (c && c->gen == (uint32_t)(d >> 32))
				on_conn_event(l, c, d & 1, evs[i].events);
		}
		/* Connections whose budget ran out, once each; pump() may queue them again. */
		for (unsigned k = l->n_ready; k > 0 && l->ready_head; k--) {
			struct conn *c = l->ready_head;

			ready_unlink(l, c);
			if (c->st == S_RELAY)
				pump(l, c);
		}
		now = now_ms();
		if (now >= l->next_sweep) {
			sweep(l, now);
			l->next_sweep = now + SWEEP_MS;
		}
	}
}

int aj_proxy_serve(const struct aj_proxy_config *cfg)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return aj_err(-ENOMEM, "proxy: Out of memory");
	l->cfg = cfg;
	l->ep = -EBADF;
	l->max = choose_max(cfg->max_conns);
	l->slots = calloc(l->max, sizeof(*l->slots));
	l->free_slots = calloc(l->max, sizeof(*l->free_slots));
	if (!l->slots || !l->free_slots) {
		loop_free(l);
		return aj_err(-ENOMEM, "proxy: Out of memory");
	}
	for (unsigned i = 0; i < l->max; i++)
		l->free_slots[i] = l->max - 1 - i;
	l->n_free = l->max;
	r = aj_resolver_new(RESOLVER_THREADS, &l->resolver);
	if (r < 0) {
		loop_free(l);
		return aj_err(r, "proxy: resolver");
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0 || ep_add(l, cfg->listen_fd, EPOLLIN, EV_LISTEN) < 0 ||
	    ep_add(l, aj_resolver_fd(l->resolver), EPOLLIN, EV_RESOLVER) < 0 ||
	    (cfg->signal_fd >= 0 && ep_add(l, cfg->signal_fd, EPOLLIN, EV_SIGNAL) < 0)) {
		r = -errno;
		loop_free(l);
		return aj_err(r, "proxy: epoll");
	}
	l->accepting = true;
	l->next_sweep = now_ms() + SWEEP_MS;
	r = loop_run(l);
	loop_free(l);
	return r;
}
