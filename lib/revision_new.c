/*
 * revision_new.c - writes new revision files for `retort revision` and `retort merge`.
 *
 * The parents are resolved against the graph (the single head by default), the file is
 * rendered from the project's script.sql.tmpl (or the installed one, or a built-in
 * default) by replacing {{revision}}, {{down_revision}}, {{branch_labels}},
 * {{depends_on}}, {{message}} and {{create_date}}, checked to parse as a header, and
 * created with O_EXCL so an existing file is never overwritten.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

static const char default_template[] =
	"/*\n"
	"revision: {{revision}}\n"
	"down_revision: {{down_revision}}\n"
	"branch_labels: {{branch_labels}}\n"
	"depends_on: {{depends_on}}\n"
	"message: {{message}}\n"
	"create_date: {{create_date}}\n"
	"*/\n"
	"\n"
	"-- retort:upgrade\n"
	"\n"
	"\n"
	"-- retort:downgrade\n"
	"\n";

static int yaml_list(struct rt_buf *b, const struct rt_strlist *names)
{
	int rc = rt_buf_putc(b, '[');
	for (size_t i = 0; rc == 0 && i < names->n; i++)
		rc = rt_buf_addf(b, "%s%s", i ? ", " : "", names->items[i]);
	return rc ? rc : rt_buf_putc(b, ']');
}

/* A YAML double-quoted scalar. */
static int yaml_string(struct rt_buf *b, const char *s)
{
	int rc = rt_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
		if (*p == '"' || *p == '\\')
			rc = rt_buf_addf(b, "\\%c", *p);
		else if (*p == '/' && p > (const unsigned char *)s && p[-1] == '*')
			rc = rt_buf_puts(b, "\\/"); /* star-slash would end the header comment */
		else if (*p == '/' && p[1] == '*')
			rc = rt_buf_puts(b, "\\x2f"); /* slash-star would open a nested PostgreSQL comment */
		else if (*p == '\n')
			rc = rt_buf_puts(b, "\\n");
		else if (*p == '\t')
			rc = rt_buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			rc = rt_buf_addf(b, "\\x%02x", *p);
		else
			rc = rt_buf_putc(b, (char)*p);
	}
	return rc ? rc : rt_buf_putc(b, '"');
}

static int render(const char *tmpl, const char *tmpl_path, const char *const values[6],
                  struct rt_buf *out)
{
	static const char *const names[6] = { "revision", "down_revision", "branch_labels",
		                                  "depends_on", "message", "create_date" };
	const char *p = tmpl;
	int rc = 0, line = 1;

	while (*p && rc == 0) {
		if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}");
			size_t i, len = end ? (size_t)(end - p - 2) : 0;
			for (i = 0; end && i < 6; i++)
				if (strlen(names[i]) == len && strncmp(p + 2, names[i], len) == 0)
					break;
			if (!end || i == 6) {
				rt_error_set(RT_EINPUT, "%s:%d: unknown placeholder '%.*s' in the revision template",
				             tmpl_path, line, end ? (int)(end - p + 2) : 2, p);
				rt_error_set_location(tmpl_path, line);
				rt_error_set_hint("Placeholders are {{revision}}, {{down_revision}}, {{branch_labels}}, "
				                  "{{depends_on}}, {{message}} and {{create_date}}.");
				return RT_EINPUT;
			}
			rc = rt_buf_puts(out, values[i]);
			p = end + 2;
			continue;
		}
		if (*p == '\n')
			line++;
		rc = rt_buf_putc(out, *p++);
	}
	return rc;
}

/* Whether the non-ASCII character cp counts as a letter of a slug: anything but the
 * blocks of spaces, punctuation, symbols, arrows, box drawing, emoji and private use. */
static int slug_letter(unsigned cp)
{
	static const unsigned not_letters[][2] = {
		{ 0x80, 0xBF },     { 0xD7, 0xD7 },     { 0xF7, 0xF7 },     { 0x2000, 0x2BFF },
		{ 0x2E00, 0x2E7F }, { 0x3000, 0x303F }, { 0xE000, 0xF8FF }, { 0xFE10, 0xFE1F },
		{ 0xFE30, 0xFE6F }, { 0xFEFF, 0xFEFF }, { 0xFF00, 0xFF0F }, { 0xFF1A, 0xFF20 },
		{ 0xFF3B, 0xFF40 }, { 0xFF5B, 0xFF65 }, { 0xFFF0, 0xFFFF }, { 0x1F000, 0x1FAFF },
		{ 0xE0000, 0x10FFFF },
	};

	for (size_t i = 0; i < RT_ARRAY_LEN(not_letters); i++)
		if (cp >= not_letters[i][0] && cp <= not_letters[i][1])
			return 0;
	return 1;
}

