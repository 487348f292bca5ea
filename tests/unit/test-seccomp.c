/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The built-in seccomp filter, as verdict tables.  The exported BPF runs in
 * a small classic-BPF interpreter below, so every architecture and argument
 * can be fed to it (this machine may not even reach the i386 entry point);
 * a few cases then load the filter for real in a child.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/filter.h"
#include "agentjail/plan.h"
#include "tap.h"

/* ---- a classic BPF interpreter (the subset seccomp allows) --------------- */

static uint32_t run_bpf(const struct aj_blob *prog, const struct seccomp_data *d)
{
	const struct sock_filter *f = prog->data;
	size_t n = prog->size / sizeof(*f);
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	const unsigned char *data = (const unsigned char *)d;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;

		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (BPF_MODE(i->code) == BPF_ABS && i->k + 4 <= sizeof(*d))
				memcpy(&a, data + i->k, 4);
			else if (BPF_MODE(i->code) == BPF_IMM)
				a = i->k;
			else if (BPF_MODE(i->code) == BPF_MEM)
				a = mem[i->k % BPF_MEMWORDS];
			else if (BPF_MODE(i->code) == BPF_LEN)
				a = sizeof(*d);
			else
				return 0xdeadbeef;
			break;
		case BPF_LDX:
			x = BPF_MODE(i->code) == BPF_MEM ? mem[i->k % BPF_MEMWORDS] : i->k;
			break;
		case BPF_ST:
			mem[i->k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[i->k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: a = src ? a / src : 0; break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= src; break;
			case BPF_RSH: a >>= src; break;
			case BPF_NEG: a = -a; break;
			default: return 0xdeadbeef;
			}
			break;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA) {
				pc += i->k;
				break;
			}
			{
				bool t = BPF_OP(i->code) == BPF_JEQ   ? a == src
					 : BPF_OP(i->code) == BPF_JGT ? a > src
					 : BPF_OP(i->code) == BPF_JGE ? a >= src
								      : (a & src) != 0;

				pc += t ? i->jt : i->jf;
			}
			break;
		case BPF_RET:
			return BPF_RVAL(i->code) == BPF_A ? a : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* fell off the end: never valid */
}

#define ALLOW SECCOMP_RET_ALLOW
#define ERR(e) (SECCOMP_RET_ERRNO | (uint32_t)(e))

static uint32_t verdict(const struct aj_blob *b, uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = { .nr = nr, .arch = arch };

	d.args[0] = a0;
	d.args[1] = a1;
	return run_bpf(b, &d);
}

static uint32_t x86(const struct aj_blob *b, int nr, uint64_t a0, uint64_t a1)
{
	return verdict(b, AUDIT_ARCH_X86_64, nr, a0, a1);
}

static struct aj_blob build(const struct aj_filter_spec *spec)
{
	struct aj_blob b = { 0 };

	if (aj_filter_build(spec, &b) < 0)
		abort();
	return b;
}

static const struct aj_filter_spec hardened = {
	.defaults = true, .tty_injection = true, .foreign_abi = true, .io_uring = true,
	.nested_userns = true,
};

/* ---- verdict tables (x86_64 numbers; the test runs there) ----------------- */

#if defined(__x86_64__)
TEST(default_list_denies_what_agents_never_need)
{
	struct aj_blob b = build(&hardened);
	static const int eperm[] = { SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
				     SYS_kexec_load, SYS_init_module, SYS_finit_module, SYS_bpf,
				     SYS_perf_event_open, SYS_userfaultfd, SYS_keyctl, SYS_add_key,
				     SYS_request_key, SYS_mount, SYS_umount2, SYS_pivot_root,
				     SYS_fsopen, SYS_move_mount, SYS_open_tree, SYS_setns,
				     SYS_swapon, SYS_reboot, SYS_syslog, SYS_acct, SYS_quotactl,
				     SYS_open_by_handle_at, SYS_clock_settime, SYS_settimeofday,
				     SYS_iopl, SYS_ioperm, SYS_modify_ldt };

	for (size_t i = 0; i < sizeof(eperm) / sizeof(eperm[0]); i++)
		EXPECT_EQ(x86(&b, eperm[i], 0, 0), ERR(EPERM));
	/* Programs fall back from these. */
	EXPECT_EQ(x86(&b, SYS_clone3, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(x86(&b, SYS_io_uring_setup, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(x86(&b, SYS_io_uring_enter, 0, 0), ERR(ENOSYS));
	/* Everyday calls pass. */
	EXPECT_EQ(x86(&b, SYS_read, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_openat, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_execve, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_landlock_create_ruleset, 0, 0), ALLOW);
	free(b.data);
}

TEST(terminal_injection_matched_on_the_low_32_bits)
{
	struct aj_blob b = build(&hardened);

	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSTI), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCLINUX), ERR(EPERM));
	/* The kernel truncates the request to 32 bits: so must the filter. */
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSTI | (UINT64_C(1) << 32)), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCLINUX | UINT64_C(0xffffffff00000000)), ERR(EPERM));
	/* Job control and window sizes stay. */
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSPGRP), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCGWINSZ), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSWINSZ), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TCSETSW), ALLOW);
	free(b.data);
}

