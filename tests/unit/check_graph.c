/*
 * check_graph.c - unit tests for loading and validating the revision graph, id lookup,
 * branch-label propagation, the topological order and which applied revisions are
 * current.
 */
#include "unit.h"
#include "graph_fixture.h"

static int has_problem(const struct rt_graph *g, const char *kind, const char *needle)
{
	for (size_t i = 0; i < g->problems.n; i++)
		if (strcmp(g->problems.items[i].kind, kind) == 0 && strstr(g->problems.items[i].message, needle))
			return 1;
	return 0;
}

START_TEST(linear_heads_and_bases)
{
	struct rt_graph *g;
	fx_rev("a1", "null", "");
	fx_rev("b2", "a1", "");
	fx_rev("c3", "b2", "");
	g = fx_load();
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->n, 3);
	ck_assert_uint_eq(g->problems.n, 0);
	ck_assert_uint_eq(g->nheads, 1);
	ck_assert_str_eq(g->heads[0]->id, "c3");
	ck_assert_uint_eq(g->nbases, 1);
	ck_assert_str_eq(g->bases[0]->id, "a1");
	ck_assert_ptr_eq(rt_graph_get(g, "b2")->parents[0], rt_graph_get(g, "a1"));
	ck_assert_ptr_eq(rt_graph_get(g, "a1")->children[0], rt_graph_get(g, "b2"));
	ck_assert_int_eq(rt_graph_require_valid(g), 0);
	rt_graph_free(g);
}
END_TEST

START_TEST(empty_graph)
{
	struct rt_graph *g = fx_load();
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->n, 0);
	ck_assert_uint_eq(g->nheads, 0);
	ck_assert_uint_eq(g->problems.n, 0);
	rt_graph_free(g);
}
END_TEST

START_TEST(depends_on_keeps_streams_apart)
{
	struct rt_graph *g;
	fx_rev("a1", "null", "");
	fx_rev("x1", "null", "depends_on: a1");
	g = fx_load();
	ck_assert_uint_eq(g->problems.n, 0);
	ck_assert_uint_eq(g->nheads, 2); /* as in Alembic: a1 stays the head of its stream */
	ck_assert_str_eq(g->heads[0]->id, "a1");
	ck_assert_str_eq(g->heads[1]->id, "x1");
	ck_assert_uint_eq(g->nbases, 2);
	ck_assert_ptr_eq(rt_graph_get(g, "x1")->deps[0], rt_graph_get(g, "a1"));
	ck_assert_ptr_eq(rt_graph_get(g, "a1")->dependents[0], rt_graph_get(g, "x1"));
	rt_graph_free(g);
}
END_TEST

START_TEST(all_problems_are_reported)
{
	struct rt_graph *g;
	char path[600];
	FILE *f;
	fx_rev("a1", "null", "");
	fx_rev("b2", "zz99", "");                 /* missing parent */
	fx_rev("c3", "a1", "depends_on: nope");   /* missing dependency */
	fx_rev("d4", "e5", "");                   /* cycle d4 <-> e5 */
	fx_rev("e5", "d4", "");
	fx_rev("f6", "a1", "branch_labels: [lab]");
	fx_rev("g7", "a1", "branch_labels: [lab]"); /* duplicate label */
	snprintf(path, sizeof(path), "%s/zz_other.sql", fx_versions); /* name mismatch */
	f = fopen(path, "w");
	fputs("/*\nrevision: h8\ndown_revision: null\n*/\n-- retort:upgrade\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/a1_copy.sql", fx_versions); /* duplicate id */
	f = fopen(path, "w");
	fputs("/*\nrevision: a1\ndown_revision: null\n*/\n-- retort:upgrade\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/i9_bad.sql", fx_versions); /* bad header */
	f = fopen(path, "w");
	fputs("/*\nrevision: i9\ndown_revision: [unclosed\n*/\n", f);
	fclose(f);
	g = fx_load();
	ck_assert_ptr_nonnull(g);
	ck_assert_msg(has_problem(g, "missing-parent", "'zz99'"), "missing parent");
	ck_assert_msg(has_problem(g, "missing-dependency", "'nope'"), "missing dependency");
	ck_assert_msg(has_problem(g, "cycle", "d4 -> e5 -> d4") || has_problem(g, "cycle", "e5 -> d4 -> e5"),
	              "cycle");
	ck_assert_msg(has_problem(g, "duplicate-label", "'lab'"), "duplicate label");
	ck_assert_msg(has_problem(g, "file-name-mismatch", "'h8'"), "name mismatch");
	ck_assert_msg(has_problem(g, "duplicate-id", "'a1'"), "duplicate id");
	ck_assert_msg(has_problem(g, "bad-header", "i9_bad.sql"), "bad header");
	ck_assert_uint_eq(rt_diags_count(&g->problems, RT_SEV_ERROR), 7);
	ck_assert_int_lt(rt_graph_require_valid(g), 0);
	rt_graph_free(g);
}
END_TEST

