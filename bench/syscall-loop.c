/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * syscall-loop N: nanoseconds per system call, for three kinds of call as
 * the seccomp filter sees them:
 *   getppid   no rule in the filter (the kernel's per-filter cache answers)
 *   ioctl     a call with argument rules (TIOCSTI), so the BPF runs: TCGETS
 *             on /dev/null, which the kernel answers with ENOTTY
 *   openat    the most common call of a build or `git status`
 * Prints "NAME NS" lines; the best of 5 rounds of N calls each.  Time is
 * the thread's CPU time (user + system), so a busy machine that takes the
 * CPU away does not count; what it does to caches still does.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const char *names[] = { "getppid", "ioctl", "openat" };
	struct termios t;

	if (fd < 0 || n <= 0)
		return 1;
	for (int k = 0; k < 3; k++) {
		double best = 1e30;

		for (int round = 0; round < 5; round++) {
			double t0 = now();

			for (long i = 0; i < n; i++) {
				if (k == 0)
					(void)syscall(SYS_getppid);
				else if (k == 1)
					(void)ioctl(fd, TCGETS, &t);
				else
					close(openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC));
			}
			double dt = (now() - t0) / (double)n;
			if (dt < best)
				best = dt;
		}
		/* openat includes the close: halve it to report per call. */
		printf("%s %.1f\n", names[k], k == 2 ? best / 2 : best);
	}
	return 0;
}
