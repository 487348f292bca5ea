/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Profiles: words and variables, every key through the option table, and one
 * test per bad line, each matching the message (file:line and what is wrong).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/front.h"
#include "agentjail/log.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/profile.h"
#include "agentjail/rules.h"
#include "agentjail/vars.h"
#include "capture.h"
#include "src/cleanup.h"
#include "tap.h"

static struct aj_front front;
static struct aj_plan *plan;
static struct aj_parser parser;

static void setup_vars(struct aj_vars *v)
{
	*v = (struct aj_vars){
		.home = strdup("/home/u"),
		.user = strdup("u"),
		.uid = strdup("1000"),
		.pwd = strdup("/work/proj/sub"),
		.project = strdup("/work/proj"),
		.shell = strdup("/bin/bash"),
		.xdg_config_home = strdup("/home/u/.config"),
		.xdg_cache_home = strdup("/home/u/.cache"),
		.xdg_data_home = strdup("/home/u/.local/share"),
		.xdg_state_home = strdup("/home/u/.local/state"),
		.xdg_runtime_dir = strdup("/run/user/1000"),
	};
}

/* Free what load() made (tests run in children that LeakSanitizer checks). */
static void unload(void)
{
	if (plan) {
		aj_parser_done(&parser);
		plan = aj_plan_free(plan);
	}
	aj_front_done(&front);
}

/* Apply text as the file /t/test.ini; returns the result, errors in *ret_err. */
static int load(const char *text, const char **ret_err)
{
	int r;

	unload();
	front = (struct aj_front){ 0 };
	setup_vars(&front.vars);
	front.vars_ready = true;
	plan = aj_plan_new();
	if (!plan || aj_parser_init(&parser, plan, false) < 0)
		abort();
	parser.front = &front;
	capture_begin();
	r = aj_profile_apply_text(&parser, "/t/test.ini", text, strlen(text));
	if (r >= 0)
		r = aj_parser_finish(&parser);
	*ret_err = capture_end();
	return r;
}

/* ---- words and variables ------------------------------------------------ */

static char *split_join(const char *text, int *ret_n)
{
	static char out[1024];
	struct aj_vars v;
	char **w = NULL, err[256];
	int n;

	setup_vars(&v);
	n = aj_words_split(&v, text, &w, err, sizeof(err));
	*ret_n = n;
	if (n < 0) {
		snprintf(out, sizeof(out), "error: %s", err);
		aj_vars_done(&v);
		return out;
	}
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, w[i]);
	}
	aj_strv_freep(&w);
	aj_vars_done(&v);
	return out;
}

TEST(words_split_at_blanks_and_keep_quoted_text)
{
	int n;

	EXPECT_STREQ(split_join("  /a   /b\t/c ", &n), "/a|/b|/c");
	EXPECT_EQ(n, 3);
	EXPECT_STREQ(split_join("'/with space' \"/x y\" plain", &n), "/with space|/x y|plain");
	EXPECT_STREQ(split_join("'${HOME}' \"${HOME}\"", &n), "${HOME}|/home/u");
	EXPECT_STREQ(split_join("\"a\\\"b\\\\c\\$d\"", &n), "a\"b\\c$d");
	EXPECT_STREQ(split_join("\"\"", &n), "");
	EXPECT_EQ(n, 1);
	EXPECT_STREQ(split_join("", &n), "");
	EXPECT_EQ(n, 0);
}

TEST(variables_and_tilde_expand)
{
	int n;

	EXPECT_STREQ(split_join("~ ~/.claude ${PROJECT}/x ${PWD} ${USER}:${UID}", &n),
		     "/home/u|/home/u/.claude|/work/proj/x|/work/proj/sub|u:1000");
	EXPECT_STREQ(split_join("${XDG_CONFIG_HOME} ${XDG_CACHE_HOME} ${XDG_DATA_HOME}", &n),
		     "/home/u/.config|/home/u/.cache|/home/u/.local/share");
	EXPECT_STREQ(split_join("${XDG_STATE_HOME} ${XDG_RUNTIME_DIR} ${SHELL} $$5", &n),
		     "/home/u/.local/state|/run/user/1000|/bin/bash|$5");
	/* A ~ elsewhere than at the start of a word is a plain character. */
	EXPECT_STREQ(split_join("a~b /x/~", &n), "a~b|/x/~");
}

