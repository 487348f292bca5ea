/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Connecting to the server (each allowed address in turn, non-blocking) and
 * relaying: splice(2) through two pipes per connection, so the bytes never
 * enter user space; half-closes are passed on; each pump moves a bounded
 * amount before the other connections get their turn.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/proxy_socks.h"
#include "proxy_int.h"

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

void aj_proxy_pump(struct loop *l, struct conn *c)
{
	ssize_t up, down;

	up = move(c->cfd, c->ufd, c->up, &c->up_cap, &c->up_n, &c->c_eof, &c->u_shut, PUMP_BUDGET);
	if (up < 0) {
		aj_proxy_conn_close(l, c);
		return;
	}
	c->bytes_up += (uint64_t)up;
	grow(c->up, &c->up_cap, &c->up_grown, c->bytes_up);
	down = move(c->ufd, c->cfd, c->down, &c->down_cap, &c->down_n, &c->u_eof, &c->c_shut,
		    PUMP_BUDGET);
	if (down < 0) {
		aj_proxy_conn_close(l, c);
		return;
	}
	c->bytes_down += (uint64_t)down;
	grow(c->down, &c->down_cap, &c->down_grown, c->bytes_down);
	if (c->u_shut && c->c_shut) {
		aj_proxy_conn_close(l, c);
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
		aj_proxy_fail(l, c, 503, AJ_SOCKS_FAILURE, "proxy_internal_error", "out of file descriptors");
		return -EMFILE;
	}
	return 0;
}

static void start_relay(struct loop *l, struct conn *c)
{
	c->st = S_RELAY;
	c->deadline = 0;
	aj_proxy_pump(l, c);
}

void aj_proxy_send_header(struct loop *l, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->ufd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN)
			return; /* EPOLLOUT will come */
		if (n < 0) {
			aj_proxy_fail(l, c, 502, 0, "connection_terminated", "sending the request: %s",
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
		aj_proxy_send_small(c, ok, sizeof(ok) - 1);
		start_relay(l, c);
		break;
	case P_SOCKS: {
		uint8_t r[10];

		aj_socks_reply(AJ_SOCKS_OK, r);
		aj_proxy_send_small(c, r, sizeof(r));
		start_relay(l, c);
		break;
	}
	case P_FORWARD:
		c->st = S_SEND_HEADER;
		c->deadline = now_ms() + AJ_PROXY_CONNECT_TIMEOUT_MS;
		aj_proxy_send_header(l, c);
		break;
	case P_NONE:
		aj_proxy_conn_close(l, c);
		break;
	}
}

/* ---- connect ------------------------------------------------------------- */

void aj_proxy_connect_next(struct loop *l, struct conn *c, int last_err)
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
			aj_proxy_close_fd(&c->ufd);
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
			aj_proxy_fail(l, c, 504, AJ_SOCKS_TTL_EXPIRED, "connection_timeout",
			     "connecting to %s port %u timed out", txt, c->target.port);
		else
			aj_proxy_fail(l, c, 502,
			     last_err == ECONNREFUSED ? AJ_SOCKS_REFUSED
			     : last_err == ENETUNREACH ? AJ_SOCKS_NET_UNREACHABLE
						       : AJ_SOCKS_HOST_UNREACHABLE,
			     last_err == ECONNREFUSED ? "connection_refused" : "destination_unavailable",
			     "connect to %s port %u: %s", txt, c->target.port, strerror(last_err));
	}
}

void aj_proxy_on_connect_event(struct loop *l, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == 0) {
		connected(l, c);
		return;
	}
	aj_proxy_close_fd(&c->ufd);
	aj_proxy_connect_next(l, c, err);
}

