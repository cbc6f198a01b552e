/*
 * target.c - turns a target string into a struct rt_target (see target.h).
 *
 * Forms, as in Alembic: head, heads, base, a full id, a unique id prefix, a branch
 * label, LABEL@head, LABEL@base, +N and -N (relative to the database), REV+N and REV-N
 * (relative to a revision, along children / parents), LABEL@+N and LABEL@-N (relative
 * to where the database is on that branch). A whole string that names a revision or a
 * label always wins over the REV±N reading, so labels may contain '-'.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "target.h"

void rt_target_release(struct rt_target *t)
{
	rt_revlist_release(&t->revs);
}

/* "a1, b2, c3", at most ten of them and then how many more. */
static int list_ids(struct rt_buf *b, struct rt_revision *const *revs, size_t n)
{
	rt_buf_join_ids(b, revs, n < 10 ? n : 10, ", ");
	if (n > 10)
		rt_buf_addf(b, ", ... (%zu more)", n - 10);
	return rt_buf_status(b);
}

size_t rt_graph_match(const struct rt_graph *g, const char *ref, struct rt_revision **out)
{
	size_t len = strlen(ref), n = 0;

	*out = NULL;
	if ((*out = rt_graph_get(g, ref)) || (*out = rt_graph_get_label(g, ref)))
		return 1;
	for (size_t i = 0; len > 0 && i < g->n && n < 2; i++)
		if (strncmp(g->revs[i]->id, ref, len) == 0) {
			*out = n ? NULL : g->revs[i];
			n++;
		}
	return n;
}

/* The message of an ambiguous prefix: every id it starts. */
static int ambiguous_prefix(const struct rt_graph *g, const char *ref)
{
	struct rt_revlist matches = RT_REVLIST_INIT;
	struct rt_buf b = RT_BUF_INIT;
	size_t len = strlen(ref);
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++)
		if (strncmp(g->revs[i]->id, ref, len) == 0)
			rc = rt_revlist_push(&matches, g->revs[i]);
	if (rc == 0 && (rc = list_ids(&b, matches.items, matches.n)) == 0) {
		rc = rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: it starts %zu revision ids: %s", ref,
		                  matches.n, b.ptr);
		rt_error_set_hint("Write more of the id.");
	}
	rt_buf_release(&b);
	rt_revlist_release(&matches);
	return rc;
}

int rt_graph_lookup(const struct rt_graph *g, const char *ref, struct rt_revision **out)
{
	size_t n = rt_graph_match(g, ref, out);

	if (n == 1)
		return 0;
	if (n > 1)
		return ambiguous_prefix(g, ref);
	rt_error_set(RT_ENOTFOUND, "no revision, branch label or id prefix matches '%s'", ref);
	rt_error_set_hint("Run 'retort history' to list the revisions.");
	return RT_ENOTFOUND;
}

/* Parses "+N"/"-N" in the len bytes at s; 1 when they are exactly that, with N at most
 * 10^9 (leading zeros allowed). N may be 0 ("here"). */
static int relative_n(const char *s, size_t len, long *n)
{
	long v = 0;

	if (len < 2 || (s[0] != '+' && s[0] != '-'))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
		if (v > 1000000000L)
			return 0;
	}
	*n = s[0] == '-' ? -v : v;
	return 1;
}

static int parse_relative(const char *s, long *n)
{
	return relative_n(s, strlen(s), n);
}

int rt_target_is_relative(const char *spec, size_t len)
{
	const char *at = memchr(spec, '@', len);
	long n;

	return relative_n(spec, len, &n) || (at && relative_n(at + 1, len - (size_t)(at + 1 - spec), &n));
}

static int multiple_heads(struct rt_revision *const *heads, size_t n, const char *what)
{
	struct rt_buf b = RT_BUF_INIT;
	if (list_ids(&b, heads, n) < 0)
		return RT_ENOMEM;
	rt_error_set(RT_EMULTIHEADS, "%s has %zu heads: %s", what, n, b.ptr);
	rt_error_set_hint("Use 'heads' for all of them, LABEL@head for one branch, or a revision id; "
	                  "'retort merge -m MSG heads' joins them.");
	rt_buf_release(&b);
	return RT_EMULTIHEADS;
}

