/*
 * script.c - parses the body of a revision file: its sections and their statements.
 *
 * After the header comment, the body is SQL cut into sections by directive lines: a
 * line whose first non-blank characters are "-- retort:WORD", outside any string,
 * comment or dollar quote (the lexer decides, so such a line inside a function body or
 * a block comment is plain text). The directives known today are the section markers
 * "-- retort:upgrade" and "-- retort:downgrade"; any other is an error, so a typo never
 * turns into a silent comment. Directives are collected first, with their lines, and
 * then interpreted, so new ones (per-statement options, steps) plug into the table.
 *
 * Each section is split for the dialect, then every statement is bound (stmt_rules.c):
 * its ${name} references substituted and what a revision may not hold refused.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"
#include "sql_lex.h"

enum directive_kind { DIR_UPGRADE, DIR_DOWNGRADE };

static const struct {
	const char *name; /* after "retort:" */
	enum directive_kind kind;
	int marker;       /* starts a section, which runs to the next marker */
} known_directives[] = {
	{ "upgrade", DIR_UPGRADE, 1 },
	{ "downgrade", DIR_DOWNGRADE, 1 },
};

struct directive {
	enum directive_kind kind;
	const char *name;
	int marker;
	int line;
	size_t start, end; /* the "--" comment token */
};

struct directives {
	struct directive *items;
	size_t n, cap;
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* 1 when only blanks precede text[pos] on its line. */
static int first_on_line(const char *text, size_t pos)
{
	while (pos > 0 && is_blank(text[pos - 1]))
		pos--;
	return pos == 0 || text[pos - 1] == '\n';
}

/* Reads the "--" comment token tok as a directive. Returns 0 when it is an ordinary
 * comment, 1 when *d was filled, or an error. */
static int read_directive(const char *path, const char *text, const struct rt_token *tok,
                          struct directive *d)
{
	size_t i = tok->start + 2, end = tok->end, word, word_end, rest;

	while (i < end && is_blank(text[i]))
		i++;
	if (end - i < 7 || memcmp(text + i, "retort:", 7) != 0)
		return 0;
	word = i;
	for (word_end = i; word_end < end && !is_blank(text[word_end]); word_end++)
		;
	for (rest = word_end; rest < end && is_blank(text[rest]); rest++)
		;
	for (size_t k = 0; k < RT_ARRAY_LEN(known_directives); k++) {
		const char *name = known_directives[k].name;
		if (word_end - word - 7 != strlen(name) || memcmp(text + word + 7, name, strlen(name)) != 0)
			continue;
		if (rest < end) {
			rt_error_set(RT_EINPUT, "%s:%d: unexpected text after '-- retort:%s'", path,
			             tok->line, name);
			rt_error_set_location(path, tok->line);
			rt_error_set_hint("Put the marker on a line of its own: '-- retort:%s'.", name);
			return RT_EINPUT;
		}
		d->kind = known_directives[k].kind;
		d->name = name;
		d->marker = known_directives[k].marker;
		d->line = tok->line;
		d->start = tok->start;
		d->end = tok->end;
		return 1;
	}
	rt_error_set(RT_EINPUT, "%s:%d: unknown directive '%.*s'", path, tok->line,
	             (int)(word_end - word), text + word);
	rt_error_set_location(path, tok->line);
	rt_error_set_hint("The section markers are '-- retort:upgrade' and '-- retort:downgrade', "
	                  "each on a line of its own; to keep this line as a comment, do not start "
	                  "it with 'retort:'.");
	return RT_EINPUT;
}

/* Finds the directives of the body text[body..len), which starts on line body_line. */
static int scan_directives(const char *path, const char *text, size_t len, size_t body,
                           int body_line, enum rt_dialect dialect, struct directives *out)
{
	struct rt_lexer lx;
	struct rt_token tok;
	struct directive d;
	int rc;

	rt_lex_init(&lx, dialect, text, len, body_line);
	lx.pos = body;
	while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.unterminated)
			return rt_lex_error(text, &tok, path);
		if (tok.kind == RT_TOK_LINE_COMMENT && first_on_line(text, tok.start)) {
			if ((rc = read_directive(path, text, &tok, &d)) < 0)
				return rc;
			if (rc == 1) {
				lx.copy_state = 0; /* a section's statements start afresh, as its splitter does */
				if (rt_grow_array(&out->items, &out->cap, out->n + 1, sizeof(d)) < 0)
					return RT_ENOMEM;
				out->items[out->n++] = d;
			}
		} else if (!rt_tok_is_blank(tok.kind) && out->n == 0) {
			rt_error_set(RT_EINPUT, "%s:%d: SQL before the first section marker", path, tok.line);
			rt_error_set_location(path, tok.line);
			rt_error_set_hint("Put the SQL after a '-- retort:upgrade' or '-- retort:downgrade' "
			                  "line.");
			return RT_EINPUT;
		}
	}
	return 0;
}

