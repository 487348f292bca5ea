/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The built-in seccomp filter.  Everything not named here is allowed: the
 * filter removes kernel surface a coding agent never needs (debugging other
 * processes, loading code into the kernel, changing the machine's state) and
 * closes the holes namespaces leave (terminal injection, other syscall ABIs).
 *
 * Calls fail with EPERM, the answer of a kernel that refuses the caller, or
 * with ENOSYS where a program is expected to fall back (clone3 to clone,
 * io_uring to plain reads and writes).  Nothing is killed: a program that
 * probes a call learns "no" and goes on.
 *
 * Built by the setup child before it builds anything of the sandbox, and
 * exported as BPF (filter.h); the command's process only loads it
 * (seccomp.c), as the very last step.
 */
#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/filter.h"
#include "agentjail/plan.h"
#include "cleanup.h"

/* The groups a rule belongs to; each is switched on by a field of the spec. */
enum group {
	G_DEFAULT,  /* spec->defaults */
	G_NESTED,   /* spec->nested_userns: what only a nested sandbox would need */
	G_IO_URING, /* spec->io_uring */
};

static const struct plain_rule {
	const char *name;
	int err;
	enum group group;
} plain_rules[] = {
	/* Other processes' memory and execution. */
	{ "ptrace", EPERM, G_DEFAULT },
	{ "process_vm_readv", EPERM, G_DEFAULT },
	{ "process_vm_writev", EPERM, G_DEFAULT },
	/* Code into the kernel, or a new kernel. */
	{ "kexec_load", EPERM, G_DEFAULT },
	{ "kexec_file_load", EPERM, G_DEFAULT },
	{ "init_module", EPERM, G_DEFAULT },
	{ "finit_module", EPERM, G_DEFAULT },
	{ "delete_module", EPERM, G_DEFAULT },
	{ "create_module", EPERM, G_DEFAULT },
	{ "bpf", EPERM, G_DEFAULT },
	/* Kernel interfaces with a long record of exploits, no use to an agent. */
	{ "perf_event_open", EPERM, G_DEFAULT },
	{ "userfaultfd", EPERM, G_DEFAULT },
	{ "keyctl", EPERM, G_DEFAULT },
	{ "add_key", EPERM, G_DEFAULT },
	{ "request_key", EPERM, G_DEFAULT },
	/* The machine's state. */
	{ "swapon", EPERM, G_DEFAULT },
	{ "swapoff", EPERM, G_DEFAULT },
	{ "reboot", EPERM, G_DEFAULT },
	{ "syslog", EPERM, G_DEFAULT },
	{ "acct", EPERM, G_DEFAULT },
	{ "quotactl", EPERM, G_DEFAULT },
	{ "quotactl_fd", EPERM, G_DEFAULT },
	{ "open_by_handle_at", EPERM, G_DEFAULT },
	{ "clock_settime", EPERM, G_DEFAULT },
	{ "clock_adjtime", EPERM, G_DEFAULT },
	{ "settimeofday", EPERM, G_DEFAULT },
	{ "adjtimex", EPERM, G_DEFAULT },
	{ "stime", EPERM, G_DEFAULT },
	{ "iopl", EPERM, G_DEFAULT },
	{ "ioperm", EPERM, G_DEFAULT },
	{ "modify_ldt", EPERM, G_DEFAULT },
	/* Mounts and namespaces: only useful inside a user namespace of one's own. */
	{ "mount", EPERM, G_NESTED },
	{ "umount", EPERM, G_NESTED },
	{ "umount2", EPERM, G_NESTED },
	{ "pivot_root", EPERM, G_NESTED },
	{ "fsopen", EPERM, G_NESTED },
	{ "fsconfig", EPERM, G_NESTED },
	{ "fsmount", EPERM, G_NESTED },
	{ "fspick", EPERM, G_NESTED },
	{ "move_mount", EPERM, G_NESTED },
	{ "open_tree", EPERM, G_NESTED },
	{ "mount_setattr", EPERM, G_NESTED },
	{ "setns", EPERM, G_NESTED },
	/* clone3 passes its flags in memory, out of the filter's sight: glibc falls back to clone. */
	{ "clone3", ENOSYS, G_NESTED },
	{ "io_uring_setup", ENOSYS, G_IO_URING },
	{ "io_uring_enter", ENOSYS, G_IO_URING },
	{ "io_uring_register", ENOSYS, G_IO_URING },
};

/*
 * personality(2) takes an unsigned int.  0, PER_LINUX32 and UNAME26 are the
 * values programs use; every other bit changes how exec lays out memory
 * (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ...).  A rule per
 * forbidden bit, since libseccomp takes one comparison per argument.  The
 * query value 0xffffffff has them all: it fails too, which sanitizers read
 * as "cannot change it" and go on.
 */
#define PERSONALITY_OK ((uint32_t)(PER_LINUX32 | UNAME26))

static bool group_on(const struct aj_filter_spec *spec, enum group g)
{
	switch (g) {
	case G_DEFAULT:
		return spec->defaults;
	case G_NESTED:
		return spec->nested_userns;
	case G_IO_URING:
		return spec->io_uring;
	}
	return false;
}

static bool listed(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return true;
	return false;
}

/* A built-in rule for name applies unless the spec allows or re-denies the name. */
static bool builtin_applies(const struct aj_filter_spec *spec, const char *name)
{
	return !listed(spec->allow, spec->n_allow, name) && !listed(spec->deny, spec->n_deny, name);
}

bool aj_filter_known_name(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

/*
 * Names are resolved by libseccomp; a call missing on this architecture gets
 * a negative pseudo number that libseccomp leaves out of the native filter.
 */
static int add(scmp_filter_ctx ctx, const char *name, int err, unsigned n,
	       const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* a built-in name older libseccomp does not know: it cannot filter it */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO((uint32_t)err), nr, n, cmp);
}

/* ioctl's request is an unsigned int to the kernel: compare the low 32 bits only. */
static int add_ioctl(scmp_filter_ctx ctx, unsigned long request)
{
	struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, request);

	return add(ctx, "ioctl", EPERM, 1, &c);
}