static int need_state(const struct rt_state *cur, const char *spec)
{
	if (cur)
		return 0;
	rt_error_set(RT_EUSAGE, "'%s' is relative to the database's current revision, which is not known here",
	             spec);
	rt_error_set_hint("Name a revision instead (REV-N and REV+N count from a revision); with --sql, "
	                  "give the starting point as FROM:TO.");
	return RT_EUSAGE;
}

/* "+0", "-0", LABEL@+0: where the database is. */
static int set_here(const struct rt_state *cur, struct rt_target *t)
{
	t->kind = cur->heads.n ? RT_TARGET_UPTO : RT_TARGET_BASE;
	for (size_t i = 0; i < cur->heads.n; i++)
		if (rt_revlist_push(&t->revs, cur->heads.items[i]) < 0)
			return RT_ENOMEM;
	return 0;
}

/* REV+N (n > 0) along children, REV-N along parents. Stepping below a base gives BASE
 * semantics through *below_base. */
static int walk(const struct rt_graph *g, struct rt_revision *r, long n, const char *spec,
                const char *label, struct rt_revision **out, struct rt_revision **below)
{
	(void)g;
	*below = NULL;
	for (long step = 0; step < labs(n); step++) {
		struct rt_revision *next = NULL;
		size_t count = 0;
		if (n > 0) {
			for (size_t i = 0; i < r->nchildren; i++) {
				if (label && !rt_strlist_contains(&r->children[i]->member_of, label))
					continue;
				next = r->children[i];
				count++;
			}
			if (count == 0) {
				rt_error_set(RT_EUSAGE, "'%s' goes past the head '%s'", spec, r->id);
				rt_error_set_hint("Use a smaller number, or 'head'.");
				return RT_EUSAGE;
			}
			if (count > 1) {
				struct rt_buf b = RT_BUF_INIT;
				list_ids(&b, r->children, r->nchildren);
				rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: '%s' is a branch point with children %s",
				             spec, r->id, b.ptr);
				rt_error_set_hint("Use the id of the branch you mean, or LABEL@+N.");
				rt_buf_release(&b);
				return RT_EAMBIGUOUS;
			}
		} else {
			if (r->nparents == 0) {
				if (step == labs(n) - 1) {
					*below = r;
					*out = NULL;
					return 0;
				}
				rt_error_set(RT_EUSAGE, "'%s' goes below the base", spec);
				rt_error_set_hint("Use a smaller number, or 'base'.");
				return RT_EUSAGE;
			}
			if (r->nparents > 1) {
				struct rt_buf b = RT_BUF_INIT;
				list_ids(&b, r->parents, r->nparents);
				rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: '%s' is a merge of %s", spec, r->id,
				             b.ptr);
				rt_error_set_hint("Use the id of the parent you mean.");
				rt_buf_release(&b);
				return RT_EAMBIGUOUS;
			}
			next = r->parents[0];
		}
		r = next;
	}
	*out = r;
	return 0;
}

/* The lowest revisions of a branch: members whose parents are not members. */
static int branch_bottoms(const struct rt_graph *g, const char *label, struct rt_revlist *out)
{
	int rc = 0;
	for (size_t i = 0; i < g->n && rc == 0; i++) {
		struct rt_revision *r = g->revs[i];
		int bottom = 1;
		if (!rt_strlist_contains(&r->member_of, label))
			continue;
		for (size_t p = 0; p < r->nparents; p++)
			if (rt_strlist_contains(&r->parents[p]->member_of, label))
				bottom = 0;
		if (bottom)
			rc = rt_revlist_push(out, r);
	}
	return rc;
}

