/*
 * changed_files.c - downgrades through revisions whose file changed since they were
 * applied.
 *
 * The downgrade section that runs is the one in the file now; if the file was edited
 * after its upgrade ran, that is not the downgrade anyone reviewed with it. Before a
 * downgrade plan runs, the checksum each of its revisions had when it was last applied
 * (the newest 'applied' upgrade or stamp row that recorded one) is compared with the
 * file's; a change stops the plan, unless the caller allows it, when each changed
 * revision is named in a notice and marked in its step (struct rt_step.changed).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"

struct applied_sums {
	struct rt_strlist revisions;
	struct rt_strlist sums;
	int failed;
};

static int collect_sum(void *ctx, int ncols, const char *const *v)
{
	struct applied_sums *a = ctx;

	if (ncols < 2 || !v[0] || !v[1])
		return 0;
	if (rt_strlist_push(&a->revisions, v[0]) < 0 || rt_strlist_push(&a->sums, v[1]) < 0) {
		a->failed = 1;
		return 1;
	}
	return 0;
}

static const char *sum_of(const struct applied_sums *a, const char *revision)
{
	for (size_t i = 0; i < a->revisions.n; i++)
		if (strcmp(a->revisions.items[i], revision) == 0)
			return a->sums.items[i];
	return NULL;
}

static int read_sums(struct rt_db *db, const struct rt_plan *p, struct applied_sums *a)
{
	struct rt_strlist ids = RT_STRLIST_INIT;
	struct rt_buf sql = RT_BUF_INIT;
	int exists = 0, rc = db->ops->table_exists(db, db->cfg->version_table_schema, db->cfg->history_table, &exists);

	if (rc < 0 || !exists)
		return rc;
	for (size_t i = 0; i < p->n && rc == 0; i++)
		if (p->steps[i].rev)
			rc = rt_strlist_push(&ids, p->steps[i].rev->id);
	if (rc == 0)
		rc = rt_sql_select_applied_checksums(&sql, db->ops->dialect, db->cfg, &ids);
	if (rc == 0)
		rc = db->ops->query(db, sql.ptr, collect_sum, a);
	if (rc == 0 && a->failed)
		rc = RT_ENOMEM;
	rt_buf_release(&sql);
	rt_strlist_release(&ids);
	return rc;
}

static int refuse(const struct rt_step *st, const char *then)
{
	rt_error_set(RT_ESTATE, "%s: revision '%s' changed since it was applied (sha256 %.12s then, %.12s now): "
	             "its downgrade section may not undo what its upgrade did", st->rev->path, st->rev->id, then,
	             st->rev->script->checksum);
	rt_error_set_location(st->rev->path, 0);
	rt_error_set_hint("Nothing was changed. Restore the file as it was applied, or pass --allow-changed to run "
	                  "the downgrade as the file is now; 'retort check' lists every changed revision.");
	return RT_ESTATE;
}

int rt_check_changed_downgrades(struct rt_db *db, struct rt_plan *p, int allow, const struct rt_run_events *ev)
{
	struct applied_sums a = { RT_STRLIST_INIT, RT_STRLIST_INIT, 0 };
	int rc = 0;

	if (p->direction != RT_DOWNGRADE || p->n == 0)
		return 0;
	if ((rc = read_sums(db, p, &a)) == 0) {
		for (size_t i = 0; i < p->n && rc == 0; i++) {
			struct rt_step *st = &p->steps[i];
			const char *then = st->rev ? sum_of(&a, st->rev->id) : NULL;
			if (!then || rt_script_checksum_is(st->rev->script, then))
				continue;
			if (!allow) {
				rc = refuse(st, then);
				break;
			}
			st->changed = 1;
			if (ev && ev->notice) {
				char *msg = rt_asprintf("revision '%s' changed since it was applied; running its downgrade as "
				                        "the file is now (--allow-changed)", st->rev->id);
				if (msg)
					ev->notice(ev->ctx, msg);
				free(msg);
			}
		}
	}
	rt_strlist_release(&a.revisions);
	rt_strlist_release(&a.sums);
	return rc;
}