static int add_rules(scmp_filter_ctx ctx, const struct aj_filter_spec *spec)
{
	int r;

	for (size_t i = 0; i < ELEMENTSOF(plain_rules); i++) {
		const struct plain_rule *pr = &plain_rules[i];

		if (!group_on(spec, pr->group) || !builtin_applies(spec, pr->name))
			continue;
		r = add(ctx, pr->name, pr->err, 0, NULL);
		if (r < 0)
			return r;
	}
	if (spec->nested_userns) {
		/* A new user namespace: clone and unshare take the flags in a register. */
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);

		if (builtin_applies(spec, "clone") && (r = add(ctx, "clone", EPERM, 1, &c)) < 0)
			return r;
		if (builtin_applies(spec, "unshare") && (r = add(ctx, "unshare", EPERM, 1, &c)) < 0)
			return r;
	}
	if (spec->tty_injection && builtin_applies(spec, "ioctl")) {
		if ((r = add_ioctl(ctx, TIOCSTI)) < 0 || (r = add_ioctl(ctx, TIOCLINUX)) < 0)
			return r;
	}
	if (spec->defaults && builtin_applies(spec, "personality"))
		for (unsigned bit = 0; bit < 32; bit++) {
			uint32_t m = UINT32_C(1) << bit;
			struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, m, m);

			if (m & PERSONALITY_OK)
				continue;
			r = add(ctx, "personality", EPERM, 1, &c);
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < spec->n_deny; i++) {
		r = add(ctx, spec->deny[i], EPERM, 0, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The ABIs a process of this architecture can also call the kernel through. */
static int add_foreign_arches(scmp_filter_ctx ctx)
{
#if defined(__x86_64__)
	static const uint32_t arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
#elif defined(__aarch64__)
	static const uint32_t arches[] = { SCMP_ARCH_ARM };
#else
	static const uint32_t arches[] = { 0 };
#endif
	for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
		int r;

		if (!arches[i])
			continue;
		r = seccomp_arch_add(ctx, arches[i]);
		if (r < 0 && r != -EEXIST)
			return r;
	}
	return 0;
}

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

int aj_filter_build_fresh(const struct aj_filter_spec *spec, struct aj_blob *ret)
{
	_cleanup_(ctx_releasep) scmp_filter_ctx ctx = NULL;
	int r;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/*
	 * Refused wholesale, the i386 and x32 entry points cannot be used to
	 * reach a call under another number.  When they are allowed (bwrap.ini),
	 * the same rules are added for them instead.
	 */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
			     spec->foreign_abi ? SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ALLOW);
	if (r >= 0 && !spec->foreign_abi)
		r = add_foreign_arches(ctx);
	/* A binary tree of syscall numbers instead of a linear list. */
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r >= 0)
		r = add_rules(ctx, spec);
	if (r < 0)
		return r;
	return aj_filter_export(ctx, ret);
}

