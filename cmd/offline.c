/*
 * offline.c - offline mode of upgrade, downgrade and stamp (--sql [FROM:]TO): the SQL a
 * run would execute, printed without connecting to any database.
 *
 * The library plans the range (rt_offline_plan(): FROM takes every target form, "a,b" for
 * several heads, no FROM means base) and writes the script (rt_offline_sql()) into a
 * buffer that is printed only once complete, so a failure never leaves half a script on
 * stdout.
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

int migrate_offline(struct cli *cli, const struct migrate_request *req)
{
	struct rt_buf sql = RT_BUF_INIT;
	struct rt_writer w = { &sql, buf_write };
	struct rt_plan *plan = NULL;
	struct rt_graph *g;
	char *from = NULL, *to = NULL;
	int rc;

	if ((rc = rt_offline_range(req->sql_range, &from, &to)) < 0 || (rc = cli_load_graph(cli, 0, &g)) < 0 ||
	    (rc = rt_offline_plan(&plan, g, req->dir, req->sql_range, (req->flags & RT_MIGRATE_PURGE) != 0)) < 0)
		goto out;
	out_info("%zu step%s from %s to %s", plan->n, plan->n == 1 ? "" : "s", from ? from : "base", to);
	if ((rc = rt_offline_sql(g, plan, &w)) < 0)
		goto out;
	out_write(sql.ptr, sql.len);
out:
	rt_plan_free(plan);
	rt_buf_release(&sql);
	free(from);
	free(to);
	return rc;
}
