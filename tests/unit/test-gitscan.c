/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* Git-aware protection: the config reader and the paths each repository shape yields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/gitscan.h"
#include "agentjail/log.h"
#include "agentjail/vars.h"
#include "agentjail/walk.h"
#include "tap.h"

static char seen[4096];

static int record(void *userdata, const char *name, const char *value)
{
	(void)userdata;
	snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s=%s|", name,
		 value ? value : "(none)");
	return 0;
}

static const char *parse(const char *text)
{
	seen[0] = '\0';
	if (aj_git_config_parse(text, strlen(text), record, NULL) < 0)
		return "error";
	return seen;
}

TEST(config_syntax)
{
	EXPECT_STREQ(parse("[core]\n\thooksPath = .husky/_\n"), "core.hookspath=.husky/_|");
	EXPECT_STREQ(parse("[Core]\nHooksPath=\"/a b\" ; comment\n"), "core.hookspath=/a b|");
	EXPECT_STREQ(parse("[include]\npath = x # c\n[includeIf \"gitdir:~/W/\"]\npath = y\n"),
		     "include.path=x|includeif.gitdir:~/W/.path=y|");
	EXPECT_STREQ(parse("# c\n; c\n[core] bare\n"), "core.bare=(none)|");
	EXPECT_STREQ(parse("[core]\nhookspath = a\\\nb\n"), "core.hookspath=ab|");
	EXPECT_STREQ(parse("[core]\nhookspath = \"q\\\"t\" \n"), "core.hookspath=q\"t|");
	EXPECT_STREQ(parse("[branch.main]\nremote = o\n"), "branch.main.remote=o|");
	/* Not git config: skipped, as it cannot decide anything git does. */
	EXPECT_STREQ(parse("[core]\n=x\n!!\nk = v\n"), "core.k=v|");
}

static char root[64];

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (text) {
		f = fopen(p, "we");
		if (!f)
			abort();
		fputs(text, f);
		fclose(f);
	} else if (mkdir(p, 0755) < 0)
		abort();
}

static int on_git(void *userdata, const char *path, enum aj_walk_git kind)
{
	return aj_git_scan_add(userdata, path, kind);
}

static int on_match(void *userdata, size_t i, const char *path, unsigned char type)
{
	(void)userdata, (void)i, (void)path, (void)type;
	return 0;
}

/* "why:relpath" of every target, in order, paths relative to root. */
static const char *targets(const struct aj_git_scan *s)
{
	static char out[8192];

	out[0] = '\0';
	for (size_t i = 0; i < s->n_targets; i++) {
		const char *p = s->targets[i].path;

		if (strncmp(p, root, strlen(root)) == 0)
			p += strlen(root);
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s%s\n", p,
			 s->targets[i].placeholder ? " (placeholder)" : "",
			 s->targets[i].dir ? " dir" : "");
	}
	return out;
}

static bool has(const char *list, const char *line)
{
	char l[512];

	snprintf(l, sizeof(l), "%s\n", line);
	return strstr(list, l) != NULL;
}

