/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail learn without a sandbox: the base's view and secret patterns,
 * the proposals made from records of a fake run over a real tree under
 * /tmp (each guardrail), and the profile written from them, read back by
 * the profile reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentjail/expand.h"
#include "agentjail/front.h"
#include "agentjail/ini.h"
#include "agentjail/learn.h"
#include "agentjail/observe.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/profile.h"
#include "agentjail/vars.h"
#include "capture.h"
#include "src/cleanup.h"
#include "tap.h"

static char root[64];
static struct aj_front front;
static struct aj_plan *plan;
static struct aj_base *base;

static void path_of(char *out, const char *rel)
{
	snprintf(out, PATH_MAX, "%s/%s", root, rel);
}

/* A file (and its directories) below the test's root. */
static void mk(const char *rel, const char *content)
{
	char p[PATH_MAX];
	int fd;

	path_of(p, rel);
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		(void)mkdir(p, 0755);
		*s = '/';
	}
	if (!content) {
		(void)mkdir(p, 0755);
		return;
	}
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, content, strlen(content)) < 0)
		abort();
	close(fd);
}

static char *at(const char *rel)
{
	static char buf[8][PATH_MAX];
	static int k;
	char *p = buf[k++ % 8];

	path_of(p, rel);
	return p;
}

static void set_vars(struct aj_vars *v)
{
	*v = (struct aj_vars){
		.home = strdup(at("home")),
		.user = strdup("u"),
		.uid = strdup("1000"),
		.pwd = strdup(at("proj")),
		.project = strdup(at("proj")),
		.shell = strdup("/bin/sh"),
		.xdg_config_home = strdup(at("home/.config")),
		.xdg_cache_home = strdup(at("home/.cache")),
		.xdg_data_home = strdup(at("home/.local/share")),
		.xdg_state_home = strdup(at("home/.local/state")),
	};
}

/*
 * A base like the shipped one, in small: /usr read-only, an empty home,
 * ~/.ssh hidden, .env and .pem masked in the project.
 */
static const char base_text[] = "[filesystem]\n"
				"ro-bind = /usr\n"
				"tmpfs = ${HOME}\n"
				"tmpfs = /tmp\n"
				"hide = ~/.ssh\n"
				"hide = ${XDG_CONFIG_HOME}/gh\n"
				"mask = **/.env*\n"
				"mask = **/*.pem\n";

static void setup_with(const char *text)
{
	struct aj_parser p;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/tmp/aj-learn-unit.XXXXXX");
		if (!mkdtemp(root))
			abort();
	}
	mk("home", NULL);
	mk("proj/src/main.c", "int main;\n");
	front = (struct aj_front){ 0 };
	set_vars(&front.vars);
	front.vars_ready = true;
	plan = aj_plan_new();
	if (!plan || aj_parser_init(&p, plan, false) < 0)
		abort();
	p.front = &front;
	if (aj_profile_apply_text(&p, "/t/base.ini", text, strlen(text)) < 0)
		abort();
	aj_parser_done(&p);
	base = aj_learn_base_new(&front.vars);
	if (!base || aj_learn_base_add_rules(base, plan) < 0 || aj_expand_plan(plan, &front) < 0 ||
	    aj_learn_base_add_views(base, plan) < 0)
		abort();
}

static void setup(void)
{
	setup_with(base_text);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		abort();
	base = aj_learn_base_free(base);
	plan = aj_plan_free(plan);
	aj_front_done(&front);
}

static struct aj_observe_rec rec(const char *rel, unsigned acc)
{
	struct aj_observe_rec r = { .path = at(rel), .acc = acc, .count = 2, .pid = 42 };

	strcpy(r.comm, "agent");
	return r;
}

static int propose(struct aj_observe_rec *recs, size_t n, bool sockets, struct aj_learn_out *out)
{
	struct aj_learn_input in = { .base = base, .vars = &front.vars, .agent = "fakeagent",
				     .sockets = sockets, .recs = recs, .n_recs = n };
	int r;

	/* The records' paths point into at()'s buffers: copy them first. */
	for (size_t i = 0; i < n; i++)
		recs[i].path = strdup(recs[i].path);
	r = aj_learn_propose(&in, out);
	for (size_t i = 0; i < n; i++)
		free(recs[i].path);
	return r;
}

