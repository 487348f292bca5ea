/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * libFuzzer harness: the checked INI reader (ini.c) with the handler a
 * profile uses, every key looked up in the option table and applied through
 * its parse function; and /etc/agentjail/bwrap.ini's reader.  The profile
 * parser (profile.c) adds includes and variables on top: its harness
 * (fuzz-profile.c) calls it on the same input (see fuzz.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentjail/ini.h"
#include "agentjail/options.h"
#include "agentjail/plan.h"
#include "agentjail/walls.h"
#include "fuzz.h"

/* A profile line: the row for [section] key, its words from the value. */
static int on_key(void *userdata, const char *section, const char *key, const char *value,
		  unsigned line)
{
	struct aj_parser *p = userdata;
	const struct aj_opt *o = aj_opt_find_key(section, key);
	char *copy, *args[4] = { NULL }, *save = NULL;
	int r;

	if (!o || o->nargs > 3 || (o->metavar && strstr(o->metavar, "FD")))
		return -EINVAL;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	/* "ro-bind = /usr" means /usr /usr: a missing word repeats the last one. */
	for (unsigned i = 0; i < o->nargs; i++) {
		char *w = strtok_r(i ? NULL : copy, " \t", &save);

		args[i] = w ? w : (i ? args[i - 1] : copy);
	}
	if (o->nargs == 1)
		args[0] = (char *)value;
	p->where = (struct aj_src){ .file = "fuzz.ini", .line = line };
	r = aj_opt_apply(p, o, args);
	free(copy);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aj_plan *plan = aj_plan_new();
	struct aj_parser p;

	if (!plan)
		return 0;
	if (aj_parser_init(&p, plan, false) == 0) {
		if (aj_ini_parse("fuzz.ini", (const char *)data, size, on_key, &p) == 0 &&
		    aj_parser_finish(&p) == 0)
			fuzz_describe(plan);
		aj_parser_done(&p);
	}
	aj_plan_free(plan);

	/* The same text as /etc/agentjail/bwrap.ini. */
	plan = aj_plan_new();
	if (plan)
		(void)aj_walls_parse_bwrap_ini(plan, "bwrap.ini", (const char *)data, size);
	aj_plan_free(plan);
	return 0;
}
