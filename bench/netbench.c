/* SPDX-License-Identifier: LGPL-2.0-or-later */
#define _GNU_SOURCE
/*
 * The network benchmark's two ends (bench/net-proxy.sh builds and runs it).
 *
 *   netbench serve PORT                 on 127.0.0.1, a thread per connection:
 *                                       "S n\n" -> n bytes then close,
 *                                       "E\n" -> one byte back, "H\n" -> hold open
 *   netbench get HOST PORT BYTES [proxy]   time a download; prints MB/s
 *   netbench ping HOST PORT N [proxy]      N sequential connect+request+reply;
 *                                       prints the median and p90 in microseconds
 *   netbench hold HOST PORT N DIR [proxy]  N connections held open; touches
 *                                       DIR/start, waits 1 s, DIR/held, waits 2 s
 *
 * With "proxy", connections go through 127.0.0.1:3128 with CONNECT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int dial(const char *host, int port, int proxy)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket");
	sa.sin_port = htons(proxy ? 3128 : port);
	inet_pton(AF_INET, proxy ? "127.0.0.1" : host, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (proxy) {
		char req[256], rep[512];
		size_t got = 0;
		int n = snprintf(req, sizeof(req), "CONNECT %s:%d HTTP/1.1\r\n\r\n", host, port);

		if (write(fd, req, (size_t)n) != n)
			die("write");
		/* Read the answer byte by byte: nothing after it may be swallowed. */
		while (got < 4 || memcmp(rep + got - 4, "\r\n\r\n", 4) != 0) {
			if (got + 1 >= sizeof(rep) || read(fd, rep + got, 1) != 1)
				die("CONNECT answer");
			got++;
		}
		if (strncmp(rep, "HTTP/1.1 200", 12) != 0) {
			rep[got] = '\0';
			fprintf(stderr, "proxy refused: %s\n", rep);
			exit(1);
		}
	}
	return fd;
}

static void *serve_one(void *arg)
{
	static char block[1 << 20];
	int fd = (int)(long)arg;
	char cmd[64];
	size_t got = 0;

	while (got < sizeof(cmd) - 1 && (got == 0 || cmd[got - 1] != '\n')) {
		ssize_t n = read(fd, cmd + got, 1);

		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	cmd[got] = '\0';
	if (cmd[0] == 'S') {
		unsigned long long left = strtoull(cmd + 2, NULL, 10);

		while (left > 0) {
			ssize_t n = write(fd, block, left < sizeof(block) ? left : sizeof(block));

			if (n <= 0)
				break;
			left -= (unsigned long long)n;
		}
	} else if (cmd[0] == 'E') {
		(void)!write(fd, "e", 1);
	} else if (cmd[0] == 'H') {
		while (read(fd, cmd, sizeof(cmd)) > 0)
			;
	}
out:
	close(fd);
	return NULL;
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0)
		die("bind");
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		pthread_attr_t attr;
		pthread_t t;

		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		if (pthread_create(&t, &attr, serve_one, (void *)(long)c) != 0)
			close(c);
		pthread_attr_destroy(&attr);
	}
}

static int get(const char *host, int port, unsigned long long bytes, int proxy)
{
	static char buf[1 << 20];
	unsigned long long total = 0;
	double t0 = now(), dt;
	int fd = dial(host, port, proxy);
	char cmd[64];
	int n = snprintf(cmd, sizeof(cmd), "S %llu\n", bytes);

	if (write(fd, cmd, (size_t)n) != n)
		die("write");
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0)
			die("read");
		if (k == 0)
			break;
		total += (unsigned long long)k;
	}
	dt = now() - t0;
	if (total != bytes) {
		fprintf(stderr, "short transfer: %llu of %llu\n", total, bytes);
		return 1;
	}
	printf("%.1f\n", (double)bytes / dt / 1e6);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int ping(const char *host, int port, int n, int proxy)
{
	double *t = calloc((size_t)n, sizeof(double));

	for (int i = 0; i < n; i++) {
		double t0 = now();
		int fd = dial(host, port, proxy);
		char c;

		if (write(fd, "E\n", 2) != 2 || read(fd, &c, 1) != 1)
			die("ping");
		t[i] = (now() - t0) * 1e6;
		close(fd);
	}
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	printf("%.0f %.0f\n", t[n / 2], t[n * 9 / 10]);
	free(t);
	return 0;
}

static void touch(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (f)
		fclose(f);
}

static int hold(const char *host, int port, int n, const char *dir, int proxy)
{
	int *fds = calloc((size_t)n, sizeof(int));

	touch(dir, "start");
	sleep(1); /* the baseline is measured now */
	for (int i = 0; i < n; i++) {
		fds[i] = dial(host, port, proxy);
		if (write(fds[i], "H\n", 2) != 2)
			die("write");
	}
	touch(dir, "held");
	sleep(2);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc >= 5 && strcmp(argv[1], "get") == 0)
		return get(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10), argc > 5);
	if (argc >= 5 && strcmp(argv[1], "ping") == 0)
		return ping(argv[2], atoi(argv[3]), atoi(argv[4]), argc > 5);
	if (argc >= 6 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5], argc > 6);
	fprintf(stderr, "usage: see the comment atop bench/netbench.c\n");
	return 2;
}
