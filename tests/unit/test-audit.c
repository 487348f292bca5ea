/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The audit log's chain: every kind of tampering is found at the right line,
 * concurrent writers keep one chain, and the proxy's decision lines are
 * embedded only when well-formed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentjail/audit.h"
#include "agentjail/cli.h"
#include "agentjail/json.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/sha256.h"
#include "tap.h"

static int new_log(void)
{
	char path[] = "/tmp/aj-audit-test.XXXXXX";
	int fd = mkstemp(path);

	unlink(path);
	/* As the monitor opens it: appending. */
	fcntl(fd, F_SETFL, O_APPEND);
	return fd;
}

static int log_with(int n)
{
	int fd = new_log();

	for (int i = 1; i <= n; i++) {
		char body[64];
		unsigned long long seq;

		snprintf(body, sizeof(body), "\"run\":%d,\"note\":\"r%d\"", i, i);
		if (aj_auditlog_append(fd, body, strlen(body), &seq, NULL) < 0 || seq != (unsigned)i)
			return -1;
	}
	return fd;
}

static char *slurp(int fd, size_t *ret_len)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *s = malloc((size_t)size + 1);

	pread(fd, s, (size_t)size, 0);
	s[size] = '\0';
	*ret_len = (size_t)size;
	return s;
}

/* Split the text into lines (with their newlines), up to 16. */
static int lines_of(char *text, char **line, size_t *len)
{
	int n = 0;

	for (char *p = text; *p && n < 16; n++) {
		char *nl = strchr(p, '\n');

		line[n] = p;
		len[n] = nl ? (size_t)(nl - p) + 1 : strlen(p);
		p += len[n];
	}
	return n;
}

/* A new log holding the given lines of an old one, in the given order (-1 ends). */
static int rewrite(int fd, const int *order)
{
	size_t total, len[16];
	char *text = slurp(fd, &total), *line[16];
	int out = new_log();

	lines_of(text, line, len);
	for (const int *o = order; *o >= 0; o++)
		write(out, line[*o], len[*o]);
	free(text);
	return out;
}

static int verify(int fd, unsigned long long *ret_line, char *why)
{
	unsigned long long records = 0;
	char last[AJ_SHA256_HEX_SIZE];

	*ret_line = 0;
	return aj_auditlog_verify(fd, &records, last, ret_line, why, 512);
}

TEST(an_intact_chain_verifies)
{
	int fd = log_with(5);
	unsigned long long records = 0, line = 0;
	char last[AJ_SHA256_HEX_SIZE], why[512] = "", *text, *lines[16];
	size_t total, len[16];

	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(aj_auditlog_verify(fd, &records, last, &line, why, sizeof(why)), 0);
	EXPECT_EQ(records, 5);
	/* The head reported is the last record's own digest. */
	text = slurp(fd, &total);
	ASSERT_EQ(lines_of(text, lines, len), 5);
	EXPECT_TRUE(memmem(lines[4], len[4], last, 64) != NULL);
	/* Records are chained: the second names the first's digest as prev. */
	{
		const char *head = "{\"v\":1,\"seq\":1,\"prev\":\"" AJ_AUDIT_GENESIS "\",\"run\":1,";

		EXPECT_TRUE(strncmp(lines[0], head, strlen(head)) == 0);
	}
	/* Each line ends with ,"sha256":"<64 hex>"} and a newline: the hex is 67 bytes before the end. */
	EXPECT_TRUE(memmem(lines[1], len[1], lines[0] + len[0] - 67, 64) != NULL);
	free(text);
}

TEST(an_edited_record_is_found_at_its_line)
{
	int fd = log_with(5);
	size_t total;
	char *text = slurp(fd, &total), *p, why[512];
	unsigned long long line;

	p = strstr(text, "\"note\":\"r3\"");
	ASSERT_TRUE(p != NULL);
	p[9] = '9'; /* r3 -> r9 */
	ftruncate(fd, 0);
	write(fd, text, total);
	EXPECT_EQ(verify(fd, &line, why), -EBADMSG);
	EXPECT_EQ(line, 3);
	EXPECT_TRUE(strstr(why, "record modified") != NULL);
	free(text);
}

