/*
 * sink_db.c - the runner's sink that works on a database (see sink.h).
 *
 * Statements go to the backend: a revision's through its run_stmt hook (which knows COPY
 * data and CONCURRENTLY builds) with the before_exec / after_error hooks around them,
 * retort's own through exec, whose row count proves that a bookkeeping statement changed
 * exactly one row. A signal recorded by rt_interrupt() stops the run before the next
 * revision statement. The sink keeps whether a transaction is open, so that rollback is a
 * no-op outside one and BEGIN is not sent twice (transaction: all).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"
#include "sink.h"

static struct rt_sink_db *from_sink(struct rt_sink *s)
{
	return (struct rt_sink_db *)s;
}

static int db_begin(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);
	int rc;

	if (d->in_transaction)
		return 0;
	if ((rc = d->db->ops->exec(d->db, rt_sql_begin(s->dialect), NULL, 0, NULL)) == 0)
		d->in_transaction = 1;
	return rc;
}

static int db_commit(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);
	int rc = d->db->ops->exec(d->db, "COMMIT", NULL, 0, NULL);

	/* PostgreSQL ends a transaction whose COMMIT failed; SQLite keeps it open (SQLITE_BUSY,
	 * a deferred foreign key), and rollback must end it */
	if (rc == 0 || s->dialect != RT_DIALECT_SQLITE)
		d->in_transaction = 0;
	return rc;
}

static void db_rollback(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);
	struct rt_error saved;

	if (!d->in_transaction)
		return;
	rt_error_save(&saved);
	d->db->ops->exec(d->db, "ROLLBACK", NULL, 0, NULL);
	d->in_transaction = 0;
	rt_error_restore(&saved);
}

static int db_user(struct rt_sink *s, const struct rt_stmt *st, int resuming)
{
	struct rt_sink_db *d = from_sink(s);
	const struct rt_db_ops *ops = d->db->ops;
	int rc, done = 0;

	if ((rc = rt_check_interrupt()) < 0)
		return rc;
	/* outside a transaction: a rerun first drops what a failed CONCURRENTLY build left */
	if (!d->in_transaction && ops->before_exec && (done = ops->before_exec(d->db, st, resuming)) < 0)
		return done;
	if (done)
		return 0;
	rc = ops->run_stmt ? ops->run_stmt(d->db, st) : ops->exec(d->db, st->sql, st->path, st->line, NULL);
	if (rc < 0 && ops->after_error)
		ops->after_error(d->db, st);
	return rc;
}

static int db_meta(struct rt_sink *s, const char *guard, const char *sql, const char *what)
{
	struct rt_sink_db *d = from_sink(s);
	struct rt_buf guarded = RT_BUF_INIT;
	long changes = -1;
	int rc;

	if (guard) /* one message: an implicit transaction holds the guard's SET LOCALs */
		rt_buf_addf(&guarded, "%s; %s", guard, sql);
	if ((rc = rt_buf_status(&guarded)) == 0)
		rc = d->db->ops->exec(d->db, guard ? guarded.ptr : sql, NULL, 0, what ? &changes : NULL);
	rt_buf_release(&guarded);
	if (rc < 0 || !what || changes == 1)
		return rc;
	rt_error_set(RT_ESTATE, "%s changed %ld rows instead of 1; the database changed under this run",
	             what, changes);
	rt_error_set_hint("Nothing of this revision was kept. Check the version table with "
	                  "'retort current' and run the command again.");
	return RT_ESTATE;
}

static int db_comment(struct rt_sink *s, const char *text)
{
	(void)s;
	(void)text;
	return 0;
}

static void db_notice(struct rt_sink *s, const char *message)
{
	struct rt_sink_db *d = from_sink(s);

	if (d->ev && d->ev->notice)
		d->ev->notice(d->ev->ctx, message);
}

static int db_resume(struct rt_sink *s, const struct rt_step *st, size_t *from, int *resuming)
{
	struct rt_sink_db *d = from_sink(s);

	return rt_resume_point(d->db, st, d->ev, from, resuming);
}

static int db_retryable(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);

	return d->db->ops->retryable ? d->db->ops->retryable(d->db) : 0;
}

static void db_after_failure(struct rt_sink *s, const char *sql)
{
	struct rt_sink_db *d = from_sink(s);
	struct rt_error saved;

	rt_error_save(&saved);
	d->db->ops->exec(d->db, sql, NULL, 0, NULL);
	rt_error_restore(&saved);
}

static const char *db_session_extra(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);

	return d->db->ops->session_extra ? d->db->ops->session_extra(d->db) : NULL;
}

static int db_settle_unfinished(struct rt_sink *s)
{
	struct rt_sink_db *d = from_sink(s);
	struct rt_history_row *rows = NULL;
	struct rt_buf b = RT_BUF_INIT;
	char started[32];
	size_t n = 0;
	int rc = rt_db_unfinished(d->db, &rows, &n);

	rt_utc_now_iso_ms(started);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rt_history_event he = { rows[i].revision, rows[i].direction, rows[i].checksum, NULL, NULL };
		rt_buf_clear(&b);
		if ((rc = rt_sql_history_record(&b, s->dialect, s->cfg, &he, "resolved", 0,
		                                 "settled by 'retort stamp'", started, 0)) == 0)
			rc = db_meta(s, NULL, b.ptr, "the history table update");
	}
	rt_buf_release(&b);
	rt_history_rows_free(rows, n);
	return rc;
}

static const struct rt_sink_ops db_ops = {
	db_begin, db_commit, db_rollback, db_user, db_meta, db_comment, db_notice,
	db_resume, db_retryable, db_after_failure, db_session_extra, db_settle_unfinished,
};

void rt_sink_db_init(struct rt_sink_db *s, struct rt_db *db, const struct rt_run_events *ev)
{
	memset(s, 0, sizeof(*s));
	s->base.ops = &db_ops;
	s->base.dialect = db->ops->dialect;
	s->base.cfg = db->cfg;
	s->db = db;
	s->ev = ev;
}
