/*
 * check_vars.c - unit tests for rt_vars_substitute(): ${name} references replaced in
 * code, strings and dollar-quoted bodies, never in comments; every other use of '$'
 * untouched; undefined names reported with their line.
 */
#include "unit.h"
#include "sql_lex.h"

static struct rt_var vars[] = {
	{ "schema", "app" },
	{ "owner", "alice" },
	{ "_x1", "v'q" },
	{ "empty", "" },
	{ "ref", "${schema}" },
	{ "evil", "x'); DROP TABLE t; --" },
	{ "quoted", "my \"table\"" },
	{ "slash", "a\\b'c" },
};

static struct rt_config make_cfg(void)
{
	struct rt_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vars = vars;
	cfg.nvars = sizeof(vars) / sizeof(vars[0]);
	return cfg;
}

/* Substitutes text and compares with want. */
static void subst(const char *text, const char *want)
{
	struct rt_config cfg = make_cfg();
	char *out = NULL;
	int rc = rt_vars_substitute(text, strlen(text), &cfg, "v/a.sql", 1, &out);
	ck_assert_msg(rc == 0, "'%s': %s", text, rt_error_last()->message);
	ck_assert_str_eq(out, want);
	free(out);
}

static void subst_fails(const struct rt_config *cfg, const char *text, int base_line,
                        const char *message, int line)
{
	char *out = (char *)"untouched";
	int rc = rt_vars_substitute(text, strlen(text), cfg, "v/a.sql", base_line, &out);
	ck_assert_int_eq(rc, RT_EINPUT);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(rt_error_last()->message, message);
	ck_assert_str_eq(rt_error_last()->file, "v/a.sql");
	ck_assert_int_eq(rt_error_last()->line, line);
}

START_TEST(test_plain)
{
	subst("CREATE TABLE ${schema}.t (a int) OWNER ${owner}",
	      "CREATE TABLE app.t (a int) OWNER alice");
	subst("${schema}", "app");
	subst("${schema}${owner}", "appalice");
	subst("x_${schema}_y", "x_app_y");
	subst("${_x1}", "v'q");
	subst("a${empty}b", "ab");
	subst("", "");
	subst("no references at all", "no references at all");
}
END_TEST

START_TEST(test_values_not_rescanned)
{
	subst("SELECT '${ref}'", "SELECT '${schema}'");
}
END_TEST

START_TEST(test_in_strings_and_identifiers)
{
	subst("SELECT '${schema}', \"${owner}\", E'\\'${schema}'", "SELECT 'app', \"alice\", E'\\'app'");
	subst("SELECT 'it''s ${owner}'", "SELECT 'it''s alice'");
}
END_TEST

START_TEST(test_in_dollar_quotes)
{
	subst("DO $$ BEGIN EXECUTE 'SET search_path = ${schema}'; END $$",
	      "DO $$ BEGIN EXECUTE 'SET search_path = app'; END $$");
	subst("CREATE FUNCTION f() RETURNS text AS $fn$ SELECT '${owner}' $fn$ LANGUAGE sql",
	      "CREATE FUNCTION f() RETURNS text AS $fn$ SELECT 'alice' $fn$ LANGUAGE sql");
	subst("SELECT $q$${schema}$q$", "SELECT $q$app$q$");
	/* the delimiters of a dollar quote are not part of a reference */
	subst("SELECT $${schema}$$", "SELECT $${schema}$$");
	subst("SELECT $$x$${schema}", "SELECT $$x$${schema}");
}
END_TEST

START_TEST(test_not_in_comments)
{
	subst("SELECT 1 -- ${schema} ${nope}\n, ${owner} /* ${nope} */ ${schema}",
	      "SELECT 1 -- ${schema} ${nope}\n, alice /* ${nope} */ app");
	subst("/* a /* ${nope} */ ${nope} */ SELECT '${schema}'",
	      "/* a /* ${nope} */ ${nope} */ SELECT 'app'");
	/* a "--" inside a string is no comment */
	subst("SELECT '-- ${schema}', 1 -- ${nope}", "SELECT '-- app', 1 -- ${nope}");
}
END_TEST

START_TEST(test_other_dollars_untouched)
{
	subst("SELECT $1, $2, $$ $$, $a$ x $a$, ${ schema }, ${1}, ${}, ${schema, $ {schema}, $",
	      "SELECT $1, $2, $$ $$, $a$ x $a$, ${ schema }, ${1}, ${}, ${schema, $ {schema}, $");
	subst("${schema-x}", "${schema-x}");
	/* "$$" opens a dollar quote (never closed here): its delimiter is not part of a reference */
	subst("$${schema}", "$${schema}");
	subst("$$$${schema}", "$$$${schema}");
}
END_TEST

