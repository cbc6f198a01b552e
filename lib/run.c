/*
 * run.c - the runner: walks the steps of a plan and sends their work to a sink (sink.h),
 * a database or a SQL script, through the same code and the same SQL (dialect.c), so a
 * script printed by --sql does what the online run does.
 *
 * Steps are grouped into transaction units: with transaction: per-revision each
 * revision is a unit, with transaction: all consecutive transactional revisions share
 * one. A revision that cannot run in a transaction block is a unit of its own whose
 * statements run in autocommit; its history row records how far it got (and a digest of
 * each statement that ran), and its version row is written only after the last statement
 * succeeded. After a revision's statements, the session is put back as it was
 * (rt_sql_session_reset()) before retort's bookkeeping. A failure the sink calls worth
 * retrying (a lock timeout) rolls the unit back and runs it again after a jittered backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"
#include "sink.h"

struct runner {
	struct rt_sink *s;
	const struct rt_graph *g;
	const struct rt_run_events *ev;
	const struct rt_plan *plan;
};

static void notice(const struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(const struct runner *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->s->ops->notice(r->s, msg);
}

/* One of retort's statements, built in b (cleared afterwards). */
static int meta(struct runner *r, struct rt_buf *b, const char *what)
{
	int rc = rt_buf_status(b) < 0 ? RT_ENOMEM : r->s->ops->meta(r->s, NULL, b->ptr, what);

	rt_buf_clear(b);
	return rc;
}

static int version_ops(struct runner *r, const struct rt_step *st)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < st->nops && rc == 0; i++) {
		rt_sql_version_op(&b, r->s->dialect, r->s->cfg, &st->ops[i]);
		rc = meta(r, &b, "a version table change");
	}
	rt_buf_release(&b);
	return rc;
}

/* completed: for a statement-by-statement run, how many statements an earlier run
 * completed (0 for a fresh one); -1 for a run inside one transaction. */
static int history_start(struct runner *r, const struct rt_step *st, int completed)
{
	struct rt_buf b = RT_BUF_INIT, sums = RT_BUF_INIT;
	struct rt_history_event he = { st->rev->id, rt_direction_name(st->direction), st->rev->script->checksum,
	                               NULL, NULL };
	char position[64];
	int rc;

	if (completed >= 0) { /* where it stands, and the digests of the statements that already ran */
		struct rt_position pos;
		rt_section_position(rt_step_section(st), (size_t)completed, &pos);
		rt_position_format(&pos, position, sizeof(position));
		he.position = position;
		rt_stmt_digests(rt_step_section(st), (size_t)completed, &sums);
		he.statement_checksums = completed > 0 ? sums.ptr : NULL;
	}
	rt_sql_history_start(&b, r->s->dialect, r->s->cfg, &he, "running", completed);
	rc = rt_buf_status(&sums) < 0 ? RT_ENOMEM : meta(r, &b, NULL);
	rt_buf_release(&b);
	rt_buf_release(&sums);
	return rc;
}

static int history_finish(struct runner *r, const struct rt_step *st, const char *status, int stmt_index)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc;

	rt_sql_history_finish(&b, r->s->dialect, r->s->cfg, st->rev->id, status, stmt_index, NULL);
	rc = meta(r, &b, "the history table update");
	rt_buf_release(&b);
	return rc;
}

/* After the statements of section ran: the session as it was before them, so that what a
 * revision SETs lasts until its end, as if every revision ran in a session of its own. */
static int reset_session(struct runner *r, const struct rt_section *sec)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *extra = r->s->ops->session_extra(r->s);
	int rc;

	rt_sql_session_reset(&b, r->s->dialect, r->s->cfg, sec);
	if (extra)
		rt_buf_addf(&b, "%s%s", b.len ? "; " : "", extra);
	rc = b.len || rt_buf_status(&b) < 0 ? meta(r, &b, NULL) : 0;
	rt_buf_release(&b);
	return rc;
}

/* After a failure and its rollback (the error saved): the reset, then the failure's history
 * row sql (may be NULL), so that a SET the revision made cannot redirect that row. */