TEST(bad_words_are_errors_that_say_why)
{
	int n;

	EXPECT_STREQ(split_join("${NOPE}", &n), "error: unknown variable ${NOPE}");
	EXPECT_EQ(n, -EINVAL);
	EXPECT_STREQ(split_join("${SSH_AUTH_SOCK}", &n), "error: variable ${SSH_AUTH_SOCK} is not set");
	EXPECT_STREQ(split_join("$HOME", &n), "error: '$' must start ${NAME} (write $$ for a '$')");
	EXPECT_STREQ(split_join("${HOME", &n), "error: '${' without a closing '}'");
	EXPECT_STREQ(split_join("'open", &n), "error: unterminated ' quote");
	EXPECT_STREQ(split_join("\"open", &n), "error: unterminated \" quote");
	EXPECT_STREQ(split_join("~root/x", &n), "error: only ~ and ~/ are expanded, not ~user");
}

TEST(quoting_gives_the_word_back)
{
	const char *words[] = { "plain", "with space", "it's", "$x", ";semi", "~", "", "a\"b\\c" };
	struct aj_vars v;

	setup_vars(&v);
	for (size_t i = 0; i < ELEMENTSOF(words); i++) {
		char *s = NULL, **w = NULL, err[128];
		size_t len = 0;

		ASSERT_EQ(aj_word_quote(&s, &len, words[i]), 0);
		ASSERT_EQ(aj_words_split(&v, s, &w, err, sizeof(err)), 1);
		EXPECT_STREQ(w[0], words[i]);
		free(s);
		aj_strv_freep(&w);
	}
	aj_vars_done(&v);
}

/* ---- keys ------------------------------------------------------------------ */

TEST(filesystem_keys_become_operations_in_order)
{
	const char *err;

	ASSERT_EQ(load("[filesystem]\n"
		       "ro-bind = /usr\n"
		       "bind = ${PROJECT} /work\n"
		       "tmpfs = /tmp /var/tmp\n"
		       "symlink = usr/bin /bin\n"
		       "ro-bind-try = ~/.gitconfig\n",
		       &err),
		  0);
	ASSERT_EQ(plan->n_ops, 6);
	EXPECT_EQ(plan->ops[0].kind, AJ_OP_BIND);
	EXPECT_EQ(plan->ops[0].flags, AJ_OPF_RO);
	/* In a profile a bind's DEST may be left out. */
	EXPECT_STREQ(plan->ops[0].src, "/usr");
	EXPECT_STREQ(plan->ops[0].dest, "/usr");
	EXPECT_STREQ(plan->ops[1].src, "/work/proj");
	EXPECT_STREQ(plan->ops[1].dest, "/work");
	EXPECT_EQ(plan->ops[1].flags, 0);
	/* A one-value key takes a list. */
	EXPECT_EQ(plan->ops[2].kind, AJ_OP_TMPFS);
	EXPECT_STREQ(plan->ops[3].dest, "/var/tmp");
	EXPECT_EQ(plan->ops[4].kind, AJ_OP_SYMLINK);
	EXPECT_STREQ(plan->ops[4].src, "usr/bin");
	EXPECT_EQ(plan->ops[5].flags, AJ_OPF_RO | AJ_OPF_TRY);
	EXPECT_STREQ(plan->ops[5].src, "/home/u/.gitconfig");
	/* Each op knows its line. */
	EXPECT_STREQ(plan->ops[2].where.file, "/t/test.ini");
	EXPECT_EQ(plan->ops[2].where.line, 4);
	EXPECT_STREQ(plan->ops[5].where.file, "/t/test.ini");
	EXPECT_EQ(plan->ops[5].where.line, 6);
	EXPECT_STREQ(err, "");
	unload();
}

