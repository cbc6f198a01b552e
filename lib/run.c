/*
 * run.c - executes a plan: online against a database, or offline as a SQL script.
 *
 * Both modes walk the plan through the same code and the same SQL (dialect.c); only the
 * sink differs. Online, each statement goes to the backend and retort's own changes to
 * the version table are checked to touch exactly one row; offline, statements are
 * printed and the check is printed after them, so the script stops where the online
 * run would fail.
 *
 * Steps are grouped into transaction units: with transaction: per-revision each
 * revision is a unit, with transaction: all consecutive transactional revisions share
 * one. A revision that cannot run in a transaction block is a unit of its own whose
 * statements run in autocommit; its history row records how far it got, and its
 * version row is written only after the last statement succeeded. A PostgreSQL lock
 * timeout or deadlock rolls the unit back and retries it after a jittered backoff.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"

struct runner {
	int offline;
	struct rt_db *db;            /* online */
	const struct rt_writer *w;   /* offline */
	enum rt_dialect d;
	const struct rt_config *cfg;
	const struct rt_graph *g;
	const struct rt_run_events *ev;
	const struct rt_plan *plan;
};

static void notice(const struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(const struct runner *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	if (!r->ev || !r->ev->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->ev->notice(r->ev->ctx, msg);
}

static int emit(struct runner *r, const char *text)
{
	return r->w->write(r->w->ctx, text, strlen(text));
}

static int emitf(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int emitf(struct runner *r, const char *fmt, ...)
{
	struct rt_buf b = RT_BUF_INIT;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || rt_buf_grow(&b, (size_t)n) < 0)
		return RT_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b.ptr, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b.len = (size_t)n;
	rc = emit(r, b.ptr);
	rt_buf_release(&b);
	return rc;
}

static int check_interrupt(void)
{
	int sig = rt_interrupted();
	if (!sig)
		return 0;
	rt_error_set(RT_EINTERRUPTED, "interrupted by %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rt_error_set_signal(sig);
	return RT_EINTERRUPTED;
}

/* One of retort's own statements. what != NULL: it must change exactly one row. */
static int run_meta(struct runner *r, const char *sql, const char *what)
{
	long changes = -1;
	int rc;

	if (r->offline) {
		struct rt_buf b = RT_BUF_INIT;
		rc = what ? rt_sql_checked(&b, r->d, sql, what) : rt_buf_puts(&b, sql);
		if (rc == 0)
			rc = rt_buf_puts(&b, ";\n");
		if (rc == 0)
			rc = emit(r, b.ptr);
		rt_buf_release(&b);
		return rc;
	}
	if ((rc = r->db->ops->exec(r->db, sql, NULL, 0, what ? &changes : NULL)) < 0)
		return rc;
	if (what && changes != 1) {
		rt_error_set(RT_ESTATE, "%s changed %ld rows instead of 1; the database changed under this run",
		             what, changes);
		rt_error_set_hint("Nothing of this revision was kept. Check the version table with "
		                  "'retort current' and run the command again.");
		return RT_ESTATE;
	}
	return 0;
}

static int run_meta_buf(struct runner *r, struct rt_buf *b, const char *what)
{
	int rc = run_meta(r, b->ptr, what);
	rt_buf_clear(b);
	return rc;
}

/* One of retort's statements between the statements of a revision that runs statement by
 * statement: in the same transaction as the dialect's guard, so that a search_path or a
 * role the revision set cannot send it to another table. */
static int run_meta_guarded(struct runner *r, struct rt_buf *b, const char *what)
{
	const char *guard = rt_sql_bookkeeping_guard(r->d);
	struct rt_buf sql = RT_BUF_INIT;
	int rc;

	if (!guard)
		return run_meta_buf(r, b, what);
	if (r->offline)
		rc = rt_sql_checked_after(&sql, r->d, guard, b->ptr, what);
	else
		rc = rt_buf_addf(&sql, "%s; %s", guard, b->ptr);
	if (rc == 0)
		rc = r->offline ? run_meta(r, sql.ptr, NULL) : run_meta(r, sql.ptr, what);
	rt_buf_clear(b);
	rt_buf_release(&sql);
	return rc;
}

/* After the statements of section ran: the session as it was before them, so that what a
 * revision SETs lasts until its end, as if every revision ran in a session of its own. */
static int reset_session(struct runner *r, const struct rt_section *sec)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *extra = !r->offline && r->db->ops->session_extra ? r->db->ops->session_extra(r->db) : NULL;
	int rc = rt_sql_session_reset(&b, r->d, r->cfg, sec);

	if (rc == 0 && extra)
		rc = rt_buf_addf(&b, "%s%s", b.len ? "; " : "", extra);
	if (rc == 0 && b.len)
		rc = run_meta(r, b.ptr, NULL);
	rt_buf_release(&b);
	return rc;
}

/* Online, after a failure: the reset, keeping the error (the revision may have failed
 * after a SET that would redirect the failure's history row). */
static void reset_after_failure(struct runner *r, const struct rt_section *sec)
{
	struct rt_error saved;

	if (r->offline || !sec)
		return;
	rt_error_save(&saved);
	if (reset_session(r, sec) < 0)
		rt_error_clear();
	rt_error_restore(&saved);
}

/* An offline script is read, reviewed and kept: a statement whose text holds the
 * database password (through a variable) must not be printed, masked or not. */
static int secret_in_offline_sql(struct runner *r, const struct rt_stmt *s)
{
	const char *var = NULL;

	if (!rt_secret_in(s->sql) && !(s->copy_data && rt_secret_in(s->copy_data)))
		return 0;
	for (size_t i = 0; i < r->cfg->nvars && !var; i++)
		if (rt_secret_in(r->cfg->vars[i].value))
			var = r->cfg->vars[i].name;
	rt_error_set(RT_EINPUT, "%s:%d: this statement would print the database password into the script%s%s%s",
	             s->path, s->line, var ? " (through variable '" : "", var ? var : "", var ? "')" : "");
	rt_error_set_location(s->path, s->line);
	rt_error_set_hint("Offline scripts are read and kept by people. Leave the password out of the "
	                  "SQL (e.g. let psql supply it with \\set), or run this revision online.");
	return RT_EINPUT;
}

static int emit_copy_data(struct runner *r, const struct rt_stmt *s)
{
	int rc = r->w->write(r->w->ctx, s->copy_data, s->copy_len);

	if (rc == 0 && s->copy_len > 0 && s->copy_data[s->copy_len - 1] != '\n')
		rc = emit(r, "\n");
	return rc ? rc : emit(r, "\\.\n");
}

static int run_user(struct runner *r, const struct rt_stmt *s)
{
	int rc;
	if (r->offline) {
		if ((rc = secret_in_offline_sql(r, s)) < 0)
			return rc;
		if ((rc = emit(r, s->sql)) == 0)
			rc = emit(r, ";\n");
		if (rc == 0 && s->copy_data) /* psql reads the data from the script, as pg_dump's */
			rc = emit_copy_data(r, s);
		return rc;
	}
	if ((rc = check_interrupt()) < 0)
		return rc;
	if (r->db->ops->run_stmt)
		rc = r->db->ops->run_stmt(r->db, s);
	else
		rc = r->db->ops->exec(r->db, s->sql, s->path, s->line, NULL);
	if (rc < 0 && r->db->ops->after_error)
		r->db->ops->after_error(r->db, s);
	return rc;
}

static int begin(struct runner *r)
{
	if (r->offline)
		return emitf(r, "%s;\n", rt_sql_begin(r->d));
	if (r->db->in_transaction)
		return 0;
	int rc = r->db->ops->exec(r->db, rt_sql_begin(r->d), NULL, 0, NULL);
	if (rc == 0)
		r->db->in_transaction = 1;
	return rc;
}

static int commit(struct runner *r)
{
	int rc;
	if (r->offline)
		return emit(r, "COMMIT;\n");
	rc = r->db->ops->exec(r->db, "COMMIT", NULL, 0, NULL);
	/* PostgreSQL ends a transaction whose COMMIT failed; SQLite keeps it open (SQLITE_BUSY,
	 * a deferred foreign key), and rollback() must end it */
	if (rc == 0 || r->d != RT_DIALECT_SQLITE)
		r->db->in_transaction = 0;
	return rc;
}

/* Rolls back, keeping the error that made us roll back. */
static void rollback(struct runner *r)
{
	struct rt_error saved;
	if (r->offline || !r->db->in_transaction)
		return;
	rt_error_save(&saved);
	r->db->ops->exec(r->db, "ROLLBACK", NULL, 0, NULL);
	r->db->in_transaction = 0;
	rt_error_restore(&saved);
}

static int version_ops(struct runner *r, const struct rt_step *st)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < st->nops && rc == 0; i++) {
		rc = rt_sql_version_op(&b, r->d, r->cfg, &st->ops[i]);
		if (rc == 0)
			rc = run_meta_buf(r, &b, "a version table change");
	}
	rt_buf_release(&b);
	return rc;
}

