/*
 * check_split.c - unit tests for rt_sql_split(): statement boundaries, the text and line
 * of every statement, unterminated constructs, and the flags the SQLite and PostgreSQL
 * classifiers set.
 */
#include "unit.h"

#define PG RT_DIALECT_POSTGRESQL
#define LITE RT_DIALECT_SQLITE

struct split {
	struct rt_stmt *st;
	size_t n;
};

static struct split split_ok(enum rt_dialect d, const char *sql, int base_line)
{
	struct split s = { NULL, 0 };
	int rc = rt_sql_split(d, "v/a.sql", sql, strlen(sql), base_line, &s.st, &s.n);
	ck_assert_msg(rc == 0, "split failed (%d): %s", rc, rt_error_last()->message);
	for (size_t i = 0; i < s.n; i++) {
		ck_assert_str_eq(s.st[i].path, "v/a.sql");
		ck_assert_uint_eq(s.st[i].len, strlen(s.st[i].sql));
	}
	return s;
}

static void split_fails(enum rt_dialect d, const char *sql, int base_line, const char *message,
                        int line)
{
	struct rt_stmt *st = (struct rt_stmt *)1;
	size_t n = 99;
	int rc = rt_sql_split(d, "v/a.sql", sql, strlen(sql), base_line, &st, &n);
	ck_assert_int_eq(rc, RT_EINPUT);
	ck_assert_ptr_null(st);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(rt_error_last()->message, message);
	ck_assert_int_eq(rt_error_last()->code, RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->file, "v/a.sql");
	ck_assert_int_eq(rt_error_last()->line, line);
	ck_assert_ptr_nonnull(rt_error_last()->hint);
}

/* Asserts statement i: its text, line and flags. */
static void expect(const struct split *s, size_t i, const char *sql, int line, unsigned flags)
{
	ck_assert_msg(i < s->n, "only %zu statements", s->n);
	ck_assert_str_eq(s->st[i].sql, sql);
	ck_assert_int_eq(s->st[i].line, line);
	ck_assert_msg(s->st[i].flags == flags, "'%s': flags %u, expected %u", sql, s->st[i].flags,
	              flags);
}

static void release(struct split *s)
{
	rt_stmts_free(s->st, s->n);
}

/* ---- both dialects ---- */

START_TEST(test_basic_lines)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, "\n  CREATE TABLE t (a int);\n\nINSERT INTO t VALUES (1);"
		                             "  INSERT INTO t VALUES (2)  ;\n  \n", 10);
		ck_assert_uint_eq(s.n, 3);
		expect(&s, 0, "CREATE TABLE t (a int)", 11, 0);
		expect(&s, 1, "INSERT INTO t VALUES (1)", 13, 0);
		expect(&s, 2, "INSERT INTO t VALUES (2)", 13, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_semicolons_in_quotes)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, "INSERT INTO t VALUES ('a;b', 'it''s; ok');\n"
		                             "SELECT \"odd;name\", \"q\"\"; x\" FROM t;", 1);
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 0, "INSERT INTO t VALUES ('a;b', 'it''s; ok')", 1, 0);
		expect(&s, 1, "SELECT \"odd;name\", \"q\"\"; x\" FROM t", 2, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_comments)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, "-- lead; comment\n/* block; */ SELECT 1 -- one;\n;\n"
		                             "SELECT /* in; side */ 2; -- trailing; comment\n"
		                             "/* only a comment; */\n-- and another\n", 5);
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 0, "SELECT 1", 6, 0);
		expect(&s, 1, "SELECT /* in; side */ 2", 8, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_empty_pieces)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, ";;  ;\n-- x\n;", 1);
		ck_assert_uint_eq(s.n, 0);
		ck_assert_ptr_null(s.st);
		release(&s);
		s = split_ok(d, "", 1);
		ck_assert_uint_eq(s.n, 0);
		release(&s);
		s = split_ok(d, ";;SELECT 1;;;SELECT 2;;", 3);
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 0, "SELECT 1", 3, 0);
		expect(&s, 1, "SELECT 2", 3, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_no_final_semicolon)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, "SELECT 1;\nSELECT 2 -- last\n\n", 1);
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 1, "SELECT 2", 2, 0);
		release(&s);
		s = split_ok(d, "SELECT 3", 7);
		ck_assert_uint_eq(s.n, 1);
		expect(&s, 0, "SELECT 3", 7, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_crlf_and_utf8)
{
	for (int d = 0; d < 2; d++) {
		struct split s = split_ok(d, "SELECT 'ünï;cødé';\r\n\r\nSELECT 'é' AS \"ñ;\"\r\n;\r\n", 1);
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 0, "SELECT 'ünï;cødé'", 1, 0);
		expect(&s, 1, "SELECT 'é' AS \"ñ;\"", 3, 0);
		release(&s);
	}
}
END_TEST

