/*
 * state.c - the database's state as the graph sees it: the version rows (one per head)
 * and the closure of every revision they imply. A table whose rows name unknown
 * revisions, or where one row is an ancestor of another, does not describe a state the
 * runner can produce: that is RT_ESTATE, and `stamp --purge` is the way out. What is
 * "current" (rt_state_is_current) follows Alembic: the applied revisions that end their
 * stream, which includes a dependency no row names.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void rt_state_release(struct rt_state *st)
{
	rt_revlist_release(&st->heads);
	free(st->applied);
	st->applied = NULL;
	st->napplied = 0;
}

static int cmp_rev_id(const void *a, const void *b)
{
	return strcmp((*(struct rt_revision *const *)a)->id, (*(struct rt_revision *const *)b)->id);
}

int rt_state_from_heads(struct rt_state *out, const struct rt_graph *g,
                        const char *const *heads, size_t nheads)
{
	unsigned char *below = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!(out->applied = rt_calloc(g->n ? g->n : 1, 1)))
		return RT_ENOMEM;
	if (!(below = rt_calloc(g->n ? g->n : 1, 1))) {
		rc = RT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nheads; i++) {
		struct rt_revision *r = rt_graph_get(g, heads[i]);
		if (!r) {
			rc = rt_error_set(RT_ESTATE,
			                  "the database is at revision '%s', which no revision file defines",
			                  heads[i]);
			rt_error_set_hint("Restore the missing file, or rewrite the version table with "
			                  "'retort stamp --purge TARGET'.");
			goto out;
		}
		if (rt_revlist_contains(&out->heads, r))
			continue;
		if ((rc = rt_revlist_push(&out->heads, r)) < 0 ||
		    (rc = rt_graph_mark_ancestors(g, r, 1, out->applied)) < 0 ||
		    (rc = rt_graph_mark_ancestors(g, r, 0, below)) < 0)
			goto out;
	}
	for (size_t i = 0; i < out->heads.n; i++) {
		struct rt_revision *r = out->heads.items[i];
		if (below[r->index]) {
			rc = rt_error_set(RT_ESTATE,
			                  "the version table lists '%s' and also a revision that descends from it",
			                  r->id);
			rt_error_set_hint("The table should hold only heads; fix it with 'retort stamp --purge TARGET'.");
			goto out;
		}
	}
	if (out->heads.n > 1)
		qsort(out->heads.items, out->heads.n, sizeof(*out->heads.items), cmp_rev_id);
	for (size_t i = 0; i < g->n; i++)
		out->napplied += out->applied[i] != 0;
out:
	free(below);
	if (rc < 0)
		rt_state_release(out);
	return rc;
}

int rt_state_is_current(const struct rt_state *st, const struct rt_revision *r)
{
	if (!st->applied || !st->applied[r->index])
		return 0;
	for (size_t i = 0; i < r->nchildren; i++)
		if (st->applied[r->children[i]->index])
			return 0;
	return 1;
}
