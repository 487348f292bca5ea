/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * INI files (profiles, bwrap.ini), read safely and parsed with inih.
 *
 * Debian 12's libinih (55) silently mangles some input: a line over 199 bytes
 * is split and the rest parsed as a new line, a section name over 49 bytes is
 * cut, an indented line after a key is glued to its value, a line without
 * '=' is skipped.  We read the text ourselves and refuse all of those with
 * "file:line: what", then hand inih only text it parses faithfully.  inih's
 * own line numbers are compiled out on Debian, so ours come from the
 * pre-pass: every remaining key line calls the handler exactly once.
 *
 * Limits: a value cannot contain whitespace followed by ';' (inih starts an
 * inline comment there); a key line is at most 197 bytes.
 */
#pragma once

#include <stddef.h>

#define AJ_INI_MAX_LINE 197
#define AJ_INI_MAX_SECTION 49
#define AJ_INI_MAX_FILE (1u << 20)

/* Called once per "key = value" line; return < 0 (after logging) to stop. */
typedef int (*aj_ini_handler)(void *userdata, const char *section, const char *key,
			      const char *value, unsigned line);

/* Read a regular file (not through a final symlink), at most AJ_INI_MAX_FILE. Logs. */
int aj_ini_read_file(const char *path, char **ret_text, size_t *ret_len);

/* Check text, then parse it; name is used in messages ("claude.ini:12: ..."). Logs. */
int aj_ini_parse(const char *name, const char *text, size_t len, aj_ini_handler fn,
		 void *userdata);