START_TEST(cycle_error_code)
{
	struct rt_graph *g;
	fx_rev("a1", "c3", "");
	fx_rev("b2", "a1", "");
	fx_rev("c3", "b2", "");
	g = fx_load();
	ck_assert_int_eq(rt_graph_require_valid(g), RT_ECYCLE);
	ck_assert_error_contains("revisions form a cycle");
	rt_graph_free(g);
}
END_TEST

START_TEST(long_cycle_does_not_overflow)
{
	struct rt_graph *g;
	char id[16], down[16];
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "r%05d", i);
		snprintf(down, sizeof(down), "r%05d", (i + 2999) % 3000);
		fx_rev_body(id, down, "", "-- retort:upgrade\n");
	}
	g = fx_load();
	ck_assert_int_eq(rt_graph_require_valid(g), RT_ECYCLE);
	ck_assert_error_contains("more)");
	rt_graph_free(g);
}
END_TEST

START_TEST(lookup_forms)
{
	struct rt_graph *g;
	struct rt_revision *r;
	fx_rev("abc111", "null", "branch_labels: [main]");
	fx_rev("abc222", "abc111", "");
	fx_rev("def333", "abc222", "");
	g = fx_load();
	ck_assert_int_eq(rt_graph_lookup(g, "abc111", &r), 0);
	ck_assert_str_eq(r->id, "abc111");
	ck_assert_int_eq(rt_graph_lookup(g, "main", &r), 0);
	ck_assert_str_eq(r->id, "abc111");
	ck_assert_int_eq(rt_graph_lookup(g, "de", &r), 0);
	ck_assert_str_eq(r->id, "def333");
	ck_assert_int_eq(rt_graph_lookup(g, "abc", &r), RT_EAMBIGUOUS);
	ck_assert_error_contains("abc111, abc222");
	ck_assert_int_eq(rt_graph_lookup(g, "zzz", &r), RT_ENOTFOUND);
	ck_assert_error_contains("'zzz'");
	rt_graph_free(g);
}
END_TEST

START_TEST(labels_propagate)
{
	struct rt_graph *g;
	/* a1 -> b2 -> c3 (main line); b2 -> x1 -> x2 (billing, label on x2) */
	fx_rev("a1", "null", "");
	fx_rev("b2", "a1", "");
	fx_rev("c3", "b2", "");
	fx_rev("x1", "b2", "");
	fx_rev("x2", "x1", "branch_labels: [billing]");
	fx_rev("x3", "x2", "");
	g = fx_load();
	ck_assert_uint_eq(g->problems.n, 0);
	ck_assert(rt_strlist_contains(&rt_graph_get(g, "x1")->member_of, "billing"));
	ck_assert(rt_strlist_contains(&rt_graph_get(g, "x2")->member_of, "billing"));
	ck_assert(rt_strlist_contains(&rt_graph_get(g, "x3")->member_of, "billing"));
	ck_assert(!rt_strlist_contains(&rt_graph_get(g, "b2")->member_of, "billing"));
	ck_assert(!rt_strlist_contains(&rt_graph_get(g, "c3")->member_of, "billing"));
	rt_graph_free(g);
}
END_TEST

