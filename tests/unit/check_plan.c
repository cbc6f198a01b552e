/*
 * check_plan.c - unit tests for target resolution (every target form and its errors),
 * the order of steps with branches, merges and depends_on, the version-table changes
 * each step makes, irreversible downgrades, and stamps.
 */
#include "unit.h"
#include "graph_fixture.h"

/* "id:op,op;id:op" e.g. "a1:I a1;b2:U a1>b2" */
static const char *describe(const struct rt_plan *p)
{
	static char buf[4096];
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < p->n; i++) {
		const struct rt_step *s = &p->steps[i];
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s:", i ? ";" : "",
		                        s->rev ? s->rev->id : "stamp");
		for (size_t j = 0; j < s->nops; j++) {
			const struct rt_verop *o = &s->ops[j];
			if (o->kind == RT_VER_INSERT)
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sI %s", j ? "," : "", o->to);
			else if (o->kind == RT_VER_UPDATE)
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sU %s>%s", j ? "," : "", o->from, o->to);
			else
				off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%sD %s", j ? "," : "", o->from);
		}
	}
	return buf;
}

static struct rt_graph *g;
static struct rt_state st;
static struct rt_plan *p;

static int plan(const char *heads, enum rt_direction dir, const char *target)
{
	int rc;
	rt_state_release(&st);
	rt_plan_free(p);
	p = NULL;
	if ((rc = fx_state(&st, g, heads)) < 0)
		return rc;
	return rt_plan_build(&p, g, &st, dir, target);
}

static void teardown(void)
{
	rt_plan_free(p);
	p = NULL;
	rt_state_release(&st);
	rt_graph_free(g);
	g = NULL;
	fx_teardown();
}

/* a1 -> b2 -> c3 -> d4 */
static void linear(void)
{
	fx_rev("a1", "null", "");
	fx_rev("b2", "a1", "");
	fx_rev("c3", "b2", "");
	fx_rev("d4", "c3", "");
	g = fx_load();
}

/* a1 -> b1 -> b2 (label billing on b1), a1 -> c1 (label shop), m1 = merge(b2, c1), n1 after m1 */
static void branchy(void)
{
	fx_rev("a1", "null", "");
	fx_rev("b1", "a1", "branch_labels: [billing]");
	fx_rev("b2", "b1", "");
	fx_rev("c1", "a1", "branch_labels: [shop]");
	fx_rev("m1", "[b2, c1]", "");
	fx_rev("n1", "m1", "");
	g = fx_load();
}

/* two heads: a1 -> b1 (billing), a1 -> c1 -> c2 (shop) */
static void two_heads(void)
{
	fx_rev("a1", "null", "");
	fx_rev("b1", "a1", "branch_labels: [billing]");
	fx_rev("c1", "a1", "branch_labels: [shop]");
	fx_rev("c2", "c1", "");
	g = fx_load();
}

START_TEST(linear_upgrade_and_downgrade)
{
	linear();
	ck_assert_int_eq(plan("", RT_UPGRADE, "head"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;b2:U a1>b2;c3:U b2>c3;d4:U c3>d4");
	ck_assert_str_eq(fx_ids(&p->heads_after), "d4");
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "base"), 0);
	ck_assert_str_eq(describe(p), "d4:U d4>c3;c3:U c3>b2;b2:U b2>a1;a1:D a1");
	ck_assert_uint_eq(p->heads_after.n, 0);
	ck_assert_int_eq(plan("b2", RT_UPGRADE, "c3"), 0);
	ck_assert_str_eq(describe(p), "c3:U b2>c3");
	ck_assert_int_eq(plan("d4", RT_UPGRADE, "head"), 0);
	ck_assert_uint_eq(p->n, 0);
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "b2"), 0);
	ck_assert_str_eq(describe(p), "d4:U d4>c3;c3:U c3>b2");
	ck_assert_int_eq(plan("", RT_UPGRADE, "b"), 0); /* unique prefix */
	ck_assert_str_eq(describe(p), "a1:I a1;b2:U a1>b2");
}
END_TEST