TEST(new_user_namespaces_refused_by_flag)
{
	struct aj_blob b = build(&hardened);

	EXPECT_EQ(x86(&b, SYS_clone, CLONE_NEWUSER | SIGCHLD, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_clone, CLONE_NEWUSER | (UINT64_C(1) << 40), 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS, 0), ERR(EPERM));
	/* fork, threads and other namespaces (which need caps anyway) pass. */
	EXPECT_EQ(x86(&b, SYS_clone, SIGCHLD, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_unshare, CLONE_NEWNS, 0), ALLOW);
	free(b.data);
}

TEST(personality_only_harmless_values)
{
	struct aj_blob b = build(&hardened);

	EXPECT_EQ(x86(&b, SYS_personality, PER_LINUX, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, PER_LINUX32, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, UNAME26, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, PER_LINUX32 | UNAME26, 0), ALLOW);
	/* High garbage is cut off by the kernel: 0 is what it sees. */
	EXPECT_EQ(x86(&b, SYS_personality, UINT64_C(1) << 40, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, ADDR_NO_RANDOMIZE, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_personality, READ_IMPLIES_EXEC, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_personality, MMAP_PAGE_ZERO, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_personality, 0xffffffff, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_personality, 1, 0), ERR(EPERM));
	free(b.data);
}

TEST(foreign_abis_refused_wholesale)
{
	struct aj_blob b = build(&hardened);

	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 20 /* getpid */, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 54 /* ioctl */, 0, TIOCSTI), ERR(ENOSYS));
	/* x32: the x86_64 arch with bit 30 in the number. */
	EXPECT_EQ(x86(&b, 0x40000000 | SYS_getpid, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(x86(&b, 0x40000000 | SYS_ioctl, 0, TIOCSTI), ERR(ENOSYS));
	free(b.data);
}

TEST(foreign_abis_allowed_get_the_same_rules)
{
	struct aj_filter_spec s = { .tty_injection = true, .io_uring = true };
	struct aj_blob b = build(&s);

	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 20 /* getpid */, 0, 0), ALLOW);
	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 54 /* ioctl */, 0, TIOCSTI), ERR(EPERM));
	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 425 /* io_uring_setup */, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(x86(&b, 0x40000000 | 514 /* x32 ioctl */, 0, TIOCSTI), ERR(EPERM));
	free(b.data);
}

TEST(bwrap_overlay_keeps_everything_else)
{
	struct aj_filter_spec s = { .tty_injection = true, .foreign_abi = true, .io_uring = true };
	struct aj_blob b = build(&s);

	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSTI), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_io_uring_setup, 0, 0), ERR(ENOSYS));
	EXPECT_EQ(verdict(&b, AUDIT_ARCH_I386, 20, 0, 0), ERR(ENOSYS));
	/* Nested sandboxes (bwrap inside, sandbox-runtime) keep working. */
	EXPECT_EQ(x86(&b, SYS_clone, CLONE_NEWUSER, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_clone3, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_mount, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_pivot_root, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ptrace, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, ADDR_NO_RANDOMIZE, 0), ALLOW);
	free(b.data);
}

TEST(nested_userns_allowed_lifts_the_mount_calls_too)
{
	struct aj_filter_spec s = hardened;
	struct aj_blob b;

	s.nested_userns = false;
	b = build(&s);
	EXPECT_EQ(x86(&b, SYS_clone, CLONE_NEWUSER, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_unshare, CLONE_NEWUSER, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_clone3, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_mount, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_setns, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ptrace, 0, 0), ERR(EPERM));
	free(b.data);
}

