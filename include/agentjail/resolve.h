/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Name resolution for the proxy's event loop.  getaddrinfo() blocks, so a
 * few worker threads (never one per connection) run it; the loop submits
 * names and collects answers when the resolver's fd becomes readable.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "agentjail/netpolicy.h"

#define AJ_RESOLVE_MAX_ADDRS 8

struct aj_resolver;

struct aj_resolve_result {
	uint64_t id;              /* as submitted */
	int error;                /* 0, or an EAI_* code */
	size_t n_addrs;
	struct aj_netaddr addrs[AJ_RESOLVE_MAX_ADDRS];
};

/* Up to max_threads workers, started when the first names arrive. */
int aj_resolver_new(unsigned max_threads, struct aj_resolver **ret);
/* Readable when answers are waiting. */
int aj_resolver_fd(const struct aj_resolver *r);
/* Queue a name (copied); id comes back with the answer. */
int aj_resolver_submit(struct aj_resolver *r, uint64_t id, const char *name);
/* Take one answer; -EAGAIN when none is waiting. */
int aj_resolver_collect(struct aj_resolver *r, struct aj_resolve_result *ret);
/*
 * Stop: workers still inside getaddrinfo() are left to finish on their own
 * (the process is about to exit); the structure is freed by the last one.
 */
void aj_resolver_free(struct aj_resolver *r);
