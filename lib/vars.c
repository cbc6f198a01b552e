/*
 * vars.c - ${name} references in the statements of revision scripts: found once when a
 * script is read (rt_vars_scan), bound to a config's values for each run (rt_vars_apply).
 *
 * A reference is "${" NAME "}" with NAME [A-Za-z_][A-Za-z0-9_]*. It is replaced by the
 * config variable of that name everywhere, string literals and dollar-quoted bodies
 * included, except inside -- and block comments and COPY data (the lexer says where those
 * are, so a "--" inside a string is not a comment). Any other '$' is left alone: $$, $1,
 * $tag$, "${ x }", "${1}". The delimiters of a dollar quote are never part of a reference,
 * so "$${x}$$" keeps the quoted text "{x}". An undefined name is an error naming the line
 * of the reference; values are inserted as they are and not scanned again.
 *
 * "${NAME:literal}" inserts the value as a quoted SQL string ('it''s'; for PostgreSQL a
 * value with a backslash becomes E'a\\b', right whatever standard_conforming_strings
 * says), "${NAME:ident}" as a quoted identifier ("my ""table"""). Any other ":FORM" is an
 * error, found when the script is read. Statements are split before binding;
 * stmt_rules.c checks afterwards that a value did not change where its statement ends.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

struct scan {
	const char *text;
	const char *path;
	int base_line;
	struct rt_var_use *uses;
	size_t n, cap;
};

static int name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static int line_of(const char *text, int base_line, size_t pos)
{
	return base_line + rt_lex_count_lines(text, 0, pos);
}

static int bad_form(struct scan *s, size_t at, size_t name, size_t name_len, size_t form, size_t form_len)
{
	int line = line_of(s->text, s->base_line, at);
	const char *t = s->text;

	rt_error_set(RT_EINPUT, "%s:%d: unknown variable form '${%.*s:%.*s}'", s->path, line, (int)name_len,
	             t + name, (int)form_len, t + form);
	rt_error_set_location(s->path, line);
	rt_error_set_hint("Write ${%.*s} for the value as it is, ${%.*s:literal} for a quoted SQL string or "
	                  "${%.*s:ident} for a quoted identifier.", (int)name_len, t + name, (int)name_len,
	                  t + name, (int)name_len, t + name);
	return RT_EINPUT;
}

/* The reference at text[at] ("${"), or 0 when it is none; *use filled, or an error. */
static int read_reference(struct scan *s, size_t at, size_t to, struct rt_var_use *use)
{
	const char *t = s->text;
	size_t name = at + 2, end, f, fe;

	if (!name_start((unsigned char)t[name]))
		return 0;
	for (end = name + 1; end < to && name_char((unsigned char)t[end]); end++)
		;
	use->start = at;
	use->name = name;
	use->name_len = end - name;
	use->form = RT_VAR_RAW;
	if (end < to && t[end] == '}') {
		use->end = end + 1;
		return 1;
	}
	if (end >= to || t[end] != ':')
		return 0;
	for (fe = f = end + 1; fe < to && name_char((unsigned char)t[fe]); fe++)
		;
	if (fe >= to || t[fe] != '}' || fe == f)
		return 0;
	use->end = fe + 1;
	if (fe - f == 7 && memcmp(t + f, "literal", 7) == 0)
		use->form = RT_VAR_LITERAL;
	else if (fe - f == 5 && memcmp(t + f, "ident", 5) == 0)
		use->form = RT_VAR_IDENT;
	else
		return bad_form(s, at, name, end - name, f, fe - f);
	return 1;
}

/* The references in text[from..to). */
static int scan_range(struct scan *s, size_t from, size_t to)
{
	const char *t = s->text;
	struct rt_var_use use;
	int rc;

	for (size_t i = from; i + 3 < to;) {
		const char *p = memchr(t + i, '$', to - i - 3);
		if (!p)
			break;
		i = (size_t)(p - t);
		if (t[i + 1] != '{' || (rc = read_reference(s, i, to, &use)) == 0) {
			i++;
			continue;
		}
		if (rc < 0)
			return rc;
		if (rt_grow_array(&s->uses, &s->cap, s->n + 1, sizeof(*s->uses)) < 0)
			return RT_ENOMEM;
		s->uses[s->n++] = use;
		i = use.end;
	}
	return 0;
}

