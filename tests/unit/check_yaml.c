/*
 * check_yaml.c - unit tests for the YAML tree: the flat fast path must build exactly the
 * tree libyaml builds, or decline; and libyaml's errors keep their file lines.
 */
#include "unit.h"
#include "yaml_tree.h"

/* 1 when both trees are the same: kinds, values, plain flags, lines. */
static int same_tree(const struct rt_ynode *a, const struct rt_ynode *b, char *why, size_t n)
{
	if (!a || !b) {
		snprintf(why, n, "one tree is empty");
		return a == b;
	}
	if (a->kind != b->kind || a->n != b->n || a->line != b->line) {
		snprintf(why, n, "kind %d/%d n %zu/%zu line %d/%d", a->kind, b->kind, a->n, b->n, a->line, b->line);
		return 0;
	}
	if (a->kind == RT_Y_SCALAR && (strcmp(a->value, b->value) != 0 || a->plain != b->plain)) {
		snprintf(why, n, "scalar '%s'/'%s' plain %d/%d", a->value, b->value, a->plain, b->plain);
		return 0;
	}
	for (size_t i = 0; i < a->n; i++)
		if (!same_tree(a->items[i], b->items[i], why, n))
			return 0;
	return 1;
}

static const char *const accepted[] = {
	"revision: 3f2a9c1b7d4e\ndown_revision: null\n",
	"revision: a1\ndown_revision: [b2, c3]\nbranch_labels: [billing]\ndepends_on: []\n",
	"message: add accounts table\ncreate_date: 2026-11-26T10:00:00Z\ntransactional: true\n",
	"message: \"quoted \\\"text\\\" with \\\\ and \\n\"\n",
	"revision: a1 # trailing comment\ndown_revision: ~\n\n# a comment line\nmessage: a#b c\n",
	"revision: 000123\ndown_revision: 1e10\n",
	"down_revision:\nmessage: x\n",
	"down_revision: [ a ,b ]  # spaced\r\nmessage: crlf\r\n",
	"key_2: value with: colon-inside\n",
	"message: 'single'\n",           /* declined: single quotes */
	"revision: &a x\n",               /* declined: anchor */
	"message: >\n  folded\n",         /* declined: block scalar */
	"database:\n  url: x\n",          /* declined: nesting */
	"message: caf\xc3\xa9\n",         /* declined: non-ASCII */
	"revision: a1\nrevision: b2\n",   /* declined: duplicate key (libyaml errs) */
	"list: [a, [b]]\n",               /* declined: nested flow */
	"list: [a, 'b']\n",               /* declined: quoted item */
	"message: \"unusual \\u00e9 escape\"\n", /* declined */
	"- a\n- b\n",                     /* declined: a sequence document */
	"message: ends with colon:\n",    /* declined */
	"message: del\x7f char\n",        /* declined: libyaml rejects DEL (found by fuzzing) */
	"t: true\nf: off\nn: NULL\n",
};

START_TEST(flat_matches_libyaml)
{
	const char *doc = accepted[_i];
	struct rt_ynode *fast = NULL, *slow = NULL;
	char why[256] = "";
	int frc = rt_yaml_parse_flat(doc, strlen(doc), 5, &fast);
	int src = rt_yaml_parse_libyaml("t.yaml", doc, strlen(doc), 5, &slow);

	ck_assert_int_ge(frc, 0);
	if (frc == 1) {
		ck_assert_int_eq(src, 0);
		ck_assert_msg(same_tree(fast, slow, why, sizeof(why)), "doc %d differs: %s", _i, why);
	} else {
		ck_assert_ptr_null(fast);
	}
	rt_ynode_free(fast);
	rt_ynode_free(slow);
	rt_error_clear();
}
END_TEST

START_TEST(flat_accepts_typical_headers)
{
	static const char *const typical[] = { accepted[0], accepted[1], accepted[2], accepted[3],
		                                   accepted[4], accepted[5], accepted[6], accepted[7] };
	for (size_t i = 0; i < sizeof(typical) / sizeof(typical[0]); i++) {
		struct rt_ynode *n = NULL;
		ck_assert_msg(rt_yaml_parse_flat(typical[i], strlen(typical[i]), 1, &n) == 1, "doc %zu declined", i);
		rt_ynode_free(n);
	}
}
END_TEST

START_TEST(flat_declines_what_it_does_not_know)
{
	for (size_t i = 9; i < 21; i++) {
		struct rt_ynode *n = NULL;
		ck_assert_msg(rt_yaml_parse_flat(accepted[i], strlen(accepted[i]), 1, &n) == 0, "doc %zu accepted", i);
		ck_assert_ptr_null(n);
	}
}
END_TEST

START_TEST(errors_keep_file_lines)
{
	struct rt_ynode *n = NULL;
	const char *doc = "a: 1\nb: [unclosed\n";
	ck_assert_int_eq(rt_yaml_parse("f.yaml", doc, strlen(doc), 10, &n), RT_EINPUT);
	ck_assert_error_contains("f.yaml:1");
	ck_assert_ptr_null(n);
	doc = "a: 1\na: 2\n";
	ck_assert_int_eq(rt_yaml_parse("f.yaml", doc, strlen(doc), 10, &n), RT_EINPUT);
	ck_assert_error_contains("f.yaml:11: duplicate key 'a' (first at line 10)");
	rt_error_clear();
}
END_TEST

static int flat_attempt(void *doc)
{
	struct rt_ynode *n = NULL;
	int rc = rt_yaml_parse_flat(doc, strlen(doc), 1, &n);

	if (rc == RT_ENOMEM)
		ck_assert_ptr_null(n);
	rt_ynode_free(n);
	return rc;
}

START_TEST(flat_out_of_memory_is_clean)
{
	/* 1: the flat parser read the document */
	ck_assert_int_eq(unit_oom_loop("rt_yaml_parse_flat", flat_attempt, (void *)accepted[1], 10, 40), 1);
	rt_error_clear();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("yaml");
	tcase_add_loop_test(tc, flat_matches_libyaml, 0, (int)(sizeof(accepted) / sizeof(accepted[0])));
	tcase_add_test(tc, flat_accepts_typical_headers);
	tcase_add_test(tc, flat_declines_what_it_does_not_know);
	tcase_add_test(tc, errors_keep_file_lines);
	tcase_add_test(tc, flat_out_of_memory_is_clean);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
