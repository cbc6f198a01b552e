/*
 * fuzz_target.c - libFuzzer target for target and range strings: the input (up to its
 * first NUL) is the TARGET of upgrade, downgrade and stamp, the range of `history -r`
 * and the FROM:TO of --sql, resolved against a small fixed revision graph.
 *
 * At the first call a project is written to tmpfs: two roots, a branch point, labelled
 * branches (billing, audit.v2-x, reports), a merge, depends_on edges, ids sharing
 * prefixes, an irreversible revision and a non-transactional one. Its graph is loaded
 * once per dialect; each input then runs, from five database states (base, mid-way, two
 * branches, all) and from a state made of the input's comma-separated pieces:
 * rt_plan_build() up and down, rt_plan_stamp() with and without purge, rt_graph_range()
 * with and without a state, rt_graph_resolve() for each purpose, and the offline path
 * (rt_offline_range(), the FROM state, the plan, rt_offline_sql()).
 *
 * Oracles: the error contract; plans that hold only revisions of the graph, leave a
 * consistent version table (rt_state_from_heads() accepts heads_after), never remove a
 * revision when upgrading and never add one when downgrading; ranges without duplicates;
 * a range that rt_graph_range_needs_state() says needs no database is the same without
 * one; a reference resolves to revisions of the graph, none twice, exactly one for
 * RT_REF_ONE, and a range of one reference lists what rt_graph_resolve() names.
 */
#include "fuzz_common.h"
#include <limits.h>
#include "internal.h"

#define MAX_PIECES 8

static struct rt_config *cfg;
static struct rt_graph *graphs[2]; /* SQLite, PostgreSQL */
static struct rt_state states[5];

static void rev(const char *dir, const char *id, const char *down, const char *extra,
                int downgrade)
{
	char path[PATH_MAX], text[1024];

	snprintf(path, sizeof(path), "%s/versions/%s_fuzz.sql", dir, id);
	snprintf(text, sizeof(text),
	         "/*\nrevision: %s\ndown_revision: %s\nmessage: rev %s\n%s*/\n\n"
	         "-- retort:upgrade\nCREATE TABLE t_%s (id integer);\n"
	         "INSERT INTO t_%s VALUES (1);\n%s%s%s",
	         id, down, id, extra, id, id, downgrade ? "\n-- retort:downgrade\nDROP TABLE t_" : "",
	         downgrade ? id : "", downgrade ? ";\n" : "");
	fz_write_file(path, text, strlen(text));
}

static void state_of(struct rt_state *st, const char *const *heads, size_t n)
{
	if (rt_state_from_heads(st, graphs[0], heads, n) < 0) {
		fprintf(stderr, "fuzz_target: fixture state: %s\n", rt_error_last()->message);
		abort();
	}
}

