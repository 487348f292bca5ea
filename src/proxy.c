/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * --net proxy in the launch.
 *
 *   monitor ──fork (before clone)──► proxy process (host network namespace)
 *      │                                 ▲ listening socket (SCM_RIGHTS)
 *      └──clone(CLONE_NEWNET...)──► setup child: lo up, listen on
 *                                       127.0.0.1:3128 in the new namespace
 *
 * A socket keeps the namespace it was created in, so the proxy accepts the
 * sandbox's connections while its own connect() calls leave from the host:
 * no bridge process, no second binary, nothing of ours left inside.  The
 * proxy is a separate process so the monitor stays small and never waits on
 * the network; it dies with the monitor (PR_SET_PDEATHSIG) and is stopped
 * by it as soon as the command has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentjail/fdutil.h"
#include "agentjail/landlock.h"
#include "agentjail/launch.h"
#include "agentjail/log.h"
#include "agentjail/netpolicy.h"
#include "agentjail/plan.h"
#include "agentjail/sidecar.h"
#include "agentjail/proxy.h"
#include "cleanup.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define PROXY_URL "http://127.0.0.1:" STR(AJ_PROXY_PORT)
/* Hosts reached directly: the sandbox's own loopback (a dev server inside). */
#define NO_PROXY "localhost,127.0.0.1,::1"
#define JAVA_PROPS                                                                   \
	"-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=" STR(AJ_PROXY_PORT)            \
	" -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" STR(AJ_PROXY_PORT)         \
	" -Dhttp.nonProxyHosts=localhost|127.0.0.1|[::1]"

/*
 * A value the user set for the sandbox (--setenv, a profile's [env]) differs
 * from the one agentjail was started with: keep it.  One merely inherited
 * from the caller (a proxy of the host's network, unreachable inside) is
 * replaced.
 */
static bool user_set(const struct aj_plan *plan, const char *name)
{
	const char *mine = aj_plan_getenv(plan, name), *caller = getenv(name);

	return mine && (!caller || strcmp(mine, caller) != 0);
}

static int set_var(struct aj_plan *plan, const char *name, const char *value)
{
	if (user_set(plan, name)) {
		aj_debug("proxy: keeping %s=%s as set for the sandbox", name,
			 aj_plan_getenv(plan, name));
		return 0;
	}
	return aj_plan_setenv(plan, name, value);
}

static int set_env(struct aj_plan *plan)
{
	static const char *const vars[][2] = {
		/* curl, wget, git, pip, Python, Go, Rust, ...: both spellings in use. */
		{ "http_proxy", PROXY_URL },  { "HTTP_PROXY", PROXY_URL },
		{ "https_proxy", PROXY_URL }, { "HTTPS_PROXY", PROXY_URL },
		/* http too: SOCKS in ALL_PROXY breaks httpx without its socksio extra. */
		{ "all_proxy", PROXY_URL },   { "ALL_PROXY", PROXY_URL },
		{ "no_proxy", NO_PROXY },     { "NO_PROXY", NO_PROXY },
		/* gRPC's C core reads its own name first. */
		{ "grpc_proxy", PROXY_URL },  { "GRPC_PROXY", PROXY_URL },
		/* Node's fetch and http ignore the variables unless told (Node >= 22.21 / 24.5). */
		{ "NODE_USE_ENV_PROXY", "1" },
	};
	const char *java;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		r = set_var(plan, vars[i][0], vars[i][1]);
		if (r < 0)
			return r;
	}
	/* The JVM reads no proxy variable, only system properties. */
	java = aj_plan_getenv(plan, "JAVA_TOOL_OPTIONS");
	if (!java || !*java)
		return aj_plan_setenv(plan, "JAVA_TOOL_OPTIONS", JAVA_PROPS);
	if (!strstr(java, "proxyHost=")) {
		_cleanup_free_ char *v = NULL;

		if (asprintf(&v, "%s %s", java, JAVA_PROPS) < 0)
			return -ENOMEM;
		return aj_plan_setenv(plan, "JAVA_TOOL_OPTIONS", v);
	}
	return 0;
}

int aj_proxy_prepare(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	struct aj_netpolicy *policy = NULL;
	const char *bad = NULL;
	int r;

	/* The patterns were checked when parsed; a failure here is a bug or ENOMEM. */
	r = aj_netpolicy_new(plan->allow_hosts, plan->n_allow_hosts, plan->deny_hosts,
			     plan->n_deny_hosts, &policy, &bad);
	if (r < 0)
		return r == -EINVAL ? aj_errx(r, "--allow-host/--deny-host: not a host pattern: '%s'", bad)
				    : aj_err(r, "proxy");
	aj_netpolicy_free(policy);
	/* agentjail learn refuses every host on purpose, to see which are tried. */
	if (plan->n_allow_hosts == 0 && !plan->observe)
		aj_notice("--net proxy without --allow-host: every connection will be refused");
	r = set_env(plan);
	if (r < 0)
		return aj_err(r, "proxy: environment");
	return 0;
}

/* ---- the proxy process --------------------------------------------------- */

