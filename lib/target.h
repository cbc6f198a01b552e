/*
 * target.h - resolving target strings ("head", "ae1f", "billing@-2", "+3", ...) into
 * sets of revisions, shared by the planner and the history ranges.
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

#endif