START_TEST(test_unterminated)
{
	for (int d = 0; d < 2; d++) {
		split_fails(d, "SELECT 1;\nSELECT 'abc;\n\nSELECT 2;", 3,
		            "v/a.sql:4: unterminated string literal", 4);
		split_fails(d, "SELECT 1;\n\nSELECT \"abc;\nSELECT 2;", 1,
		            "v/a.sql:3: unterminated quoted identifier", 3);
		split_fails(d, "SELECT 1; /* open\n\n*", 1, "v/a.sql:1: unterminated /* comment", 1);
		split_fails(d, "SELECT 1;\n'", 20, "v/a.sql:21: unterminated string literal", 21);
	}
}
END_TEST

START_TEST(test_nul_byte)
{
	struct rt_stmt *st;
	size_t n;
	for (int d = 0; d < 2; d++) {
		ck_assert_int_eq(rt_sql_split(d, "v/a.sql", "SELECT 1;\nSELECT\0 2;", 20, 1, &st, &n),
		                 RT_EINPUT);
		ck_assert_str_eq(rt_error_last()->message, "v/a.sql:2: the SQL contains a NUL byte");
		ck_assert_int_eq(rt_error_last()->line, 2);
	}
}
END_TEST

START_TEST(test_length_not_nul)
{
	/* text need not be NUL-terminated: only len bytes count */
	struct split s;
	const char *text = "SELECT 1; SELECT 2; garbage '";
	for (int d = 0; d < 2; d++) {
		struct rt_stmt *st;
		size_t n;
		ck_assert_int_eq(rt_sql_split(d, "v/a.sql", text, 18, 1, &st, &n), 0);
		s.st = st;
		s.n = n;
		ck_assert_uint_eq(s.n, 2);
		expect(&s, 1, "SELECT 2", 1, 0);
		release(&s);
	}
}
END_TEST

/* ---- PostgreSQL ---- */

START_TEST(test_pg_estring_and_backslashes)
{
	struct split s = split_ok(PG, "SELECT E'it\\'s; \\\\';\nSELECT 'a\\';\nSELECT e'\\';';", 1);
	ck_assert_uint_eq(s.n, 3);
	expect(&s, 0, "SELECT E'it\\'s; \\\\'", 1, 0);
	expect(&s, 1, "SELECT 'a\\'", 2, 0); /* standard strings: the backslash is a character */
	expect(&s, 2, "SELECT e'\\';'", 3, 0);
	release(&s);
	split_fails(PG, "SELECT 1;\nSELECT E'abc\\';\n", 1, "v/a.sql:2: unterminated string literal", 2);
	/* an identifier ending in e is no E'' prefix */
	s = split_ok(PG, "SELECT some'a\\'; SELECT 2", 1);
	ck_assert_uint_eq(s.n, 2);
	release(&s);
}
END_TEST

