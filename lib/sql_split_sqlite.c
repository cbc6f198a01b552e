/*
 * sql_split_sqlite.c - statement splitting and classification for SQLite.
 *
 * Statements end at a ';' outside strings, identifiers and comments (the lexer knows
 * them). The one SQLite statement with ';' inside is CREATE [TEMP] TRIGGER, whose
 * BEGIN ... END body holds several: at a ';' that ends a piece starting with CREATE or
 * EXPLAIN, sqlite3_complete() on the text so far says whether the statement is over.
 * Other statements end at their first ';' without calling it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>
#include "internal.h"
#include "sql_lex.h"

static int word_is(const char *text, const struct rt_token *tok, const char *kw)
{
	size_t n = tok->end - tok->start;
	return tok->kind == RT_TOK_WORD && strlen(kw) == n && strncasecmp(text + tok->start, kw, n) == 0;
}

/* Sets *ok to 1 when text[start..end) is a whole statement for SQLite (end just after
 * its ';', or, with add_semicolon, at the end of a last statement written without one). */
static int complete(const char *text, size_t start, size_t end, int add_semicolon, int *ok)
{
	size_t n = end - start;
	char *copy = rt_malloc(n + 2);

	if (!copy)
		return RT_ENOMEM;
	memcpy(copy, text + start, n);
	if (add_semicolon)
		copy[n++] = ';';
	copy[n] = '\0';
	*ok = sqlite3_complete(copy);
	free(copy);
	return 0;
}

/* The next token that is not space or a comment (RT_TOK_END at the end). */
static enum rt_tok_kind next_solid(struct rt_lexer *lx, struct rt_token *tok)
{
	enum rt_tok_kind k;

	while ((k = rt_lex_next(lx, tok)) != RT_TOK_END && rt_tok_is_blank(k))
		;
	return k;
}

unsigned rt_sql_classify_sqlite(const char *sql)
{
	static const char *const txn[] = { "BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE" };
	struct rt_lexer lx;
	struct rt_token tok;

	rt_lex_init(&lx, RT_DIALECT_SQLITE, sql, strlen(sql), 1);
	next_solid(&lx, &tok);
	for (size_t i = 0; i < RT_ARRAY_LEN(txn); i++)
		if (word_is(sql, &tok, txn[i]))
			return RT_STMT_TXN_CONTROL;
	/* VACUUM cannot run inside a transaction; it, ANALYZE and REINDEX can run twice */
	if (word_is(sql, &tok, "VACUUM"))
		return RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT;
	if (word_is(sql, &tok, "ANALYZE") || word_is(sql, &tok, "REINDEX"))
		return RT_STMT_IDEMPOTENT;
	/* CREATE ... IF NOT EXISTS and DROP ... IF EXISTS: IF comes within the first words */
	if (word_is(sql, &tok, "CREATE") || word_is(sql, &tok, "DROP")) {
		int is_create = word_is(sql, &tok, "CREATE");
		for (int words = 0; words < 6 && next_solid(&lx, &tok) != RT_TOK_END; words++) {
			if (!word_is(sql, &tok, "IF"))
				continue;
			next_solid(&lx, &tok);
			if (is_create && word_is(sql, &tok, "NOT"))
				next_solid(&lx, &tok);
			else if (is_create)
				return 0;
			return word_is(sql, &tok, "EXISTS") ? RT_STMT_IDEMPOTENT : 0;
		}
	}
	return 0;
}

static int emit(struct rt_stmt_list *out, const char *path, const char *text, size_t start,
                size_t end, int line)
{
	int rc = rt_stmt_list_add(out, path, text, start, end, line, 0);
	if (rc == 0)
		out->items[out->n - 1].flags = rt_sql_classify_sqlite(out->items[out->n - 1].sql);
	return rc;
}

int rt_sql_split_sqlite(const char *path, const char *text, size_t len, int base_line,
                        struct rt_stmt_list *out)
{
	struct rt_lexer lx;
	struct rt_token tok;
	size_t first = 0, last_end = 0;
	int have = 0, line = 0, maybe_trigger = 0, ok, rc;

	rt_lex_init(&lx, RT_DIALECT_SQLITE, text, len, base_line);
	while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.unterminated)
			return rt_lex_error(text, &tok, path);
		if (rt_tok_is_blank(tok.kind))
			continue;
		if (tok.kind == RT_TOK_SEMICOLON) {
			if (!have)
				continue;
			if (maybe_trigger) {
				if ((rc = complete(text, first, tok.end, 0, &ok)) < 0)
					return rc;
				if (!ok) {
					last_end = tok.end; /* a ';' inside a trigger body */
					continue;
				}
			}
			if ((rc = emit(out, path, text, first, last_end, line)) < 0)
				return rc;
			have = 0;
			continue;
		}
		if (!have) {
			have = 1;
			first = tok.start;
			line = tok.line;
			maybe_trigger = word_is(text, &tok, "CREATE") || word_is(text, &tok, "EXPLAIN");
		}
		last_end = tok.end;
	}
	if (!have)
		return 0;
	if (maybe_trigger) {
		if ((rc = complete(text, first, last_end, 1, &ok)) < 0)
			return rc;
		if (!ok) {
			rt_error_set(RT_EINPUT, "%s:%d: unterminated CREATE TRIGGER: its BEGIN has no END",
			             path, line);
			rt_error_set_location(path, line);
			rt_error_set_hint("End the trigger body with END; after its last statement.");
			return RT_EINPUT;
		}
	}
	return emit(out, path, text, first, last_end, line);
}
