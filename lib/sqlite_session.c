/*
 * sqlite_session.c - what a SQLite revision may do to its connection, and how retort
 * undoes it when the revision ends.
 *
 * A SQLite connection carries state past a revision: the PRAGMAs that set flags of the
 * connection (recursive_triggers, legacy_alter_table, query_only, ...) and temporary
 * tables, views and triggers (a temp table shadows the main table of the same name, a
 * temp trigger fires on later revisions' writes). One `upgrade head` must give what the
 * same revisions applied in separate runs give, so after each revision the runner
 * restores every such PRAGMA the revision set to SQLite's default and drops the temporary
 * objects it created; both are found in the revision's own statements, so the online run
 * and the offline script do the same. PRAGMAs that do nothing inside a transaction
 * (foreign_keys, journal_mode, ...) are errors in a transactional revision, busy_timeout
 * belongs to retort (sqlite.busy_timeout), and ATTACH / DETACH, which would outlast the
 * revision, are refused.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "internal.h"
#include "dialect.h"
#include "sql_lex.h"

enum pragma_kind {
	PRAGMA_SESSION, /* a flag of the connection: restored to its default after the revision */
	PRAGMA_NO_TXN,  /* does nothing inside a transaction */
	PRAGMA_OWNED,   /* retort sets it */
};

static const struct {
	const char *name;
	enum pragma_kind kind;
	const char *restore; /* PRAGMA_SESSION: the default, as "PRAGMA name = value" takes it */
} pragmas[] = {
	{ "automatic_index", PRAGMA_SESSION, "1" },
	{ "case_sensitive_like", PRAGMA_SESSION, "0" },
	{ "cell_size_check", PRAGMA_SESSION, "0" },
	{ "count_changes", PRAGMA_SESSION, "0" },
	{ "defer_foreign_keys", PRAGMA_SESSION, "0" },
	{ "empty_result_callbacks", PRAGMA_SESSION, "0" },
	{ "full_column_names", PRAGMA_SESSION, "0" },
	{ "ignore_check_constraints", PRAGMA_SESSION, "0" },
	{ "legacy_alter_table", PRAGMA_SESSION, "0" },
	{ "query_only", PRAGMA_SESSION, "0" },
	{ "recursive_triggers", PRAGMA_SESSION, "0" },
	{ "reverse_unordered_selects", PRAGMA_SESSION, "0" },
	{ "short_column_names", PRAGMA_SESSION, "1" },
	{ "synchronous", PRAGMA_SESSION, "2" },
	{ "writable_schema", PRAGMA_SESSION, "0" },
	{ "auto_vacuum", PRAGMA_NO_TXN, NULL },
	{ "encoding", PRAGMA_NO_TXN, NULL },
	{ "foreign_keys", PRAGMA_NO_TXN, "0" }, /* restored after a revision outside a transaction */
	{ "journal_mode", PRAGMA_NO_TXN, NULL },
	{ "locking_mode", PRAGMA_NO_TXN, NULL },
	{ "page_size", PRAGMA_NO_TXN, NULL },
	{ "temp_store", PRAGMA_NO_TXN, NULL },
	{ "busy_timeout", PRAGMA_OWNED, NULL },
};

static int word_is(const char *sql, const struct rt_token *t, const char *w)
{
	size_t n = t->end - t->start;
	return t->kind == RT_TOK_WORD && strlen(w) == n && strncasecmp(sql + t->start, w, n) == 0;
}

static enum rt_tok_kind next_solid(struct rt_lexer *lx, struct rt_token *t)
{
	enum rt_tok_kind k;

	while ((k = rt_lex_next(lx, t)) != RT_TOK_END && rt_tok_is_blank(k))
		;
	return k;
}

/* For "PRAGMA [schema.]name = value" or "PRAGMA name(value)": the index of name in
 * pragmas[], or -1 (a query, or a PRAGMA retort has nothing to say about). */
static int assigned_pragma(const char *sql)
{
	struct rt_lexer lx;
	struct rt_token t, name;

	rt_lex_init(&lx, RT_DIALECT_SQLITE, sql, strlen(sql), 1);
	if (next_solid(&lx, &t) == RT_TOK_END || !word_is(sql, &t, "PRAGMA") || next_solid(&lx, &name) != RT_TOK_WORD)
		return -1;
	if (next_solid(&lx, &t) == RT_TOK_OTHER && sql[t.start] == '.') {
		if (next_solid(&lx, &name) != RT_TOK_WORD)
			return -1;
		next_solid(&lx, &t);
	}
	if (!(t.kind == RT_TOK_LPAREN || (t.kind == RT_TOK_OTHER && sql[t.start] == '=')))
		return -1;
	for (size_t i = 0; i < RT_ARRAY_LEN(pragmas); i++)
		if (word_is(sql, &name, pragmas[i].name))
			return (int)i;
	return -1;
}