START_TEST(relative_targets)
{
	linear();
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "+2"), 0);
	ck_assert_str_eq(describe(p), "b2:U a1>b2;c3:U b2>c3");
	ck_assert_int_eq(plan("c3", RT_DOWNGRADE, "-1"), 0);
	ck_assert_str_eq(describe(p), "c3:U c3>b2");
	ck_assert_int_eq(plan("c3", RT_DOWNGRADE, "-3"), 0);
	ck_assert_str_eq(describe(p), "c3:U c3>b2;b2:U b2>a1;a1:D a1");
	ck_assert_int_eq(plan("c3", RT_DOWNGRADE, "-4"), RT_EUSAGE);
	ck_assert_error_contains("only 3 revisions are applied");
	ck_assert_int_eq(plan("c3", RT_UPGRADE, "+2"), RT_EUSAGE);
	ck_assert_error_contains("only 1 revision is ahead");
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "b2+2"), 0);
	ck_assert_str_eq(describe(p), "b2:U a1>b2;c3:U b2>c3;d4:U c3>d4");
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "d4-2"), 0);
	ck_assert_str_eq(describe(p), "d4:U d4>c3;c3:U c3>b2");
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "a1-1"), 0); /* below the base: everything */
	ck_assert_str_eq(describe(p), "d4:U d4>c3;c3:U c3>b2;b2:U b2>a1;a1:D a1");
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "a1-2"), RT_EUSAGE);
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "d4+1"), RT_EUSAGE);
	ck_assert_error_contains("past the head");
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "-1"), RT_EUSAGE);
	ck_assert_int_eq(plan("a1", RT_DOWNGRADE, "+1"), RT_EUSAGE);
	/* "here", and counting from the head as in Alembic */
	ck_assert_int_eq(plan("b2", RT_UPGRADE, "+0"), 0);
	ck_assert_uint_eq(p->n, 0);
	ck_assert_int_eq(plan("b2", RT_DOWNGRADE, "-0"), 0);
	ck_assert_uint_eq(p->n, 0);
	ck_assert_int_eq(plan("", RT_DOWNGRADE, "-0"), 0);
	ck_assert_uint_eq(p->n, 0);
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "c3+0"), 0);
	ck_assert_str_eq(describe(p), "b2:U a1>b2;c3:U b2>c3");
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "head-1"), 0);
	ck_assert_str_eq(describe(p), "b2:U a1>b2;c3:U b2>c3");
	ck_assert_int_eq(plan("d4", RT_DOWNGRADE, "heads-3"), 0);
	ck_assert_str_eq(describe(p), "d4:U d4>c3;c3:U c3>b2;b2:U b2>a1");
}
END_TEST

