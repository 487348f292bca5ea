/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Host patterns and the two decisions of the proxy: on the name a client
 * asked for, then on every address that name resolves to.  The second one
 * is what keeps a DNS answer (or an IP literal) from sending the sandbox to
 * the host's own services, the LAN or the cloud metadata endpoint.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agentjail/netpolicy.h"
#include "cleanup.h"

/* ---- names and addresses ------------------------------------------------- */

/* A host name: labels of [a-z0-9_-], 1-63 bytes, 253 in all; lower-cased into out. */
static int check_name(const char *s, size_t len, char *out)
{
	size_t label = 0;

	if (len == 0 || len > 253)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -EINVAL;
		} else
			return -EINVAL;
		out[i] = (char)tolower(c);
	}
	if (label == 0)
		return -EINVAL;
	out[len] = '\0';
	return 0;
}

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d; keep one form. */
static void addr_unmap(struct aj_netaddr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (a->family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memmove(a->bytes, a->bytes + 12, 4);
		memset(a->bytes + 4, 0, 12);
		a->family = AF_INET;
	}
}

/* Parse an IPv6 literal of len bytes (no brackets, no zone). */
static int parse_ip6(const char *s, size_t len, struct aj_netaddr *ret)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	*ret = (struct aj_netaddr){ .family = AF_INET6 };
	if (inet_pton(AF_INET6, buf, ret->bytes) != 1)
		return -EINVAL;
	addr_unmap(ret);
	return 0;
}

const char *aj_netaddr_format(const struct aj_netaddr *a, char *buf, size_t size)
{
	if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

static bool in_net(const struct aj_netaddr *a, const struct aj_netaddr *net, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (a->family != net->family)
		return false;
	if (memcmp(a->bytes, net->bytes, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a->bytes[full] & mask) != (net->bytes[full] & mask))
			return false;
	}
	return true;
}

static enum aj_addr_class classify4(const uint8_t *b)
{
	if (b[0] == 0)
		return AJ_ADDR_UNSPECIFIED;
	if (b[0] == 127)
		return AJ_ADDR_LOOPBACK;
	if (b[0] == 169 && b[1] == 254)
		return AJ_ADDR_LINK_LOCAL;
	if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168))
		return AJ_ADDR_PRIVATE;
	if (b[0] == 100 && (b[1] & 0xc0) == 64)
		return AJ_ADDR_SHARED;
	if ((b[0] & 0xf0) == 224)
		return AJ_ADDR_MULTICAST;
	if ((b[0] & 0xf0) == 240 || (b[0] == 192 && b[1] == 0 && b[2] == 0) ||
	    (b[0] == 198 && (b[1] & 0xfe) == 18))
		return AJ_ADDR_RESERVED;
	return AJ_ADDR_PUBLIC;
}

enum aj_addr_class aj_addr_classify(const struct aj_netaddr *a)
{
	static const uint8_t zero[16];
	const uint8_t *b = a->bytes;

	if (a->family == AF_INET)
		return classify4(b);
	if (memcmp(b, zero, 15) == 0 && b[15] <= 1)
		return b[15] ? AJ_ADDR_LOOPBACK : AJ_ADDR_UNSPECIFIED;
	/* Forms that carry an IPv4 address reach it: judge that one. */
	if (memcmp(b, zero, 12) == 0)                         /* ::a.b.c.d (deprecated) */
		return classify4(b + 12);
	if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
		if (memcmp(b + 4, zero, 8) == 0)              /* 64:ff9b::/96 NAT64 */
			return classify4(b + 12);
		if (b[4] == 0 && b[5] == 1)                   /* 64:ff9b:1::/48 local NAT64 */
			return AJ_ADDR_PRIVATE;
	}
	if (b[0] == 0x20 && b[1] == 0x02)                     /* 2002::/16 6to4 */
		return classify4(b + 2);
	if ((b[0] & 0xfe) == 0xfc)
		return AJ_ADDR_UNIQUE_LOCAL;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return AJ_ADDR_LINK_LOCAL;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)            /* fec0::/10 old site-local */
		return AJ_ADDR_UNIQUE_LOCAL;
	if (b[0] == 0xff)
		return AJ_ADDR_MULTICAST;
	if (b[0] == 0x01 && b[1] == 0 && memcmp(b + 2, zero, 6) == 0) /* 100::/64 discard */
		return AJ_ADDR_RESERVED;
	return AJ_ADDR_PUBLIC;
}