static void after_failure(struct runner *r, const struct rt_section *sec, const char *sql)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *extra = r->s->ops->session_extra(r->s);

	if (sec) {
		rt_sql_session_reset(&b, r->s->dialect, r->s->cfg, sec);
		if (extra)
			rt_buf_addf(&b, "%s%s", b.len ? "; " : "", extra);
		if (b.len && rt_buf_status(&b) == 0)
			r->s->ops->after_failure(r->s, b.ptr);
	}
	if (sql)
		r->s->ops->after_failure(r->s, sql);
	rt_buf_release(&b);
	rt_error_clear(); /* what the clean-up set; the caller puts the failure back */
}

/* The failure's message as a history row keeps it: at most 2000 bytes. */
static char *error_text(const struct rt_error *saved)
{
	return rt_strndup(saved->message ? saved->message : "", 2000);
}

static int frame_comment(struct runner *r, const struct rt_step *st)
{
	struct rt_buf from = RT_BUF_INIT, text = RT_BUF_INIT;
	const struct rt_revision *rev = st->rev;
	int rc;

	if (!rev)
		return r->s->ops->comment(r->s, "\n-- Stamping the version table (no revision scripts run)\n");
	if (rev->nparents == 0)
		rt_buf_puts(&from, "<base>");
	rt_buf_join_ids(&from, rev->parents, rev->nparents, ", ");
	rt_buf_addf(&text, "\n-- %s %s -> %s: %s\n-- file: %s%s\n",
	            st->direction == RT_UPGRADE ? "Running upgrade" : "Running downgrade",
	            st->direction == RT_UPGRADE ? from.ptr : rev->id, st->direction == RT_UPGRADE ? rev->id : from.ptr,
	            rev->message, rt_path_relative(rev->path, r->s->cfg->dir),
	            st->transactional ? "" : "\n-- runs outside a transaction block");
	rc = rt_buf_status(&from) < 0 || rt_buf_status(&text) < 0 ? RT_ENOMEM : r->s->ops->comment(r->s, text.ptr);
	rt_buf_release(&from);
	rt_buf_release(&text);
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
		if ((rc = r->s->ops->user(r->s, &sec->stmts[i], 0)) < 0)
			return rc;
	if ((rc = reset_session(r, sec)) < 0 || (rc = version_ops(r, st)) < 0)
		return rc;
	return history_finish(r, st, "applied", -1);
}

/* A history row per version row after the stamp; "<base>" is no revision, so a stamp to
 * base writes none. */
static int stamp_history(struct runner *r, const struct rt_plan *p)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < p->heads_after.n; i++) {
		struct rt_revision *head = p->heads_after.items[i];
		struct rt_history_event he = { head->id, "stamp", NULL, NULL, NULL };
		if ((rc = rt_graph_load_script(r->g, head)) < 0)
			break;
		he.checksum = head->script->checksum;
		rt_sql_history_start(&b, r->s->dialect, r->s->cfg, &he, "running", -1);
		if ((rc = meta(r, &b, NULL)) == 0) {
			rt_sql_history_finish(&b, r->s->dialect, r->s->cfg, he.revision, "applied", -1, NULL);
			rc = meta(r, &b, "the history table update");
		}
	}
	rt_buf_release(&b);
	return rc;
}

static int stamp_body(struct runner *r, const struct rt_step *st)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;

	if (r->plan->purge) {
		rt_sql_version_purge(&b, r->s->dialect, r->s->cfg);
		rc = meta(r, &b, NULL);
	}
	rt_buf_release(&b);
	if (rc == 0)
		rc = version_ops(r, st);
	if (rc == 0)
		rc = r->s->ops->settle_unfinished(r->s);
	return rc ? rc : stamp_history(r, r->plan);
}

/* After a failed transactional unit was rolled back: a 'failed' history row for the step
 * that failed, begun at started (wall clock) and lasting ms. Keeps the error slot. */
