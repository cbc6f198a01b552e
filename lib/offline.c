/*
 * offline.c - offline mode: the SQL a run would execute, as a script for the database's
 * own client, written without connecting to any database.
 *
 * rt_offline_plan() resolves "[FROM:]TO": the starting state is what upgrading an empty
 * database to FROM would leave, so FROM takes every target form (an id, a prefix, a label,
 * heads, LABEL@head...) and "a,b" for several heads, each piece planned in turn; no FROM
 * means base. rt_offline_sql() writes the script: a header saying what it does, the
 * prologue and session settings, retort's tables when starting from base, the guard, and
 * the steps through the runner with the script sink (sink_sql.c).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "dialect.h"
#include "sink.h"

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

/* Replaces *st by the state after upgrading it to target. */
static int advance_state(const struct rt_graph *g, struct rt_state *st, const char *target)
{
	struct rt_plan *plan = NULL;
	struct rt_strlist ids = RT_STRLIST_INIT;
	struct rt_state next;
	int rc;

	if ((rc = rt_plan_build(&plan, g, st, RT_UPGRADE, target)) < 0)
		return rc;
	for (size_t i = 0; i < plan->heads_after.n && rc == 0; i++)
		rc = rt_strlist_push(&ids, plan->heads_after.items[i]->id);
	if (rc == 0)
		rc = rt_state_from_heads(&next, g, (const char *const *)ids.items, ids.n);
	rt_strlist_release(&ids);
	rt_plan_free(plan);
	if (rc < 0)
		return rc;
	rt_state_release(st);
	*st = next;
	return 0;
}

/* The state a database at from is in: from is NULL or "base" (empty), or targets
 * separated by commas. */
static int start_state(const struct rt_graph *g, const char *from, struct rt_state *st)
{
	struct rt_buf piece = RT_BUF_INIT;
	int rc;

	if ((rc = rt_state_from_heads(st, g, NULL, 0)) < 0 || !from || strcmp(from, "base") == 0)
		return rc;
	for (const char *p = from; *p && rc == 0;) {
		size_t n = strcspn(p, ",");
		rt_buf_clear(&piece);
		if ((rc = rt_buf_add(&piece, p, n)) == 0 && piece.len && strcmp(piece.ptr, "base") != 0)
			rc = advance_state(g, st, piece.ptr);
		p += n + (p[n] == ',');
	}
	rt_buf_release(&piece);
	if (rc < 0)
		rt_state_release(st);
	return rc;
}

int rt_offline_plan(struct rt_plan **out, const struct rt_graph *g, enum rt_direction dir,
                    const char *range, int purge)
{
	char *from = NULL, *to = NULL;
	struct rt_state st;
	int rc;

	*out = NULL;
	if ((rc = rt_offline_range(range, &from, &to)) < 0)
		return rc;
	if (dir == RT_DOWNGRADE && !from) {
		rc = rt_error_set(RT_EUSAGE, "downgrade --sql needs the starting revision as well: FROM:TO");
		rt_error_set_hint("For example: retort downgrade --sql head:base");
	} else if ((rc = start_state(g, from, &st)) == 0) {
		rc = dir == RT_STAMP ? rt_plan_stamp(out, g, &st, to, purge) : rt_plan_build(out, g, &st, dir, to);
		rt_state_release(&st);
	}
	free(from);
	free(to);
	return rc;
}

/* The header comment, the prologue and the session settings. */
static int script_start(struct rt_sink_sql *s, const struct rt_graph *g, const struct rt_plan *plan,
                        const char *from, const char *to)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc;

	rt_buf_addf(&b, "-- retort %s: %s from %s to %s (%zu step%s)\n-- dialect: %s; transaction: %s\n",
	            RT_VERSION, rt_direction_name(plan->direction), from, to, plan->n, plan->n == 1 ? "" : "s",
	            g->dialect == RT_DIALECT_SQLITE ? "sqlite" : "postgresql",
	            g->cfg->transaction == RT_TXN_ALL ? "all" : "per-revision");
	rt_buf_puts(&b, g->dialect == RT_DIALECT_SQLITE ? "-- run with: sqlite3 DATABASE < this-file.sql\n"
	                                               : "-- run with: psql -v ON_ERROR_STOP=1 -f this-file.sql\n");
	rt_sql_offline_prologue(&b, g->dialect, g->cfg);
	rc = rt_buf_status(&b) < 0 ? RT_ENOMEM : rt_sink_sql_emit(s, b.ptr);
	rt_buf_release(&b);
	return rc ? rc : rt_run_session_settings(&s->base);
}

static int script_guard(struct rt_sink_sql *s, const struct rt_graph *g, const struct rt_plan *plan)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc;

	rt_buf_puts(&b, "-- stop unless the database is where this script starts\n");
	rt_sql_guard(&b, g->dialect, g->cfg, &plan->heads_before);
	rt_buf_puts(&b, ";\n");
	rc = rt_buf_status(&b) < 0 ? RT_ENOMEM : rt_sink_sql_emit(s, b.ptr);
	rt_buf_release(&b);
	return rc;
}

int rt_offline_sql(const struct rt_graph *g, const struct rt_plan *plan, const struct rt_writer *w)
{
	struct rt_sink_sql s;
	struct rt_buf from = RT_BUF_INIT, to = RT_BUF_INIT, end = RT_BUF_INIT;
	int rc;

	rt_sink_sql_init(&s, g->dialect, g->cfg, w);
	rt_revlist_text(&from, &plan->heads_before, "base");
	rt_revlist_text(&to, &plan->heads_after, "base");
	rt_buf_addf(&end, "\n-- done: the database is now at %s\n", to.ptr);
	if ((rc = rt_buf_status(&from)) < 0 || (rc = rt_buf_status(&to)) < 0 || (rc = rt_buf_status(&end)) < 0)
		goto out;
	rc = script_start(&s, g, plan, from.ptr, to.ptr);
	if (rc == 0 && (plan->heads_before.n == 0 || plan->purge))
		rc = rt_run_create_tables(&s.base);
	if (rc == 0 && !plan->purge)
		rc = script_guard(&s, g, plan);
	if (rc == 0)
		rc = rt_run_steps(&s.base, g, (struct rt_plan *)plan, NULL);
	if (rc == 0)
		rc = rt_sink_sql_emit(&s, end.ptr);
out:
	rt_buf_release(&from);
	rt_buf_release(&to);
	rt_buf_release(&end);
	return rc;
}
