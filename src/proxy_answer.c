/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * What the proxy says: to the log (verbose stderr and the JSON decision log,
 * from log_record() alone), and to a client it refuses (an HTTP status with
 * the reason, or a SOCKS5 reply), followed by a drain so the answer is read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/log.h"
#include "agentjail/netlog.h"
#include "agentjail/proxy_socks.h"
#include "proxy_int.h"

const char *aj_proxy_proto_name(enum proto p)
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

/* Was this refusal reported already?  Remembers it (a hash of host and port) if not. */
static bool denied_before(struct loop *l, const char *host, unsigned port)
{
	uint64_t h = 0xcbf29ce484222325u ^ port;

	for (const char *s = host; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	for (unsigned i = 0; i < l->n_denied; i++)
		if (l->denied[i] == h)
			return true;
	if (l->n_denied < sizeof(l->denied) / sizeof(l->denied[0]))
		l->denied[l->n_denied++] = h;
	return false;
}

/* The one place a decision is written: verbose stderr and the JSON log. */
void aj_proxy_log_record(struct loop *l, struct conn *c, bool final)
{
	struct aj_netlog_entry e = {
		.time = c->t0, .host = c->target.host, .port = c->target.port,
		.allow = c->allowed, .reason = c->reason,
		.bytes_up = c->bytes_up, .bytes_down = c->bytes_down,
	};
	const char *host = c->target.host[0] ? c->target.host : "?";
	bool v6 = c->target.is_addr && c->target.addr.family == AF_INET6;

	if (!final && (c->allowed || aj_log_verbose() > 1 || !denied_before(l, host, c->target.port))) {
		aj_debug("proxy: %s %s%s%s:%u (%s): %s", c->allowed ? "allow" : "deny",
			 v6 ? "[" : "", host, v6 ? "]" : "", c->target.port, aj_proxy_proto_name(c->proto),
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

void aj_proxy_decide(struct loop *l, struct conn *c, bool allow, const char *fmt, ...)
{
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &c->t0);
	c->allowed = allow;
	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	aj_proxy_log_record(l, c, false);
}

/* A short answer to the client; it fits an empty socket buffer, so never waits. */
void aj_proxy_send_small(struct conn *c, const void *buf, size_t len)
{
	(void)send(c->cfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Answer an error (HTTP status or SOCKS reply), then drain and close. */
void aj_proxy_answer_error(struct loop *l, struct conn *c, int status, uint8_t socks,
			 const char *error, const char *message)
{
	if (c->no_answer) {
		/* said already, in another protocol */
	} else if (c->proto == P_SOCKS || c->st == S_SOCKS_REQUEST || c->st == S_SOCKS_AUTH) {
		uint8_t r[10];

		aj_socks_reply(socks, r);
		aj_proxy_send_small(c, r, sizeof(r));
	} else {
		char buf[2048];
		size_t n = aj_http_error(buf, sizeof(buf), status, error, message);

		aj_proxy_send_small(c, buf, n);
	}
	aj_proxy_close_fd(&c->ufd);
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

void aj_proxy_refuse(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error)
{
	char msg[768];

	snprintf(msg, sizeof(msg), "agentjail: %s to %s:%u refused: %s", aj_proxy_proto_name(c->proto),
		 c->target.host[0] ? c->target.host : "?", c->target.port, c->reason);
	aj_proxy_answer_error(l, c, status, socks, error, msg);
}

/* The request could not be served although the policy allowed it. */
void aj_proxy_fail(struct loop *l, struct conn *c, int status, uint8_t socks, const char *error,
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
	snprintf(msg, sizeof(msg), "agentjail: %s to %s:%u failed: %s", aj_proxy_proto_name(c->proto),
		 c->target.host, c->target.port, what);
	aj_proxy_answer_error(l, c, status, socks, error, msg);
}

/* A request that is not one: refused at once, logged with what is known. */
void aj_proxy_malformed(struct loop *l, struct conn *c, int status, const char *error,
		      const char *why)
{
	aj_proxy_decide(l, c, false, "malformed %s: %s", aj_proxy_proto_name(c->proto), why);
	{
		char msg[320];

		snprintf(msg, sizeof(msg), "agentjail: proxy: %s", why);
		aj_proxy_answer_error(l, c, status, AJ_SOCKS_FAILURE, error, msg);
	}
}

