/*
 * pg_indexes.h - what backend_pg.c and pg_indexes.c share, internal to the PostgreSQL
 * backend.
 *
 * backend_pg.c owns the connection and lends it, with its error reporting, to
 * pg_indexes.c, which implements the backend's hooks about INVALID indexes: the leftovers
 * of a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY.
 */
#ifndef RETORT_PG_INDEXES_H
#define RETORT_PG_INDEXES_H

#include <libpq-fe.h>
#include "backend.h"

/* backend_pg.c */
PGconn *rt_pg_conn(struct rt_db *db);
/* Runs one statement with text parameters. On success *out holds the result (PQclear it);
 * on failure the error is set like exec() sets it (no location) and *out is NULL. */
int rt_pg_exec_params(struct rt_db *db, const char *sql, int nparams,
                      const char *const *params, PGresult **out);
/* Hands a message retort formats to ev->notice (db->events when ev is NULL); it is not
 * rewritten, so it must hold no text from outside that may quote a password. */
void rt_pg_notify(struct rt_db *db, const struct rt_run_events *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The failure of statement sql (path may be NULL) whose result is res, as exec() reports it. */
int rt_pg_result_error(struct rt_db *db, const PGresult *res, const char *sql, const char *path, int line);
/* The statement's failure is not worth a retry of its revision. */
void rt_pg_set_no_retry(struct rt_db *db);
/* COPY ... FROM STDIN with the statement's data. */
int rt_pg_copy_in(struct rt_db *db, const struct rt_stmt *st);

/* pg_concurrent.c: a CONCURRENTLY statement, which waits for the transactions older than
 * it: under postgresql.concurrent_timeout instead of lock_timeout, naming what it waits for. */
int rt_pg_run_concurrent(struct rt_db *db, const struct rt_stmt *st);
/* pg_indexes.c: 1 when the CREATE INDEX CONCURRENTLY st left an INVALID index (its build
 * had started), 0 otherwise or for other statements. */
int rt_pg_build_left_invalid(struct rt_db *db, const struct rt_stmt *st);

/* pg_indexes.c: the implementations of before_exec, after_error and check. */
int rt_pg_before_exec(struct rt_db *db, const struct rt_stmt *stmt, int resuming);
void rt_pg_after_error(struct rt_db *db, const struct rt_stmt *stmt);
int rt_pg_check(struct rt_db *db, struct rt_diags *diags);

#endif