/*
 * The proxy parses what the sandbox sends, outside the sandbox: a flaw in it
 * must not hand the user's files to the command.  Once it holds its sockets
 * it can only read what name resolution reads (glibc's resolver and NSS:
 * /etc, the libraries, and the files glibc reads from /etc wherever they
 * link to, as on systems that build /etc from symlinks), cannot
 * write, create or execute any file, bind a TCP port, signal or reach the
 * abstract sockets of processes outside (as far as the kernel's Landlock
 * goes).  Its outgoing connections are the policy's business, not this.
 */
static int confine(void)
{
	static const char *const fixed[] = { "/etc", "/usr", "/lib", "/lib32", "/lib64", "/libx32" };
	static const char *const linked[] = { "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
					      "/etc/host.conf", "/etc/gai.conf" };
	const char *paths[ELEMENTSOF(fixed) + ELEMENTSOF(linked)];
	char *real[ELEMENTSOF(linked)] = { NULL };
	size_t n = 0;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
		paths[n++] = fixed[i];
	for (size_t i = 0; i < ELEMENTSOF(linked); i++)
		if ((real[i] = realpath(linked[i], NULL)))
			paths[n++] = real[i];
	r = aj_landlock_confine_reader(paths, n);
	for (size_t i = 0; i < ELEMENTSOF(linked); i++)
		free(real[i]);
	if (r == -EOPNOTSUPP) {
		aj_debug("proxy: no Landlock on this kernel: the proxy runs unconfined");
		return 0;
	}
	return r < 0 ? aj_err(r, "proxy: confining itself with Landlock") : 0;
}

static _Noreturn void proxy_main(struct aj_run *run, int sock, struct aj_netpolicy *policy,
				 pid_t monitor)
{
	struct aj_proxy_config cfg = { .policy = policy, .netlog_fd = run->netlog_fd };
	int keep[2] = { sock, run->netlog_fd };

	/* Never outlive the monitor, even when it is killed. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != monitor)
		_exit(1);
	aj_sidecar_begin("agentjail-proxy", keep, run->netlog_fd >= 0 ? 2 : 1);
	/* SIGTERM comes as an event: connections are closed and logged. */
	cfg.listen_fd = aj_sidecar_receive("proxy", sock, &cfg.signal_fd);
	if (confine() < 0)
		_exit(1);
	if (run->plan->test_proxy_open) {
		/* agentjail-test only: show what the confined proxy may open. */
		int fd = open(run->plan->test_proxy_open, O_RDONLY | O_CLOEXEC);

		aj_notice("proxy: test: open %s: %s", run->plan->test_proxy_open,
			  fd >= 0 ? "ok" : strerror(errno));
		if (fd >= 0)
			(void)close(fd);
	}
	_exit(aj_proxy_serve(&cfg) < 0 ? 1 : 0);
}

int aj_proxy_start(struct aj_run *run)
{
	struct aj_plan *plan = run->plan;
	struct aj_netpolicy *policy = NULL;
	pid_t monitor = getpid(), pid;
	int sv[2], r;

	r = aj_netpolicy_new(plan->allow_hosts, plan->n_allow_hosts, plan->deny_hosts,
			     plan->n_deny_hosts, &policy, NULL);
	if (r < 0)
		return aj_err(r, "proxy: policy");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		aj_netpolicy_free(policy);
		return aj_err(r, "proxy: socketpair");
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		aj_netpolicy_free(policy);
		return aj_err(r, "proxy: fork");
	}
	if (pid == 0) {
		(void)close(sv[1]);
		proxy_main(run, sv[0], policy, monitor);
	}
	(void)close(sv[0]);
	aj_netpolicy_free(policy);
	run->proxy_fd = sv[1];
	run->proxy_pid = pid;
	run->proxy_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* ---- the setup child ----------------------------------------------------- */

int aj_proxy_listen_inside(struct aj_run *run)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(AJ_PROXY_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	_cleanup_close_ int fd = -EBADF;
	int one = 1, r = 0;

	if (run->proxy_fd < 0)
		return 0;
	/* Non-blocking for the proxy's accept loop: the flag travels with the socket. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		r = aj_err(-errno, "proxy: socket");
	else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		 bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = aj_err(-errno, "proxy: bind 127.0.0.1:%d", AJ_PROXY_PORT);
	else if (listen(fd, SOMAXCONN) < 0)
		r = aj_err(-errno, "proxy: listen");
	if (r == 0 && (r = aj_send_fd(run->proxy_fd, fd)) < 0)
		r = aj_err(r, "proxy: passing the socket to the proxy");
	(void)close(run->proxy_fd);
	run->proxy_fd = -EBADF;
	return r;
}

/* ---- the end ------------------------------------------------------------- */

void aj_proxy_stop(struct aj_run *run)
{
	/* Without the socket's other end a proxy still waiting for it ends by itself. */
	aj_closep(&run->proxy_fd);
	run->proxy_fd = -EBADF;
	/* Closing and logging its connections takes milliseconds; never wait long. */
	if (run->proxy_pid > 0)
		aj_sidecar_stop(run->proxy_pid, run->proxy_pidfd, 2000);
	aj_closep(&run->proxy_pidfd);
	run->proxy_pidfd = -EBADF;
	run->proxy_pid = 0;
}
