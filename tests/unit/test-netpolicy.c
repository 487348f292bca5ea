/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* Host patterns, request targets, address classes and the proxy's decisions. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agentjail/cli.h"
#include "agentjail/netpolicy.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "tap.h"

static struct aj_netaddr addr(const char *s)
{
	struct aj_netaddr a = { .family = strchr(s, ':') ? AF_INET6 : AF_INET };

	if (inet_pton(a.family, s, a.bytes) != 1)
		abort();
	return a;
}

static const char *pattern_error(const char *text)
{
	struct aj_hostpat p;
	const char *why = NULL;

	return aj_hostpat_parse(text, &p, &why) < 0 ? why : NULL;
}

TEST(patterns_parse)
{
	struct aj_hostpat p;

	ASSERT_EQ(aj_hostpat_parse("API.Example.COM.", &p, NULL), 0);
	EXPECT_EQ(p.kind, AJ_HOSTPAT_EXACT);
	EXPECT_STREQ(p.name, "api.example.com");
	EXPECT_EQ(p.port, 0);
	ASSERT_EQ(aj_hostpat_parse("*.example.com:443", &p, NULL), 0);
	EXPECT_EQ(p.kind, AJ_HOSTPAT_SUFFIX);
	EXPECT_STREQ(p.name, ".example.com");
	EXPECT_EQ(p.port, 443);
	ASSERT_EQ(aj_hostpat_parse("*", &p, NULL), 0);
	EXPECT_EQ(p.kind, AJ_HOSTPAT_ANY);
	ASSERT_EQ(aj_hostpat_parse("*:22", &p, NULL), 0);
	EXPECT_EQ(p.port, 22);
	ASSERT_EQ(aj_hostpat_parse("10.0.0.0/8", &p, NULL), 0);
	EXPECT_EQ(p.kind, AJ_HOSTPAT_ADDR);
	EXPECT_EQ(p.prefix, 8);
	ASSERT_EQ(aj_hostpat_parse("127.0.0.1:8080", &p, NULL), 0);
	EXPECT_EQ(p.prefix, 32);
	EXPECT_EQ(p.port, 8080);
	ASSERT_EQ(aj_hostpat_parse("[fd00::1]:443", &p, NULL), 0);
	EXPECT_EQ(p.addr.family, AF_INET6);
	EXPECT_EQ(p.prefix, 128);
	EXPECT_EQ(p.port, 443);
	ASSERT_EQ(aj_hostpat_parse("fd00::/8", &p, NULL), 0);
	EXPECT_EQ(p.prefix, 8);
	/* An IPv4-mapped pattern is the IPv4 one. */
	ASSERT_EQ(aj_hostpat_parse("[::ffff:10.1.2.3]", &p, NULL), 0);
	EXPECT_EQ(p.addr.family, AF_INET);
	EXPECT_EQ(p.prefix, 32);
	ASSERT_EQ(aj_hostpat_parse("under_score-1.example", &p, NULL), 0);
}

TEST(bad_patterns_say_why)
{
	EXPECT_STREQ(pattern_error(""), "empty");
	EXPECT_STREQ(pattern_error("a.*.com"), "a wildcard is a whole first label: '*.example.com'");
	EXPECT_STREQ(pattern_error("*example.com"), "a wildcard is a whole first label: '*.example.com'");
	EXPECT_STREQ(pattern_error("*.*.com"), "only the first label may be '*'");
	EXPECT_STREQ(pattern_error("x.com:0"), "a port is a number from 1 to 65535");
	EXPECT_STREQ(pattern_error("x.com:65536"), "a port is a number from 1 to 65535");
	EXPECT_STREQ(pattern_error("x.com:"), "a port is a number from 1 to 65535");
	EXPECT_STREQ(pattern_error(":443"), "no host before the port");
	EXPECT_STREQ(pattern_error("127.1"), "write an IPv4 address as four decimal numbers (a.b.c.d)");
	EXPECT_STREQ(pattern_error("0x7f000001"), "write an IPv4 address as four decimal numbers (a.b.c.d)");
	EXPECT_STREQ(pattern_error("10.0.0.1/8"), "the address has bits set beyond the prefix length");
	EXPECT_STREQ(pattern_error("10.0.0.0/33"), "an IPv4 prefix length is 0-32");
	EXPECT_STREQ(pattern_error("[::1"), "a '[' without its ']'");
	EXPECT_STREQ(pattern_error("[::1]443"), "a port is a number from 1 to 65535");
	EXPECT_TRUE(pattern_error("a b.com") != NULL);
	EXPECT_TRUE(pattern_error("exa$mple.com") != NULL);
	EXPECT_TRUE(pattern_error("a..b") != NULL);
	EXPECT_TRUE(pattern_error("http://x.com") != NULL);
	EXPECT_TRUE(pattern_error("user@x.com") != NULL);
	EXPECT_TRUE(pattern_error("b\xc3\xbc" "cher.de") != NULL);
	EXPECT_TRUE(pattern_error("[fe80::1%eth0]") != NULL);
}