const char *aj_addr_class_name(enum aj_addr_class c)
{
	static const char *const names[_AJ_ADDR_CLASS_MAX] = {
		[AJ_ADDR_PUBLIC] = "public",
		[AJ_ADDR_LOOPBACK] = "loopback",
		[AJ_ADDR_UNSPECIFIED] = "unspecified",
		[AJ_ADDR_LINK_LOCAL] = "link-local",
		[AJ_ADDR_PRIVATE] = "private",
		[AJ_ADDR_SHARED] = "shared (carrier-grade NAT)",
		[AJ_ADDR_UNIQUE_LOCAL] = "unique-local",
		[AJ_ADDR_MULTICAST] = "multicast",
		[AJ_ADDR_RESERVED] = "reserved",
	};

	return (unsigned)c < _AJ_ADDR_CLASS_MAX ? names[c] : "?";
}

/*
 * Any IPv4 form the C library would accept for a host name counts as an
 * address: "2130706433", "0x7f.1" and "127.1" all reach 127.0.0.1 through
 * getaddrinfo(), so treating them as names would let "*" cover literals.
 */
static bool parse_ip4_any(const char *s, size_t len, struct aj_netaddr *ret)
{
	char buf[64];
	struct in_addr in;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_aton(buf, &in) != 1)
		return false;
	*ret = (struct aj_netaddr){ .family = AF_INET };
	memcpy(ret->bytes, &in, 4);
	return true;
}

int aj_target_set(struct aj_target *t, const char *host, size_t len, uint16_t port)
{
	*t = (struct aj_target){ .port = port };
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (parse_ip6(host + 1, len - 2, &t->addr) < 0)
			return -EINVAL;
		t->is_addr = true;
	} else if (memchr(host, ':', len)) {
		if (parse_ip6(host, len, &t->addr) < 0)
			return -EINVAL;
		t->is_addr = true;
	} else {
		if (len > 1 && host[len - 1] == '.')
			len--; /* "example.com." is "example.com" */
		if (parse_ip4_any(host, len, &t->addr))
			t->is_addr = true;
		else if (check_name(host, len, t->host) < 0)
			return -EINVAL;
	}
	if (t->is_addr)
		aj_netaddr_format(&t->addr, t->host, sizeof(t->host));
	return 0;
}

/* ---- patterns ------------------------------------------------------------ */

static int parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

/* "addr" or "addr/len" of one family; len bytes of s. */
static int parse_net(const char *s, size_t len, bool v6, struct aj_hostpat *ret,
		     const char **ret_why)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	unsigned max = v6 ? 128 : 32;
	char buf[64];

	if (alen == 0 || alen >= sizeof(buf))
		return *ret_why = "not an IP address", -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	ret->addr = (struct aj_netaddr){ .family = v6 ? AF_INET6 : AF_INET };
	if (inet_pton(ret->addr.family, buf, ret->addr.bytes) != 1)
		return *ret_why = v6 ? "not an IPv6 address"
				     : "write an IPv4 address as four decimal numbers (a.b.c.d)",
		       -EINVAL;
	ret->prefix = max;
	if (slash) {
		unsigned long v = 0;
		size_t i = alen + 1;

		if (i == len || len - i > 3)
			return *ret_why = "a prefix length is a number of bits", -EINVAL;
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return *ret_why = "a prefix length is a number of bits", -EINVAL;
			v = v * 10 + (unsigned long)(s[i] - '0');
		}
		if (v > max)
			return *ret_why = v6 ? "an IPv6 prefix length is 0-128"
					     : "an IPv4 prefix length is 0-32", -EINVAL;
		ret->prefix = (unsigned)v;
	}
	if (v6) {
		unsigned p = ret->prefix;

		addr_unmap(&ret->addr);
		if (ret->addr.family == AF_INET)
			ret->prefix = p >= 96 ? p - 96 : 0;
	}
	/* "10.0.0.1/8" is a typo for one address or for 10.0.0.0/8: ask. */
	for (unsigned bit = ret->prefix; bit < (ret->addr.family == AF_INET ? 32u : 128u); bit++)
		if (ret->addr.bytes[bit / 8] & (0x80 >> (bit % 8)))
			return *ret_why = "the address has bits set beyond the prefix length",
			       -EINVAL;
	ret->kind = AJ_HOSTPAT_ADDR;
	return 0;
}