TEST(rules_record_patterns_relative_to_the_project)
{
	const char *err;

	ASSERT_EQ(load("[filesystem]\n"
		       "hide = ~/.ssh/\n"
		       "mask = **/.env* /abs/**/*.pem\n"
		       "protect = .vscode/\n"
		       "protect-try = .mcp.json\n"
		       "protect-git = ${PROJECT}\n"
		       "socket = /run/user/1000/ssh.sock\n",
		       &err),
		  0);
	ASSERT_EQ(plan->n_ops, 7);
	EXPECT_EQ(plan->ops[0].kind, AJ_OP_HIDE);
	EXPECT_STREQ(plan->ops[0].dest, "/home/u/.ssh");
	EXPECT_EQ(plan->ops[1].kind, AJ_OP_MASK);
	EXPECT_STREQ(plan->ops[1].src, "/work/proj/**/.env*");
	EXPECT_TRUE(plan->ops[1].dest == NULL);
	EXPECT_STREQ(plan->ops[2].src, "/abs/**/*.pem");
	EXPECT_EQ(plan->ops[3].kind, AJ_OP_PROTECT);
	EXPECT_STREQ(plan->ops[3].src, "/work/proj/.vscode/");
	EXPECT_EQ(plan->ops[4].flags, AJ_OPF_TRY);
	EXPECT_EQ(plan->ops[5].flags, AJ_OPF_GIT);
	EXPECT_STREQ(plan->ops[5].src, "/work/proj");
	EXPECT_EQ(plan->ops[6].kind, AJ_OP_BIND);
	EXPECT_EQ(plan->ops[6].flags, AJ_OPF_RO | AJ_OPF_SOCKET);
	EXPECT_STREQ(plan->ops[6].dest, "/run/user/1000/ssh.sock");
	unload();
}

TEST(network_and_environment_keys)
{
	const char *err;

	setenv("AJ_TEST_LC", "x", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "leak", 1);
	setenv("GITHUB_TOKEN", "leak", 1);
	setenv("MY_API_KEY", "named", 1);
	ASSERT_EQ(load("[network]\nmode = proxy\nallow = a.example.com *.b.example\ndeny = c.example\n"
		       "[env]\nclear = true\npass = AJ_TEST_*\npass = AWS_* *TOKEN*\npass = MY_API_KEY\n"
		       "set = A=1 'B=two words'\nset = C=\nunset = A\n",
		       &err),
		  0);
	EXPECT_EQ(plan->net_mode, AJ_NET_PROXY);
	ASSERT_EQ(plan->n_allow_hosts, 2);
	EXPECT_STREQ(plan->allow_hosts[1], "*.b.example");
	ASSERT_EQ(plan->n_deny_hosts, 1);
	/* A wildcard never passes another tool's credentials; a name does. */
	EXPECT_STREQ(aj_plan_getenv(plan, "AJ_TEST_LC"), "x");
	EXPECT_TRUE(aj_plan_getenv(plan, "AWS_SECRET_ACCESS_KEY") == NULL);
	EXPECT_TRUE(aj_plan_getenv(plan, "GITHUB_TOKEN") == NULL);
	EXPECT_STREQ(aj_plan_getenv(plan, "MY_API_KEY"), "named");
	EXPECT_TRUE(aj_plan_getenv(plan, "A") == NULL);
	EXPECT_STREQ(aj_plan_getenv(plan, "B"), "two words");
	EXPECT_STREQ(aj_plan_getenv(plan, "C"), "");
	EXPECT_TRUE(aj_plan_getenv(plan, "PATH") == NULL);
	unload();
}

TEST(credentials_list)
{
	EXPECT_TRUE(aj_env_is_credential("AWS_ACCESS_KEY_ID"));
	EXPECT_TRUE(aj_env_is_credential("SSH_AUTH_SOCK"));
	EXPECT_TRUE(aj_env_is_credential("GH_TOKEN"));
	EXPECT_TRUE(aj_env_is_credential("ANTHROPIC_API_KEY"));
	EXPECT_TRUE(aj_env_is_credential("DBUS_SESSION_BUS_ADDRESS"));
	EXPECT_TRUE(!aj_env_is_credential("LANG"));
	EXPECT_TRUE(!aj_env_is_credential("LC_ALL"));
	EXPECT_TRUE(!aj_env_is_credential("TERM"));
}

TEST(profile_section_keeps_description_and_command)
{
	const char *err;

	ASSERT_EQ(load("; comment\n[profile]\ndescription = My agent, v2\ncommand = my-agent --flag "
		       "'${HOME}'\n",
		       &err),
		  0);
	EXPECT_STREQ(front.description, "My agent, v2");
	ASSERT_TRUE(front.command != NULL);
	EXPECT_STREQ(front.command[0], "my-agent");
	EXPECT_STREQ(front.command[2], "${HOME}");
	EXPECT_TRUE(front.command[3] == NULL);
	ASSERT_EQ(front.n_lines, 2);
	EXPECT_STREQ(front.lines[0].text, "description = My agent, v2");
	EXPECT_STREQ(front.lines[1].text, "command = my-agent --flag '${HOME}'");
	unload();
}