static int branch_heads(const struct rt_graph *g, const char *label, struct rt_revlist *out)
{
	int rc = 0;
	for (size_t i = 0; i < g->nheads && rc == 0; i++)
		if (rt_strlist_contains(&g->heads[i]->member_of, label))
			rc = rt_revlist_push(out, g->heads[i]);
	return rc;
}

static int set_single(struct rt_target *t, struct rt_revision *r)
{
	t->kind = RT_TARGET_UPTO;
	t->explicit_rev = 1;
	return rt_revlist_push(&t->revs, r);
}

/* REV+N / REV-N (label: LABEL@head+N stays on the branch): the revision n steps from r,
 * or, stepping just below a base, the removal of that base. */
static int walk_target(const struct rt_graph *g, struct rt_revision *r, long n, const char *spec,
                       const char *label, struct rt_target *t)
{
	struct rt_revision *dest = NULL, *below = NULL;
	int rc = walk(g, r, n, spec, label, &dest, &below);

	if (rc < 0)
		return rc;
	if (below) {
		t->kind = RT_TARGET_REMOVE;
		return rt_revlist_push(&t->revs, below);
	}
	return set_single(t, dest);
}

/* +N from the database state: N times, the one revision whose parents and dependencies
 * are all applied. Two or more such revisions (the database sits below a branch point,
 * or at several independent roots) make it ambiguous. */
static int relative_up(const struct rt_graph *g, const struct rt_state *cur, long n, const char *spec,
                       struct rt_target *t)
{
	unsigned char *applied = rt_malloc(g->n ? g->n : 1);
	struct rt_revlist next = RT_REVLIST_INIT;
	long step;
	int rc = 0;

	if (!applied)
		return RT_ENOMEM;
	memcpy(applied, cur->applied, g->n);
	t->kind = RT_TARGET_UPTO;
	for (step = 0; step < n && rc == 0; step++) {
		next.n = 0;
		for (size_t i = 0; i < g->n && rc == 0; i++) {
			struct rt_revision *r = g->revs[i];
			int ready = !applied[i];
			for (size_t e = 0; ready && e < r->nparents; e++)
				ready = applied[r->parents[e]->index];
			for (size_t e = 0; ready && e < r->ndeps; e++)
				ready = applied[r->deps[e]->index];
			if (ready)
				rc = rt_revlist_push(&next, r);
		}
		if (rc < 0)
			break;
		if (next.n == 0) {
			rc = rt_error_set(RT_EUSAGE, "cannot upgrade by %ld: only %ld revision%s ahead of the database",
			                  n, step, step == 1 ? " is" : "s are");
			rt_error_set_hint("Use a smaller number, or 'heads'.");
		} else if (next.n > 1) {
			struct rt_buf b = RT_BUF_INIT;
			list_ids(&b, next.items, next.n);
			rc = rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: after %ld step%s the next revision could be any of %s",
			                  spec, step, step == 1 ? "" : "s", b.ptr);
			rt_error_set_hint("Use LABEL@%s or REV%s, or upgrade to a revision id.", spec, spec);
			rt_buf_release(&b);
		} else {
			applied[next.items[0]->index] = 1;
			rc = rt_revlist_push(&t->revs, next.items[0]);
		}
	}
	rt_revlist_release(&next);
	free(applied);
	return rc;
}

