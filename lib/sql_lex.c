/*
 * sql_lex.c - the SQL lexer behind the statement splitters, the section-marker scanner
 * and variable substitution (see sql_lex.h), and the locator of a revision file's header
 * comment.
 *
 * Tokens are only as fine as those callers need: strings, quoted identifiers, comments
 * and dollar quotes are single tokens, so a ';' or a "--" seen as its own token is
 * always outside them. Unterminated constructs come back flagged, running to the end
 * of the text; the caller decides whether that is an error.
 */
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_start(unsigned char c)
{
	return is_alpha(c) || c == '_' || c >= 0x80;
}

static int is_ident_cont(unsigned char c)
{
	return is_ident_start(c) || is_digit(c) || c == '$';
}

int rt_lex_count_lines(const char *text, size_t from, size_t to)
{
	int n = 0;
	const char *p = text + from, *end = text + to;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

void rt_lex_init(struct rt_lexer *lx, enum rt_dialect dialect, const char *text, size_t len,
                 int base_line)
{
	lx->text = text;
	lx->len = len;
	lx->pos = 0;
	lx->line = base_line;
	lx->dialect = dialect;
	lx->copy_state = 0;
	lx->copy_depth = 0;
	lx->copy_off = 0;
}

int rt_tok_is_blank(enum rt_tok_kind kind)
{
	return kind == RT_TOK_SPACE || kind == RT_TOK_LINE_COMMENT || kind == RT_TOK_BLOCK_COMMENT;
}

/* A quoted run from the opening quote at i: the quote doubled stands for itself; with
 * backslashes (E'...'), a backslash escapes the next byte. Returns the end offset, or
 * len with *open set when it never closes. */
static size_t scan_quoted(const char *t, size_t len, size_t i, char q, int backslashes, int *open)
{
	for (i++; i < len; i++) {
		if (backslashes && t[i] == '\\') {
			i++;
			continue;
		}
		if (t[i] == q) {
			if (i + 1 < len && t[i + 1] == q) {
				i++;
				continue;
			}
			return i + 1;
		}
	}
	*open = 1;
	return len;
}

static size_t scan_block_comment(const char *t, size_t len, size_t i, int nested, int *open)
{
	int depth = 1;

	for (i += 2; i + 1 < len; i++) {
		if (t[i] == '*' && t[i + 1] == '/') {
			i++;
			if (--depth == 0)
				return i + 1;
		} else if (nested && t[i] == '/' && t[i + 1] == '*') {
			depth++;
			i++;
		}
	}
	*open = 1;
	return len;
}

/* Length of the dollar-quote delimiter starting at t[i] == '$', or 0 when there is none. */
static size_t dollar_tag_len(const char *t, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && is_ident_start((unsigned char)t[j])) {
		for (j++; j < len && (is_ident_start((unsigned char)t[j]) || is_digit((unsigned char)t[j]));
		     j++)
			;
	}
	if (j < len && t[j] == '$')
		return j + 1 - i;
	return 0;
}

static size_t find(const char *t, size_t from, size_t len, const char *needle, size_t nlen)
{
	while (from + nlen <= len) {
		const char *p = memchr(t + from, needle[0], len - from - nlen + 1);
		if (!p)
			break;
		if (memcmp(p, needle, nlen) == 0)
			return (size_t)(p - t);
		from = (size_t)(p - t) + 1;
	}
	return len;
}

/* Where COPY ... FROM STDIN stands, token by token (PostgreSQL). */
enum { COPY_START, COPY_SEEN, COPY_FROM, COPY_STDIN, COPY_NO, COPY_DATA_NEXT };