/* completed: for a statement-by-statement run, how many statements an earlier run
 * completed (0 for a fresh one); -1 for a run inside one transaction. */
static int history_start(struct runner *r, const struct rt_step *st, int completed)
{
	struct rt_buf b = RT_BUF_INIT, sums = RT_BUF_INIT;
	struct rt_history_event he = { st->rev->id, rt_direction_name(st->direction),
	                               st->rev->script->checksum, NULL };
	int rc = 0;

	if (completed >= 0) { /* the digests of the statements that already ran */
		rc = rt_stmt_digests(rt_step_section(st), (size_t)completed, &sums);
		he.statement_checksums = completed > 0 ? sums.ptr : NULL;
	}
	if (rc == 0)
		rc = rt_sql_history_start(&b, r->d, r->cfg, &he, "running", completed);
	if (rc == 0)
		rc = run_meta_buf(r, &b, NULL);
	rt_buf_release(&b);
	rt_buf_release(&sums);
	return rc;
}

static int history_finish(struct runner *r, const struct rt_step *st, const char *status,
                          int stmt_index, const char *error)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = rt_sql_history_finish(&b, r->d, r->cfg, st->rev->id, status, stmt_index, error);
	if (rc == 0)
		rc = run_meta_buf(r, &b, "the history table update");
	rt_buf_release(&b);
	return rc;
}

