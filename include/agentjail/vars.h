/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Profile values: words and variables.
 *
 * A value is split into words at blanks; '...' keeps its text as it is,
 * "..." groups words and still expands variables (\" \\ \$ escape).  Outside
 * single quotes ${NAME} is replaced by a known variable, $$ is a '$', and a
 * word starting with ~ or ~/ starts with the home directory.  Anything else
 * after a '$' is an error, as is an unknown or unset variable: a profile
 * never means something other than what it says.
 *
 * Pure code: the variable values are gathered once (aj_vars_init) and the
 * splitting reads only them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The values of the variables a profile may use; NULL = not available. */
struct aj_vars {
	char *home;            /* ${HOME}, ~ */
	char *user;            /* ${USER} */
	char *uid;             /* ${UID} */
	char *pwd;             /* ${PWD} */
	char *project;         /* ${PROJECT} */
	char *shell;           /* ${SHELL} */
	char *xdg_config_home; /* ${XDG_CONFIG_HOME} */
	char *xdg_cache_home;  /* ${XDG_CACHE_HOME} */
	char *xdg_data_home;   /* ${XDG_DATA_HOME} */
	char *xdg_state_home;  /* ${XDG_STATE_HOME} */
	char *xdg_runtime_dir; /* ${XDG_RUNTIME_DIR} */
	char *ssh_auth_sock;   /* ${SSH_AUTH_SOCK} */
	/* Why ${PROJECT} cannot be used (found, not given, and unsafe), or NULL. */
	char *project_problem;
};

/*
 * Fill vars from the environment, the password database and the working
 * directory.  project: the --project directory, or NULL to find it (the git
 * top level of the working directory unless that is the home directory or
 * above it, else the working directory).  Logs.
 */
int aj_vars_init(struct aj_vars *vars, const char *project);
void aj_vars_done(struct aj_vars *vars);

/* The value of ${name}, or NULL when unknown (*ret_known false) or unset. */
const char *aj_vars_get(const struct aj_vars *vars, const char *name, bool *ret_known);

/*
 * Split text into words, expanding variables.  Returns the number of words
 * (>= 0) and a NULL-terminated array in *ret_words, or -EINVAL with a reason
 * in err ("unknown variable ${FOO}"), or -ENOMEM.
 */
int aj_words_split(const struct aj_vars *vars, const char *text, char ***ret_words, char *err,
		   size_t errsize);

/* Append word to buf (a growing string) so that aj_words_split gives it back. */
int aj_word_quote(char **buf, size_t *len, const char *word);
