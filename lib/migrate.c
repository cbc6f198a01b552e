/*
 * migrate.c - rt_migrate(): upgrade, downgrade or stamp a database to a target.
 *
 * Under the migration lock: read the version rows, plan (a bad target or a bad script
 * changes nothing, not even by creating retort's tables: missing tables read as no
 * version rows), refuse a plan that would build on a revision an earlier run left
 * unfinished or run the downgrade of a revision edited since it was applied, create the
 * tables when needed, then hand the plan to the runner with the database sink.
 */
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "sink.h"

static int ensure_tables(struct rt_sink_db *s)
{
	struct rt_db *db = s->db;
	const struct rt_config *cfg = db->cfg;
	int v = 0, h = 0, rc;

	if ((rc = db->ops->table_exists(db, cfg->version_table_schema, cfg->version_table, &v)) < 0 ||
	    (rc = db->ops->table_exists(db, cfg->version_table_schema, cfg->history_table, &h)) < 0)
		return rc;
	if (v && h)
		return rt_db_upgrade_history(db);
	if (db->ops->prepare_schema && (rc = db->ops->prepare_schema(db)) < 0)
		return rc;
	return rt_run_create_tables(&s->base);
}

/* The state under the lock; with purge (stamp) an unreadable one is fine. */
static int read_state(struct rt_db *db, const struct rt_graph *g, struct rt_state *st, int purge)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	int rc = rt_db_heads(db, &heads);

	if (rc == 0)
		rc = rt_state_from_heads(st, g, (const char *const *)heads.items, heads.n);
	if (rc == RT_ESTATE && purge) {
		rt_error_clear();
		rc = rt_state_from_heads(st, g, NULL, 0);
	}
	rt_strlist_release(&heads);
	return rc;
}

static int plan_under_lock(struct rt_db *db, const struct rt_graph *g, enum rt_direction dir,
                           const char *target, unsigned flags, struct rt_plan **plan)
{
	int purge = (flags & RT_MIGRATE_PURGE) != 0, rc;
	struct rt_state st;

	if ((rc = read_state(db, g, &st, purge && dir == RT_STAMP)) < 0)
		return rc;
	rc = dir == RT_STAMP ? rt_plan_stamp(plan, g, &st, target, purge) : rt_plan_build(plan, g, &st, dir, target);
	rt_state_release(&st);
	return rc;
}

int rt_migrate(struct rt_db *db, const struct rt_graph *g, enum rt_direction dir,
               const char *target, unsigned flags, const struct rt_run_events *ev,
               struct rt_plan **plan_out)
{
	struct rt_sink_db sink;
	struct rt_plan *plan = NULL;
	int rc;

	if (plan_out)
		*plan_out = NULL;
	if ((rc = rt_check_interrupt()) < 0)
		return rc;
	rt_sink_db_init(&sink, db, ev);
	rt_db_set_notice(db, ev ? ev->notice : NULL, ev ? ev->ctx : NULL);
	if ((rc = db->ops->lock(db, db->cfg->lock_wait_ms)) < 0)
		goto out;
	rc = plan_under_lock(db, g, dir, target, flags, &plan);
	if (rc == 0)
		rc = rt_check_unfinished(db, plan);
	if (rc == 0)
		rc = rt_check_changed_downgrades(db, plan, (flags & RT_MIGRATE_ALLOW_CHANGED) != 0, ev);
	if (rc == 0 && plan->n > 0)
		rc = ensure_tables(&sink);
	if (rc == 0)
		rc = rt_run_session_settings(&sink.base);
	if (rc == 0)
		rc = rt_run_steps(&sink.base, g, plan, ev);
	db->ops->unlock(db);
out:
	rt_db_set_notice(db, NULL, NULL);
	if (plan_out && plan)
		*plan_out = plan;
	else
		rt_plan_free(plan);
	return rc;
}