TEST(allow_and_deny_lists_by_name)
{
	char *allow[] = { (char *)"ptrace", (char *)"ioctl", (char *)"personality" };
	char *deny[] = { (char *)"getpid", (char *)"clone3" };
	struct aj_filter_spec s = hardened;
	struct aj_blob b;

	s.allow = allow, s.n_allow = 3, s.deny = deny, s.n_deny = 2;
	b = build(&s);
	EXPECT_EQ(x86(&b, SYS_ptrace, 0, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_ioctl, 0, TIOCSTI), ALLOW);
	EXPECT_EQ(x86(&b, SYS_personality, ADDR_NO_RANDOMIZE, 0), ALLOW);
	EXPECT_EQ(x86(&b, SYS_getpid, 0, 0), ERR(EPERM));
	/* A denied name replaces the built-in rule (ENOSYS) with EPERM. */
	EXPECT_EQ(x86(&b, SYS_clone3, 0, 0), ERR(EPERM));
	EXPECT_EQ(x86(&b, SYS_process_vm_readv, 0, 0), ERR(EPERM));
	free(b.data);
}
#endif

/*
 * The build-time table (filter-gen.c) must hold what libseccomp makes now:
 * every key, byte for byte; a spec with names has no key and is built fresh.
 */
TEST(table_programs_are_libseccomps_own)
{
	char *deny[] = { (char *)"chown" };
	struct aj_filter_spec named = hardened;

	for (int key = 0; key < AJ_FILTER_TABLE_KEYS; key++) {
		struct aj_filter_spec spec;
		struct aj_blob t = { 0 }, f = { 0 };

		aj_filter_spec_from_key(key, &spec);
		EXPECT_EQ(aj_filter_table_key(&spec), key);
		EXPECT_EQ(aj_filter_build(&spec, &t), 0);
		EXPECT_EQ(aj_filter_build_fresh(&spec, &f), 0);
		EXPECT_TRUE(t.size > 0 && t.size == f.size && memcmp(t.data, f.data, t.size) == 0);
		free(t.data);
		free(f.data);
	}
	named.deny = deny;
	named.n_deny = 1;
	EXPECT_EQ(aj_filter_table_key(&named), -1);
#if defined(__x86_64__)
	struct aj_blob b = build(&named);
	EXPECT_EQ(x86(&b, __NR_chown, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	free(b.data);
#endif
}

TEST(names_are_checked_against_libseccomp)
{
	EXPECT_TRUE(aj_filter_known_name("ptrace"));
	EXPECT_TRUE(aj_filter_known_name("io_uring_setup"));
	EXPECT_TRUE(!aj_filter_known_name("no_such_call"));
	EXPECT_TRUE(!aj_filter_known_name(""));
}

/* ---- the filter loaded for real (each test runs in its own child) --------- */

static void load(const struct aj_blob *b)
{
	struct sock_fprog prog = { .len = (unsigned short)(b->size / 8), .filter = b->data };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		abort();
}

TEST(kernel_agrees_high_bit_tiocsti_is_refused)
{
	struct aj_blob b = build(&hardened);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char c = 'x';

	ASSERT_TRUE(fd >= 0);
	load(&b);
	errno = 0;
	EXPECT_EQ(ioctl(fd, (unsigned long)TIOCSTI | (1UL << 32), &c), -1);
	EXPECT_EQ(errno, EPERM);
	errno = 0;
	EXPECT_EQ(syscall(SYS_personality, (unsigned long)ADDR_NO_RANDOMIZE), -1);
	EXPECT_EQ(errno, EPERM);
	EXPECT_EQ(syscall(SYS_clone3, NULL, 0), -1);
	EXPECT_EQ(errno, ENOSYS);
	EXPECT_TRUE(getppid() > 0);
	free(b.data);
	/*
	 * Leave without atexit handlers: LeakSanitizer (in the sanitizer build)
	 * stops the process with ptrace, which the filter now refuses.
	 */
	fflush(stdout);
	_exit(tap_failed ? 1 : 0);
}

int main(void)
{
	return tap_main();
}