/* -N from the database state: the last N applied revisions in upgrade order. */
static int relative_down(const struct rt_graph *g, const struct rt_state *cur, long n,
                         const char *spec, struct rt_target *t)
{
	struct rt_revlist order = RT_REVLIST_INIT;
	int rc;

	if (cur->heads.n > 1) {
		struct rt_buf b = RT_BUF_INIT;
		list_ids(&b, cur->heads.items, cur->heads.n);
		rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: the database has %zu heads: %s", spec,
		             cur->heads.n, b.ptr);
		rt_error_set_hint("Use LABEL@%s or REV%s to say which branch.", spec, spec);
		rt_buf_release(&b);
		return RT_EAMBIGUOUS;
	}
	if ((rc = rt_graph_topo_order(g, cur->applied, &order)) < 0)
		return rc;
	if (order.n < (size_t)-n) {
		rc = rt_error_set(RT_EUSAGE, "cannot downgrade by %ld: only %zu revision%s applied", -n,
		                  order.n, order.n == 1 ? " is" : "s are");
		rt_error_set_hint("Use a smaller number, or 'base'.");
	} else {
		t->kind = RT_TARGET_REMOVE;
		for (size_t i = order.n - (size_t)-n; i < order.n && rc == 0; i++)
			rc = rt_revlist_push(&t->revs, order.items[i]);
	}
	rt_revlist_release(&order);
	return rc;
}

/* The topmost applied revisions of branch label (one, unless the database is at several
 * of its revisions). */
static int branch_position(const struct rt_graph *g, const struct rt_state *cur, const char *label,
                           struct rt_revlist *out)
{
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++) {
		struct rt_revision *r = g->revs[i];
		int top = 1;
		if (!cur->applied[i] || !rt_strlist_contains(&r->member_of, label))
			continue;
		for (size_t c = 0; c < r->nchildren; c++)
			if (cur->applied[r->children[c]->index] &&
			    rt_strlist_contains(&r->children[c]->member_of, label))
				top = 0;
		if (top)
			rc = rt_revlist_push(out, r);
	}
	return rc;
}

/* LABEL@-N from top, the database's revision on the branch: the lowest of the top N
 * revisions of the branch, all of which (and what is above them) are to be removed. */
static int branch_lowest(struct rt_revision *top, const char *label, long n, const char *spec,
                         struct rt_revision **out)
{
	struct rt_revision *lowest = top;

	for (long k = 1; k < -n; k++) {
		if (lowest->nparents != 1) {
			int code = lowest->nparents ? RT_EAMBIGUOUS : RT_EUSAGE;
			rt_error_set(code, lowest->nparents ? "'%s' is ambiguous: '%s' is a merge"
			                                    : "'%s' goes below the base at '%s'",
			             spec, lowest->id);
			rt_error_set_hint("Use a smaller number, or a revision id.");
			return code;
		}
		lowest = lowest->parents[0];
		if (!rt_strlist_contains(&lowest->member_of, label)) {
			rt_error_set(RT_EUSAGE, "'%s' goes below the start of branch '%s'", spec, label);
			rt_error_set_hint("Use a smaller number, or '%s@base' to remove the branch.", label);
			return RT_EUSAGE;
		}
	}
	*out = lowest;
	return 0;
}

/* LABEL@+N with nothing of the branch applied: N revisions up from its first one. */
static int branch_from_bottom(const struct rt_graph *g, const char *label, long n, const char *spec,
                              struct rt_revision **dest, struct rt_revision **below)
{
	struct rt_revlist bottoms = RT_REVLIST_INIT;
	int rc = branch_bottoms(g, label, &bottoms);

	if (rc == 0 && bottoms.n != 1) {
		rc = rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: branch '%s' starts at %zu revisions",
		                  spec, label, bottoms.n);
		rt_error_set_hint("Upgrade to the revision id you mean first.");
	} else if (rc == 0) {
		rc = n == 1 ? (*dest = bottoms.items[0], 0)
		            : walk(g, bottoms.items[0], n - 1, spec, label, dest, below);
	}
	rt_revlist_release(&bottoms);
	return rc;
}

