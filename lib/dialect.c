/*
 * dialect.c - SQL text for retort's own tables and session, in SQLite and PostgreSQL
 * flavours (see dialect.h): names, the tables' creation, session settings and their reset,
 * transaction statements, version-row changes. The history table's statements are in
 * sql_history.c, the offline scripts' guards in sql_offline.c. Identifiers are always
 * quoted, literals always escaped: table names from the config may contain quotes, spaces
 * or semicolons. Every function appends to a buffer and reports rt_buf_status() once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"

int rt_sql_ident(struct rt_buf *b, const char *name)
{
	rt_buf_putc(b, '"');
	for (const char *p = name; *p; p++)
		*p == '"' ? rt_buf_puts(b, "\"\"") : rt_buf_putc(b, *p);
	rt_buf_putc(b, '"');
	return rt_buf_status(b);
}

int rt_sql_literal(struct rt_buf *b, const char *text)
{
	rt_buf_putc(b, '\'');
	for (const char *p = text; *p; p++)
		*p == '\'' ? rt_buf_puts(b, "''") : rt_buf_putc(b, *p);
	rt_buf_putc(b, '\'');
	return rt_buf_status(b);
}

int rt_sql_literal_or_null(struct rt_buf *b, const char *text)
{
	return text ? rt_sql_literal(b, text) : rt_buf_puts(b, "NULL");
}

int rt_sql_table(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, int history)
{
	if (d == RT_DIALECT_POSTGRESQL && cfg->version_table_schema) {
		rt_sql_ident(b, cfg->version_table_schema);
		rt_buf_putc(b, '.');
	}
	return rt_sql_ident(b, history ? cfg->history_table : cfg->version_table);
}

/* Moves b's text to the end of out. */
static int push_buf(struct rt_strlist *out, struct rt_buf *b)
{
	char *s = rt_buf_detach(b);
	return s ? rt_strlist_push_owned(out, s) : RT_ENOMEM;
}

static void history_table_columns(struct rt_buf *b, int pg)
{
	rt_buf_addf(b,
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
	            "    statement_checksums TEXT,\n"
	            "    position TEXT\n"
	            ")",
	            pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT",
	            pg ? "TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()" : "TEXT NOT NULL",
	            pg ? "TIMESTAMPTZ" : "TEXT", pg ? "DOUBLE PRECISION" : "REAL");
}

int rt_sql_create_tables(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out)
{
	struct rt_buf b = RT_BUF_INIT, pkc = RT_BUF_INIT;
	int pg = d == RT_DIALECT_POSTGRESQL, rc = 0;

	if (pg && cfg->version_table_schema) {
		rt_buf_puts(&b, "CREATE SCHEMA IF NOT EXISTS ");
		rt_sql_ident(&b, cfg->version_table_schema);
		rc = push_buf(out, &b);
	}
	rt_buf_addf(&pkc, "%s_pkc", cfg->version_table);
	rt_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	rt_sql_table(&b, d, cfg, 0);
	rt_buf_puts(&b, " (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT ");
	rt_sql_ident(&b, pkc.ptr);
	rt_buf_puts(&b, " PRIMARY KEY (version_num)\n)");
	if (rc == 0)
		rc = rt_buf_status(&pkc) < 0 ? RT_ENOMEM : push_buf(out, &b);
	rt_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
	rt_sql_table(&b, d, cfg, 1);
	history_table_columns(&b, pg);
	if (rc == 0)
		rc = push_buf(out, &b);
	rt_buf_release(&b);
	rt_buf_release(&pkc);
	return rc;
}

int rt_sql_session_settings(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc;

	if (d != RT_DIALECT_POSTGRESQL)
		return 0;
	rt_buf_addf(&b, "SET lock_timeout = '%ldms'", cfg->postgresql.lock_timeout_ms);
	rc = push_buf(out, &b);
	rt_buf_addf(&b, "SET statement_timeout = '%ldms'", cfg->postgresql.statement_timeout_ms);
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
	rt_buf_puts(b, "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP; DISCARD PLANS; "
	               "DISCARD SEQUENCES; DEALLOCATE ALL; CLOSE ALL; UNLISTEN *");
	rc = rt_sql_session_settings(d, cfg, &sets);
	for (size_t i = 0; i < sets.n; i++)
		rt_buf_addf(b, "; %s", sets.items[i]);
	rt_strlist_release(&sets);
	return rc ? rc : rt_buf_status(b);
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
	switch (op->kind) {
	case RT_VER_INSERT:
		rt_buf_puts(b, "INSERT INTO ");
		rt_sql_table(b, d, cfg, 0);
		rt_buf_puts(b, " (version_num) VALUES (");
		rt_sql_literal(b, op->to);
		rt_buf_putc(b, ')');
		break;
	case RT_VER_UPDATE:
		rt_buf_puts(b, "UPDATE ");
		rt_sql_table(b, d, cfg, 0);
		rt_buf_puts(b, " SET version_num = ");
		rt_sql_literal(b, op->to);
		rt_buf_puts(b, " WHERE version_num = ");
		rt_sql_literal(b, op->from);
		break;
	default:
		rt_buf_puts(b, "DELETE FROM ");
		rt_sql_table(b, d, cfg, 0);
		rt_buf_puts(b, " WHERE version_num = ");
		rt_sql_literal(b, op->from);
	}
	return rt_buf_status(b);
}

int rt_sql_version_purge(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	rt_buf_puts(b, "DELETE FROM ");
	return rt_sql_table(b, d, cfg, 0);
}

int rt_sql_select_heads(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	rt_buf_puts(b, "SELECT version_num FROM ");
	rt_sql_table(b, d, cfg, 0);
	rt_buf_puts(b, d == RT_DIALECT_POSTGRESQL ? " ORDER BY version_num COLLATE \"C\"" : " ORDER BY version_num");
	return rt_buf_status(b);
}
