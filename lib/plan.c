/*
 * plan.c - turns (graph, database state, target) into a plan: the ordered steps of an
 * upgrade, downgrade or stamp, each with the exact version-table changes it makes.
 *
 * The version table always holds the heads of the applied set (no row is an ancestor of
 * another). Applying R replaces those of R's parents and depends_on targets that are
 * rows with R (an UPDATE for the first, DELETEs for the rest, an INSERT when none is).
 * Removing R puts back each parent or dependency that nothing else applied still needs.
 * A downgrade or stamp to X keeps X: it removes the revisions above X through
 * down_revision edges and, transitively, what needs a removed one (mark_removed()).
 * Every script a plan runs is parsed while planning, so bad scripts, undefined
 * variables and irreversible revisions fail before anything runs.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "target.h"

void rt_plan_free(struct rt_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->steps[i].ops);
	free(p->steps);
	rt_revlist_release(&p->heads_before);
	rt_revlist_release(&p->heads_after);
	free(p);
}

struct sim {
	const struct rt_graph *g;
	unsigned char *applied;  /* copy of the state, updated step by step */
	unsigned char *is_head;
	struct rt_revlist heads; /* insertion order; sorted at the end */
};

static int sim_init(struct sim *s, const struct rt_graph *g, const struct rt_state *cur)
{
	memset(s, 0, sizeof(*s));
	s->g = g;
	s->applied = rt_calloc(g->n ? g->n : 1, 1);
	s->is_head = rt_calloc(g->n ? g->n : 1, 1);
	if (!s->applied || !s->is_head)
		return RT_ENOMEM;
	if (cur) {
		memcpy(s->applied, cur->applied, g->n);
		for (size_t i = 0; i < cur->heads.n; i++) {
			s->is_head[cur->heads.items[i]->index] = 1;
			if (rt_revlist_push(&s->heads, cur->heads.items[i]) < 0)
				return RT_ENOMEM;
		}
	}
	return 0;
}

static void sim_release(struct sim *s)
{
	free(s->applied);
	free(s->is_head);
	rt_revlist_release(&s->heads);
}

static void heads_remove(struct sim *s, struct rt_revision *r)
{
	s->is_head[r->index] = 0;
	for (size_t i = 0; i < s->heads.n; i++) {
		if (s->heads.items[i] == r) {
			memmove(&s->heads.items[i], &s->heads.items[i + 1],
			        (s->heads.n - i - 1) * sizeof(*s->heads.items));
			s->heads.n--;
			return;
		}
	}
}

static int heads_add(struct sim *s, struct rt_revision *r)
{
	s->is_head[r->index] = 1;
	return rt_revlist_push(&s->heads, r);
}

static struct rt_revision *pred(const struct rt_revision *r, size_t e)
{
	return e < r->nparents ? r->parents[e] : r->deps[e - r->nparents];
}

static int add_op(struct rt_step *st, size_t *cap, enum rt_verop_kind kind, const char *from,
                  const char *to)
{
	if (rt_grow_array(&st->ops, cap, st->nops + 1, sizeof(*st->ops)) < 0)
		return RT_ENOMEM;
	st->ops[st->nops].kind = kind;
	st->ops[st->nops].from = from;
	st->ops[st->nops].to = to;
	st->nops++;
	return 0;
}

/* Applies r to the simulation and records the version-table changes in st. */
static int sim_upgrade(struct sim *s, struct rt_revision *r, struct rt_step *st)
{
	size_t cap = 0, replaced = 0;
	int rc;

	for (size_t e = 0; e < r->nparents + r->ndeps; e++) {
		struct rt_revision *p = pred(r, e);
		if (!s->is_head[p->index])
			continue;
		rc = replaced++ == 0 ? add_op(st, &cap, RT_VER_UPDATE, p->id, r->id)
		                     : add_op(st, &cap, RT_VER_DELETE, p->id, NULL);
		if (rc < 0)
			return rc;
		heads_remove(s, p);
	}
	if (replaced == 0 && (rc = add_op(st, &cap, RT_VER_INSERT, NULL, r->id)) < 0)
		return rc;
	s->applied[r->index] = 1;
	return heads_add(s, r);
}

