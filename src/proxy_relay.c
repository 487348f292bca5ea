/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Connecting to the server (each allowed address in turn, non-blocking) and
 * relaying: peek, send, drop, through one buffer all connections share (see
 * move()); half-closes are passed on; each pump moves a bounded amount
 * before the other connections get their turn.
 *
 * Why not splice(2) through pipes (this relay's first form, zero-copy):
 * measured on loopback it moved 0.35-0.45 of a direct transfer, the peek
 * relay 0.62-0.70 (bench/net-proxy.sh), and 0.91-1.15 once the sandbox's
 * lo took large packets (net.c), which did not help splice.  Spliced data
 * moves in pipe-sized chunks (1 MiB at most unprivileged, fs.pipe-max-size)
 * and each chunk costs wake-ups on both sides, which cost more than the two
 * copies the big buffer adds.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/proxy_socks.h"
#include "proxy_int.h"

/* ---- relay --------------------------------------------------------------- */

/*
 * One direction, src -> dst, through the loop's one relay buffer: peek at
 * what src holds, send what dst takes, then drop exactly that much from src
 * (MSG_TRUNC discards without copying).  Bytes dst cannot take yet stay in
 * src's receive queue, so TCP's own window holds the sender back and a
 * connection keeps no data of its own in the proxy between events.  Returns
 * bytes sent to dst, or -errno.
 */
static ssize_t move(struct loop *l, int src, int dst, bool *src_eof, bool *dst_shut, size_t budget)
{
	ssize_t total = 0;

	while (!*src_eof && (size_t)total < budget) {
		ssize_t n = recv(src, l->relay_buf, RELAY_BUF, MSG_PEEK | MSG_DONTWAIT), w;

		if (n == 0) {
			*src_eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break; /* drained: the next EPOLLIN edge comes with more */
			return -errno;
		}
		if ((size_t)n > RELAY_SMALL)
			l->relay_hot = l->relay_busy = true;
		w = send(dst, l->relay_buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break; /* dst full: its EPOLLOUT edge comes when there is room */
			return -errno;
		}
		/*
		 * The peeked bytes are still queued and only this thread reads src.
		 * TCP's MSG_TRUNC writes nothing; the buffer is named for checkers.
		 */
		if (recv(src, l->relay_buf, (size_t)w, MSG_TRUNC | MSG_DONTWAIT) != w)
			return -EIO;
		total += w;
		if (w < n)
			break;
	}
	if (*src_eof && !*dst_shut) {
		(void)shutdown(dst, SHUT_WR); /* pass the half-close on */
		*dst_shut = true;
	}
	return total;
}

/* Nothing to relay: give the buffer's touched pages back to the kernel. */
void aj_proxy_relay_idle(struct loop *l)
{
	if (l->relay_hot && madvise(l->relay_buf, RELAY_BUF, MADV_DONTNEED) == 0)
		l->relay_hot = false;
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

void aj_proxy_pump(struct loop *l, struct conn *c)
{
	ssize_t up, down;

	up = move(l, c->cfd, c->ufd, &c->c_eof, &c->u_shut, PUMP_BUDGET);
	if (up < 0) {
		aj_proxy_conn_close(l, c);
		return;
	}
	c->bytes_up += (uint64_t)up;
	down = move(l, c->ufd, c->cfd, &c->u_eof, &c->c_shut, PUMP_BUDGET);
	if (down < 0) {
		aj_proxy_conn_close(l, c);
		return;
	}
	c->bytes_down += (uint64_t)down;
	if (c->u_shut && c->c_shut) {
		aj_proxy_conn_close(l, c);
		return;
	}
	/* Edge-triggered: a connection stopped by its budget gets no new event. */
	if ((size_t)up >= PUMP_BUDGET || (size_t)down >= PUMP_BUDGET)
		enqueue(l, c);
}

/* Events for the relay, before the client is told it may go on. */
static int relay_prepare(struct loop *l, struct conn *c)
{
	int one = 1;

	/* The proxy forwards what it has at once; Nagle would hold small writes back. */
	(void)setsockopt(c->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(c->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ep_mod(l, c->cfd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, ev_data(c, false)) < 0) {
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