static int word_is(const char *t, size_t start, size_t end, const char *w)
{
	size_t n = strlen(w);

	if (end - start != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((t[start + i] | 0x20) != w[i])
			return 0;
	return 1;
}

static void copy_track(struct rt_lexer *lx, enum rt_tok_kind kind, size_t start, size_t end)
{
	const char *t = lx->text;
	int *st = &lx->copy_state;

	if (rt_tok_is_blank(kind))
		return;
	if (kind == RT_TOK_LPAREN)
		lx->copy_depth++;
	else if (kind == RT_TOK_RPAREN && lx->copy_depth > 0)
		lx->copy_depth--;
	if (kind == RT_TOK_SEMICOLON && lx->copy_depth == 0) {
		*st = *st == COPY_STDIN ? COPY_DATA_NEXT : COPY_START;
		return;
	}
	if (*st == COPY_START)
		*st = kind == RT_TOK_WORD && word_is(t, start, end, "copy") ? COPY_SEEN : COPY_NO;
	else if (*st == COPY_SEEN && lx->copy_depth == 0 && kind == RT_TOK_WORD && word_is(t, start, end, "from"))
		*st = COPY_FROM;
	else if (*st == COPY_FROM)
		*st = kind == RT_TOK_WORD && word_is(t, start, end, "stdin") ? COPY_STDIN : COPY_NO;
}

/* The COPY data token at i: to the end of the line "\." (CR allowed before its newline). */
static size_t scan_copy_data(const char *t, size_t len, size_t i, int *open)
{
	const char *nl = memchr(t + i, '\n', len - i);

	while (nl) {
		size_t line = (size_t)(nl - t) + 1, rest;
		if (line + 2 <= len && t[line] == '\\' && t[line + 1] == '.') {
			rest = line + 2;
			if (rest < len && t[rest] == '\r')
				rest++;
			if (rest == len)
				return len;
			if (t[rest] == '\n')
				return rest + 1;
		}
		nl = memchr(t + line, '\n', len - line);
	}
	*open = 1;
	return len;
}

enum rt_tok_kind rt_lex_next(struct rt_lexer *lx, struct rt_token *tok)
{
	const char *t = lx->text;
	size_t len = lx->len, i = lx->pos, end;
	unsigned char c;
	int pg = lx->dialect == RT_DIALECT_POSTGRESQL;
	enum rt_tok_kind kind;

	tok->start = i;
	tok->line = lx->line;
	tok->unterminated = 0;
	tok->tag_len = 0;
	if (i >= len) {
		tok->kind = RT_TOK_END;
		tok->start = tok->end = len;
		return RT_TOK_END;
	}
	c = (unsigned char)t[i];
	if (pg && lx->copy_state == COPY_DATA_NEXT) {
		end = scan_copy_data(t, len, i, &tok->unterminated);
		kind = RT_TOK_COPY_DATA;
		lx->copy_state = COPY_START;
	} else if (is_space(c)) {
		for (end = i + 1; end < len && is_space((unsigned char)t[end]); end++)
			;
		kind = RT_TOK_SPACE;
	} else if (c == '-' && i + 1 < len && t[i + 1] == '-') {
		/* PostgreSQL's scanner ends a comment at \r too; SQLite only at \n */
		for (end = i + 2; end < len && t[end] != '\n' && !(pg && t[end] == '\r'); end++)
			;
		kind = RT_TOK_LINE_COMMENT;
	} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
		end = scan_block_comment(t, len, i, pg, &tok->unterminated);
		kind = RT_TOK_BLOCK_COMMENT;
	} else if (c == '\'') {
		end = scan_quoted(t, len, i, '\'', 0, &tok->unterminated);
		kind = RT_TOK_STRING;
	} else if (pg && (c == 'E' || c == 'e') && i + 1 < len && t[i + 1] == '\'') {
		end = scan_quoted(t, len, i + 1, '\'', 1, &tok->unterminated);
		kind = RT_TOK_STRING;
	} else if (c == '"' || (!pg && c == '`')) {
		end = scan_quoted(t, len, i, (char)c, 0, &tok->unterminated);
		kind = RT_TOK_QUOTED_IDENT;
	} else if (!pg && c == '[') {
		const char *close = memchr(t + i, ']', len - i);
		end = close ? (size_t)(close - t) + 1 : len;
		tok->unterminated = !close;
		kind = RT_TOK_QUOTED_IDENT;
	} else if (pg && c == '$' && (tok->tag_len = dollar_tag_len(t, len, i)) > 0) {
		end = find(t, i + tok->tag_len, len, t + i, tok->tag_len);
		if (end == len)
			tok->unterminated = 1;
		else
			end += tok->tag_len;
		kind = RT_TOK_DOLLAR;
	} else if (is_ident_start(c)) {
		for (end = i + 1; end < len && is_ident_cont((unsigned char)t[end]); end++)
			;
		kind = RT_TOK_WORD;
	} else if (is_digit(c)) {
		for (end = i + 1; end < len && (is_alpha((unsigned char)t[end]) ||
		                               is_digit((unsigned char)t[end]) || t[end] == '_' ||
		                               t[end] == '.');
		     end++)
			;
		kind = RT_TOK_NUMBER;
	} else {
		end = i + 1;
		kind = c == ';' ? RT_TOK_SEMICOLON : c == '(' ? RT_TOK_LPAREN
		                                   : c == ')' ? RT_TOK_RPAREN : RT_TOK_OTHER;
	}
	if (pg && kind != RT_TOK_COPY_DATA && !lx->copy_off)
		copy_track(lx, kind, i, end);
	lx->line += rt_lex_count_lines(t, i, end);
	lx->pos = end;
	tok->kind = kind;
	tok->end = end;
	return kind;
}