/* 1 when something applied other than r descends directly from p. */
static int still_needed(const struct sim *s, const struct rt_revision *p, const struct rt_revision *r)
{
	for (size_t i = 0; i < p->nchildren; i++)
		if (p->children[i] != r && s->applied[p->children[i]->index])
			return 1;
	for (size_t i = 0; i < p->ndependents; i++)
		if (p->dependents[i] != r && s->applied[p->dependents[i]->index])
			return 1;
	return 0;
}

static int sim_downgrade(struct sim *s, struct rt_revision *r, struct rt_step *st)
{
	size_t cap = 0, restored = 0;
	int rc;

	if (!s->is_head[r->index])
		return rt_error_set(RT_ERROR, "internal error: '%s' is removed while not a head", r->id);
	s->applied[r->index] = 0;
	heads_remove(s, r);
	for (size_t e = 0; e < r->nparents + r->ndeps; e++) {
		struct rt_revision *p = pred(r, e);
		if (!s->applied[p->index] || s->is_head[p->index] || still_needed(s, p, r))
			continue;
		rc = restored++ == 0 ? add_op(st, &cap, RT_VER_UPDATE, r->id, p->id)
		                     : add_op(st, &cap, RT_VER_INSERT, NULL, p->id);
		if (rc < 0 || (rc = heads_add(s, p)) < 0)
			return rc;
	}
	if (restored == 0)
		return add_op(st, &cap, RT_VER_DELETE, r->id, NULL);
	return 0;
}

static int cmp_rev_id(const void *a, const void *b)
{
	return strcmp((*(struct rt_revision *const *)a)->id, (*(struct rt_revision *const *)b)->id);
}

static int copy_sorted(struct rt_revlist *dst, const struct rt_revlist *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (rt_revlist_push(dst, src->items[i]) < 0)
			return RT_ENOMEM;
	if (dst->n > 1)
		qsort(dst->items, dst->n, sizeof(*dst->items), cmp_rev_id);
	return 0;
}

/* Loads each step's script, checks it can run in this direction, sets transactional. */
static int prepare_steps(const struct rt_graph *g, struct rt_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct rt_step *st = &p->steps[i];
		const struct rt_section *sec;
		int rc = rt_graph_bind_section(g, st->rev, st->direction);
		if (rc < 0)
			return rc;
		sec = st->direction == RT_UPGRADE ? &st->rev->script->upgrade : &st->rev->script->downgrade;
		if (st->direction == RT_DOWNGRADE && !sec->present) {
			rt_error_set(RT_EIRREVERSIBLE,
			             "%s: cannot downgrade through revision '%s': it has no '-- retort:downgrade' section",
			             st->rev->path, st->rev->id);
			rt_error_set_location(st->rev->path, 0);
			rt_error_set_hint("Nothing was changed. Downgrade to a target above '%s', or add a "
			                  "downgrade section to it if the change can be undone.",
			                  st->rev->id);
			return RT_EIRREVERSIBLE;
		}
		if ((rc = rt_section_transactional(st->rev, sec, g->dialect, &st->transactional)) < 0)
			return rc;
	}
	return 0;
}

static int build_steps(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                       const struct rt_revlist *order, struct rt_plan *p)
{
	struct sim s;
	int rc;

	if ((rc = sim_init(&s, g, cur)) < 0)
		goto out;
	if ((rc = copy_sorted(&p->heads_before, &cur->heads)) < 0)
		goto out;
	if (order->n && !(p->steps = rt_calloc(order->n, sizeof(*p->steps)))) {
		rc = RT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < order->n; i++) {
		size_t k = dir == RT_UPGRADE ? i : order->n - 1 - i;
		struct rt_step *st = &p->steps[p->n++];
		st->rev = order->items[k];
		st->direction = dir;
		st->transactional = 1;
		rc = dir == RT_UPGRADE ? sim_upgrade(&s, st->rev, st) : sim_downgrade(&s, st->rev, st);
		if (rc < 0)
			goto out;
	}
	rc = copy_sorted(&p->heads_after, &s.heads);
out:
	sim_release(&s);
	return rc;
}

/*
 * Marks in mark[] what moving down to t takes away (the caller keeps only what is applied).
 * RT_TARGET_UPTO: the revisions above each target through down_revision edges, and then,
 * transitively, every revision that needs one of those as a parent or through depends_on.
 * The targets stay, and so does what depends on a target itself. RT_TARGET_REMOVE: the
 * targets as well, and everything that needs them.
 */