static int frame_comment(struct runner *r, const struct rt_step *st)
{
	struct rt_buf from = RT_BUF_INIT;
	const struct rt_revision *rev = st->rev;
	int rc = 0;

	if (!r->offline)
		return 0;
	if (!rev)
		return emit(r, "\n-- Stamping the version table (no revision scripts run)\n");
	if (rev->nparents == 0)
		rc = rt_buf_puts(&from, "<base>");
	for (size_t i = 0; i < rev->nparents && rc == 0; i++)
		rc = rt_buf_addf(&from, "%s%s", i ? ", " : "", rev->parents[i]->id);
	if (rc == 0)
		rc = emitf(r, "\n-- %s %s %s %s: %s\n-- file: %s%s\n",
		           st->direction == RT_UPGRADE ? "Running upgrade" : "Running downgrade",
		           st->direction == RT_UPGRADE ? from.ptr : rev->id,
		           "->", st->direction == RT_UPGRADE ? rev->id : from.ptr, rev->message,
		           rt_path_relative(rev->path, r->cfg->dir),
		           st->transactional ? "" : "\n-- runs outside a transaction block");
	rt_buf_release(&from);
	return rc;
}

/* Statements, version rows and history of one step, inside the caller's transaction. */
static int step_body(struct runner *r, const struct rt_step *st)
{
	const struct rt_section *sec = rt_step_section(st);
	int rc;

	if ((rc = history_start(r, st, -1)) < 0)
		return rc;
	for (size_t i = 0; i < sec->n; i++)
		if ((rc = run_user(r, &sec->stmts[i])) < 0)
			return rc;
	if ((rc = reset_session(r, sec)) < 0 || (rc = version_ops(r, st)) < 0)
		return rc;
	return history_finish(r, st, "applied", -1, NULL);
}

