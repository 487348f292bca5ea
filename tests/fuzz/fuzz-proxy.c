/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * libFuzzer harness: what the proxy reads from the sandbox, which is
 * hostile input parsed outside it.  The same bytes go through the HTTP
 * request parser (proxy_http.c) and the SOCKS5 handshake (proxy_socks.c),
 * as the proxy's loop feeds them; a parsed target then meets a policy
 * (netpolicy.c), and the first line of the input is also tried as a host
 * pattern.  Besides the sanitizers, the harness checks what the proxy
 * relies on afterwards: lengths within the input, a target that is a
 * NUL-terminated name with a port, a rewritten header that ends where a
 * header ends.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/netpolicy.h"
#include "agentjail/proxy_http.h"
#include "agentjail/proxy_socks.h"
#include "fuzz.h"

static struct aj_netpolicy *policy(void)
{
	static struct aj_netpolicy *p;
	static char *allow[] = { "example.com", "*.example.org:443", "10.0.0.0/8", "[::1]:80" };
	static char *deny[] = { "bad.example.org", "169.254.169.254" };

	if (!p && aj_netpolicy_new(allow, 4, deny, 2, &p, NULL) < 0)
		abort();
	return p;
}

static void check_target(const struct aj_target *t)
{
	char why[256];
	size_t len = strnlen(t->host, sizeof(t->host));

	if (len == 0 || len == sizeof(t->host))
		abort(); /* a target is a name, always terminated */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t->host[i] <= ' ' || t->host[i] == 0x7f)
			abort(); /* it goes into log lines and answers as one word */
	if (aj_netpolicy_check_name(policy(), t, why, sizeof(why)) && t->is_addr)
		(void)aj_netpolicy_check_addr(policy(), &t->addr, t->port, why, sizeof(why));
}

static void http(const char *b, size_t n)
{
	struct aj_http_req req;
	size_t end = aj_http_header_end(b, n);

	if (end > n)
		abort();
	if (end == 0)
		return;
	memset(&req, 0, sizeof(req));
	if (aj_http_parse(b, end, &req) == 0) {
		check_target(&req.target);
		if (req.kind == AJ_HTTP_FORWARD &&
		    (!req.out || req.out_len < 4 || memcmp(req.out + req.out_len - 4, "\r\n\r\n", 4) != 0 ||
		     aj_http_header_end(req.out, req.out_len) != req.out_len))
			abort(); /* the rewritten header is one whole header */
	} else if (req.status < 400 || req.status > 599 || !req.error || !req.why) {
		abort(); /* a refusal always has its answer */
	}
	free(req.out);
}

/* A SOCKS step used `used` bytes of *n: go past them; false when it used none. */
static bool consumed(int used, const uint8_t **b, size_t *n)
{
	if (used <= 0)
		return false;
	if ((size_t)used > *n)
		abort(); /* a parser claimed bytes it was not given */
	*b += used;
	*n -= (size_t)used;
	return true;
}

static void socks(const uint8_t *b, size_t n)
{
	struct aj_target t;
	uint8_t method, reply;
	int used;

	if (!consumed(aj_socks_greeting(b, n, &method), &b, &n))
		return;
	if (method == AJ_SOCKS_AUTH_USERPASS && !consumed(aj_socks_userpass(b, n), &b, &n))
		return;
	memset(&t, 0, sizeof(t));
	used = aj_socks_request(b, n, &t, &reply);
	if (used > 0 && (size_t)used > n)
		abort();
	if (used > 0 && reply == AJ_SOCKS_OK)
		check_target(&t);
}

static void pattern(const char *b, size_t n)
{
	const char *nl = memchr(b, '\n', n);
	size_t len = nl ? (size_t)(nl - b) : n;
	char text[512];
	struct aj_hostpat pat;
	const char *why = NULL;

	if (len >= sizeof(text))
		return;
	memcpy(text, b, len);
	text[len] = '\0';
	if (aj_hostpat_parse(text, &pat, &why) < 0 && !why)
		abort(); /* a refused pattern says why */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The proxy reads at most one header's worth before it decides. */
	if (size > AJ_HTTP_HEADER_MAX)
		size = AJ_HTTP_HEADER_MAX;
	http((const char *)data, size);
	socks(data, size);
	pattern((const char *)data, size);
	return 0;
}
