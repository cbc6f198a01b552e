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
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

struct subst {
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

/* Appends text[from..to) with its references replaced. */
static int substitute(struct subst *s, size_t from, size_t to)
{
	const char *t = s->text;
	size_t done = from, i = from;

	while (i + 3 < to) {
		const char *p = memchr(t + i, '$', to - i - 3);
		size_t name, end;
		const char *value;
		char *key;

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
		if (end >= to || t[end] != '}') {
			i++;
			continue;
		}
		key = rt_strndup(t + name, end - name);
		if (!key)
			return RT_ENOMEM;
		value = s->cfg ? rt_config_var(s->cfg, key) : NULL;
		if (!value) {
			int rc = undefined(s, i, key);
			free(key);
			return rc;
		}
		free(key);
		if (rt_buf_add(&s->out, t + done, i - done) < 0 || rt_buf_puts(&s->out, value) < 0)
			return RT_ENOMEM;
		done = i = end + 1;
	}
	return rt_buf_add(&s->out, t + done, to - done);
}

int rt_vars_substitute_dialect(enum rt_dialect dialect, const char *text, size_t len,
                               const struct rt_config *cfg, const char *path, int base_line,
                               char **out)
{
	struct subst s = { text, cfg, path, RT_BUF_INIT, 0, base_line };
	struct rt_lexer lx;
	struct rt_token tok;
	size_t run = 0; /* start of the text not yet copied */
	int rc = 0;

	*out = NULL;
	rt_lex_init(&lx, dialect, text, len, base_line);
	while (rc == 0 && rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.kind == RT_TOK_LINE_COMMENT || tok.kind == RT_TOK_BLOCK_COMMENT) {
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
