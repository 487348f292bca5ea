/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The HTTP side of the proxy.  The parser is strict where leniency would let
 * a request mean two things (obsolete line folding, whitespace before the
 * colon, control bytes, user info in the URI), and it never forwards the
 * client's Host: the upstream is told the host that was checked, so a
 * request cannot name one host to the policy and another to the server.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agentjail/proxy_http.h"
#include "cleanup.h"

size_t aj_http_header_end(const char *buf, size_t len)
{
	const char *p = memmem(buf, len, "\r\n\r\n", 4);

	return p ? (size_t)(p - buf) + 4 : 0;
}

const char *aj_http_reason(int status)
{
	switch (status) {
	case 200: return "Connection established";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

/* The text of a field value that may travel in a quoted string. */
static void sanitize(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < size; src++) {
		unsigned char c = (unsigned char)*src;

		dst[n++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '\'' : (char)c;
	}
	dst[n] = '\0';
}

size_t aj_http_error(char *buf, size_t size, int status, const char *error, const char *message)
{
	char details[400];
	int n;

	sanitize(details, sizeof(details), message);
	n = snprintf(buf, size,
		     "HTTP/1.1 %d %s\r\n"
		     "Content-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: %zu\r\n"
		     "Connection: close\r\n"
		     "Proxy-Status: agentjail; error=%s; details=\"%s\"\r\n"
		     "\r\n"
		     "%s\n",
		     status, aj_http_reason(status), strlen(details) + 1, error, details, details);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

static int fail(struct aj_http_req *req, int status, const char *error, const char *why)
{
	req->status = status;
	req->error = error;
	req->why = why;
	return -EINVAL;
}

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* host[:port] of len bytes; default_port when absent (0: a port is required). */
static int parse_authority(const char *s, size_t len, unsigned default_port,
			   struct aj_target *t)
{
	const char *colon = NULL;
	unsigned long port = default_port;
	size_t hlen = len;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - s) + 1;
		if (hlen < len) {
			if (s[hlen] != ':')
				return -EINVAL;
			colon = s + hlen;
		}
	} else {
		colon = memrchr(s, ':', len);
		if (colon)
			hlen = (size_t)(colon - s);
	}
	if (colon) {
		const char *p = colon + 1, *end = s + len;

		if (p == end || end - p > 5)
			return -EINVAL;
		for (port = 0; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			port = port * 10 + (unsigned long)(*p - '0');
		}
	}
	if (port == 0 || port > 65535 || hlen == 0)
		return -EINVAL;
	return aj_target_set(t, s, hlen, (uint16_t)port);
}

/* Fields the upstream must not see: hop-by-hop ones, and the ones we set. */
static bool dropped_field(const char *name, size_t len)
{
	static const char *const drop[] = { "host", "connection", "proxy-connection", "keep-alive",
					    "proxy-authorization", "upgrade" };

	for (size_t i = 0; i < ELEMENTSOF(drop); i++)
		if (strlen(drop[i]) == len && strncasecmp(drop[i], name, len) == 0)
			return true;
	return false;
}

struct buf {
	char *data;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->len + len > b->cap)
		return -ENOMEM;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	return 0;
}