TEST(targets_normalise)
{
	struct aj_target t;

	ASSERT_EQ(aj_target_set(&t, "WWW.Example.com.", 16, 443), 0);
	EXPECT_STREQ(t.host, "www.example.com");
	EXPECT_TRUE(!t.is_addr);
	/* Every IPv4 spelling getaddrinfo() would accept is an address. */
	ASSERT_EQ(aj_target_set(&t, "2130706433", 10, 80), 0);
	EXPECT_TRUE(t.is_addr);
	EXPECT_STREQ(t.host, "127.0.0.1");
	ASSERT_EQ(aj_target_set(&t, "0x7f.1", 6, 80), 0);
	EXPECT_STREQ(t.host, "127.0.0.1");
	ASSERT_EQ(aj_target_set(&t, "[::ffff:169.254.169.254]", 24, 80), 0);
	EXPECT_EQ(t.addr.family, AF_INET);
	EXPECT_STREQ(t.host, "169.254.169.254");
	ASSERT_EQ(aj_target_set(&t, "[2001:db8::1]", 13, 80), 0);
	EXPECT_STREQ(t.host, "2001:db8::1");
	EXPECT_EQ(aj_target_set(&t, "a b", 3, 80), -EINVAL);
	EXPECT_EQ(aj_target_set(&t, "", 0, 80), -EINVAL);
	EXPECT_EQ(aj_target_set(&t, "x\0y", 3, 80), -EINVAL);
	EXPECT_EQ(aj_target_set(&t, "[::1", 4, 80), -EINVAL);
	EXPECT_EQ(aj_target_set(&t, "[fe80::1%25eth0]", 16, 80), -EINVAL);
}

