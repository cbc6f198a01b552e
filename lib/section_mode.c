/*
 * section_mode.c - how a section of a revision runs, and what of it can be judged before
 * it runs.
 *
 * A section runs inside one transaction unless it holds statements that cannot run inside
 * a transaction block (then statement by statement, in autocommit) or its header says
 * 'transactional: false'; a section that mixes both kinds is refused, since it could not be
 * rolled back as a whole. On SQLite, what a statement does to the connection depends on
 * that mode (sqlite_session.c). rt_section_transactional() stops at the first problem, as a
 * run must; rt_section_problems() lists every one, with PostgreSQL's parser's syntax
 * errors, as `check` must.
 */
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

static const struct rt_stmt *first_no_txn(const struct rt_section *sec, size_t *count)
{
	const struct rt_stmt *first = NULL;

	*count = 0;
	for (size_t i = 0; i < sec->n; i++) {
		if (sec->stmts[i].flags & RT_STMT_NO_TXN) {
			if (!first)
				first = &sec->stmts[i];
			(*count)++;
		}
	}
	return first;
}

static int mixed(const struct rt_revision *rev, const struct rt_stmt *st)
{
	size_t shown = strcspn(st->sql, "\n");

	if (shown > 60)
		shown = 60;
	rt_error_set(RT_EINPUT,
	             "%s:%d: revision '%s' mixes a statement that cannot run inside a transaction "
	             "block ('%.*s%s') with statements that should",
	             rev->path, st->line, rev->id, (int)shown, st->sql, shown < strlen(st->sql) ? "..." : "");
	rt_error_set_location(rev->path, st->line);
	rt_error_set_detail("Statements such as CREATE INDEX CONCURRENTLY run in autocommit, so the "
	                    "revision could not be rolled back as a whole.");
	rt_error_set_hint("Move that statement into a revision of its own, or add "
	                  "'transactional: false' to the header to run every statement in autocommit.");
	return RT_EINPUT;
}

/* Whether the section runs in a transaction; RT_EINPUT when it mixes. */
static int section_mode(const struct rt_revision *rev, const struct rt_section *sec, int *out)
{
	size_t notx;
	const struct rt_stmt *first = first_no_txn(sec, &notx);

	*out = rev->transactional;
	if (!rev->transactional || notx == 0 || notx == sec->n) {
		*out = rev->transactional && notx == 0;
		return 0;
	}
	return mixed(rev, first);
}

int rt_section_transactional(const struct rt_revision *rev, const struct rt_section *sec,
                             enum rt_dialect dialect, int *out)
{
	int rc = section_mode(rev, sec, out);

	for (size_t i = 0; i < sec->nblocks; i++) /* the blocks run as their section does */
		sec->blocks[i].transactional = *out;

	for (size_t i = 0; rc == 0 && dialect == RT_DIALECT_SQLITE && i < sec->n; i++)
		rc = rt_sqlite_session_check(&sec->stmts[i], *out);
	return rc;
}

/* One more problem in diags; 0 unless out of memory. */
static int note(struct rt_diags *diags, const char *kind)
{
	return rt_error_last()->code == RT_ENOMEM ? RT_ENOMEM : rt_diags_add_error(diags, kind);
}

int rt_section_problems(const struct rt_revision *rev, const struct rt_section *sec,
                        enum rt_dialect dialect, struct rt_diags *diags)
{
	int tx, rc = 0;

	if (section_mode(rev, sec, &tx) < 0 && (rc = note(diags, "mixed-transaction")) < 0)
		return rc;
	for (size_t i = 0; i < sec->n && rc == 0; i++) {
		const struct rt_stmt *st = &sec->stmts[i];
		if (dialect == RT_DIALECT_SQLITE && rt_sqlite_session_check(st, tx) < 0)
			rc = note(diags, "bad-statement");
		else if (dialect == RT_DIALECT_POSTGRESQL && !(st->flags & RT_STMT_BAD) &&
		         rt_sql_syntax_check_pg(st) < 0)
			rc = note(diags, "syntax-error");
	}
	return rc;
}
