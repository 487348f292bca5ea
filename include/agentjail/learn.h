/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * agentjail learn: run a command in a learning sandbox and write the profile
 * it needed (docs/LEARN.md).
 *
 *   learn.c          the command: options, the two plans, the launch, the end
 *   learn_base.c     what the base profile shows: views, hidden paths, and the
 *                    secret patterns derived from its hide and mask rules
 *   learn_view.c     the learning view: the rest of the host read-only, writes
 *                    into a throwaway layer
 *   learn_propose.c  the observer's records -> the lines to propose
 *   learn_write.c    the new profile (INI) and the readable summary
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "agentjail/views.h"

struct aj_plan;
struct aj_vars;
struct aj_glob;
struct aj_observe_rec;

/* `agentjail learn ...` (argv[0] is "learn"). */
int aj_learn_main(int argc, char **argv);

/* ---- what the base profile shows (learn_base.c) ---------------------------- */

struct aj_base {
	struct aj_views views; /* writable: the command may write there (AJ_VIEWS_COMMAND_WRITES) */
	char **hidden;        /* paths hidden or masked (shown empty) */
	char **hidden_rule;   /* the rule that did it, for messages */
	size_t n_hidden;
	char **protect;       /* read-only inside a writable view */
	size_t n_protect;
	/* Secrets by the base profile's own rules, generalised to any place. */
	char **hide_rel;      /* a hide below the home: ".ssh" matches any ".../.ssh" */
	char **hide_abs;      /* a hide elsewhere: that path */
	size_t n_hide_rel, n_hide_abs;
	struct aj_glob **masks; /* mask globs: "ROOT/ ** /NAME" becomes "/ ** /NAME" */
	char **mask_text;
	size_t n_masks;
	char *home, *project;
	void *memo;           /* directories known not to look like secrets */
};

struct aj_base *aj_learn_base_new(const struct aj_vars *vars);
struct aj_base *aj_learn_base_free(struct aj_base *b);
/* The hide and mask rules of a plan not yet expanded (expand.c drops unneeded hides). */
int aj_learn_base_add_rules(struct aj_base *b, const struct aj_plan *plan);
/* The views, hidden and protected paths of an expanded plan. */
int aj_learn_base_add_views(struct aj_base *b, const struct aj_plan *plan);

/* The view covering the sandbox path p, or NULL (nothing of the plan is there). */
const struct aj_view *aj_learn_base_view(const struct aj_base *b, const char *p);
/* Does the base show p from the host (and let it be written, when write)? */
bool aj_learn_base_provides(const struct aj_base *b, const char *p, bool write);
/* The rule hiding or masking p in the base, or NULL. */
const char *aj_learn_base_hidden(const struct aj_base *b, const char *p);
/* The protect rule covering p, or NULL. */
const char *aj_learn_base_protected(const struct aj_base *b, const char *p);
/*
 * Does p look like a secret by the base's hide and mask rules, wherever it
 * is?  Returns the rule ("hide ~/.ssh", "mask **\/.env*") or NULL.  is_dir: p
 * itself is a directory.  Remembers clean directories (not thread-safe).
 */
const char *aj_learn_base_secret(struct aj_base *b, const char *p, bool is_dir);

/* ---- paths (learn_base.c) ------------------------------------------------- */

/*
 * dir + "/" + rel (rel alone when absolute), with "//", "." and ".." removed
 * lexically, into out.  -ENAMETOOLONG when it does not fit.
 */
int aj_path_join(const char *dir, const char *rel, char *out, size_t size);

/* ---- the learning view (learn_view.c) ------------------------------------- */

/*
 * Turn a parsed (not yet expanded) base plan into the learning plan: the
 * host's filesystems shown read-only with writes into a throwaway layer
 * (an overlay per directory tree, no host socket reachable), the base's
 * operations on top except its tmpfs over the home directory, the home and
 * the project shown even under a tmpfs of the base, and the network through
 * the proxy so that names tried are recorded.  Logs.
 */
int aj_learn_view_apply(struct aj_plan *plan, const struct aj_vars *vars);

/* ---- proposals (learn_propose.c) ------------------------------------------ */

enum aj_prop_kind {
	AJ_PROP_RO,       /* ro-bind-try */
	AJ_PROP_RW,       /* bind-try */
	AJ_PROP_DIR,      /* dir: it only had to exist */
	AJ_PROP_SYMLINK,  /* symlink TARGET PATH: a link on the way */
	AJ_PROP_SOCKET,   /* socket (only when asked) */
	AJ_PROP_MASK,     /* mask: a secret inside a directory proposed whole */
	AJ_PROP_HIDE,     /* hide: likewise, a directory */
	AJ_PROP_ALLOW,    /* [network] allow */
	AJ_PROP_PASS,     /* [env] pass */
	AJ_PROP_SKIPPED,  /* not proposed: why says why */
};

struct aj_prop {
	enum aj_prop_kind kind;
	char *path;        /* host path; the host:port for ALLOW; the name for PASS */
	char *target;      /* SYMLINK: the link's text */
	char *why;         /* read 3 times by git (pid 12), ... */
	bool review;       /* needs a human look */
	char *review_why;
	unsigned acc;      /* AJ_ACC_* summed over what it stands for */
	unsigned long count;
	unsigned n_paths;  /* paths it stands for */
	pid_t pid;
	char comm[16];
};

/* A decision of the proxy, from its log. */
struct aj_learn_net {
	char *host;
	unsigned port;
	bool allow;
	char *reason;
	unsigned long count;
};

struct aj_learn_input {
	struct aj_base *base;
	struct aj_base *learning; /* what the learning view showed; NULL: the host everywhere */
	const struct aj_vars *vars;
	const char *agent;       /* the agent's name: its own config is not for review */
	bool sockets;            /* propose host sockets */
	const struct aj_observe_rec *recs;
	size_t n_recs;
	const struct aj_learn_net *net;
	size_t n_net;
	bool base_net_host;      /* the base shares the host network: nothing to allow */
	char *const *env;        /* the caller's variables the base does not set (NAME=VALUE) */
};

struct aj_learn_out {
	struct aj_prop *props;
	size_t n_props;
	unsigned long in_listings; /* paths only looked at in a directory listing: left out */
};

/* Records -> proposals.  Logs only on ENOMEM. */
int aj_learn_propose(const struct aj_learn_input *in, struct aj_learn_out *out);
void aj_learn_out_done(struct aj_learn_out *out);
/* The agent's name from its command line (python3 agent.py -> agent). */
char *aj_learn_agent_name(char *const *argv);

/* ---- output (learn_write.c) ----------------------------------------------- */

struct aj_learn_meta {
	const char *base_name;       /* the profile included */
	char *const *argv;           /* the command */
	const char *const *extra;    /* options given to learn as profile lines: section, line, ..., NULL */
	int status;                  /* the command's exit code */
	unsigned long n_recs, dropped;
};

/* The new profile as INI text: every line at most 197 bytes, parses back. */
int aj_learn_write_profile(FILE *f, const struct aj_learn_out *out, const struct aj_vars *vars,
			   const struct aj_learn_meta *meta);
/* What is proposed and why, for a person. */
void aj_learn_write_summary(FILE *f, const struct aj_learn_out *out, const struct aj_vars *vars,
			    const struct aj_learn_meta *meta, const char *written_to);
