/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* Globs for mask/protect, and the one tree walk that matches them all. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentjail/glob.h"
#include "agentjail/log.h"
#include "agentjail/walk.h"
#include "tap.h"

static struct aj_glob *compile(const char *p)
{
	struct aj_glob *g = NULL;

	if (aj_glob_compile(p, &g) < 0)
		return NULL;
	return g;
}

/* Match rel (below the root) whose last component is its name. */
static bool m(const struct aj_glob *g, const char *rel, bool dir)
{
	const char *slash = strrchr(rel, '/');

	return aj_glob_match(g, rel, slash ? slash + 1 : rel, dir);
}

TEST(roots_and_depths)
{
	struct aj_glob *g = compile("/p/**/.env*");

	ASSERT_TRUE(g != NULL);
	EXPECT_STREQ(aj_glob_root(g), "/p");
	EXPECT_EQ(aj_glob_max_depth(g), SIZE_MAX);
	aj_glob_free(g);
	g = compile("/p/a/*.key");
	EXPECT_STREQ(aj_glob_root(g), "/p/a");
	EXPECT_EQ(aj_glob_max_depth(g), 1);
	aj_glob_free(g);
	g = compile("/p/x");
	EXPECT_STREQ(aj_glob_root(g), "/p");
	aj_glob_free(g);
	g = compile("/*.pem");
	EXPECT_STREQ(aj_glob_root(g), "/");
	aj_glob_free(g);
}

TEST(bad_patterns_are_refused)
{
	struct aj_glob *g;

	EXPECT_EQ(aj_glob_compile("relative/**/x", &g), -EINVAL);
	EXPECT_EQ(aj_glob_compile("/p/a**b", &g), -EINVAL);
	EXPECT_EQ(aj_glob_compile("/", &g), -EINVAL);
	EXPECT_EQ(aj_glob_compile("/p/../x", &g), -EINVAL);
	EXPECT_EQ(aj_glob_compile("/p/./x", &g), -EINVAL);
	EXPECT_EQ(aj_glob_compile("//x", &g), -EINVAL);
}

TEST(any_depth_name_patterns)
{
	struct aj_glob *env = compile("/p/**/.env*"), *pem = compile("/p/**/*.pem"),
		       *rsa = compile("/p/**/id_rsa"), *q = compile("/p/**/cred?.json");

	EXPECT_TRUE(m(env, ".env", false));
	EXPECT_TRUE(m(env, "a/b/c/.env.local", false));
	EXPECT_TRUE(m(env, ".envrc", false));
	EXPECT_TRUE(!m(env, "x.env", false));
	EXPECT_TRUE(!m(env, ".en", false));
	EXPECT_TRUE(m(pem, "deep/er/server.pem", false));
	EXPECT_TRUE(m(pem, ".pem", false)); /* '*' matches dot files too */
	EXPECT_TRUE(!m(pem, "server.pem.bak", false));
	EXPECT_TRUE(m(rsa, "id_rsa", false));
	EXPECT_TRUE(!m(rsa, "id_rsa.pub", false));
	EXPECT_TRUE(m(q, "x/creds.json", false));
	EXPECT_TRUE(!m(q, "x/cred.json", false));
	aj_glob_free(env);
	aj_glob_free(pem);
	aj_glob_free(rsa);
	aj_glob_free(q);
}

TEST(general_patterns)
{
	struct aj_glob *a = compile("/p/src/**/test_*.py"), *b = compile("/p/**/secrets/**"),
		       *c = compile("/p/*/config.toml"), *d = compile("/p/**/cache/"),
		       *e = compile("/p/a/**/b/**/c");

	EXPECT_STREQ(aj_glob_root(a), "/p/src");
	EXPECT_TRUE(m(a, "test_x.py", false));
	EXPECT_TRUE(m(a, "x/y/test_x.py", false));
	EXPECT_TRUE(!m(a, "x/y/x_test.py", false));
	EXPECT_TRUE(m(b, "secrets", true));
	EXPECT_TRUE(m(b, "a/secrets/x/y", false));
	EXPECT_TRUE(!m(b, "a/b", false));
	EXPECT_TRUE(m(c, "one/config.toml", false));
	EXPECT_TRUE(!m(c, "config.toml", false));
	EXPECT_TRUE(!m(c, "one/two/config.toml", false));
	EXPECT_TRUE(m(d, "x/cache", true));
	EXPECT_TRUE(!m(d, "x/cache", false)); /* a trailing '/' is for directories */
	EXPECT_TRUE(m(e, "b/c", false));
	EXPECT_TRUE(m(e, "1/b/2/3/c", false));
	EXPECT_TRUE(!m(e, "1/b/2/3/d", false));
	aj_glob_free(a);
	aj_glob_free(b);
	aj_glob_free(c);
	aj_glob_free(d);
	aj_glob_free(e);
}

TEST(rebase_onto_the_host)
{
	struct aj_glob *g = compile("/sandbox/proj/**/.env*"), *h = NULL, *r = compile("/*.pem");

	ASSERT_EQ(aj_glob_rebase(g, "/home/u/proj", &h), 0);
	EXPECT_STREQ(aj_glob_pattern(h), "/home/u/proj/**/.env*");
	EXPECT_STREQ(aj_glob_root(h), "/home/u/proj");
	aj_glob_free(h);
	ASSERT_EQ(aj_glob_rebase(r, "/srv", &h), 0);
	EXPECT_STREQ(aj_glob_pattern(h), "/srv/*.pem");
	aj_glob_free(h);
	ASSERT_EQ(aj_glob_rebase(g, "/", &h), 0);
	EXPECT_STREQ(aj_glob_pattern(h), "/**/.env*");
	aj_glob_free(h);
	aj_glob_free(g);
	aj_glob_free(r);
}