TEST(address_classes)
{
	static const struct {
		const char *a;
		enum aj_addr_class c;
	} cases[] = {
		{ "127.0.0.1", AJ_ADDR_LOOPBACK },        { "127.255.0.9", AJ_ADDR_LOOPBACK },
		{ "0.0.0.0", AJ_ADDR_UNSPECIFIED },       { "169.254.169.254", AJ_ADDR_LINK_LOCAL },
		{ "10.1.2.3", AJ_ADDR_PRIVATE },          { "172.16.0.1", AJ_ADDR_PRIVATE },
		{ "172.31.255.255", AJ_ADDR_PRIVATE },    { "172.32.0.1", AJ_ADDR_PUBLIC },
		{ "192.168.1.1", AJ_ADDR_PRIVATE },       { "100.64.0.1", AJ_ADDR_SHARED },
		{ "100.100.100.200", AJ_ADDR_SHARED },    { "100.128.0.1", AJ_ADDR_PUBLIC },
		{ "224.0.0.1", AJ_ADDR_MULTICAST },       { "255.255.255.255", AJ_ADDR_RESERVED },
		{ "198.18.0.1", AJ_ADDR_RESERVED },       { "192.0.0.8", AJ_ADDR_RESERVED },
		{ "8.8.8.8", AJ_ADDR_PUBLIC },            { "::1", AJ_ADDR_LOOPBACK },
		{ "::", AJ_ADDR_UNSPECIFIED },            { "fe80::1", AJ_ADDR_LINK_LOCAL },
		{ "fd00:ec2::254", AJ_ADDR_UNIQUE_LOCAL },{ "fc00::1", AJ_ADDR_UNIQUE_LOCAL },
		{ "fec0::1", AJ_ADDR_UNIQUE_LOCAL },      { "ff02::1", AJ_ADDR_MULTICAST },
		{ "::127.0.0.1", AJ_ADDR_LOOPBACK },      { "64:ff9b::a9fe:a9fe", AJ_ADDR_LINK_LOCAL },
		{ "64:ff9b:1::1", AJ_ADDR_PRIVATE },      { "2002:0a00:0001::1", AJ_ADDR_PRIVATE },
		{ "2002:0808:0808::1", AJ_ADDR_PUBLIC },  { "2606:4700::1111", AJ_ADDR_PUBLIC },
		{ "100::1", AJ_ADDR_RESERVED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct aj_netaddr a = addr(cases[i].a);

		if (aj_addr_classify(&a) != cases[i].c)
			printf("#   %s: %s, expected %s\n", cases[i].a,
			       aj_addr_class_name(aj_addr_classify(&a)), aj_addr_class_name(cases[i].c));
		EXPECT_EQ(aj_addr_classify(&a), cases[i].c);
	}
}

static struct aj_netpolicy *policy(const char *const *allow, const char *const *deny)
{
	size_t na = 0, nd = 0;
	struct aj_netpolicy *p = NULL;

	while (allow && allow[na])
		na++;
	while (deny && deny[nd])
		nd++;
	if (aj_netpolicy_new((char *const *)allow, na, (char *const *)deny, nd, &p, NULL) < 0)
		abort();
	return p;
}

static bool name_ok(const struct aj_netpolicy *p, const char *host, uint16_t port, char *why)
{
	struct aj_target t;

	if (aj_target_set(&t, host, strlen(host), port) < 0)
		abort();
	return aj_netpolicy_check_name(p, &t, why, 192);
}

TEST(allow_and_deny_by_name)
{
	const char *allow[] = { "api.example.com", "*.pkg.test:443", "*.cdn.test", NULL };
	const char *deny[] = { "evil.cdn.test", NULL };
	struct aj_netpolicy *p = policy(allow, deny);
	char why[192];

	EXPECT_TRUE(name_ok(p, "api.example.com", 443, why));
	EXPECT_STREQ(why, "allowed by 'api.example.com'");
	EXPECT_TRUE(name_ok(p, "API.EXAMPLE.COM.", 80, why));
	EXPECT_TRUE(!name_ok(p, "example.com", 443, why));
	EXPECT_STREQ(why, "port 443 of this host is not in the allow list");
	EXPECT_TRUE(!name_ok(p, "www.api.example.com", 443, why));
	EXPECT_TRUE(!name_ok(p, "api.example.com.evil.test", 443, why));
	/* A wildcard covers every depth below the domain, never the domain itself. */
	EXPECT_TRUE(name_ok(p, "a.pkg.test", 443, why));
	EXPECT_TRUE(name_ok(p, "a.b.pkg.test", 443, why));
	EXPECT_TRUE(!name_ok(p, "pkg.test", 443, why));
	EXPECT_TRUE(!name_ok(p, "xpkg.test", 443, why));
	EXPECT_TRUE(!name_ok(p, "a.pkg.test", 80, why));
	/* Deny wins over allow. */
	EXPECT_TRUE(name_ok(p, "good.cdn.test", 443, why));
	EXPECT_TRUE(!name_ok(p, "evil.cdn.test", 443, why));
	EXPECT_STREQ(why, "denied by 'evil.cdn.test'");
	aj_netpolicy_free(p);
}

TEST(ip_literals_need_an_address_pattern)
{
	const char *allow[] = { "*", "10.1.0.0/16:8080", "[2001:db8::5]", NULL };
	const char *deny[] = { "10.1.9.9", NULL };
	struct aj_netpolicy *p = policy(allow, deny);
	char why[192];

	EXPECT_TRUE(name_ok(p, "anything.test", 1, why));
	EXPECT_STREQ(why, "allowed by '*'");
	/* "*" is every name, not every address. */
	EXPECT_TRUE(!name_ok(p, "93.184.216.34", 443, why));
	EXPECT_STREQ(why, "an IP address is allowed only when an --allow-host names it");
	EXPECT_TRUE(!name_ok(p, "2130706433", 80, why));
	EXPECT_TRUE(name_ok(p, "10.1.2.3", 8080, why));
	EXPECT_STREQ(why, "allowed by '10.1.0.0/16:8080'");
	EXPECT_TRUE(!name_ok(p, "10.1.2.3", 8081, why));
	EXPECT_TRUE(!name_ok(p, "10.1.9.9", 8080, why));
	EXPECT_STREQ(why, "denied by '10.1.9.9'");
	EXPECT_TRUE(name_ok(p, "[2001:db8::5]", 443, why));
	aj_netpolicy_free(p);
}

TEST(deny_star_covers_literals_too)
{
	const char *allow[] = { "10.0.0.1", "x.test", NULL };
	const char *deny[] = { "*:25", NULL };
	struct aj_netpolicy *p = policy(allow, deny);
	char why[192];

	EXPECT_TRUE(!name_ok(p, "10.0.0.1", 25, why));
	EXPECT_TRUE(!name_ok(p, "x.test", 25, why));
	EXPECT_TRUE(name_ok(p, "x.test", 587, why));
	aj_netpolicy_free(p);
}

TEST(resolved_addresses_in_special_ranges_are_refused)
{
	const char *allow[] = { "*", "127.0.0.1:8080", "10.9.0.0/16", NULL };
	const char *deny[] = { "203.0.113.7", NULL };
	struct aj_netpolicy *p = policy(allow, deny);
	struct aj_netaddr a;
	char why[192];

	a = addr("93.184.216.34");
	EXPECT_TRUE(aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	a = addr("169.254.169.254");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 80, why, sizeof(why)));
	EXPECT_STREQ(why, "169.254.169.254 is a link-local address; only an --allow-host naming it opens it");
	a = addr("127.0.0.1");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 80, why, sizeof(why)));
	EXPECT_STREQ(why, "127.0.0.1 is a loopback address; only an --allow-host naming it opens it");
	EXPECT_TRUE(aj_netpolicy_check_addr(p, &a, 8080, why, sizeof(why)));
	a = addr("10.9.3.4");
	EXPECT_TRUE(aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	a = addr("10.8.3.4");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	a = addr("192.168.0.10");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	a = addr("fd00::1");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	EXPECT_STREQ(why, "fd00::1 is a unique-local address; only an --allow-host naming it opens it");
	a = addr("0.0.0.0");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 8080, why, sizeof(why)));
	/* A deny address pattern applies to what names resolve to. */
	a = addr("203.0.113.7");
	EXPECT_TRUE(!aj_netpolicy_check_addr(p, &a, 443, why, sizeof(why)));
	EXPECT_STREQ(why, "203.0.113.7 is denied by '203.0.113.7'");
	aj_netpolicy_free(p);
}