START_TEST(test_pg_nested_comments)
{
	struct split s = split_ok(PG, "/* a /* b; */ still; comment */ SELECT 1;\n"
	                              "SELECT /* x /* y */ ; */ 2;", 1);
	ck_assert_uint_eq(s.n, 2);
	expect(&s, 0, "SELECT 1", 1, 0);
	expect(&s, 1, "SELECT /* x /* y */ ; */ 2", 2, 0);
	release(&s);
	split_fails(PG, "SELECT 1;\n/* a /* b */ c;\nSELECT 2;", 1,
	            "v/a.sql:2: unterminated /* comment", 2);
	ck_assert_ptr_nonnull(strstr(rt_error_last()->hint, "nest"));
}
END_TEST

START_TEST(test_pg_dollar_quotes)
{
	const char *sql =
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
		"BEGIN\n"
		"  NEW.b := 'x;y'; -- ; in the body\n"
		"  RETURN NEW;\n"
		"END;\n"
		"$fn$;\n"
		"DO $$ BEGIN PERFORM 1; END $$;\n"
		"SELECT $a$ $b$ ; $b$ $a$, $_$;$_$, $ü$;$ü$;\n"
		"SELECT $1, ${name};\n"
		"SELECT x$y$ FROM t;";
	struct split s = split_ok(PG, sql, 1);
	ck_assert_uint_eq(s.n, 5);
	ck_assert_int_eq(s.st[0].line, 1);
	ck_assert_ptr_nonnull(strstr(s.st[0].sql, "RETURN NEW;\nEND;\n$fn$"));
	ck_assert_str_eq(s.st[0].sql + s.st[0].len - 4, "$fn$");
	expect(&s, 1, "DO $$ BEGIN PERFORM 1; END $$", 7, 0);
	expect(&s, 2, "SELECT $a$ $b$ ; $b$ $a$, $_$;$_$, $ü$;$ü$", 8, 0);
	expect(&s, 3, "SELECT $1, ${name}", 9, 0);
	expect(&s, 4, "SELECT x$y$ FROM t", 10, 0);
	release(&s);
	split_fails(PG, "SELECT 1;\n\nDO $body$ BEGIN; END $bod$;\nSELECT 2;", 1,
	            "v/a.sql:3: unterminated dollar-quoted string", 3);
	ck_assert_ptr_nonnull(strstr(rt_error_last()->hint, "$body$"));
}
END_TEST

START_TEST(test_pg_parens_and_keywordless)
{
	/* a ';' inside parentheses does not split (CREATE RULE) */
	struct split s = split_ok(PG, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);\n"
	                              "SELECT 3", 1);
	ck_assert_uint_eq(s.n, 2);
	expect(&s, 0, "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)", 1, 0);
	expect(&s, 1, "SELECT 3", 2, 0);
	release(&s);
	/* libpg_query's scanner drops these; they must come back */
	s = split_ok(PG, "SELECT 1;\nfoo bar;\n'x';\nSELECT 3", 1);
	ck_assert_uint_eq(s.n, 4);
	expect(&s, 0, "SELECT 1", 1, 0);
	expect(&s, 1, "foo bar", 2, 0);
	expect(&s, 2, "'x'", 3, 0);
	expect(&s, 3, "SELECT 3", 4, 0);
	release(&s);
	s = split_ok(PG, "SELECT 1);\nSELECT 2;\nCREATE INDEX CONCURRENTLY i ON t (a)", 1);
	ck_assert_uint_eq(s.n, 3);
	expect(&s, 0, "SELECT 1)", 1, 0);
	expect(&s, 1, "SELECT 2", 2, 0);
	expect(&s, 2, "CREATE INDEX CONCURRENTLY i ON t (a)", 3, RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT);
	release(&s);
}
END_TEST

START_TEST(test_pg_scanner_errors)
{
	/* cursorpos counts characters: the line must still be right after multibyte text */
	split_fails(PG, "SELECT 'ünïcødé';\nSELECT 'é',\n 123abc;", 1,
	            "v/a.sql:3: trailing junk after numeric literal at or near \"123a\"", 3);
	split_fails(PG, "SELECT 1;\nSELECT \"\" FROM t;", 5,
	            "v/a.sql:6: zero-length delimited identifier at or near \"\"\"\"", 6);
}
END_TEST