static int mark_removed(const struct rt_graph *g, const struct rt_target *t, unsigned char *mark)
{
	int rc = 0;

	for (size_t i = 0; i < t->revs.n && rc == 0; i++) {
		struct rt_revision *r = t->revs.items[i];
		if (t->kind == RT_TARGET_REMOVE) {
			rc = rt_graph_mark_descendants(g, r, 1, mark);
			continue;
		}
		for (size_t c = 0; c < r->nchildren && rc == 0; c++)
			rc = rt_graph_mark_descendants(g, r->children[c], 1, mark);
	}
	return rc;
}

static int not_applied_error(const struct rt_state *cur, const struct rt_revision *r)
{
	struct rt_buf b = RT_BUF_INIT;
	rt_revlist_text(&b, &cur->heads, "base");
	rt_error_set(RT_EUSAGE, "cannot downgrade to '%s': it is not applied (the database is at %s)",
	             r->id, b.ptr);
	rt_error_set_hint("Use 'retort upgrade %s' to move forward.", r->id);
	rt_buf_release(&b);
	return RT_EUSAGE;
}

int rt_plan_build(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                  enum rt_direction dir, const char *target)
{
	struct rt_target t;
	struct rt_plan *p = NULL;
	struct rt_revlist order = RT_REVLIST_INIT;
	unsigned char *set = NULL;
	int rc;

	*out = NULL;
	if (dir == RT_STAMP)
		return rt_error_set(RT_EUSAGE, "use rt_plan_stamp for stamps");
	if ((rc = rt_target_resolve(g, cur, dir, target, &t)) < 0)
		return rc;
	if (!(p = rt_calloc(1, sizeof(*p))) || !(set = rt_calloc(g->n ? g->n : 1, 1))) {
		rc = RT_ENOMEM;
		goto out;
	}
	p->direction = dir;
	if (dir == RT_UPGRADE) {
		if (t.kind == RT_TARGET_REMOVE) {
			rc = rt_error_set(RT_EUSAGE, "'%s' is a downgrade target", target);
			goto out;
		}
		for (size_t i = 0; i < t.revs.n; i++)
			if ((rc = rt_graph_mark_ancestors(g, t.revs.items[i], 1, set)) < 0)
				goto out;
		for (size_t i = 0; i < g->n; i++)
			if (cur->applied[i])
				set[i] = 0;
	} else if (t.kind == RT_TARGET_BASE) {
		memcpy(set, cur->applied, g->n);
	} else {
		if (t.kind == RT_TARGET_UPTO && t.explicit_rev && !cur->applied[t.revs.items[0]->index]) {
			rc = not_applied_error(cur, t.revs.items[0]);
			goto out;
		}
		if ((rc = mark_removed(g, &t, set)) < 0)
			goto out;
		for (size_t i = 0; i < g->n; i++)
			if (!cur->applied[i])
				set[i] = 0;
	}
	if ((rc = rt_graph_topo_order(g, set, &order)) < 0 ||
	    (rc = build_steps(g, cur, dir, &order, p)) < 0 || (rc = prepare_steps(g, p)) < 0)
		goto out;
out:
	rt_target_release(&t);
	rt_revlist_release(&order);
	free(set);
	if (rc < 0) {
		rt_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* The applied set a stamp to t leaves, from the applied set in next (changed in place):
 * what a downgrade to the targets would remove goes, then the targets' closure comes. */
static int stamp_applied(const struct rt_graph *g, const struct rt_target *t, unsigned char *next)
{
	unsigned char *mark;
	int rc = 0;

	if (t->kind == RT_TARGET_BASE) {
		memset(next, 0, g->n);
		return 0;
	}
	if (!(mark = rt_calloc(g->n ? g->n : 1, 1)))
		return RT_ENOMEM;
	rc = mark_removed(g, t, mark);
	for (size_t i = 0; i < g->n; i++)
		if (mark[i])
			next[i] = 0;
	for (size_t i = 0; rc == 0 && t->kind == RT_TARGET_UPTO && i < t->revs.n; i++)
		rc = rt_graph_mark_ancestors(g, t->revs.items[i], 1, next);
	free(mark);
	return rc;
}

/* The version rows of an applied set: what nothing applied needs as parent or dependency. */
static int rows_of(const struct rt_graph *g, const unsigned char *applied, struct rt_revlist *out)
{
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++) {
		struct rt_revision *r = g->revs[i];
		int head = applied[i];
		for (size_t c = 0; head && c < r->nchildren; c++)
			head = !applied[r->children[c]->index];
		for (size_t c = 0; head && c < r->ndependents; c++)
			head = !applied[r->dependents[c]->index];
		if (head)
			rc = rt_revlist_push(out, r);
	}
	return rc;
}

/* The one step of a stamp: delete the rows that go, insert the new ones (all of them after
 * a purge). No step at all when nothing changes. */
static int stamp_step(struct rt_plan *p)
{
	struct rt_step st;
	size_t cap = 0;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	st.direction = RT_STAMP;
	st.transactional = 1;
	for (size_t i = 0; i < p->heads_before.n && rc == 0; i++)
		if (!rt_revlist_contains(&p->heads_after, p->heads_before.items[i]))
			rc = add_op(&st, &cap, RT_VER_DELETE, p->heads_before.items[i]->id, NULL);
	for (size_t i = 0; i < p->heads_after.n && rc == 0; i++)
		if (p->purge || !rt_revlist_contains(&p->heads_before, p->heads_after.items[i]))
			rc = add_op(&st, &cap, RT_VER_INSERT, NULL, p->heads_after.items[i]->id);
	if (rc == 0 && (st.nops > 0 || p->purge)) {
		if (!(p->steps = rt_calloc(1, sizeof(*p->steps))))
			rc = RT_ENOMEM;
		else
			p->steps[p->n++] = st;
	}
	if (rc < 0 || p->n == 0)
		free(st.ops);
	return rc;
}

int rt_plan_stamp_settle(struct rt_plan *p)
{
	if (p->direction != RT_STAMP || p->n > 0)
		return 0;
	if (!(p->steps = rt_calloc(1, sizeof(*p->steps))))
		return RT_ENOMEM;
	p->steps[0].direction = RT_STAMP;
	p->steps[0].transactional = 1;
	p->n = 1;
	return 0;
}

int rt_plan_stamp(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                  const char *target, int purge)
{
	struct rt_target t;
	struct rt_plan *p = NULL;
	unsigned char *next = NULL;
	struct rt_state empty;
	const struct rt_state *from = cur;
	int rc;

	*out = NULL;
	memset(&empty, 0, sizeof(empty));
	memset(&t, 0, sizeof(t));
	if (purge || !cur) {
		if (!(empty.applied = rt_calloc(g->n ? g->n : 1, 1)))
			return RT_ENOMEM;
		from = &empty;
	}
	if ((rc = rt_target_resolve(g, from, RT_STAMP, target, &t)) < 0)
		goto out;
	p = rt_calloc(1, sizeof(*p));
	next = rt_calloc(g->n ? g->n : 1, 1);
	if (!p || !next) {
		rc = RT_ENOMEM;
		goto out;
	}
	p->direction = RT_STAMP;
	p->purge = purge;
	memcpy(next, from->applied, g->n);
	if ((rc = stamp_applied(g, &t, next)) < 0 || (rc = copy_sorted(&p->heads_before, &from->heads)) < 0 ||
	    (rc = rows_of(g, next, &p->heads_after)) < 0)
		goto out;
	rc = stamp_step(p);
out:
	rt_target_release(&t);
	rt_state_release(&empty);
	free(next);
	if (rc < 0) {
		rt_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int rt_plan_one(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                struct rt_revision *rev, enum rt_direction dir)
{
	struct rt_revlist order = RT_REVLIST_INIT;
	struct rt_plan *p;
	int rc;

	*out = NULL;
	if (dir == RT_UPGRADE ? cur->applied[rev->index] : !rt_revlist_contains(&cur->heads, rev))
		return rt_error_set(RT_ESTATE, dir == RT_UPGRADE ? "revision '%s' is applied already"
		                                                 : "revision '%s' is not a head of the database",
		                    rev->id);
	for (size_t e = 0; dir == RT_UPGRADE && e < rev->nparents + rev->ndeps; e++)
		if (!cur->applied[pred(rev, e)->index])
			return rt_error_set(RT_ESTATE, "revision '%s' needs '%s', which is not applied", rev->id,
			                    pred(rev, e)->id);
	if (!(p = rt_calloc(1, sizeof(*p))))
		return RT_ENOMEM;
	p->direction = dir;
	rc = rt_revlist_push(&order, rev);
	if (rc == 0)
		rc = build_steps(g, cur, dir, &order, p);
	if (rc == 0)
		rc = prepare_steps(g, p);
	rt_revlist_release(&order);
	if (rc < 0) {
		rt_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
