/*
 * offline.c - offline mode of upgrade, downgrade and stamp (--sql [FROM:]TO): the SQL a
 * run would execute, printed without connecting to any database.
 *
 * The starting state is what upgrading an empty database to FROM would leave, so FROM
 * takes every target form (an id, a prefix, a label, heads, LABEL@head...) and "a,b"
 * for several heads; no FROM means base. The plan from there to TO is written by
 * rt_offline_sql() into a buffer that is printed only once complete, so a failure never
 * leaves half a script on stdout.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "migrate.h"
#include "output.h"

static int buf_write(void *ctx, const char *data, size_t len)
{
	return rt_buf_add(ctx, data, len);
}

/* Replaces *st by the state after upgrading it to target. */
static int advance_state(const struct rt_graph *g, struct rt_state *st, const char *target)
{
	struct rt_plan *plan = NULL;
	const char **ids = NULL;
	struct rt_state next;
	int rc;

	if ((rc = rt_plan_build(&plan, g, st, RT_UPGRADE, target)) < 0)
		return rc;
	if (plan->heads_after.n) {
		ids = malloc(plan->heads_after.n * sizeof(*ids));
		if (!ids) {
			rt_plan_free(plan);
			return RT_ENOMEM;
		}
		for (size_t i = 0; i < plan->heads_after.n; i++)
			ids[i] = plan->heads_after.items[i]->id;
	}
	memset(&next, 0, sizeof(next));
	rc = rt_state_from_heads(&next, g, ids, plan->heads_after.n);
	free(ids);
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
	char *copy, *piece, *save = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = rt_state_from_heads(st, g, NULL, 0)) < 0)
		return rc;
	if (!from || strcmp(from, "base") == 0)
		return 0;
	copy = strdup(from);
	if (!copy)
		return RT_ENOMEM;
	for (piece = strtok_r(copy, ",", &save); piece && rc == 0; piece = strtok_r(NULL, ",", &save)) {
		if (*piece && strcmp(piece, "base") != 0)
			rc = advance_state(g, st, piece);
	}
	free(copy);
	return rc;
}

int migrate_offline(struct cli *cli, const struct migrate_request *req)
{
	struct rt_buf sql = RT_BUF_INIT;
	struct rt_writer w = { &sql, buf_write };
	struct rt_state st;
	struct rt_plan *plan = NULL;
	struct rt_graph *g;
	char *from = NULL, *to = NULL;
	int rc;

	memset(&st, 0, sizeof(st));
	if ((rc = rt_offline_range(req->sql_range, &from, &to)) < 0)
		return rc;
	if (req->dir == RT_DOWNGRADE && !from) {
		rc = cli_fail(cli, RT_EUSAGE, "For example: retort downgrade --sql head:base",
		              "downgrade --sql needs the starting revision as well: FROM:TO");
		goto out;
	}
	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		goto out;
	if ((rc = start_state(g, from, &st)) < 0)
		goto out;
	if (req->dir == RT_STAMP)
		rc = rt_plan_stamp(&plan, g, &st, to, (req->flags & RT_MIGRATE_PURGE) != 0);
	else
		rc = rt_plan_build(&plan, g, &st, req->dir, to);
	if (rc < 0)
		goto out;
	out_info("%zu step%s from %s to %s", plan->n, plan->n == 1 ? "" : "s",
	         from ? from : "base", to);
	if ((rc = rt_offline_sql(g, plan, &w)) < 0)
		goto out;
	out_write(sql.ptr, sql.len);
out:
	rt_plan_free(plan);
	rt_state_release(&st);
	rt_buf_release(&sql);
	free(from);
	free(to);
	return rc;
}