TEST(a_flag_key_takes_true_or_false)
{
	const char *err;

	EXPECT_EQ(load("[env]\nclear = false\n", &err), 0);
	EXPECT_EQ(load("[env]\nclear = yes\n", &err), -EINVAL);
	EXPECT_STREQ(err, "agentjail: /t/test.ini:2: clear takes true or false");
	unload();
}

/* ---- every bad line names its file:line ---------------------------------- */

struct bad {
	const char *text;
	const char *message;
};

static const struct bad bad_lines[] = {
	{ "[bogus]\nkey = 1\n", "agentjail: /t/test.ini:1: unknown section [bogus]" },
	{ "[env]\npass = A\n[ env ]\n", "agentjail: /t/test.ini:3: unknown section [ env ]" },
	{ "[filesystem]\nbind = /a\nfrobnicate = /x\n",
	  "agentjail: /t/test.ini:3: unknown key 'frobnicate' in [filesystem]" },
	{ "[security]\nno-such-setting = 1\n",
	  "agentjail: /t/test.ini:2: unknown key 'no-such-setting' in [security]" },
	{ "[limits]\nno-such-limit = 1\n",
	  "agentjail: /t/test.ini:2: unknown key 'no-such-limit' in [limits]" },
	{ "[profile]\nname = x\n", "agentjail: /t/test.ini:2: unknown key 'name' in [profile]" },
	{ "bind = /a\n", "agentjail: /t/test.ini:1: 'bind' outside of any section" },
	{ "[network]\nmode = bogus\n",
	  "agentjail: /t/test.ini:2: --net takes none, host or proxy, not 'bogus'" },
	{ "[network]\nallow = a/b\n", "agentjail: /t/test.ini:2: --allow-host: not a host pattern: 'a/b'" },
	{ "[filesystem]\nbind = ${FOO}\n", "agentjail: /t/test.ini:2: bind: unknown variable ${FOO}" },
	{ "[filesystem]\nsocket = ${SSH_AUTH_SOCK}\n",
	  "agentjail: /t/test.ini:2: socket: variable ${SSH_AUTH_SOCK} is not set" },
	{ "[filesystem]\nbind = $HOME\n",
	  "agentjail: /t/test.ini:2: bind: '$' must start ${NAME} (write $$ for a '$')" },
	{ "[filesystem]\nbind = 'open\n", "agentjail: /t/test.ini:2: bind: unterminated ' quote" },
	{ "[filesystem]\nbind = relative\n",
	  "agentjail: /t/test.ini:2: bind: 'relative' is not an absolute path (use ~, ${HOME} or "
	  "${PROJECT})" },
	{ "[filesystem]\nbind = /a /b /c\n", "agentjail: /t/test.ini:2: bind takes SRC [DEST]" },
	{ "[filesystem]\nsymlink = /a\n", "agentjail: /t/test.ini:2: symlink takes SRC DEST" },
	{ "[filesystem]\ntmpfs =\n", "agentjail: /t/test.ini:2: tmpfs needs a value" },
	{ "[filesystem]\nchmod = 9 /x\n", "agentjail: /t/test.ini:2: --chmod takes an octal argument <= 07777" },
	{ "[filesystem]\nmask = /p/a**b\n",
	  "agentjail: /t/test.ini:2: --mask: bad pattern '/p/a**b' ('**' must be a whole path component)" },
	{ "[filesystem]\nhide = /a/../b\n", "agentjail: /t/test.ini:2: --hide '/a/../b': '..' is not allowed" },
	{ "[filesystem]\nhide = /\n", "agentjail: /t/test.ini:2: --hide: cannot hide /" },
	{ "[filesystem]\nprotect-git = /p/*\n",
	  "agentjail: /t/test.ini:2: --protect-git: '/p/*': a directory, not a pattern" },
	{ "[filesystem]\nsocket = rel\n", "agentjail: /t/test.ini:2: socket: 'rel' is not an absolute path "
					  "(use ~, ${HOME} or ${PROJECT})" },
	{ "[env]\nset = A=1 NOVALUE\n",
	  "agentjail: /t/test.ini:2: set takes NAME=VALUE words (quote a value with blanks)" },
	{ "[env]\nset = =x\n",
	  "agentjail: /t/test.ini:2: set takes NAME=VALUE words (quote a value with blanks)" },
	{ "[env]\npass = A;B\n", "agentjail: /t/test.ini:2: --pass-env: 'A;B' is not a variable name or pattern" },
	{ "[profile]\ninclude = no-such-profile-anywhere\n",
	  "agentjail: /t/test.ini:2: include 'no-such-profile-anywhere': no such profile (looked in /t, " },
	{ "[profile]\ncommand =\n", "agentjail: /t/test.ini:2: command needs a value" },
	{ "[filesystem]\n  bind = /x\n",
	  "agentjail: /t/test.ini:2: indented line (it would continue the previous value)" },
};

