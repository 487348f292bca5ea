/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* The proxy's request parsers (HTTP, SOCKS5) and the decision record's JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/netlog.h"
#include "agentjail/proxy.h"
#include "agentjail/proxy_http.h"
#include "agentjail/proxy_socks.h"
#include "tap.h"

static int parse(const char *text, struct aj_http_req *req)
{
	return aj_http_parse(text, strlen(text), req);
}

TEST(header_end)
{
	EXPECT_EQ(aj_http_header_end("GET / HTTP/1.1\r\n", 16), 0);
	EXPECT_EQ(aj_http_header_end("GET / HTTP/1.1\r\n\r\nbody", 22), 18);
	EXPECT_EQ(aj_http_header_end("GET / HTTP/1.1\n\n", 16), 0);
}

TEST(connect_request)
{
	struct aj_http_req req;

	ASSERT_EQ(parse("CONNECT API.example.com:443 HTTP/1.1\r\nHost: x\r\n"
			"Proxy-Authorization: Basic eA==\r\n\r\n", &req), 0);
	EXPECT_EQ(req.kind, AJ_HTTP_CONNECT);
	EXPECT_STREQ(req.target.host, "api.example.com");
	EXPECT_EQ(req.target.port, 443);
	EXPECT_TRUE(req.out == NULL);
	ASSERT_EQ(parse("CONNECT [2001:db8::1]:8443 HTTP/1.0\r\n\r\n", &req), 0);
	EXPECT_TRUE(req.target.is_addr);
	EXPECT_STREQ(req.target.host, "2001:db8::1");
	EXPECT_EQ(req.target.port, 8443);
}

