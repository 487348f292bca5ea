/* SPDX-License-Identifier: LGPL-2.0-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/netlog.h"

/*
 * A JSON string.  Hosts and reasons come from hostile requests: control
 * bytes, quotes and backslashes are escaped, and bytes >= 0x80 are written
 * as \u00XX so the line is valid UTF-8 whatever arrived.
 */
static size_t put_string(char *buf, size_t size, size_t n, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	if (n < size)
		buf[n++] = '"';
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7];
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, k = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4], esc[5] = hex[c & 15], k = 6;
		} else {
			esc[0] = (char)c, k = 1;
		}
		if (n + k + 2 > size) /* room for the closing quote and more */
			break;
		memcpy(buf + n, esc, k);
		n += k;
	}
	if (n < size)
		buf[n++] = '"';
	return n;
}

size_t aj_netlog_format(char *buf, size_t size, const struct aj_netlog_entry *e)
{
	struct tm tm;
	size_t n = 0;
	int k;

	if (size < 128)
		return 0;
	size -= 1; /* the newline always fits */
	gmtime_r(&e->time.tv_sec, &tm);
	k = snprintf(buf, size, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"host\":",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     e->time.tv_nsec / 1000000);
	n = (size_t)k;
	n = put_string(buf, size - 100, n, e->host);
	k = snprintf(buf + n, size - n, ",\"port\":%u,\"decision\":\"%s\",\"reason\":", e->port,
		     e->allow ? "allow" : "deny");
	n += (size_t)k;
	n = put_string(buf, size - 80, n, e->reason);
	k = snprintf(buf + n, size - n, ",\"bytes_up\":%" PRIu64 ",\"bytes_down\":%" PRIu64 "}",
		     e->bytes_up, e->bytes_down);
	n += (size_t)k < size - n ? (size_t)k : size - n - 1;
	buf[n++] = '\n';
	return n;
}

int aj_netlog_write(int fd, const struct aj_netlog_entry *e)
{
	char line[AJ_NETLOG_LINE_MAX];
	size_t n = aj_netlog_format(line, sizeof(line), e);
	ssize_t w;

	/* One write: lines from a pipe or an O_APPEND file never interleave. */
	do
		w = write(fd, line, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}