/* The slug of a message: its words (ASCII letters and digits lowercased, other letters
 * kept as UTF-8) joined by '_', at most 40 bytes, never cut inside a character. */
static int make_slug(const char *msg, struct rt_buf *b)
{
	const unsigned char *p = (const unsigned char *)msg, *end = p + strlen(msg);
	int rc = 0, pending = 0;

	while (p < end && rc == 0) {
		unsigned cp;
		size_t n = rt_utf8_decode(p, (size_t)(end - p), &cp);
		int letter = n == 1 ? isalnum(*p) != 0 : n > 1 && slug_letter(cp);

		if (!letter) {
			pending = 1;
			p += n ? n : 1;
			continue;
		}
		if (b->len + (pending && b->len) + n > 40)
			break;
		if (pending && b->len)
			rc = rt_buf_putc(b, '_');
		pending = 0;
		if (rc == 0)
			rc = n == 1 ? rt_buf_putc(b, (char)tolower(*p)) : rt_buf_add(b, p, n);
		p += n;
	}
	return rc;
}

static int file_name(const struct rt_config *cfg, const char *rev, const char *message, struct rt_buf *out)
{
	struct rt_buf slug = RT_BUF_INIT;
	time_t now = time(NULL);
	struct tm tm;
	const char *p = cfg->file_template ? cfg->file_template : "%(rev)s_%(slug)s";
	int rc = make_slug(message, &slug);

	gmtime_r(&now, &tm);
	while (*p && rc == 0) {
		static const struct { const char *tok; int kind; } toks[] = {
			{ "%(rev)s", 0 }, { "%(slug)s", 1 }, { "%(year)d", 2 }, { "%(month).2d", 3 },
			{ "%(day).2d", 4 }, { "%(hour).2d", 5 }, { "%(minute).2d", 6 }, { "%(second).2d", 7 },
			{ "%(epoch)d", 8 },
		};
		size_t i;
		for (i = 0; i < RT_ARRAY_LEN(toks); i++)
			if (strncmp(p, toks[i].tok, strlen(toks[i].tok)) == 0)
				break;
		if (i == RT_ARRAY_LEN(toks)) {
			rc = rt_buf_putc(out, *p++);
			continue;
		}
		p += strlen(toks[i].tok);
		switch (toks[i].kind) {
		case 0: rc = rt_buf_puts(out, rev); break;
		case 1: rc = rt_buf_puts(out, slug.ptr); break;
		case 2: rc = rt_buf_addf(out, "%04d", tm.tm_year + 1900); break;
		case 3: rc = rt_buf_addf(out, "%02d", tm.tm_mon + 1); break;
		case 4: rc = rt_buf_addf(out, "%02d", tm.tm_mday); break;
		case 5: rc = rt_buf_addf(out, "%02d", tm.tm_hour); break;
		case 6: rc = rt_buf_addf(out, "%02d", tm.tm_min); break;
		case 7: rc = rt_buf_addf(out, "%02d", tm.tm_sec); break;
		default: rc = rt_buf_addf(out, "%lld", (long long)now); break;
		}
	}
	while (rc == 0 && out->len && (out->ptr[out->len - 1] == '_' || out->ptr[out->len - 1] == '-'))
		rt_buf_truncate(out, out->len - 1);
	if (rc == 0)
		rc = rt_buf_puts(out, ".sql");
	rt_buf_release(&slug);
	return rc;
}

/* Resolves the parents: explicit refs ("base", "heads", ids, labels), or the single head. */
static int resolve_parents(const struct rt_graph *g, const struct rt_new_revision *spec,
                           struct rt_revlist *out)
{
	int rc = 0;