int aj_hostpat_parse(const char *text, struct aj_hostpat *ret, const char **ret_why)
{
	const char *why = NULL, *host = text, *colon;
	size_t hlen;
	int r;

	if (!ret_why)
		ret_why = &why;
	*ret = (struct aj_hostpat){ .text = text };
	if (!*text)
		return *ret_why = "empty", -EINVAL;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return *ret_why = "a '[' without its ']'", -EINVAL;
		if (close[1] && (close[1] != ':' || parse_port(close + 2, &ret->port) < 0))
			return *ret_why = "a port is a number from 1 to 65535", -EINVAL;
		return parse_net(text + 1, (size_t)(close - text - 1), true, ret, ret_why);
	}
	colon = strchr(text, ':');
	if (colon && strchr(colon + 1, ':'))
		/* Two colons: a bare IPv6 address (a port needs the [] form). */
		return parse_net(text, strlen(text), true, ret, ret_why);
	hlen = colon ? (size_t)(colon - text) : strlen(text);
	if (colon && parse_port(colon + 1, &ret->port) < 0)
		return *ret_why = "a port is a number from 1 to 65535", -EINVAL;
	if (hlen == 0)
		return *ret_why = "no host before the port", -EINVAL;

	if (hlen == 1 && host[0] == '*') {
		ret->kind = AJ_HOSTPAT_ANY;
		return 0;
	}
	if (host[0] == '*') {
		if (hlen < 3 || host[1] != '.')
			return *ret_why = "a wildcard is a whole first label: '*.example.com'",
			       -EINVAL;
		if (memchr(host + 1, '*', hlen - 1))
			return *ret_why = "only the first label may be '*'", -EINVAL;
		ret->name[0] = '.';
		r = check_name(host + 2, hlen - 2, ret->name + 1);
		if (r < 0)
			return *ret_why = "not a host name", r;
		ret->kind = AJ_HOSTPAT_SUFFIX;
		return 0;
	}
	if (memchr(host, '*', hlen))
		return *ret_why = "a wildcard is a whole first label: '*.example.com'", -EINVAL;
	{
		struct aj_netaddr any;

		/* Any form getaddrinfo() takes as an address is one: see parse_ip4_any(). */
		if (memchr(host, '/', hlen) || parse_ip4_any(host, hlen, &any))
			return parse_net(host, hlen, false, ret, ret_why);
	}
	if (hlen > 1 && host[hlen - 1] == '.')
		hlen--;
	r = check_name(host, hlen, ret->name);
	if (r < 0)
		return *ret_why = "not a host name (letters, digits, '-', '_' and dots; "
				  "international names in their xn-- form)", r;
	ret->kind = AJ_HOSTPAT_EXACT;
	return 0;
}