START_TEST(test_pg_unsplittable_statement_is_kept)
{
	/* syntax the PostgreSQL 15 grammar does not know: no flags, no failure */
	struct split s = split_ok(PG, "SELECT JSON_OBJECT('a': 1);\nALTER TABLE t ALTER COLUMN c SET "
	                              "EXPRESSION AS (a + 1)", 1);
	ck_assert_uint_eq(s.n, 2);
	expect(&s, 0, "SELECT JSON_OBJECT('a': 1)", 1, 0);
	expect(&s, 1, "ALTER TABLE t ALTER COLUMN c SET EXPRESSION AS (a + 1)", 2, 0);
	release(&s);
}
END_TEST

static const struct {
	const char *sql;
	unsigned flags;
} pg_cases[] = {
	/* cannot run in a transaction block */
	{ "CREATE INDEX CONCURRENTLY i ON t (a)", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT },
	{ "create unique index concurrently if not exists i on t (a)", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT },
	{ "DROP INDEX CONCURRENTLY i", RT_STMT_NO_TXN | RT_STMT_CONCURRENT },
	{ "DROP INDEX CONCURRENTLY IF EXISTS i", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT },
	{ "REINDEX INDEX CONCURRENTLY i", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT },
	{ "REINDEX (CONCURRENTLY) TABLE t", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT },
	{ "REINDEX (CONCURRENTLY false) TABLE t", RT_STMT_IDEMPOTENT },
	{ "REINDEX SCHEMA s", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "REINDEX DATABASE d", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "REINDEX SYSTEM d", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "ALTER TABLE p DETACH PARTITION c CONCURRENTLY", RT_STMT_NO_TXN | RT_STMT_CONCURRENT },
	{ "VACUUM", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "VACUUM FULL t", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "VACUUM (ANALYZE) t", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "CLUSTER", RT_STMT_NO_TXN },
	{ "CREATE DATABASE d", RT_STMT_NO_TXN },
	{ "DROP DATABASE d", RT_STMT_NO_TXN },
	{ "DROP DATABASE IF EXISTS d", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "DROP TABLESPACE IF EXISTS ts", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "DROP SUBSCRIPTION IF EXISTS s", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
	{ "ALTER DATABASE d SET TABLESPACE ts", RT_STMT_NO_TXN },
	{ "CREATE TABLESPACE ts LOCATION '/x'", RT_STMT_NO_TXN },
	{ "DROP TABLESPACE ts", RT_STMT_NO_TXN },
	{ "ALTER SYSTEM SET work_mem = '64MB'", RT_STMT_NO_TXN },
	{ "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", RT_STMT_NO_TXN },
	{ "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = true)", RT_STMT_NO_TXN },
	{ "DROP SUBSCRIPTION s", RT_STMT_NO_TXN },
	{ "COMMIT PREPARED 'x'", RT_STMT_NO_TXN },
	{ "ROLLBACK PREPARED 'x'", RT_STMT_NO_TXN },
	{ "DISCARD ALL", RT_STMT_NO_TXN },
	/* safe to rerun */
	{ "CREATE TABLE IF NOT EXISTS t (a int)", RT_STMT_IDEMPOTENT },
	{ "CREATE INDEX IF NOT EXISTS i ON t (a)", RT_STMT_IDEMPOTENT },
	{ "CREATE SCHEMA IF NOT EXISTS s", RT_STMT_IDEMPOTENT },
	{ "CREATE SEQUENCE IF NOT EXISTS q", RT_STMT_IDEMPOTENT },
	{ "CREATE EXTENSION IF NOT EXISTS pgcrypto", RT_STMT_IDEMPOTENT },
	{ "DROP TABLE IF EXISTS t", RT_STMT_IDEMPOTENT },
	{ "DROP VIEW IF EXISTS v CASCADE", RT_STMT_IDEMPOTENT },
	{ "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int, DROP COLUMN IF EXISTS d", RT_STMT_IDEMPOTENT },
	{ "ALTER TABLE t DROP CONSTRAINT IF EXISTS c", RT_STMT_IDEMPOTENT },
	{ "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", RT_STMT_IDEMPOTENT },
	{ "CREATE OR REPLACE VIEW v AS SELECT 1", RT_STMT_IDEMPOTENT },
	{ "ANALYZE", RT_STMT_IDEMPOTENT },
	{ "ANALYZE t", RT_STMT_IDEMPOTENT },
	{ "REINDEX TABLE t", RT_STMT_IDEMPOTENT },
	{ "SET lock_timeout = '2s'", RT_STMT_IDEMPOTENT },
	{ "SET LOCAL statement_timeout TO 0", RT_STMT_IDEMPOTENT },
	{ "RESET lock_timeout", RT_STMT_IDEMPOTENT },
	/* transaction control */
	{ "BEGIN", RT_STMT_TXN_CONTROL },
	{ "START TRANSACTION ISOLATION LEVEL SERIALIZABLE", RT_STMT_TXN_CONTROL },
	{ "COMMIT", RT_STMT_TXN_CONTROL },
	{ "END", RT_STMT_TXN_CONTROL },
	{ "ROLLBACK", RT_STMT_TXN_CONTROL },
	{ "ABORT", RT_STMT_TXN_CONTROL },
	{ "SAVEPOINT s", RT_STMT_TXN_CONTROL },
	{ "RELEASE SAVEPOINT s", RT_STMT_TXN_CONTROL },
	{ "ROLLBACK TO SAVEPOINT s", RT_STMT_TXN_CONTROL },
	/* none of the above */
	{ "CREATE INDEX i ON t (a)", 0 },
	{ "CREATE TABLE t (a int)", 0 },
	{ "DROP TABLE t", 0 },
	{ "DROP INDEX i", 0 },
	{ "ALTER TABLE t ADD COLUMN c int", 0 },
	{ "ALTER TABLE IF EXISTS t ADD COLUMN c int", 0 },
	{ "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int, ADD COLUMN d int", 0 },
	{ "ALTER TABLE p DETACH PARTITION c", 0 },
	{ "ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)", 0 },
	{ "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", 0 },
	{ "CREATE VIEW v AS SELECT 1", 0 },
	{ "CLUSTER t USING i", 0 },
	{ "ALTER DATABASE d SET work_mem = '1MB'", 0 },
	{ "ALTER DATABASE d CONNECTION LIMIT 5", 0 },
	{ "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = false)", 0 },
	{ "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)", 0 },
	{ "DISCARD PLANS", 0 },
	{ "REFRESH MATERIALIZED VIEW CONCURRENTLY m", 0 },
	{ "ALTER TYPE e ADD VALUE 'x'", 0 },
	{ "INSERT INTO t VALUES (1)", 0 },
	{ "SELECT 'COMMIT'", 0 },
	{ "PREPARE TRANSACTION 'x'", RT_STMT_TXN_CONTROL },
};

START_TEST(test_pg_copy_data)
{
	struct split s = split_ok(PG, "CREATE TABLE t (a int, b text);\n"
	                              "COPY t (a, b) FROM stdin WITH (FORMAT text); -- data next\n"
	                              "1\tit's; 'x\n"
	                              "2\t$$ /* \\N\n"
	                              "\\.\n"
	                              "SELECT 1;\n"
	                              "copy t from STDIN;\r\n"
	                              "\\.\r\n"
	                              "COPY t TO STDOUT;\n"
	                              "COPY t FROM '/tmp/f';\n", 10);
	ck_assert_uint_eq(s.n, 6);
	expect(&s, 0, "CREATE TABLE t (a int, b text)", 10, 0);
	expect(&s, 1, "COPY t (a, b) FROM stdin WITH (FORMAT text)", 11, RT_STMT_COPY_IN);
	ck_assert_str_eq(s.st[1].copy_data, "1\tit's; 'x\n2\t$$ /* \\N\n");
	ck_assert_uint_eq(s.st[1].copy_len, strlen(s.st[1].copy_data));
	ck_assert_int_eq(s.st[1].copy_line, 12);
	expect(&s, 2, "SELECT 1", 15, 0);
	expect(&s, 3, "copy t from STDIN", 16, RT_STMT_COPY_IN);
	ck_assert_str_eq(s.st[3].copy_data, ""); /* no rows */
	expect(&s, 4, "COPY t TO STDOUT", 18, RT_STMT_COPY_OUT);
	ck_assert_ptr_null(s.st[4].copy_data);
	expect(&s, 5, "COPY t FROM '/tmp/f'", 19, 0); /* a server file: nothing special */
	release(&s);
	/* the data of the last statement may end the text without a newline */
	s = split_ok(PG, "COPY t FROM stdin;\n1\n\\.", 1);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.st[0].copy_data, "1\n");
	release(&s);
	/* "(SELECT ... FROM stdin)" is no COPY FROM STDIN: no data is taken */
	s = split_ok(PG, "COPY (SELECT 1 FROM stdin) TO STDOUT;\nSELECT 2;", 1);
	ck_assert_uint_eq(s.n, 2);
	release(&s);
	split_fails(PG, "SELECT 0;\nCOPY t FROM stdin;\n1\n\\. \n2\n", 3, "v/a.sql:4: unterminated COPY data", 4);
	/* a meta-command PostgreSQL's scanner chokes on is named as what it is (pg_dump's
	 * \restrict key may start with a digit) */
	split_fails(PG, "SELECT 1;\n\\restrict 5yQ3bX\nSELECT 2;", 4,
	            "v/a.sql:5: psql meta-command '\\restrict' in a revision", 5);
	split_fails(PG, "COPY t FROM stdin; SELECT 1;\n\\.\n", 1,
	            "v/a.sql:1: text after 'COPY ... FROM stdin;' on the same line", 1);
}
END_TEST