static const struct aj_prop *find(const struct aj_learn_out *out, enum aj_prop_kind kind,
				  const char *path)
{
	for (size_t i = 0; i < out->n_props; i++)
		if (out->props[i].kind == kind && strcmp(out->props[i].path, path) == 0)
			return &out->props[i];
	return NULL;
}

static size_t count(const struct aj_learn_out *out, enum aj_prop_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < out->n_props; i++)
		n += out->props[i].kind == kind;
	return n;
}

/* ---- paths and the base ----------------------------------------------------- */

TEST(paths_join_and_clean_lexically)
{
	char out[64];

	EXPECT_EQ(aj_path_join("/a/b", "c/./d//e", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "/a/b/c/d/e");
	EXPECT_EQ(aj_path_join("/a/b", "../../../x", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "/x");
	EXPECT_EQ(aj_path_join("/ignored", "/abs/../y/", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "/y");
	EXPECT_EQ(aj_path_join("/", ".", out, sizeof(out)), 0);
	EXPECT_STREQ(out, "/");
	EXPECT_EQ(aj_path_join("/a", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", out,
			       sizeof(out)),
		  -ENAMETOOLONG);
	EXPECT_TRUE(aj_path_covers("/a", "/a/b"));
	EXPECT_TRUE(aj_path_covers("/", "/a"));
	EXPECT_TRUE(!aj_path_covers("/a", "/ab"));
}

TEST(the_base_rules_become_secret_patterns_anywhere)
{
	setup();
	/* hide = ~/.ssh: any .ssh, another user's too. */
	EXPECT_STREQ(aj_learn_base_secret(base, "/home/other/.ssh/id_ed25519", false), ".ssh");
	EXPECT_STREQ(aj_learn_base_secret(base, "/srv/x/.ssh", true), ".ssh");
	EXPECT_STREQ(aj_learn_base_secret(base, "/home/other/.config/gh/hosts.yml", false),
		     ".config/gh");
	/* mask = **\/.env*: anywhere, not only in the project; and what is below a match. */
	EXPECT_STREQ(aj_learn_base_secret(base, "/opt/app/.env.production", false), "mask **/.env*");
	EXPECT_STREQ(aj_learn_base_secret(base, "/opt/app/.envs/x/config", false), "mask **/.env*");
	EXPECT_STREQ(aj_learn_base_secret(base, "/etc/ssl/private/site.pem", false), "mask **/*.pem");
	EXPECT_TRUE(!aj_learn_base_secret(base, "/opt/app/src/environment.c", false));
	EXPECT_TRUE(!aj_learn_base_secret(base, "/home/u/.sshrc", false));
	/* Twice, through the directory memo. */
	EXPECT_TRUE(!aj_learn_base_secret(base, "/opt/app/src/main.c", false));
	EXPECT_TRUE(!aj_learn_base_secret(base, "/opt/app/src/util.c", false));
	/* What the base shows. */
	EXPECT_TRUE(aj_learn_base_provides(base, "/usr/bin/sh", false));
	EXPECT_TRUE(!aj_learn_base_provides(base, "/usr/bin/sh", true));
	EXPECT_TRUE(!aj_learn_base_provides(base, at("home/.bashrc"), false));
	EXPECT_TRUE(aj_learn_base_view(base, at("home/x")) && !aj_learn_base_view(base, at("home/x"))->host);
	teardown();
}

TEST(the_shipped_base_s_lists_are_the_secrets)
{
	const char *srcdir = getenv("AJ_SRCDIR");
	char path[PATH_MAX];
	char *text = NULL;
	size_t len;
	static const char *const secrets[] = {
		"home/.ssh/id_ed25519", "home/.gnupg/private-keys-v1.d/k.key", "home/.aws/credentials",
		"home/.kube/config", "home/.docker/config.json", "home/.netrc", "home/.git-credentials",
		"home/.password-store/mail.gpg", "home/.local/share/keyrings/login.keyring",
		"home/.mozilla/firefox/p/cookies.sqlite", "home/.config/google-chrome/Default/Cookies",
		"home/.config/gh/hosts.yml", "home/.config/gcloud/credentials.db",
		"home/code/app/.env.local", "home/.npmrc", "home/.pypirc", "opt/site/tls.key",
		"srv/x/credentials.json", "home/infra/prod.tfvars",
	};
	static const char *const fine[] = {
		"home/.bashrc", "home/.config/tool/config.toml", "home/.cargo/bin/cargo",
		"home/code/app/src/main.rs", "home/.local/share/fonts/a.ttf",
	};

	if (!srcdir)
		SKIP("AJ_SRCDIR is not set");
	snprintf(path, sizeof(path), "%s/profiles/base.ini", srcdir);
	ASSERT_EQ(aj_ini_read_file(path, &text, &len), 0);
	setup_with(text);
	free(text);
	for (size_t i = 0; i < ELEMENTSOF(secrets); i++)
		if (!aj_learn_base_secret(base, at(secrets[i]), false)) {
			printf("#   not a secret: %s\n", secrets[i]);
			tap_failed = 1;
		}
	/* Another user's home, the same names. */
	EXPECT_TRUE(aj_learn_base_secret(base, "/home/bob/.ssh/id_rsa", false) != NULL);
	EXPECT_TRUE(aj_learn_base_secret(base, "/home/bob/.gnupg", true) != NULL);
	for (size_t i = 0; i < ELEMENTSOF(fine); i++)
		if (aj_learn_base_secret(base, at(fine[i]), false)) {
			printf("#   a secret?: %s (%s)\n", fine[i], aj_learn_base_secret(base, at(fine[i]), false));
			tap_failed = 1;
		}
	teardown();
}

/* ---- proposals -------------------------------------------------------------- */

TEST(reads_writes_and_the_base_s_own)
{
	struct aj_observe_rec r[6];
	struct aj_learn_out out;

	setup();
	mk("home/.fakeagent/config.json", "{}");
	mk("home/.fakeagent/state.json", "{}");
	mk("home/notes/todo.txt", "x");
	r[0] = rec("home/.fakeagent/config.json", AJ_ACC_READ);
	r[1] = rec("home/.fakeagent/state.json", AJ_ACC_READ | AJ_ACC_WRITE);
	r[2] = (struct aj_observe_rec){ .path = (char *)"/usr/bin/sh", .acc = AJ_ACC_EXEC, .count = 1 };
	r[3] = rec("home/missing.conf", AJ_ACC_STAT);       /* a probe: missing everywhere */
	r[4] = rec("home/.cache/x/new", AJ_ACC_WRITE | AJ_ACC_MAYBE_NEW); /* made in the base's tmpfs... */
	r[5] = rec("home/notes/todo.txt", AJ_ACC_READ);
	r[5].path = at("home/notes/todo.txt");
	mk("home/.cache/x", NULL);
	ASSERT_EQ(propose(r, 6, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/.fakeagent/config.json")) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_RW, at("home/.fakeagent/state.json")) != NULL);
	EXPECT_TRUE(!find(&out, AJ_PROP_RO, "/usr/bin/sh"));
	EXPECT_TRUE(!find(&out, AJ_PROP_RO, at("home/missing.conf")));
	/* ...in a directory the command did not make: that directory is needed, writable. */
	EXPECT_TRUE(find(&out, AJ_PROP_RW, at("home/.cache/x")) != NULL);
	/* The agent's own configuration needs no look; the rest of the home does. */
	EXPECT_TRUE(!find(&out, AJ_PROP_RO, at("home/.fakeagent/config.json"))->review);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/notes/todo.txt"))->review);
	EXPECT_STREQ(find(&out, AJ_PROP_RO, at("home/.fakeagent/config.json"))->why,
		     "read 2 times by agent (pid 42)");
	aj_learn_out_done(&out);
	teardown();
}

TEST(never_a_secret_nor_what_the_base_hides)
{
	struct aj_observe_rec r[5];
	struct aj_learn_out out;

	setup();
	mk("home/.ssh/id_rsa", "SECRET");
	mk("home/.npmrc", "token");
	mk("home/app/.env", "SECRET");
	mk("home/app/tls/server.pem", "SECRET");
	mk("home/.config/gh/hosts.yml", "token");
	r[0] = rec("home/.ssh/id_rsa", AJ_ACC_READ);
	r[1] = rec("home/.npmrc", AJ_ACC_READ | AJ_ACC_REFUSED); /* refused while learning */
	r[2] = rec("home/app/.env", AJ_ACC_READ);
	r[3] = rec("home/app/tls/server.pem", AJ_ACC_READ);
	r[4] = rec("home/.config/gh/hosts.yml", AJ_ACC_READ | AJ_ACC_WRITE);
	ASSERT_EQ(propose(r, 5, false, &out), 0);
	EXPECT_EQ(count(&out, AJ_PROP_RO) + count(&out, AJ_PROP_RW), 0);
	EXPECT_EQ(count(&out, AJ_PROP_SKIPPED), 5);
	for (size_t i = 0; i < out.n_props; i++)
		EXPECT_TRUE(strstr(out.props[i].why, "not proposed") != NULL);
	aj_learn_out_done(&out);
	teardown();
}

TEST(never_wide_directories_but_files_or_narrow_ones)
{
	struct aj_observe_rec r[8];
	struct aj_learn_out out;

	setup();
	mk("home/.a", "1");
	mk("home/.b", "2");
	mk("home/.c", "3");
	mk("home/.tool/lib/one.so", "1");
	mk("home/.tool/lib/two.so", "2");
	mk("home/.tool/share/data", "3");
	mk("home/.tool/other/unused", "4");
	r[0] = rec("home/.a", AJ_ACC_READ);
	r[1] = rec("home/.b", AJ_ACC_READ);
	r[2] = rec("home/.c", AJ_ACC_READ);
	r[3] = rec("home/.tool/lib/one.so", AJ_ACC_READ);
	r[4] = rec("home/.tool/lib/two.so", AJ_ACC_READ);
	r[5] = (struct aj_observe_rec){ .path = (char *)"/etc/hostname", .acc = AJ_ACC_READ, .count = 1 };
	r[6] = (struct aj_observe_rec){ .path = (char *)"/etc/os-release", .acc = AJ_ACC_READ, .count = 1 };
	r[7] = rec("home", AJ_ACC_READ | AJ_ACC_DIR);
	ASSERT_EQ(propose(r, 8, false, &out), 0);
	/* Files directly in the home stay files. */
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/.a")) && find(&out, AJ_PROP_RO, at("home/.c")));
	EXPECT_TRUE(!find(&out, AJ_PROP_RO, at("home")) && !find(&out, AJ_PROP_DIR, at("home")));
	/* Below one tool's directory: the nearest common directory, not the tool's whole. */
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/.tool/lib")) != NULL);
	EXPECT_TRUE(!find(&out, AJ_PROP_RO, at("home/.tool")));
	/* /etc is never proposed whole. */
	if (access("/etc/hostname", F_OK) == 0 && access("/etc/os-release", F_OK) == 0) {
		EXPECT_TRUE(!find(&out, AJ_PROP_RO, "/etc"));
		EXPECT_TRUE(find(&out, AJ_PROP_RO, "/etc/hostname") != NULL);
	}
	for (size_t i = 0; i < out.n_props; i++) {
		const char *p = out.props[i].path;

		EXPECT_TRUE(strcmp(p, "/") && strcmp(p, "/etc") && strcmp(p, "/home") &&
			    strcmp(p, "/run") && strcmp(p, at("home")));
	}
	aj_learn_out_done(&out);
	teardown();
}

TEST(a_directory_proposed_whole_masks_the_secrets_in_it)
{
	struct aj_observe_rec r[2];
	struct aj_learn_out out;

	setup();
	mk("home/.tool/a.conf", "1");
	mk("home/.tool/b.conf", "2");
	mk("home/.tool/.env", "SECRET");
	mk("home/.tool/keys/.ssh/id", "SECRET");
	r[0] = rec("home/.tool/a.conf", AJ_ACC_READ);
	r[1] = rec("home/.tool/b.conf", AJ_ACC_READ);
	ASSERT_EQ(propose(r, 2, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/.tool")) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_MASK, at("home/.tool/.env")) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_HIDE, at("home/.tool/keys/.ssh")) != NULL);
	aj_learn_out_done(&out);
	teardown();
}

TEST(writes_made_in_a_directory_need_the_directory)
{
	struct aj_observe_rec r[3];
	struct aj_learn_out out;

	setup();
	mk("home/.tool/state/db", "x");
	mk("home/.rc", "x");
	/* An atomic save: a new file, renamed over the old one. */
	r[0] = rec("home/.tool/state/db.tmp", AJ_ACC_WRITE | AJ_ACC_MAYBE_NEW | AJ_ACC_CREATE);
	r[1] = rec("home/.tool/state/db", AJ_ACC_CREATE | AJ_ACC_READ);
	/* Replaced directly in the home: the home is too wide, so the file, with a note. */
	r[2] = rec("home/.rc", AJ_ACC_CREATE);
	ASSERT_EQ(propose(r, 3, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RW, at("home/.tool/state")) != NULL);
	EXPECT_TRUE(!find(&out, AJ_PROP_RW, at("home/.tool/state/db")));
	EXPECT_TRUE(find(&out, AJ_PROP_RW, at("home/.rc")) != NULL);
	EXPECT_TRUE(strstr(find(&out, AJ_PROP_RW, at("home/.rc"))->why, "rename") != NULL);
	EXPECT_TRUE(!find(&out, AJ_PROP_RW, at("home")));
	aj_learn_out_done(&out);
	teardown();
}

TEST(the_project_is_one_line)
{
	struct aj_observe_rec r[3];
	struct aj_learn_out out;

	setup();
	mk("proj/README", "x");
	r[0] = rec("proj/src/main.c", AJ_ACC_READ);
	r[1] = rec("proj/README", AJ_ACC_READ);
	r[2] = rec("proj/build/out.o", AJ_ACC_WRITE | AJ_ACC_MAYBE_NEW);
	mk("proj/build", NULL);
	ASSERT_EQ(propose(r, 3, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RW, at("proj")) != NULL);
	EXPECT_EQ(count(&out, AJ_PROP_RO) + count(&out, AJ_PROP_RW), 1);
	EXPECT_TRUE(!find(&out, AJ_PROP_RW, at("proj"))->review);
	aj_learn_out_done(&out);
	teardown();
}

TEST(what_the_base_protects_is_never_made_writable)
{
	static const char text[] = "[filesystem]\nbind = ${PROJECT}\nprotect = hooks/\n";
	struct aj_observe_rec r[2];
	struct aj_learn_out out;

	snprintf(root, sizeof(root), "/tmp/aj-learn-unit.XXXXXX");
	if (!mkdtemp(root))
		abort();
	mk("proj/hooks/pre-commit", "#!/bin/sh\n");
	setup_with(text);
	r[0] = rec("proj/hooks/pre-commit", AJ_ACC_WRITE);
	r[1] = rec("proj/src/main.c", AJ_ACC_WRITE);
	ASSERT_EQ(propose(r, 2, false, &out), 0);
	EXPECT_EQ(count(&out, AJ_PROP_RW) + count(&out, AJ_PROP_RO), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_SKIPPED, at("proj/hooks/pre-commit")) != NULL);
	aj_learn_out_done(&out);
	teardown();
}

TEST(host_sockets_only_when_asked)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct aj_observe_rec r[1];
	struct aj_learn_out out;
	int fd;

	setup();
	mk("home/.tool", NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("home/.tool/sock"));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_TRUE(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	r[0] = rec("home/.tool/sock", AJ_ACC_CONNECT);
	ASSERT_EQ(propose(r, 1, false, &out), 0);
	EXPECT_EQ(count(&out, AJ_PROP_SOCKET), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_SKIPPED, at("home/.tool/sock")) != NULL);
	aj_learn_out_done(&out);
	r[0] = rec("home/.tool/sock", AJ_ACC_CONNECT);
	ASSERT_EQ(propose(r, 1, true, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_SOCKET, at("home/.tool/sock")) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_SOCKET, at("home/.tool/sock"))->review);
	aj_learn_out_done(&out);
	close(fd);
	teardown();
}

TEST(links_on_the_way_and_interpreters)
{
	struct aj_observe_rec r[1];
	struct aj_learn_out out;
	char target[PATH_MAX];

	setup();
	mk("home/.tool/v2/bin/run", "#!");
	snprintf(target, sizeof(target), "%s", at("home/.tool/v2/bin/run"));
	/* A script whose interpreter is the tool's own binary: the kernel opens it, not the script. */
	mk("home/bin/x", NULL);
	{
		char script[PATH_MAX + 16];
		int fd;

		snprintf(script, sizeof(script), "#!%s -q\n", target);
		fd = open(at("home/bin/x/job"), O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
		ASSERT_TRUE(fd >= 0 && write(fd, script, strlen(script)) > 0);
		close(fd);
	}
	ASSERT_EQ(symlink("../.tool/v2/bin/run", at("home/bin/run")), 0);
	r[0] = rec("home/bin/run", AJ_ACC_EXEC);
	ASSERT_EQ(propose(r, 1, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, target) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_SYMLINK, at("home/bin/run")) != NULL);
	EXPECT_STREQ(find(&out, AJ_PROP_SYMLINK, at("home/bin/run"))->target, "../.tool/v2/bin/run");
	aj_learn_out_done(&out);
	r[0] = rec("home/bin/x/job", AJ_ACC_EXEC);
	ASSERT_EQ(propose(r, 1, false, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, at("home/bin/x/job")) != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_RO, target) != NULL);
	aj_learn_out_done(&out);
	teardown();
}

TEST(refused_hosts_become_allow_lines)
{
	struct aj_learn_net net[3] = {
		{ .host = (char *)"api.example.com", .port = 443, .reason = (char *)"not in the allow list",
		  .count = 3 },
		{ .host = (char *)"127.0.0.1", .port = 8080, .count = 1,
		  .reason = (char *)"an IP address is allowed only when an --allow-host names it" },
		{ .host = (char *)"db.internal", .port = 5432, .count = 1,
		  .reason = (char *)"10.1.2.3 is a private address; only an --allow-host naming it opens it" },
	};
	struct aj_learn_input in;
	struct aj_learn_out out;

	setup();
	in = (struct aj_learn_input){ .base = base, .vars = &front.vars, .net = net, .n_net = 3 };
	ASSERT_EQ(aj_learn_propose(&in, &out), 0);
	EXPECT_TRUE(find(&out, AJ_PROP_ALLOW, "api.example.com:443") != NULL);
	EXPECT_TRUE(!find(&out, AJ_PROP_ALLOW, "api.example.com:443")->review);
	EXPECT_TRUE(find(&out, AJ_PROP_ALLOW, "127.0.0.1:8080")->review);
	EXPECT_TRUE(find(&out, AJ_PROP_ALLOW, "db.internal:5432") != NULL);
	EXPECT_TRUE(find(&out, AJ_PROP_ALLOW, "10.1.2.3:5432")->review);
	aj_learn_out_done(&out);
	in.base_net_host = true;
	ASSERT_EQ(aj_learn_propose(&in, &out), 0);
	EXPECT_EQ(count(&out, AJ_PROP_ALLOW), 0);
	aj_learn_out_done(&out);
	teardown();
}

TEST(the_agent_name_comes_from_its_command)
{
	char *argv1[] = { (char *)"/usr/bin/python3", (char *)"-u", (char *)"/x/fakeagent.py", NULL };
	char *argv2[] = { (char *)"claude", (char *)"--resume", NULL };
	char *argv3[] = { (char *)"node", (char *)"/opt/codex/bin/codex.js", NULL };
	char *n;

	EXPECT_STREQ((n = aj_learn_agent_name(argv1)), "fakeagent");
	free(n);
	EXPECT_STREQ((n = aj_learn_agent_name(argv2)), "claude");
	free(n);
	EXPECT_STREQ((n = aj_learn_agent_name(argv3)), "codex");
	free(n);
}

/* ---- the profile ------------------------------------------------------------- */

TEST(the_profile_reads_back_and_says_what_it_cannot_write)
{
	struct aj_observe_rec r[5];
	struct aj_learn_out out;
	char long_rel[300], *text = NULL;
	size_t size = 0;
	FILE *f;
	const char *srcdir = getenv("AJ_SRCDIR");
	char base_ini[PATH_MAX];
	const char *extra[] = { "limits", "memory = 1G", NULL };
	struct aj_learn_meta meta = { .argv = (char *[]){ (char *)"agent", (char *)"a;b", NULL },
				      .extra = extra, .status = 0 };
	struct aj_plan *back;
	struct aj_parser p;
	const char *err;
	int rr;

	setup();
	snprintf(base_ini, sizeof(base_ini), "%s/profiles/base.ini", srcdir ? srcdir : ".");
	meta.base_name = base_ini;
	mk("home/.fakeagent/with space;x", "1");
	mk("home/odd ;dir/file", "1");
	memset(long_rel, 'l', sizeof(long_rel) - 1);
	memcpy(long_rel, "home/", 5);
	long_rel[sizeof(long_rel) - 1] = '\0';
	long_rel[200] = '/';
	mk(long_rel, "1");
	mk("home/${HOME}", "1");
	r[0] = rec("home/.fakeagent/with space;x", AJ_ACC_READ);
	r[1] = rec("home/odd ;dir/file", AJ_ACC_READ);
	r[2] = rec(long_rel, AJ_ACC_READ);
	r[3] = rec("home/${HOME}", AJ_ACC_READ);
	r[4] = rec("proj/src/main.c", AJ_ACC_READ);
	ASSERT_EQ(propose(r, 5, false, &out), 0);
	f = open_memstream(&text, &size);
	ASSERT_TRUE(f != NULL);
	ASSERT_EQ(aj_learn_write_profile(f, &out, &front.vars, &meta), 0);
	fclose(f);
	/* Every line within the reader's limit; the odd names quoted, the impossible left out. */
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		EXPECT_TRUE(nl - line <= AJ_INI_MAX_LINE);
		if (!*nl)
			break;
	}
	EXPECT_TRUE(strstr(text, "ro-bind-try = ${HOME}'/.fakeagent/with space;x'\n") != NULL);
	EXPECT_TRUE(strstr(text, "ro-bind-try = ${HOME}'/${HOME}'\n") != NULL);
	EXPECT_TRUE(strstr(text, "bind-try = ${PROJECT}\n") || strstr(text, "ro-bind-try = ${PROJECT}\n"));
	EXPECT_TRUE(!strstr(text, "odd ;dir"));
	EXPECT_TRUE(!strstr(text, "llllllllll"));
	EXPECT_TRUE(strstr(text, "[limits]\n; given to agentjail learn\nmemory = 1G\n") != NULL);
	/* Read back by the profile reader, as --profile would. */
	back = aj_plan_new();
	ASSERT_TRUE(back && aj_parser_init(&p, back, false) == 0);
	p.front = &front;
	capture_begin();
	rr = aj_profile_apply_text(&p, "/t/learned.ini", text, strlen(text));
	err = capture_end();
	EXPECT_EQ(rr, 0);
	if (rr < 0)
		printf("# %s\n# %s\n", err, text);
	aj_parser_done(&p);
	aj_plan_free(back);
	/* The summary names what could not be written, and why. */
	free(text);
	text = NULL;
	f = open_memstream(&text, &size);
	aj_learn_write_summary(f, &out, &front.vars, &meta, "/t/learned.ini");
	fclose(f);
	EXPECT_TRUE(strstr(text, "odd ;dir/file: a blank followed by ';'") != NULL);
	EXPECT_TRUE(strstr(text, "too long for a profile line") != NULL);
	EXPECT_TRUE(strstr(text, "written to /t/learned.ini") != NULL);
	free(text);
	aj_learn_out_done(&out);
	teardown();
}

int main(void)
{
	return tap_main();
}
