/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * HTTP proxy requests, as pure functions over a header already in memory:
 * CONNECT host:port, and absolute-URI requests (GET http://host/path) that
 * are rewritten to origin form for the upstream server.
 */
#pragma once

#include <stddef.h>

#include "agentjail/netpolicy.h"

/* Longest request header accepted (request line and fields). */
#define AJ_HTTP_HEADER_MAX 16384
/* Most header fields accepted in one request. */
#define AJ_HTTP_FIELDS_MAX 128

enum aj_http_kind {
	AJ_HTTP_CONNECT,  /* a tunnel: answer 200, then relay bytes */
	AJ_HTTP_FORWARD,  /* plain HTTP: send the rewritten header, then relay */
};

struct aj_http_req {
	enum aj_http_kind kind;
	struct aj_target target;
	char method[24];
	char *out;          /* FORWARD: the header for the upstream (malloc'd) */
	size_t out_len;
	/* On error: the status to answer, RFC 9209 error type and reason. */
	int status;
	const char *error;
	const char *why;
};

/*
 * Length of the header at the start of buf (through the blank line), 0 when
 * the blank line has not arrived yet.
 */
size_t aj_http_header_end(const char *buf, size_t len);

/*
 * Parse a complete header of len bytes.  0 on success; -EINVAL with
 * status/error/why set when the request cannot be served.  The caller frees
 * req->out.
 */
int aj_http_parse(const char *buf, size_t len, struct aj_http_req *req);

/* Reason phrase of a status this proxy sends. */
const char *aj_http_reason(int status);

/*
 * An error response with a text body and a Proxy-Status field (RFC 9209).
 * error: the RFC 9209 type ("http_request_denied"); message: the body line.
 * Returns the length written (truncated to size).
 */
size_t aj_http_error(char *buf, size_t size, int status, const char *error, const char *message);