START_TEST(test_pg_classifier)
{
	for (size_t i = 0; i < sizeof(pg_cases) / sizeof(pg_cases[0]); i++) {
		struct split s = split_ok(PG, pg_cases[i].sql, 1);
		ck_assert_uint_eq(s.n, 1);
		expect(&s, 0, pg_cases[i].sql, 1, pg_cases[i].flags);
		release(&s);
	}
}
END_TEST

START_TEST(test_pg_classifier_in_context)
{
	struct split s = split_ok(PG, "-- build the index without locking writes\n"
	                              "CREATE INDEX CONCURRENTLY i ON t (a); /* then */\n"
	                              "COMMIT;\nVACUUM t;\nANALYZE t;\nSELECT 1", 1);
	ck_assert_uint_eq(s.n, 5);
	expect(&s, 0, "CREATE INDEX CONCURRENTLY i ON t (a)", 2, RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT);
	expect(&s, 1, "COMMIT", 3, RT_STMT_TXN_CONTROL);
	expect(&s, 2, "VACUUM t", 4, RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT);
	expect(&s, 3, "ANALYZE t", 5, RT_STMT_IDEMPOTENT);
	expect(&s, 4, "SELECT 1", 6, 0);
	release(&s);
}
END_TEST

/* ---- SQLite ---- */