TEST(an_edited_and_rehashed_record_breaks_the_next_link)
{
	int fd = log_with(5), out = new_log();
	size_t total, len[16];
	char *text = slurp(fd, &total), *line[16], why[512], hex[AJ_SHA256_HEX_SIZE];
	unsigned long long at;

	lines_of(text, line, len);
	/* Forge record 3 completely: new content and a digest that matches it. */
	memcpy(strstr(line[2], "\"note\":\"r3\"") + 9, "9", 1);
	aj_sha256_hex(line[2], len[2] - 1 - 77, hex);
	memcpy(line[2] + len[2] - 1 - 66, hex, 64);
	write(out, text, total);
	EXPECT_EQ(verify(out, &at, why), -EBADMSG);
	EXPECT_EQ(at, 4);
	EXPECT_TRUE(strstr(why, "chain broken: prev is not the sha256 of line 3") != NULL);
	free(text);
}

TEST(a_deleted_record_is_found)
{
	int fd = log_with(5), order[] = { 0, 1, 3, 4, -1 };
	unsigned long long line;
	char why[512];

	EXPECT_EQ(verify(rewrite(fd, order), &line, why), -EBADMSG);
	EXPECT_EQ(line, 3);
	EXPECT_TRUE(strstr(why, "chain broken") != NULL);
}

TEST(a_deleted_first_record_is_found)
{
	int fd = log_with(3), order[] = { 1, 2, -1 };
	unsigned long long line;
	char why[512];

	EXPECT_EQ(verify(rewrite(fd, order), &line, why), -EBADMSG);
	EXPECT_EQ(line, 1);
	EXPECT_TRUE(strstr(why, "does not start here") != NULL);
}

TEST(an_inserted_copy_is_found)
{
	int fd = log_with(5), order[] = { 0, 1, 2, 1, 3, 4, -1 };
	unsigned long long line;
	char why[512];

	EXPECT_EQ(verify(rewrite(fd, order), &line, why), -EBADMSG);
	EXPECT_EQ(line, 4);
}

TEST(reordered_records_are_found)
{
	int fd = log_with(5), order[] = { 0, 2, 1, 3, 4, -1 };
	unsigned long long line;
	char why[512];

	EXPECT_EQ(verify(rewrite(fd, order), &line, why), -EBADMSG);
	EXPECT_EQ(line, 2);
	EXPECT_TRUE(strstr(why, "chain broken") != NULL);
}

TEST(a_forged_record_with_its_own_digest_is_found)
{
	int fd = log_with(2);
	char body[128], prefix[256], hex[AJ_SHA256_HEX_SIZE], rec[512], why[512];
	unsigned long long line;

	/* Well-formed and self-consistent, but prev does not name record 2. */
	snprintf(body, sizeof(body), "\"run\":99");
	snprintf(prefix, sizeof(prefix), "{\"v\":1,\"seq\":3,\"prev\":\"%s\",%s", AJ_AUDIT_GENESIS, body);
	aj_sha256_hex(prefix, strlen(prefix), hex);
	snprintf(rec, sizeof(rec), "%s,\"sha256\":\"%s\"}\n", prefix, hex);
	write(fd, rec, strlen(rec));
	EXPECT_EQ(verify(fd, &line, why), -EBADMSG);
	EXPECT_EQ(line, 3);
	EXPECT_TRUE(strstr(why, "chain broken") != NULL);
}

TEST(a_wrong_seq_with_a_right_prev_is_found)
{
	int fd = log_with(2);
	size_t total, len[16];
	char *text = slurp(fd, &total), *line[16], prefix[256], hex[AJ_SHA256_HEX_SIZE], rec[512], why[512];
	unsigned long long at;

	lines_of(text, line, len);
	snprintf(prefix, sizeof(prefix), "{\"v\":1,\"seq\":7,\"prev\":\"%.64s\"", line[1] + len[1] - 67);
	aj_sha256_hex(prefix, strlen(prefix), hex);
	snprintf(rec, sizeof(rec), "%s,\"sha256\":\"%s\"}\n", prefix, hex);
	write(fd, rec, strlen(rec));
	EXPECT_EQ(verify(fd, &at, why), -EBADMSG);
	EXPECT_EQ(at, 3);
	EXPECT_TRUE(strstr(why, "seq 7 where 3 was expected") != NULL);
	free(text);
}

