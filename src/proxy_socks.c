/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * SOCKS5 for clients that speak it (ALL_PROXY=socks5h://..., ssh -o
 * ProxyCommand, git's core.gitProxy helpers): CONNECT with a host name,
 * which the proxy resolves itself, or with an address, which the policy
 * treats like any IP literal.  BIND and UDP ASSOCIATE are refused.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "agentjail/proxy_socks.h"

int aj_socks_greeting(const uint8_t *b, size_t n, uint8_t *ret_method)
{
	bool none = false, userpass = false;
	size_t need;

	if (n < 2)
		return n >= 1 && b[0] != AJ_SOCKS_VERSION ? -EPROTO : 0;
	if (b[0] != AJ_SOCKS_VERSION || b[1] == 0)
		return -EPROTO;
	need = 2 + (size_t)b[1];
	if (n < need)
		return 0;
	for (size_t i = 2; i < need; i++) {
		none |= b[i] == AJ_SOCKS_AUTH_NONE;
		userpass |= b[i] == AJ_SOCKS_AUTH_USERPASS;
	}
	*ret_method = none ? AJ_SOCKS_AUTH_NONE
			   : userpass ? AJ_SOCKS_AUTH_USERPASS : AJ_SOCKS_AUTH_NO_METHOD;
	return (int)need;
}

int aj_socks_userpass(const uint8_t *b, size_t n)
{
	size_t need;

	if (n < 2)
		return n >= 1 && b[0] != 1 ? -EPROTO : 0;
	if (b[0] != 1)
		return -EPROTO;
	need = 2 + (size_t)b[1] + 1;
	if (n < need)
		return 0;
	need += b[need - 1];
	return n < need ? 0 : (int)need;
}

int aj_socks_request(const uint8_t *b, size_t n, struct aj_target *t, uint8_t *ret_reply)
{
	size_t need;
	uint16_t port;

	if (n < 5)
		return n >= 1 && b[0] != AJ_SOCKS_VERSION ? -EPROTO : 0;
	if (b[0] != AJ_SOCKS_VERSION || b[2] != 0)
		return -EPROTO;
	switch (b[3]) {
	case 1: need = 4 + 4 + 2; break;
	case 3: need = 4 + 1 + (size_t)b[4] + 2; break;
	case 4: need = 4 + 16 + 2; break;
	default:
		*ret_reply = AJ_SOCKS_ATYP_UNSUPPORTED;
		return (int)n; /* nothing more will be read from this client */
	}
	if (n < need)
		return 0;
	port = (uint16_t)(b[need - 2] << 8 | b[need - 1]);
	*ret_reply = AJ_SOCKS_OK;
	if (b[1] != 1) {
		*ret_reply = AJ_SOCKS_CMD_UNSUPPORTED;
		return (int)need;
	}
	if (port == 0) {
		*ret_reply = AJ_SOCKS_FAILURE;
		return (int)need;
	}
	if (b[3] == 3) {
		if (b[4] == 0 || aj_target_set(t, (const char *)b + 5, b[4], port) < 0)
			*ret_reply = AJ_SOCKS_HOST_UNREACHABLE;
		return (int)need;
	}
	*t = (struct aj_target){ .port = port, .is_addr = true };
	if (b[3] == 1) {
		t->addr.family = AF_INET;
		memcpy(t->addr.bytes, b + 4, 4);
		aj_netaddr_format(&t->addr, t->host, sizeof(t->host));
	} else {
		char txt[64];

		t->addr.family = AF_INET6;
		memcpy(t->addr.bytes, b + 4, 16);
		/* Through the text form, so ::ffff:a.b.c.d becomes a.b.c.d as everywhere. */
		aj_netaddr_format(&t->addr, txt, sizeof(txt));
		if (aj_target_set(t, txt, strlen(txt), port) < 0)
			*ret_reply = AJ_SOCKS_ATYP_UNSUPPORTED;
	}
	return (int)need;
}

void aj_socks_reply(uint8_t reply, uint8_t out[10])
{
	memset(out, 0, 10);
	out[0] = AJ_SOCKS_VERSION;
	out[1] = reply;
	out[3] = 1; /* IPv4 */
}
