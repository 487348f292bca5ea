/* SPDX-License-Identifier: LGPL-2.0-or-later */
/*
 * The learned profile and the summary.
 *
 * The profile includes the base and adds one line per proposal, each under
 * a comment saying who needed it and how often, REVIEW where a person
 * should look.  Every line is checked the way the profile reader will read
 * it: at most AJ_INI_MAX_LINE bytes, no blank followed by ';' (inih starts a
 * comment there), no control character, and its value split back into
 * words (vars.c) must give the path itself.  Paths below ${PROJECT} and
 * ${HOME} are written with the variable, so the profile moves with the
 * project and works for another user.  What cannot be written is said in
 * the summary, never silently dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agentjail/ini.h"
#include "agentjail/learn.h"
#include "agentjail/observe.h"
#include "agentjail/vars.h"
#include "cleanup.h"

static const char *key_of(enum aj_prop_kind k)
{
	switch (k) {
	case AJ_PROP_RO:
		return "ro-bind-try";
	case AJ_PROP_RW:
		return "bind-try";
	case AJ_PROP_DIR:
		return "dir";
	case AJ_PROP_SYMLINK:
		return "symlink";
	case AJ_PROP_SOCKET:
		return "socket";
	case AJ_PROP_MASK:
		return "mask";
	case AJ_PROP_HIDE:
		return "hide";
	case AJ_PROP_ALLOW:
		return "allow";
	case AJ_PROP_PASS:
		return "pass";
	case AJ_PROP_SKIPPED:
		break;
	}
	return NULL;
}

static const char *section_of(enum aj_prop_kind k)
{
	return k == AJ_PROP_ALLOW ? "network" : k == AJ_PROP_PASS ? "env" : "filesystem";
}

/* A literal word (no variables), quoted so the reader gives it back. */
static char *literal(const char *s)
{
	char *out = NULL;
	size_t len = 0;

	if (aj_word_quote(&out, &len, s) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* path as a word, with ${PROJECT} or ${HOME} in front where it is below them. */
static char *path_word(const struct aj_vars *v, const char *path, bool vars)
{
	const char *names[] = { "PROJECT", "HOME" };
	const char *vals[] = { v->project, v->home };

	for (size_t i = 0; vars && i < 2; i++) {
		size_t n = vals[i] ? strlen(vals[i]) : 0;
		_cleanup_free_ char *rest = NULL;
		char *s;

		if (!n || strcmp(vals[i], "/") == 0 || strncmp(path, vals[i], n) != 0 ||
		    (path[n] != '\0' && path[n] != '/'))
			continue;
		if (path[n] && !(rest = literal(path + n)))
			return NULL;
		if (asprintf(&s, "${%s}%s", names[i], rest ? rest : "") < 0)
			return NULL;
		return s;
	}
	return literal(path);
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Does the value read back as exactly these words? */
static bool reads_back(const struct aj_vars *v, const char *value, const char *const *want, size_t n)
{
	_cleanup_strv_free_ char **words = NULL;
	char err[256];
	int k = aj_words_split(v, value, &words, err, sizeof(err));

	if (k != (int)n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i], want[i]) != 0)
			return false;
	return true;
}

/* The "key = value" line of a proposal, or NULL with why (it cannot be written). */
static char *line_of(const struct aj_prop *p, const struct aj_vars *v, const char **why)
{
	const char *key = key_of(p->kind);
	const char *want[2];
	size_t n_want = 1;

	*why = NULL;
	if (!key)
		return NULL;
	if (has_control(p->path) || (p->target && has_control(p->target))) {
		*why = "a control character in the path";
		return NULL;
	}
	/* With variables first, plainly if that does not read back (a variable's text in the path). */
	for (int vars = 1; vars >= 0; vars--) {
		_cleanup_free_ char *w1 = NULL, *w2 = NULL, *value = NULL;
		char *line;

		if (p->kind == AJ_PROP_SYMLINK) {
			w1 = literal(p->target);
			w2 = path_word(v, p->path, vars);
			want[0] = p->target;
			want[1] = p->path;
			n_want = 2;
		} else if (p->kind == AJ_PROP_ALLOW || p->kind == AJ_PROP_PASS) {
			w1 = literal(p->path);
			want[0] = p->path;
		} else {
			w1 = path_word(v, p->path, vars);
			want[0] = p->path;
		}
		if (!w1 || (n_want == 2 && !w2))
			return NULL;
		if (asprintf(&value, "%s%s%s", w1, w2 ? " " : "", w2 ? w2 : "") < 0)
			return NULL;
		if (strstr(value, " ;") || strstr(value, "\t;")) {
			*why = "a blank followed by ';' in the path (a profile comment starts there)";
			return NULL;
		}
		if (!reads_back(v, value, want, n_want))
			continue;
		if (asprintf(&line, "%s = %s", key, value) < 0)
			return NULL;
		if (strlen(line) > AJ_INI_MAX_LINE) {
			free(line);
			*why = "too long for a profile line (197 bytes)";
			return NULL;
		}
		return line;
	}
	*why = "it does not read back as itself";
	return NULL;
}

/* A comment line: "; text", cut to the line limit, control characters replaced. */
static void comment(FILE *f, const char *prefix, const char *text)
{
	char buf[AJ_INI_MAX_LINE + 1];
	int n = snprintf(buf, sizeof(buf), "; %s%s", prefix, text);

	if (n < 0)
		return;
	for (char *s = buf; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	fprintf(f, "%s\n", buf);
}

/* The command, for comments and the description: one line, no ';'. */
static void command_text(char *const *argv, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; argv && argv[i] && n + 1 < size; i++) {
		int k = snprintf(out + n, size - n, "%s%s", i ? " " : "", argv[i]);

		if (k < 0)
			break;
		n += (size_t)k < size - n ? (size_t)k : size - n - 1;
	}
	for (char *s = out; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == ';' || *s == 0x7f)
			*s = '?';
	if (strlen(out) > 80)
		strcpy(out + 77, "...");
}

static bool any_allow(const struct aj_learn_out *out)
{
	for (size_t i = 0; i < out->n_props; i++)
		if (out->props[i].kind == AJ_PROP_ALLOW)
			return true;
	return false;
}

int aj_learn_write_profile(FILE *f, const struct aj_learn_out *out, const struct aj_vars *vars,
			   const struct aj_learn_meta *meta)
{
	static const char *const sections[] = { "filesystem", "network", "env" };
	char cmd[128], day[32];
	time_t now = time(NULL);
	struct tm tm;
	_cleanup_free_ char *inc = literal(meta->base_name);

	if (!inc)
		return -ENOMEM;
	command_text(meta->argv, cmd, sizeof(cmd));
	strftime(day, sizeof(day), "%Y-%m-%d", localtime_r(&now, &tm));
	comment(f, "", "Written by agentjail learn: what this command needed beyond its base.");
	comment(f, "Command: ", cmd);
	comment(f, "Learned: ", day);
	comment(f, "", "Lines under a REVIEW comment are outside the project and the agent's");
	comment(f, "", "configuration: keep them only if the command should have them.");
	fprintf(f, "\n[profile]\ninclude = %s\n", inc);
	{
		char desc[AJ_INI_MAX_LINE + 1];

		snprintf(desc, sizeof(desc), "description = learned from %s", cmd);
		fprintf(f, "%s\n", desc);
	}
	for (size_t s = 0; s < ELEMENTSOF(sections); s++) {
		bool header = false;

		for (size_t i = 0; meta->extra && meta->extra[i]; i += 2)
			if (strcmp(meta->extra[i], sections[s]) == 0) {
				if (!header)
					fprintf(f, "\n[%s]\n", sections[s]);
				header = true;
				if (!i || strcmp(meta->extra[i - 2], sections[s]) != 0)
					comment(f, "", "given to agentjail learn");
				fprintf(f, "%s\n", meta->extra[i + 1]);
			}
		if (strcmp(sections[s], "network") == 0 && any_allow(out)) {
			if (!header)
				fprintf(f, "\n[network]\n");
			header = true;
			fprintf(f, "mode = proxy\n");
		}
		for (size_t i = 0; i < out->n_props; i++) {
			const struct aj_prop *p = &out->props[i];
			_cleanup_free_ char *line = NULL;
			const char *why;

			if (p->kind == AJ_PROP_SKIPPED || strcmp(section_of(p->kind), sections[s]) != 0)
				continue;
			line = line_of(p, vars, &why);
			if (!line)
				continue; /* the summary says why */
			if (!header)
				fprintf(f, "\n[%s]\n", sections[s]);
			header = true;
			if (p->review) {
				char r[AJ_INI_MAX_LINE];

				snprintf(r, sizeof(r), "REVIEW (%s): ", p->review_why ? p->review_why : "");
				comment(f, r, p->why ? p->why : "");
			} else if (p->why)
				comment(f, "", p->why);
			fprintf(f, "%s\n", line);
		}
	}
	/* Other sections given to learn ([security], [limits], ...). */
	for (size_t i = 0; meta->extra && meta->extra[i]; i += 2) {
		bool known = false, first = true;

		for (size_t s = 0; s < ELEMENTSOF(sections); s++)
			known |= strcmp(meta->extra[i], sections[s]) == 0;
		for (size_t k = 0; k < i && first; k += 2)
			first = strcmp(meta->extra[k], meta->extra[i]) != 0;
		if (known || !first)
			continue;
		fprintf(f, "\n[%s]\n", meta->extra[i]);
		comment(f, "", "given to agentjail learn");
		for (size_t k = i; meta->extra[k]; k += 2)
			if (strcmp(meta->extra[k], meta->extra[i]) == 0)
				fprintf(f, "%s\n", meta->extra[k + 1]);
	}
	return ferror(f) ? -EIO : 0;
}

/* ~ for the home directory: shorter, and what a person types. */
static void show_path(const struct aj_vars *v, const char *p, char *out, size_t size)
{
	size_t n = v->home ? strlen(v->home) : 0;

	if (n > 1 && strncmp(p, v->home, n) == 0 && (p[n] == '/' || !p[n]))
		snprintf(out, size, "~%s", p + n);
	else
		snprintf(out, size, "%s", p);
	for (char *s = out; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void aj_learn_write_summary(FILE *f, const struct aj_learn_out *out, const struct aj_vars *vars,
			    const struct aj_learn_meta *meta, const char *written_to)
{
	char cmd[128];
	size_t proposed = 0, skipped = 0, review = 0;

	command_text(meta->argv, cmd, sizeof(cmd));
	for (size_t i = 0; i < out->n_props; i++) {
		const char *why;
		char *line = out->props[i].kind == AJ_PROP_SKIPPED
				     ? NULL
				     : line_of(&out->props[i], vars, &why);

		if (line) {
			proposed++;
			review += out->props[i].review;
		} else
			skipped++;
		free(line);
	}
	fprintf(f, "agentjail learn: '%s' exited with status %d; %lu paths and addresses seen%s\n",
		cmd, meta->status, meta->n_recs, meta->dropped ? " (some were not kept: too many)" : "");
	if (!proposed)
		fprintf(f, "agentjail learn: nothing to add to '%s'\n", meta->base_name);
	else
		fprintf(f, "agentjail learn: %zu line%s to add to '%s'%s%s%s:\n", proposed,
			proposed == 1 ? "" : "s", meta->base_name, review ? ", " : "",
			review ? "some marked REVIEW" : "", written_to ? "" : "");
	for (size_t i = 0; i < out->n_props; i++) {
		const struct aj_prop *p = &out->props[i];
		char shown[4200], tshown[4200];
		const char *why = NULL;
		char *line;

		if (p->kind == AJ_PROP_SKIPPED)
			continue;
		line = line_of(p, vars, &why);
		if (!line)
			continue;
		free(line);
		show_path(vars, p->path, shown, sizeof(shown));
		if (p->kind == AJ_PROP_SYMLINK) {
			show_path(vars, p->target, tshown, sizeof(tshown));
			fprintf(f, "  %-12s %s -> %s", key_of(p->kind), shown, tshown);
		} else
			fprintf(f, "  %-12s %s", key_of(p->kind), shown);
		if (p->review)
			fprintf(f, "  [REVIEW: %s]", p->review_why ? p->review_why : "look at it");
		fprintf(f, "%s%s\n", p->why ? "  " : "", p->why ? p->why : "");
	}
	if (skipped)
		fprintf(f, "agentjail learn: not proposed:\n");
	for (size_t i = 0; i < out->n_props; i++) {
		const struct aj_prop *p = &out->props[i];
		char shown[4200];
		const char *why = NULL;
		char *line = NULL;

		if (p->kind != AJ_PROP_SKIPPED) {
			line = line_of(p, vars, &why);
			if (line) {
				free(line);
				continue;
			}
		}
		show_path(vars, p->path, shown, sizeof(shown));
		fprintf(f, "  %s: %s\n", shown, p->kind == AJ_PROP_SKIPPED ? (p->why ? p->why : "")
							      : why ? why : "cannot be written");
	}
	if (out->in_listings)
		fprintf(f, "agentjail learn: %lu path%s only looked at in a directory listing (ls -l) "
			   "left out\n", out->in_listings, out->in_listings == 1 ? "" : "s");
	fprintf(f, "agentjail learn: which environment variables a program reads cannot be seen "
		   "from outside it; 'pass' lines are guesses from the paths used\n");
	if (written_to)
		fprintf(f, "agentjail learn: written to %s (agentjail --profile %s -- ...)\n", written_to,
			written_to);
}
