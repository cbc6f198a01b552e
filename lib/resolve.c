/*
 * resolve.c - `retort resolve`: the DBA's way out of a statement-by-statement revision
 * that stopped part-way, without writing SQL by hand.
 *
 * The DBA checks the database and records what is there: --done (every statement took
 * effect, or was finished by hand: the version rows change as the step would have changed
 * them), --undone (nothing of it is left: the revision is as if it never ran) or
 * --retry-from N (statements before N took effect: the next upgrade or downgrade resumes at
 * statement N, with the file as it is now). One transaction, under the migration lock,
 * writes the version rows and a history row saying what was decided (status 'applied',
 * 'resolved' or 'failed' at N-1, the note in its error column), so the next run proceeds
 * and the history tells who decided what.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"

static const char *action_flag(enum rt_resolve_action a)
{
	return a == RT_RESOLVE_DONE ? "--done" : a == RT_RESOLVE_UNDONE ? "--undone" : "--retry-from";
}

static int nothing_to_resolve(const struct rt_revision *rev)
{
	rt_error_set(RT_EUSAGE, "revision '%s' has no unfinished run to resolve", rev->id);
	rt_error_set_hint("Only a statement-by-statement revision that was interrupted, or failed after "
	                  "completing statements, needs it; 'retort current --verbose' lists them.");
	return RT_EUSAGE;
}

/* The version-row changes of --done: the step the interrupted run would have finished. */
static int done_ops(struct rt_db *db, const struct rt_graph *g, struct rt_revision *rev,
                    enum rt_direction dir, struct rt_plan **plan)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	struct rt_state st;
	int rc = rt_db_heads(db, &heads);

	if (rc == 0 && (rc = rt_state_from_heads(&st, g, (const char *const *)heads.items, heads.n)) == 0) {
		rc = rt_plan_one(plan, g, &st, rev, dir);
		rt_state_release(&st);
	}
	rt_strlist_release(&heads);
	return rc;
}

static int exec_checked(struct rt_db *db, struct rt_buf *sql, int must_change_one)
{
	long changes = -1;
	int rc = db->ops->exec(db, sql->ptr, NULL, 0, must_change_one ? &changes : NULL);

	rt_buf_clear(sql);
	if (rc == 0 && must_change_one && changes != 1)
		rc = rt_error_set(RT_ESTATE, "a version table change changed %ld rows instead of 1; the database "
		                  "changed under this run", changes);
	return rc;
}

/* The history row of the decision, and for --done the version rows, in one transaction. */
static int record(struct rt_db *db, const struct rt_revision *rev, const struct rt_section *sec,
                  const struct rt_resolution *res, const struct rt_plan *plan, const char *note)
{
	enum rt_dialect d = db->ops->dialect;
	struct rt_buf sql = RT_BUF_INIT, sums = RT_BUF_INIT, text = RT_BUF_INIT;
	struct rt_history_event he = { rev->id, rt_direction_name(res->direction), rev->script->checksum, NULL, NULL };
	int index = res->action == RT_RESOLVE_DONE ? (int)sec->n : res->action == RT_RESOLVE_UNDONE ? 0
	                                                                                 : res->retry_from - 1;
	char started[32], position[64];
	struct rt_position pos;
	int rc;

	rt_utc_now_iso_ms(started);
	rc = rt_buf_addf(&text, "resolved by hand with 'retort resolve %s", action_flag(res->action));
	if (rc == 0 && res->action == RT_RESOLVE_RETRY)
		rc = rt_buf_addf(&text, " %d", res->retry_from);
	if (rc == 0)
		rc = rt_buf_addf(&text, "'%s%s", note && *note ? ": " : "", note ? note : "");
	if (rc == 0 && index > 0 && (rc = rt_stmt_digests(sec, (size_t)index, &sums)) == 0)
		he.statement_checksums = sums.ptr;
	rt_section_position(sec, (size_t)index, &pos);
	rt_position_format(&pos, position, sizeof(position));
	he.position = position;
	if (rc == 0 && (rc = db->ops->exec(db, rt_sql_begin(d), NULL, 0, NULL)) == 0) {
		for (size_t i = 0; plan && i < plan->steps[0].nops && rc == 0; i++)
			if ((rc = rt_sql_version_op(&sql, d, db->cfg, &plan->steps[0].ops[i])) == 0)
				rc = exec_checked(db, &sql, 1);
		if (rc == 0)
			rc = rt_sql_history_record(&sql, d, db->cfg, &he,
			                           res->action == RT_RESOLVE_DONE ? "applied"
			                           : res->action == RT_RESOLVE_UNDONE ? "resolved" : "failed",
			                           index, text.ptr, started, 0);
		if (rc == 0)
			rc = exec_checked(db, &sql, 1);
		if (rc == 0)
			rc = db->ops->exec(db, "COMMIT", NULL, 0, NULL);
		if (rc < 0) {
			struct rt_error saved;
			rt_error_save(&saved);
			db->ops->exec(db, "ROLLBACK", NULL, 0, NULL);
			rt_error_restore(&saved);
		}
	}
	rt_buf_release(&sql);
	rt_buf_release(&sums);
	rt_buf_release(&text);
	return rc;
}