/* The options: --allow-host and --deny-host check the syntax when parsed. */
static int parse_words(const char *const *words, struct aj_plan **ret)
{
	char *argv[16];
	int argc = 1, next, r;
	struct aj_parser p;
	struct aj_plan *plan = aj_plan_new();

	argv[0] = (char *)"agentjail";
	while (words[argc - 1])
		argv[argc] = (char *)words[argc - 1], argc++;
	argv[argc] = NULL;
	if (aj_parser_init(&p, plan, false) < 0)
		abort();
	r = aj_cli_parse(&p, argc, argv, 1, &next);
	aj_parser_done(&p);
	*ret = plan;
	return r;
}

TEST(options_keep_patterns_in_order)
{
	const char *w[] = { "--net", "proxy", "--allow-host", "a.test", "--deny-host", "b.a.test",
			    "--allow-host", "*.a.test:443", "true", NULL };
	struct aj_plan *plan;

	ASSERT_EQ(parse_words(w, &plan), 0);
	EXPECT_EQ(plan->net_mode, AJ_NET_PROXY);
	ASSERT_EQ(plan->n_allow_hosts, 2);
	EXPECT_STREQ(plan->allow_hosts[0], "a.test");
	EXPECT_STREQ(plan->allow_hosts[1], "*.a.test:443");
	ASSERT_EQ(plan->n_deny_hosts, 1);
	EXPECT_STREQ(plan->deny_hosts[0], "b.a.test");
	aj_plan_free(plan);
}

TEST(options_refuse_bad_patterns)
{
	const char *w1[] = { "--allow-host", "a.*.test", "true", NULL };
	const char *w2[] = { "--deny-host", "x:70000", "true", NULL };
	const char *w3[] = { "--net", "proxies", "true", NULL };
	struct aj_plan *plan;

	EXPECT_EQ(parse_words(w1, &plan), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse_words(w2, &plan), -EINVAL);
	aj_plan_free(plan);
	EXPECT_EQ(parse_words(w3, &plan), -EINVAL);
	aj_plan_free(plan);
}

int main(void)
{
	return tap_main();
}