/* LABEL@+N / LABEL@-N: from the database's revision on that branch. */
static int relative_on_branch(const struct rt_graph *g, const struct rt_state *cur, const char *label,
                              long n, const char *spec, struct rt_target *t)
{
	struct rt_revlist at = RT_REVLIST_INIT;
	struct rt_revision *dest = NULL, *below = NULL;
	int rc = branch_position(g, cur, label, &at);

	if (rc < 0) {
		/* out of memory */
	} else if (at.n > 1) {
		rc = rt_error_set(RT_EAMBIGUOUS, "'%s' is ambiguous: the database is at several revisions of branch '%s'",
		                  spec, label);
		rt_error_set_hint("Use REV%s from the revision you mean.", spec + strlen(label) + 1);
	} else if (at.n == 1 && n < 0) {
		rc = branch_lowest(at.items[0], label, n, spec, &below);
	} else if (at.n == 1) {
		rc = walk(g, at.items[0], n, spec, label, &dest, &below);
	} else if (n < 0) {
		rc = rt_error_set(RT_EUSAGE, "'%s': nothing of branch '%s' is applied", spec, label);
		rt_error_set_hint("There is nothing of the branch to remove; 'retort current' shows "
		                  "where the database is.");
	} else {
		rc = branch_from_bottom(g, label, n, spec, &dest, &below);
	}
	if (rc == 0 && below) {
		t->kind = RT_TARGET_REMOVE;
		rc = rt_revlist_push(&t->revs, below);
	} else if (rc == 0) {
		rc = set_single(t, dest);
	}
	rt_revlist_release(&at);
	return rc;
}

/* The single head of LABEL@head (is_label) or REV@head (the heads above labelled). */
static int branch_head(const struct rt_graph *g, const char *left, int is_label,
                       struct rt_revision *labelled, struct rt_revision **out)
{
	struct rt_revlist list = RT_REVLIST_INIT;
	int rc;

	if (is_label) {
		rc = branch_heads(g, left, &list);
	} else {
		unsigned char *mark = rt_calloc(g->n ? g->n : 1, 1);
		if (!mark)
			return RT_ENOMEM;
		rc = rt_graph_mark_descendants(g, labelled, 1, mark);
		for (size_t i = 0; i < g->nheads && rc == 0; i++)
			if (mark[g->heads[i]->index])
				rc = rt_revlist_push(&list, g->heads[i]);
		free(mark);
	}
	if (rc == 0 && list.n == 0) {
		rc = rt_error_set(RT_ENOTFOUND, "branch '%s' has no head", left);
		rt_error_set_hint("'retort heads' lists the heads and their branches.");
	} else if (rc == 0 && list.n > 1) {
		char *what = rt_asprintf("branch '%s'", left);
		rc = what ? multiple_heads(list.items, list.n, what) : RT_ENOMEM;
		free(what);
	} else if (rc == 0) {
		*out = list.items[0];
	}
	rt_revlist_release(&list);
	return rc;
}

static int resolve_at(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                      const char *spec, const char *at, struct rt_target *t)
{
	char *left = rt_strndup(spec, (size_t)(at - spec));
	const char *right = at + 1;
	struct rt_revision *labelled = NULL, *head = NULL;
	long n;
	int rc = 0, is_label;

	if (!left)
		return RT_ENOMEM;
	is_label = rt_graph_get_label(g, left) != NULL;
	if (!is_label && (rc = rt_graph_lookup(g, left, &labelled)) < 0)
		goto out;
	if (strcmp(right, "head") == 0) {
		if ((rc = branch_head(g, left, is_label, labelled, &head)) == 0)
			rc = set_single(t, head);
	} else if (strncmp(right, "head", 4) == 0 && parse_relative(right + 4, &n)) {
		/* LABEL@head-N, as in Alembic: counted from the branch's head */
		if ((rc = branch_head(g, left, is_label, labelled, &head)) == 0)
			rc = walk_target(g, head, n, spec, is_label ? left : NULL, t);
	} else if (strcmp(right, "base") == 0) {
		if (!is_label) {
			rc = rt_error_set(RT_EUSAGE, "'%s': @base needs a branch label, and '%s' is not one", spec, left);
			rt_error_set_hint("'retort branches' lists the branches; labels come from branch_labels.");
		} else if (dir == RT_UPGRADE) {
			rc = rt_error_set(RT_EUSAGE, "'%s' is a downgrade target", spec);
			rt_error_set_hint("Use 'retort downgrade %s' to remove the branch.", spec);
		} else if ((rc = branch_bottoms(g, left, &t->revs)) == 0) {
			t->kind = RT_TARGET_REMOVE;
		}
	} else if (parse_relative(right, &n)) {
		if (!is_label) {
			rc = rt_error_set(RT_EUSAGE, "'%s': @%s needs a branch label, and '%s' is not one", spec,
			                  right, left);
			rt_error_set_hint("REV%s counts from a revision; LABEL@%s from where the database is "
			                  "on a branch.", right, right);
		} else if ((rc = need_state(cur, spec)) == 0) {
			rc = n == 0 ? set_here(cur, t) : relative_on_branch(g, cur, left, n, spec, t);
		}
	} else {
		rc = rt_error_set(RT_EUSAGE, "invalid target '%s': after '@' comes head, head-N, base, +N or -N",
		                  spec);
		rt_error_set_hint("For example: billing@head, billing@head-1, billing@base, billing@+1.");
	}
out:
	free(left);
	return rc;
}