/* A stamp says where the database is: every run that stopped part-way is settled by it,
 * recorded as a 'resolved' row of its revision (a stamp to base writes no stamp row). */
static int settle_unfinished(struct runner *r)
{
	struct rt_history_row *rows = NULL;
	struct rt_buf b = RT_BUF_INIT;
	char started[32];
	size_t n = 0;
	int rc = rt_db_unfinished(r->db, &rows, &n);

	rt_utc_now_iso_ms(started);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct rt_history_event he = { rows[i].revision, rows[i].direction, rows[i].checksum, NULL };
		rc = rt_sql_history_record(&b, r->d, r->cfg, &he, "resolved", 0,
		                           "settled by 'retort stamp'", started, 0);
		if (rc == 0)
			rc = run_meta_buf(r, &b, "the history table update");
	}
	rt_buf_release(&b);
	rt_history_rows_free(rows, n);
	return rc;
}

static int stamp_body(struct runner *r, const struct rt_step *st)
{
	struct rt_buf b = RT_BUF_INIT;
	const struct rt_plan *p = r->plan;
	int rc = 0;

	if (p->purge) {
		rc = rt_sql_version_purge(&b, r->d, r->cfg);
		if (rc == 0)
			rc = run_meta_buf(r, &b, NULL);
	}
	if (rc == 0)
		rc = version_ops(r, st);
	if (rc == 0 && !r->offline)
		rc = settle_unfinished(r);
	/* a history row per version row after the stamp; "<base>" is no revision, so a stamp
	 * to base writes none */
	for (size_t i = 0; rc == 0 && i < p->heads_after.n; i++) {
		struct rt_revision *head = p->heads_after.items[i];
		struct rt_history_event he = { head->id, "stamp", NULL, NULL };
		if ((rc = rt_graph_load_script(r->g, head)) == 0)
			he.checksum = head->script->checksum;
		if (rc == 0)
			rc = rt_sql_history_start(&b, r->d, r->cfg, &he, "running", -1);
		if (rc == 0)
			rc = run_meta_buf(r, &b, NULL);
		if (rc == 0)
			rc = rt_sql_history_finish(&b, r->d, r->cfg, he.revision, "applied", -1, NULL);
		if (rc == 0)
			rc = run_meta_buf(r, &b, "the history table update");
	}
	rt_buf_release(&b);
	return rc;
}

/* After a failed transactional unit was rolled back: a 'failed' history row for the step
 * that failed, begun at started (wall clock) and lasting ms, in a statement of its own.
 * Keeps the error slot as it was. */
static void record_failure(struct runner *r, const struct rt_step *st, int stmt_index,
                           const char *started, double ms)
{
	struct rt_error saved;
	struct rt_buf b = RT_BUF_INIT;
	struct rt_history_event he;
	char *err;

	if (r->offline || !st->rev)
		return;
	rt_error_save(&saved);
	he.revision = st->rev->id;
	he.direction = rt_direction_name(st->direction);
	he.checksum = st->rev->script->checksum;
	he.statement_checksums = NULL;
	err = rt_strndup(saved.message ? saved.message : "", 2000);
	if (err && rt_sql_history_record(&b, r->d, r->cfg, &he, "failed", stmt_index, err, started, ms) == 0)
		r->db->ops->exec(r->db, b.ptr, NULL, 0, NULL);
	free(err);
	rt_buf_release(&b);
	rt_error_restore(&saved);
}

static int retryable(const struct runner *r)
{
	return !r->offline && r->db->ops->retryable && r->db->ops->retryable(r->db);
}

