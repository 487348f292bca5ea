/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail's own front end around the bwrap-style command line: profiles,
 * zero-config runs, --explain and --dump-profile, and the rules (hide, mask,
 * protect, ...) that go beyond bwrap.  main.c calls it in three places:
 *
 *   aj_front_begin()   before the command line is parsed: decides whether
 *                      this is a profile run and loads the default profile
 *                      first when none is named (zero-config);
 *   (the command line is parsed: --profile loads a profile at its place, so
 *    options after it add to it and win)
 *   aj_front_run()     after parsing: picks the command, expands the plan
 *                      (globs, the tree walk, git repositories), then prints
 *                      (--explain, --dump-profile) or launches.
 *
 * Invoked as bwrap, none of this exists.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agentjail/vars.h"

struct aj_parser;
struct aj_opt;
struct aj_plan;

/* A profile or command-line line as --dump-profile prints it. */
struct aj_front_line {
	unsigned pos;    /* argv index it comes from (a profile: the --profile's) */
	unsigned seq;    /* order within pos */
	char *section;   /* NULL: a comment */
	char *text;      /* "key = value" or the comment */
};

/* A directory created on the host so a protected path cannot be planted. */
struct aj_placeholder {
	char *host;      /* host path */
	char *root;      /* host path of the bind it is in (resolution stays below it) */
	dev_t dev;
	ino_t ino;
	bool created;
};

struct aj_front {
	bool active;            /* a profile run (else plain bwrap-style options) */
	bool zero_config;       /* no --profile: the default profile */
	bool explain, dump;
	bool interactive;       /* no command given: an interactive shell */
	char *command_c;        /* -c COMMAND */
	char *project_opt;      /* --project DIR */

	struct aj_vars vars;
	bool vars_ready;

	char *profile_path;     /* the profile named (its file) */
	char *description;
	char **command;         /* [profile] command, NULL-terminated */
	char **stack;           /* profile files being read (include cycles) */
	size_t n_stack;
	char **loaded;          /* profile files applied (each once) */
	size_t n_loaded;
	unsigned pos;           /* argv index of the profile being applied */

	struct aj_front_line *lines;
	size_t n_lines;
	unsigned seq;

	struct aj_placeholder *placeholders;
	size_t n_placeholders;
};

/* Before aj_cli_parse(): argv as main() got it; sets p->front.  Logs. */
int aj_front_begin(struct aj_front *f, struct aj_parser *p, int argc, char **argv);
/*
 * After parsing, in a profile run: the command is argv (n words, possibly
 * none), else -c, else the profile's, else an interactive shell.  Fills
 * plan->argv.  Logs.
 */
int aj_front_command(struct aj_front *f, struct aj_plan *plan, int n, char **argv);
/*
 * Right before the launch: expand the rules (globs, the tree walk, git
 * repositories), set plan->profile_text; print and return 1 for --explain
 * and --dump-profile; create the placeholders of protected paths.  0: go on
 * and launch; < 0: failed (logged).
 */
int aj_front_prepare(struct aj_front *f, struct aj_plan *plan);
/* Remove the placeholders (once the sandbox is gone) and free everything. */
void aj_front_done(struct aj_front *f);
void aj_front_donep(struct aj_front *f);

/* Variables, gathered on first use (the project comes from --project). Logs. */
int aj_front_vars(struct aj_front *f, const struct aj_vars **ret);
/* Record a line for --dump-profile. */
int aj_front_record(struct aj_front *f, const char *section, const char *key, char **words,
		    size_t n);
/* The value as it is (description: never split, never expanded). */
int aj_front_record_raw(struct aj_front *f, const char *section, const char *key, const char *value);
int aj_front_comment(struct aj_front *f, const char *text);
/* The settings every profile run starts from (hardened). */
void aj_front_profile_defaults(struct aj_plan *plan);

/* Parse functions of agentjail's own rows in the option table (options.c). */
int aj_front_opt_profile(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_front_opt_project(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_front_opt_command(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_front_opt_explain(struct aj_parser *p, const struct aj_opt *o, char **args);
int aj_front_opt_dump(struct aj_parser *p, const struct aj_opt *o, char **args);
