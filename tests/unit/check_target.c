/*
 * check_target.c - unit tests for the one resolver of references (lib/target.c): what
 * rt_graph_resolve() names for each purpose and the error it gives for each mistake,
 * rt_graph_match() as the graph reads depends_on entries, the single-target and
 * "current" forms of rt_graph_range(), and rt_graph_range_needs_state().
 */
#include "unit.h"
#include "graph_fixture.h"
#include "internal.h"
#include "target.h"

static struct rt_graph *g;
static struct rt_state st;
static struct rt_revlist l;

/* two heads: a1 -> b1 (billing), a1 -> c1 -> c2 (shop) */
static void setup(void)
{
	fx_setup();
	fx_rev("a1", "null", "");
	fx_rev("b1", "a1", "branch_labels: [billing]");
	fx_rev("c1", "a1", "branch_labels: [shop]");
	fx_rev("c2", "c1", "");
	g = fx_load();
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(fx_state(&st, g, "c1"), 0);
	memset(&l, 0, sizeof(l));
}

static void teardown(void)
{
	rt_revlist_release(&l);
	rt_state_release(&st);
	rt_graph_free(g);
	g = NULL;
	fx_teardown();
}

/* rt_graph_resolve() into a fresh l; the ids it named, or "" when it failed. */
static int resolve(const struct rt_state *cur, const char *ref, enum rt_ref_purpose purpose)
{
	l.n = 0;
	rt_error_clear();
	return rt_graph_resolve(g, cur, ref, purpose, &l);
}

static void error_is(int rc, int code, const char *message, const char *hint)
{
	const struct rt_error *e = rt_error_last();

	ck_assert_int_eq(rc, code);
	ck_assert_str_eq(e->message, message);
	if (hint)
		ck_assert_str_eq(e->hint ? e->hint : "(none)", hint);
}

START_TEST(names_revisions)
{
	ck_assert_int_eq(resolve(NULL, "a1", RT_REF_ANY), 0);
	ck_assert_str_eq(fx_ids(&l), "a1");
	ck_assert_int_eq(resolve(NULL, "shop", RT_REF_ONE), 0);
	ck_assert_str_eq(fx_ids(&l), "c1");
	ck_assert_int_eq(resolve(NULL, "b", RT_REF_ONE), 0); /* a unique prefix */
	ck_assert_str_eq(fx_ids(&l), "b1");
	ck_assert_int_eq(resolve(NULL, "heads", RT_REF_ANY), 0);
	ck_assert_str_eq(fx_ids(&l), "b1,c2");
	ck_assert_int_eq(resolve(NULL, "shop@head", RT_REF_ONE), 0);
	ck_assert_str_eq(fx_ids(&l), "c2");
	ck_assert_int_eq(resolve(NULL, "shop@head-1", RT_REF_ONE), 0);
	ck_assert_str_eq(fx_ids(&l), "c1");
	ck_assert_int_eq(resolve(NULL, "c2-2", RT_REF_ANY), 0);
	ck_assert_str_eq(fx_ids(&l), "a1");
	ck_assert_int_eq(resolve(NULL, "c1+1", RT_REF_PARENTS), 0);
	ck_assert_str_eq(fx_ids(&l), "c2");
	/* counted from the database (at c1): +1 is what upgrading by one applies, +0 where it is */
	ck_assert_int_eq(resolve(&st, "+0", RT_REF_ANY), 0);
	ck_assert_str_eq(fx_ids(&l), "c1");
	ck_assert_int_eq(resolve(&st, "shop@+1", RT_REF_ONE), 0);
	ck_assert_str_eq(fx_ids(&l), "c2");
}
END_TEST

