/*
 * range.c - the revision lists behind `history`: all revisions, or a range "A:B" (A and
 * B included; either side may be empty or "current"), or the revisions one target names
 * (rt_graph_resolve), newest first.
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

int rt_graph_range_needs_state(const char *range)
{
	for (const char *side = range;;) {
		size_t len = strcspn(side, ":");

		if ((len == 7 && strncmp(side, "current", 7) == 0) || rt_target_is_relative(side, len))
			return 1;
		if (side[len] != ':')
			return 0;
		side += len + 1;
	}
}

/* Marks revs and, for the lower side of a range, everything that descends from them, for
 * the upper side everything below them. */
static int mark_revs(const struct rt_graph *g, const struct rt_revlist *revs, int lower,
                     unsigned char *mark)
{
	int rc = 0;

	for (size_t i = 0; i < revs->n && rc == 0; i++)
		rc = lower ? rt_graph_mark_descendants(g, revs->items[i], 1, mark)
		           : rt_graph_mark_ancestors(g, revs->items[i], 1, mark);
	return rc;
}

/* Marks the revisions one side of a range stands for (see mark_revs); an empty side, and
 * base or an empty database as the lower side, stand for everything. */
static int mark_side(const struct rt_graph *g, const struct rt_state *cur, const char *spec,
                     int lower, unsigned char *mark)
{
	struct rt_target t;
	int rc;

	if (!*spec) {
		memset(mark, 1, g->n);
		return 0;
	}
	if (strcmp(spec, "current") == 0) {
		if (!cur)
			return rt_error_set(RT_EUSAGE, "'current' needs a database, and none is available");
		if (lower && cur->heads.n == 0)
			memset(mark, 1, g->n);
		return mark_revs(g, &cur->heads, lower, mark);
	}
	if ((rc = rt_target_resolve(g, cur, lower ? RT_DOWNGRADE : RT_UPGRADE, spec, &t)) < 0)
		return rc;
	if (t.kind == RT_TARGET_BASE && lower)
		memset(mark, 1, g->n);
	else if (t.kind != RT_TARGET_BASE)
		rc = mark_revs(g, &t.revs, lower, mark);
	rt_target_release(&t);
	return rc;
}

/* "A:B" with A and B both given, and neither "current" nor base: nothing between them
 * means they are the wrong way round. */
static int check_not_empty(const struct rt_graph *g, const char *spec, const char *left,
                           const char *right, const unsigned char *set)
{
	for (size_t i = 0; i < g->n; i++)
		if (set[i])
			return 0;
	if (!*left || !*right || strcmp(left, "current") == 0 || strcmp(right, "current") == 0 ||
	    strcmp(left, "base") == 0)
		return 0;
	rt_error_set(RT_EUSAGE, "range '%s' is empty: '%s' is not below '%s'", spec, left, right);
	rt_error_set_hint("Write the older revision first: OLDER:NEWER.");
	return RT_EUSAGE;
}

/* The revisions from left to right (both included), newest first. */
static int between(const struct rt_graph *g, const struct rt_state *cur, const char *spec,
                   const char *left, const char *right, struct rt_revlist *out)
{
	unsigned char *lo = rt_calloc(g->n ? g->n : 1, 1), *hi = rt_calloc(g->n ? g->n : 1, 1);
	int rc = lo && hi ? 0 : RT_ENOMEM;

	if (rc == 0 && (rc = mark_side(g, cur, left, 1, lo)) == 0 &&
	    (rc = mark_side(g, cur, right, 0, hi)) == 0) {
		for (size_t i = 0; i < g->n; i++)
			lo[i] = lo[i] && hi[i];
		if ((rc = check_not_empty(g, spec, left, right, lo)) == 0)
			rc = newest_first(g, lo, out);
	}
	free(lo);
	free(hi);
	return rc;
}

/* The revisions one target names, newest first. */
static int named(const struct rt_graph *g, const struct rt_state *cur, const char *spec,
                 struct rt_revlist *out)
{
	struct rt_revlist revs = RT_REVLIST_INIT;
	unsigned char *set = rt_calloc(g->n ? g->n : 1, 1);
	int rc = set ? rt_graph_resolve(g, cur, spec, RT_REF_ANY, &revs) : RT_ENOMEM;

	for (size_t i = 0; rc == 0 && i < revs.n; i++)
		set[revs.items[i]->index] = 1;
	if (rc == 0)
		rc = newest_first(g, set, out);
	rt_revlist_release(&revs);
	free(set);
	return rc;
}

int rt_graph_range(const struct rt_graph *g, const char *spec, const struct rt_state *cur,
                   struct rt_revlist *out)
{
	const char *colon = strchr(spec, ':');
	char *left;
	int rc;

	if (!colon && strcmp(spec, "current") == 0)
		return between(g, cur, spec, spec, spec, out); /* the revisions the database is at */
	if (!colon)
		return named(g, cur, spec, out);
	if (!(left = rt_strndup(spec, (size_t)(colon - spec))))
		return RT_ENOMEM;
	rc = between(g, cur, spec, left, colon + 1, out);
	free(left);
	return rc;
}
