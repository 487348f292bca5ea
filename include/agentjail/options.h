/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The option table: one row per option, shared by the command line (cli.c)
 * and, for rows with an INI section/key, the profile parser.  Both front ends
 * call the same parse function, so "--ro-bind-try A B" on the command line and
 * "ro-bind-try = A B" in a profile cannot drift apart.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentjail/plan.h"

enum {
	AJ_OPT_BWRAP = 1u << 0,      /* a bubblewrap option (else agentjail only) */
	AJ_OPT_LAST_WINS = 1u << 1,  /* warn "Only the last --X option will take effect" */
	AJ_OPT_TAKES_PERMS = 1u << 2,/* consumes a pending --perms */
	AJ_OPT_TAKES_SIZE = 1u << 3, /* consumes a pending --size */
	AJ_OPT_MODIFIER = 1u << 4,   /* --perms / --size: may precede each other */
	AJ_OPT_LAYER = 1u << 5,      /* --overlay-src: may precede itself */
	AJ_OPT_TAKES_LAYERS = 1u << 6, /* consumes pending --overlay-src */
	AJ_OPT_ONE_ARG_WORD = 1u << 7, /* bwrap says "takes one argument" */
	AJ_OPT_SPECIAL = 1u << 8,    /* handled by the front end (--args, --help) */
	AJ_OPT_HIDDEN = 1u << 9,     /* not listed by --help */
};

/* What the command line asked for besides a launch. */
enum aj_action {
	AJ_ACTION_RUN,
	AJ_ACTION_HELP,
	AJ_ACTION_VERSION,
	AJ_ACTION_CHECK,   /* --check: the self-check (check.c) */
};

struct aj_parser;
struct aj_opt;
struct aj_front;

typedef int (*aj_opt_parse_fn)(struct aj_parser *p, const struct aj_opt *o, char **args);

struct aj_opt {
	const char *name;      /* "--ro-bind-try" */
	const char *metavar;   /* "SRC DEST" for --help; NULL for flags */
	unsigned char nargs;   /* words taken on the command line */
	unsigned flags;        /* AJ_OPT_* */
	aj_opt_parse_fn parse;
	unsigned arg;          /* for the parse function: AJ_OPF_*, AJ_NS_*, ... */
	const char *section;   /* INI section, NULL when command line only */
	const char *key;       /* INI key */
	const char *help;
};

/* Parse state shared by all options of one front-end run. */
struct aj_parser {
	struct aj_plan *plan;
	bool bwrap;              /* invoked as bwrap: agentjail-only options are unknown */
	struct aj_src where;     /* where the current option came from */
	enum aj_action action;

	/* Modifiers waiting for the next operation (bwrap's ordering rules). */
	int next_perms;          /* -1: none */
	uint64_t next_size;      /* 0: none */
	char **next_layers;      /* pending --overlay-src, bottom first */
	size_t n_next_layers;

	bool argv0_seen;
	unsigned char *seen;     /* per row, for AJ_OPT_LAST_WINS */
	unsigned n_args;         /* all words seen, --args included (bwrap caps 9000) */

	struct aj_front *front;  /* profiles and agentjail's own rules; NULL as bwrap */
};

#define AJ_MAX_ARGS 9000

int aj_parser_init(struct aj_parser *p, struct aj_plan *plan, bool bwrap);
void aj_parser_done(struct aj_parser *p);

/* Look up a command-line option; NULL when unknown in this mode. */
const struct aj_opt *aj_opt_find(const struct aj_parser *p, const char *name);
/* Look up an INI key. */
const struct aj_opt *aj_opt_find_key(const char *section, const char *key);

/* Apply one option with its arguments, then check the modifier rules. */
int aj_opt_apply(struct aj_parser *p, const struct aj_opt *o, char **args);

/* Checks once all options are read (a dangling --overlay-src is an error). */
int aj_parser_finish(struct aj_parser *p);

/* The table, for --help and the documentation test. */
const struct aj_opt *aj_opt_table(size_t *ret_n);

/* Helpers shared with other front ends. */
int aj_parse_fd(const char *s, int *ret_fd);
int aj_parse_octal(const char *s, int *ret_mode);
