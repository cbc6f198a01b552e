/*
 * sql_lex.h - a small SQL lexer shared by the statement splitters, the section-marker
 * scanner of revision scripts and variable substitution, plus the internals those
 * modules share. Not part of the public API.
 *
 * The lexer does not understand SQL; it only knows where tokens begin and end, which is
 * what every caller needs: a ';' or a "-- retort:" line counts only outside strings,
 * quoted identifiers, comments and dollar quotes. It follows the dialect:
 *
 *   both        '...' ('' escapes a quote), "..." ("" escapes), -- line comments,
 *               slash-star ... star-slash block comments
 *   SQLite      `...` and [...] identifiers, block comments that do not nest
 *   PostgreSQL  E'...' with backslash escapes, nested block comments, $tag$...$tag$
 *               and $$...$$ (a tag is $ + [A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]* or
 *               nothing, + $; "${name}" and "$1" are not dollar quotes), and the data
 *               after a COPY ... FROM STDIN statement, up to a line "\.", as pg_dump
 *               writes it and psql reads it (one RT_TOK_COPY_DATA token)
 *
 * Typical loop:
 *
 *     struct rt_lexer lx;
 *     struct rt_token tok;
 *     rt_lex_init(&lx, dialect, text, len, base_line);
 *     while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
 *         if (tok.unterminated)
 *             return rt_lex_error(text, &tok, path);
 *         ...
 *     }
 */
#ifndef RETORT_SQL_LEX_H
#define RETORT_SQL_LEX_H

#include <stddef.h>
#include "retort.h"

enum rt_tok_kind {
	RT_TOK_END = 0,       /* no more text */
	RT_TOK_SPACE,         /* a run of spaces, tabs, CR, LF, FF, VT */
	RT_TOK_LINE_COMMENT,  /* "--" up to, not including, the newline */
	RT_TOK_BLOCK_COMMENT, /* slash-star ... star-slash */
	RT_TOK_STRING,        /* '...', E'...' (PostgreSQL); a prefix such as X or N is a word */
	RT_TOK_QUOTED_IDENT,  /* "...", and in SQLite `...` and [...] */
	RT_TOK_DOLLAR,        /* PostgreSQL $tag$...$tag$ */
	RT_TOK_WORD,          /* keyword or identifier: [A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]* */
	RT_TOK_NUMBER,        /* a digit, then [A-Za-z0-9_.]* */
	RT_TOK_SEMICOLON,
	RT_TOK_LPAREN,
	RT_TOK_RPAREN,
	RT_TOK_OTHER,         /* any other single byte */
	RT_TOK_COPY_DATA,     /* PostgreSQL: after the ';' of COPY ... FROM STDIN, the rest of that
	                       * line, the data lines and the line "\." that ends them */
};

struct rt_token {
	enum rt_tok_kind kind;
	size_t start, end;   /* byte offsets of the token in the text */
	int line;            /* line of text[start] */
	int unterminated;    /* a string, identifier, comment or dollar quote that never ends:
	                      * the token runs to the end of the text */
	size_t tag_len;      /* RT_TOK_DOLLAR: length of the delimiter ("$$" is 2) */
};

/* After rt_lex_init(), a caller may set pos to any token boundary (with line set to
 * its line) to lex only the rest, and len lower to stop early. */
struct rt_lexer {
	const char *text;
	size_t len;
	size_t pos;
	int line;            /* line of text[pos] */
	enum rt_dialect dialect;
	int copy_state;      /* PostgreSQL: how far the statement is into COPY ... FROM STDIN */
	int copy_depth;      /* its parenthesis depth */
	int copy_off;        /* 1: no RT_TOK_COPY_DATA (text whose COPY data was taken out, or
	                      * lexed from a position where the statement context is unknown) */
};

/* Starts lexing text[0..len); base_line is the line of text[0]. */
void rt_lex_init(struct rt_lexer *lx, enum rt_dialect dialect, const char *text, size_t len,
                 int base_line);
/* Reads the next token into *tok and returns its kind (RT_TOK_END, with start == end ==
 * len, at the end of the text). */
