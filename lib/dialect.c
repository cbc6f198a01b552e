/*
 * dialect.c - SQL text for retort's own tables and statements, in SQLite and PostgreSQL
 * flavours (see dialect.h). Identifiers are always quoted, literals always escaped:
 * table names from the config may contain quotes, spaces or semicolons.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"

#define SQLITE_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

int rt_sql_ident(struct rt_buf *b, const char *name)
{
	int rc = rt_buf_putc(b, '"');
	for (const char *p = name; *p && rc == 0; p++)
		rc = *p == '"' ? rt_buf_puts(b, "\"\"") : rt_buf_putc(b, *p);
	return rc ? rc : rt_buf_putc(b, '"');
}

int rt_sql_literal(struct rt_buf *b, const char *text)
{
	int rc = rt_buf_putc(b, '\'');
	for (const char *p = text; *p && rc == 0; p++)
		rc = *p == '\'' ? rt_buf_puts(b, "''") : rt_buf_putc(b, *p);
	return rc ? rc : rt_buf_putc(b, '\'');
}

int rt_sql_table(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, int history)
{
	int rc = 0;
	if (d == RT_DIALECT_POSTGRESQL && cfg->version_table_schema) {
		rc = rt_sql_ident(b, cfg->version_table_schema);
		if (rc == 0)
			rc = rt_buf_putc(b, '.');
	}
	return rc ? rc : rt_sql_ident(b, history ? cfg->history_table : cfg->version_table);
}

static int push_buf(struct rt_strlist *out, struct rt_buf *b)
{
	char *s = rt_buf_detach(b);
	return s ? rt_strlist_push_owned(out, s) : RT_ENOMEM;
}

int rt_sql_create_tables(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out)
{
	struct rt_buf b = RT_BUF_INIT;
	char *pkc = rt_asprintf("%s_pkc", cfg->version_table);
	int pg = d == RT_DIALECT_POSTGRESQL, rc = 0;

	if (!pkc)
		return RT_ENOMEM;
	if (pg && cfg->version_table_schema) {
		rc = rt_buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
		if (rc == 0)
			rc = rt_sql_ident(&b, cfg->version_table_schema);
		if (rc == 0)
			rc = push_buf(out, &b);
	}
	if (rc == 0)
		rc = rt_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (rc == 0)
		rc = rt_sql_table(&b, d, cfg, 0);
	if (rc == 0)
		rc = rt_buf_puts(&b, " (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT ");
	if (rc == 0)
		rc = rt_sql_ident(&b, pkc);
	if (rc == 0)
		rc = rt_buf_puts(&b, " PRIMARY KEY (version_num)\n)");
	if (rc == 0)
		rc = push_buf(out, &b);
	if (rc == 0)
		rc = rt_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	if (rc == 0)
		rc = rt_sql_table(&b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_addf(&b,
		                 " (\n"
		                 "    id %s,\n"
		                 "    revision VARCHAR(32) NOT NULL,\n"
		                 "    direction VARCHAR(10) NOT NULL,\n"
		                 "    status VARCHAR(10) NOT NULL,\n"
		                 "    checksum CHAR(64),\n"
		                 "    started_at %s,\n"
		                 "    finished_at %s,\n"
		                 "    duration_ms %s,\n"
		                 "    retort_version VARCHAR(32) NOT NULL,\n"
		                 "    statement_index INTEGER,\n"
		                 "    error TEXT,\n"
		                 "    statement_checksums TEXT\n"
		                 ")",
		                 pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
		                    : "INTEGER PRIMARY KEY AUTOINCREMENT",
		                 pg ? "TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()" : "TEXT NOT NULL",
		                 pg ? "TIMESTAMPTZ" : "TEXT", pg ? "DOUBLE PRECISION" : "REAL");
	if (rc == 0)
		rc = push_buf(out, &b);
	rt_buf_release(&b);
	free(pkc);
	return rc;
}

int rt_sql_session_settings(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;

	if (d != RT_DIALECT_POSTGRESQL)
		return 0;
	rc = rt_buf_addf(&b, "SET lock_timeout = '%ldms'", cfg->postgresql.lock_timeout_ms);
	if (rc == 0)
		rc = push_buf(out, &b);
	if (rc == 0)
		rc = rt_buf_addf(&b, "SET statement_timeout = '%ldms'", cfg->postgresql.statement_timeout_ms);
	if (rc == 0)
		rc = push_buf(out, &b);
	rt_buf_release(&b);
	return rc;
}

int rt_sql_session_reset(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                         const struct rt_section *sec)
{
	struct rt_strlist sets = RT_STRLIST_INIT;
	int rc;

	if (d == RT_DIALECT_SQLITE)
		return rt_sqlite_session_restore(sec, b);
	rc = rt_buf_puts(b, "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP; DISCARD PLANS; "
	                    "DISCARD SEQUENCES; DEALLOCATE ALL; CLOSE ALL; UNLISTEN *");
	if (rc == 0)
		rc = rt_sql_session_settings(d, cfg, &sets);
	for (size_t i = 0; i < sets.n && rc == 0; i++)
		rc = rt_buf_addf(b, "; %s", sets.items[i]);
	rt_strlist_release(&sets);
	return rc;
}

const char *rt_sql_bookkeeping_guard(enum rt_dialect d)
{
	return d == RT_DIALECT_POSTGRESQL ? "SET LOCAL search_path TO DEFAULT; SET LOCAL ROLE NONE" : NULL;
}

const char *rt_sql_begin(enum rt_dialect d)
{
	return d == RT_DIALECT_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN";
}

int rt_sql_version_op(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                      const struct rt_verop *op)
{
	int rc;
	switch (op->kind) {
	case RT_VER_INSERT:
		rc = rt_buf_puts(b, "INSERT INTO ");
		if (rc == 0)
			rc = rt_sql_table(b, d, cfg, 0);
		if (rc == 0)
			rc = rt_buf_puts(b, " (version_num) VALUES (");
		if (rc == 0)
			rc = rt_sql_literal(b, op->to);
		return rc ? rc : rt_buf_putc(b, ')');
	case RT_VER_UPDATE:
		rc = rt_buf_puts(b, "UPDATE ");
		if (rc == 0)
			rc = rt_sql_table(b, d, cfg, 0);
		if (rc == 0)
			rc = rt_buf_puts(b, " SET version_num = ");
		if (rc == 0)
			rc = rt_sql_literal(b, op->to);
		if (rc == 0)
			rc = rt_buf_puts(b, " WHERE version_num = ");
		return rc ? rc : rt_sql_literal(b, op->from);
	default:
		rc = rt_buf_puts(b, "DELETE FROM ");
		if (rc == 0)
			rc = rt_sql_table(b, d, cfg, 0);
		if (rc == 0)
			rc = rt_buf_puts(b, " WHERE version_num = ");
		return rc ? rc : rt_sql_literal(b, op->from);
	}
}

int rt_sql_version_purge(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int rc = rt_buf_puts(b, "DELETE FROM ");
	return rc ? rc : rt_sql_table(b, d, cfg, 0);
}

int rt_sql_history_start(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                         const struct rt_history_event *ev, const char *status, int statement_index)
{
	int pg = d == RT_DIALECT_POSTGRESQL;
	int rc = rt_buf_puts(b, "INSERT INTO ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_addf(b, " (revision, direction, status, checksum, %s%s%sretort_version) VALUES (",
		                 statement_index >= 0 ? "statement_index, " : "",
		                 ev->statement_checksums ? "statement_checksums, " : "", pg ? "" : "started_at, ");
	if (rc == 0)
		rc = rt_sql_literal(b, ev->revision);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = rt_sql_literal(b, ev->direction);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = rt_sql_literal(b, status);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = ev->checksum ? rt_sql_literal(b, ev->checksum) : rt_buf_puts(b, "NULL");
	if (rc == 0 && statement_index >= 0)
		rc = rt_buf_addf(b, ", %d", statement_index);
	if (rc == 0 && ev->statement_checksums) {
		rc = rt_buf_puts(b, ", ");
		if (rc == 0)
			rc = rt_sql_literal(b, ev->statement_checksums);
	}
	if (rc == 0)
		rc = rt_buf_addf(b, ", %s'%s')", pg ? "" : SQLITE_NOW ", ", RT_VERSION);
	return rc;
}

/* " WHERE id = <the revision's running history row>": runs are serialised by the
 * migration lock, so the newest 'running' row of a revision is this run's. */
