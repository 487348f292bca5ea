/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Requests and decisions.  A request (HTTP header or SOCKS5 handshake) is
 * read with MSG_PEEK into the loop's one buffer and consumed only once
 * complete, so a connection still talking holds no buffer of its own.  The
 * name is checked, resolved (resolve.c), and every address checked again.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agentjail/log.h"
#include "agentjail/proxy_socks.h"
#include "proxy_int.h"

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
		aj_proxy_decide(l, c, false, "%s", why);
		aj_proxy_refuse(l, c, 403, AJ_SOCKS_NOT_ALLOWED, "destination_ip_prohibited");
		return;
	}
	aj_proxy_connect_next(l, c, EHOSTUNREACH);
}

static void start_target(struct loop *l, struct conn *c)
{
	char why[192];
	int r;

	if (!aj_netpolicy_check_name(l->cfg->policy, &c->target, why, sizeof(why))) {
		aj_proxy_decide(l, c, false, "%s", why);
		aj_proxy_refuse(l, c, 403, AJ_SOCKS_NOT_ALLOWED, "http_request_denied");
		return;
	}
	aj_proxy_decide(l, c, true, "%s", why);
	if (c->target.is_addr) {
		check_addrs(l, c, &c->target.addr, 1);
		return;
	}
	r = aj_resolver_submit(l->resolver, ev_data(c, false), c->target.host);
	if (r < 0) {
		aj_proxy_fail(l, c, 503, AJ_SOCKS_FAILURE, "proxy_internal_error", "cannot resolve: %s",
		     strerror(-r));
		return;
	}
	c->st = S_RESOLVE;
	c->deadline = now_ms() + AJ_PROXY_RESOLVE_TIMEOUT_MS;
}

void aj_proxy_on_resolved(struct loop *l, const struct aj_resolve_result *res)
{
	unsigned slot = (unsigned)(res->id & 0xffffffff) >> 1;
	struct conn *c = slot < l->max ? l->slots[slot] : NULL;

	/* The connection may have gone (or timed out) while the name was looked up. */
	if (!c || c->gen != (uint32_t)(res->id >> 32) || c->st != S_RESOLVE)
		return;
	if (res->error) {
		aj_proxy_fail(l, c, 502, AJ_SOCKS_HOST_UNREACHABLE, "dns_error", "cannot resolve '%s': %s",
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
		aj_proxy_conn_close(l, c);
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
			aj_proxy_malformed(l, c, 431, "http_request_error",
				  "request header larger than 16 KiB");
		else if (hup)
			aj_proxy_malformed(l, c, 400, "http_request_error",
				  "connection closed before the end of the request header");
		return;
	}
	consume(c, end, l->scratch);
	if (aj_http_parse(l->scratch, end, &req) < 0) {
		aj_proxy_malformed(l, c, req.status, req.error, req.why);
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
			aj_proxy_malformed(l, c, 400, "http_request_error", "not a SOCKS5 message");
			return;
		}
		if (used == 0) {
			if (hup) {
				c->proto = P_SOCKS;
				aj_proxy_malformed(l, c, 400, "http_request_error",
					  "connection closed in the SOCKS5 handshake");
			}
			return;
		}
		consume(c, (size_t)used, l->scratch);
		if (c->st == S_FIRST) {
			r2[0] = AJ_SOCKS_VERSION, r2[1] = method;
			aj_proxy_send_small(c, r2, 2);
			if (method == AJ_SOCKS_AUTH_NO_METHOD) {
				c->proto = P_SOCKS;
				c->st = S_SOCKS_REQUEST;
				aj_proxy_malformed(l, c, 400, "http_request_error",
					  "no SOCKS5 authentication method this proxy offers");
				return;
			}
			c->st = method == AJ_SOCKS_AUTH_USERPASS ? S_SOCKS_AUTH : S_SOCKS_REQUEST;
			continue;
		}
		if (c->st == S_SOCKS_AUTH) {
			r2[0] = 1, r2[1] = 0; /* any credentials: the sandbox is the only client */
			aj_proxy_send_small(c, r2, 2);
			c->st = S_SOCKS_REQUEST;
			continue;
		}
		c->proto = P_SOCKS;
		if (reply != AJ_SOCKS_OK) {
			aj_proxy_decide(l, c, false, "%s",
			       reply == AJ_SOCKS_CMD_UNSUPPORTED ? "only the SOCKS5 CONNECT command is supported"
			       : reply == AJ_SOCKS_ATYP_UNSUPPORTED ? "unsupported SOCKS5 address type"
			       : reply == AJ_SOCKS_HOST_UNREACHABLE ? "not a host name"
								    : "port 0");
			aj_proxy_answer_error(l, c, 400, reply, "http_request_error", c->reason);
			return;
		}
		start_target(l, c);
		return;
	}
}

void aj_proxy_on_request(struct loop *l, struct conn *c, uint32_t events)
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

			aj_proxy_send_small(c, rej, sizeof(rej));
			c->no_answer = true;
			aj_proxy_malformed(l, c, 400, "http_request_error",
				  "SOCKS4 is not supported; use SOCKS5 (socks5h://)");
			return;
		}
		c->st = S_HTTP_HEADER;
	}
	on_http(l, c, (size_t)n, hup);
}

void aj_proxy_on_drain(struct loop *l, struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->cfd, l->scratch, sizeof(l->scratch), MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		aj_proxy_conn_close(l, c);
		return;
	}
}