TEST(garbage_and_torn_lines_are_found)
{
	int fd = log_with(2);
	unsigned long long line;
	char why[512];

	write(fd, "not json\n", 9);
	EXPECT_EQ(verify(fd, &line, why), -EBADMSG);
	EXPECT_EQ(line, 3);
	EXPECT_TRUE(strstr(why, "not a record") != NULL);

	fd = log_with(2);
	ftruncate(fd, lseek(fd, 0, SEEK_END) - 10);
	EXPECT_EQ(verify(fd, &line, why), -EBADMSG);
	EXPECT_EQ(line, 2);
	EXPECT_TRUE(strstr(why, "incomplete record") != NULL);
}

TEST(a_record_after_a_torn_write_starts_on_its_own_line)
{
	int fd = log_with(2);
	size_t total, len[16];
	char *text, *line[16], why[512];
	unsigned long long at;

	write(fd, "{\"v\":1,\"seq\":3,\"pre", 19); /* a writer died mid-record */
	ASSERT_EQ(aj_auditlog_append(fd, "\"run\":4", 7, NULL, NULL), 0);
	text = slurp(fd, &total);
	ASSERT_EQ(lines_of(text, line, len), 4);
	EXPECT_TRUE(strncmp(line[3], "{\"v\":1,\"seq\":", 13) == 0);
	/* The damage stays visible. */
	EXPECT_EQ(verify(fd, &at, why), -EBADMSG);
	EXPECT_EQ(at, 3);
	free(text);
}

TEST(concurrent_writers_keep_one_chain)
{
	int fd = new_log();
	unsigned long long records = 0, line = 0;
	char last[AJ_SHA256_HEX_SIZE], why[512] = "";

	for (int w = 0; w < 20; w++)
		if (fork() == 0) {
			/* Each writer opens the file itself, as separate runs do. */
			char path[64], body[64];
			int own;

			snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getppid(), fd);
			own = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
			for (int i = 0; i < 10; i++) {
				snprintf(body, sizeof(body), "\"writer\":%d,\"i\":%d", w, i);
				if (aj_auditlog_append(own, body, strlen(body), NULL, NULL) < 0)
					_exit(1);
			}
			_exit(0);
		}
	for (int w = 0; w < 20; w++) {
		int st;

		wait(&st);
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	EXPECT_EQ(aj_auditlog_verify(fd, &records, last, &line, why, sizeof(why)), 0);
	if (why[0])
		printf("#   line %llu: %s\n", line, why);
	EXPECT_EQ(records, 200);
}

static char *embed(const char *lines, size_t *ret_dropped)
{
	int fd = memfd_create("netlog", MFD_CLOEXEC);
	struct aj_buf b = { 0 };

	write(fd, lines, strlen(lines));
	/* The proxy's append position stays where it was. */
	if (aj_audit_netlog_json(fd, &b, ret_dropped) < 0)
		return NULL;
	close(fd);
	return b.data;
}

