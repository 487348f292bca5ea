/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Seccomp programs: the built-in filter (built by filter.c before clone) and
 * those given by the caller (bwrap's --seccomp and --add-seccomp-fd): classic
 * BPF, 8 bytes per instruction, installed as the last step before exec so the
 * setup itself is never filtered.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/log.h"
#include "agentjail/plan.h"
#include "agentjail/seccomp.h"

/* BPF_MAXINSNS (4096) instructions is the kernel's limit per program. */
#define PROG_MAX (8u * 4096u)

int aj_seccomp_take_fd(struct aj_plan *plan, int fd)
{
	void *data;
	size_t size;
	int r;

	r = aj_read_all(fd, PROG_MAX, &data, &size);
	if (r < 0)
		return aj_err(r, "Can't read seccomp data");
	(void)close(fd); /* consumed, as bwrap does; a close error changes nothing */
	r = aj_plan_add_seccomp(plan, data, size);
	if (r == -EINVAL)
		return aj_errx(r, "Invalid seccomp data, must be multiple of 8");
	if (r < 0)
		return aj_err(r, "Out of memory");
	return 0;
}

int aj_seccomp_read_late(struct aj_plan *plan)
{
	int fd = plan->seccomp_fd;

	if (fd < 0)
		return 0;
	plan->seccomp_fd = -EBADF;
	return aj_seccomp_take_fd(plan, fd);
}

static int load(const struct aj_blob *b)
{
	struct sock_fprog prog = { .len = (unsigned short)(b->size / 8), .filter = b->data };

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		if (errno == EINVAL)
			return aj_errx(-EINVAL, "Unable to set up system call filtering as requested: "
						"prctl(PR_SET_SECCOMP) reported EINVAL. (Hint: this "
						"requires a kernel configured with CONFIG_SECCOMP and "
						"CONFIG_SECCOMP_FILTER.)");
		return aj_err(-errno, "prctl(PR_SET_SECCOMP)");
	}
	return 0;
}

/*
 * The built-in filter (filter.c) first, then the caller's programs: the
 * kernel applies the strictest verdict of all, and between two errno
 * verdicts the last program loaded wins, so a caller's filter answers as it
 * would under bwrap.
 */
int aj_seccomp_install(const struct aj_plan *plan)
{
	int r;

	if (plan->filter.data && (r = load(&plan->filter)) < 0)
		return r;
	for (size_t i = 0; i < plan->n_seccomp_progs; i++)
		if ((r = load(&plan->seccomp_progs[i])) < 0)
			return r;
	return 0;
}