TEST(every_bad_line_is_an_error_with_file_and_line)
{
	for (size_t i = 0; i < ELEMENTSOF(bad_lines); i++) {
		const char *err;
		int r = load(bad_lines[i].text, &err);

		EXPECT_TRUE(r < 0);
		if (strncmp(err, bad_lines[i].message, strlen(bad_lines[i].message)) != 0)
			TAP_FAIL_("line %zu: expected '%s', got '%s'", i, bad_lines[i].message, err);
		unload();
	}
}

TEST(the_project_problem_is_the_error)
{
	const char *err;

	ASSERT_EQ(load("[filesystem]\nbind = /x\n", &err), 0);
	free(front.vars.project);
	front.vars.project = NULL;
	front.vars.project_problem = strdup("the project would be '/home/u'");
	capture_begin();
	{
		const char *text = "[filesystem]\nbind = ${PROJECT}\n";

		EXPECT_TRUE(aj_profile_apply_text(&parser, "/t/p.ini", text, strlen(text)) < 0);
	}
	err = capture_end();
	EXPECT_STREQ(err, "agentjail: /t/p.ini:2: bind: the project would be '/home/u'");
}

/* ---- includes, on real files ------------------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static int load_file(const char *name, const char **ret_err)
{
	char path[128], *text;
	FILE *f;
	long n;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		abort();
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc((size_t)n + 1, 1);
	if (fread(text, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	unload();
	front = (struct aj_front){ 0 };
	setup_vars(&front.vars);
	front.vars_ready = true;
	plan = aj_plan_new();
	aj_parser_init(&parser, plan, false);
	parser.front = &front;
	capture_begin();
	r = aj_profile_apply_text(&parser, path, text, (size_t)n);
	*ret_err = capture_end();
	free(text);
	return r;
	unload();
}

TEST(includes_apply_in_place_once_and_next_to_the_includer)
{
	const char *err;

	strcpy(dir, "/tmp/aj-profile-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	write_file("base.ini", "[filesystem]\nro-bind = /usr\n");
	write_file("mid.ini", "[profile]\ninclude = base\n[filesystem]\ntmpfs = /tmp\n");
	write_file("top.ini", "[filesystem]\ndir = /first\n[profile]\ninclude = mid base\n"
			      "[filesystem]\nbind = /p\n");
	ASSERT_EQ(load_file("top.ini", &err), 0);
	ASSERT_EQ(plan->n_ops, 4);
	EXPECT_EQ(plan->ops[0].kind, AJ_OP_DIR);
	EXPECT_EQ(plan->ops[1].kind, AJ_OP_BIND); /* base, through mid; not again after it */
	EXPECT_EQ(plan->ops[2].kind, AJ_OP_TMPFS);
	EXPECT_STREQ(plan->ops[3].src, "/p");
	EXPECT_TRUE(strstr(plan->ops[1].where.file, "/base.ini") != NULL);
	EXPECT_EQ(plan->ops[1].where.line, 2);

	/* An error after an include still names the including line. */
	write_file("after.ini", "[profile]\ninclude = base missing-one\n");
	EXPECT_EQ(load_file("after.ini", &err), -ENOENT);
	EXPECT_TRUE(strstr(err, "/after.ini:2: include 'missing-one': no such profile") != NULL);
	unload();
}

