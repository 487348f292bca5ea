/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The audit log as a file: appending a record to the hash chain, checking
 * the chain, and `agentjail audit verify|show|path`.
 *
 * A record is one line:  P + ,"sha256":"H"}  where P starts with
 * {"v":1,"seq":N,"prev":"<H of the previous line>",  and H = SHA-256(P) in
 * hex.  The first record of a file has seq 1 and 64 zeros as prev.  So an
 * edit shows as a digest that does not match its line, and a removed,
 * inserted or moved line as a prev that does not match the line before it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agentjail/audit.h"
#include "agentjail/fdutil.h"
#include "agentjail/json.h"
#include "agentjail/log.h"
#include "agentjail/sha256.h"
#include "cleanup.h"

#define DIGEST_KEY ",\"sha256\":\""
#define SUFFIX_LEN (sizeof(DIGEST_KEY) - 1 + 64 + 2) /* ,"sha256":"<64 hex>"} */
#define MAX_RECORD (64u << 20)                      /* a record bigger than this is refused */

/* Split a line into the hashed prefix and the digest it claims. */
static int split_record(const char *line, size_t len, size_t *ret_prefix, const char **ret_hex)
{
	const char *hex;

	if (len < SUFFIX_LEN + 2 || line[0] != '{')
		return -EBADMSG;
	if (memcmp(line + len - SUFFIX_LEN, DIGEST_KEY, sizeof(DIGEST_KEY) - 1) != 0 ||
	    line[len - 2] != '"' || line[len - 1] != '}')
		return -EBADMSG;
	hex = line + len - 66;
	for (int i = 0; i < 64; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return -EBADMSG;
	*ret_prefix = len - SUFFIX_LEN;
	*ret_hex = hex;
	return 0;
}

static int pread_all(int fd, void *buf, size_t size, off_t off)
{
	char *p = buf;

	while (size > 0) {
		ssize_t n = pread(fd, p, size, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* shorter than fstat said: changed under us */
		p += n, off += n, size -= (size_t)n;
	}
	return 0;
}

/*
 * Offsets where the last n lines of [0, end) start, latest last; the file
 * is read backwards in chunks, so a long log costs only its tail.
 */
static int tail_starts(int fd, off_t end, size_t n, off_t *starts, size_t *ret_count)
{
	char buf[65536];
	off_t pos = end;
	size_t count = 0, chunk = 4096; /* a record is a few KB: start small */

	while (pos > 0 && count < n) {
		size_t k = pos > (off_t)chunk ? chunk : (size_t)pos;
		int r;

		if (chunk < sizeof(buf))
			chunk *= 2;

		pos -= (off_t)k;
		r = pread_all(fd, buf, k, pos);
		if (r < 0)
			return r;
		for (size_t i = k; i-- > 0 && count < n;)
			if (buf[i] == '\n' && pos + (off_t)i + 1 <= end)
				starts[n - 1 - count++] = pos + (off_t)i + 1;
	}
	if (count < n && end > 0)
		starts[n - 1 - count++] = 0;
	memmove(starts, starts + (n - count), count * sizeof(off_t));
	*ret_count = count;
	return 0;
}

static int read_span(int fd, off_t from, off_t to, char **ret)
{
	size_t len = (size_t)(to - from);
	char *s;
	int r;

	if (to - from > (off_t)MAX_RECORD)
		return -E2BIG;
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	r = pread_all(fd, s, len, from);
	if (r < 0) {
		free(s);
		return r;
	}
	s[len] = '\0';
	*ret = s;
	return 0;
}

/* The chain position after the last line: its digest and seq (or a stand-in for garbage). */
static int chain_tail(int fd, char prev[AJ_SHA256_HEX_SIZE], unsigned long long *ret_seq,
		      bool *ret_torn)
{
	_cleanup_free_ char *line = NULL;
	struct stat st;
	off_t start, end;
	size_t count, prefix;
	const char *hex;
	struct aj_json_val rec, v;
	int64_t seq;
	char last;
	int r;

	memcpy(prev, AJ_AUDIT_GENESIS, AJ_SHA256_HEX_SIZE);
	*ret_seq = 0;
	*ret_torn = false;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size == 0)
		return 0;
	r = pread_all(fd, &last, 1, st.st_size - 1);
	if (r < 0)
		return r;
	*ret_torn = last != '\n';
	end = *ret_torn ? st.st_size : st.st_size - 1;
	r = tail_starts(fd, end, 1, &start, &count);
	if (r < 0)
		return r;
	if (count == 0)
		return 0;
	r = read_span(fd, start, end, &line);
	if (r < 0)
		return r;
	/*
	 * A last line that is not a sound record was torn or tampered with;
	 * verify reports it.  Chain on from its raw digest rather than refuse
	 * to record this run.
	 */
	if (split_record(line, (size_t)(end - start), &prefix, &hex) < 0 ||
	    aj_json_check(line, (size_t)(end - start), &rec) < 0 || aj_json_get(&rec, "seq", &v) < 0 ||
	    aj_json_int(&v, &seq) < 0 || seq < 1) {
		aj_sha256_hex(line, (size_t)(end - start), prev);
		return 0;
	}
	memcpy(prev, hex, 64);
	prev[64] = '\0';
	*ret_seq = (unsigned long long)seq;
	return 0;
}

int aj_auditlog_append(int fd, const char *body, size_t body_len, unsigned long long *ret_seq,
		       char *ret_sha256)
{
	char prev[AJ_SHA256_HEX_SIZE], digest[AJ_SHA256_HEX_SIZE];
	struct aj_buf b = { 0 };
	unsigned long long seq;
	bool torn;
	size_t prefix;
	int r;

	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	r = chain_tail(fd, prev, &seq, &torn);
	if (r < 0)
		goto out;
	seq++;
	if (torn)
		aj_buf_puts(&b, "\n"); /* the torn line stays broken; ours starts clean */
	prefix = b.len;
	aj_buf_printf(&b, "{\"v\":1,\"seq\":%llu,\"prev\":\"%s\"", seq, prev);
	if (body_len) {
		aj_buf_puts(&b, ",");
		aj_buf_put(&b, body, body_len);
	}
	if (b.err) {
		r = b.err;
		goto out;
	}
	aj_sha256_hex(b.data + prefix, b.len - prefix, digest);
	aj_buf_printf(&b, "%s%s\"}\n", DIGEST_KEY, digest);
	if (b.err) {
		r = b.err;
		goto out;
	}
	/* One write(): with O_APPEND and the lock, no other record lands inside ours. */
	r = aj_write_all(fd, b.data, b.len);
	if (r < 0)
		goto out;
	if (ret_seq)
		*ret_seq = seq;
	if (ret_sha256)
		memcpy(ret_sha256, digest, AJ_SHA256_HEX_SIZE);
out:
	(void)flock(fd, LOCK_UN); /* closing the fd would release it too */
	aj_buf_free(&b);
	return r;
}

/* ---- verification ------------------------------------------------------- */

static int broken(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int broken(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

int aj_auditlog_verify(int fd, unsigned long long *ret_records, char *last_sha256,
		       unsigned long long *ret_line, char *why, size_t why_size)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char expect_prev[AJ_SHA256_HEX_SIZE] = AJ_AUDIT_GENESIS;
	unsigned long long n = 0, expect_seq = 1;
	size_t cap = 0;
	int dfd;

	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return -errno;
	f = fdopen(dfd, "re");
	if (!f) {
		(void)close(dfd);
		return -errno;
	}
	if (fseeko(f, 0, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		struct aj_json_val rec, v;
		char digest[AJ_SHA256_HEX_SIZE];
		_cleanup_free_ char *prev = NULL;
		const char *hex;
		size_t prefix, len;
		int64_t seq, version;
		ssize_t k;

		errno = 0;
		k = getline(&line, &cap, f);
		if (k < 0) {
			if (errno)
				return -errno;
			break;
		}
		*ret_line = ++n;
		len = (size_t)k;
		if (line[len - 1] != '\n')
			return broken(why, why_size, "incomplete record: no newline at its end (a torn "
						     "or truncated write)");
		line[--len] = '\0';
		if (len > MAX_RECORD)
			return broken(why, why_size, "record too long");
		if (split_record(line, len, &prefix, &hex) < 0)
			return broken(why, why_size, "not a record: no \"sha256\" member at its end");
		if (aj_json_check(line, len, &rec) < 0 || rec.type != AJ_JSON_OBJECT)
			return broken(why, why_size, "not a record: not a valid JSON object");
		aj_sha256_hex(line, prefix, digest);
		if (memcmp(digest, hex, 64) != 0)
			return broken(why, why_size, "record modified: its content does not match its "
						     "sha256");
		if (aj_json_get(&rec, "v", &v) < 0 || aj_json_int(&v, &version) < 0 || version != 1 ||
		    aj_json_get(&rec, "seq", &v) < 0 || aj_json_int(&v, &seq) < 0 ||
		    aj_json_get(&rec, "prev", &v) < 0 || aj_json_string(&v, &prev) < 0 ||
		    strlen(prev) != 64 || strncmp(line, "{\"v\":1,\"seq\":", 13) != 0)
			return broken(why, why_size, "not a record: v, seq or prev missing or malformed");
		if (n == 1 && (seq != 1 || strcmp(prev, AJ_AUDIT_GENESIS) != 0))
			return broken(why, why_size,
				      "the chain does not start here (seq %" PRId64 ", prev is not the "
				      "genesis value): earlier records were removed",
				      seq);
		if (strcmp(prev, expect_prev) != 0)
			return broken(why, why_size,
				      "chain broken: prev is not the sha256 of line %llu (a record was "
				      "changed, removed, inserted or moved)",
				      n - 1);
		if ((unsigned long long)seq != expect_seq)
			return broken(why, why_size, "seq %" PRId64 " where %llu was expected", seq,
				      expect_seq);
		memcpy(expect_prev, hex, 64);
		expect_seq++;
	}
	*ret_records = n;
	if (last_sha256)
		memcpy(last_sha256, expect_prev, AJ_SHA256_HEX_SIZE);
	return 0;
}

/* ---- show --------------------------------------------------------------- */

static void format_duration(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "?");
	else if (ms < 60000)
		snprintf(buf, size, "%" PRId64 ".%01" PRId64 "s", ms / 1000, (ms % 1000) / 100);
	else if (ms < 3600000)
		snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", ms / 60000, (ms / 1000) % 60);
	else
		snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, (ms / 60000) % 60);
}

/* "2025-06-01T12:03:04.123Z" as local time "2025-06-01 14:03:04". */
static void format_start(const char *utc, char *buf, size_t size)
{
	struct tm tm = { 0 };
	time_t t;

	if (!utc || !strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	t = timegm(&tm);
	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "?");
}

static char *get_str(const struct aj_json_val *obj, const char *key)
{
	struct aj_json_val v;
	char *s = NULL;

	if (aj_json_get(obj, key, &v) < 0 || aj_json_string(&v, &s) < 0)
		return NULL;
	return s;
}

static int64_t get_int(const struct aj_json_val *obj, const char *key, int64_t dflt)
{
	struct aj_json_val v;
	int64_t i;

	if (aj_json_get(obj, key, &v) < 0 || aj_json_int(&v, &i) < 0)
		return dflt;
	return i;
}

/* Replace control characters, so a hostile argument cannot drive the terminal. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void show_line(FILE *out, const char *line, size_t len)
{
	_cleanup_free_ char *start = NULL, *user = NULL, *profile = NULL, *sig = NULL;
	struct aj_json_val rec, v, e;
	struct aj_buf cmd = { 0 };
	char when[32], dur[32], exitbuf[32];
	size_t pos = 0;
	bool executed = true;

	if (aj_json_check(line, len, &rec) < 0 || rec.type != AJ_JSON_OBJECT) {
		fprintf(out, "%6s  (not a readable record)\n", "?");
		return;
	}
	start = get_str(&rec, "start");
	user = get_str(&rec, "user");
	profile = get_str(&rec, "profile");
	format_start(start, when, sizeof(when));
	format_duration(get_int(&rec, "duration_ms", -1), dur, sizeof(dur));
	snprintf(exitbuf, sizeof(exitbuf), "?");
	if (aj_json_get(&rec, "exit", &v) == 0 && v.type == AJ_JSON_OBJECT) {
		struct aj_json_val x;

		sig = get_str(&v, "signal");
		if (aj_json_get(&v, "executed", &x) == 0)
			(void)aj_json_bool(&x, &executed);
		if (sig)
			snprintf(exitbuf, sizeof(exitbuf), "%s", sig);
		else if (!executed)
			snprintf(exitbuf, sizeof(exitbuf), "setup:%" PRId64, get_int(&v, "code", -1));
		else
			snprintf(exitbuf, sizeof(exitbuf), "%" PRId64, get_int(&v, "code", -1));
	}
	if (aj_json_get(&rec, "command", &v) == 0)
		while (aj_json_next(&v, &pos, &e) == 0) {
			_cleanup_free_ char *w = NULL;

			if (aj_json_string(&e, &w) < 0)
				continue;
			if (cmd.len)
				aj_buf_puts(&cmd, " ");
			aj_buf_puts(&cmd, w);
		}
	if (cmd.data) {
		sanitize(cmd.data);
		if (cmd.len > 60)
			memcpy(cmd.data + 57, "...", 4);
	}
	if (user)
		sanitize(user);
	if (profile)
		sanitize(profile);
	fprintf(out, "%6" PRId64 "  %-19s  %8s  %-10.10s  %-10.10s  %-10.10s  %s\n",
		get_int(&rec, "seq", -1), when, dur, user ? user : "?", exitbuf,
		profile ? profile : "-", cmd.data ? cmd.data : "");
	aj_buf_free(&cmd);
}

static int show(int fd, size_t n, FILE *out)
{
	_cleanup_free_ off_t *starts = NULL;
	struct stat st;
	size_t count;
	off_t end;
	int r;

	if (fstat(fd, &st) < 0)
		return -errno;
	end = st.st_size;
	if (end > 0) {
		char c;

		r = pread_all(fd, &c, 1, end - 1);
		if (r < 0)
			return r;
		if (c == '\n')
			end--;
	}
	starts = calloc(n + 1, sizeof(off_t));
	if (!starts)
		return -ENOMEM;
	r = st.st_size ? tail_starts(fd, end, n, starts, &count) : 0;
	if (r < 0)
		return r;
	if (!st.st_size)
		count = 0;
	fprintf(out, "%6s  %-19s  %8s  %-10s  %-10s  %-10s  %s\n", "SEQ", "START", "DURATION", "USER",
		"EXIT", "PROFILE", "COMMAND");
	for (size_t i = 0; i < count; i++) {
		_cleanup_free_ char *line = NULL;
		off_t to = i + 1 < count ? starts[i + 1] - 1 : end;

		r = read_span(fd, starts[i], to, &line);
		if (r < 0)
			return r;
		show_line(out, line, (size_t)(to - starts[i]));
	}
	return 0;
}

/* ---- agentjail audit ... ------------------------------------------------ */

static int usage(FILE *f)
{
	fputs("usage: agentjail audit verify [FILE]    check the hash chain of the audit log\n"
	      "       agentjail audit show [-n N] [FILE] the last N runs (default 20) as a table\n"
	      "       agentjail audit path             where runs are recorded by default\n",
	      f);
	return f == stdout ? 0 : 2;
}

static int open_log(const char *given, char **ret_path, int *ret_fd)
{
	_cleanup_free_ char *path = NULL;
	int fd, r;

	if (given)
		path = strdup(given);
	else {
		r = aj_audit_path(NULL, &path);
		if (r < 0)
			return aj_err(r, "Can't find the audit log (set XDG_STATE_HOME or HOME)");
	}
	if (!path)
		return aj_err(-ENOMEM, "Out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return aj_err(-errno, "Can't open the audit log '%s'", path);
	*ret_fd = fd;
	*ret_path = TAKE_PTR(path);
	return 0;
}

int aj_audit_main(int argc, char **argv)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int r;

	if (!cmd || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return usage(cmd ? stdout : stderr);
	if (strcmp(cmd, "path") == 0) {
		if (argc != 2)
			return usage(stderr);
		r = aj_audit_path(NULL, &path);
		if (r < 0)
			return aj_err(r, "Can't find the audit log (set XDG_STATE_HOME or HOME)"), 1;
		printf("%s\n", path);
		return 0;
	}
	if (strcmp(cmd, "verify") == 0) {
		char why[512], last[AJ_SHA256_HEX_SIZE];
		unsigned long long records = 0, line = 0;

		if (argc > 3)
			return usage(stderr);
		if (open_log(argc == 3 ? argv[2] : NULL, &path, &fd) < 0)
			return 1;
		r = aj_auditlog_verify(fd, &records, last, &line, why, sizeof(why));
		if (r == -EBADMSG)
			return aj_errx(r, "%s:%llu: %s", path, line, why), 1;
		if (r < 0)
			return aj_err(r, "Can't read the audit log '%s'", path), 1;
		printf("%s: %llu records, chain intact; last sha256 %s\n", path, records,
		       records ? last : "(none)");
		return 0;
	}
	if (strcmp(cmd, "show") == 0) {
		unsigned long n = 20;
		int i = 2;

		if (i < argc && strcmp(argv[i], "-n") == 0) {
			char *end;

			if (i + 1 >= argc)
				return usage(stderr);
			errno = 0;
			n = strtoul(argv[i + 1], &end, 10);
			if (errno || *end || !*argv[i + 1] || n == 0 || n > 1000000)
				return aj_errx(-EINVAL, "audit show -n takes a number from 1 to 1000000, "
							"not '%s'", argv[i + 1]), 1;
			i += 2;
		}
		if (argc - i > 1)
			return usage(stderr);
		if (open_log(i < argc ? argv[i] : NULL, &path, &fd) < 0)
			return 1;
		r = show(fd, n, stdout);
		if (r < 0)
			return aj_err(r, "Can't read the audit log '%s'", path), 1;
		return 0;
	}
	aj_errx(-EINVAL, "audit: unknown command '%s'", cmd);
	return usage(stderr);
}
