/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * SOCKS5 (RFC 1928), CONNECT only, as pure functions over received bytes.
 * Each parser returns the bytes it used, 0 when more are needed, or
 * -EPROTO when the bytes are not SOCKS5.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agentjail/netpolicy.h"

enum {
	AJ_SOCKS_VERSION = 5,
	AJ_SOCKS_AUTH_NONE = 0x00,
	AJ_SOCKS_AUTH_USERPASS = 0x02,   /* RFC 1929: accepted, not checked */
	AJ_SOCKS_AUTH_NO_METHOD = 0xff,

	/* Reply codes. */
	AJ_SOCKS_OK = 0x00,
	AJ_SOCKS_FAILURE = 0x01,
	AJ_SOCKS_NOT_ALLOWED = 0x02,
	AJ_SOCKS_NET_UNREACHABLE = 0x03,
	AJ_SOCKS_HOST_UNREACHABLE = 0x04,
	AJ_SOCKS_REFUSED = 0x05,
	AJ_SOCKS_TTL_EXPIRED = 0x06,
	AJ_SOCKS_CMD_UNSUPPORTED = 0x07,
	AJ_SOCKS_ATYP_UNSUPPORTED = 0x08,
};

/* Method selection: picks "no authentication", else user/password, else none. */
int aj_socks_greeting(const uint8_t *b, size_t n, uint8_t *ret_method);

/* The RFC 1929 user/password message (the credentials are ignored). */
int aj_socks_userpass(const uint8_t *b, size_t n);

/*
 * The request.  On success *ret_reply is AJ_SOCKS_OK and t is set; when
 * the request is well-formed but cannot be served it is the reply code to
 * send (unsupported command or address type, malformed host name).
 */
int aj_socks_request(const uint8_t *b, size_t n, struct aj_target *t, uint8_t *ret_reply);

/* A reply of 10 bytes (bound address 0.0.0.0:0: the host's is not the sandbox's business). */
void aj_socks_reply(uint8_t reply, uint8_t out[10]);