/* Sleeps before retry number attempt (1-based): 0.5 s doubling to 10 s, jittered +-50%. */
static int backoff(const struct runner *r, int attempt, int max)
{
	unsigned int rnd = 0;
	long base = 500L << (attempt - 1 < 5 ? attempt - 1 : 5), ms;
	if (base > 10000)
		base = 10000;
	rt_random_bytes(&rnd, sizeof(rnd));
	ms = base / 2 + (long)(rnd % (unsigned int)base);
	notice(r, "%s; retry %d of %d in %ld ms", rt_error_last()->message, attempt, max, ms);
	for (long slept = 0; slept < ms; slept += 50) {
		if (check_interrupt() < 0)
			return RT_EINTERRUPTED;
		rt_sleep_ms(ms - slept < 50 ? ms - slept : 50);
	}
	return 0;
}

static void fire_begin(const struct runner *r, const struct rt_step *st)
{
	if (r->ev && r->ev->step_begin)
		r->ev->step_begin(r->ev->ctx, st);
}

static void fire_end(const struct runner *r, const struct rt_step *st, int status, double ms)
{
	if (r->ev && r->ev->step_end)
		r->ev->step_end(r->ev->ctx, st, status, ms);
}

/* When a step of a transactional unit began (its first attempt), and how long its last
 * attempt took. */
struct step_clock {
	char started[32]; /* wall clock, for the history row */
	double t0;        /* monotonic, at the first attempt */
	double ms;
};

/* One attempt at the steps [first, last) in one transaction; *failed is the step it was at. */
static int txn_attempt(struct runner *r, struct rt_step *steps, size_t first, size_t last,
                       struct step_clock *clk, int attempt, size_t *failed)
{
	int rc = frame_comment(r, &steps[first]);

	if (rc == 0)
		rc = begin(r);
	for (size_t i = first; rc == 0 && i < last; i++) {
		double t0 = rt_now_ms();
		*failed = i;
		if (attempt == 0) {
			rt_utc_now_iso_ms(clk[i - first].started);
			clk[i - first].t0 = t0;
			fire_begin(r, &steps[i]);
		}
		if (i > first && (rc = frame_comment(r, &steps[i])) < 0)
			break;
		rc = steps[i].direction == RT_STAMP ? stamp_body(r, &steps[i]) : step_body(r, &steps[i]);
		clk[i - first].ms = rt_now_ms() - t0;
	}
	if (rc == 0) {
		double t0 = rt_now_ms();
		if ((rc = commit(r)) == 0)
			clk[last - 1 - first].ms += rt_now_ms() - t0;
	}
	return rc;
}

/* A unit of consecutive transactional steps [first, last), retried after lock timeouts. */
static int run_txn_unit(struct runner *r, struct rt_step *steps, size_t first, size_t last)
{
	int attempt = 0, rc;
	size_t failed = first;
	struct step_clock *clk = rt_calloc(last - first, sizeof(*clk)), *fc;

	if (!clk)
		return RT_ENOMEM;
	for (;;) {
		if ((rc = txn_attempt(r, steps, first, last, clk, attempt, &failed)) == 0) {
			for (size_t i = first; i < last; i++)
				fire_end(r, &steps[i], 0, clk[i - first].ms);
			free(clk);
			return 0;
		}
		rollback(r);
		if (retryable(r) && attempt < r->cfg->postgresql.lock_retries) {
			attempt++;
			if ((rc = backoff(r, attempt, r->cfg->postgresql.lock_retries)) < 0)
				break;
			continue;
		}
		if (attempt > 0 && retryable(r))
			rt_error_prefix("gave up after %d attempts", attempt + 1);
		break;
	}
	fc = &clk[failed - first];
	if (!fc->started[0]) { /* interrupted during a backoff: the step never began */
		rt_utc_now_iso_ms(fc->started);
		fc->t0 = rt_now_ms();
	}
	reset_after_failure(r, steps[failed].rev ? rt_step_section(&steps[failed]) : NULL);
	record_failure(r, &steps[failed], -1, fc->started, rt_now_ms() - fc->t0);
	fire_end(r, &steps[failed], rc, fc->ms);
	free(clk);
	return rc;
}