/* Where REV+N / REV-N starts: a revision, or as in Alembic head (the single head) and
 * heads (all of them, so only when there is one). */
static int walk_start(const struct rt_graph *g, const char *ref, const char *spec,
                      struct rt_revision **out)
{
	if (strcmp(ref, "head") != 0 && strcmp(ref, "heads") != 0)
		return rt_graph_lookup(g, ref, out);
	if (g->nheads == 0) {
		rt_error_set(RT_EUSAGE, "'%s': there is no revision yet", spec);
		rt_error_set_hint("Write one with 'retort revision -m MSG'.");
		return RT_EUSAGE;
	}
	if (g->nheads > 1)
		return multiple_heads(g->heads, g->nheads, "the revision graph");
	*out = g->heads[0];
	return 0;
}

static int resolve_spec(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                        const char *spec, struct rt_target *out);

int rt_target_resolve(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                      const char *spec, struct rt_target *out)
{
	int rc = resolve_spec(g, cur, dir, spec, out);
	if (rc < 0)
		rt_target_release(out); /* a failure part-way leaves nothing to free */
	return rc;
}

static int resolve_spec(const struct rt_graph *g, const struct rt_state *cur, enum rt_direction dir,
                        const char *spec, struct rt_target *out)
{
	struct rt_revision *r;
	const char *at, *p;
	long n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!*spec) {
		rt_error_set(RT_EUSAGE, "empty target");
		rt_error_set_hint("Name a revision, or a target such as 'head' or 'base'.");
		return RT_EUSAGE;
	}
	if (strcmp(spec, "base") == 0) {
		out->kind = RT_TARGET_BASE;
		return 0;
	}
	if (strcmp(spec, "heads") == 0) {
		out->kind = RT_TARGET_UPTO;
		for (size_t i = 0; i < g->nheads; i++)
			if ((rc = rt_revlist_push(&out->revs, g->heads[i])) < 0)
				return rc;
		return 0;
	}
	if (strcmp(spec, "head") == 0) {
		if (g->nheads > 1)
			return multiple_heads(g->heads, g->nheads, "the revision graph");
		out->kind = g->nheads ? RT_TARGET_UPTO : RT_TARGET_BASE;
		return g->nheads ? rt_revlist_push(&out->revs, g->heads[0]) : 0;
	}
	if (parse_relative(spec, &n)) {
		if ((rc = need_state(cur, spec)) < 0)
			return rc;
		if (n == 0)
			return set_here(cur, out);
		if (n > 0 && dir == RT_DOWNGRADE) {
			rt_error_set(RT_EUSAGE, "'%s' is an upgrade target; downgrade takes -N", spec);
			rt_error_set_hint("Use 'retort upgrade %s'.", spec);
			return RT_EUSAGE;
		}
		if (n < 0 && dir == RT_UPGRADE) {
			rt_error_set(RT_EUSAGE, "'%s' is a downgrade target; upgrade takes +N", spec);
			rt_error_set_hint("Use 'retort downgrade %s'.", spec);
			return RT_EUSAGE;
		}
		return n > 0 ? relative_up(g, cur, n, spec, out) : relative_down(g, cur, n, spec, out);
	}
	if ((at = strchr(spec, '@')))
		return resolve_at(g, cur, dir, spec, at, out);
	if ((r = rt_graph_get(g, spec)) || (r = rt_graph_get_label(g, spec)))
		return set_single(out, r);
	/* REV+N / REV-N: a trailing sign and digits after a non-empty reference */
	for (p = spec + strlen(spec); p > spec && isdigit((unsigned char)p[-1]); p--)
		;
	if (p > spec + 1 && p[0] != '\0' && (p[-1] == '+' || p[-1] == '-')) {
		char *ref = rt_strndup(spec, (size_t)(p - 1 - spec));
		if (!ref)
			return RT_ENOMEM;
		if (!parse_relative(p - 1, &n)) /* too many digits: as far as a walk can go */
			n = p[-1] == '-' ? -1000000001L : 1000000001L;
		rc = walk_start(g, ref, spec, &r);
		free(ref);
		return rc < 0 ? rc : walk_target(g, r, n, spec, NULL, out);
	}
	if ((rc = rt_graph_lookup(g, spec, &r)) < 0)
		return rc;
	return set_single(out, r);
}