TEST(repositories_nested_submodules_and_worktrees)
{
	struct aj_vars vars = { .home = (char *)"/nonexistent-home" };
	struct aj_git_scan s;
	struct aj_walk w = { .on_git = on_git, .on_match = on_match, .git = true };
	char buf[512];
	const char *t;

	strcpy(root, "/tmp/aj-git-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(root) != NULL);
	/* The main repository, with husky's hooksPath and an included config. */
	put("repo", NULL);
	put("repo/.git", NULL);
	put("repo/.git/HEAD", "ref: refs/heads/main\n");
	put("repo/.git/objects", NULL);
	put("repo/.git/refs", NULL);
	put("repo/.git/hooks", NULL);
	put("repo/.git/config", "[core]\n\thooksPath = .husky/_\n[include]\n\tpath = ../extra.cfg\n");
	put("repo/extra.cfg", "[user]\nname = x\n");
	put("repo/.gitmodules", "[submodule \"sub\"]\n");
	/* A submodule: a .git file, its git dir under .git/modules. */
	put("repo/sub", NULL);
	put("repo/sub/.git", "gitdir: ../.git/modules/sub\n");
	put("repo/.git/modules", NULL);
	put("repo/.git/modules/sub", NULL);
	put("repo/.git/modules/sub/HEAD", "ref: refs/heads/main\n");
	put("repo/.git/modules/sub/objects", NULL);
	put("repo/.git/modules/sub/refs", NULL);
	put("repo/.git/modules/sub/config", "[core]\n\tworktree = ../../../sub\n");
	/* A linked worktree of repo, inside repo/wt. */
	put("repo/.git/worktrees", NULL);
	put("repo/.git/worktrees/wt", NULL);
	put("repo/.git/worktrees/wt/HEAD", "ref: refs/heads/wt\n");
	put("repo/.git/worktrees/wt/commondir", "../..\n");
	snprintf(buf, sizeof(buf), "gitdir: %s/repo/.git/worktrees/wt\n", root);
	put("repo/wt", NULL);
	put("repo/wt/.git", buf);
	/* A nested, unrelated repository deeper down, without a hooks directory. */
	put("repo/vendor", NULL);
	put("repo/vendor/lib", NULL);
	put("repo/vendor/lib/.git", NULL);
	put("repo/vendor/lib/.git/HEAD", "ref: refs/heads/main\n");
	put("repo/vendor/lib/.git/objects", NULL);
	put("repo/vendor/lib/.git/refs", NULL);
	put("repo/vendor/lib/.git/config", "[core]\n");

	ASSERT_EQ(aj_git_scan_init(&s, &vars), 0);
	w.userdata = &s;
	snprintf(buf, sizeof(buf), "%s/repo", root);
	w.root = buf;
	ASSERT_EQ(aj_walk_run(&w), 0);
	t = targets(&s);
	EXPECT_TRUE(has(t, "/repo/.git/hooks (placeholder) dir"));
	EXPECT_TRUE(has(t, "/repo/.git/config"));
	EXPECT_TRUE(has(t, "/repo/extra.cfg"));
	EXPECT_TRUE(has(t, "/repo/.husky/_ (placeholder) dir"));
	EXPECT_TRUE(has(t, "/repo/.husky dir"));
	EXPECT_TRUE(has(t, "/repo/.gitmodules"));
	EXPECT_TRUE(has(t, "/repo/sub/.git"));
	EXPECT_TRUE(has(t, "/repo/.git/modules/sub/hooks (placeholder) dir"));
	EXPECT_TRUE(has(t, "/repo/.git/modules/sub/config"));
	EXPECT_TRUE(has(t, "/repo/wt/.git"));
	EXPECT_TRUE(has(t, "/repo/.git/worktrees/wt/commondir"));
	EXPECT_TRUE(has(t, "/repo/.git/worktrees/wt/config.worktree"));
	EXPECT_TRUE(has(t, "/repo/vendor/lib/.git/hooks (placeholder) dir"));
	EXPECT_TRUE(has(t, "/repo/vendor/lib/.git/config"));
	/* The worktree's hooks are the main repository's: no hooks of its own. */
	EXPECT_TRUE(!has(t, "/repo/.git/worktrees/wt/hooks (placeholder) dir"));
	if (tap_failed)
		printf("# targets:\n%s", t);
	aj_git_scan_done(&s);
}

TEST(a_global_hooks_path_applies_to_every_repository)
{
	struct aj_vars vars = { 0 };
	struct aj_git_scan s;
	char home[128], buf[256];
	const char *t;

	strcpy(root, "/tmp/aj-git-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(root) != NULL);
	put("home", NULL);
	put("home/.gitconfig", "[core]\n\thooksPath = ~/githooks\n");
	put("p", NULL);
	put("p/.git", NULL);
	put("p/.git/config", "");
	snprintf(home, sizeof(home), "%s/home", root);
	vars.home = home;
	ASSERT_EQ(aj_git_scan_init(&s, &vars), 0);
	snprintf(buf, sizeof(buf), "%s/p/.git", root);
	ASSERT_EQ(aj_git_scan_add(&s, buf, AJ_WALK_GIT_DIR), 0);
	t = targets(&s);
	EXPECT_TRUE(has(t, "/home/githooks (placeholder) dir"));
	aj_git_scan_done(&s);
}

TEST(a_gitdir_file_that_points_nowhere_is_still_protected)
{
	struct aj_vars vars = { 0 };
	struct aj_git_scan s;
	char buf[256];
	const char *t;

	strcpy(root, "/tmp/aj-git-test.XXXXXX");
	ASSERT_TRUE(mkdtemp(root) != NULL);
	put("x", NULL);
	put("x/.git", "gitdir: /nonexistent/elsewhere\n");
	ASSERT_EQ(aj_git_scan_init(&s, &vars), 0);
	snprintf(buf, sizeof(buf), "%s/x/.git", root);
	ASSERT_EQ(aj_git_scan_add(&s, buf, AJ_WALK_GIT_FILE), 0);
	t = targets(&s);
	EXPECT_TRUE(has(t, "/x/.git"));
	EXPECT_EQ(s.n_targets, 1);
	aj_git_scan_done(&s);
}

int main(void)
{
	aj_log_set_prog("agentjail");
	return tap_main();
}