static void setup(void)
{
	const char *dir = fz_scratch_dir();
	char path[PATH_MAX];
	static const char config[] = "script_location: .\n"
	                             "database:\n  url: sqlite:///fuzz.db\n"
	                             "variables:\n  role: app\n";
	struct rt_config_options o;

	snprintf(path, sizeof(path), "%s/versions", dir);
	if (mkdir(path, 0755) < 0)
		abort();
	rev(dir, "a1b2c3", "null", "", 1);
	rev(dir, "a1b2d4", "a1b2c3", "", 1);
	rev(dir, "b0", "a1b2d4", "branch_labels: [billing]\n", 1);
	rev(dir, "b1", "b0", "", 1);
	rev(dir, "c0", "a1b2d4", "branch_labels: [audit.v2-x]\n", 1);
	rev(dir, "c1", "c0", "", 0); /* irreversible */
	rev(dir, "m1", "[b1, c1]", "", 1);
	rev(dir, "m2", "m1", "transactional: false\n", 1);
	rev(dir, "r0", "null", "branch_labels: [reports]\n", 1);
	rev(dir, "r1", "r0", "depends_on: [b0]\n", 1);
	rev(dir, "x1", "m2", "depends_on: reports\n", 1);
	snprintf(path, sizeof(path), "%s/retort.yaml", dir);
	fz_write_file(path, config, strlen(config));

	memset(&o, 0, sizeof(o));
	o.path = path;
	unsetenv("RETORT_DATABASE_URL");
	unsetenv("DATABASE_URL");
	for (int d = 0; d < 2; d++) {
		if ((!cfg && rt_config_load(&cfg, &o) < 0) ||
		    rt_graph_load(&graphs[d], cfg, d ? RT_DIALECT_POSTGRESQL : RT_DIALECT_SQLITE) < 0 ||
		    rt_graph_require_valid(graphs[d]) < 0) {
			fprintf(stderr, "fuzz_target: fixture graph: %s\n", rt_error_last()->message);
			abort();
		}
	}
	{
		static const char *const mid[] = { "a1b2d4" };
		static const char *const two[] = { "b1", "c0" };
		static const char *const top[] = { "m2" };
		static const char *const all[] = { "r1", "x1" };
		state_of(&states[0], NULL, 0);
		state_of(&states[1], mid, 1);
		state_of(&states[2], two, 2);
		state_of(&states[3], top, 1);
		state_of(&states[4], all, 2);
	}
	rt_error_clear();
}

static int in_graph(const struct rt_graph *g, const struct rt_revision *r)
{
	return r && r->index < g->n && g->revs[r->index] == r;
}

static void check_plan(const struct rt_graph *g, const struct rt_state *before,
                       const struct rt_plan *p, const char *what)
{
	const char *ids[64];
	struct rt_state after;
	int rc;

	if (!fz_oracle("plan-sanity"))
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].rev && !in_graph(g, p->steps[i].rev))
			fz_fail("plan-sanity", "%s: step %zu holds a revision outside the graph", what, i);
	if (p->heads_after.n > RT_ARRAY_LEN(ids))
		fz_fail("plan-sanity", "%s: %zu heads after", what, p->heads_after.n);
	for (size_t i = 0; i < p->heads_after.n; i++) {
		if (!in_graph(g, p->heads_after.items[i]))
			fz_fail("plan-sanity", "%s: heads_after holds a revision outside the graph", what);
		ids[i] = p->heads_after.items[i]->id;
	}
	rc = rt_state_from_heads(&after, g, ids, p->heads_after.n);
	if (rc < 0)
		fz_fail("plan-sanity", "%s: heads_after is not a consistent version table", what);
	for (size_t i = 0; i < g->n && before && p->direction != RT_STAMP; i++) {
		if (p->direction == RT_UPGRADE && before->applied[i] && !after.applied[i])
			fz_fail("plan-sanity", "%s: upgrade removes revision '%s'", what, g->revs[i]->id);
		if (p->direction == RT_DOWNGRADE && !before->applied[i] && after.applied[i])
			fz_fail("plan-sanity", "%s: downgrade applies revision '%s'", what, g->revs[i]->id);
	}
	rt_state_release(&after);
}

