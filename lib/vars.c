/*
 * vars.c - ${name} substitution in the statements of revision scripts.
 *
 * A reference is "${" NAME "}" with NAME [A-Za-z_][A-Za-z0-9_]*. It is replaced by the
 * config variable of that name everywhere, string literals and dollar-quoted bodies
 * included, except inside -- and block comments (the lexer says where those are, so a
 * "--" inside a string is not a comment). Any other '$' is left alone: $$, $1, $tag$,
 * "${ x }", "${1}". The delimiters of a dollar quote are never part of a reference, so
 * "$${x}$$" keeps the quoted text "{x}". An undefined name is an error naming the line
 * of the reference; values are inserted as they are and not scanned again.
 *
 * "${NAME:literal}" inserts the value as a quoted SQL string ('it''s'; for PostgreSQL a
 * value with a backslash becomes E'a\\b', right whatever standard_conforming_strings
 * says), "${NAME:ident}" as a quoted identifier ("my ""table"""). Any other ":FORM" is an
 * error. Statements are split before substitution; script.c checks afterwards that a
 * value did not change where its statement ends.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

enum var_form { FORM_RAW, FORM_LITERAL, FORM_IDENT };

struct subst {
	enum rt_dialect dialect;
	const char *text;
	const struct rt_config *cfg;
	const char *path;
	struct rt_buf out;
	size_t line_pos; /* the line of text[line_pos] is line: a cursor that only moves forward */
	int line;
};

static int name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static int line_at(struct subst *s, size_t pos)
{
	s->line += rt_lex_count_lines(s->text, s->line_pos, pos);
	s->line_pos = pos;
	return s->line;
}

static int undefined(struct subst *s, size_t at, const char *name)
{
	int line = line_at(s, at);

	rt_error_set(RT_EINPUT, "%s:%d: undefined variable '${%s}'", s->path, line, name);
	rt_error_set_location(s->path, line);
	rt_error_set_hint("Define it under 'variables:' in retort.yaml or pass -x %s=VALUE.", name);
	return RT_EINPUT;
}

static int bad_form(struct subst *s, size_t at, const char *name, size_t len, const char *form)
{
	int line = line_at(s, at);

	rt_error_set(RT_EINPUT, "%s:%d: unknown variable form '${%s:%.*s}'", s->path, line, name,
	             (int)len, form);
	rt_error_set_location(s->path, line);
	rt_error_set_hint("Write ${%s} for the value as it is, ${%s:literal} for a quoted SQL string or "
	                  "${%s:ident} for a quoted identifier.", name, name, name);
	return RT_EINPUT;
}

/* Appends value in the form asked for. */
static int put_value(struct subst *s, const char *value, enum var_form form)
{
	struct rt_buf *b = &s->out;
	char quote = form == FORM_IDENT ? '"' : '\'';
	int escape = form == FORM_LITERAL && s->dialect == RT_DIALECT_POSTGRESQL && strchr(value, '\\');
	int rc = 0;

	if (form == FORM_RAW)
		return rt_buf_puts(b, value);
	if (escape)
		rc = rt_buf_putc(b, 'E');
	if (rc == 0)
		rc = rt_buf_putc(b, quote);
	for (const char *p = value; *p && rc == 0; p++) {
		if (*p == quote || (escape && *p == '\\'))
			rc = rt_buf_putc(b, *p);
		if (rc == 0)
			rc = rt_buf_putc(b, *p);
	}
	return rc ? rc : rt_buf_putc(b, quote);
}

/* Reads the optional ":FORM" of a reference whose name ends at end; *close is set to the
 * offset of its '}'. 0 when text[end..] is no reference after all. */
static int read_form(struct subst *s, size_t at, const char *name, size_t end, size_t to,
                     enum var_form *form, size_t *close)
{
	const char *t = s->text;
	size_t f = end + 1, fe;