static void record_failure(struct runner *r, const struct rt_step *st, const char *started, double ms)
{
	struct rt_buf b = RT_BUF_INIT;
	struct rt_error saved;
	char *err;

	if (!st->rev)
		return;
	rt_error_save(&saved);
	if ((err = error_text(&saved)) != NULL) {
		struct rt_history_event he = { st->rev->id, rt_direction_name(st->direction),
		                               st->rev->script->checksum, NULL, NULL };
		rt_sql_history_record(&b, r->s->dialect, r->s->cfg, &he, "failed", -1, err, started, ms);
	}
	after_failure(r, rt_step_section(st), err && rt_buf_status(&b) == 0 ? b.ptr : NULL);
	free(err);
	rt_buf_release(&b);
	rt_error_restore(&saved);
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
		if (rt_check_interrupt() < 0)
			return RT_EINTERRUPTED;
		rt_sleep_ms(ms - slept < 50 ? ms - slept : 50);
	}
	return 0;
}

/* After a failure: 1 when the unit runs again (after the backoff), 0 when it does not
 * (the error then says how many attempts it took), or an error (interrupted meanwhile). */
static int retry(const struct runner *r, int *attempt)
{
	int max = r->s->ops->retryable(r->s);

	if (max > *attempt) {
		(*attempt)++;
		return backoff(r, *attempt, max) < 0 ? RT_EINTERRUPTED : 1;
	}
	if (*attempt > 0 && max > 0)
		rt_error_prefix("gave up after %d attempts", *attempt + 1);
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
		rc = r->s->ops->begin(r->s);
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
		if ((rc = r->s->ops->commit(r->s)) == 0)
			clk[last - 1 - first].ms += rt_now_ms() - t0;
	}
	return rc;
}

/* A unit of consecutive transactional steps [first, last), retried after lock timeouts. */
static int run_txn_unit(struct runner *r, struct rt_step *steps, size_t first, size_t last)
{
	int attempt = 0, rc, again;
	size_t failed = first;
	struct step_clock *clk = rt_calloc(last - first, sizeof(*clk)), *fc;

	if (!clk)
		return RT_ENOMEM;
	while ((rc = txn_attempt(r, steps, first, last, clk, attempt, &failed)) < 0) {
		r->s->ops->rollback(r->s);
		if ((again = retry(r, &attempt)) <= 0) {
			rc = again < 0 ? again : rc;
			break;
		}
	}
	if (rc == 0) {
		for (size_t i = first; i < last; i++)
			fire_end(r, &steps[i], 0, clk[i - first].ms);
		free(clk);
		return 0;
	}
	fc = &clk[failed - first];
	if (!fc->started[0]) { /* interrupted during a backoff: the step never began */
		rt_utc_now_iso_ms(fc->started);
		fc->t0 = rt_now_ms();
	}
	record_failure(r, &steps[failed], fc->started, rt_now_ms() - fc->t0);
	fire_end(r, &steps[failed], rc, fc->ms);
	free(clk);
	return rc;
}

/* After statement i of a statement-by-statement step completed: its history row says so,
 * with the statement's digest; under the bookkeeping guard, in a transaction of its own. */
static int record_progress(struct runner *r, const struct rt_step *st, size_t i)
{
	const struct rt_section *sec = rt_step_section(st);
	char digest[RT_STMT_DIGEST_LEN + 1], position[64];
	struct rt_buf b = RT_BUF_INIT;
	struct rt_position pos;
	int rc = rt_stmt_digest(&sec->stmts[i], digest);

	rt_section_position(sec, i + 1, &pos);
	rt_position_format(&pos, position, sizeof(position));
	if (rc == 0)
		rc = rt_sql_history_progress(&b, r->s->dialect, r->s->cfg, st->rev->id, (int)i + 1, position, digest);
	if (rc == 0)
		rc = r->s->ops->meta(r->s, rt_sql_bookkeeping_guard(r->s->dialect), b.ptr, "the history table update");
	rt_buf_release(&b);
	return rc;
}