START_TEST(branch_and_merge)
{
	branchy();
	ck_assert_uint_eq(g->problems.n, 0);
	ck_assert_int_eq(plan("", RT_UPGRADE, "head"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;b1:U a1>b1;b2:U b1>b2;c1:I c1;m1:U b2>m1,D c1;n1:U m1>n1");
	ck_assert_str_eq(fx_ids(&p->heads_after), "n1");
	ck_assert_int_eq(plan("n1", RT_DOWNGRADE, "b2"), 0);
	ck_assert_str_eq(describe(p), "n1:U n1>m1;m1:U m1>b2,I c1");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b2,c1");
	ck_assert_int_eq(plan("b2,c1", RT_DOWNGRADE, "billing@base"), 0);
	ck_assert_str_eq(describe(p), "b2:U b2>b1;b1:D b1");
	ck_assert_str_eq(fx_ids(&p->heads_after), "c1");
	ck_assert_int_eq(plan("b2,c1", RT_DOWNGRADE, "shop@-1"), 0);
	ck_assert_str_eq(describe(p), "c1:D c1");
	ck_assert_int_eq(plan("b2,c1", RT_DOWNGRADE, "billing@-2"), 0);
	ck_assert_str_eq(describe(p), "b2:U b2>b1;b1:D b1");
	ck_assert_int_eq(plan("b2,c1", RT_DOWNGRADE, "billing@-3"), RT_EUSAGE);
	ck_assert_int_eq(plan("b2,c1", RT_DOWNGRADE, "-1"), RT_EAMBIGUOUS);
	ck_assert_error_contains("the database has 2 heads: b2, c1");
	/* merge point has two parents: REV-N through it is ambiguous */
	ck_assert_int_eq(plan("n1", RT_DOWNGRADE, "m1-1"), RT_EAMBIGUOUS);
	ck_assert_error_contains("merge");
}
END_TEST

START_TEST(multiple_heads)
{
	two_heads();
	ck_assert_int_eq(plan("", RT_UPGRADE, "head"), RT_EMULTIHEADS);
	ck_assert_error_contains("b1, c2");
	ck_assert_ptr_nonnull(rt_error_last()->hint);
	ck_assert_int_eq(plan("", RT_UPGRADE, "heads"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;b1:U a1>b1;c1:I c1;c2:U c1>c2");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1,c2");
	ck_assert_int_eq(plan("", RT_UPGRADE, "shop@head"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;c1:U a1>c1;c2:U c1>c2");
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "+1"), RT_EAMBIGUOUS);
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "shop@+1"), 0);
	ck_assert_str_eq(describe(p), "c1:U a1>c1");
	ck_assert_int_eq(plan("c1", RT_UPGRADE, "shop@+1"), 0);
	ck_assert_str_eq(describe(p), "c2:U c1>c2");
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "a1+1"), RT_EAMBIGUOUS);
	ck_assert_error_contains("branch point");
	ck_assert_int_eq(plan("b1,c2", RT_DOWNGRADE, "shop@-1"), 0);
	ck_assert_str_eq(describe(p), "c2:U c2>c1");
	ck_assert_int_eq(plan("b1,c2", RT_DOWNGRADE, "a1"), 0);
	ck_assert_str_eq(describe(p), "c2:U c2>c1;c1:D c1;b1:U b1>a1");
	ck_assert_int_eq(plan("b1", RT_DOWNGRADE, "c1"), RT_EUSAGE);
	ck_assert_error_contains("not applied");
	ck_assert_int_eq(plan("", RT_UPGRADE, "billing@base"), RT_EUSAGE);
	ck_assert_int_eq(plan("", RT_UPGRADE, "nope@head"), RT_ENOTFOUND);
	ck_assert_int_eq(plan("", RT_UPGRADE, "shop@sideways"), RT_EUSAGE);
	ck_assert_int_eq(plan("", RT_UPGRADE, "shop@head-1"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;c1:U a1>c1");
	ck_assert_int_eq(plan("", RT_UPGRADE, "head-1"), RT_EMULTIHEADS);
	ck_assert_int_eq(plan("", RT_UPGRADE, "heads-1"), RT_EMULTIHEADS);
}
END_TEST

START_TEST(depends_on_order_and_rows)
{
	fx_rev("a1", "null", "");
	fx_rev("a2", "a1", "");
	fx_rev("x1", "null", "depends_on: a2");
	g = fx_load();
	ck_assert_int_eq(plan("", RT_UPGRADE, "x1"), 0);
	ck_assert_str_eq(describe(p), "a1:I a1;a2:U a1>a2;x1:U a2>x1");
	ck_assert_str_eq(fx_ids(&p->heads_after), "x1");
	ck_assert_int_eq(plan("x1", RT_DOWNGRADE, "a1"), 0);
	ck_assert_str_eq(describe(p), "x1:U x1>a2;a2:U a2>a1");
	ck_assert_int_eq(plan("x1", RT_DOWNGRADE, "base"), 0);
	ck_assert_str_eq(describe(p), "x1:U x1>a2;a2:U a2>a1;a1:D a1");
}
END_TEST

/* issue 7: a1 -> a2 -> a3; b1 (root) depends_on a1; c1 (root) depends_on a2 -> c2 */
START_TEST(downgrade_keeps_what_depends_on_the_target)
{
	fx_rev("a1", "null", "");
	fx_rev("a2", "a1", "");
	fx_rev("a3", "a2", "");
	fx_rev("b1", "null", "depends_on: a1");
	fx_rev("c1", "null", "depends_on: a2");
	fx_rev("c2", "c1", "");
	g = fx_load();
	ck_assert_int_eq(plan("a3,b1,c2", RT_DOWNGRADE, "a1"), 0);
	ck_assert_str_eq(describe(p), "c2:U c2>c1;c1:D c1;a3:U a3>a2;a2:D a2");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1");
	ck_assert_int_eq(plan("a3,c2", RT_DOWNGRADE, "a1"), 0);
	ck_assert_str_eq(describe(p), "c2:U c2>c1;c1:D c1;a3:U a3>a2;a2:U a2>a1");
	ck_assert_str_eq(fx_ids(&p->heads_after), "a1");
	ck_assert_int_eq(plan("a3,b1,c2", RT_DOWNGRADE, "a2"), 0);
	ck_assert_str_eq(describe(p), "a3:D a3");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1,c2");
	ck_assert_int_eq(plan("b1", RT_DOWNGRADE, "a1"), 0); /* a1 stays: nothing to do */
	ck_assert_uint_eq(p->n, 0);
	ck_assert_int_eq(plan("a3,b1,c2", RT_DOWNGRADE, "-1"), RT_EAMBIGUOUS);
	ck_assert_int_eq(plan("b1", RT_DOWNGRADE, "-1"), 0);
	ck_assert_str_eq(describe(p), "b1:U b1>a1");
	ck_assert_int_eq(plan("a3,b1,c2", RT_DOWNGRADE, "base"), 0);
	ck_assert_uint_eq(p->n, 6);
	ck_assert_uint_eq(p->heads_after.n, 0);
	rt_state_release(&st);
	ck_assert_int_eq(fx_state(&st, g, "a3,b1,c2"), 0);
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "a1", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D a3,D c2");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1");
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "a2", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D a3"); /* c2 implies a2 */
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1,c2");
}
END_TEST

