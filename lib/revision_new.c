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
	rt_buf_putc(b, '[');
	rt_buf_join(b, (const char *const *)names->items, names->n, ", ");
	return rt_buf_putc(b, ']');
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

static int not_a_head(const struct rt_revision *r, int merge)
{
	rt_error_set(RT_EUSAGE, "revision '%s' is not a head", r->id);
	if (merge) /* merge has no --splice: it joins heads */
		rt_error_set_hint("A merge joins heads: name heads ('retort heads' lists them), "
		                  "or write 'heads' for all of them.");
	else
		rt_error_set_hint("Pass --splice to start a new branch from it.");
	return RT_EUSAGE;
}

/* The parents: each ref as rt_graph_resolve() reads parents ("base": none), or the single
 * head. Each must be a head, unless spec->splice; a merge needs two. */
static int resolve_parents(const struct rt_graph *g, const struct rt_new_revision *spec,
                           struct rt_revlist *out)
{
	int rc = 0;

	if (spec->nparents == 0) {
		rc = rt_graph_resolve(g, NULL, "head", RT_REF_PARENTS, out);
		if (rc == RT_EMULTIHEADS) /* the resolver's message; what to do is revision's to say */
			rt_error_set_hint("Say which one to build on with --head REV, or join them first with "
			                  "'retort merge -m MSG heads'.");
		return rc;
	}
	for (size_t i = 0; i < spec->nparents && rc == 0; i++)
		rc = rt_graph_resolve(g, NULL, spec->parents[i], RT_REF_PARENTS, out);
	for (size_t i = 0; i < out->n && rc == 0; i++)
		if (!spec->splice && out->items[i]->nchildren > 0)
			rc = not_a_head(out->items[i], spec->merge);
	if (rc == 0 && spec->merge && out->n < 2 && g->nheads < 2) {
		rc = rt_error_set(RT_EUSAGE, "nothing to merge: there is %s",
		                  g->nheads ? "only one head" : "no revision yet");
		rt_error_set_hint("A merge joins two heads or more; write revisions on top of the head "
		                  "with 'retort revision'.");
	} else if (rc == 0 && spec->merge && out->n < 2) {
		rc = rt_error_set(RT_EUSAGE, "a merge needs at least two revisions to join, got %zu", out->n);
		rt_error_set_hint("Name two heads or more ('retort heads' lists them), or write 'heads' "
		                  "for all of them.");
	}
	return rc;
}

/* depends_on as a YAML list: each ref names one revision; a label stays a label, anything
 * else is written as the full id. */
static int depends_yaml(const struct rt_graph *g, const struct rt_new_revision *spec,
                        struct rt_buf *out)
{
	struct rt_strlist deps = RT_STRLIST_INIT;
	int rc = 0;

	for (size_t i = 0; i < spec->ndepends && rc == 0; i++) {
		const char *ref = spec->depends_on[i];
		struct rt_revlist one = RT_REVLIST_INIT;

		if ((rc = rt_graph_resolve(g, NULL, ref, RT_REF_ONE, &one)) == 0)
			rc = rt_strlist_push(&deps, rt_graph_get_label(g, ref) == one.items[0] ? ref
			                                                                       : one.items[0]->id);
		rt_revlist_release(&one);
	}
	if (rc == 0)
		rc = yaml_list(out, &deps);
	rt_strlist_release(&deps);
	return rc;
}

/* branch_labels as a YAML list: the new label, valid and not in use, or none. */
static int labels_yaml(const struct rt_graph *g, const char *label, struct rt_buf *out)
{
	struct rt_strlist labels = RT_STRLIST_INIT;
	int rc = 0;

	if (label) {
		if ((rc = rt_name_check(label, RT_NAME_BRANCH_LABEL, NULL, 0)) < 0)
			return rc;
		if (rt_graph_get_label(g, label) || rt_graph_get(g, label))
			return rt_error_set(RT_EEXISTS, "branch label '%s' is already in use", label);
		rc = rt_strlist_push(&labels, label);
	}
	if (rc == 0)
		rc = yaml_list(out, &labels);
	rt_strlist_release(&labels);
	return rc;
}