int rt_lex_error(const char *text, const struct rt_token *tok, const char *path)
{
	const char *what;
	char open = text[tok->start];

	switch (tok->kind) {
	case RT_TOK_STRING:
		what = "string literal";
		break;
	case RT_TOK_QUOTED_IDENT:
		what = "quoted identifier";
		break;
	case RT_TOK_BLOCK_COMMENT:
		what = "/* comment";
		break;
	case RT_TOK_DOLLAR:
		what = "dollar-quoted string";
		break;
	case RT_TOK_COPY_DATA:
		what = "COPY data";
		break;
	default:
		what = "token";
	}
	rt_error_set(RT_EINPUT, "%s:%d: unterminated %s", path, tok->line, what);
	rt_error_set_location(path, tok->line);
	switch (tok->kind) {
	case RT_TOK_STRING:
		rt_error_set_hint("Add the closing quote; write '' for a quote inside the string.");
		break;
	case RT_TOK_QUOTED_IDENT:
		rt_error_set_hint("Add the closing %c.", open == '[' ? ']' : open);
		break;
	case RT_TOK_BLOCK_COMMENT:
		/* a star-slash inside means it closed an inner comment: PostgreSQL nesting */
		rt_error_set_hint("Close the comment with */%s.",
		                  find(text, tok->start + 2, tok->end, "*/", 2) < tok->end
		                      ? "; in PostgreSQL comments nest, so each /* inside needs its own */"
		                      : "");
		break;
	case RT_TOK_DOLLAR:
		rt_error_set_hint("Close the dollar quote with %.*s.", (int)tok->tag_len,
		                  text + tok->start);
		break;
	case RT_TOK_COPY_DATA:
		rt_error_set_hint("End the data of 'COPY ... FROM stdin' with a line holding only \\. "
		                  "(backslash, period), as pg_dump writes it.");
		break;
	default:
		break;
	}
	return RT_EINPUT;
}

int rt_lex_header_comment(const char *text, size_t len, size_t *open, size_t *close)
{
	size_t i = 0;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && is_space((unsigned char)text[i]))
		i++;
	*open = i;
	*close = len;
	if (i + 1 >= len || text[i] != '/' || text[i + 1] != '*')
		return 1;
	*close = find(text, i + 2, len, "*/", 2);
	return *close == len ? 2 : 0;
}

int rt_lex_header_locate(const char *path, const char *text, size_t len, size_t *open,
                         size_t *close)
{
	int rc = rt_lex_header_comment(text, len, open, close);
	int line;

	if (rc == 0)
		return 0;
	if (rc == 1) {
		rt_error_set(RT_EINPUT, "%s:1: a revision file must start with a /* ... */ YAML header",
		             path);
		rt_error_set_location(path, 1);
		rt_error_set_hint("Begin the file with a /* ... */ comment holding 'revision:', "
		                  "'down_revision:' and 'message:', as 'retort revision' writes it.");
		return RT_EINPUT;
	}
	line = 1 + rt_lex_count_lines(text, 0, *open);
	rt_error_set(RT_EINPUT, "%s:%d: the header comment opened at line %d is never closed", path,
	             line, line);
	rt_error_set_location(path, line);
	rt_error_set_hint("End the header with */ on a line of its own.");
	return RT_EINPUT;
}