int rt_vars_scan(enum rt_dialect dialect, const char *text, size_t len, const char *path, int base_line,
                 struct rt_var_use **out, size_t *nout)
{
	struct scan s = { text, path, base_line, NULL, 0, 0 };
	struct rt_lexer lx;
	struct rt_token tok;
	size_t run = 0; /* start of the text not yet scanned */
	int rc = 0;

	*out = NULL;
	*nout = 0;
	rt_lex_init(&lx, dialect, text, len, base_line);
	while (rc == 0 && rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.kind == RT_TOK_LINE_COMMENT || tok.kind == RT_TOK_BLOCK_COMMENT ||
		    tok.kind == RT_TOK_COPY_DATA) { /* COPY data is data: never substituted */
			rc = scan_range(&s, run, tok.start);
			run = tok.end;
		} else if (tok.kind == RT_TOK_DOLLAR) {
			size_t body_end = tok.unterminated ? tok.end : tok.end - tok.tag_len;
			rc = scan_range(&s, run, tok.start);
			if (rc == 0)
				rc = scan_range(&s, tok.start + tok.tag_len, body_end);
			run = tok.end;
		}
	}
	if (rc == 0)
		rc = scan_range(&s, run, len);
	if (rc < 0) {
		free(s.uses);
		return rc;
	}
	*out = s.uses;
	*nout = s.n;
	return 0;
}

/* Appends value in the form asked for. */
static void put_value(struct rt_buf *b, enum rt_dialect dialect, const char *value, enum rt_var_form form)
{
	char quote = form == RT_VAR_IDENT ? '"' : '\'';
	int escape = form == RT_VAR_LITERAL && dialect == RT_DIALECT_POSTGRESQL && strchr(value, '\\');

	if (form == RT_VAR_RAW) {
		rt_buf_puts(b, value);
		return;
	}
	if (escape)
		rt_buf_putc(b, 'E');
	rt_buf_putc(b, quote);
	for (const char *p = value; *p; p++) {
		if (*p == quote || (escape && *p == '\\'))
			rt_buf_putc(b, *p);
		rt_buf_putc(b, *p);
	}
	rt_buf_putc(b, quote);
}

static int undefined(const char *text, const struct rt_var_use *u, const char *path, int base_line)
{
	int line = line_of(text, base_line, u->start);

	rt_error_set(RT_EINPUT, "%s:%d: undefined variable '${%.*s}'", path, line, (int)u->name_len, text + u->name);
	rt_error_set_location(path, line);
	rt_error_set_hint("Define it under 'variables:' in retort.yaml or pass -x %.*s=VALUE.", (int)u->name_len,
	                  text + u->name);
	return RT_EINPUT;
}

int rt_vars_apply(enum rt_dialect dialect, const char *text, size_t len, const struct rt_var_use *uses,
                  size_t n, const struct rt_config *cfg, const char *path, int base_line, char **out)
{
	struct rt_buf b = RT_BUF_INIT;
	size_t done = 0;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *key = rt_strndup(text + uses[i].name, uses[i].name_len);
		const char *value = key && cfg ? rt_config_var(cfg, key) : NULL;
		if (!key)
			rc = RT_ENOMEM;
		else if (!value)
			rc = undefined(text, &uses[i], path, base_line);
		else {
			rt_buf_add(&b, text + done, uses[i].start - done);
			put_value(&b, dialect, value, uses[i].form);
			done = uses[i].end;
		}
		free(key);
	}
	rt_buf_add(&b, text + done, len - done);
	if (rc == 0 && (rc = rt_buf_status(&b)) == 0 && !(*out = rt_buf_detach(&b)))
		rc = RT_ENOMEM;
	rt_buf_release(&b);
	return rc;
}

int rt_vars_substitute_dialect(enum rt_dialect dialect, const char *text, size_t len,
                               const struct rt_config *cfg, const char *path, int base_line,
                               char **out)
{
	struct rt_var_use *uses = NULL;
	size_t n = 0;
	int rc = rt_vars_scan(dialect, text, len, path, base_line, &uses, &n);

	*out = NULL;
	if (rc == 0)
		rc = rt_vars_apply(dialect, text, len, uses, n, cfg, path, base_line, out);
	free(uses);
	return rc;
}

int rt_vars_substitute(const char *text, size_t len, const struct rt_config *cfg,
                       const char *path, int base_line, char **out)
{
	return rt_vars_substitute_dialect(RT_DIALECT_POSTGRESQL, text, len, cfg, path, base_line, out);
}