START_TEST(test_sqlite_identifiers)
{
	struct split s = split_ok(LITE, "SELECT `a;b`, [c;d], \"e;f\", `g``;h` FROM t;\n"
	                                "SELECT [x]]; SELECT 2", 1);
	ck_assert_uint_eq(s.n, 3);
	expect(&s, 0, "SELECT `a;b`, [c;d], \"e;f\", `g``;h` FROM t", 1, 0);
	expect(&s, 1, "SELECT [x]]", 2, 0); /* brackets have no escape */
	expect(&s, 2, "SELECT 2", 2, 0);
	release(&s);
	split_fails(LITE, "SELECT 1;\nSELECT `abc;", 1, "v/a.sql:2: unterminated quoted identifier", 2);
	ck_assert_str_eq(rt_error_last()->hint, "Add the closing `.");
	split_fails(LITE, "\n\nSELECT [abc;", 1, "v/a.sql:3: unterminated quoted identifier", 3);
	ck_assert_str_eq(rt_error_last()->hint, "Add the closing ].");
}
END_TEST

START_TEST(test_sqlite_dialect_differences)
{
	/* no E'' strings, no nested comments, no dollar quotes in SQLite */
	struct split s = split_ok(LITE, "SELECT E'a\\';\n/* a /* b */ SELECT 1;\nSELECT $$; SELECT $a$", 1);
	ck_assert_uint_eq(s.n, 4);
	expect(&s, 0, "SELECT E'a\\'", 1, 0);
	expect(&s, 1, "SELECT 1", 2, 0);
	expect(&s, 2, "SELECT $$", 3, 0);
	expect(&s, 3, "SELECT $a$", 3, 0);
	release(&s);
	/* and PostgreSQL knows no backquotes or brackets */
	s = split_ok(PG, "SELECT a[1];SELECT '`';", 1);
	ck_assert_uint_eq(s.n, 2);
	release(&s);
}
END_TEST

