/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The record of one proxy connection decision, for the audit log: one JSON
 * object per line, written when the connection ends (so the byte counts are
 * complete), or at once for a refused one.  The format lives here only:
 *
 * {"time":"2025-01-31T12:00:00.123Z","host":"api.example.com","port":443,
 *  "decision":"allow","reason":"allowed by 'api.example.com'",
 *  "bytes_up":512,"bytes_down":4096}
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct aj_netlog_entry {
	struct timespec time;  /* CLOCK_REALTIME of the decision */
	const char *host;      /* as asked for (normalised), "" when unknown */
	uint16_t port;
	bool allow;
	const char *reason;
	uint64_t bytes_up;     /* sandbox to server */
	uint64_t bytes_down;   /* server to sandbox */
};

/* Longest line aj_netlog_format() writes, newline included. */
#define AJ_NETLOG_LINE_MAX 2048

/* Format one line (ending in '\n') into buf; returns its length. */
size_t aj_netlog_format(char *buf, size_t size, const struct aj_netlog_entry *e);

/* Append one line to fd with a single write(2). */
int aj_netlog_write(int fd, const struct aj_netlog_entry *e);