/* down_revision: null, one id, or a YAML list of them. */
static int down_yaml(const struct rt_revlist *parents, struct rt_buf *out)
{
	if (parents->n == 0)
		return rt_buf_puts(out, "null");
	for (size_t i = 0; i < parents->n; i++)
		rt_buf_addf(out, "%s%s", i == 0 && parents->n > 1 ? "[" : i ? ", " : "",
		            parents->items[i]->id);
	if (parents->n > 1)
		rt_buf_putc(out, ']');
	return rt_buf_status(out);
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

/* A new revision's header values, in the order of the template's placeholders, as text:
 * id, down_revision, branch_labels, depends_on (YAML), message (a YAML string), date. */
struct new_header {
	char id[33];
	struct rt_buf down, labels, deps, message;
	char date[32];
};

static void new_header_release(struct new_header *h)
{
	rt_buf_release(&h->down);
	rt_buf_release(&h->labels);
	rt_buf_release(&h->deps);
	rt_buf_release(&h->message);
}

static int fill_header(const struct rt_graph *g, const struct rt_new_revision *spec,
                       struct new_header *h)
{
	struct rt_revlist parents = RT_REVLIST_INIT;
	int rc;

	if ((rc = resolve_parents(g, spec, &parents)) == 0 &&
	    (rc = labels_yaml(g, spec->branch_label, &h->labels)) == 0 &&
	    (rc = depends_yaml(g, spec, &h->deps)) == 0 && (rc = new_id(g, spec, h->id)) == 0 &&
	    (rc = down_yaml(&parents, &h->down)) == 0)
		rc = yaml_string(&h->message, spec->message ? spec->message : "");
	rt_utc_now_iso(h->date);
	rt_revlist_release(&parents);
	return rc;
}

/* The file text from the template, and the path it goes to. */
static int render_file(const struct rt_config *cfg, const struct rt_new_revision *spec,
                       const struct new_header *h, const char *tmpl, const char *tmpl_path,
                       struct rt_buf *text, char **path)
{
	const char *values[6] = { h->id, h->down.ptr, h->labels.ptr, h->deps.ptr, h->message.ptr, h->date };
	struct rt_buf name = RT_BUF_INIT;
	int rc;

	*path = NULL;
	if ((rc = render(tmpl, tmpl_path, values, text)) == 0 &&
	    (rc = file_name(cfg, h->id, spec->message ? spec->message : "", &name)) == 0 &&
	    !(*path = rt_path_join(cfg->version_locations.items[0], name.ptr)))
		rc = RT_ENOMEM;
	rt_buf_release(&name);
	return rc;
}

/* The rendered text must parse as the header of revision id. */
static int check_rendered(const char *path, const struct rt_buf *text, const char *id,
                          const char *tmpl_path)
{
	struct rt_revision *check = NULL;
	int rc = rt_revision_parse_header(&check, path, text->ptr, text->len);

	if (rc == RT_EINPUT)
		rt_error_prefix("the revision template '%s' does not produce a valid header", tmpl_path);
	else if (rc == 0 && strcmp(check->id, id) != 0)
		rc = rt_error_set(RT_EINPUT, "the revision template '%s' does not use {{revision}} for 'revision:'",
		                  tmpl_path);
	rt_revision_free(check);
	return rc;
}

int rt_revision_create(const struct rt_graph *g, const struct rt_new_revision *spec, char **path_out)
{
	const struct rt_config *cfg = g->cfg;
	struct new_header h = { "", RT_BUF_INIT, RT_BUF_INIT, RT_BUF_INIT, RT_BUF_INIT, "" };
	struct rt_buf text = RT_BUF_INIT;
	char *tmpl = NULL, *tmpl_path = NULL, *path = NULL;
	int rc;

	if (path_out)
		*path_out = NULL;
	if ((rc = rt_graph_require_valid(g)) < 0 || (rc = fill_header(g, spec, &h)) < 0 ||
	    (rc = read_template(cfg, &tmpl, &tmpl_path)) < 0 ||
	    (rc = render_file(cfg, spec, &h, tmpl, tmpl_path, &text, &path)) < 0 ||
	    (rc = check_rendered(path, &text, h.id, tmpl_path)) < 0 ||
	    (rc = rt_mkdir_p(cfg->version_locations.items[0], 0755)) < 0 ||
	    (rc = rt_file_write_new(path, text.ptr, text.len, 0644)) < 0)
		goto out;
	if (path_out) {
		*path_out = path;
		path = NULL;
	}
out:
	new_header_release(&h);
	rt_buf_release(&text);
	free(tmpl);
	free(tmpl_path);
	free(path);
	return rc;
}