START_TEST(test_sqlite_triggers)
{
	const char *sql =
		"CREATE TABLE t (a int, b text);\n"
		"CREATE TRIGGER tr AFTER INSERT ON t\n"
		"BEGIN\n"
		"  UPDATE t SET b = 'x;y' WHERE a = NEW.a;\n"
		"  INSERT INTO log VALUES (CASE WHEN NEW.a > 0 THEN 'pos' ELSE 'neg' END);\n"
		"  SELECT CASE NEW.a WHEN 1 THEN 'one' END;\n"
		"END;\n"
		"create temp trigger tr2 before delete on t begin delete from log; end;\n"
		"CREATE TEMPORARY TRIGGER IF NOT EXISTS tr3 AFTER UPDATE ON t BEGIN SELECT 1; END\n";
	struct split s = split_ok(LITE, sql, 1);
	ck_assert_uint_eq(s.n, 4);
	expect(&s, 0, "CREATE TABLE t (a int, b text)", 1, 0);
	expect(&s, 1,
	       "CREATE TRIGGER tr AFTER INSERT ON t\n"
	       "BEGIN\n"
	       "  UPDATE t SET b = 'x;y' WHERE a = NEW.a;\n"
	       "  INSERT INTO log VALUES (CASE WHEN NEW.a > 0 THEN 'pos' ELSE 'neg' END);\n"
	       "  SELECT CASE NEW.a WHEN 1 THEN 'one' END;\n"
	       "END",
	       2, 0);
	expect(&s, 2, "create temp trigger tr2 before delete on t begin delete from log; end", 8, 0);
	expect(&s, 3, "CREATE TEMPORARY TRIGGER IF NOT EXISTS tr3 AFTER UPDATE ON t BEGIN SELECT 1; END",
	       9, RT_STMT_IDEMPOTENT);
	release(&s);
	split_fails(LITE, "SELECT 1;\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n SELECT 1;\n", 1,
	            "v/a.sql:2: unterminated CREATE TRIGGER: its BEGIN has no END", 2);
}
END_TEST

