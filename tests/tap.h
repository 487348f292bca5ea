/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A small TAP harness for the C unit tests.
 *
 *   TEST(name) { ... }            define a test (registered automatically)
 *   EXPECT_EQ(a, b) / EXPECT_STREQ(a, b) / EXPECT_TRUE(x)   record a failure, go on
 *   ASSERT_EQ(a, b) / ASSERT_STREQ(a, b) / ASSERT_TRUE(x)   record a failure, stop the test
 *   SKIP(reason)                  mark the test skipped and stop it
 *
 * int main(void) { return tap_main(); } runs every test in a forked child
 * (so a test may change process state or crash without hiding the others)
 * and prints one TAP line per test.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define TAP_MAX 512
static struct tap_test tap_tests[TAP_MAX];
static int tap_n_tests;
static int tap_failed;

#define TEST(name)                                                             \
	static void test_##name(void);                                         \
	__attribute__((constructor)) static void register_##name(void)         \
	{                                                                      \
		if (tap_n_tests < TAP_MAX)                                     \
			tap_tests[tap_n_tests++] = (struct tap_test){ #name, test_##name }; \
	}                                                                      \
	static void test_##name(void)

#define TAP_FAIL_(fmt, ...)                                                     \
	do {                                                                    \
		printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);  \
		tap_failed = 1;                                                 \
	} while (0)

#define EXPECT_TRUE(x)                                                         \
	do {                                                                   \
		if (!(x))                                                      \
			TAP_FAIL_("expected true: %s", #x);                    \
	} while (0)
#define EXPECT_EQ(a, b)                                                        \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b)                                                  \
			TAP_FAIL_("%s == %s: %lld != %lld", #a, #b, _a, _b);   \
	} while (0)
#define EXPECT_STREQ(a, b)                                                     \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b) != 0)                         \
			TAP_FAIL_("%s == %s: '%s' != '%s'", #a, #b, _a ? _a : "(null)", \
				  _b ? _b : "(null)");                         \
	} while (0)
#define ASSERT_TRUE(x)                                                         \
	do {                                                                   \
		EXPECT_TRUE(x);                                                \
		if (tap_failed)                                                \
			exit(1);                                               \
	} while (0)
#define ASSERT_EQ(a, b)                                                        \
	do {                                                                   \
		EXPECT_EQ(a, b);                                               \
		if (tap_failed)                                                \
			exit(1);                                               \
	} while (0)
#define ASSERT_STREQ(a, b)                                                     \
	do {                                                                   \
		EXPECT_STREQ(a, b);                                            \
		if (tap_failed)                                                \
			exit(1);                                               \
	} while (0)
#define SKIP(reason)                                                           \
	do {                                                                   \
		printf("#SKIP %s\n", reason);                                  \
		fflush(stdout);                                                \
		exit(77);                                                      \
	} while (0)

static inline int tap_main(void)
{
	int failures = 0;

	printf("1..%d\n", tap_n_tests);
	fflush(stdout);
	for (int i = 0; i < tap_n_tests; i++) {
		int st = 0;
		pid_t pid = fork();

		if (pid == 0) {
			tap_tests[i].fn();
			fflush(stdout);
			exit(tap_failed ? 1 : 0);
		}
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			printf("ok %d - %s\n", i + 1, tap_tests[i].name);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
			printf("ok %d - %s # SKIP\n", i + 1, tap_tests[i].name);
		else {
			printf("not ok %d - %s%s\n", i + 1, tap_tests[i].name,
			       WIFSIGNALED(st) ? " (crashed)" : "");
			failures++;
		}
		fflush(stdout);
	}
	return failures ? 1 : 0;
}