int aj_netpolicy_new(char *const *allow, size_t n_allow, char *const *deny, size_t n_deny,
		     struct aj_netpolicy **ret, const char **ret_bad)
{
	_cleanup_free_ struct aj_netpolicy *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->allow = calloc(n_allow + 1, sizeof(*p->allow));
	p->deny = calloc(n_deny + 1, sizeof(*p->deny));
	if (!p->allow || !p->deny) {
		free(p->allow);
		free(p->deny);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_allow + n_deny; i++) {
		bool is_allow = i < n_allow;
		const char *text = is_allow ? allow[i] : deny[i - n_allow];
		struct aj_hostpat *pat = is_allow ? &p->allow[p->n_allow++] : &p->deny[p->n_deny++];

		if (aj_hostpat_parse(text, pat, NULL) < 0) {
			if (ret_bad)
				*ret_bad = text;
			free(p->allow);
			free(p->deny);
			return -EINVAL;
		}
	}
	*ret = TAKE_PTR(p);
	return 0;
}

struct aj_netpolicy *aj_netpolicy_free(struct aj_netpolicy *p)
{
	if (p) {
		free(p->allow);
		free(p->deny);
		free(p);
	}
	return NULL;
}

/* ---- decisions ----------------------------------------------------------- */

/* any_covers_addr: "*" also matches IP literals (true for deny, false for allow). */
static bool match_target(const struct aj_hostpat *pat, const struct aj_target *t,
			 bool any_covers_addr)
{
	size_t hl, sl;

	if (pat->port && pat->port != t->port)
		return false;
	switch (pat->kind) {
	case AJ_HOSTPAT_ANY:
		return !t->is_addr || any_covers_addr;
	case AJ_HOSTPAT_EXACT:
		return !t->is_addr && strcmp(pat->name, t->host) == 0;
	case AJ_HOSTPAT_SUFFIX:
		hl = strlen(t->host);
		sl = strlen(pat->name);
		return !t->is_addr && hl > sl && strcmp(t->host + hl - sl, pat->name) == 0;
	case AJ_HOSTPAT_ADDR:
		return t->is_addr && in_net(&t->addr, &pat->addr, pat->prefix);
	}
	return false;
}

static bool match_addr(const struct aj_hostpat *pat, const struct aj_netaddr *a, uint16_t port)
{
	if (pat->port && pat->port != port)
		return false;
	return pat->kind == AJ_HOSTPAT_ADDR && in_net(a, &pat->addr, pat->prefix);
}

bool aj_netpolicy_check_name(const struct aj_netpolicy *p, const struct aj_target *t,
			     char *why, size_t size)
{
	for (size_t i = 0; i < p->n_deny; i++)
		if (match_target(&p->deny[i], t, true)) {
			snprintf(why, size, "denied by '%s'", p->deny[i].text);
			return false;
		}
	for (size_t i = 0; i < p->n_allow; i++)
		if (match_target(&p->allow[i], t, false)) {
			snprintf(why, size, "allowed by '%s'", p->allow[i].text);
			return true;
		}
	if (t->is_addr)
		snprintf(why, size, "an IP address is allowed only when an --allow-host names it");
	else
		snprintf(why, size, "port %u of this host is not in the allow list", t->port);
	return false;
}

bool aj_netpolicy_check_addr(const struct aj_netpolicy *p, const struct aj_netaddr *a,
			     uint16_t port, char *why, size_t size)
{
	enum aj_addr_class c;
	char txt[INET6_ADDRSTRLEN];

	aj_netaddr_format(a, txt, sizeof(txt));
	for (size_t i = 0; i < p->n_deny; i++)
		if (match_addr(&p->deny[i], a, port)) {
			snprintf(why, size, "%s is denied by '%s'", txt, p->deny[i].text);
			return false;
		}
	c = aj_addr_classify(a);
	if (c == AJ_ADDR_PUBLIC)
		return true;
	for (size_t i = 0; i < p->n_allow; i++)
		if (match_addr(&p->allow[i], a, port))
			return true;
	snprintf(why, size, "%s is a %s address; only an --allow-host naming it opens it", txt,
		 aj_addr_class_name(c));
	return false;
}
