/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* The INI reader refuses every line inih (Debian 12) would silently mangle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/ini.h"
#include "agentjail/log.h"
#include "tap.h"

struct seen {
	char buf[2048];
};

static int record(void *user, const char *section, const char *key, const char *value,
		  unsigned line)
{
	struct seen *s = user;
	size_t n = strlen(s->buf);

	snprintf(s->buf + n, sizeof(s->buf) - n, "%u:[%s]%s=%s;", line, section, key, value);
	return 0;
}

static int parse(const char *text, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return aj_ini_parse("t.ini", text, strlen(text), record, s);
}

/* The text is (pointer, length): nothing may be read past it (found by fuzz-ini). */
TEST(text_without_a_final_nul_is_read_within_its_length)
{
	static const char text[] = "[s]\nkey = v\nabc";
	char *exact = malloc(sizeof(text) - 1);
	struct seen s = { { 0 } };

	ASSERT_TRUE(exact != NULL);
	memcpy(exact, text, sizeof(text) - 1);
	EXPECT_EQ(aj_ini_parse("t.ini", exact, sizeof(text) - 1, record, &s), -EINVAL);
	memcpy(exact, text, sizeof(text) - 1);
	EXPECT_EQ(aj_ini_parse("t.ini", exact, sizeof(text) - 4, record, &s), 0);
	EXPECT_STREQ(s.buf, "2:[s]key=v;");
	free(exact);
}

TEST(keys_with_their_line_numbers)
{
	struct seen s;

	ASSERT_EQ(parse("; comment\n[filesystem]\nbind = /a /b\n\n  # indented comment\n"
			"ro-bind=/usr\n[env]\npass = TERM ; inline comment\nset: A=1\n",
			&s),
		  0);
	EXPECT_STREQ(s.buf, "3:[filesystem]bind=/a /b;6:[filesystem]ro-bind=/usr;8:[env]pass=TERM;"
			    "9:[env]set=A=1;");
}

TEST(repeated_keys_keep_their_order)
{
	struct seen s;

	ASSERT_EQ(parse("[f]\nk = 1\nk = 2\nk = 3\n", &s), 0);
	EXPECT_STREQ(s.buf, "2:[f]k=1;3:[f]k=2;4:[f]k=3;");
}

TEST(a_long_line_is_refused_not_split)
{
	struct seen s;
	char text[400];

	snprintf(text, sizeof(text), "[f]\nbind = /%0198d\n", 0);
	EXPECT_EQ(parse(text, &s), -EINVAL);
	EXPECT_STREQ(s.buf, "");
	/* 197 bytes is the longest line inih keeps whole. */
	snprintf(text, sizeof(text), "[f]\nk = %0193d\n", 0);
	EXPECT_EQ(strlen(strchr(text, '\n') + 1), 198);
	EXPECT_EQ(parse(text, &s), 0);
}

TEST(a_long_section_name_is_refused)
{
	struct seen s;
	char text[200];

	snprintf(text, sizeof(text), "[%050d]\nk = v\n", 0);
	EXPECT_EQ(parse(text, &s), -EINVAL);
	snprintf(text, sizeof(text), "[%049d]\nk = v\n", 0);
	EXPECT_EQ(parse(text, &s), 0);
}

TEST(an_indented_line_is_refused)
{
	struct seen s;

	/* inih would append "  /secret" to the previous value. */
	EXPECT_EQ(parse("[f]\nbind = /a\n  /secret\n", &s), -EINVAL);
	EXPECT_STREQ(s.buf, "");
	EXPECT_EQ(parse("[f]\n\tk = v\n", &s), -EINVAL);
}

TEST(lines_without_a_value_are_refused)
{
	struct seen s;

	EXPECT_EQ(parse("[f]\njustaword\n", &s), -EINVAL);
	EXPECT_EQ(parse("[f]\n= value\n", &s), -EINVAL);
	EXPECT_EQ(parse("[f\nk = v\n", &s), -EINVAL);
	EXPECT_EQ(parse("[f] junk\nk = v\n", &s), -EINVAL);
}

TEST(nul_bytes_are_refused)
{
	struct seen s;
	static const char text[] = "[f]\nk = a\0b\n";

	memset(&s, 0, sizeof(s));
	EXPECT_EQ(aj_ini_parse("t.ini", text, sizeof(text) - 1, record, &s), -EINVAL);
}

static int refuse_second(void *user, const char *section, const char *key, const char *value,
			 unsigned line)
{
	(void)user, (void)section, (void)key, (void)value;
	return line == 3 ? -EINVAL : 0;
}

TEST(handler_errors_stop_the_parse)
{
	const char *text = "[f]\nk = 1\nk = 2\nk = 3\n";

	EXPECT_EQ(aj_ini_parse("t.ini", text, strlen(text), refuse_second, NULL), -EINVAL);
}

TEST(bom_is_skipped)
{
	struct seen s;

	ASSERT_EQ(parse("\xEF\xBB\xBF[f]\nk = v\n", &s), 0);
	EXPECT_STREQ(s.buf, "2:[f]k=v;");
}

int main(void)
{
	aj_log_set_quiet(true);
	return tap_main();
}