/* A problem of one statement: into problems (the statement marked), or the failure. */
static int statement_problem(struct rt_stmt *st, struct rt_diags *problems, int rc)
{
	if (!problems || rc == RT_ENOMEM)
		return rc;
	st->flags |= RT_STMT_BAD;
	return rt_diags_add_error(problems, "bad-statement");
}

static int parse_section(struct rt_script *s, struct rt_section *sec, const char *text,
                         size_t start, size_t end, int line, enum rt_dialect dialect,
                         struct rt_diags *problems)
{
	int rc;

	sec->present = 1;
	sec->line = line;
	if ((rc = rt_sql_split(dialect, s->path, text + start, end - start, line, &sec->stmts,
	                       &sec->n)) < 0)
		return rc;
	for (size_t i = 0; i < sec->n && rc == 0; i++) {
		sec->stmts[i].offset += start;
		if ((rc = rt_stmt_scan(s->path, &sec->stmts[i], dialect)) < 0)
			rc = statement_problem(&sec->stmts[i], problems, rc);
	}
	return rc ? rc : rt_section_make_blocks(sec);
}

int rt_section_bind(struct rt_section *sec, const char *path, enum rt_dialect dialect,
                    const struct rt_config *cfg, struct rt_diags *problems)
{
	int rc = 0;

	for (size_t i = 0; i < sec->n && rc == 0; i++)
		if (!(sec->stmts[i].flags & RT_STMT_BAD) &&
		    (rc = rt_stmt_bind(path, &sec->stmts[i], dialect, cfg)) < 0)
			rc = statement_problem(&sec->stmts[i], problems, rc);
	if (rc == 0)
		sec->bound = cfg;
	return rc;
}

/* The SQL from body on must be UTF-8: the database would store, or choke on, bytes in
 * an encoding nobody chose. */
static int require_utf8(const char *path, const char *text, size_t len, size_t body)
{
	size_t bad = body + rt_utf8_invalid_at((const unsigned char *)text + body, len - body);
	int line;

	if (bad == len)
		return 0;
	line = 1 + rt_lex_count_lines(text, 0, bad);
	rt_error_set(RT_EINPUT, "%s:%d: the SQL is not valid UTF-8", path, line);
	rt_error_set_location(path, line);
	rt_error_set_hint("Save the file as UTF-8 (for example: iconv -f latin1 -t utf-8).");
	return RT_EINPUT;
}