START_TEST(test_sqlite_txn_control)
{
	static const struct {
		const char *sql;
		unsigned flags;
	} cases[] = {
		{ "BEGIN", RT_STMT_TXN_CONTROL },
		{ "begin immediate transaction", RT_STMT_TXN_CONTROL },
		{ "COMMIT", RT_STMT_TXN_CONTROL },
		{ "End Transaction", RT_STMT_TXN_CONTROL },
		{ "ROLLBACK TO s", RT_STMT_TXN_CONTROL },
		{ "SAVEPOINT s", RT_STMT_TXN_CONTROL },
		{ "RELEASE s", RT_STMT_TXN_CONTROL },
		{ "SELECT 'BEGIN'", 0 },
		{ "BEGINS", 0 },
		{ "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END", 0 },
		{ "CREATE INDEX i ON t (a)", 0 },
		{ "VACUUM", RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT },
		{ "analyze t", RT_STMT_IDEMPOTENT },
		{ "CREATE TABLE IF NOT EXISTS t (a)", RT_STMT_IDEMPOTENT },
		{ "create unique index if not exists i on t (a)", RT_STMT_IDEMPOTENT },
		{ "CREATE TEMP TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN SELECT 1; END", RT_STMT_IDEMPOTENT },
		{ "DROP TABLE IF EXISTS t", RT_STMT_IDEMPOTENT },
		{ "DROP VIEW v", 0 },
		{ "CREATE TABLE t (a CHECK (a IF 1))", 0 },
		{ "CREATE TABLE \"IF\" (a)", 0 },
		{ "INSERT INTO t SELECT 'IF NOT EXISTS'", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct split s = split_ok(LITE, cases[i].sql, 1);
		ck_assert_uint_eq(s.n, 1);
		expect(&s, 0, cases[i].sql, 1, cases[i].flags);
		release(&s);
	}
	{
		struct split s = split_ok(LITE, "-- c\n/* d */ COMMIT;", 1);
		expect(&s, 0, "COMMIT", 2, RT_STMT_TXN_CONTROL);
		release(&s);
	}
}
END_TEST

START_TEST(test_printing_with_semicolon_is_valid)
{
	/* sql + ";" must be a complete statement, whatever trailed it */
	const char *sql = "SELECT 1 -- a\n; SELECT 2 /* b */ -- c\n;SELECT 3 --x";
	struct split s = split_ok(LITE, sql, 1);
	ck_assert_uint_eq(s.n, 3);
	expect(&s, 0, "SELECT 1", 1, 0);
	expect(&s, 1, "SELECT 2", 2, 0);
	expect(&s, 2, "SELECT 3", 3, 0);
	release(&s);
}
END_TEST

static int split_attempt(void *dialect)
{
	const char *sql = "CREATE TABLE t (a int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; "
	                  "END;\nSELECT 'x';";
	enum rt_dialect d = *(enum rt_dialect *)dialect;
	struct rt_stmt *st = NULL;
	size_t cnt = 0;
	int rc = rt_sql_split(d, "v/a.sql", sql, strlen(sql), 1, &st, &cnt);

	if (rc == 0)
		ck_assert_uint_eq(cnt, d == LITE ? 3 : 4); /* PostgreSQL knows no trigger bodies */
	else
		ck_assert_ptr_null(st);
	rt_stmts_free(st, cnt);
	return rc;
}

START_TEST(test_out_of_memory)
{
	for (enum rt_dialect d = RT_DIALECT_SQLITE; d <= RT_DIALECT_POSTGRESQL; d++)
		ck_assert_int_eq(unit_oom_loop("rt_sql_split", split_attempt, &d, 3, 1000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("split");
	TCase *tc = tcase_create("split");
	tcase_add_test(tc, test_basic_lines);
	tcase_add_test(tc, test_semicolons_in_quotes);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_empty_pieces);
	tcase_add_test(tc, test_no_final_semicolon);
	tcase_add_test(tc, test_crlf_and_utf8);
	tcase_add_test(tc, test_unterminated);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_length_not_nul);
	tcase_add_test(tc, test_pg_estring_and_backslashes);
	tcase_add_test(tc, test_pg_nested_comments);
	tcase_add_test(tc, test_pg_dollar_quotes);
	tcase_add_test(tc, test_pg_parens_and_keywordless);
	tcase_add_test(tc, test_pg_scanner_errors);
	tcase_add_test(tc, test_pg_unsplittable_statement_is_kept);
	tcase_add_test(tc, test_pg_copy_data);
	tcase_add_test(tc, test_pg_classifier);
	tcase_add_test(tc, test_pg_classifier_in_context);
	tcase_add_test(tc, test_sqlite_identifiers);
	tcase_add_test(tc, test_sqlite_dialect_differences);
	tcase_add_test(tc, test_sqlite_triggers);
	tcase_add_test(tc, test_sqlite_txn_control);
	tcase_add_test(tc, test_printing_with_semicolon_is_valid);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