	*form = FORM_RAW;
	*close = end;
	if (end < to && t[end] == '}')
		return 1;
	if (end >= to || t[end] != ':')
		return 0;
	for (fe = f; fe < to && name_char((unsigned char)t[fe]); fe++)
		;
	if (fe >= to || t[fe] != '}' || fe == f)
		return 0;
	*close = fe;
	if (fe - f == 7 && memcmp(t + f, "literal", 7) == 0)
		*form = FORM_LITERAL;
	else if (fe - f == 5 && memcmp(t + f, "ident", 5) == 0)
		*form = FORM_IDENT;
	else
		return bad_form(s, at, name, fe - f, t + f);
	return 1;
}

/* Appends text[from..to) with its references replaced. */
static int substitute(struct subst *s, size_t from, size_t to)
{
	const char *t = s->text;
	size_t done = from, i = from;

	while (i + 3 < to) {
		const char *p = memchr(t + i, '$', to - i - 3);
		size_t name, end, close;
		const char *value;
		enum var_form form;
		char *key;
		int rc;

		if (!p)
			break;
		i = (size_t)(p - t);
		name = i + 2;
		if (t[i + 1] != '{' || !name_start((unsigned char)t[name])) {
			i++;
			continue;
		}
		for (end = name + 1; end < to && name_char((unsigned char)t[end]); end++)
			;
		key = rt_strndup(t + name, end - name);
		if (!key)
			return RT_ENOMEM;
		if ((rc = read_form(s, i, key, end, to, &form, &close)) <= 0) {
			free(key);
			if (rc < 0)
				return rc;
			i++;
			continue;
		}
		value = s->cfg ? rt_config_var(s->cfg, key) : NULL;
		if (!value) {
			rc = undefined(s, i, key);
			free(key);
			return rc;
		}
		free(key);
		if (rt_buf_add(&s->out, t + done, i - done) < 0 || put_value(s, value, form) < 0)
			return RT_ENOMEM;
		end = close;
		done = i = end + 1;
	}
	return rt_buf_add(&s->out, t + done, to - done);
}

int rt_vars_substitute_dialect(enum rt_dialect dialect, const char *text, size_t len,
                               const struct rt_config *cfg, const char *path, int base_line,
                               char **out)
{
	struct subst s = { dialect, text, cfg, path, RT_BUF_INIT, 0, base_line };
	struct rt_lexer lx;
	struct rt_token tok;
	size_t run = 0; /* start of the text not yet copied */
	int rc = 0;

	*out = NULL;
	rt_lex_init(&lx, dialect, text, len, base_line);
	while (rc == 0 && rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.kind == RT_TOK_LINE_COMMENT || tok.kind == RT_TOK_BLOCK_COMMENT ||
		    tok.kind == RT_TOK_COPY_DATA) { /* COPY data is data: never substituted */
			rc = substitute(&s, run, tok.start);
			if (rc == 0 && rt_buf_add(&s.out, text + tok.start, tok.end - tok.start) < 0)
				rc = RT_ENOMEM;
			run = tok.end;
		} else if (tok.kind == RT_TOK_DOLLAR) {
			size_t body = tok.start + tok.tag_len;
			size_t body_end = tok.unterminated ? tok.end : tok.end - tok.tag_len;
			rc = substitute(&s, run, tok.start);
			if (rc == 0 && rt_buf_add(&s.out, text + tok.start, tok.tag_len) < 0)
				rc = RT_ENOMEM;
			if (rc == 0)
				rc = substitute(&s, body, body_end);
			if (rc == 0 && rt_buf_add(&s.out, text + body_end, tok.end - body_end) < 0)
				rc = RT_ENOMEM;
			run = tok.end;
		}
	}
	if (rc == 0)
		rc = substitute(&s, run, len);
	if (rc < 0) {
		rt_buf_release(&s.out);
		return rc;
	}
	*out = rt_buf_detach(&s.out);
	return *out ? 0 : RT_ENOMEM;
}

int rt_vars_substitute(const char *text, size_t len, const struct rt_config *cfg,
                       const char *path, int base_line, char **out)
{
	return rt_vars_substitute_dialect(RT_DIALECT_POSTGRESQL, text, len, cfg, path, base_line, out);
}
