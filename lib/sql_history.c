/*
 * sql_history.c - the SQL of retort's history table (see dialect.h): rows a run writes
 * (started, progress, finished, or whole), the statement_checksums column, and the
 * queries that read rows back (all of them, the latest per revision, the runs that
 * stopped part-way, the checksums applied revisions were recorded with).
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"

#define SQLITE_NOW "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

/* "'rev', 'dir', 'status', 'checksum' or NULL": the first values of a history row. */
static void event_values(struct rt_buf *b, const struct rt_history_event *ev, const char *status)
{
	rt_sql_literal(b, ev->revision);
	rt_buf_puts(b, ", ");
	rt_sql_literal(b, ev->direction);
	rt_buf_puts(b, ", ");
	rt_sql_literal(b, status);
	rt_buf_puts(b, ", ");
	rt_sql_literal_or_null(b, ev->checksum);
}

int rt_sql_history_start(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                         const struct rt_history_event *ev, const char *status, int statement_index)
{
	int pg = d == RT_DIALECT_POSTGRESQL;

	rt_buf_puts(b, "INSERT INTO ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_addf(b, " (revision, direction, status, checksum, %s%s%s%sretort_version) VALUES (",
	            statement_index >= 0 ? "statement_index, " : "", ev->position ? "position, " : "",
	            ev->statement_checksums ? "statement_checksums, " : "", pg ? "" : "started_at, ");
	event_values(b, ev, status);
	if (statement_index >= 0)
		rt_buf_addf(b, ", %d", statement_index);
	if (ev->position) {
		rt_buf_puts(b, ", ");
		rt_sql_literal(b, ev->position);
	}
	if (ev->statement_checksums) {
		rt_buf_puts(b, ", ");
		rt_sql_literal(b, ev->statement_checksums);
	}
	rt_buf_addf(b, ", %s'%s')", pg ? "" : SQLITE_NOW ", ", RT_VERSION);
	return rt_buf_status(b);
}

/* " WHERE id = <the revision's running history row>": runs are serialised by the
 * migration lock, so the newest 'running' row of a revision is this run's. */
static int where_running_row(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                             const char *revision)
{
	rt_buf_puts(b, " WHERE id = (SELECT max(id) FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " WHERE revision = ");
	rt_sql_literal(b, revision);
	rt_buf_puts(b, " AND status = 'running')");
	return rt_buf_status(b);
}

int rt_sql_history_finish(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const char *status, int statement_index,
                          const char *error)
{
	rt_buf_puts(b, "UPDATE ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " SET status = ");
	rt_sql_literal(b, status);
	if (d == RT_DIALECT_POSTGRESQL)
		rt_buf_puts(b, ", finished_at = clock_timestamp(), duration_ms = "
		               "round((extract(epoch FROM clock_timestamp() - started_at) * 1000)::numeric, 3)");
	else
		rt_buf_puts(b, ", finished_at = " SQLITE_NOW ", duration_ms = "
		               "round((julianday('now') - julianday(started_at)) * 86400000.0)");
	if (statement_index >= 0)
		rt_buf_addf(b, ", statement_index = %d", statement_index);
	if (error) {
		rt_buf_puts(b, ", error = ");
		rt_sql_literal(b, error);
	}
	return where_running_row(b, d, cfg, revision);
}

int rt_sql_history_record(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const struct rt_history_event *ev, const char *status, int statement_index,
                          const char *error, const char *started, double duration_ms)
{
	int pg = d == RT_DIALECT_POSTGRESQL;

	rt_buf_puts(b, "INSERT INTO ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_addf(b, " (revision, direction, status, checksum, statement_index, error, %s%s"
	               "started_at, finished_at, duration_ms, retort_version) VALUES (",
	            ev->statement_checksums ? "statement_checksums, " : "", ev->position ? "position, " : "");
	event_values(b, ev, status);
	if (statement_index >= 0)
		rt_buf_addf(b, ", %d, ", statement_index);
	else
		rt_buf_puts(b, ", NULL, ");
	rt_sql_literal_or_null(b, error);
	rt_buf_puts(b, ", ");
	if (ev->statement_checksums) {
		rt_sql_literal(b, ev->statement_checksums);
		rt_buf_puts(b, ", ");
	}
	if (ev->position) {
		rt_sql_literal(b, ev->position);
		rt_buf_puts(b, ", ");
	}
	rt_sql_literal(b, started);
	rt_buf_addf(b, "%s, %s, %.3f, '%s')", pg ? "::timestamptz" : "", pg ? "clock_timestamp()" : SQLITE_NOW,
	            duration_ms, RT_VERSION);
	return rt_buf_status(b);
}

int rt_sql_history_progress(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                            const char *revision, int statement_index, const char *position,
                            const char *digest)
{
	rt_buf_puts(b, "UPDATE ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_addf(b, " SET statement_index = %d, position = '%s', statement_checksums = "
	               "coalesce(statement_checksums || ' ', '') || '%s'", statement_index, position, digest);
	return where_running_row(b, d, cfg, revision);
}

int rt_sql_history_has_column(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                              const char *column)
{
	struct rt_buf table = RT_BUF_INIT;

	if (d == RT_DIALECT_SQLITE) {
		rt_buf_puts(b, "SELECT 1 FROM pragma_table_info(");
		rt_sql_literal(b, cfg->history_table);
		rt_buf_puts(b, ") WHERE name = ");
		rt_sql_literal(b, column);
		return rt_buf_status(b);
	}
	rt_buf_puts(b, "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass(");
	if (rt_sql_table(&table, d, cfg, 1) < 0)
		b->failed = 1;
	rt_sql_literal(b, table.ptr);
	rt_buf_release(&table);
	rt_buf_puts(b, ") AND attname = ");
	rt_sql_literal(b, column);
	rt_buf_puts(b, " AND NOT attisdropped");
	return rt_buf_status(b);
}

int rt_sql_history_add_column(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                              const char *column)
{
	rt_buf_puts(b, "ALTER TABLE ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_addf(b, " ADD COLUMN %s TEXT", column);
	return rt_buf_status(b);
}

int rt_sql_select_digests(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, long long id)
{
	rt_buf_puts(b, "SELECT statement_checksums, position FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_addf(b, " WHERE id = %lld", id);
	return rt_buf_status(b);
}

/* "SELECT <the columns of struct rt_history_row> FROM <history table>" */
static void select_history_rows(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	int pg = d == RT_DIALECT_POSTGRESQL;

	rt_buf_addf(b, "SELECT id, revision, direction, status, checksum, %s, %s, duration_ms, retort_version, "
	               "statement_index, error FROM ",
	            pg ? "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "started_at",
	            pg ? "to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "finished_at");
	rt_sql_table(b, d, cfg, 1);
}

/* "a, b, c" of items as SQL literals; NULL for none (IN () is no SQL). */
static void literal_list(struct rt_buf *b, const struct rt_strlist *items)
{
	for (size_t i = 0; i < items->n; i++) {
		if (i)
			rt_buf_puts(b, ", ");
		rt_sql_literal(b, items->items[i]);
	}
	if (items->n == 0)
		rt_buf_puts(b, "NULL");
}

int rt_sql_select_history(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const struct rt_strlist *latest)
{
	select_history_rows(b, d, cfg);
	if (revision) {
		rt_buf_puts(b, " WHERE revision = ");
		rt_sql_literal(b, revision);
	} else if (latest) {
		rt_buf_puts(b, " WHERE id IN (SELECT max(id) FROM ");
		rt_sql_table(b, d, cfg, 1);
		rt_buf_puts(b, " GROUP BY revision) AND (status NOT IN ('applied', 'resolved')");
		if (latest->n) {
			rt_buf_puts(b, " OR revision IN (");
			literal_list(b, latest);
			rt_buf_putc(b, ')');
		}
		rt_buf_putc(b, ')');
	}
	rt_buf_puts(b, " ORDER BY id");
	return rt_buf_status(b);
}

int rt_sql_select_applied_checksums(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                                    const struct rt_strlist *revisions)
{
	rt_buf_puts(b, "SELECT revision, checksum FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " WHERE id IN (SELECT max(id) FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " WHERE status = 'applied' AND direction <> 'downgrade' AND checksum IS NOT NULL"
	               " AND revision IN (");
	literal_list(b, revisions);
	rt_buf_puts(b, ") GROUP BY revision)");
	return rt_buf_status(b);
}

int rt_sql_select_unfinished(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg)
{
	select_history_rows(b, d, cfg);
	/* a failed first statement changed nothing: only a run that was interrupted, or
	 * failed after completing statements, left part of its revision behind */
	rt_buf_puts(b, " WHERE statement_index IS NOT NULL AND (status = 'running'"
	               " OR (status = 'failed' AND statement_index > 0))"
	               " AND id IN (SELECT max(id) FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " GROUP BY revision) AND id > coalesce((SELECT max(id) FROM ");
	rt_sql_table(b, d, cfg, 1);
	rt_buf_puts(b, " WHERE direction = 'stamp'), 0) ORDER BY id");
	return rt_buf_status(b);
}
