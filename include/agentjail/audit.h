/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The audit log: one JSON object per line for each run, chained by SHA-256
 * so that an edited, deleted, inserted or reordered record is detected
 * (docs/AUDIT.md has the format and what verification proves).
 *
 * The monitor opens the log before clone() and writes the run's record when
 * the command has ended; the sandbox never holds the log's fd and, where a
 * bind would show the file inside, sees an unusable node in its place.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct aj_parser;
struct aj_opt;
struct aj_plan;
struct aj_run;
struct aj_buf;

#define AJ_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* The option table's parse function: --audit, --audit-log, --audit-syslog and [audit]. */
int aj_audit_opt(struct aj_parser *p, const struct aj_opt *o, char **args);

/* Is auditing on for this plan (AJ_AUDIT_DEFAULT: unless invoked as bwrap)? */
bool aj_audit_enabled(const struct aj_plan *plan, bool bwrap);
/* The log's path: plan->audit_log, else $XDG_STATE_HOME/agentjail/audit.jsonl. */
int aj_audit_path(const struct aj_plan *plan, char **ret);

/* Monitor, before clone(): open the log, make the proxy's decision file, hide the log inside. Logs. */
int aj_audit_begin(struct aj_run *run);
/* Monitor, after the command: build and append the run's record. Logs once on failure. */
void aj_audit_end(struct aj_run *run);

/* For --explain: whether and where runs are recorded. */
void aj_audit_describe(const struct aj_plan *plan, bool bwrap, FILE *f);

/*
 * The proxy's decisions (one JSON object per line in fd, read from offset 0)
 * as a JSON array appended to b: only well-formed lines with the known keys,
 * re-written field by field; *ret_dropped counts the lines left out.
 */
int aj_audit_netlog_json(int fd, struct aj_buf *b, size_t *ret_dropped);

/* auditlog.c: the chained file. */

/*
 * Append one record to the log open at fd: body is the JSON members of the
 * record without braces; "seq" and "prev" go first and "sha256" last.  Takes
 * an exclusive flock for the read-the-tail-and-write, so concurrent runs
 * interleave whole records and keep one chain.  ret_sha256 (65 bytes) gets
 * the new record's digest when not NULL.
 */
int aj_auditlog_append(int fd, const char *body, size_t body_len, unsigned long long *ret_seq,
		       char *ret_sha256);

/*
 * Check every record of the log at fd.  0 when intact (*ret_records, the last
 * digest in last_sha256), -EBADMSG at the first broken record, with its line
 * number and what is wrong in why.
 */
int aj_auditlog_verify(int fd, unsigned long long *ret_records, char *last_sha256,
		       unsigned long long *ret_line, char *why, size_t why_size);

/* `agentjail audit verify|show|path ...`; returns the exit status. */
int aj_audit_main(int argc, char **argv);
