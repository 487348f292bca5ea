/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The network policy of --net proxy, as pure functions: host patterns
 * (--allow-host / --deny-host), the normalised target of one request, the
 * decision on its name and, after resolution, on each address.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address; IPv4 is kept as 4 bytes, family AF_INET. */
struct aj_netaddr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

/* Address ranges refused after resolution unless a pattern names them. */
enum aj_addr_class {
	AJ_ADDR_PUBLIC,
	AJ_ADDR_LOOPBACK,      /* 127.0.0.0/8, ::1 */
	AJ_ADDR_UNSPECIFIED,   /* 0.0.0.0/8, :: (0.0.0.0 reaches the host itself) */
	AJ_ADDR_LINK_LOCAL,    /* 169.254.0.0/16 (cloud metadata), fe80::/10 */
	AJ_ADDR_PRIVATE,       /* 10/8, 172.16/12, 192.168/16 */
	AJ_ADDR_SHARED,        /* 100.64.0.0/10, carrier-grade NAT, VPN overlays */
	AJ_ADDR_UNIQUE_LOCAL,  /* fc00::/7, fec0::/10 */
	AJ_ADDR_MULTICAST,     /* 224.0.0.0/4, ff00::/8 */
	AJ_ADDR_RESERVED,      /* 240.0.0.0/4, 192.0.0.0/24, 198.18.0.0/15, ... */
	_AJ_ADDR_CLASS_MAX,
};

enum aj_hostpat_kind {
	AJ_HOSTPAT_ANY,     /* "*" */
	AJ_HOSTPAT_EXACT,   /* "api.example.com" */
	AJ_HOSTPAT_SUFFIX,  /* "*.example.com": any name below, not the domain itself */
	AJ_HOSTPAT_ADDR,    /* "10.1.2.3", "10.0.0.0/8", "[fd00::1]", "fd00::/8" */
};

struct aj_hostpat {
	enum aj_hostpat_kind kind;
	char name[256];          /* lower case, no trailing dot; for SUFFIX ".example.com" */
	struct aj_netaddr addr;  /* for ADDR: the network */
	unsigned prefix;         /* for ADDR: prefix length in bits */
	uint16_t port;           /* 0: any port */
	const char *text;        /* as given; not owned */
};

/* Parse PATTERN; -EINVAL with a reason ("a port is 1-65535") in ret_why. */
int aj_hostpat_parse(const char *text, struct aj_hostpat *ret, const char **ret_why);

struct aj_netpolicy {
	struct aj_hostpat *allow;
	size_t n_allow;
	struct aj_hostpat *deny;
	size_t n_deny;
};

/* Compile the plan's lists; -EINVAL when one does not parse (ret_bad names it). */
int aj_netpolicy_new(char *const *allow, size_t n_allow, char *const *deny, size_t n_deny,
		     struct aj_netpolicy **ret, const char **ret_bad);
struct aj_netpolicy *aj_netpolicy_free(struct aj_netpolicy *p);

/* The destination of one request, normalised. */
struct aj_target {
	char host[256];          /* lower case; dotted quad / IPv6 text for literals */
	bool is_addr;            /* an IP literal (any form inet_aton accepts, or IPv6) */
	struct aj_netaddr addr;  /* when is_addr */
	uint16_t port;
};

/*
 * Normalise a host from a request (len bytes, not NUL-terminated; IPv6 may
 * come in brackets).  -EINVAL when it is neither a host name nor an address.
 */
int aj_target_set(struct aj_target *t, const char *host, size_t len, uint16_t port);

/*
 * The decision on the name: deny patterns first (deny wins), then the allow
 * patterns; an IP literal is allowed only by an address pattern.  Returns
 * true to go on (resolve and check each address) and writes the reason
 * ("allowed by 'x'", "not in the allow list") into why.
 */
bool aj_netpolicy_check_name(const struct aj_netpolicy *p, const struct aj_target *t,
			     char *why, size_t size);

/*
 * The decision on one address the name resolved to (or the literal):
 * refused when a deny pattern covers it, or when it is in a special range
 * (loopback, link-local, private, ...) that no allow address pattern names.
 */
bool aj_netpolicy_check_addr(const struct aj_netpolicy *p, const struct aj_netaddr *a,
			     uint16_t port, char *why, size_t size);

enum aj_addr_class aj_addr_classify(const struct aj_netaddr *a);
const char *aj_addr_class_name(enum aj_addr_class c);
/* Text form: "10.0.0.1", "fd00::1" (no brackets). */
const char *aj_netaddr_format(const struct aj_netaddr *a, char *buf, size_t size);