/* The checksum reads CRLF as LF: a checkout with git's autocrlf is the same file. */
static int checksums(struct rt_script *s, const char *text, size_t len)
{
	struct rt_buf lf = RT_BUF_INIT;
	int rc = rt_sha256_hex(text, len, s->checksum_raw);

	if (rc < 0 || !memchr(text, '\r', len)) {
		memcpy(s->checksum, s->checksum_raw, sizeof(s->checksum));
		return rc;
	}
	for (size_t i = 0; i < len && rc == 0; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			rc = rt_buf_putc(&lf, text[i]);
	if (rc == 0)
		rc = rt_sha256_hex(lf.ptr, lf.len, s->checksum);
	rt_buf_release(&lf);
	return rc;
}

int rt_script_checksum_is(const struct rt_script *s, const char *stored)
{
	return stored && (strcmp(stored, s->checksum) == 0 || strcmp(stored, s->checksum_raw) == 0);
}

static int build(struct rt_script *s, const char *text, size_t len, enum rt_dialect dialect,
                 struct rt_diags *problems)
{
	struct directives dirs = { NULL, 0, 0 };
	size_t open, close, body;
	int rc;

	if ((rc = checksums(s, text, len)) < 0)
		return rc;
	if ((rc = rt_lex_header_locate(s->path, text, len, &open, &close)) < 0)
		return rc;
	body = close + 2;
	if ((rc = require_utf8(s->path, text, len, body)) < 0)
		return rc;
	rc = scan_directives(s->path, text, len, body, 1 + rt_lex_count_lines(text, 0, body),
	                     dialect, &dirs);
	for (size_t i = 0; rc == 0 && i < dirs.n; i++) {
		const struct directive *d = &dirs.items[i];
		struct rt_section *sec;
		size_t end = len, j;
		switch (d->kind) {
		case DIR_UPGRADE:
		case DIR_DOWNGRADE:
			sec = d->kind == DIR_UPGRADE ? &s->upgrade : &s->downgrade;
			if (sec->present) {
				rt_error_set(RT_EINPUT,
				             "%s:%d: duplicate '-- retort:%s' marker (first at line %d)", s->path,
				             d->line, d->name, sec->line);
				rt_error_set_location(s->path, d->line);
				rt_error_set_hint("Keep one '-- retort:%s' section: move these statements into "
				                  "the first one.", d->name);
				rc = RT_EINPUT;
				break;
			}
			for (j = i + 1; j < dirs.n && !dirs.items[j].marker; j++)
				;
			if (j < dirs.n)
				end = dirs.items[j].start;
			rc = parse_section(s, sec, text, d->end, end, d->line, dialect, problems);
			break;
		}
	}
	free(dirs.items);
	if (rc == 0 && !s->upgrade.present) {
		rt_error_set(RT_EINPUT, "%s: missing '-- retort:upgrade' section", s->path);
		rt_error_set_location(s->path, 0);
		rt_error_set_hint("Add a '-- retort:upgrade' line after the header, followed by the SQL "
		                  "that applies the revision.");
		rc = RT_EINPUT;
	}
	return rc;
}

int rt_script_read(struct rt_script **out, const char *path, const char *text, size_t len,
                   enum rt_dialect dialect, struct rt_diags *problems)
{
	struct rt_script *s;
	int rc;

	*out = NULL;
	s = rt_calloc(1, sizeof(*s));
	if (!s)
		return RT_ENOMEM;
	s->path = rt_strdup(path);
	if (!s->path) {
		free(s);
		return RT_ENOMEM;
	}
	if ((rc = build(s, text, len, dialect, problems)) < 0) {
		rt_script_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int rt_script_parse_diags(struct rt_script **out, const char *path, const char *text, size_t len,
                          enum rt_dialect dialect, const struct rt_config *cfg, struct rt_diags *problems)
{
	int rc = rt_script_read(out, path, text, len, dialect, problems);

	if (rc == 0)
		rc = rt_section_bind(&(*out)->upgrade, path, dialect, cfg, problems);
	if (rc == 0 && (*out)->downgrade.present)
		rc = rt_section_bind(&(*out)->downgrade, path, dialect, cfg, problems);
	if (rc < 0) {
		rt_script_free(*out);
		*out = NULL;
	}
	return rc;
}

int rt_script_parse(struct rt_script **out, const char *path, const char *text, size_t len,
                    enum rt_dialect dialect, const struct rt_config *cfg)
{
	return rt_script_parse_diags(out, path, text, len, dialect, cfg, NULL);
}

void rt_script_free(struct rt_script *s)
{
	if (!s)
		return;
	rt_stmts_free(s->upgrade.stmts, s->upgrade.n);
	rt_stmts_free(s->downgrade.stmts, s->downgrade.n);
	rt_section_free_blocks(&s->upgrade);
	rt_section_free_blocks(&s->downgrade);
	free(s->path);
	free(s);
}