int aj_http_parse(const char *buf, size_t len, struct aj_http_req *req)
{
	const char *end = buf + len, *line_end, *sp1, *sp2, *p, *target, *path;
	size_t tlen, n_fields = 0;
	struct buf out = { 0 };
	_cleanup_free_ char *mem = NULL;

	*req = (struct aj_http_req){ 0 };
	if (!buf || len < 4 || memcmp(end - 4, "\r\n\r\n", 4) != 0)
		return fail(req, 400, "http_request_error", "the request header does not end");

	/* Request line: METHOD SP target SP HTTP/1.x */
	line_end = memmem(buf, len, "\r\n", 2);
	sp1 = memchr(buf, ' ', (size_t)(line_end - buf));
	if (!sp1 || sp1 == buf || (size_t)(sp1 - buf) >= sizeof(req->method))
		return fail(req, 400, "http_request_error", "malformed request line");
	for (p = buf; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return fail(req, 400, "http_request_error", "malformed request method");
	memcpy(req->method, buf, (size_t)(sp1 - buf));
	target = sp1 + 1;
	sp2 = memchr(target, ' ', (size_t)(line_end - target));
	if (!sp2 || sp2 == target || line_end - sp2 != 9 ||
	    (memcmp(sp2 + 1, "HTTP/1.1", 8) != 0 && memcmp(sp2 + 1, "HTTP/1.0", 8) != 0))
		return fail(req, 400, "http_request_error",
			    "malformed request line (expected METHOD TARGET HTTP/1.x)");
	tlen = (size_t)(sp2 - target);
	for (p = target; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return fail(req, 400, "http_request_error", "malformed request target");

	/* Header fields: checked here for both kinds, even when unused. */
	for (p = line_end + 2; p < end - 2; p = line_end + 2) {
		const char *colon;

		line_end = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (++n_fields > AJ_HTTP_FIELDS_MAX)
			return fail(req, 431, "http_request_error", "too many header fields");
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (!colon || colon == p)
			return fail(req, 400, "http_request_error", "malformed header field");
		for (const char *q = p; q < colon; q++)
			if (!is_tchar((unsigned char)*q))
				return fail(req, 400, "http_request_error",
					    "malformed header field name");
		for (const char *q = colon + 1; q < line_end; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return fail(req, 400, "http_request_error",
					    "control character in a header field");
	}

	if (strcmp(req->method, "CONNECT") == 0) {
		req->kind = AJ_HTTP_CONNECT;
		if (parse_authority(target, tlen, 0, &req->target) < 0)
			return fail(req, 400, "http_request_error",
				    "CONNECT needs host:port (IPv6 in brackets)");
		return 0;
	}

	if (tlen >= 8 && strncasecmp(target, "https://", 8) == 0)
		return fail(req, 400, "http_request_error",
			    "https through this proxy goes by CONNECT (set HTTPS_PROXY)");
	if (tlen < 7 || strncasecmp(target, "http://", 7) != 0) {
		if (target[0] == '/')
			return fail(req, 400, "http_request_error",
				    "this is a proxy: send an absolute URI (http://host/path) "
				    "or CONNECT host:port");
		return fail(req, 501, "http_request_error", "only http:// URIs and CONNECT are proxied");
	}
	{
		const char *auth = target + 7, *auth_end = auth;

		while (auth_end < sp2 && *auth_end != '/' && *auth_end != '?' && *auth_end != '#')
			auth_end++;
		if (memchr(auth, '@', (size_t)(auth_end - auth)))
			return fail(req, 400, "http_request_error", "user info in the URI is refused");
		if (parse_authority(auth, (size_t)(auth_end - auth), 80, &req->target) < 0)
			return fail(req, 400, "http_request_error", "malformed host in the URI");
		path = auth_end;

		/* The rewritten header is never longer than the original plus our fields. */
		out.cap = len + (size_t)(auth_end - auth) + 64;
		mem = malloc(out.cap);
		if (!mem)
			return fail(req, 503, "proxy_internal_error", "out of memory");
		out.data = mem;
		(void)buf_add(&out, req->method, strlen(req->method));
		(void)buf_add(&out, " ", 1);
		if (path == sp2 || *path != '/')
			(void)buf_add(&out, "/", 1);
		if (*path == '#')
			path = sp2; /* a fragment is never sent */
		(void)buf_add(&out, path, (size_t)(sp2 - path));
		(void)buf_add(&out, sp2, 9);
		(void)buf_add(&out, "\r\nHost: ", 8);
		(void)buf_add(&out, auth, (size_t)(auth_end - auth));
		(void)buf_add(&out, "\r\n", 2);
	}
	line_end = memmem(buf, len, "\r\n", 2);
	for (p = line_end + 2; p < end - 2; p = line_end + 2) {
		const char *colon;

		line_end = memmem(p, (size_t)(end - p), "\r\n", 2);
		colon = memchr(p, ':', (size_t)(line_end - p));
		if (dropped_field(p, (size_t)(colon - p)))
			continue;
		if (buf_add(&out, p, (size_t)(line_end - p) + 2) < 0)
			return fail(req, 503, "proxy_internal_error", "header too long");
	}
	/* One request per connection: the next may be for another host. */
	if (buf_add(&out, "Connection: close\r\n\r\n", 21) < 0)
		return fail(req, 503, "proxy_internal_error", "header too long");
	req->kind = AJ_HTTP_FORWARD;
	req->out = TAKE_PTR(mem);
	req->out_len = out.len;
	return 0;
}