/* A step whose statements run one by one in autocommit. */
static int run_autocommit_step(struct runner *r, struct rt_step *st)
{
	const struct rt_section *sec = rt_step_section(st);
	double t0 = rt_now_ms();
	struct rt_buf b = RT_BUF_INIT;
	size_t i = 0;
	int rc, attempt = 0;

	size_t from = 0, completed = 0; /* statements that completed, recorded or not */
	int resuming = 0;
	char digest[RT_STMT_DIGEST_LEN + 1];

	fire_begin(r, st);
	if ((!r->offline && (rc = rt_resume_point(r->db, st, r->ev, &from, &resuming)) < 0) || (rc = frame_comment(r, st)) < 0 ||
	    (rc = history_start(r, st, (int)from)) < 0)
		goto out;
	for (i = from; i < sec->n; i++) {
		const struct rt_stmt *s = &sec->stmts[i];
		int done = 0;
		if (!r->offline && r->db->ops->before_exec &&
		    (rc = done = r->db->ops->before_exec(r->db, s, resuming && i == from)) < 0)
			break;
		rc = done ? 0 : run_user(r, s);
		if (rc < 0 && retryable(r) && attempt < r->cfg->postgresql.lock_retries) {
			attempt++;
			if ((rc = backoff(r, attempt, r->cfg->postgresql.lock_retries)) < 0)
				break;
			i--;
			continue;
		}
		if (rc < 0)
			break;
		attempt = 0;
		completed = i + 1;
		if ((rc = rt_stmt_digest(s, digest)) < 0 ||
		    (rc = rt_sql_history_progress(&b, r->d, r->cfg, st->rev->id, (int)i + 1, digest)) < 0 ||
		    (rc = run_meta_guarded(r, &b, "the history table update")) < 0)
			break;
	}
	/* the reset first, outside the transaction: SQLite's foreign_keys changes only there */
	if (rc == 0 && (rc = reset_session(r, sec)) == 0 && (rc = begin(r)) == 0 &&
	    (rc = version_ops(r, st)) == 0 && (rc = history_finish(r, st, "applied", (int)sec->n, NULL)) == 0)
		rc = commit(r);
	if (rc < 0 && !r->offline) {
		struct rt_error saved;
		char *err;
		rollback(r);
		reset_after_failure(r, sec);
		rt_error_save(&saved);
		err = rt_strndup(saved.message ? saved.message : "", 2000);
		if (err && rt_sql_history_finish(&b, r->d, r->cfg, st->rev->id, "failed",
		                                 (int)(completed > i ? completed : i), err) == 0)
			r->db->ops->exec(r->db, b.ptr, NULL, 0, NULL);
		free(err);
		rt_error_restore(&saved);
	}
out:
	rt_buf_release(&b);
	fire_end(r, st, rc, rt_now_ms() - t0);
	return rc;
}

static int run_session_settings(struct runner *r)
{
	struct rt_strlist sets = RT_STRLIST_INIT;
	int rc = rt_sql_session_settings(r->d, r->cfg, &sets);
	for (size_t i = 0; i < sets.n && rc == 0; i++)
		rc = run_meta(r, sets.items[i], NULL);
	rt_strlist_release(&sets);
	return rc;
}

static int create_tables(struct runner *r)
{
	struct rt_strlist stmts = RT_STRLIST_INIT;
	int rc = rt_sql_create_tables(r->d, r->cfg, &stmts);

	if (rc == 0)
		rc = begin(r);
	for (size_t i = 0; i < stmts.n && rc == 0; i++)
		rc = run_meta(r, stmts.items[i], NULL);
	if (rc == 0)
		rc = commit(r);
	else
		rollback(r);
	rt_strlist_release(&stmts);
	return rc;
}

static int run_units(struct runner *r, struct rt_plan *p)
{
	size_t i = 0;
	int rc = 0;

	while (i < p->n && rc == 0) {
		size_t j = i + 1;
		if (!p->steps[i].transactional) {
			if (r->cfg->transaction == RT_TXN_ALL && p->n > 1)
				notice(r, "revision '%s' cannot run inside a transaction: it runs on its own, "
				          "and the work before it is committed first", p->steps[i].rev->id);
			rc = run_autocommit_step(r, &p->steps[i]);
			i = j;
			continue;
		}
		if (r->cfg->transaction == RT_TXN_ALL)
			while (j < p->n && p->steps[j].transactional)
				j++;
		rc = run_txn_unit(r, p->steps, i, j);
		i = j;
	}
	return rc;
}

