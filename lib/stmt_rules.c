/*
 * stmt_rules.c - binding one statement of a revision for a run, and what a statement of a
 * revision may not be.
 *
 * Reading finds a statement's ${name} references (vars.c); binding replaces them with a
 * run's values, keeping the source text, and a value must not change where the statement
 * ends (no smuggled statements). Then the statement is refused when it is
 * transaction control (retort opens and commits transactions itself), a command of the
 * database's own client (sql_meta.c), or COPY without a place for its data. Each refusal
 * names the file and line; rt_script_parse_diags() collects them all.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

/* The transaction command a statement starts with, for messages: "COMMIT", "START
 * TRANSACTION". */
static void txn_keyword(const char *sql, char *out, size_t size)
{
	size_t n = 0, o = 0;

	while (n < 16 && ((sql[n] >= 'A' && sql[n] <= 'Z') || (sql[n] >= 'a' && sql[n] <= 'z')))
		n++;
	for (size_t i = 0; i < n && o + 1 < size; i++)
		out[o++] = (char)(sql[i] >= 'a' ? sql[i] - 'a' + 'A' : sql[i]);
	out[o] = '\0';
	if ((strcmp(out, "START") == 0 || strcmp(out, "PREPARE") == 0) && o + 13 < size)
		memcpy(out + o, " TRANSACTION", 13);
}

/* A variable's value must not change where its statement ends: "x'); DROP TABLE t; --"
 * would otherwise smuggle in statements of its own. Sets st's flags for the new text. */
static int still_one_statement(const char *path, struct rt_stmt *st, const char *sql,
                               enum rt_dialect dialect)
{
	struct rt_stmt *parts = NULL;
	size_t n = 0;
	int rc = rt_sql_split(dialect, path, sql, strlen(sql), st->line, &parts, &n);

	if (rc == RT_ENOMEM)
		return rc;
	if (rc == 0 && n == 1) {
		st->flags = parts[0].flags;
		rt_stmts_free(parts, n);
		return 0;
	}
	rt_stmts_free(parts, n);
	if (rc < 0) {
		/* the splitter's message, without its "path:line: " */
		const char *m = rt_error_last()->message;
		size_t pl = strlen(path);
		char *why;
		if (strncmp(m, path, pl) == 0 && m[pl] == ':' && strstr(m + pl + 1, ": "))
			m = strstr(m + pl + 1, ": ") + 2;
		if (!(why = rt_strdup(m)))
			return RT_ENOMEM;
		rt_error_set(RT_EINPUT, "%s:%d: a variable's value breaks this statement: %s", path,
		             st->line, why);
		free(why);
	} else
		rt_error_set(RT_EINPUT, "%s:%d: a variable's value turns this statement into %zu statements",
		             path, st->line, n);
	rt_error_set_location(path, st->line);
	rt_error_set_hint("A value is inserted as it is: quote it with ${NAME:literal} (a SQL string) or "
	                  "${NAME:ident} (an identifier), or fix the value.");
	return RT_EINPUT;
}

/* COPY reads its data from the revision (FROM STDIN with the data after it) or the server's
 * files; nothing would read what COPY ... TO STDOUT sends. */
static int check_copy(const char *path, const struct rt_stmt *st)
{
	if (st->flags & RT_STMT_COPY_OUT) {
		rt_error_set(RT_EINPUT, "%s:%d: COPY ... TO STDOUT in a revision: nothing would read its output",
		             path, st->line);
		rt_error_set_hint("A migration changes the database; to export data, run COPY with psql "
		                  "outside retort, or COPY TO a file the server can write.");
	} else if ((st->flags & RT_STMT_COPY_IN) && !st->copy_data) {
		rt_error_set(RT_EINPUT, "%s:%d: COPY ... FROM STDIN without its data", path, st->line);
		rt_error_set_hint("End the statement with ';' at the end of its line, put the data lines "
		                  "after it and end them with a line holding only \\., as pg_dump writes it.");
	} else {
		return 0;
	}
	rt_error_set_location(path, st->line);
	return RT_EINPUT;
}

static int refuse_txn_control(const char *path, const struct rt_stmt *st)
{
	char kw[32];

	txn_keyword(st->sql, kw, sizeof(kw));
	rt_error_set(RT_EINPUT, "%s:%d: '%s' is not allowed in a revision: retort manages transactions",
	             path, st->line, kw);
	rt_error_set_location(path, st->line);
	rt_error_set_hint("Remove it; for statements that cannot run in a transaction, set "
	                  "'transactional: false' in the header.");
	return RT_EINPUT;
}

int rt_stmt_scan(const char *path, struct rt_stmt *st, enum rt_dialect dialect)
{
	return rt_vars_scan(dialect, st->sql, st->len, path, st->line, &st->vars, &st->nvars);
}

/* st->sql becomes its source text with the references replaced by cfg's values. */
static int substitute(const char *path, struct rt_stmt *st, enum rt_dialect dialect, const struct rt_config *cfg)
{
	const char *source = st->src ? st->src : st->sql;
	char *sql;
	int rc = rt_vars_apply(dialect, source, strlen(source), st->vars, st->nvars, cfg, path, st->line, &sql);

	if (rc < 0)
		return rc;
	if (strcmp(sql, source) != 0 && (rc = still_one_statement(path, st, sql, dialect)) < 0) {
		free(sql);
		return rc;
	}
	if (st->src)
		free(st->sql);
	else
		st->src = st->sql;
	st->sql = sql;
	st->len = strlen(sql);
	return 0;
}

int rt_stmt_bind(const char *path, struct rt_stmt *st, enum rt_dialect dialect, const struct rt_config *cfg)
{
	int rc = st->nvars ? substitute(path, st, dialect, cfg) : 0;

	if (rc < 0 || (rc = rt_sql_check_client_commands(dialect, path, st)) < 0 || (rc = check_copy(path, st)) < 0)
		return rc;
	return st->flags & RT_STMT_TXN_CONTROL ? refuse_txn_control(path, st) : 0;
}
