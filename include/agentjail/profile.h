/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * Profiles: INI text -> the same option rows the command line uses.
 *
 * Each "key = value" line of a section is looked up in the option table
 * (aj_opt_find_key) and applied with aj_opt_apply(), so a profile line and
 * its command-line option mean exactly the same thing.  [profile] is the
 * profile's own section: include, description, command.  Every line that
 * cannot be applied is an error naming file:line; nothing is skipped.
 *
 * Search path for a NAME without '/': $XDG_CONFIG_HOME/agentjail,
 * AJ_SYSCONFDIR (/etc/agentjail), AJ_DATADIR, and for a build that is not
 * installed the source tree's profiles/; ".ini" may be left out.  An include
 * looks next to the including file first.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct aj_parser;
struct aj_vars;

/* Apply the profile NAME at this point of the parse.  Logs. */
int aj_profile_load(struct aj_parser *p, const char *name);

/* Apply INI text read from the file called name (tests use this).  Logs. */
int aj_profile_apply_text(struct aj_parser *p, const char *name, const char *text, size_t len);

/*
 * Find a profile: from_dir (the including file's directory, or NULL) first,
 * then the search path.  Returns -ENOENT and the places tried in *ret_tried.
 */
int aj_profile_find(const struct aj_vars *vars, const char *name, const char *from_dir,
		    char **ret_path, char **ret_tried);

/* Is section a known INI section ([profile], a table section, security, limits)? */
bool aj_profile_section_known(const char *section);