static int check_retry_from(const struct rt_revision *rev, const struct rt_section *sec,
                            const struct rt_resolution *res)
{
	if (res->action != RT_RESOLVE_RETRY || (res->retry_from >= 1 && (size_t)res->retry_from <= sec->n))
		return 0;
	rt_error_set(RT_EUSAGE, "--retry-from %d is out of range: the %s section of revision '%s' has %zu "
	             "statement%s", res->retry_from, rt_direction_name(res->direction), rev->id, sec->n,
	             sec->n == 1 ? "" : "s");
	rt_error_set_hint("Give the number of the first statement still to run (1 to %zu), or --done when "
	                  "every statement took effect.", sec->n);
	return RT_EUSAGE;
}

/* Under the lock: the unfinished run of rev, and the decision recorded. */
static int resolve_locked(struct rt_db *db, const struct rt_graph *g, struct rt_revision *rev,
                          struct rt_resolution *res, const char *note)
{
	struct rt_history_row *u = NULL;
	struct rt_plan *plan = NULL;
	const struct rt_section *sec;
	int rc;

	if ((rc = rt_db_unfinished_of(db, rev->id, &u)) < 0)
		return rc;
	if (!u)
		return nothing_to_resolve(rev);
	res->direction = u->dir == RT_DOWNGRADE ? RT_DOWNGRADE : RT_UPGRADE;
	res->completed = u->statement_index;
	res->interrupted = u->run == RT_RUN_RUNNING;
	rt_history_rows_free(u, 1);
	if ((rc = rt_graph_bind_section(g, rev, res->direction)) < 0)
		return rc;
	sec = res->direction == RT_UPGRADE ? &rev->script->upgrade : &rev->script->downgrade;
	res->statements = (int)sec->n;
	if ((rc = check_retry_from(rev, sec, res)) < 0 || (rc = rt_db_upgrade_history(db)) < 0)
		return rc;
	if (res->action == RT_RESOLVE_DONE && (rc = done_ops(db, g, rev, res->direction, &plan)) < 0)
		return rc;
	rc = record(db, rev, sec, res, plan, note);
	rt_plan_free(plan);
	return rc;
}

int rt_resolve(struct rt_db *db, const struct rt_graph *g, const char *ref, enum rt_resolve_action action,
               int retry_from, const char *note, const struct rt_run_events *ev, struct rt_resolution *out)
{
	struct rt_revlist one = RT_REVLIST_INIT;
	struct rt_revision *rev;
	int rc;

	memset(out, 0, sizeof(*out));
	out->action = action;
	out->retry_from = retry_from;
	rc = rt_graph_resolve(g, NULL, ref, RT_REF_ONE, &one);
	rev = rc == 0 ? one.items[0] : NULL;
	rt_revlist_release(&one);
	if (rc < 0)
		return rc;
	out->revision = rev->id;
	rt_db_set_notice(db, ev ? ev->notice : NULL, ev ? ev->ctx : NULL);
	if ((rc = db->ops->lock(db, db->cfg->lock_wait_ms)) == 0) {
		rc = resolve_locked(db, g, rev, out, note);
		db->ops->unlock(db);
	}
	rt_db_set_notice(db, NULL, NULL);
	return rc;
}