	if (!spec->parents_given && spec->nparents == 0) {
		if (g->nheads > 1) {
			struct rt_buf b = RT_BUF_INIT;
			for (size_t i = 0; i < g->nheads; i++)
				rt_buf_addf(&b, "%s%s", i ? ", " : "", g->heads[i]->id);
			rt_error_set(RT_EMULTIHEADS, "the revision graph has %zu heads: %s", g->nheads, b.ptr);
			rt_error_set_hint("Say which one to build on with --head REV, or join them first with "
			                  "'retort merge -m MSG heads'.");
			rt_buf_release(&b);
			return RT_EMULTIHEADS;
		}
		return g->nheads ? rt_revlist_push(out, g->heads[0]) : 0;
	}
	for (size_t i = 0; i < spec->nparents && rc == 0; i++) {
		const char *ref = spec->parents[i];
		struct rt_revision *r = NULL;
		if (strcmp(ref, "base") == 0)
			continue;
		if (strcmp(ref, "heads") == 0 || strcmp(ref, "head") == 0) {
			if (strcmp(ref, "head") == 0 && g->nheads > 1)
				return rt_error_set(RT_EMULTIHEADS, "'head' is ambiguous: the graph has %zu heads",
				                    g->nheads);
			for (size_t h = 0; h < g->nheads && rc == 0; h++)
				if (!rt_revlist_contains(out, g->heads[h]))
					rc = rt_revlist_push(out, g->heads[h]);
			continue;
		}
		if (strlen(ref) > 5 && strcmp(ref + strlen(ref) - 5, "@head") == 0) {
			char *label = rt_strndup(ref, strlen(ref) - 5);
			struct rt_revision *found = NULL;
			size_t count = 0;
			if (!label)
				return RT_ENOMEM;
			for (size_t h = 0; h < g->nheads; h++)
				if (rt_strlist_contains(&g->heads[h]->member_of, label)) {
					found = g->heads[h];
					count++;
				}
			free(label);
			if (count != 1)
				return rt_error_set(count ? RT_EMULTIHEADS : RT_ENOTFOUND,
				                    "'%s' names %zu heads", ref, count);
			r = found;
		} else if ((rc = rt_graph_lookup(g, ref, &r)) < 0) {
			return rc;
		}
		if (!spec->splice && r->nchildren > 0) {
			rt_error_set(RT_EUSAGE, "revision '%s' is not a head", r->id);
			if (spec->merge) /* merge has no --splice: it joins heads */
				rt_error_set_hint("A merge joins heads: name heads ('retort heads' lists them), "
				                  "or write 'heads' for all of them.");
			else
				rt_error_set_hint("Pass --splice to start a new branch from it.");
			return RT_EUSAGE;
		}
		if (!rt_revlist_contains(out, r))
			rc = rt_revlist_push(out, r);
	}
	return rc;
}

static int new_id(const struct rt_graph *g, const struct rt_new_revision *spec, char out[33])
{
	if (spec->rev_id) {
		int rc = rt_name_check(spec->rev_id, RT_NAME_REVISION_ID, NULL, 0);
		if (rc < 0)
			return rc;
		if (rt_graph_get(g, spec->rev_id) || rt_graph_get_label(g, spec->rev_id))
			return rt_error_set(RT_EEXISTS, "revision id '%s' is already in use", spec->rev_id);
		snprintf(out, 33, "%s", spec->rev_id);
		return 0;
	}
	for (int tries = 0; tries < 100; tries++) {
		unsigned char bytes[6];
		int rc = rt_random_bytes(bytes, sizeof(bytes));
		if (rc < 0)
			return rc;
		for (int i = 0; i < 6; i++)
			snprintf(out + 2 * i, 3, "%02x", bytes[i]);
		if (!rt_graph_get(g, out) && !rt_graph_get_label(g, out))
			return 0;
	}
	return rt_error_set(RT_ERROR, "cannot find an unused revision id");
}

static int read_template(const struct rt_config *cfg, char **text, char **path)
{
	char *candidate = rt_path_join(cfg->script_location, "script.sql.tmpl"), *tdir = NULL;
	size_t len;
	int rc;

	*text = NULL;
	*path = NULL;
	if (!candidate)
		return RT_ENOMEM;
	if (!rt_path_exists(candidate)) {
		free(candidate);
		candidate = NULL;
		if (rt_templates_dir(&tdir) == 0)
			candidate = rt_path_join(tdir, "script.sql.tmpl");
		else
			rt_error_clear();
		free(tdir);
		if (!candidate || !rt_path_exists(candidate)) {
			free(candidate);
			*path = rt_strdup("(built-in template)");
			*text = rt_strdup(default_template);
			return *path && *text ? 0 : RT_ENOMEM;
		}
	}
	rc = rt_file_read(candidate, text, &len);
	if (rc < 0) {
		free(candidate);
		return rc;
	}
	*path = candidate;
	return 0;
}