enum rt_tok_kind rt_lex_next(struct rt_lexer *lx, struct rt_token *tok);
/* 1 for whitespace and comments, which never make a statement on their own. */
int rt_tok_is_blank(enum rt_tok_kind kind);
/* Sets RT_EINPUT for an unterminated token: "PATH:LINE: unterminated string literal" and
 * the like, LINE being where it starts, with a hint. Returns RT_EINPUT. */
int rt_lex_error(const char *text, const struct rt_token *tok, const char *path);
/* Counts the '\n' bytes in text[from..to). */
int rt_lex_count_lines(const char *text, size_t from, size_t to);

/* Where the header comment of a revision file is: after an optional UTF-8 BOM and
 * whitespace, a slash-star up to the first star-slash (no nesting, in any dialect).
 * *open is the offset of the opening slash, *close the offset of the closing star.
 * Returns 0; 1 when the text does not start with the opening (*open is then the offset
 * of the first other byte, or len); 2 when the comment is never closed. Sets no error. */
int rt_lex_header_comment(const char *text, size_t len, size_t *open, size_t *close);
/* The same, but failures are RT_EINPUT errors naming path and line: "a revision file must
 * start with a ... YAML header", "the header comment opened at line N is never closed". */
int rt_lex_header_locate(const char *path, const char *text, size_t len, size_t *open,
                         size_t *close);

/* ---- Splitter internals (sql_split.c, sql_split_sqlite.c, sql_split_pg.c, script.c) ---- */

/* Collects statements for the splitters: copies text[start..end) as the next statement. */
struct rt_stmt_list {
	struct rt_stmt *items;
	size_t n;
	size_t cap;
};
int rt_stmt_list_add(struct rt_stmt_list *l, const char *path, const char *text, size_t start,
                     size_t end, int line, unsigned flags);

int rt_sql_split_sqlite(const char *path, const char *text, size_t len, int base_line,
                        struct rt_stmt_list *out);
int rt_sql_split_pg(const char *path, const char *text, size_t len, int base_line,
                    struct rt_stmt_list *out);

/* The RT_STMT_* flags of one statement (sql NUL-terminated, no terminating ';'). The
 * splitters use it, and rt_script_parse again after variables were substituted. */
unsigned rt_sql_classify(enum rt_dialect dialect, const char *sql);
unsigned rt_sql_classify_sqlite(const char *sql);
unsigned rt_sql_classify_pg(const char *sql);
/* RT_EINPUT (file, line, the parser's message, a caret context) when PostgreSQL's parser
 * rejects the statement. */
int rt_sql_syntax_check_pg(const struct rt_stmt *st);

/* sql_meta.c: RT_EINPUT (naming path and line) when the statement holds a command of the
 * dialect's own client: a psql backslash meta-command, or a sqlite3 dot-command. */
int rt_sql_check_client_commands(enum rt_dialect d, const char *path, const struct rt_stmt *st);

/* stmt_rules.c: finds the ${name} references of statement st of the file path (when the
 * script is read); binds it for a run (variables from cfg) and refuses what a revision may
 * not hold. RT_EINPUT naming path and line. */
int rt_stmt_scan(const char *path, struct rt_stmt *st, enum rt_dialect dialect);
int rt_stmt_bind(const char *path, struct rt_stmt *st, enum rt_dialect dialect, const struct rt_config *cfg);

/* vars.c: the ${name} references of text (errors for an unknown :FORM name path and
 * line), and text with them replaced by cfg's values (*out new; an undefined name is an
 * error naming its line). */
int rt_vars_scan(enum rt_dialect dialect, const char *text, size_t len, const char *path, int base_line,
                 struct rt_var_use **out, size_t *nout);
int rt_vars_apply(enum rt_dialect dialect, const char *text, size_t len, const struct rt_var_use *uses,
                  size_t n, const struct rt_config *cfg, const char *path, int base_line, char **out);

/* rt_vars_substitute() lexing text as dialect does. The public function, which has no
 * dialect parameter, lexes as PostgreSQL; SQLite differs in comments that do not nest,
 * no E'' strings or dollar quotes, and `...` and [...] identifiers. */
int rt_vars_substitute_dialect(enum rt_dialect dialect, const char *text, size_t len,
                               const struct rt_config *cfg, const char *path, int base_line,
                               char **out);

#endif
