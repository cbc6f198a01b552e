/*
 * check_pg_relations.c - unit tests for naming the tables a PostgreSQL statement touches
 * (used in lock-timeout messages): typed RangeVar fields, lists of them, schemas,
 * quoting, duplicates, and statements that name no table or do not parse.
 */
#include "unit.h"
#include "pg_relations.h"

static void expect(const char *sql, const char *want)
{
	char *got = rt_pg_relations_text(sql);
	if (!want) {
		ck_assert_msg(got == NULL, "'%s' gave '%s'", sql, got ? got : "");
	} else {
		ck_assert_msg(got != NULL, "'%s' gave nothing", sql);
		ck_assert_str_eq(got, want);
	}
	free(got);
}

START_TEST(tables_are_named)
{
	expect("ALTER TABLE accounts ADD COLUMN x int", "table \"accounts\"");
	expect("ALTER TABLE app.accounts ADD COLUMN x int", "table \"app\".\"accounts\"");
	expect("CREATE INDEX i ON \"Odd \"\"Name\" (a)", "table \"Odd \"\"Name\"");
	expect("LOCK TABLE a, b, c", "tables \"a\", \"b\" or \"c\"");
	expect("ALTER TABLE child ADD FOREIGN KEY (p) REFERENCES parent (id)", "tables \"child\" or \"parent\"");
	expect("UPDATE t SET a = 1 FROM t AS t2 WHERE t.id = t2.id", "table \"t\"");
}
END_TEST

START_TEST(nothing_to_name)
{
	expect("SELECT 1", NULL);
	expect("SET lock_timeout = '1s'", NULL);
	expect("THIS IS NOT SQL", NULL);
	expect("SELECT '\"relname\":\"fake\"'", NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pg_relations");
	TCase *tc = tcase_create("pg_relations");
	tcase_add_test(tc, tables_are_named);
	tcase_add_test(tc, nothing_to_name);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