/* ---- the walk ------------------------------------------------------------- */

static char tree[64];
static char found[8192];
static char gits[2048];

static void mk(const char *rel, bool dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	if (dir) {
		if (mkdir(p, 0755) < 0)
			abort();
	} else {
		FILE *f = fopen(p, "we");

		if (!f)
			abort();
		fputs("secret\n", f);
		fclose(f);
	}
}

static int on_match(void *userdata, size_t i, const char *path, unsigned char type)
{
	(void)userdata;
	snprintf(found + strlen(found), sizeof(found) - strlen(found), "%zu:%s%s;", i,
		 path + strlen(tree), type == DT_DIR ? "/" : type == DT_LNK ? "@" : "");
	/* A matched directory is masked whole: not descended into. */
	return type == DT_DIR;
}

static int on_git(void *userdata, const char *path, enum aj_walk_git kind)
{
	(void)userdata;
	snprintf(gits + strlen(gits), sizeof(gits) - strlen(gits), "%d:%s;", (int)kind,
		 path + strlen(tree));
	return 0;
}

static void build_tree(void)
{
	char p[256];

	strcpy(tree, "/tmp/aj-walk-test.XXXXXX");
	if (!mkdtemp(tree))
		abort();
	mk(".env", false);
	mk("a", true);
	mk("a/b", true);
	mk("a/b/.env.local", false);
	mk("a/b/key.pem", false);
	mk("secrets", true);
	mk("secrets/.env", false); /* inside a matched directory: not reported */
	mk("repo", true);
	mk("repo/.git", true);
	mk("repo/.git/HEAD", false);
	mk("repo/.git/objects", true);
	mk("repo/.git/refs", true);
	mk("wt", true);
	mk("wt/.git", false);
	snprintf(p, sizeof(p), "%s/link", tree);
	if (symlink("/etc", p) < 0) /* never followed */
		abort();
	snprintf(p, sizeof(p), "%s/.env.link", tree);
	if (symlink("a/b/.env.local", p) < 0) /* reported as a link */
		abort();
}

static int sort_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* found, with its ';'-separated items sorted (the walk follows readdir order). */
static const char *sorted(char *s)
{
	static char out[8192];
	char *items[256];
	size_t n = 0;

	for (char *t = strtok(s, ";"); t && n < 256; t = strtok(NULL, ";"))
		items[n++] = t;
	qsort(items, n, sizeof(char *), sort_cmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		strcat(strcat(out, items[i]), ";");
	return out;
}

TEST(one_walk_matches_every_pattern_and_finds_repositories)
{
	struct aj_glob *globs[3];
	char pat[3][128];
	struct aj_walk w = { 0 };

	build_tree();
	snprintf(pat[0], sizeof(pat[0]), "%s/**/.env*", tree);
	snprintf(pat[1], sizeof(pat[1]), "%s/**/*.pem", tree);
	snprintf(pat[2], sizeof(pat[2]), "%s/**/secrets/", tree);
	for (int i = 0; i < 3; i++)
		ASSERT_TRUE((globs[i] = compile(pat[i])) != NULL);
	w.root = tree;
	w.globs = globs;
	w.n_globs = 3;
	w.git = true;
	w.on_match = on_match;
	w.on_git = on_git;
	ASSERT_EQ(aj_walk_run(&w), 0);
	EXPECT_STREQ(sorted(found), "0:/.env;0:/.env.link@;0:/a/b/.env.local;1:/a/b/key.pem;2:/secrets/;");
	EXPECT_STREQ(sorted(gits), "0:/repo/.git;1:/wt/.git;2:/repo/.git;");
	/* Each directory once: root, a, a/b, repo, repo/.git (+2), wt; not secrets, not link. */
	EXPECT_EQ(w.n_dirs, 8);
	aj_walk_done(&w);
	for (int i = 0; i < 3; i++)
		aj_glob_free(globs[i]);
}

TEST(a_missing_root_is_nothing_to_find)
{
	struct aj_walk w = { .root = "/nonexistent/aj-walk", .on_match = on_match, .on_git = on_git,
			     .git = true };

	EXPECT_EQ(aj_walk_run(&w), 0);
	EXPECT_EQ(w.n_dirs, 0);
}

TEST(a_directory_of_ours_we_cannot_read_is_an_error)
{
	struct aj_walk w = { .on_match = on_match, .on_git = on_git, .git = true };
	char p[256];

	if (geteuid() == 0)
		SKIP("root reads every directory");
	build_tree();
	snprintf(p, sizeof(p), "%s/a", tree);
	ASSERT_EQ(chmod(p, 0), 0);
	w.root = tree;
	EXPECT_EQ(aj_walk_run(&w), -EACCES);
	EXPECT_STREQ(w.failed_path, p);
	aj_walk_done(&w);
	chmod(p, 0755);
}

int main(void)
{
	aj_log_set_prog("agentjail");
	return tap_main();
}