static int discard(void *ctx, const char *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void offline_sql(const struct rt_graph *g, const struct rt_plan *p, const char *what)
{
	struct rt_writer w = { NULL, discard };
	int rc = rt_offline_sql(g, p, &w);

	fz_check_error(rc, what, NULL, 0, 0);
}

static void plans(const struct rt_graph *g, const struct rt_state *st, const char *target,
                  int sql)
{
	struct rt_plan *p;
	int rc;

	for (int dir = RT_UPGRADE; dir <= RT_DOWNGRADE; dir++) {
		p = NULL;
		rc = rt_plan_build(&p, g, st, (enum rt_direction)dir, target);
		fz_check_error(rc, "rt_plan_build", NULL, 0, 0);
		if (rc == 0) {
			check_plan(g, st, p, dir == RT_UPGRADE ? "upgrade" : "downgrade");
			if (sql)
				offline_sql(g, p, "rt_offline_sql");
		} else if (p) {
			fz_fail("plan-sanity", "rt_plan_build failed but set *out");
		}
		rt_plan_free(p);
	}
	for (int purge = 0; purge <= 1; purge++) {
		p = NULL;
		rc = rt_plan_stamp(&p, g, st, target, purge);
		fz_check_error(rc, "rt_plan_stamp", NULL, 0, 0);
		if (rc == 0) {
			check_plan(g, st, p, "stamp");
			if (sql)
				offline_sql(g, p, "rt_offline_sql (stamp)");
		}
		rt_plan_free(p);
	}
}

static void range(const struct rt_graph *g, const struct rt_state *st, const char *spec)
{
	struct rt_revlist l = RT_REVLIST_INIT;
	int rc = rt_graph_range(g, spec, st, &l);

	fz_check_error(rc, "rt_graph_range", NULL, 0, 0);
	if (rc == 0 && fz_oracle("plan-sanity")) {
		for (size_t i = 0; i < l.n; i++) {
			if (!in_graph(g, l.items[i]))
				fz_fail("plan-sanity", "range holds a revision outside the graph");
			for (size_t j = 0; j < i; j++)
				if (l.items[j] == l.items[i])
					fz_fail("plan-sanity", "range lists '%s' twice", l.items[i]->id);
		}
	}
	rt_revlist_release(&l);
}

/* rt_graph_range() with no state gives what it gives with st, when the range says it needs
 * none. */
static void range_without_state(const struct rt_graph *g, const struct rt_state *st, const char *spec)
{
	struct rt_revlist with = RT_REVLIST_INIT, without = RT_REVLIST_INIT;
	int rc_with, rc_without;

	if (rt_graph_range_needs_state(spec) || !fz_oracle("range-state"))
		return;
	rc_with = rt_graph_range(g, spec, st, &with);
	rc_without = rt_graph_range(g, spec, NULL, &without);
	if (rc_with != rc_without || with.n != without.n ||
	    (with.n && memcmp(with.items, without.items, with.n * sizeof(*with.items)) != 0))
		fz_fail("range-state", "'%s' needs no database, but gives %d (%zu revisions) with one "
		        "and %d (%zu) without", spec, rc_with, with.n, rc_without, without.n);
	rt_revlist_release(&with);
	rt_revlist_release(&without);
}

/* Every purpose of rt_graph_resolve(); the single-reference range agrees with RT_REF_ANY. */
static void references(const struct rt_graph *g, const struct rt_state *st, const char *spec)
{
	for (int purpose = RT_REF_ANY; purpose <= RT_REF_PARENTS; purpose++) {
		struct rt_revlist l = RT_REVLIST_INIT, r = RT_REVLIST_INIT;
		int rc = rt_graph_resolve(g, st, spec, (enum rt_ref_purpose)purpose, &l), rc_range;

		fz_check_error(rc, "rt_graph_resolve", NULL, 0, 0);
		if (fz_oracle("resolve-sanity")) {
			if (rc < 0 && l.n)
				fz_fail("resolve-sanity", "'%s' failed but named %zu revisions", spec, l.n);
			if (rc == 0 && purpose == RT_REF_ONE && l.n != 1)
				fz_fail("resolve-sanity", "'%s' names %zu revisions for RT_REF_ONE", spec, l.n);
			if (rc == 0 && purpose == RT_REF_ANY && l.n == 0)
				fz_fail("resolve-sanity", "'%s' names no revision but succeeded", spec);
			for (size_t i = 0; i < l.n; i++) {
				if (!in_graph(g, l.items[i]))
					fz_fail("resolve-sanity", "'%s' names a revision outside the graph", spec);
				for (size_t j = 0; j < i; j++)
					if (l.items[j] == l.items[i])
						fz_fail("resolve-sanity", "'%s' names '%s' twice", spec, l.items[i]->id);
			}
		}
		if (purpose == RT_REF_ANY && !strchr(spec, ':') && strcmp(spec, "current") != 0 &&
		    fz_oracle("resolve-range")) {
			rc_range = rt_graph_range(g, spec, st, &r);
			if (rc_range != rc || r.n != l.n)
				fz_fail("resolve-range", "range '%s' gives %d (%zu revisions), the resolver %d (%zu)",
				        spec, rc_range, r.n, rc, l.n);
			for (size_t i = 0; i < r.n; i++)
				if (!rt_revlist_contains(&l, r.items[i]))
					fz_fail("resolve-range", "range '%s' lists '%s', which the resolver does not name",
					        spec, r.items[i]->id);
		}
		rt_revlist_release(&l);
		rt_revlist_release(&r);
	}
}

/* The state a database at FROM is in (offline.c's reading: comma-separated targets
 * applied one after the other), then the plan to TO and its SQL. */
static void offline(const struct rt_graph *g, const char *spec)
{
	char *from = NULL, *to = NULL, *save = NULL, *piece;
	struct rt_state st;
	int rc = rt_offline_range(spec, &from, &to);

	fz_check_error(rc, "rt_offline_range", NULL, 0, 0);
	if (rc < 0)
		return;
	if (!to || (from && (!*from || strchr(from, ':'))) || (from && !*to) || strchr(to, ':'))
		fz_fail("plan-sanity", "rt_offline_range('%s') gave from '%s' to '%s'", spec,
		        from ? from : "(null)", to ? to : "(null)");
	if (rt_state_from_heads(&st, g, NULL, 0) < 0)
		abort();
	for (piece = from ? strtok_r(from, ",", &save) : NULL; piece; piece = strtok_r(NULL, ",", &save)) {
		struct rt_plan *p = NULL;
		const char *ids[64];
		struct rt_state next;
		if (!*piece || strcmp(piece, "base") == 0)
			continue;
		rc = rt_plan_build(&p, g, &st, RT_UPGRADE, piece);
		fz_check_error(rc, "rt_plan_build (offline FROM)", NULL, 0, 0);
		if (rc < 0 || p->heads_after.n > RT_ARRAY_LEN(ids)) {
			rt_plan_free(p);
			goto out;
		}
		for (size_t i = 0; i < p->heads_after.n; i++)
			ids[i] = p->heads_after.items[i]->id;
		rc = rt_state_from_heads(&next, g, ids, p->heads_after.n);
		rt_plan_free(p);
		if (rc < 0)
			fz_fail("plan-sanity", "offline FROM '%s' leads to an inconsistent state", piece);
		rt_state_release(&st);
		st = next;
	}
	plans(g, &st, to, 1);
out:
	rt_state_release(&st);
	free(from);
	free(to);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec, *copy, *save = NULL, *piece;
	const char *heads[MAX_PIECES];
	const struct rt_graph *g;
	struct rt_state st;
	size_t n = 0;
	int rc;

	if (size > 512)
		return 0; /* targets are short; longer inputs only cost time */
	if (!graphs[0])
		setup();
	spec = fz_cstr(data, size);
	g = graphs[0];

	for (size_t i = 0; i < RT_ARRAY_LEN(states); i++) {
		plans(g, &states[i], spec, 0);
		range(g, &states[i], spec);
		range_without_state(g, &states[i], spec);
		references(g, &states[i], spec);
	}
	range(g, NULL, spec);
	references(g, NULL, spec);

	/* a version table made of the input's pieces */
	copy = strdup(spec);
	for (piece = strtok_r(copy, ",", &save); piece && n < MAX_PIECES; piece = strtok_r(NULL, ",", &save))
		heads[n++] = piece;
	rc = rt_state_from_heads(&st, g, heads, n);
	fz_check_error(rc, "rt_state_from_heads", NULL, 0, 0);
	if (rc == 0) {
		plans(g, &st, "head", 0);
		plans(g, &st, "heads", 0);
		plans(g, &st, "-1", 0);
		plans(g, &st, "billing@+1", 0);
		rt_state_release(&st);
	}
	free(copy);

	offline(graphs[size & 1], spec);
	free(spec);
	rt_error_clear();
	return 0;
}