/* The statements of a statement-by-statement step from *i on; *i is where it stopped. */
static int run_statements(struct runner *r, const struct rt_step *st, size_t *i, int resuming)
{
	const struct rt_section *sec = rt_step_section(st);
	size_t from = *i;
	int rc = 0, attempt = 0, again;

	for (; *i < sec->n; (*i)++) {
		while ((rc = r->s->ops->user(r->s, &sec->stmts[*i], resuming && *i == from)) < 0)
			if ((again = retry(r, &attempt)) <= 0) {
				rc = again < 0 ? again : rc;
				break;
			}
		if (rc < 0)
			return rc;
		attempt = 0;
		if ((rc = record_progress(r, st, *i)) < 0) {
			(*i)++; /* it completed, recorded or not: a rerun must not run it again */
			return rc;
		}
	}
	return 0;
}

/* A step whose statements run one by one in autocommit. */
static int run_autocommit_step(struct runner *r, struct rt_step *st)
{
	const struct rt_section *sec = rt_step_section(st);
	struct rt_buf b = RT_BUF_INIT;
	double t0 = rt_now_ms();
	size_t i = 0;
	int rc, resuming = 0;
	char *err;

	fire_begin(r, st);
	if ((rc = r->s->ops->resume(r->s, st, &i, &resuming)) < 0 || (rc = frame_comment(r, st)) < 0 ||
	    (rc = history_start(r, st, (int)i)) < 0)
		goto out;
	rc = run_statements(r, st, &i, resuming);
	/* the reset first, outside the transaction: SQLite's foreign_keys changes only there */
	if (rc == 0 && (rc = reset_session(r, sec)) == 0 && (rc = r->s->ops->begin(r->s)) == 0 &&
	    (rc = version_ops(r, st)) == 0 && (rc = history_finish(r, st, "applied", (int)sec->n)) == 0)
		rc = r->s->ops->commit(r->s);
	if (rc < 0) {
		struct rt_error saved;
		r->s->ops->rollback(r->s);
		rt_error_save(&saved);
		if ((err = error_text(&saved)) != NULL)
			rt_sql_history_finish(&b, r->s->dialect, r->s->cfg, st->rev->id, "failed", (int)i, err);
		after_failure(r, sec, err && rt_buf_status(&b) == 0 ? b.ptr : NULL);
		free(err);
		rt_error_restore(&saved);
	}
out:
	rt_buf_release(&b);
	fire_end(r, st, rc, rt_now_ms() - t0);
	return rc;
}

int rt_run_session_settings(struct rt_sink *s)
{
	struct rt_strlist sets = RT_STRLIST_INIT;
	int rc = rt_sql_session_settings(s->dialect, s->cfg, &sets);

	for (size_t i = 0; i < sets.n && rc == 0; i++)
		rc = s->ops->meta(s, NULL, sets.items[i], NULL);
	rt_strlist_release(&sets);
	return rc;
}

int rt_run_create_tables(struct rt_sink *s)
{
	struct rt_strlist stmts = RT_STRLIST_INIT;
	int rc = rt_sql_create_tables(s->dialect, s->cfg, &stmts);

	if (rc == 0)
		rc = s->ops->begin(s);
	for (size_t i = 0; i < stmts.n && rc == 0; i++)
		rc = s->ops->meta(s, NULL, stmts.items[i], NULL);
	if (rc == 0)
		rc = s->ops->commit(s);
	else
		s->ops->rollback(s);
	rt_strlist_release(&stmts);
	return rc;
}

int rt_run_steps(struct rt_sink *s, const struct rt_graph *g, struct rt_plan *p,
                 const struct rt_run_events *ev)
{
	struct runner r = { s, g, ev, p };
	size_t i = 0;
	int rc = 0;

	while (i < p->n && rc == 0) {
		size_t j = i + 1;
		if (!p->steps[i].transactional) {
			if (s->cfg->transaction == RT_TXN_ALL && p->n > 1)
				notice(&r, "revision '%s' cannot run inside a transaction: it runs on its own, "
				           "and the work before it is committed first", p->steps[i].rev->id);
			rc = run_autocommit_step(&r, &p->steps[i]);
			i = j;
			continue;
		}
		if (s->cfg->transaction == RT_TXN_ALL)
			while (j < p->n && p->steps[j].transactional)
				j++;
		rc = run_txn_unit(&r, p->steps, i, j);
		i = j;
	}
	return rc;
}