int aj_filter_export(scmp_filter_ctx ctx, struct aj_blob *ret)
{
	_cleanup_close_ int fd = -EBADF;
	void *data;
	size_t size;
	int r;

	/* libseccomp 2.5 exports only to an fd. */
	fd = memfd_create("agentjail-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	r = aj_read_all(fd, 8u * 4096u, &data, &size);
	if (r < 0)
		return r;
	if (size == 0 || size % 8) {
		free(data);
		return -EINVAL;
	}
	*ret = (struct aj_blob){ .data = data, .size = size };
	return 0;
}

#ifdef AJ_FILTER_TABLE
#include "filter-table.h"

/*
 * A spec made of the switches alone has its program in the table that
 * agentjail-filter-gen made with this same code at build time: a launch
 * copies it instead of spending libseccomp's 0.5 to 1 ms.
 */
int aj_filter_build(const struct aj_filter_spec *spec, struct aj_blob *ret)
{
	int key = aj_filter_table_key(spec);
	void *data;

	if (key < 0 || (size_t)key >= ELEMENTSOF(aj_filter_table) || !aj_filter_table[key].size)
		return aj_filter_build_fresh(spec, ret);
	data = malloc(aj_filter_table[key].size);
	if (!data)
		return -ENOMEM;
	memcpy(data, aj_filter_table[key].data, aj_filter_table[key].size);
	*ret = (struct aj_blob){ .data = data, .size = aj_filter_table[key].size };
	return 0;
}
#else
int aj_filter_build(const struct aj_filter_spec *spec, struct aj_blob *ret)
{
	return aj_filter_build_fresh(spec, ret);
}
#endif

int aj_filter_table_key(const struct aj_filter_spec *spec)
{
	if (spec->n_allow || spec->n_deny)
		return -1;
	return (spec->defaults ? 1 : 0) | (spec->nested_userns ? 2 : 0) | (spec->io_uring ? 4 : 0) |
	       (spec->tty_injection ? 8 : 0) | (spec->foreign_abi ? 16 : 0);
}

void aj_filter_spec_from_key(int key, struct aj_filter_spec *ret)
{
	*ret = (struct aj_filter_spec){
		.defaults = key & 1, .nested_userns = key & 2, .io_uring = key & 4,
		.tty_injection = key & 8, .foreign_abi = key & 16,
	};
}

static void list_line(FILE *f, const char *what, const struct aj_filter_spec *spec, enum group g,
		      int err)
{
	bool any = false;

	for (size_t i = 0; i < ELEMENTSOF(plain_rules); i++) {
		const struct plain_rule *pr = &plain_rules[i];

		if (pr->group != g || pr->err != err || !builtin_applies(spec, pr->name))
			continue;
		fprintf(f, "%s%s", any ? " " : what, pr->name);
		any = true;
	}
	if (any)
		fputc('\n', f);
}

void aj_filter_describe(const struct aj_filter_spec *spec, FILE *f)
{
	if (spec->defaults) {
		list_line(f, "    EPERM: ", spec, G_DEFAULT, EPERM);
		if (builtin_applies(spec, "personality"))
			fputs("    EPERM: personality other than 0, PER_LINUX32, UNAME26\n", f);
	}
	if (spec->nested_userns) {
		list_line(f, "    EPERM: ", spec, G_NESTED, EPERM);
		if (builtin_applies(spec, "clone") || builtin_applies(spec, "unshare"))
			fprintf(f, "    EPERM: %s with CLONE_NEWUSER\n",
				!builtin_applies(spec, "unshare") ? "clone"
				: !builtin_applies(spec, "clone") ? "unshare"
								  : "clone and unshare");
		list_line(f, "    ENOSYS: ", spec, G_NESTED, ENOSYS);
	}
	if (spec->tty_injection && builtin_applies(spec, "ioctl"))
		fputs("    EPERM: ioctl TIOCSTI and TIOCLINUX (terminal injection)\n", f);
	if (spec->io_uring)
		list_line(f, "    ENOSYS: ", spec, G_IO_URING, ENOSYS);
	for (size_t i = 0; i < spec->n_deny; i++)
		fprintf(f, "%s%s", i ? " " : "    EPERM (asked for): ", spec->deny[i]);
	if (spec->n_deny)
		fputc('\n', f);
	fprintf(f, "    %s\n", spec->foreign_abi ? "ENOSYS: every call through the i386 or x32 ABI"
					     : "i386 and x32 calls filtered by the same rules");
}