static int heads_to_text(struct rt_buf *b, const struct rt_revlist *l)
{
	int rc = 0;
	if (l->n == 0)
		return rt_buf_puts(b, "base");
	for (size_t i = 0; i < l->n && rc == 0; i++)
		rc = rt_buf_addf(b, "%s%s", i ? ", " : "", l->items[i]->id);
	return rc;
}

int rt_offline_sql(const struct rt_graph *g, const struct rt_plan *plan, const struct rt_writer *w)
{
	struct runner r = { 1, NULL, w, g->dialect, g->cfg, g, NULL, plan };
	struct rt_buf b = RT_BUF_INIT, from = RT_BUF_INIT, to = RT_BUF_INIT;
	int rc;

	if ((rc = heads_to_text(&from, &plan->heads_before)) < 0 ||
	    (rc = heads_to_text(&to, &plan->heads_after)) < 0)
		goto out;
	rc = emitf(&r, "-- retort %s: %s from %s to %s (%zu step%s)\n-- dialect: %s; transaction: %s\n",
	           RT_VERSION, rt_direction_name(plan->direction), from.ptr, to.ptr, plan->n,
	           plan->n == 1 ? "" : "s", g->dialect == RT_DIALECT_SQLITE ? "sqlite" : "postgresql",
	           g->cfg->transaction == RT_TXN_ALL ? "all" : "per-revision");
	if (rc == 0 && g->dialect == RT_DIALECT_SQLITE)
		rc = emit(&r, "-- run with: sqlite3 DATABASE < this-file.sql\n");
	else if (rc == 0)
		rc = emit(&r, "-- run with: psql -v ON_ERROR_STOP=1 -f this-file.sql\n");
	if (rc == 0)
		rc = rt_sql_offline_prologue(&b, g->dialect, g->cfg);
	if (rc == 0)
		rc = emit(&r, b.ptr);
	if (rc == 0)
		rc = run_session_settings(&r);
	if (rc == 0 && (plan->heads_before.n == 0 || plan->purge))
		rc = create_tables(&r);
	if (rc == 0 && !plan->purge) {
		rt_buf_clear(&b);
		rc = emit(&r, "-- stop unless the database is where this script starts\n");
		if (rc == 0)
			rc = rt_sql_guard(&b, g->dialect, g->cfg, &plan->heads_before);
		if (rc == 0)
			rc = rt_buf_puts(&b, ";\n");
		if (rc == 0)
			rc = emit(&r, b.ptr);
	}
	if (rc == 0)
		rc = run_units(&r, (struct rt_plan *)plan);
	if (rc == 0)
		rc = emitf(&r, "\n-- done: the database is now at %s\n", to.ptr);
out:
	rt_buf_release(&b);
	rt_buf_release(&from);
	rt_buf_release(&to);
	return rc;
}

int rt_offline_range(const char *spec, char **from, char **to)
{
	const char *colon = strchr(spec, ':');
	*from = *to = NULL;
	if (!colon)
		return (*to = rt_strdup(spec)) ? 0 : RT_ENOMEM;
	if (colon == spec || !colon[1] || strchr(colon + 1, ':')) {
		rt_error_set(RT_EUSAGE, "invalid range '%s': expected FROM:TO", spec);
		return RT_EUSAGE;
	}
	*from = rt_strndup(spec, (size_t)(colon - spec));
	*to = rt_strdup(colon + 1);
	if (!*from || !*to) {
		free(*from);
		free(*to);
		*from = *to = NULL;
		return RT_ENOMEM;
	}
	return 0;
}