START_TEST(test_undefined)
{
	struct rt_config cfg = make_cfg();
	subst_fails(&cfg, "SELECT 1,\n  '${schema}',\n\n  ${missing}", 10,
	            "v/a.sql:13: undefined variable '${missing}'", 13);
	ck_assert_str_eq(rt_error_last()->hint,
	                 "Define it under 'variables:' in retort.yaml or pass -x missing=VALUE.");
	subst_fails(&cfg, "-- ${a}\n/* ${b}\n */ $$\n${c}$$", 1, "v/a.sql:4: undefined variable '${c}'",
	            4);
	subst_fails(NULL, "SELECT ${schema}", 7, "v/a.sql:7: undefined variable '${schema}'", 7);
	/* names are case-sensitive */
	subst_fails(&cfg, "${Schema}", 1, "v/a.sql:1: undefined variable '${Schema}'", 1);
}
END_TEST

START_TEST(test_quoting_forms)
{
	struct rt_config cfg = make_cfg();
	char *out = NULL;

	subst("SELECT ${evil:literal}", "SELECT 'x''); DROP TABLE t; --'");
	subst("CREATE TABLE ${quoted:ident} ()", "CREATE TABLE \"my \"\"table\"\"\" ()");
	subst("${owner:ident}.${owner:literal}", "\"alice\".'alice'");
	subst("${empty:literal}${empty:ident}", "''\"\"");
	/* PostgreSQL: a backslash gets an E'' string, right whatever standard_conforming_strings */
	subst("SELECT ${slash:literal}", "SELECT E'a\\\\b''c'");
	ck_assert_int_eq(rt_vars_substitute_dialect(RT_DIALECT_SQLITE, "${slash:literal}", 16, &cfg,
	                                            "v/a.sql", 1, &out), 0);
	ck_assert_str_eq(out, "'a\\b''c'");
	free(out);
	/* not references: left alone */
	subst("${owner:}", "${owner:}");
	subst("${owner: ident}", "${owner: ident}");
	subst_fails(&cfg, "SELECT 1,\n ${owner:literl}", 3, "v/a.sql:4: unknown variable form '${owner:literl}'", 4);
	ck_assert_str_eq(rt_error_last()->hint, "Write ${owner} for the value as it is, ${owner:literal} for a "
	                 "quoted SQL string or ${owner:ident} for a quoted identifier.");
	subst_fails(&cfg, "${nope:ident}", 1, "v/a.sql:1: undefined variable '${nope}'", 1);
}
END_TEST

START_TEST(test_length_bounds)
{
	struct rt_config cfg = make_cfg();
	char *out = NULL;
	/* only len bytes are read: a reference cut by len is no reference */
	ck_assert_int_eq(rt_vars_substitute("a ${schema} ${owner}", 17, &cfg, "v/a.sql", 1, &out), 0);
	ck_assert_str_eq(out, "a app ${own");
	free(out);
	ck_assert_int_eq(rt_vars_substitute("${schema}", 8, &cfg, "v/a.sql", 1, &out), 0);
	ck_assert_str_eq(out, "${schema");
	free(out);
}
END_TEST

static int substitute_attempt(void *cfg)
{
	const char *text = "SELECT '${schema}' -- c\n, $$ ${owner} $$, ${_x1}";
	char *out = NULL;
	int rc = rt_vars_substitute(text, strlen(text), cfg, "v/a.sql", 1, &out);

	if (rc == 0)
		ck_assert_str_eq(out, "SELECT 'app' -- c\n, $$ alice $$, v'q");
	else
		ck_assert_ptr_null(out);
	free(out);
	return rc;
}

START_TEST(test_out_of_memory)
{
	struct rt_config cfg = make_cfg();

	ck_assert_int_eq(unit_oom_loop("rt_vars_substitute", substitute_attempt, &cfg, 2, 1000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("vars");
	TCase *tc = tcase_create("vars");
	tcase_add_test(tc, test_plain);
	tcase_add_test(tc, test_values_not_rescanned);
	tcase_add_test(tc, test_in_strings_and_identifiers);
	tcase_add_test(tc, test_in_dollar_quotes);
	tcase_add_test(tc, test_not_in_comments);
	tcase_add_test(tc, test_other_dollars_untouched);
	tcase_add_test(tc, test_undefined);
	tcase_add_test(tc, test_quoting_forms);
	tcase_add_test(tc, test_length_bounds);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
