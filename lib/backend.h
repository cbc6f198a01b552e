/*
 * backend.h - what a database backend implements.
 *
 * A backend is a struct rt_db_ops (a versioned table of function pointers) plus a
 * connection struct that embeds struct rt_db as its first member. The graph, planner,
 * runner and CLI only ever see struct rt_db and these operations, so a new backend plugs
 * in by adding one file and one line to the table in db.c.
 *
 * Error conventions as everywhere: return 0 or a negative RT_E* code, with the error slot
 * set. Errors from the database are RT_EDB with the message, SQLSTATE / extended code,
 * detail and hint filled in; exec() prefixes the message with the statement's location.
 */
#ifndef RETORT_BACKEND_H
#define RETORT_BACKEND_H

#include "retort.h"

#define RT_DB_OPS_VERSION 1

/* Receives one row of a query: ncols values, NULL for SQL NULL. Return non-zero to stop. */
typedef int (*rt_row_fn)(void *ctx, int ncols, const char *const *values);

struct rt_db_ops {
	int version;            /* RT_DB_OPS_VERSION */
	const char *name;       /* "sqlite", "postgresql" */
	enum rt_dialect dialect;

	/* Connects. url comes from cfg->url; flags are enum rt_db_open_flags. */
	int (*open)(struct rt_db **out, const struct rt_config *cfg, unsigned flags);
	void (*close)(struct rt_db *db);

	/* The migration lock, held for a whole run so that two runs never interleave. Waits up
	 * to wait_ms, telling the connection's notice callback once that it waits and on whom;
	 * RT_ELOCKED after that. */
	int (*lock)(struct rt_db *db, long wait_ms);
	void (*unlock)(struct rt_db *db);

	/* Runs one SQL statement. path/line locate it for messages (path NULL for retort's own
	 * statements). *changes (when not NULL) receives the number of rows an INSERT, UPDATE
	 * or DELETE changed, 0 for other statements. */
	int (*exec)(struct rt_db *db, const char *sql, const char *path, int line, long *changes);

	/* Runs a query and hands each row to fn. */
	int (*query)(struct rt_db *db, const char *sql, rt_row_fn fn, void *ctx);

	/* 1 in *out when table exists in schema (NULL: the default schema). */
	int (*table_exists)(struct rt_db *db, const char *schema, const char *table, int *out);

	/* A description of the connection for messages, password masked (owned by db). */
	const char *(*describe)(struct rt_db *db);

	/* Optional hooks (NULL when a backend has nothing to do):
	 * before_exec: called before a migration statement runs outside a transaction, e.g. to
	 *   drop the INVALID index a failed CREATE INDEX CONCURRENTLY left, before re-running it.
	 *   resuming: this is the statement an interrupted run stopped at. Returns 1 when the
	 *   statement already took effect (the index it builds exists and is valid) and must
	 *   not run again, 0 to run it, or an error.
	 * after_error: called after a migration statement failed (the error slot holds the
	 *   failure and must be kept), e.g. to add to the detail that an INVALID index was left.
	 * check: adds what is wrong in the database itself to diags (e.g. invalid indexes). */
	int (*before_exec)(struct rt_db *db, const struct rt_stmt *stmt, int resuming);
	/* prepare_schema: makes sure the schema the version tables will be created in exists
	 * (PostgreSQL without version_table_schema: the first schema of the search_path,
	 * which PostgreSQL would not create itself). Called only when they are missing. */
	int (*prepare_schema)(struct rt_db *db);
	void (*after_error)(struct rt_db *db, const struct rt_stmt *stmt);
	/* run_stmt: runs a statement of a revision, knowing what it is (its flags, its COPY
	 * data); NULL: exec() with its text and location.
	 * retryable: how many times the failure in the error slot is worth running the unit
	 *   again for (a lock timeout, a deadlock: postgresql.lock_retries); 0 or NULL: never. */
	int (*run_stmt)(struct rt_db *db, const struct rt_stmt *stmt);
	int (*retryable)(struct rt_db *db);
	/* session_extra: settings of the connection itself that the session reset after each
	 * revision (rt_sql_session_reset) must apply again, as one statement; NULL for none. */
	const char *(*session_extra)(struct rt_db *db);
	int (*check)(struct rt_db *db, struct rt_diags *diags);
};

/* The part every connection struct starts with. */
struct rt_db {
	const struct rt_db_ops *ops;
	const struct rt_config *cfg; /* borrowed; outlives the connection */
	unsigned flags;
	int missing;                 /* read-only open of a database that does not exist yet */
	/* Where the connection's notices go (server NOTICEs, lock waits): set once per run with
	 * rt_db_set_notice(); fn may be NULL. */
	void (*notice_fn)(void *ctx, const char *message);
	void *notice_ctx;
};

extern const struct rt_db_ops rt_sqlite_ops;
extern const struct rt_db_ops rt_postgresql_ops;

/* fault_backend.c: when rt_fault_set() armed a fault, replaces *db by a wrapper that owns
 * it (on failure *db is closed and NULL); otherwise does nothing. */
int rt_fault_wrap(struct rt_db **db);

#endif