int rt_revision_create(const struct rt_graph *g, const struct rt_new_revision *spec, char **path_out)
{
	const struct rt_config *cfg = g->cfg;
	struct rt_revlist parents = RT_REVLIST_INIT;
	struct rt_strlist deps = RT_STRLIST_INIT, labels = RT_STRLIST_INIT, downs = RT_STRLIST_INIT;
	struct rt_buf down = RT_BUF_INIT, lab = RT_BUF_INIT, dep = RT_BUF_INIT, msg = RT_BUF_INIT;
	struct rt_buf text = RT_BUF_INIT, name = RT_BUF_INIT;
	char id[33], date[32], *tmpl = NULL, *tmpl_path = NULL, *path = NULL;
	struct rt_revision *check = NULL;
	int rc;

	if (path_out)
		*path_out = NULL;
	if ((rc = rt_graph_require_valid(g)) < 0)
		return rc;
	if ((rc = resolve_parents(g, spec, &parents)) < 0)
		goto out;
	if (spec->merge && parents.n < 2) {
		rc = rt_error_set(RT_EUSAGE, "a merge needs at least two revisions to join, got %zu", parents.n);
		goto out;
	}
	if (spec->branch_label) {
		if ((rc = rt_name_check(spec->branch_label, RT_NAME_BRANCH_LABEL, NULL, 0)) < 0)
			goto out;
		if (rt_graph_get_label(g, spec->branch_label) || rt_graph_get(g, spec->branch_label)) {
			rc = rt_error_set(RT_EEXISTS, "branch label '%s' is already in use", spec->branch_label);
			goto out;
		}
		if ((rc = rt_strlist_push(&labels, spec->branch_label)) < 0)
			goto out;
	}
	for (size_t i = 0; i < spec->ndepends; i++) {
		struct rt_revision *r;
		const char *ref = spec->depends_on[i];
		if ((rc = rt_graph_lookup(g, ref, &r)) < 0)
			goto out;
		/* a label stays a label; anything else is written as the full id */
		rc = rt_strlist_push(&deps, rt_graph_get_label(g, ref) == r ? ref : r->id);
		if (rc < 0)
			goto out;
	}
	if ((rc = new_id(g, spec, id)) < 0)
		goto out;
	for (size_t i = 0; i < parents.n; i++)
		if ((rc = rt_strlist_push(&downs, parents.items[i]->id)) < 0)
			goto out;
	if (downs.n == 0)
		rc = rt_buf_puts(&down, "null");
	else if (downs.n == 1)
		rc = rt_buf_puts(&down, downs.items[0]);
	else
		rc = yaml_list(&down, &downs);
	if (rc == 0)
		rc = yaml_list(&lab, &labels);
	if (rc == 0)
		rc = yaml_list(&dep, &deps);
	if (rc == 0)
		rc = yaml_string(&msg, spec->message ? spec->message : "");
	if (rc < 0)
		goto out;
	rt_utc_now_iso(date);
	if ((rc = read_template(cfg, &tmpl, &tmpl_path)) < 0)
		goto out;
	{
		const char *values[6] = { id, down.ptr, lab.ptr, dep.ptr, msg.ptr, date };
		if ((rc = render(tmpl, tmpl_path, values, &text)) < 0)
			goto out;
	}
	if ((rc = file_name(cfg, id, spec->message ? spec->message : "", &name)) < 0)
		goto out;
	if (!(path = rt_path_join(cfg->version_locations.items[0], name.ptr))) {
		rc = RT_ENOMEM;
		goto out;
	}
	if ((rc = rt_revision_parse_header(&check, path, text.ptr, text.len)) < 0) {
		if (rc == RT_EINPUT)
			rt_error_prefix("the revision template '%s' does not produce a valid header", tmpl_path);
		goto out;
	}
	if (strcmp(check->id, id) != 0) {
		rc = rt_error_set(RT_EINPUT, "the revision template '%s' does not use {{revision}} for 'revision:'",
		                  tmpl_path);
		goto out;
	}
	if ((rc = rt_mkdir_p(cfg->version_locations.items[0], 0755)) < 0 ||
	    (rc = rt_file_write_new(path, text.ptr, text.len, 0644)) < 0)
		goto out;
	if (path_out) {
		*path_out = path;
		path = NULL;
	}
out:
	rt_revision_free(check);
	rt_revlist_release(&parents);
	rt_strlist_release(&deps);
	rt_strlist_release(&labels);
	rt_strlist_release(&downs);
	rt_buf_release(&down);
	rt_buf_release(&lab);
	rt_buf_release(&dep);
	rt_buf_release(&msg);
	rt_buf_release(&text);
	rt_buf_release(&name);
	free(tmpl);
	free(tmpl_path);
	free(path);
	return rc;
}