START_TEST(appends_without_duplicates)
{
	ck_assert_int_eq(resolve(NULL, "c2", RT_REF_PARENTS), 0);
	ck_assert_int_eq(rt_graph_resolve(g, NULL, "heads", RT_REF_PARENTS, &l), 0);
	ck_assert_int_eq(rt_graph_resolve(g, NULL, "shop@head", RT_REF_PARENTS, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "c2,b1");
}
END_TEST

START_TEST(base_names_none_but_parents)
{
	ck_assert_int_eq(resolve(NULL, "base", RT_REF_PARENTS), 0);
	ck_assert_uint_eq(l.n, 0);
	error_is(resolve(NULL, "base", RT_REF_ANY), RT_ENOTFOUND, "'base' names no revision",
	         "Run 'retort history' to list the revisions.");
	error_is(resolve(NULL, "base", RT_REF_ONE), RT_ENOTFOUND, "'base' names no revision", NULL);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(the_same_mistake_the_same_error_for_every_purpose)
{
	static const enum rt_ref_purpose purposes[] = { RT_REF_ANY, RT_REF_ONE, RT_REF_PARENTS };

	for (size_t i = 0; i < RT_ARRAY_LEN(purposes); i++) {
		enum rt_ref_purpose p = purposes[i];
		error_is(resolve(NULL, "head", p), RT_EMULTIHEADS, "the revision graph has 2 heads: b1, c2",
		         "Use 'heads' for all of them, LABEL@head for one branch, or a revision id; "
		         "'retort merge -m MSG heads' joins them.");
		error_is(resolve(NULL, "a1:c2", p), RT_EUSAGE, "expected one revision, not a range: 'a1:c2'",
		         "Name one revision; 'retort history -r A:B' lists a range.");
		error_is(resolve(NULL, "shop@base", p), RT_EUSAGE, "'shop@base' is a downgrade target",
		         "Name a revision: an id, a branch label, LABEL@head or REV-N.");
		error_is(resolve(NULL, "a1-1", p), RT_EUSAGE, "'a1-1' is a downgrade target", NULL);
		error_is(resolve(&st, "-1", p), RT_EUSAGE, "'-1' is a downgrade target", NULL);
		error_is(resolve(NULL, "+1", p), RT_EUSAGE,
		         "'+1' is relative to the database's current revision, which is not known here", NULL);
		error_is(resolve(NULL, "zz", p), RT_ENOTFOUND,
		         "no revision, branch label or id prefix matches 'zz'",
		         "Run 'retort history' to list the revisions.");
		error_is(resolve(NULL, "c", p), RT_EAMBIGUOUS,
		         "'c' is ambiguous: it starts 2 revision ids: c1, c2", "Write more of the id.");
		error_is(resolve(NULL, "", p), RT_EUSAGE, "empty target",
		         "Name a revision, or a target such as 'head' or 'base'.");
		error_is(resolve(NULL, "a1+1", p), RT_EAMBIGUOUS,
		         "'a1+1' is ambiguous: 'a1' is a branch point with children b1, c1", NULL);
		ck_assert_uint_eq(l.n, 0);
	}
}
END_TEST

START_TEST(one_means_one)
{
	error_is(resolve(NULL, "heads", RT_REF_ONE), RT_EAMBIGUOUS, "'heads' stands for 2 revisions: b1, c2",
	         "Name one revision.");
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* Every mistake in a target says what to do: each error comes with its hint. */
START_TEST(every_target_error_has_a_hint)
{
	static const struct {
		const char *heads, *spec, *message, *hint;
	} cases[] = {
		{ "b1,c2", "+1", "cannot upgrade by 1: only 0 revisions are ahead of the database",
		  "Use a smaller number, or 'heads'." },
		{ "c1", "-5", "cannot downgrade by 5: only 2 revisions are applied",
		  "Use a smaller number, or 'base'." },
		{ "c2", "shop@-3", "'shop@-3' goes below the start of branch 'shop'",
		  "Use a smaller number, or 'shop@base' to remove the branch." },
		{ "c1", "billing@-1", "'billing@-1': nothing of branch 'billing' is applied",
		  "There is nothing of the branch to remove; 'retort current' shows where the database is." },
		{ "c1", "a1@base", "'a1@base': @base needs a branch label, and 'a1' is not one",
		  "'retort branches' lists the branches; labels come from branch_labels." },
		{ "c1", "a1@+1", "'a1@+1': @+1 needs a branch label, and 'a1' is not one",
		  "REV+1 counts from a revision; LABEL@+1 from where the database is on a branch." },
		{ "c1", "shop@xyz", "invalid target 'shop@xyz': after '@' comes head, head-N, base, +N or -N",
		  "For example: billing@head, billing@head-1, billing@base, billing@+1." },
	};
	struct rt_plan *p = NULL;
	int rc;

	for (size_t i = 0; i < RT_ARRAY_LEN(cases); i++) {
		rt_state_release(&st);
		ck_assert_int_eq(fx_state(&st, g, cases[i].heads), 0);
		error_is(resolve(&st, cases[i].spec, RT_REF_ANY), RT_EUSAGE, cases[i].message, cases[i].hint);
	}
	rc = rt_plan_build(&p, g, &st, RT_DOWNGRADE, "+1");
	error_is(rc, RT_EUSAGE, "'+1' is an upgrade target; downgrade takes -N", "Use 'retort upgrade +1'.");
	rc = rt_plan_build(&p, g, &st, RT_UPGRADE, "-1");
	error_is(rc, RT_EUSAGE, "'-1' is a downgrade target; upgrade takes +N", "Use 'retort downgrade -1'.");
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(match_reads_depends_on_entries)
{
	struct rt_revision *r;

	rt_error_clear();
	ck_assert_uint_eq(rt_graph_match(g, "c1", &r), 1);
	ck_assert_str_eq(r->id, "c1");
	ck_assert_uint_eq(rt_graph_match(g, "billing", &r), 1);
	ck_assert_str_eq(r->id, "b1");
	ck_assert_uint_eq(rt_graph_match(g, "a", &r), 1);
	ck_assert_str_eq(r->id, "a1");
	ck_assert_uint_eq(rt_graph_match(g, "c", &r), 2);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(rt_graph_match(g, "x", &r), 0);
	ck_assert_ptr_null(r);
	ck_assert_uint_eq(rt_graph_match(g, "", &r), 0); /* an empty prefix is no prefix */
	ck_assert_int_eq(rt_error_last()->code, 0);      /* and none of it is an error */
}
END_TEST

START_TEST(ranges_take_one_reference_and_current)
{
	ck_assert_int_eq(rt_graph_range(g, "heads", NULL, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "c2,b1"); /* newest first */
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "shop@head-1", NULL, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "c1");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "current", &st, &l), 0);
	ck_assert_str_eq(fx_ids(&l), "c1");
	l.n = 0;
	ck_assert_int_eq(rt_graph_range(g, "current", NULL, &l), RT_EUSAGE);
	ck_assert_str_eq(rt_error_last()->message, "'current' needs a database, and none is available");
	error_is(rt_graph_range(g, "base", NULL, &l), RT_ENOTFOUND, "'base' names no revision", NULL);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(which_ranges_need_the_database)
{
	static const char *const yes[] = {
		"current", "current:", ":current", "+1", "-2:", "a1:-1", "billing@-1:", "c1:shop@+2", "+0",
		"+0000000000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000000:", /* +0 */
	};
	static const char *const no[] = {
		"", "a1", "a1:c2", "a1-1:", "c1+1", "head-1:", "shop@head-1", "shop@base:", "+", "-",
		"+x", "a@+x", "+1000000001", /* more than a walk can go: no target */
	};

	for (size_t i = 0; i < RT_ARRAY_LEN(yes); i++)
		ck_assert_msg(rt_graph_range_needs_state(yes[i]) == 1, "'%s' needs the database", yes[i]);
	for (size_t i = 0; i < RT_ARRAY_LEN(no); i++)
		ck_assert_msg(rt_graph_range_needs_state(no[i]) == 0, "'%s' needs no database", no[i]);
}
END_TEST

static int resolve_attempt(void *ctx)
{
	struct rt_revlist out = RT_REVLIST_INIT;
	int rc = rt_graph_resolve(g, &st, ctx, RT_REF_ANY, &out);

	if (rc == 0)
		ck_assert_str_eq(fx_ids(&out), "c2");
	rt_revlist_release(&out);
	return rc;
}

START_TEST(out_of_memory)
{
	ck_assert_int_eq(unit_oom_loop("rt_graph_resolve", resolve_attempt, (void *)"shop@+1", 1, 100), 0);
	ck_assert_int_eq(unit_oom_loop("rt_graph_resolve", resolve_attempt, (void *)"c1+1", 1, 100), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, names_revisions);
	tcase_add_test(tc, appends_without_duplicates);
	tcase_add_test(tc, base_names_none_but_parents);
	tcase_add_test(tc, the_same_mistake_the_same_error_for_every_purpose);
	tcase_add_test(tc, one_means_one);
	tcase_add_test(tc, every_target_error_has_a_hint);
	tcase_add_test(tc, match_reads_depends_on_entries);
	tcase_add_test(tc, ranges_take_one_reference_and_current);
	tcase_add_test(tc, which_ranges_need_the_database);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