/* A target that is a state below revisions (LABEL@base, -N, LABEL@-N, REV-N below a
 * base) names no revision to show, edit or build on. */
static int downgrade_target(const char *ref)
{
	rt_error_set(RT_EUSAGE, "'%s' is a downgrade target", ref);
	rt_error_set_hint("Name a revision: an id, a branch label, LABEL@head or REV-N.");
	return RT_EUSAGE;
}

/* base, or head before the first revision: no revision, which only a parent list takes. */
static int names_none(const char *ref, enum rt_ref_purpose purpose)
{
	if (purpose == RT_REF_PARENTS)
		return 0;
	rt_error_set(RT_ENOTFOUND, "'%s' names no revision", ref);
	rt_error_set_hint("Run 'retort history' to list the revisions.");
	return RT_ENOTFOUND;
}

static int not_one(const char *ref, const struct rt_revlist *revs)
{
	struct rt_buf b = RT_BUF_INIT;

	if (list_ids(&b, revs->items, revs->n) < 0)
		return RT_ENOMEM;
	rt_error_set(RT_EAMBIGUOUS, "'%s' stands for %zu revisions: %s", ref, revs->n, b.ptr);
	rt_error_set_hint("Name one revision.");
	rt_buf_release(&b);
	return RT_EAMBIGUOUS;
}

int rt_graph_resolve(const struct rt_graph *g, const struct rt_state *cur, const char *ref,
                     enum rt_ref_purpose purpose, struct rt_revlist *out)
{
	struct rt_target t;
	int rc;

	if (strchr(ref, ':')) {
		rt_error_set(RT_EUSAGE, "expected one revision, not a range: '%s'", ref);
		rt_error_set_hint("Name one revision; 'retort history -r A:B' lists a range.");
		return RT_EUSAGE;
	}
	/* RT_STAMP: every form is allowed; what names no revision is refused below */
	if ((rc = rt_target_resolve(g, cur, RT_STAMP, ref, &t)) < 0)
		return rc;
	if (t.kind == RT_TARGET_REMOVE)
		rc = downgrade_target(ref);
	else if (t.revs.n == 0)
		rc = names_none(ref, purpose);
	else if (purpose == RT_REF_ONE && t.revs.n != 1)
		rc = not_one(ref, &t.revs);
	for (size_t i = 0; rc == 0 && i < t.revs.n; i++)
		if (!rt_revlist_contains(out, t.revs.items[i]))
			rc = rt_revlist_push(out, t.revs.items[i]);
	rt_target_release(&t);
	return rc;
}
