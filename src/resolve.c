/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * A small pool of resolver threads.  The proxy itself stays one thread with
 * one epoll loop; only getaddrinfo(), which has no non-blocking form that
 * reads /etc/hosts and nsswitch as the rest of the system does, runs here.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentjail/resolve.h"

struct job {
	struct job *next;
	char name[256];
	struct aj_resolve_result res;
};

struct aj_resolver {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *todo, *todo_tail;
	struct job *done, *done_tail;
	unsigned threads, idle, max_threads;
	unsigned refs;     /* the owner and each thread */
	bool stopping;
	int efd;
};

static void free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;

		free(j);
		j = next;
	}
}

/* Drop one reference; the caller holds the lock, which this releases. */
static void unref_unlock(struct aj_resolver *r)
{
	bool last = --r->refs == 0;

	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	free_list(r->todo);
	free_list(r->done);
	if (r->efd >= 0)
		(void)close(r->efd);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void lookup(struct job *j)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_ADDRCONFIG,
	};
	struct addrinfo *ai = NULL;
	struct aj_resolve_result *res = &j->res;

	res->error = getaddrinfo(j->name, NULL, &hints, &ai);
	if (res->error)
		return;
	for (struct addrinfo *p = ai; p && res->n_addrs < AJ_RESOLVE_MAX_ADDRS; p = p->ai_next) {
		struct aj_netaddr a = { .family = p->ai_family };
		char txt[64];
		struct aj_target t;
		bool dup = false;

		if (p->ai_family == AF_INET)
			memcpy(a.bytes, &((struct sockaddr_in *)p->ai_addr)->sin_addr, 4);
		else if (p->ai_family == AF_INET6)
			memcpy(a.bytes, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr, 16);
		else
			continue;
		/* Through aj_target_set() so ::ffff:a.b.c.d is judged as a.b.c.d. */
		aj_netaddr_format(&a, txt, sizeof(txt));
		if (aj_target_set(&t, txt, strlen(txt), 1) < 0)
			continue;
		for (size_t i = 0; i < res->n_addrs; i++)
			dup |= memcmp(&res->addrs[i], &t.addr, sizeof(t.addr)) == 0;
		if (!dup)
			res->addrs[res->n_addrs++] = t.addr;
	}
	freeaddrinfo(ai);
	if (res->n_addrs == 0)
		res->error = EAI_NODATA;
}

static void *worker(void *arg)
{
	struct aj_resolver *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct job *j;
		uint64_t one = 1;

		while (!r->stopping && !r->todo) {
			r->idle++;
			pthread_cond_wait(&r->wake, &r->lock);
			r->idle--;
		}
		if (r->stopping)
			break;
		j = r->todo;
		r->todo = j->next;
		if (!r->todo)
			r->todo_tail = NULL;
		pthread_mutex_unlock(&r->lock);

		lookup(j);

		pthread_mutex_lock(&r->lock);
		if (r->stopping) {
			free(j);
			break;
		}
		j->next = NULL;
		if (r->done_tail)
			r->done_tail->next = j;
		else
			r->done = j;
		r->done_tail = j;
		/* An eventfd counter cannot overflow here: the loop reads it. */
		(void)!write(r->efd, &one, sizeof(one));
	}
	unref_unlock(r);
	return NULL;
}

int aj_resolver_new(unsigned max_threads, struct aj_resolver **ret)
{
	struct aj_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0) {
		int e = -errno;

		free(r);
		return e;
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	r->max_threads = max_threads ? max_threads : 1;
	r->refs = 1;
	*ret = r;
	return 0;
}

int aj_resolver_fd(const struct aj_resolver *r)
{
	return r->efd;
}

/* A worker with every signal blocked: signals belong to the loop's signalfd. */
static int start_worker(struct aj_resolver *r)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	e = pthread_create(&t, &attr, worker, r);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -e;
}

int aj_resolver_submit(struct aj_resolver *r, uint64_t id, const char *name)
{
	struct job *j = calloc(1, sizeof(*j));
	int e = 0;

	if (!j)
		return -ENOMEM;
	j->res.id = id;
	strncpy(j->name, name, sizeof(j->name) - 1);
	pthread_mutex_lock(&r->lock);
	if (r->todo_tail)
		r->todo_tail->next = j;
	else
		r->todo = j;
	r->todo_tail = j;
	if (r->idle == 0 && r->threads < r->max_threads) {
		e = start_worker(r);
		if (e == 0) {
			r->threads++;
			r->refs++;
		}
	}
	pthread_cond_signal(&r->wake);
	/* Without any worker the job would wait forever: report it. */
	if (e < 0 && r->threads == 0) {
		r->todo = r->todo_tail = NULL;
		free(j);
		pthread_mutex_unlock(&r->lock);
		return e;
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int aj_resolver_collect(struct aj_resolver *r, struct aj_resolve_result *ret)
{
	struct job *j;
	uint64_t v;

	(void)!read(r->efd, &v, sizeof(v)); /* reset; answers are counted by the list */
	pthread_mutex_lock(&r->lock);
	j = r->done;
	if (j) {
		r->done = j->next;
		if (!r->done)
			r->done_tail = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	if (!j)
		return -EAGAIN;
	*ret = j->res;
	free(j);
	return 0;
}

void aj_resolver_free(struct aj_resolver *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->wake);
	unref_unlock(r);
}