static int ensure_tables(struct runner *r)
{
	int v = 0, h = 0, rc;
	if ((rc = r->db->ops->table_exists(r->db, r->cfg->version_table_schema, r->cfg->version_table, &v)) < 0 ||
	    (rc = r->db->ops->table_exists(r->db, r->cfg->version_table_schema, r->cfg->history_table, &h)) < 0)
		return rc;
	if (v && h)
		return rt_db_upgrade_history(r->db);
	if (r->db->ops->prepare_schema && (rc = r->db->ops->prepare_schema(r->db)) < 0)
		return rc;
	return create_tables(r);
}

static int same_heads(const struct rt_revlist *a, const struct rt_revlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!rt_revlist_contains(b, a->items[i]))
			return 0;
	return 1;
}

/* Reads the state under the lock; with purge (stamp) an unreadable state is fine. */
static int read_state(struct runner *r, struct rt_state *st, int purge)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	int rc = rt_db_heads(r->db, &heads);
	if (rc == 0)
		rc = rt_state_from_heads(st, r->g, (const char *const *)heads.items, heads.n);
	if (rc == RT_ESTATE && purge) {
		rt_error_clear();
		rc = rt_state_from_heads(st, r->g, NULL, 0);
	}
	rt_strlist_release(&heads);
	return rc;
}

static int run_locked(struct runner *r, struct rt_plan *p)
{
	int rc;
	r->plan = p;
	if ((rc = run_session_settings(r)) < 0)
		return rc;
	return run_units(r, p);
}

int rt_run_plan(struct rt_db *db, const struct rt_graph *g, struct rt_plan *plan,
                const struct rt_run_events *ev)
{
	struct runner r = { 0, db, NULL, db->ops->dialect, db->cfg, g, ev, plan };
	struct rt_state st;
	int rc;

	db->events = ev;
	if ((rc = db->ops->lock(db, db->cfg->lock_wait_ms, ev)) < 0)
		return rc;
	if ((rc = ensure_tables(&r)) == 0 && (rc = read_state(&r, &st, plan->purge)) == 0) {
		if (!plan->purge && !same_heads(&st.heads, &plan->heads_before))
			rc = rt_error_set(RT_ESTATE, "the database moved since the plan was made");
		else
			rc = run_locked(&r, plan);
		rt_state_release(&st);
	}
	db->ops->unlock(db);
	return rc;
}

int rt_migrate(struct rt_db *db, const struct rt_graph *g, enum rt_direction dir,
               const char *target, unsigned flags, const struct rt_run_events *ev,
               struct rt_plan **plan_out)
{
	int purge = (flags & RT_MIGRATE_PURGE) != 0;
	struct runner r = { 0, db, NULL, db->ops->dialect, db->cfg, g, ev, NULL };
	struct rt_plan *plan = NULL;
	struct rt_state st;
	int rc, have_state = 0;

	if (plan_out)
		*plan_out = NULL;
	db->events = ev;
	if ((rc = check_interrupt()) < 0)
		return rc;
	if ((rc = db->ops->lock(db, db->cfg->lock_wait_ms, ev)) < 0)
		return rc;
	/* plan first: a bad target or a bad script changes nothing, not even by creating
	 * retort's tables (missing tables read as no version rows) */
	if ((rc = read_state(&r, &st, purge && dir == RT_STAMP)) < 0)
		goto out;
	have_state = 1;
	rc = dir == RT_STAMP ? rt_plan_stamp(&plan, g, &st, target, purge)
	                     : rt_plan_build(&plan, g, &st, dir, target);
	if (rc == 0)
		rc = rt_check_unfinished(db, plan);
	if (rc == 0)
		rc = rt_check_changed_downgrades(db, plan, (flags & RT_MIGRATE_ALLOW_CHANGED) != 0, ev);
	if (rc == 0 && plan->n > 0)
		rc = ensure_tables(&r);
	if (rc == 0)
		rc = run_locked(&r, plan);
out:
	if (have_state)
		rt_state_release(&st);
	db->ops->unlock(db);
	db->events = NULL;
	if (plan_out && plan)
		*plan_out = plan;
	else
		rt_plan_free(plan);
	return rc;
}
