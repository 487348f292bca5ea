/* SPDX-License-Identifier: LGPL-2.0-or-later */
/* views.c: which host directory the sandbox shows where, for expand and learn alike. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentjail/plan.h"
#include "agentjail/views.h"
#include "tap.h"

static struct aj_op *op(struct aj_plan *p, enum aj_op_kind kind, const char *src, const char *dest,
			unsigned flags)
{
	struct aj_op *o = aj_plan_add_op(p, kind);

	if (!o)
		abort();
	o->src = src ? strdup(src) : NULL;
	o->dest = strdup(dest);
	o->flags = flags;
	return o;
}

/* /usr ro, /tmp a tmpfs, a missing -try bind, a missing plain bind, a remounted /work, an overlay. */
static struct aj_plan *sample(void)
{
	struct aj_plan *p = aj_plan_new();
	struct aj_op *o;

	if (!p)
		abort();
	op(p, AJ_OP_BIND, "/usr", "/usr", AJ_OPF_RO);
	op(p, AJ_OP_TMPFS, NULL, "/tmp", 0);
	op(p, AJ_OP_BIND, "/nonexistent-aj-views", "/try", AJ_OPF_TRY);
	op(p, AJ_OP_BIND, "/nonexistent-aj-views", "/plain", 0);
	op(p, AJ_OP_BIND, "/etc", "/work", 0);
	op(p, AJ_OP_REMOUNT_RO, NULL, "/work", 0);
	op(p, AJ_OP_BIND, "/etc", "/rw", 0);
	o = op(p, AJ_OP_OVERLAY, NULL, "/ov", 0);
	o->layers = calloc(2, sizeof(char *));
	if (!o->layers)
		abort();
	o->layers[0] = strdup("/usr");
	o->n_layers = 1;
	op(p, AJ_OP_PROC, NULL, "/proc", 0);
	return p;
}

TEST(where_the_host_shows)
{
	struct aj_plan *p = sample();
	struct aj_views vs = { 0 };
	const struct aj_view *v;
	char usr[PATH_MAX];

	ASSERT_TRUE(realpath("/usr", usr) != NULL);
	ASSERT_EQ(aj_views_add_plan(&vs, p, 0), 0);
	EXPECT_EQ(vs.n, 7); /* nine operations: a missing -try bind and --remount-ro add no view */
	v = aj_views_at(&vs, "/usr/bin/env");
	ASSERT_TRUE(v != NULL);
	EXPECT_STREQ(v->host, usr);
	EXPECT_TRUE(!v->writable);
	EXPECT_TRUE(aj_views_at(&vs, "/try/x") == NULL);
	v = aj_views_at(&vs, "/plain");
	ASSERT_TRUE(v != NULL);
	EXPECT_TRUE(v->host == NULL); /* unresolvable: mount.c fails on it, not the view */
	EXPECT_TRUE(!aj_views_at(&vs, "/work/passwd")->writable); /* remounted read-only */
	EXPECT_TRUE(aj_views_at(&vs, "/rw/passwd")->writable);
	v = aj_views_at(&vs, "/ov/lib");
	ASSERT_TRUE(v != NULL);
	EXPECT_STREQ(v->host, usr);
	EXPECT_TRUE(aj_views_at(&vs, "/proc/self")->host == NULL);
	EXPECT_TRUE(aj_views_at(&vs, "/usrx") == NULL);
	EXPECT_TRUE(aj_views_at(&vs, "/") == NULL);
	aj_views_clear(&vs);
	EXPECT_EQ(vs.n, 0);
	aj_plan_free(p);
}

TEST(what_counts_as_writable)
{
	struct aj_plan *p = sample();
	struct aj_views host = { 0 }, command = { 0 };

	ASSERT_EQ(aj_views_add_plan(&host, p, 0), 0);
	ASSERT_EQ(aj_views_add_plan(&command, p, AJ_VIEWS_COMMAND_WRITES), 0);
	/* Writes to a tmpfs or a throwaway overlay never reach the host... */
	EXPECT_TRUE(!aj_views_at(&host, "/tmp/x")->writable);
	EXPECT_TRUE(!aj_views_at(&host, "/ov/x")->writable);
	/* ...but the command may make them. */
	EXPECT_TRUE(aj_views_at(&command, "/tmp/x")->writable);
	EXPECT_TRUE(aj_views_at(&command, "/ov/x")->writable);
	EXPECT_TRUE(!aj_views_at(&command, "/proc/x")->writable);
	/* A bind is the same either way. */
	EXPECT_TRUE(aj_views_at(&command, "/rw")->writable);
	EXPECT_TRUE(!aj_views_at(&command, "/usr")->writable);
	aj_views_clear(&host);
	aj_views_clear(&command);
	aj_plan_free(p);
}

TEST(covers)
{
	EXPECT_TRUE(aj_path_covers("/a", "/a"));
	EXPECT_TRUE(aj_path_covers("/a", "/a/b"));
	EXPECT_TRUE(aj_path_covers("/", "/a"));
	EXPECT_TRUE(!aj_path_covers("/a", "/ab"));
	EXPECT_TRUE(!aj_path_covers("/a/b", "/a"));
}

int main(void)
{
	return tap_main();
}
