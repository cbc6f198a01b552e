/*
 * dialect.h - the SQL retort writes for its own bookkeeping, per dialect: the version
 * and history tables, their updates, transaction statements, session settings, and the
 * guards that make offline scripts refuse to run against the wrong database.
 *
 * The online runner and the offline printer use exactly these strings, so a script
 * printed by `--sql` does what the online command does. Each function appends one
 * statement (without ';') to b, or several to a list, and returns rt_buf_status(b): a
 * buffer that failed to grow is never run. dialect.c has names, tables, session and
 * version rows; sql_history.c the history table; sql_offline.c the offline guards.
 */
#ifndef RETORT_DIALECT_H
#define RETORT_DIALECT_H

#include "retort.h"

/* What a history row records. */
struct rt_history_event {
	const char *revision;  /* an id, or "<base>" for a stamp to base */
	const char *direction; /* "upgrade", "downgrade", "stamp" */
	const char *checksum;  /* may be NULL */
	const char *statement_checksums; /* the digests of the statements completed, or NULL */
	const char *position;  /* where a statement-by-statement run stands (rt_position_format()), or NULL */
};

int rt_sql_ident(struct rt_buf *b, const char *name);
int rt_sql_literal(struct rt_buf *b, const char *text);
/* A literal, or NULL when text is NULL. */
int rt_sql_literal_or_null(struct rt_buf *b, const char *text);
/* The version or history table, schema-qualified where the dialect has schemas. */
int rt_sql_table(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, int history);

int rt_sql_create_tables(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out);
int rt_sql_session_settings(enum rt_dialect d, const struct rt_config *cfg, struct rt_strlist *out);
const char *rt_sql_begin(enum rt_dialect d);
/* Appends the statements ("; "-separated, no final ';') that put the session back as it
 * was before section ran, retort's own settings included; nothing when there is nothing
 * to undo. PostgreSQL: the role, every setting, temporary objects, prepared statements,
 * cursors, LISTENs and sequence caches; SQLite: see rt_sqlite_session_restore(). */
int rt_sql_session_reset(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                         const struct rt_section *sec);
/* What runs before one of retort's statements in the middle of a revision that runs
 * statement by statement, in the same transaction as it, so that what the revision set
 * (search_path, role) cannot redirect it; NULL when the dialect needs nothing. */
const char *rt_sql_bookkeeping_guard(enum rt_dialect d);
int rt_sql_version_op(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                      const struct rt_verop *op);
int rt_sql_version_purge(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg);
/* statement_index: how many statements of a statement-by-statement run have completed
 * (0 at its start), or -1 (NULL) for a run inside one transaction. */
int rt_sql_history_start(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                         const struct rt_history_event *ev, const char *status, int statement_index);
int rt_sql_history_finish(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const char *status, int statement_index,
                          const char *error);
/* A whole history row in one INSERT: a run that began at started (rt_utc_now_iso_ms text),
 * took duration_ms and ends now with status. error may be NULL; statement_index -1 for NULL. */
int rt_sql_history_record(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const struct rt_history_event *ev, const char *status, int statement_index,
                          const char *error, const char *started, double duration_ms);
/* statement_index statements have completed, the last one with digest (rt_stmt_digest());
 * the run now stands at position. */
int rt_sql_history_progress(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                            const char *revision, int statement_index, const char *position,
                            const char *digest);
/* A TEXT column of the history table added by retort 0.2 (statement_checksums, position):
 * a query giving a row when it exists, and the statement adding it to an older table. */
int rt_sql_history_has_column(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                              const char *column);
int rt_sql_history_add_column(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                              const char *column);
/* "SELECT statement_checksums, position FROM <history> WHERE id = id" */
int rt_sql_select_digests(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg, long long id);
int rt_sql_select_heads(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg);
/* revision: only its rows (NULL: all). latest: only the newest row of each revision in
 * latest, and of each revision whose newest row is not 'applied'. */
int rt_sql_select_history(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                          const char *revision, const struct rt_strlist *latest);

/* "revision, checksum" of the newest 'applied' upgrade or stamp row recording a checksum,
 * for each of revisions. */
int rt_sql_select_applied_checksums(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                                    const struct rt_strlist *revisions);

/* The rows rt_db_unfinished() returns. */
int rt_sql_select_unfinished(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg);

/* Offline only. */
int rt_sql_offline_prologue(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg);
/* A statement that fails unless the version rows are exactly expected (sorted ids). */
int rt_sql_guard(struct rt_buf *b, enum rt_dialect d, const struct rt_config *cfg,
                 const struct rt_revlist *expected);
/* Wraps or follows sql (one statement of retort's own) so the script stops unless it
 * changed exactly one row; what names the change in the failure message. */
int rt_sql_checked(struct rt_buf *b, enum rt_dialect d, const char *sql, const char *what);
/* The same, with the statements of prefix (may be NULL) run first, in the same transaction. */
int rt_sql_checked_after(struct rt_buf *b, enum rt_dialect d, const char *prefix, const char *sql,
                         const char *what);

#endif