START_TEST(irreversible_downgrade)
{
	fx_rev("a1", "null", "");
	fx_rev_body("b2", "a1", "", "-- retort:upgrade\nCREATE TABLE x (id integer);\n");
	fx_rev("c3", "b2", "");
	g = fx_load();
	ck_assert_int_eq(plan("c3", RT_DOWNGRADE, "b2"), 0);
	ck_assert_int_eq(plan("c3", RT_DOWNGRADE, "base"), RT_EIRREVERSIBLE);
	ck_assert_error_contains("'b2'");
	ck_assert_error_contains("b2_r.sql");
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(bad_script_fails_planning)
{
	fx_rev("a1", "null", "");
	fx_rev_body("b2", "a1", "", "-- retort:upgrade\nSELECT '${missing}';\n");
	g = fx_load();
	ck_assert_int_eq(plan("a1", RT_UPGRADE, "head"), RT_EINPUT);
	ck_assert_error_contains("missing");
}
END_TEST

START_TEST(stamps)
{
	linear();
	ck_assert_int_eq(fx_state(&st, g, ""), 0);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "c3", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:I c3");
	rt_plan_free(p);
	rt_state_release(&st);
	ck_assert_int_eq(fx_state(&st, g, "d4"), 0);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "b2", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D d4,I b2");
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "-1", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D d4,I c3");
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "base", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D d4");
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "d4", 0), 0); /* already there: no step */
	ck_assert_uint_eq(p->n, 0);
	ck_assert_str_eq(fx_ids(&p->heads_after), "d4");
	rt_plan_free(p);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "d4", 1), 0);
	ck_assert_int_eq(p->purge, 1);
	ck_assert_str_eq(describe(p), "stamp:I d4");
	rt_plan_free(p);
	p = NULL;
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "nope", 0), RT_ENOTFOUND);
}
END_TEST

START_TEST(stamp_keeps_other_branches)
{
	two_heads();
	ck_assert_int_eq(fx_state(&st, g, "b1,c1"), 0);
	ck_assert_int_eq(rt_plan_stamp(&p, g, &st, "c2", 0), 0);
	ck_assert_str_eq(describe(p), "stamp:D c1,I c2");
	ck_assert_str_eq(fx_ids(&p->heads_after), "b1,c2");
	ck_assert_str_eq(fx_ids(&p->heads_before), "b1,c1");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");
	tcase_add_checked_fixture(tc, fx_setup, teardown);
	tcase_add_test(tc, linear_upgrade_and_downgrade);
	tcase_add_test(tc, relative_targets);
	tcase_add_test(tc, branch_and_merge);
	tcase_add_test(tc, multiple_heads);
	tcase_add_test(tc, depends_on_order_and_rows);
	tcase_add_test(tc, downgrade_keeps_what_depends_on_the_target);
	tcase_add_test(tc, irreversible_downgrade);
	tcase_add_test(tc, bad_script_fails_planning);
	tcase_add_test(tc, stamps);
	tcase_add_test(tc, stamp_keeps_other_branches);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
