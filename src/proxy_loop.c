/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The proxy's event loop: one thread, one epoll set, edge-triggered.
 *
 * A connection goes: request (HTTP header or SOCKS5 handshake, read with
 * MSG_PEEK into one buffer shared by all connections, so a connection that
 * is still talking costs no buffer of its own) -> decision on the name ->
 * resolution (resolve.c) -> decision on each address -> non-blocking
 * connect -> relay.  The relay peeks at what one side holds, sends what the
 * other side takes and drops that much (proxy_relay.c), through one buffer
 * shared by all connections: the proxy holds no data of a connection between
 * events, TCP's windows do the holding back.
 *
 * A hostile client can hurt only itself: requests have a size cap and a
 * deadline, refusals are answered without blocking, and each event handles
 * a bounded amount of data before others get their turn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/proxy_socks.h"
#include "agentjail/resolve.h"
#include "cleanup.h"
#include "proxy_int.h"

unsigned long aj_proxy_conn_size(void)
{
	return sizeof(struct conn) + sizeof(struct conn *) + sizeof(unsigned);
}

/* ---- connections --------------------------------------------------------- */

void aj_proxy_close_fd(int *fd)
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

void aj_proxy_conn_close(struct loop *l, struct conn *c)
{
	ready_unlink(l, c);
	if (c->allowed)
		aj_proxy_log_record(l, c, true);
	aj_proxy_close_fd(&c->cfd);
	aj_proxy_close_fd(&c->ufd);
	free(c->out);
	l->slots[c->slot] = NULL;
	l->free_slots[l->n_free++] = c->slot;
	l->n_open--;
	free(c);
	if (l->n_open == 0)
		aj_proxy_relay_idle(l); /* the loop sleeps without sweeps now */
	if (!l->accepting && l->n_open < l->max) {
		if (ep_mod(l, l->cfg->listen_fd, EPOLLIN, EV_LISTEN) == 0)
			l->accepting = true;
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
			aj_proxy_on_request(l, c, events);
		break;
	case S_RESOLVE:
		break; /* the answer decides; a client that left is seen at relay time */
	case S_CONNECT:
		if (upstream)
			aj_proxy_on_connect_event(l, c);
		break;
	case S_SEND_HEADER:
		if (upstream)
			aj_proxy_send_header(l, c);
		break;
	case S_RELAY:
		aj_proxy_pump(l, c);
		break;
	case S_DRAIN:
		if (!upstream)
			aj_proxy_on_drain(l, c);
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
		aj_proxy_malformed(l, c, 408, "http_request_error",
			  "the request did not arrive within 10 seconds");
		break;
	case S_RESOLVE:
		aj_proxy_fail(l, c, 504, AJ_SOCKS_HOST_UNREACHABLE, "dns_timeout",
		     "resolving '%s' timed out", c->target.host);
		break;
	case S_CONNECT:
		aj_proxy_close_fd(&c->ufd);
		aj_proxy_connect_next(l, c, ETIMEDOUT);
		break;
	case S_SEND_HEADER:
		aj_proxy_fail(l, c, 504, 0, "connection_timeout", "the server does not read the request");
		break;
	case S_RELAY:
	case S_DRAIN:
		aj_proxy_conn_close(l, c);
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
	if (!l->relay_busy)
		aj_proxy_relay_idle(l); /* open but quiet connections need no bulk buffer */
	l->relay_busy = false;
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
		*c = (struct conn){ .cfd = fd, .ufd = -EBADF, .st = S_FIRST };
		c->slot = l->free_slots[--l->n_free];
		c->gen = ++l->gen;
		c->deadline = now_ms() + AJ_PROXY_HEADER_TIMEOUT_MS;
		l->slots[c->slot] = c;
		l->n_open++;
		if (ep_add(l, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, ev_data(c, false)) < 0)
			aj_proxy_conn_close(l, c);
	}
}

static void on_resolver(struct loop *l)
{
	struct aj_resolve_result res;

	while (aj_resolver_collect(l->resolver, &res) == 0)
		aj_proxy_on_resolved(l, &res);
}

static unsigned choose_max(unsigned asked)
{
	struct rlimit rl;
	unsigned by_fds;

	if (asked)
		return asked;
	/* Each connection holds two fds: client and server. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max && rl.rlim_cur < 65536) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		(void)setrlimit(RLIMIT_NOFILE, &rl); /* keep the old limit if refused */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 64)
		return 8;
	by_fds = (unsigned)((rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur) - 32) / 2;
	return by_fds < 4096 ? by_fds : 4096;
}

static void loop_free(struct loop *l)
{
	for (unsigned i = 0; l->slots && i < l->max; i++)
		if (l->slots[i])
			aj_proxy_conn_close(l, l->slots[i]);
	aj_resolver_free(l->resolver);
	free(l->slots);
	free(l->free_slots);
	if (l->relay_buf != MAP_FAILED)
		(void)munmap(l->relay_buf, RELAY_BUF);
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
		/* Connections whose budget ran out, once each; aj_proxy_pump() may queue them again. */
		for (unsigned k = l->n_ready; k > 0 && l->ready_head; k--) {
			struct conn *c = l->ready_head;

			ready_unlink(l, c);
			if (c->st == S_RELAY)
				aj_proxy_pump(l, c);
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
	l->relay_buf = MAP_FAILED;
	l->max = choose_max(cfg->max_conns);
	l->slots = calloc(l->max, sizeof(*l->slots));
	l->free_slots = calloc(l->max, sizeof(*l->free_slots));
	/* Mapped, not touched: it costs nothing until bulk data comes. */
	l->relay_buf = mmap(NULL, RELAY_BUF, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!l->slots || !l->free_slots || l->relay_buf == MAP_FAILED) {
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

