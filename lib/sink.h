/*
 * sink.h - where the runner sends the work of a plan: a database (sink_db.c) or a SQL
 * script for the database's own client (sink_sql.c), through one interface, as Redis's rio
 * serves files, buffers and sockets with one API.
 *
 * The runner (run.c) walks a plan once and says what happens: a transaction begins, a
 * revision's statement runs, one of retort's bookkeeping statements must change exactly one
 * row, the transaction commits. Online, that happens in the database and is checked there;
 * offline, it is printed, the checks printed with it, so the script stops where the online
 * run would fail. What only makes sense against a live database (resuming a stopped
 * revision, retrying after a lock timeout, recording a failure after a rollback) is asked
 * of the sink too, and the script sink answers "nothing to do".
 */
#ifndef RETORT_SINK_H
#define RETORT_SINK_H

#include "retort.h"

struct rt_sink;

struct rt_sink_ops {
	int (*begin)(struct rt_sink *s);
	int (*commit)(struct rt_sink *s);
	/* Rolls back the transaction, if one is open; keeps the error that made us roll back. */
	void (*rollback)(struct rt_sink *s);
	/* A statement of a revision; resuming: the one an interrupted run stopped at. */
	int (*user)(struct rt_sink *s, const struct rt_stmt *st, int resuming);
	/* One of retort's statements; what != NULL: it must change exactly one row (what names
	 * the change in the failure). guard != NULL: run it first, in the same transaction,
	 * so that what a revision set (a search_path) cannot redirect sql. */
	int (*meta)(struct rt_sink *s, const char *guard, const char *sql, const char *what);
	/* Text for whoever reads the work (the script's comments); online: nothing. */
	int (*comment)(struct rt_sink *s, const char *text);
	void (*notice)(struct rt_sink *s, const char *message);
	/* Where a statement-by-statement step resumes (rt_resume_point()); script: at 0. */
	int (*resume)(struct rt_sink *s, const struct rt_step *st, size_t *from, int *resuming);
	/* How many times the failure in the error slot is worth running the unit again (0: not). */
	int (*retryable)(struct rt_sink *s);
	/* After a failure and its rollback: sql runs (to record the failure), keeping the
	 * error slot as it was; script: nothing, the script has stopped there. */
	void (*after_failure)(struct rt_sink *s, const char *sql);
	/* Settings of the connection itself to apply again after a session reset, or NULL. */
	const char *(*session_extra)(struct rt_sink *s);
	/* For a stamp: records every run that stopped part-way (rt_db_unfinished()) as settled,
	 * with a 'resolved' row of its revision; script: nothing (it cannot know of any). */
	int (*settle_unfinished)(struct rt_sink *s);
};

struct rt_sink {
	const struct rt_sink_ops *ops;
	enum rt_dialect dialect;
	const struct rt_config *cfg;
};

/* The database sink: runs everything on db; notices and step events go to ev (may be NULL). */
struct rt_sink_db {
	struct rt_sink base;
	struct rt_db *db;
	const struct rt_run_events *ev;
	int in_transaction;
};
void rt_sink_db_init(struct rt_sink_db *s, struct rt_db *db, const struct rt_run_events *ev);

/* The script sink: prints everything through w. */
struct rt_sink_sql {
	struct rt_sink base;
	const struct rt_writer *w;
};
void rt_sink_sql_init(struct rt_sink_sql *s, enum rt_dialect d, const struct rt_config *cfg,
                      const struct rt_writer *w);
/* Writes text through the script sink's writer. */
int rt_sink_sql_emit(struct rt_sink_sql *s, const char *text);

/* run.c: runs the steps of plan on sink s (events for steps: ev, may be NULL). */
int rt_run_steps(struct rt_sink *s, const struct rt_graph *g, struct rt_plan *plan,
                 const struct rt_run_events *ev);
/* run.c: the creation of retort's tables, in a transaction of its own. */
int rt_run_create_tables(struct rt_sink *s);
/* run.c: retort's session settings (lock_timeout, ...). */
int rt_run_session_settings(struct rt_sink *s);

#endif
