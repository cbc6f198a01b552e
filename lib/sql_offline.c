/*
 * sql_offline.c - what makes an offline script refuse to run against the wrong database
 * (see dialect.h): its prologue, the guard that stops it unless the database is where the
 * script starts, and the checks that stop it when one of retort's statements changed
 * other than exactly one row. PostgreSQL scripts use DO blocks that RAISE, SQLite scripts
 * CHECK constraints of temporary tables, whose names are the messages the DBA sees.
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"

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

static int guard_pg(struct rt_buf *b, const struct rt_config *cfg, const char *want)
{
	struct rt_buf table = RT_BUF_INIT, body = RT_BUF_INIT;
	int rc;

	rt_sql_table(&table, RT_DIALECT_POSTGRESQL, cfg, 0);
	rt_buf_puts(&body, "DECLARE found text;\nBEGIN\n    IF to_regclass(");
	rt_sql_literal(&body, table.ptr);
	rt_buf_puts(&body, ") IS NULL THEN\n        RAISE EXCEPTION 'retort: this script expects the database at %, but it has no version table', ");
	rt_sql_literal(&body, want);
	rt_buf_puts(&body, "\n            USING HINT = 'Nothing was changed. Is this the right database?';\n    END IF;\n"
	                   "    SELECT coalesce(string_agg(version_num, ', ' ORDER BY version_num COLLATE \"C\"), 'base')\n"
	                   "      INTO found FROM ");
	rt_sql_table(&body, RT_DIALECT_POSTGRESQL, cfg, 0);
	rt_buf_puts(&body, ";\n    IF found <> ");
	rt_sql_literal(&body, want);
	rt_buf_puts(&body, " THEN\n        RAISE EXCEPTION 'retort: this script expects the database at %, but it is at %', ");
	rt_sql_literal(&body, want);
	rt_buf_puts(&body, ", found\n            USING HINT = 'Nothing was changed. Generate the script from the revision the database is at (retort upgrade --sql FROM:TO).';\n"
	                   "    END IF;\nEND");
	rc = rt_buf_status(&table) < 0 || rt_buf_status(&body) < 0 ? RT_ENOMEM : do_block(b, body.ptr);
	rt_buf_release(&table);
	rt_buf_release(&body);
	return rc;
}

/* SQLite: print what was found, then fail a CHECK whose name says what was expected. */
static int guard_sqlite(struct rt_buf *b, const struct rt_config *cfg, const char *want)
{
	struct rt_buf found = RT_BUF_INIT, constraint = RT_BUF_INIT;
	int rc;

	rt_buf_puts(&found, "coalesce((SELECT group_concat(version_num, ', ') FROM (SELECT version_num FROM ");
	rt_sql_table(&found, RT_DIALECT_SQLITE, cfg, 0);
	rt_buf_puts(&found, " ORDER BY version_num)), 'base')");
	rt_buf_addf(&constraint, "retort: the database is not at %s, where this script starts; nothing was changed", want);
	rt_buf_puts(b, "CREATE TEMP TABLE " SQLITE_GUARD_TABLE " (found TEXT, ok INTEGER CONSTRAINT ");
	rt_sql_ident(b, constraint.ptr);
	/* a database without the version table: say so, and stop before the query below,
	 * which could not even be prepared */
	rt_buf_addf(b, " CHECK (ok));\nSELECT 'retort: this script expects the database at %s, but it has no version table' AS retort_guard "
	               "WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ", want);
	rt_sql_literal(b, cfg->version_table);
	rt_buf_puts(b, ");\nINSERT INTO temp." SQLITE_GUARD_TABLE " (found, ok) SELECT 'no version table', 0 "
	               "WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ");
	rt_sql_literal(b, cfg->version_table);
	rt_buf_addf(b, ");\nSELECT 'retort: this script expects the database at %s, but it is at ' || found AS retort_guard FROM (SELECT %s AS found) WHERE found <> ",
	            want, found.ptr);
	rt_sql_literal(b, want);
	rt_buf_puts(b, ";\nINSERT INTO temp." SQLITE_GUARD_TABLE " (found, ok) SELECT found, found = ");
	rt_sql_literal(b, want);
	rt_buf_addf(b, " FROM (SELECT %s AS found)", found.ptr);
	rc = rt_buf_status(&found) < 0 || rt_buf_status(&constraint) < 0 ? RT_ENOMEM : rt_buf_status(b);
	rt_buf_release(&found);
	rt_buf_release(&constraint);
	return rc;
}

int rt_sql_guard(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                 const struct rt_revlist *expected)
{
	struct rt_buf want = RT_BUF_INIT;
	int rc;

	rt_revlist_text(&want, expected, "base");
	if ((rc = rt_buf_status(&want)) == 0)
		rc = d == RT_DIALECT_POSTGRESQL ? guard_pg(b, cfg, want.ptr) : guard_sqlite(b, cfg, want.ptr);
	rt_buf_release(&want);
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
		int rc;
		rt_buf_addf(&body, "DECLARE n bigint;\nBEGIN\n    %s%s%s;\n"
		                   "    GET DIAGNOSTICS n = ROW_COUNT;\n"
		                   "    IF n <> 1 THEN\n        RAISE EXCEPTION 'retort: %s changed %% rows instead of 1', n;\n"
		                   "    END IF;\nEND",
		            prefix ? prefix : "", prefix ? ";\n    " : "", sql, what);
		rc = rt_buf_status(&body) < 0 ? RT_ENOMEM : do_block(b, body.ptr);
		rt_buf_release(&body);
		return rc;
	}
	(void)what;
	return rt_buf_addf(b, "%s%s%s;\nINSERT INTO temp." SQLITE_CHECK_TABLE " (ok) VALUES (changes() = 1)",
	                   prefix ? prefix : "", prefix ? "; " : "", sql);
}
