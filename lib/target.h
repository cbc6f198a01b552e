/*
 * target.h - resolving target strings ("head", "ae1f", "billing@-2", "+3", ...) into
 * sets of revisions. The one parser of the target grammar: the planner and the history
 * ranges call rt_target_resolve() for the kind of state a target means, every other
 * caller rt_graph_resolve() (retort.h) for the revisions it names, and the graph reads
 * depends_on entries with rt_graph_match().
 */
#ifndef RETORT_TARGET_H
#define RETORT_TARGET_H

#include "retort.h"

enum rt_target_kind {
	RT_TARGET_UPTO,   /* the state that has revs applied: upgrade applies their closure,
	                   * downgrade removes what descends from them */
	RT_TARGET_BASE,   /* nothing applied */
	RT_TARGET_REMOVE, /* remove revs and everything applied that descends from them */
};

struct rt_target {
	enum rt_target_kind kind;
	struct rt_revlist revs;
	int explicit_rev; /* 1 when the spec named one revision (id, prefix, label, REV±N) */
};

/* cur may be NULL when no database state is known: then relative forms (+N, -N,
 * LABEL@±N) are usage errors. */
int rt_target_resolve(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                      const char *spec, struct rt_target *out);
void rt_target_release(struct rt_target *t);

/* What rt_graph_lookup() matches, without an error: ref as an id, then as a branch label,
 * then as the start of ids. Returns how many revisions match (0, 1, or 2 for two or
 * more); *out is the revision when exactly one does, else NULL. */
size_t rt_graph_match(const struct rt_graph *g, const char *ref, struct rt_revision **out);

/* 1 when the len bytes at spec count from the database state: +N, -N, LABEL@+N, LABEL@-N. */
int rt_target_is_relative(const char *spec, size_t len);

#endif