TEST(bad_connect_requests)
{
	struct aj_http_req req;

	EXPECT_EQ(parse("CONNECT example.com HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(req.status, 400);
	EXPECT_STREQ(req.why, "CONNECT needs host:port (IPv6 in brackets)");
	EXPECT_EQ(parse("CONNECT example.com:0 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT example.com:65536 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT ex ample.com:80 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT exa\"mple.com:80 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT [::1:80 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT example.com:80 HTTP/2.0\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "malformed request line (expected METHOD TARGET HTTP/1.x)");
	EXPECT_EQ(parse("CONNECT  example.com:80 HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT example.com:80 HTTP/1.1\r\n", &req), -EINVAL);
}

TEST(bad_header_fields)
{
	struct aj_http_req req;

	EXPECT_EQ(parse("CONNECT a.test:443 HTTP/1.1\r\nHost : a\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "malformed header field name");
	EXPECT_EQ(parse("CONNECT a.test:443 HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("CONNECT a.test:443 HTTP/1.1\r\nNoColon\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "malformed header field");
	EXPECT_EQ(parse("CONNECT a.test:443 HTTP/1.1\r\nX: a\nb\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "control character in a header field");
	EXPECT_EQ(parse("CONNECT a.test:443 HTTP/1.1\r\nX: a\rb\r\n\r\n", &req), -EINVAL);
}

TEST(too_many_fields)
{
	char buf[AJ_HTTP_HEADER_MAX];
	struct aj_http_req req;
	size_t n = (size_t)snprintf(buf, sizeof(buf), "CONNECT a.test:443 HTTP/1.1\r\n");

	for (int i = 0; i <= AJ_HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	EXPECT_EQ(aj_http_parse(buf, n, &req), -EINVAL);
	EXPECT_EQ(req.status, 431);
}

TEST(absolute_uri_is_rewritten)
{
	struct aj_http_req req;
	const char *in = "POST http://Up.Test:8080/a/b?c=d HTTP/1.1\r\n"
			 "Host: evil.test\r\n"
			 "User-Agent: t\r\n"
			 "Proxy-Connection: keep-alive\r\n"
			 "Proxy-Authorization: Basic eA==\r\n"
			 "Connection: keep-alive\r\n"
			 "Keep-Alive: 5\r\n"
			 "Content-Length: 3\r\n"
			 "\r\n";
	const char *want = "POST /a/b?c=d HTTP/1.1\r\n"
			   "Host: Up.Test:8080\r\n"
			   "User-Agent: t\r\n"
			   "Content-Length: 3\r\n"
			   "Connection: close\r\n"
			   "\r\n";

	ASSERT_EQ(parse(in, &req), 0);
	EXPECT_EQ(req.kind, AJ_HTTP_FORWARD);
	EXPECT_STREQ(req.method, "POST");
	EXPECT_STREQ(req.target.host, "up.test");
	EXPECT_EQ(req.target.port, 8080);
	ASSERT_EQ(req.out_len, strlen(want));
	EXPECT_TRUE(memcmp(req.out, want, req.out_len) == 0);
	free(req.out);

	ASSERT_EQ(parse("GET http://x.test HTTP/1.0\r\n\r\n", &req), 0);
	EXPECT_EQ(req.target.port, 80);
	want = "GET / HTTP/1.0\r\nHost: x.test\r\nConnection: close\r\n\r\n";
	ASSERT_EQ(req.out_len, strlen(want));
	EXPECT_TRUE(memcmp(req.out, want, req.out_len) == 0);
	free(req.out);

	ASSERT_EQ(parse("GET http://x.test?q=1 HTTP/1.1\r\n\r\n", &req), 0);
	want = "GET /?q=1 HTTP/1.1\r\nHost: x.test\r\nConnection: close\r\n\r\n";
	ASSERT_EQ(req.out_len, strlen(want));
	EXPECT_TRUE(memcmp(req.out, want, req.out_len) == 0);
	free(req.out);
}

TEST(requests_that_are_not_proxied)
{
	struct aj_http_req req;

	EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(req.status, 400);
	EXPECT_STREQ(req.why, "this is a proxy: send an absolute URI (http://host/path) or CONNECT host:port");
	EXPECT_EQ(parse("GET https://x.test/ HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "https through this proxy goes by CONNECT (set HTTPS_PROXY)");
	EXPECT_EQ(parse("GET ftp://x.test/ HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(req.status, 501);
	EXPECT_EQ(parse("GET http://user@x.test/ HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "user info in the URI is refused");
	EXPECT_EQ(parse("GET http://x.test:99999/ HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("GET http:///path HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_EQ(parse("G(T http://x.test/ HTTP/1.1\r\n\r\n", &req), -EINVAL);
	EXPECT_STREQ(req.why, "malformed request method");
}

TEST(error_response)
{
	char buf[2048];
	size_t n = aj_http_error(buf, sizeof(buf), 403, "http_request_denied",
				 "agentjail: CONNECT to \"x\":443 refused\r\nInjected: 1");
	const char *body;

	buf[n] = '\0';
	EXPECT_TRUE(strncmp(buf, "HTTP/1.1 403 Forbidden\r\n", 24) == 0);
	EXPECT_TRUE(strstr(buf, "Proxy-Status: agentjail; error=http_request_denied; details=\"") != NULL);
	/* Nothing in the reason can add a field or end the header. */
	EXPECT_TRUE(strstr(buf, "\r\nInjected") == NULL);
	body = strstr(buf, "\r\n\r\n");
	ASSERT_TRUE(body != NULL);
	EXPECT_STREQ(body + 4, "agentjail: CONNECT to 'x':443 refused''Injected: 1\n");
	{
		char cl[64];

		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", strlen(body + 4));
		EXPECT_TRUE(strstr(buf, cl) != NULL);
	}
}

TEST(socks_greeting)
{
	uint8_t m = 0xee;

	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05", 1, &m), 0);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05\x02\x00", 3, &m), 0);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05\x02\x02\x00", 4, &m), 4);
	EXPECT_EQ(m, AJ_SOCKS_AUTH_NONE);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05\x01\x02", 3, &m), 3);
	EXPECT_EQ(m, AJ_SOCKS_AUTH_USERPASS);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05\x01\x01", 3, &m), 3);
	EXPECT_EQ(m, AJ_SOCKS_AUTH_NO_METHOD);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x05\x00", 2, &m), -EPROTO);
	EXPECT_EQ(aj_socks_greeting((const uint8_t *)"\x04\x01", 2, &m), -EPROTO);
	EXPECT_EQ(aj_socks_userpass((const uint8_t *)"\x01\x01u\x01p", 5), 5);
	EXPECT_EQ(aj_socks_userpass((const uint8_t *)"\x01\x01u\x01", 4), 0);
	EXPECT_EQ(aj_socks_userpass((const uint8_t *)"\x02", 1), -EPROTO);
}

TEST(socks_requests)
{
	struct aj_target t;
	uint8_t rep = 0xee;
	const uint8_t name[] = "\x05\x01\x00\x03\x0b" "Example.COM" "\x01\xbb";
	const uint8_t v4[] = { 5, 1, 0, 1, 10, 0, 0, 1, 0, 80 };
	const uint8_t v6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1, 0, 80 };
	const uint8_t bind[] = { 5, 2, 0, 1, 10, 0, 0, 1, 0, 80 };
	const uint8_t atyp[] = { 5, 1, 0, 9, 1, 2 };
	const uint8_t badname[] = "\x05\x01\x00\x03\x03" "a b" "\x00\x50";

	EXPECT_EQ(aj_socks_request(name, 5, &t, &rep), 0);
	EXPECT_EQ(aj_socks_request(name, sizeof(name) - 2, &t, &rep), 0);
	ASSERT_EQ(aj_socks_request(name, sizeof(name) - 1, &t, &rep), (int)sizeof(name) - 1);
	EXPECT_EQ(rep, AJ_SOCKS_OK);
	EXPECT_STREQ(t.host, "example.com");
	EXPECT_EQ(t.port, 443);
	ASSERT_EQ(aj_socks_request(v4, sizeof(v4), &t, &rep), (int)sizeof(v4));
	EXPECT_TRUE(t.is_addr);
	EXPECT_STREQ(t.host, "10.0.0.1");
	ASSERT_EQ(aj_socks_request(v6, sizeof(v6), &t, &rep), (int)sizeof(v6));
	EXPECT_EQ(t.addr.family, AF_INET);
	EXPECT_STREQ(t.host, "127.0.0.1");
	aj_socks_request(bind, sizeof(bind), &t, &rep);
	EXPECT_EQ(rep, AJ_SOCKS_CMD_UNSUPPORTED);
	aj_socks_request(atyp, sizeof(atyp), &t, &rep);
	EXPECT_EQ(rep, AJ_SOCKS_ATYP_UNSUPPORTED);
	aj_socks_request(badname, sizeof(badname) - 1, &t, &rep);
	EXPECT_EQ(rep, AJ_SOCKS_HOST_UNREACHABLE);
	EXPECT_EQ(aj_socks_request((const uint8_t *)"\x04\x01\x00\x01", 4, &t, &rep), -EPROTO);
}

TEST(netlog_line)
{
	struct aj_netlog_entry e = {
		.time = { .tv_sec = 1700000000, .tv_nsec = 123456789 },
		.host = "api.example.com", .port = 443, .allow = true,
		.reason = "allowed by 'api.example.com'", .bytes_up = 512, .bytes_down = 4096,
	};
	char buf[AJ_NETLOG_LINE_MAX];
	size_t n = aj_netlog_format(buf, sizeof(buf), &e);

	buf[n] = '\0';
	EXPECT_STREQ(buf, "{\"time\":\"2023-11-14T22:13:20.123Z\",\"host\":\"api.example.com\","
			  "\"port\":443,\"decision\":\"allow\",\"reason\":\"allowed by 'api.example.com'\","
			  "\"bytes_up\":512,\"bytes_down\":4096}\n");
}

TEST(netlog_escapes_hostile_text)
{
	struct aj_netlog_entry e = { .host = "a\"b\\c\n\x01\xff", .reason = NULL, .port = 0 };
	char buf[AJ_NETLOG_LINE_MAX], big[4096];
	size_t n = aj_netlog_format(buf, sizeof(buf), &e);

	buf[n] = '\0';
	EXPECT_TRUE(strstr(buf, "\"host\":\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\"") != NULL);
	EXPECT_TRUE(strstr(buf, "\"decision\":\"deny\",\"reason\":\"\"") != NULL);

	/* Whatever the length, one line, closed, within the maximum. */
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.host = big;
	e.reason = big;
	n = aj_netlog_format(buf, sizeof(buf), &e);
	ASSERT_TRUE(n <= sizeof(buf));
	EXPECT_EQ(buf[n - 1], '\n');
	EXPECT_EQ(buf[n - 2], '}');
	EXPECT_TRUE(memchr(buf, '\n', n - 1) == NULL);
}

TEST(netlog_write_is_one_line)
{
	int p[2];
	struct aj_netlog_entry e = { .host = "h.test", .port = 1, .reason = "r" };
	char buf[512];
	ssize_t n;

	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(aj_netlog_write(p[1], &e), 0);
	n = read(p[0], buf, sizeof(buf) - 1);
	ASSERT_TRUE(n > 0);
	buf[n] = '\0';
	EXPECT_TRUE(strncmp(buf, "{\"time\":\"1970-01-01T00:00:00.000Z\",\"host\":\"h.test\"", 50) == 0);
	EXPECT_EQ(buf[n - 1], '\n');
}

TEST(connection_state_is_small)
{
	/* Requests are read into one buffer shared by all connections: per connection, only this. */
	printf("# user memory per open connection: %lu bytes\n", aj_proxy_conn_size());
	EXPECT_TRUE(aj_proxy_conn_size() < 1024);
}

int main(void)
{
	return tap_main();
}