static int refuse(const struct rt_stmt *st, const char *message, const char *hint)
{
	rt_error_set(RT_EINPUT, "%s:%d: %s", st->path, st->line, message);
	rt_error_set_location(st->path, st->line);
	rt_error_set_hint("%s", hint);
	return RT_EINPUT;
}

int rt_sqlite_session_check(const struct rt_stmt *st, int transactional)
{
	struct rt_lexer lx;
	struct rt_token t;
	char msg[128];
	int p;

	rt_lex_init(&lx, RT_DIALECT_SQLITE, st->sql, st->len, 1);
	if (next_solid(&lx, &t) == RT_TOK_WORD && (word_is(st->sql, &t, "ATTACH") || word_is(st->sql, &t, "DETACH"))) {
		snprintf(msg, sizeof(msg), "%s in a revision: an attached database would outlast it",
		         word_is(st->sql, &t, "ATTACH") ? "ATTACH" : "DETACH");
		return refuse(st, msg, "Revisions change the database retort migrates; copy data between "
		                       "files with sqlite3 outside retort.");
	}
	if ((p = assigned_pragma(st->sql)) < 0)
		return 0;
	if (pragmas[p].kind == PRAGMA_OWNED) {
		snprintf(msg, sizeof(msg), "PRAGMA %s is retort's own setting", pragmas[p].name);
		return refuse(st, msg, "Set sqlite.busy_timeout in retort.yaml instead.");
	}
	if (pragmas[p].kind == PRAGMA_NO_TXN && transactional) {
		snprintf(msg, sizeof(msg), "PRAGMA %s does nothing inside a transaction", pragmas[p].name);
		return refuse(st, msg, "retort runs this revision in a transaction. Move the PRAGMA into a "
		                       "revision of its own with 'transactional: false' in the header; "
		                       "retort's connections run with SQLite's defaults (foreign_keys off).");
	}
	return 0;
}

/* CREATE TEMP[ORARY] TABLE|VIEW|TRIGGER [IF NOT EXISTS] name, or the same with temp.name:
 * "DROP <kind> IF EXISTS temp.<name>" appended to out, "; "-separated. */
static int drop_temp_object(const char *sql, struct rt_buf *out)
{
	struct rt_lexer lx;
	struct rt_token t, kind, name;
	int temp = 0;

	rt_lex_init(&lx, RT_DIALECT_SQLITE, sql, strlen(sql), 1);
	if (next_solid(&lx, &t) == RT_TOK_END || !word_is(sql, &t, "CREATE"))
		return 0;
	next_solid(&lx, &kind);
	if (word_is(sql, &kind, "TEMP") || word_is(sql, &kind, "TEMPORARY")) {
		temp = 1;
		next_solid(&lx, &kind);
	}
	if (word_is(sql, &kind, "VIRTUAL"))
		next_solid(&lx, &kind);
	if (!word_is(sql, &kind, "TABLE") && !word_is(sql, &kind, "VIEW") && !word_is(sql, &kind, "TRIGGER"))
		return 0;
	next_solid(&lx, &name);
	if (word_is(sql, &name, "IF")) {
		next_solid(&lx, &t);
		next_solid(&lx, &t);
		next_solid(&lx, &name);
	}
	if (next_solid(&lx, &t) == RT_TOK_OTHER && sql[t.start] == '.') {
		char schema[8];
		size_t n = name.end - name.start;
		snprintf(schema, sizeof(schema), "%.*s", (int)(n < 7 ? n : 7), sql + name.start);
		temp = temp || (n == 4 && strncasecmp(schema, "temp", 4) == 0) ||
		       (n == 6 && strncasecmp(schema, "\"temp\"", 6) == 0);
		next_solid(&lx, &name);
	}
	if (!temp || (name.kind != RT_TOK_WORD && name.kind != RT_TOK_QUOTED_IDENT))
		return 0;
	rt_buf_addf(out, "%sDROP %s IF EXISTS temp.", out->len ? "; " : "",
	            word_is(sql, &kind, "VIEW") ? "VIEW" : word_is(sql, &kind, "TRIGGER") ? "TRIGGER" : "TABLE");
	return rt_buf_add(out, sql + name.start, name.end - name.start);
}

int rt_sqlite_session_restore(const struct rt_section *sec, struct rt_buf *out)
{
	unsigned char set[RT_ARRAY_LEN(pragmas)] = { 0 };
	int rc = 0;

	for (size_t i = 0; i < sec->n && rc == 0; i++) {
		int p = assigned_pragma(sec->stmts[i].sql);
		if (p >= 0 && pragmas[p].restore)
			set[p] = 1;
		rc = drop_temp_object(sec->stmts[i].sql, out);
	}
	for (size_t p = 0; p < RT_ARRAY_LEN(pragmas) && rc == 0; p++)
		if (set[p])
			rc = rt_buf_addf(out, "%sPRAGMA %s = %s", out->len ? "; " : "", pragmas[p].name,
			                 pragmas[p].restore);
	return rc;
}