TEST(network_decisions_are_embedded_when_well_formed)
{
	size_t dropped;
	char *s = embed(
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"api.anthropic.com\",\"port\":443,"
		"\"decision\":\"allow\",\"reason\":\"allow api.anthropic.com\",\"bytes_up\":120,\"bytes_down\":4096}\n"
		"{\"time\":\"2025-06-01T12:00:01.5+02:00\",\"host\":\"evil.example\",\"port\":80,\"decision\":\"deny\","
		"\"reason\":\"not allowed\",\"extra\":\"ignored\"}\n"
		"not json\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"x\",\"decision\":\"allow\"}\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"x\",\"port\":70000,\"decision\":\"allow\"}\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"x\",\"port\":1,\"decision\":\"maybe\"}\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"a\\u001b[31mb\",\"port\":1,\"decision\":\"deny\"}\n"
		"{\"time\":\"<script>\",\"host\":\"x\",\"port\":1,\"decision\":\"deny\"}\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"x\",\"port\":1,\"decision\":\"deny\",\"bytes_up\":-1}\n"
		"{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"x\",\"port\":1,\"port\":2,\"decision\":\"deny\"}\n"
		"[1,2]\n"
		"\n"
		"{\"time\":\"2025-06-01T12:00:09Z\",\"host\":\"last.example\",\"port\":443,\"decision\":\"deny\"}",
		&dropped);
	struct aj_json_val arr, e, v;
	size_t pos = 0;
	int n = 0;

	ASSERT_TRUE(s != NULL);
	ASSERT_EQ(aj_json_check(s, strlen(s), &arr), 0);
	while (aj_json_next(&arr, &pos, &e) == 0) {
		n++;
		EXPECT_EQ(aj_json_get(&e, "extra", &v), -ENOENT);
		EXPECT_EQ(aj_json_get(&e, "bytes_up", &v), 0);
	}
	EXPECT_EQ(n, 3);
	EXPECT_EQ(dropped, 9);
	EXPECT_TRUE(strstr(s, "{\"time\":\"2025-06-01T12:00:00Z\",\"host\":\"api.anthropic.com\",\"port\":443,"
			      "\"decision\":\"allow\",\"reason\":\"allow api.anthropic.com\",\"bytes_up\":120,"
			      "\"bytes_down\":4096}") == s + 1);
	EXPECT_TRUE(strstr(s, "\"host\":\"last.example\",\"port\":443,\"decision\":\"deny\",\"reason\":\"\","
			      "\"bytes_up\":0,\"bytes_down\":0}]") != NULL);
	free(s);

	s = embed("", &dropped);
	EXPECT_STREQ(s, "[]");
	EXPECT_EQ(dropped, 0);
	free(s);
}

static int parse(struct aj_plan *plan, const char *const *words)
{
	char *argv[16];
	int argc = 1, r, next;
	struct aj_parser p;

	argv[0] = (char *)"agentjail";
	while (words[argc - 1])
		argv[argc] = (char *)words[argc - 1], argc++;
	argv[argc] = NULL;
	aj_parser_init(&p, plan, false);
	r = aj_cli_parse(&p, argc, argv, 1, &next);
	aj_parser_done(&p);
	return r;
}

TEST(options_and_keys)
{
	struct aj_plan *plan = aj_plan_new();
	const char *w1[] = { "--audit", "off", "true", NULL };
	const char *w2[] = { "--audit", "maybe", "true", NULL };
	const char *w3[] = { "--audit-log", "~/x/a.jsonl", "--audit-syslog", "on", "true", NULL };
	const char *w4[] = { "--audit-log", "", "true", NULL };

	EXPECT_TRUE(aj_audit_enabled(plan, false));
	EXPECT_TRUE(!aj_audit_enabled(plan, true));
	ASSERT_EQ(parse(plan, w1), 0);
	EXPECT_EQ(plan->audit, AJ_AUDIT_OFF);
	EXPECT_TRUE(!aj_audit_enabled(plan, false));
	EXPECT_EQ(parse(plan, w2), -EINVAL);
	aj_plan_free(plan);

	plan = aj_plan_new();
	setenv("HOME", "/home/t", 1);
	ASSERT_EQ(parse(plan, w3), 0);
	EXPECT_STREQ(plan->audit_log, "/home/t/x/a.jsonl");
	EXPECT_TRUE(plan->audit_syslog);
	/* Naming a log turns auditing on, also as bwrap (e.g. from bwrap.ini). */
	EXPECT_TRUE(aj_audit_enabled(plan, true));
	EXPECT_EQ(parse(plan, w4), -EINVAL);
	aj_plan_free(plan);

	EXPECT_TRUE(aj_opt_find_key("audit", "enabled") != NULL);
	EXPECT_TRUE(aj_opt_find_key("audit", "log") != NULL);
	EXPECT_TRUE(aj_opt_find_key("audit", "syslog") != NULL);
}

TEST(default_location)
{
	char *p = NULL;

	setenv("XDG_STATE_HOME", "/st", 1);
	ASSERT_EQ(aj_audit_path(NULL, &p), 0);
	EXPECT_STREQ(p, "/st/agentjail/audit.jsonl");
	free(p);
	/* A relative XDG_STATE_HOME is ignored, as the XDG rules say. */
	setenv("XDG_STATE_HOME", "rel", 1);
	setenv("HOME", "/home/t", 1);
	ASSERT_EQ(aj_audit_path(NULL, &p), 0);
	EXPECT_STREQ(p, "/home/t/.local/state/agentjail/audit.jsonl");
	free(p);
}

int main(void)
{
	return tap_main();
}