START_TEST(topological_order_is_deterministic)
{
	struct rt_graph *g;
	struct rt_revlist l = RT_REVLIST_INIT;
	/* base a1; branches b (b1,b2) and c (c1); merge m1; d1 depends on c1 */
	fx_rev("a1", "null", "");
	fx_rev("b1", "a1", "");
	fx_rev("b2", "b1", "");
	fx_rev("c1", "a1", "");
	fx_rev("m1", "[c1, b2]", "");
	fx_rev("d1", "null", "depends_on: c1");
	g = fx_load();
	ck_assert_uint_eq(g->problems.n, 0);
	ck_assert_int_eq(rt_graph_all_newest_first(g, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "m1,d1,c1,b2,b1,a1");
	rt_revlist_release(&l);
	rt_graph_free(g);
}
END_TEST

START_TEST(range_forms)
{
	struct rt_graph *g;
	struct rt_revlist l = RT_REVLIST_INIT;
	struct rt_state st;
	fx_rev("a1", "null", "");
	fx_rev("b2", "a1", "");
	fx_rev("c3", "b2", "");
	fx_rev("d4", "c3", "");
	g = fx_load();
	ck_assert_int_eq(rt_graph_range(g, "b2:c3", NULL, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "c3,b2");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "c3:", NULL, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "d4,c3");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, ":b2", NULL, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "b2,a1");
	l.n = 0;
	ck_assert_int_eq(fx_state(&st, g, "b2"), 0);
	ck_assert_int_eq(rt_graph_range(g, "current:", &st, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "d4,c3,b2");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, ":current", &st, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "b2,a1");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "base:head", &st, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "d4,c3,b2,a1");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "c3:b2", NULL, &l), RT_EUSAGE);
	ck_assert_error_contains("'c3' is not below 'b2'");
	ck_assert_int_eq(rt_graph_range(g, "current:", NULL, &l), RT_EUSAGE);
	ck_assert_int_eq(rt_graph_range(g, "zz:", NULL, &l), RT_ENOTFOUND);
	rt_state_release(&st);
	rt_revlist_release(&l);
	rt_graph_free(g);
}
END_TEST

START_TEST(state_validation)
{
	struct rt_graph *g;
	struct rt_state st;
	fx_rev("a1", "null", "");
	fx_rev("b2", "a1", "");
	g = fx_load();
	ck_assert_int_eq(fx_state(&st, g, "b2"), 0);
	ck_assert_uint_eq(st.napplied, 2);
	rt_state_release(&st);
	ck_assert_int_eq(fx_state(&st, g, "zz"), RT_ESTATE);
	ck_assert_error_contains("'zz'");
	ck_assert_int_eq(fx_state(&st, g, "a1,b2"), RT_ESTATE);
	ck_assert_error_contains("'a1'");
	rt_graph_free(g);
}
END_TEST

/* current: applied with no applied child; a dependency no row names is current too */
START_TEST(current_revisions)
{
	struct rt_graph *g;
	struct rt_state st;
	fx_rev("a1", "null", "");
	fx_rev("a2", "a1", "");
	fx_rev("b1", "null", "depends_on: a1");
	g = fx_load();
	ck_assert_int_eq(fx_state(&st, g, "b1"), 0);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "a1")), 1);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "b1")), 1);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "a2")), 0);
	rt_state_release(&st);
	ck_assert_int_eq(fx_state(&st, g, "a2,b1"), 0);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "a1")), 0);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "a2")), 1);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "b1")), 1);
	rt_state_release(&st);
	ck_assert_int_eq(rt_state_is_current(&st, rt_graph_get(g, "a1")), 0); /* released */
	rt_graph_free(g);
}
END_TEST

/* Every allocation of a load failing in turn: RT_ENOMEM, no graph, nothing leaked (the
 * SANITIZE=1 build's leak checker and valgrind see what is left over). */
static int load_attempt(void *ctx)
{
	struct rt_graph *g = NULL;
	int rc = rt_graph_load(&g, &fx_cfg, RT_DIALECT_SQLITE);

	(void)ctx;
	if (rc == 0) {
		ck_assert_uint_eq(g->n, 4);
		ck_assert_uint_eq(g->problems.n, 0);
		rt_graph_free(g);
	} else {
		ck_assert_ptr_null(g);
	}
	return rc;
}

START_TEST(out_of_memory)
{
	fx_rev("a1", "null", "branch_labels: [x]");
	fx_rev("b2", "a1", "depends_on: c3");
	fx_rev("c3", "null", "");
	fx_rev("d4", "[b2, c3]", "");
	ck_assert_int_eq(unit_oom_loop("rt_graph_load", load_attempt, NULL, 50, 5000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("graph");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, linear_heads_and_bases);
	tcase_add_test(tc, empty_graph);
	tcase_add_test(tc, depends_on_keeps_streams_apart);
	tcase_add_test(tc, all_problems_are_reported);
	tcase_add_test(tc, cycle_error_code);
	tcase_add_test(tc, long_cycle_does_not_overflow);
	tcase_add_test(tc, lookup_forms);
	tcase_add_test(tc, labels_propagate);
	tcase_add_test(tc, topological_order_is_deterministic);
	tcase_add_test(tc, range_forms);
	tcase_add_test(tc, state_validation);
	tcase_add_test(tc, current_revisions);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
