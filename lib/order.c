/*
 * order.c - walks of the revision graph: ancestor and descendant closures, and the
 * deterministic topological order in which revisions are applied.
 *
 * Every walk is iterative with an explicit stack, so a linear history of 100,000
 * revisions cannot overflow the C stack, and each one is O(revisions + edges). Walks
 * terminate even on graphs with cycles (they are reported by graph.c).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Edge e of r going "down" (towards bases): parents first, then depends_on. */
static struct rt_revision *down_edge(const struct rt_revision *r, size_t e)
{
	return e < r->nparents ? r->parents[e] : r->deps[e - r->nparents];
}

static struct rt_revision *up_edge(const struct rt_revision *r, size_t e)
{
	return e < r->nchildren ? r->children[e] : r->dependents[e - r->nchildren];
}

static int mark_walk(const struct rt_graph *g, struct rt_revision *r, int include_self,
                     unsigned char *mark, int down)
{
	struct rt_revision **stack;
	size_t sp = 0;

	stack = rt_malloc((g->n + 1) * sizeof(*stack)); /* r itself may come back once, via a cycle */
	if (!stack)
		return RT_ENOMEM;
	if (include_self)
		mark[r->index] = 1;
	stack[sp++] = r;
	while (sp > 0) {
		struct rt_revision *x = stack[--sp];
		size_t ne = down ? x->nparents + x->ndeps : x->nchildren + x->ndependents;
		for (size_t e = 0; e < ne; e++) {
			struct rt_revision *y = down ? down_edge(x, e) : up_edge(x, e);
			if (mark[y->index])
				continue;
			mark[y->index] = 1;
			stack[sp++] = y; /* each revision is pushed at most once: sp <= n */
		}
	}
	free(stack);
	return 0;
}

int rt_graph_mark_ancestors(const struct rt_graph *g, struct rt_revision *r, int include_self,
                            unsigned char *mark)
{
	return mark_walk(g, r, include_self, mark, 1);
}

int rt_graph_mark_descendants(const struct rt_graph *g, struct rt_revision *r, int include_self,
                              unsigned char *mark)
{
	return mark_walk(g, r, include_self, mark, 0);
}

/*
 * Post-order depth-first search restricted to want[]: a revision is emitted after all of
 * its wanted parents (in down_revision order) and depends_on targets. The searches start
 * from the wanted revisions in id order, so the result depends only on the scripts.
 */
int rt_graph_topo_order(const struct rt_graph *g, const unsigned char *want, struct rt_revlist *out)
{
	unsigned char *state = rt_calloc(g->n ? g->n : 1, 1); /* 0 new, 1 open, 2 emitted */
	size_t *edge = rt_calloc(g->n ? g->n : 1, sizeof(size_t));
	struct rt_revision **stack = rt_malloc((g->n ? g->n : 1) * sizeof(*stack));
	int rc = 0;

	if (!state || !edge || !stack) {
		rc = RT_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < g->n && rc == 0; i++) {
		size_t sp = 0;
		if (!want[i] || state[i])
			continue;
		stack[sp++] = g->revs[i];
		state[i] = 1;
		while (sp > 0 && rc == 0) {
			struct rt_revision *x = stack[sp - 1];
			size_t e = edge[x->index];
			if (e < x->nparents + x->ndeps) {
				struct rt_revision *y = down_edge(x, e);
				edge[x->index]++;
				if (want[y->index] && !state[y->index]) {
					state[y->index] = 1;
					stack[sp++] = y;
				}
				continue;
			}
			state[x->index] = 2;
			sp--;
			rc = rt_revlist_push(out, x);
		}
	}
out:
	free(state);
	free(edge);
	free(stack);
	return rc;
}