static int where_running_row(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                             const char *revision)
{
	int rc = rt_buf_puts(b, " WHERE id = (SELECT max(id) FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_puts(b, " WHERE revision = ");
	if (rc == 0)
		rc = rt_sql_literal(b, revision);
	return rc ? rc : rt_buf_puts(b, " AND status = 'running')");
}

int rt_sql_history_finish(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const char *status, int statement_index,
                          const char *error)
{
	int pg = d == RT_DIALECT_POSTGRESQL;
	int rc = rt_buf_puts(b, "UPDATE ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_puts(b, " SET status = ");
	if (rc == 0)
		rc = rt_sql_literal(b, status);
	if (rc == 0)
		rc = pg ? rt_buf_puts(b, ", finished_at = clock_timestamp(), duration_ms = "
		                         "round((extract(epoch FROM clock_timestamp() - started_at) * 1000)::numeric, 3)")
		        : rt_buf_puts(b, ", finished_at = " SQLITE_NOW ", duration_ms = "
		                         "round((julianday('now') - julianday(started_at)) * 86400000.0)");
	if (rc == 0 && statement_index >= 0)
		rc = rt_buf_addf(b, ", statement_index = %d", statement_index);
	if (rc == 0 && error) {
		rc = rt_buf_puts(b, ", error = ");
		if (rc == 0)
			rc = rt_sql_literal(b, error);
	}
	return rc ? rc : where_running_row(b, d, cfg, revision);
}

int rt_sql_history_record(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const struct rt_history_event *ev, const char *status, int statement_index,
                          const char *error, const char *started, double duration_ms)
{
	int pg = d == RT_DIALECT_POSTGRESQL;
	int rc = rt_buf_puts(b, "INSERT INTO ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_addf(b, " (revision, direction, status, checksum, statement_index, error, %s"
		                    "started_at, finished_at, duration_ms, retort_version) VALUES (",
		                 ev->statement_checksums ? "statement_checksums, " : "");
	if (rc == 0)
		rc = rt_sql_literal(b, ev->revision);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = rt_sql_literal(b, ev->direction);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = rt_sql_literal(b, status);
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0)
		rc = ev->checksum ? rt_sql_literal(b, ev->checksum) : rt_buf_puts(b, "NULL");
	if (rc == 0)
		rc = statement_index >= 0 ? rt_buf_addf(b, ", %d, ", statement_index) : rt_buf_puts(b, ", NULL, ");
	if (rc == 0)
		rc = error ? rt_sql_literal(b, error) : rt_buf_puts(b, "NULL");
	if (rc == 0)
		rc = rt_buf_puts(b, ", ");
	if (rc == 0 && ev->statement_checksums) {
		rc = rt_sql_literal(b, ev->statement_checksums);
		if (rc == 0)
			rc = rt_buf_puts(b, ", ");
	}
	if (rc == 0)
		rc = rt_sql_literal(b, started);
	if (rc == 0)
		rc = rt_buf_addf(b, "%s, %s, %.3f, '%s')", pg ? "::timestamptz" : "",
		                 pg ? "clock_timestamp()" : SQLITE_NOW, duration_ms, RT_VERSION);
	return rc;
}

int rt_sql_history_progress(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                            const char *revision, int statement_index, const char *digest)
{
	int rc = rt_buf_puts(b, "UPDATE ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_addf(b, " SET statement_index = %d, statement_checksums = "
		                    "coalesce(statement_checksums || ' ', '') || '%s'", statement_index, digest);
	return rc ? rc : where_running_row(b, d, cfg, revision);
}

int rt_sql_history_has_digests(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int rc;

	if (d == RT_DIALECT_SQLITE) {
		rc = rt_buf_puts(b, "SELECT 1 FROM pragma_table_info(");
		if (rc == 0)
			rc = rt_sql_literal(b, cfg->history_table);
		return rc ? rc : rt_buf_puts(b, ") WHERE name = 'statement_checksums'");
	}
	rc = rt_buf_puts(b, "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(");
	if (rc == 0) {
		struct rt_buf table = RT_BUF_INIT;
		rc = rt_sql_table(&table, d, cfg, 1);
		if (rc == 0)
			rc = rt_sql_literal(b, table.ptr);
		rt_buf_release(&table);
	}
	return rc ? rc : rt_buf_puts(b, ") AND attname = 'statement_checksums' AND NOT attisdropped");
}

int rt_sql_history_add_digests(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int rc = rt_buf_puts(b, "ALTER TABLE ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	return rc ? rc : rt_buf_puts(b, " ADD COLUMN statement_checksums TEXT");
}

int rt_sql_select_digests(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, long long id)
{
	int rc = rt_buf_puts(b, "SELECT statement_checksums FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	return rc ? rc : rt_buf_addf(b, " WHERE id = %lld", id);
}

int rt_sql_select_heads(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int rc = rt_buf_puts(b, "SELECT version_num FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 0);
	return rc ? rc : rt_buf_puts(b, d == RT_DIALECT_POSTGRESQL ? " ORDER BY version_num COLLATE \"C\""
	                                                          : " ORDER BY version_num");
}

/* "SELECT <the columns of struct rt_history_row> FROM <history table>" */
static int select_history_rows(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int pg = d == RT_DIALECT_POSTGRESQL;
	int rc = rt_buf_addf(
		b, "SELECT id, revision, direction, status, checksum, %s, %s, duration_ms, retort_version, "
		   "statement_index, error FROM ",
		pg ? "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "started_at",
		pg ? "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "finished_at");
	return rc ? rc : rt_sql_table(b, d, cfg, 1);
}

int rt_sql_select_history(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const struct rt_strlist *latest)
{
	int rc = select_history_rows(b, d, cfg);
	if (rc == 0 && revision) {
		rc = rt_buf_puts(b, " WHERE revision = ");
		if (rc == 0)
			rc = rt_sql_literal(b, revision);
	} else if (rc == 0 && latest) {
		rc = rt_buf_puts(b, " WHERE id IN (SELECT max(id) FROM ");
		if (rc == 0)
			rc = rt_sql_table(b, d, cfg, 1);
		if (rc == 0)
			rc = rt_buf_puts(b, " GROUP BY revision) AND (status NOT IN ('applied', 'resolved')");
		if (rc == 0 && latest->n)
			rc = rt_buf_puts(b, " OR revision IN (");
		for (size_t i = 0; rc == 0 && i < latest->n; i++) {
			if (i)
				rc = rt_buf_puts(b, ", ");
			if (rc == 0)
				rc = rt_sql_literal(b, latest->items[i]);
		}
		if (rc == 0)
			rc = rt_buf_puts(b, latest->n ? "))" : ")");
	}
	return rc ? rc : rt_buf_puts(b, " ORDER BY id");
}

int rt_sql_select_applied_checksums(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                                    const struct rt_strlist *revisions)
{
	int rc = rt_buf_puts(b, "SELECT revision, checksum FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_puts(b, " WHERE id IN (SELECT max(id) FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_puts(b, " WHERE status = 'applied' AND direction <> 'downgrade' AND checksum IS NOT NULL"
		                    " AND revision IN (");
	for (size_t i = 0; i < revisions->n && rc == 0; i++) {
		if (i)
			rc = rt_buf_puts(b, ", ");
		if (rc == 0)
			rc = rt_sql_literal(b, revisions->items[i]);
	}
	if (rc == 0 && revisions->n == 0)
		rc = rt_buf_puts(b, "NULL");
	return rc ? rc : rt_buf_puts(b, ") GROUP BY revision)");
}

int rt_sql_select_unfinished(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int rc = select_history_rows(b, d, cfg);
	if (rc == 0)
		/* a failed first statement changed nothing: only a run that was interrupted, or
		 * failed after completing statements, left part of its revision behind */
		rc = rt_buf_puts(b, " WHERE statement_index IS NOT NULL AND (status = 'running'"
		                    " OR (status = 'failed' AND statement_index > 0))"
		                    " AND id IN (SELECT max(id) FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	if (rc == 0)
		rc = rt_buf_puts(b, " GROUP BY revision) AND id > coalesce((SELECT max(id) FROM ");
	if (rc == 0)
		rc = rt_sql_table(b, d, cfg, 1);
	return rc ? rc : rt_buf_puts(b, " WHERE direction = 'stamp'), 0) ORDER BY id");
}

/* SQLite: temp tables whose CHECK constraints stop `sqlite3 -bail`; their names are the
 * error messages the DBA sees. */
#define SQLITE_GUARD_TABLE "retort_guard"
#define SQLITE_CHECK_TABLE "retort_check"

int rt_sql_offline_prologue(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	(void)cfg;
	if (d == RT_DIALECT_POSTGRESQL)
		return rt_buf_puts(b, "\\set ON_ERROR_STOP on\n");
	/* sqlite3 honours dot-commands in scripts: stop at the first error even without -bail */
	return rt_buf_puts(
		b, ".bail on\nCREATE TEMP TABLE " SQLITE_CHECK_TABLE " (ok INTEGER CONSTRAINT "
		   "\"retort: a version table change did not affect exactly one row; the database is not where this script expects it\" "
		   "CHECK (ok));\n");
}

/* "DO $tag$ body $tag$" with a tag that body does not contain: table names from the
 * config could hold "$retort$". */
static int do_block(struct rt_buf *b, const char *body)
{
	char tag[32] = "$retort$";
	for (int i = 1; strstr(body, tag); i++)
		snprintf(tag, sizeof(tag), "$retort%d$", i);
	return rt_buf_addf(b, "DO %s\n%s\n%s", tag, body, tag);
}

static int heads_text(struct rt_buf *b, const struct rt_revlist *l)
{
	int rc = 0;
	if (l->n == 0)
		return rt_buf_puts(b, "base");
	for (size_t i = 0; i < l->n && rc == 0; i++)
		rc = rt_buf_addf(b, "%s%s", i ? ", " : "", l->items[i]->id);
	return rc;
}

int rt_sql_guard(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                 const struct rt_revlist *expected)
{
	struct rt_buf want = RT_BUF_INIT, found = RT_BUF_INIT, constraint = RT_BUF_INIT;
	int rc = heads_text(&want, expected);

	if (rc == 0 && d == RT_DIALECT_POSTGRESQL) {
		struct rt_buf table = RT_BUF_INIT, body = RT_BUF_INIT;
		rc = rt_sql_table(&table, d, cfg, 0);
		if (rc == 0)
			rc = rt_buf_puts(&body, "DECLARE found text;\nBEGIN\n    IF to_regclass(");
		if (rc == 0)
			rc = rt_sql_literal(&body, table.ptr);
		rt_buf_release(&table);
		if (rc == 0)
			rc = rt_buf_puts(&body, ") IS NULL THEN\n        RAISE EXCEPTION 'retort: this script expects the database at %, but it has no version table', ");
		if (rc == 0)
			rc = rt_sql_literal(&body, want.ptr);
		if (rc == 0)
			rc = rt_buf_puts(&body, "\n            USING HINT = 'Nothing was changed. Is this the right database?';\n    END IF;\n"
		                    "    SELECT coalesce(string_agg(version_num, ', ' ORDER BY version_num COLLATE \"C\"), 'base')\n"
		                    "      INTO found FROM ");
		if (rc == 0)
			rc = rt_sql_table(&body, d, cfg, 0);
		if (rc == 0)
			rc = rt_buf_puts(&body, ";\n    IF found <> ");
		if (rc == 0)
			rc = rt_sql_literal(&body, want.ptr);
		if (rc == 0)
			rc = rt_buf_puts(&body, " THEN\n        RAISE EXCEPTION 'retort: this script expects the database at %, but it is at %', ");
		if (rc == 0)
			rc = rt_sql_literal(&body, want.ptr);
		if (rc == 0)
			rc = rt_buf_puts(&body, ", found\n            USING HINT = 'Nothing was changed. Generate the script from the revision the database is at (retort upgrade --sql FROM:TO).';\n"
			                    "    END IF;\nEND");
		if (rc == 0)
			rc = do_block(b, body.ptr);
		rt_buf_release(&body);
		goto out;
	}
	/* SQLite: print what was found, then fail a CHECK whose name says what was expected */
	if (rc == 0)
		rc = rt_buf_puts(&found, "coalesce((SELECT group_concat(version_num, ', ') FROM (SELECT version_num FROM ");
	if (rc == 0)
		rc = rt_sql_table(&found, d, cfg, 0);
	if (rc == 0)
		rc = rt_buf_puts(&found, " ORDER BY version_num)), 'base')");
	if (rc == 0)
		rc = rt_buf_addf(&constraint, "retort: the database is not at %s, where this script starts; nothing was changed",
		                 want.ptr);
	if (rc == 0)
		rc = rt_buf_puts(b, "CREATE TEMP TABLE " SQLITE_GUARD_TABLE " (found TEXT, ok INTEGER CONSTRAINT ");
	if (rc == 0)
		rc = rt_sql_ident(b, constraint.ptr);
	/* a database without the version table: say so, and stop before the query below,
	 * which could not even be prepared */
	if (rc == 0)
		rc = rt_buf_addf(b, " CHECK (ok));\nSELECT 'retort: this script expects the database at %s, but it has no version table' AS retort_guard "
		                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ",
		                 want.ptr);
	if (rc == 0)
		rc = rt_sql_literal(b, cfg->version_table);
	if (rc == 0)
		rc = rt_buf_puts(b, ");\nINSERT INTO temp." SQLITE_GUARD_TABLE " (found, ok) SELECT 'no version table', 0 "
		                    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ");
	if (rc == 0)
		rc = rt_sql_literal(b, cfg->version_table);
	if (rc == 0)
		rc = rt_buf_addf(b, ");\nSELECT 'retort: this script expects the database at %s, but it is at ' || found AS retort_guard FROM (SELECT %s AS found) WHERE found <> ",
		                 want.ptr, found.ptr);
	if (rc == 0)
		rc = rt_sql_literal(b, want.ptr);
	if (rc == 0)
		rc = rt_buf_addf(b, ";\nINSERT INTO temp." SQLITE_GUARD_TABLE " (found, ok) SELECT found, found = ");
	if (rc == 0)
		rc = rt_sql_literal(b, want.ptr);
	if (rc == 0)
		rc = rt_buf_addf(b, " FROM (SELECT %s AS found)", found.ptr);
out:
	rt_buf_release(&want);
	rt_buf_release(&found);
	rt_buf_release(&constraint);
	return rc;
}

int rt_sql_checked(struct rt_buf *b, enum rt_dialect d, const char *sql, const char *what)
{
	return rt_sql_checked_after(b, d, NULL, sql, what);
}

int rt_sql_checked_after(struct rt_buf *b, enum rt_dialect d, const char *prefix, const char *sql,
                         const char *what)
{
	if (d == RT_DIALECT_POSTGRESQL) {
		struct rt_buf body = RT_BUF_INIT;
		int rc = rt_buf_addf(&body, "DECLARE n bigint;\nBEGIN\n    %s%s%s;\n"
		                            "    GET DIAGNOSTICS n = ROW_COUNT;\n"
		                            "    IF n <> 1 THEN\n        RAISE EXCEPTION 'retort: %s changed %% rows instead of 1', n;\n"
		                            "    END IF;\nEND",
		                     prefix ? prefix : "", prefix ? ";\n    " : "", sql, what);
		if (rc == 0)
			rc = do_block(b, body.ptr);
		rt_buf_release(&body);
		return rc;
	}
	(void)what;
	return rt_buf_addf(b, "%s%s%s;\nINSERT INTO temp." SQLITE_CHECK_TABLE " (ok) VALUES (changes() = 1)",
	                   prefix ? prefix : "", prefix ? "; " : "", sql);
}