TEST(an_include_cycle_is_an_error)
{
	const char *err;
	char expect[512];

	strcpy(dir, "/tmp/aj-profile-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	write_file("a.ini", "[profile]\ninclude = b\n");
	write_file("b.ini", "[profile]\ninclude = ./a.ini\n");
	/* Read a.ini through the loader so it is on the include stack. */
	unload();
	front = (struct aj_front){ 0 };
	setup_vars(&front.vars);
	front.vars_ready = true;
	free(front.vars.xdg_config_home);
	front.vars.xdg_config_home = strdup(dir);
	plan = aj_plan_new();
	aj_parser_init(&parser, plan, false);
	parser.front = &front;
	snprintf(expect, sizeof(expect), "%s/a.ini", dir);
	capture_begin();
	EXPECT_EQ(aj_profile_load(&parser, expect), -ELOOP);
	err = capture_end();
	snprintf(expect, sizeof(expect),
		 "agentjail: %s/b.ini:2: include cycle: %s/a.ini -> %s/b.ini -> %s/a.ini", dir, dir, dir,
		 dir);
	EXPECT_STREQ(err, expect);
	/* One profile per run. */
	capture_begin();
	EXPECT_EQ(aj_profile_load(&parser, "x"), -EINVAL);
	err = capture_end();
	EXPECT_STREQ(err, "agentjail: --profile x: only one profile per run (use include in a profile to "
			  "combine them)");
	unload();
}

TEST(profiles_are_found_on_the_search_path)
{
	struct aj_vars v;
	char *path = NULL, *tried = NULL, expect[128];

	strcpy(dir, "/tmp/aj-profile-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(expect, sizeof(expect), "%s/agentjail", dir);
	ASSERT_EQ(mkdir(expect, 0755), 0);
	write_file("agentjail/mine.ini", "");
	setup_vars(&v);
	free(v.xdg_config_home);
	v.xdg_config_home = strdup(dir);
	ASSERT_EQ(aj_profile_find(&v, "mine", NULL, &path, &tried), 0);
	snprintf(expect, sizeof(expect), "%s/agentjail/mine.ini", dir);
	EXPECT_STREQ(path, expect);
	free(path);
	ASSERT_EQ(aj_profile_find(&v, "mine.ini", NULL, &path, &tried), 0);
	EXPECT_STREQ(path, expect);
	free(path);
	EXPECT_EQ(aj_profile_find(&v, "absent", NULL, &path, &tried), -ENOENT);
	EXPECT_TRUE(strstr(tried, "/agentjail") != NULL);
	free(tried);
	EXPECT_EQ(aj_profile_find(&v, "..", NULL, &path, &tried), -EINVAL);
	EXPECT_EQ(aj_profile_find(&v, "", NULL, &path, &tried), -EINVAL);
	aj_vars_done(&v);
}

/* The man page documents every profile key of the option table (STYLE rule 23). */
TEST(every_profile_key_is_in_the_man_page)
{
	const char *src = getenv("AJ_SRCDIR");
	static const char *const own[] = { "include", "description", "command" };
	const struct aj_opt *t;
	char path[4096], *text, needle[128];
	size_t n;
	FILE *f;
	long len;

	if (!src)
		SKIP("AJ_SRCDIR not set");
	snprintf(path, sizeof(path), "%s/man/agentjail.ini.5.scd", src);
	f = fopen(path, "re");
	ASSERT_TRUE(f != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc((size_t)len + 1, 1);
	ASSERT_TRUE(fread(text, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	t = aj_opt_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (!t[i].section)
			continue;
		snprintf(needle, sizeof(needle), "*%s*", t[i].key);
		if (!strstr(text, needle))
			TAP_FAIL_("[%s] %s is not in %s", t[i].section, t[i].key, path);
		snprintf(needle, sizeof(needle), "# [%s]", t[i].section);
		if (!strstr(text, needle))
			TAP_FAIL_("section [%s] is not in %s", t[i].section, path);
	}
	for (size_t i = 0; i < ELEMENTSOF(own); i++) {
		snprintf(needle, sizeof(needle), "*%s*", own[i]);
		EXPECT_TRUE(strstr(text, needle) != NULL);
	}
	free(text);
}

int main(void)
{
	aj_log_set_prog("agentjail");
	return tap_main();
}
