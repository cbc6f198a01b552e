/*
 * range.c - the revision lists behind `history`: all revisions, or a range "A:B" (A and
 * B included; either side may be empty or "current"), newest first.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "target.h"

static int newest_first(const struct rt_graph *g, const unsigned char *set, struct rt_revlist *out)
{
	struct rt_revlist order = RT_REVLIST_INIT;
	int rc = rt_graph_topo_order(g, set, &order);
	for (size_t i = order.n; rc == 0 && i > 0; i--)
		rc = rt_revlist_push(out, order.items[i - 1]);
	rt_revlist_release(&order);
	return rc;
}

int rt_graph_all_newest_first(const struct rt_graph *g, struct rt_revlist *out)
{
	unsigned char *all = rt_malloc(g->n ? g->n : 1);
	int rc;
	if (!all)
		return RT_ENOMEM;
	memset(all, 1, g->n);
	rc = newest_first(g, all, out);
	free(all);
	return rc;
}

/* Marks the revisions one side of a range stands for: for the lower side everything that
 * descends from it (itself included), for the upper side everything below it. */
static int mark_side(const struct rt_graph *g, const struct rt_state *cur, const char *spec,
                     int lower, unsigned char *mark)
{
	struct rt_target t;
	int rc = 0;

	if (strcmp(spec, "current") == 0) {
		if (!cur)
			return rt_error_set(RT_EUSAGE, "'current' needs a database, and none is available");
		if (lower && cur->heads.n == 0) {
			memset(mark, 1, g->n);
			return 0;
		}
		for (size_t i = 0; i < cur->heads.n && rc == 0; i++)
			rc = lower ? rt_graph_mark_descendants(g, cur->heads.items[i], 1, mark)
			           : rt_graph_mark_ancestors(g, cur->heads.items[i], 1, mark);
		return rc;
	}
	if ((rc = rt_target_resolve(g, cur, lower ? RT_DOWNGRADE : RT_UPGRADE, spec, &t)) < 0)
		return rc;
	if (t.kind == RT_TARGET_BASE) {
		if (lower)
			memset(mark, 1, g->n);
	} else {
		for (size_t i = 0; i < t.revs.n && rc == 0; i++)
			rc = lower ? rt_graph_mark_descendants(g, t.revs.items[i], 1, mark)
			           : rt_graph_mark_ancestors(g, t.revs.items[i], 1, mark);
	}
	rt_target_release(&t);
	return rc;
}

int rt_graph_range(const struct rt_graph *g, const char *spec, const struct rt_state *cur,
                   struct rt_revlist *out)
{
	const char *colon = strchr(spec, ':');
	unsigned char *lo = rt_malloc(g->n ? g->n : 1), *hi = rt_malloc(g->n ? g->n : 1);
	char *left = NULL;
	int rc = 0;

	if (!lo || !hi) {
		rc = RT_ENOMEM;
		goto out;
	}
	memset(lo, 0, g->n);
	memset(hi, 0, g->n);
	if (!colon) {
		struct rt_revision *r;
		if ((rc = rt_graph_lookup(g, spec, &r)) == 0)
			rc = rt_revlist_push(out, r);
		goto out;
	}
	if (!(left = rt_strndup(spec, (size_t)(colon - spec)))) {
		rc = RT_ENOMEM;
		goto out;
	}
	if (*left) {
		if ((rc = mark_side(g, cur, left, 1, lo)) < 0)
			goto out;
	} else {
		memset(lo, 1, g->n);
	}
	if (colon[1]) {
		if ((rc = mark_side(g, cur, colon + 1, 0, hi)) < 0)
			goto out;
	} else {
		memset(hi, 1, g->n);
	}
	{
		size_t any = 0;
		for (size_t i = 0; i < g->n; i++)
			any += (lo[i] = lo[i] && hi[i]) != 0;
		if (any == 0 && *left && colon[1] && strcmp(left, "current") != 0 &&
		    strcmp(colon + 1, "current") != 0 && strcmp(left, "base") != 0) {
			rc = rt_error_set(RT_EUSAGE, "range '%s' is empty: '%s' is not below '%s'", spec, left,
			                  colon + 1);
			rt_error_set_hint("Write the older revision first: OLDER:NEWER.");
			goto out;
		}
	}
	rc = newest_first(g, lo, out);
out:
	free(lo);
	free(hi);
	free(left);
	return rc;
}
