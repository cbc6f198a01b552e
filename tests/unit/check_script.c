/*
 * check_script.c - unit tests for rt_script_parse(): section markers and where they
 * count (not inside dollar quotes, strings or block comments), directive errors,
 * statements and their lines, variables, transaction control, and the checksum of the
 * file's bytes (compared with values computed by sha256sum for the fixtures).
 */
#include "unit.h"

#define PG RT_DIALECT_POSTGRESQL
#define LITE RT_DIALECT_SQLITE

#define HEADER "/*\nrevision: abc\ndown_revision: null\n*/\n" /* 4 lines */

static struct rt_var vars[] = { { "schema", "app" }, { "owner", "alice" } };

static struct rt_config make_cfg(void)
{
	struct rt_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vars = vars;
	cfg.nvars = 2;
	return cfg;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct rt_script *parse_file(const char *rel, enum rt_dialect d, const struct rt_config *cfg)
{
	struct rt_script *s = NULL;
	size_t len;
	char *text = slurp(fixture(rel), &len);
	int rc = rt_script_parse(&s, fixture(rel), text, len, d, cfg);
	free(text);
	ck_assert_msg(rc == 0, "parse failed (%d): %s", rc, rt_error_last()->message);
	return s;
}

static struct rt_script *parse_ok(const char *text, enum rt_dialect d)
{
	struct rt_config cfg = make_cfg();
	struct rt_script *s = NULL;
	int rc = rt_script_parse(&s, "v/s.sql", text, strlen(text), d, &cfg);
	ck_assert_msg(rc == 0, "parse failed (%d): %s", rc, rt_error_last()->message);
	ck_assert_str_eq(s->path, "v/s.sql");
	return s;
}

static void parse_fails(const char *text, enum rt_dialect d, const char *message, int line)
{
	struct rt_config cfg = make_cfg();
	struct rt_script *s = (struct rt_script *)1;
	int rc = rt_script_parse(&s, "v/s.sql", text, strlen(text), d, &cfg);
	ck_assert_int_eq(rc, RT_EINPUT);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(rt_error_last()->message, message);
	ck_assert_str_eq(rt_error_last()->file, "v/s.sql");
	ck_assert_int_eq(rt_error_last()->line, line);
	ck_assert_ptr_nonnull(rt_error_last()->hint);
}

static void expect(const struct rt_script *s, const struct rt_section *sec, size_t i,
                   const char *sql, int line, unsigned flags)
{
	ck_assert_msg(i < sec->n, "only %zu statements", sec->n);
	ck_assert_str_eq(sec->stmts[i].sql, sql);
	ck_assert_uint_eq(sec->stmts[i].len, strlen(sql));
	ck_assert_int_eq(sec->stmts[i].line, line);
	ck_assert_uint_eq(sec->stmts[i].flags, flags);
	ck_assert_ptr_eq(sec->stmts[i].path, s->path);
}

START_TEST(test_full_fixture)
{
	for (int d = 0; d < 2; d++) {
		struct rt_script *s = parse_file("scripts/full.sql", d, NULL);
		ck_assert_str_eq(s->path, fixture("scripts/full.sql"));
		/* sha256sum tests/fixtures/scripts/full.sql */
		ck_assert_str_eq(s->checksum,
		                 "86b3224c0ad3137ca615f9d819d4611ff143c2aa910ccfca72d2ae49badabf0d");
		ck_assert_int_eq(s->upgrade.present, 1);
		ck_assert_int_eq(s->upgrade.line, 11);
		ck_assert_uint_eq(s->upgrade.n, 3);
		expect(s, &s->upgrade, 0,
		       "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL)", 12, 0);
		expect(s, &s->upgrade, 1, "INSERT INTO accounts (id, name) VALUES (1, 'it''s; fine')", 14, 0);
		expect(s, &s->upgrade, 2, "CREATE INDEX accounts_name ON accounts (name)", 15, 0);
		ck_assert_int_eq(s->downgrade.present, 1);
		ck_assert_int_eq(s->downgrade.line, 17);
		ck_assert_uint_eq(s->downgrade.n, 2);
		expect(s, &s->downgrade, 0, "DROP INDEX accounts_name", 18, 0);
		expect(s, &s->downgrade, 1, "DROP TABLE accounts", 19, 0);
		rt_script_free(s);
	}
}
END_TEST

START_TEST(test_bom_crlf_fixture)
{
	struct rt_script *s = parse_file("scripts/bom_crlf.sql", LITE, NULL);
	/* the raw bytes' checksum, and the one with CRLF read as LF, which is recorded */
	ck_assert_str_eq(s->checksum_raw, "e6d13f6575c3dff1088b3b065b635dcfb1f98ee63c9060b30490d7e200a50db3");
	ck_assert_str_eq(s->checksum, "2b8bbc7a868bc8883ba050c81df3fd440f8a2da6a9d60a1321d108cc2362e318");
	ck_assert(rt_script_checksum_is(s, "e6d13f6575c3dff1088b3b065b635dcfb1f98ee63c9060b30490d7e200a50db3"));
	ck_assert(rt_script_checksum_is(s, s->checksum));
	ck_assert(!rt_script_checksum_is(s, NULL));
	ck_assert_int_eq(s->upgrade.line, 9);
	ck_assert_uint_eq(s->upgrade.n, 2);
	expect(s, &s->upgrade, 0, "CREATE TABLE t (a int)", 10, 0);
	expect(s, &s->upgrade, 1, "INSERT INTO t VALUES (1)", 11, 0);
	ck_assert_int_eq(s->downgrade.line, 12);
	ck_assert_uint_eq(s->downgrade.n, 1);
	expect(s, &s->downgrade, 0, "DROP TABLE t", 13, 0);
	rt_script_free(s);
}
END_TEST

START_TEST(test_pg_fixture_markers_in_bodies)
{
	struct rt_config cfg = make_cfg();
	struct rt_script *s = parse_file("scripts/pg_function.sql", PG, &cfg);
	ck_assert_str_eq(s->checksum, "eb89b872196220eea9bfbc19673398dfef9308d028ccddaf05c16caa3a35fdaa");
	ck_assert_int_eq(s->upgrade.line, 7);
	ck_assert_uint_eq(s->upgrade.n, 3);
	expect(s, &s->upgrade, 0, "CREATE SCHEMA IF NOT EXISTS app", 8, RT_STMT_IDEMPOTENT);
	expect(s, &s->upgrade, 1,
	       "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
	       "BEGIN\n"
	       "-- retort:downgrade\n"
	       "  NEW.owner := 'alice';  -- in the body: substituted too\n"
	       "  RETURN NEW;\n"
	       "END;\n"
	       "$fn$",
	       9, 0);
	/* classified after substitution: "${schema}.accounts" does not parse, "app.accounts" does */
	expect(s, &s->upgrade, 2, "CREATE INDEX CONCURRENTLY accounts_owner ON app.accounts (owner)", 20,
	       RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT);
	ck_assert_int_eq(s->downgrade.present, 1);
	ck_assert_int_eq(s->downgrade.line, 21);
	ck_assert_uint_eq(s->downgrade.n, 1);
	expect(s, &s->downgrade, 0, "DROP FUNCTION app.touch()", 22, 0);
	rt_script_free(s);
}
END_TEST

START_TEST(test_no_downgrade_fixture)
{
	struct rt_script *s = parse_file("scripts/no_downgrade.sql", LITE, NULL);
	ck_assert_str_eq(s->checksum, "fa662fb808eef0ea887553c213f20c8d2eff52df6ed85b8da932d86e9b3b2283");
	ck_assert_int_eq(s->upgrade.present, 1);
	ck_assert_uint_eq(s->upgrade.n, 1);
	expect(s, &s->upgrade, 0, "DELETE FROM audit_log", 7, 0);
	ck_assert_int_eq(s->downgrade.present, 0);
	ck_assert_int_eq(s->downgrade.line, 0);
	ck_assert_uint_eq(s->downgrade.n, 0);
	ck_assert_ptr_null(s->downgrade.stmts);
	rt_script_free(s);
}
END_TEST

START_TEST(test_checksum_is_of_all_bytes)
{
	const char *a = HEADER "-- retort:upgrade\nSELECT 1;\n";
	const char *b = HEADER "-- retort:upgrade\nSELECT 1;\n\n";
	char want[65];
	struct rt_script *s = parse_ok(a, LITE), *t = parse_ok(b, LITE);
	ck_assert_int_eq(rt_sha256_hex(a, strlen(a), want), 0);
	ck_assert_str_eq(s->checksum, want);
	ck_assert_str_ne(s->checksum, t->checksum);
	rt_script_free(s);
	rt_script_free(t);
}
END_TEST

START_TEST(test_empty_sections)
{
	for (int d = 0; d < 2; d++) {
		struct rt_script *s = parse_ok(HEADER "\n-- retort:upgrade\n-- just a comment\n"
		                                      "-- retort:downgrade\n;\n", d);
		ck_assert_int_eq(s->upgrade.present, 1);
		ck_assert_int_eq(s->upgrade.line, 6);
		ck_assert_uint_eq(s->upgrade.n, 0);
		ck_assert_int_eq(s->downgrade.present, 1);
		ck_assert_int_eq(s->downgrade.line, 8);
		ck_assert_uint_eq(s->downgrade.n, 0);
		rt_script_free(s);
	}
}
END_TEST

START_TEST(test_marker_forms)
{
	/* indented, trailing blanks, no space after --, CRLF, downgrade first */
	struct rt_script *s = parse_ok(HEADER "  \t-- retort:downgrade \t\r\nSELECT 2;\n"
	                                      "--retort:upgrade\nSELECT 1; -- retort:downgrade\n"
	                                      "-- Retort:downgrade\n-- retortx\n-- retort\nSELECT 3",
	                               LITE);
	ck_assert_int_eq(s->downgrade.line, 5);
	ck_assert_uint_eq(s->downgrade.n, 1);
	expect(s, &s->downgrade, 0, "SELECT 2", 6, 0);
	ck_assert_int_eq(s->upgrade.line, 7);
	ck_assert_uint_eq(s->upgrade.n, 2);
	expect(s, &s->upgrade, 0, "SELECT 1", 8, 0);
	expect(s, &s->upgrade, 1, "SELECT 3", 12, 0);
	rt_script_free(s);
}
END_TEST

START_TEST(test_markers_inside_text)
{
	for (int d = 0; d < 2; d++) {
		struct rt_script *s = parse_ok(HEADER "-- retort:upgrade\n"
		                                      "SELECT '\n-- retort:downgrade\n';\n"
		                                      "SELECT \"\n-- retort:upgrade\n\";\n"
		                                      "/*\n-- retort:downgrade\n*/\n"
		                                      "SELECT 4;\n",
		                               d);
		ck_assert_uint_eq(s->upgrade.n, 3);
		expect(s, &s->upgrade, 0, "SELECT '\n-- retort:downgrade\n'", 6, 0);
		expect(s, &s->upgrade, 1, "SELECT \"\n-- retort:upgrade\n\"", 9, 0);
		expect(s, &s->upgrade, 2, "SELECT 4", 15, 0);
		ck_assert_int_eq(s->downgrade.present, 0);
		rt_script_free(s);
	}
	/* in PostgreSQL, dollar quotes, nested comments and E'' strings hide markers too */
	struct rt_script *s = parse_ok(HEADER "-- retort:upgrade\n"
	                                      "DO $$\n-- retort:downgrade\nBEGIN NULL; END $$;\n"
	                                      "/* /* */\n-- retort:downgrade\n*/\n"
	                                      "SELECT E'\\'\n-- retort:downgrade\n';\n"
	                                      "-- retort:downgrade\nSELECT 1;",
	                               PG);
	ck_assert_uint_eq(s->upgrade.n, 2);
	expect(s, &s->upgrade, 0, "DO $$\n-- retort:downgrade\nBEGIN NULL; END $$", 6, 0);
	expect(s, &s->upgrade, 1, "SELECT E'\\'\n-- retort:downgrade\n'", 12, 0);
	ck_assert_int_eq(s->downgrade.line, 15);
	expect(s, &s->downgrade, 0, "SELECT 1", 16, 0);
	rt_script_free(s);
	/* while in SQLite comments do not nest: the marker counts */
	s = parse_ok(HEADER "-- retort:upgrade\n/* /* */\n-- retort:downgrade\nSELECT 1;\n", LITE);
	ck_assert_uint_eq(s->upgrade.n, 0);
	ck_assert_int_eq(s->downgrade.line, 7);
	expect(s, &s->downgrade, 0, "SELECT 1", 8, 0);
	rt_script_free(s);
	parse_fails(HEADER "-- retort:upgrade\n/* /* */\n-- retort:downgrade\nSELECT 1;\n", PG,
	            "v/s.sql:6: unterminated /* comment", 6);
}
END_TEST

START_TEST(test_directive_errors)
{
	parse_fails(HEADER "-- retort:upgrade\nSELECT 1;\n  -- retort:step\n", LITE,
	            "v/s.sql:7: unknown directive 'retort:step'", 7);
	ck_assert_str_eq(rt_error_last()->hint,
	                 "The section markers are '-- retort:upgrade' and '-- retort:downgrade', each on "
	                 "a line of its own; to keep this line as a comment, do not start it with "
	                 "'retort:'.");
	parse_fails(HEADER "-- retort:Upgrade\n", LITE, "v/s.sql:5: unknown directive 'retort:Upgrade'", 5);
	parse_fails(HEADER "-- retort: upgrade\n", LITE, "v/s.sql:5: unknown directive 'retort:'", 5);
	parse_fails(HEADER "-- retort:upgrade extra\n", LITE,
	            "v/s.sql:5: unexpected text after '-- retort:upgrade'", 5);
	parse_fails(HEADER "-- retort:upgrade\nSELECT 1;\n-- retort:upgrade\n", PG,
	            "v/s.sql:7: duplicate '-- retort:upgrade' marker (first at line 5)", 7);
	parse_fails(HEADER "-- retort:downgrade\n-- retort:upgrade\n\n-- retort:downgrade\n", PG,
	            "v/s.sql:8: duplicate '-- retort:downgrade' marker (first at line 5)", 8);
}
END_TEST

START_TEST(test_sql_before_first_marker)
{
	parse_fails(HEADER "-- fine: a comment\n/* also fine */\n\nCREATE TABLE t (a int);\n"
	                   "-- retort:upgrade\n",
	            LITE, "v/s.sql:8: SQL before the first section marker", 8);
	parse_fails("/*\nrevision: abc\ndown_revision: null\n*/ SELECT 1;\n-- retort:upgrade\n", PG,
	            "v/s.sql:4: SQL before the first section marker", 4);
	/* the marker must start its line: after the header's close it is SQL-less text */
	parse_fails("/*\nrevision: abc\ndown_revision: null\n*/ -- retort:upgrade\nSELECT 1;\n", PG,
	            "v/s.sql:5: SQL before the first section marker", 5);
}
END_TEST

START_TEST(test_missing_upgrade)
{
	parse_fails(HEADER "-- retort:downgrade\nDROP TABLE t;\n", LITE,
	            "v/s.sql: missing '-- retort:upgrade' section", 0);
	parse_fails(HEADER, PG, "v/s.sql: missing '-- retort:upgrade' section", 0);
	parse_fails(HEADER "-- only comments\n", PG, "v/s.sql: missing '-- retort:upgrade' section", 0);
}
END_TEST

START_TEST(test_header_required)
{
	parse_fails("-- retort:upgrade\nSELECT 1;\n", LITE,
	            "v/s.sql:1: a revision file must start with a /* ... */ YAML header", 1);
	parse_fails("\n/*\nrevision: abc\n-- retort:upgrade\n", LITE,
	            "v/s.sql:2: the header comment opened at line 2 is never closed", 2);
}
END_TEST

START_TEST(test_transaction_control_refused)
{
	static const struct {
		enum rt_dialect d;
		const char *sql;
		const char *word;
	} cases[] = {
		{ LITE, "COMMIT", "COMMIT" },          { LITE, "begin transaction", "BEGIN" },
		{ LITE, "End", "END" },                { LITE, "SAVEPOINT a", "SAVEPOINT" },
		{ PG, "COMMIT", "COMMIT" },            { PG, "start transaction", "START TRANSACTION" },
		{ PG, "ROLLBACK TO SAVEPOINT a", "ROLLBACK" }, { PG, "release a", "RELEASE" },
		{ PG, "PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256], msg[256];
		snprintf(text, sizeof(text), HEADER "-- retort:upgrade\nSELECT 1;\n\n  %s;\n", cases[i].sql);
		snprintf(msg, sizeof(msg),
		         "v/s.sql:8: '%s' is not allowed in a revision: retort manages transactions",
		         cases[i].word);
		parse_fails(text, cases[i].d, msg, 8);
		ck_assert_str_eq(rt_error_last()->hint,
		                 "Remove it; for statements that cannot run in a transaction, set "
		                 "'transactional: false' in the header.");
	}
	/* in the downgrade section too */
	parse_fails(HEADER "-- retort:upgrade\n-- retort:downgrade\nBEGIN;\n", PG,
	            "v/s.sql:7: 'BEGIN' is not allowed in a revision: retort manages transactions", 7);
	/* a value can make a statement transaction control: judged after substitution */
	struct rt_var v[] = { { "cmd", "COMMIT" } };
	struct rt_config cfg;
	struct rt_script *s = NULL;
	const char *text = HEADER "-- retort:upgrade\n${cmd};\n";
	memset(&cfg, 0, sizeof(cfg));
	cfg.vars = v;
	cfg.nvars = 1;
	for (int d = 0; d < 2; d++) {
		ck_assert_int_eq(rt_script_parse(&s, "v/s.sql", text, strlen(text), d, &cfg), RT_EINPUT);
		ck_assert_str_eq(rt_error_last()->message,
		                 "v/s.sql:6: 'COMMIT' is not allowed in a revision: retort manages transactions");
	}
	/* SQLite trigger bodies hold BEGIN ... END: not transaction control */
	s = parse_ok(HEADER "-- retort:upgrade\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
	                    "  DELETE FROM u;\nEND;\n", LITE);
	ck_assert_uint_eq(s->upgrade.n, 1);
	ck_assert_uint_eq(s->upgrade.stmts[0].flags, 0);
	rt_script_free(s);
}
END_TEST

START_TEST(test_variables)
{
	struct rt_script *s = parse_ok(HEADER "-- retort:upgrade\n"
	                                      "CREATE TABLE ${schema}.t (o text DEFAULT '${owner}'); -- ${x}\n"
	                                      "/* ${y} */ SELECT 1;\n",
	                               LITE);
	expect(s, &s->upgrade, 0, "CREATE TABLE app.t (o text DEFAULT 'alice')", 6, 0);
	expect(s, &s->upgrade, 1, "SELECT 1", 7, 0);
	rt_script_free(s);
	parse_fails(HEADER "-- retort:upgrade\nSELECT 1;\n-- retort:downgrade\nSELECT\n  '${schema}',\n  ${nope};",
	            PG, "v/s.sql:10: undefined variable '${nope}'", 10);
	/* without a config, any reference is an error; a script without references is fine */
	struct rt_script *t = NULL;
	const char *text = HEADER "-- retort:upgrade\nSELECT '${schema}';\n";
	ck_assert_int_eq(rt_script_parse(&t, "v/s.sql", text, strlen(text), PG, NULL), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "v/s.sql:6: undefined variable '${schema}'");
	text = HEADER "-- retort:upgrade\nSELECT $1, $$ $$;\n";
	ck_assert_int_eq(rt_script_parse(&t, "v/s.sql", text, strlen(text), PG, NULL), 0);
	ck_assert_str_eq(t->upgrade.stmts[0].sql, "SELECT $1, $$ $$");
	rt_script_free(t);
}
END_TEST

/* Reading finds references and never binds; binding is per section and per config, keeps
 * the source text, and can be done again with other values. */
START_TEST(test_read_then_bind)
{
	static const char text[] = "/*\nrevision: a\ndown_revision: null\n*/\n-- retort:upgrade\n"
	                           "CREATE TABLE ${schema}.t (v text DEFAULT ${owner:literal});\n"
	                           "-- retort:downgrade\nDROP TABLE ${nope}.t;\n";
	struct rt_var other[] = { { "schema", "s2" }, { "owner", "bob's" } };
	struct rt_config cfg = make_cfg(), cfg2 = make_cfg();
	struct rt_script *s = NULL;
	const struct rt_stmt *st;

	ck_assert_int_eq(rt_script_read(&s, "v/s.sql", text, strlen(text), RT_DIALECT_POSTGRESQL, NULL), 0);
	st = &s->upgrade.stmts[0];
	ck_assert_str_eq(st->sql, "CREATE TABLE ${schema}.t (v text DEFAULT ${owner:literal})");
	ck_assert_uint_eq(st->nvars, 2);
	ck_assert_int_eq(st->vars[1].form, RT_VAR_LITERAL);
	ck_assert_int_eq(memcmp(text + st->offset, st->sql, st->len), 0); /* its span in the file */
	ck_assert_ptr_null(s->upgrade.bound);
	ck_assert_int_eq(rt_section_bind(&s->upgrade, s->path, RT_DIALECT_POSTGRESQL, &cfg, NULL), 0);
	ck_assert_ptr_eq(s->upgrade.bound, &cfg);
	ck_assert_str_eq(st->sql, "CREATE TABLE app.t (v text DEFAULT 'alice')");
	ck_assert_str_eq(st->src, "CREATE TABLE ${schema}.t (v text DEFAULT ${owner:literal})");
	cfg2.vars = other;
	ck_assert_int_eq(rt_section_bind(&s->upgrade, s->path, RT_DIALECT_POSTGRESQL, &cfg2, NULL), 0);
	ck_assert_str_eq(st->sql, "CREATE TABLE s2.t (v text DEFAULT 'bob''s')");
	/* the downgrade's undefined variable is an error only when it is bound */
	ck_assert_int_eq(rt_section_bind(&s->downgrade, s->path, RT_DIALECT_POSTGRESQL, &cfg, NULL), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "v/s.sql:8: undefined variable '${nope}'");
	ck_assert_ptr_null(s->downgrade.bound);
	rt_script_free(s);
}
END_TEST

/* A section is one block of plain statements; positions name a statement in it. */
START_TEST(test_blocks_and_positions)
{
	static const char text[] = "/*\nrevision: a\ndown_revision: null\n*/\n-- retort:upgrade\n"
	                           "SELECT 1;\nSELECT 2;\nSELECT 3;\n-- retort:downgrade\n";
	struct rt_script *s = NULL;
	struct rt_position pos;
	char buf[64];
	size_t flat = 99;

	ck_assert_int_eq(rt_script_read(&s, "v/s.sql", text, strlen(text), RT_DIALECT_SQLITE, NULL), 0);
	ck_assert_uint_eq(s->upgrade.nblocks, 1);
	ck_assert_int_eq(s->upgrade.blocks[0].kind, RT_BLOCK_STATEMENTS);
	ck_assert_uint_eq(s->upgrade.blocks[0].first, 0);
	ck_assert_uint_eq(s->upgrade.blocks[0].n, 3);
	ck_assert_int_eq(s->upgrade.blocks[0].line, 6);
	ck_assert_uint_eq(s->downgrade.nblocks, 1); /* an empty section: one empty block */
	ck_assert_uint_eq(s->downgrade.blocks[0].n, 0);
	for (size_t i = 0; i <= 3; i++) {
		rt_section_position(&s->upgrade, i, &pos);
		rt_position_format(&pos, buf, sizeof(buf));
		ck_assert_int_eq(rt_position_parse(buf, &pos), 0);
		ck_assert_int_eq(rt_section_flat(&s->upgrade, &pos, &flat), 0);
		ck_assert_uint_eq(flat, i);
	}
	ck_assert_str_eq(buf, "0:0:3");
	pos.statement = 4;
	ck_assert_int_eq(rt_section_flat(&s->upgrade, &pos, &flat), RT_ESTATE);
	pos.statement = 0;
	pos.block = 1;
	ck_assert_int_eq(rt_section_flat(&s->upgrade, &pos, &flat), RT_ESTATE);
	pos.block = 0;
	pos.iteration = 2; /* plain statements do not repeat */
	ck_assert_int_eq(rt_section_flat(&s->upgrade, &pos, &flat), RT_ESTATE);
	ck_assert_int_eq(rt_position_parse("0:0", &pos), RT_EINPUT);
	ck_assert_int_eq(rt_position_parse("0:-1:2", &pos), RT_EINPUT);
	ck_assert_int_eq(rt_position_parse("1:2:3x", &pos), RT_EINPUT);
	ck_assert_int_eq(rt_position_parse("1:2:3", &pos), 0);
	ck_assert(pos.block == 1 && pos.iteration == 2 && pos.statement == 3);
	rt_script_free(s);
}
END_TEST

START_TEST(test_body_errors)
{
	parse_fails(HEADER "-- retort:upgrade\nSELECT 1;\n\nSELECT 'abc;\n-- retort:downgrade\nSELECT 2;\n",
	            LITE, "v/s.sql:8: unterminated string literal", 8);
	parse_fails(HEADER "-- retort:upgrade\nDO $x$ BEGIN END $y$;\n", PG,
	            "v/s.sql:6: unterminated dollar-quoted string", 6);
	static const char nul[] = HEADER "-- retort:upgrade\nSELECT 1;\nSELECT\0 2;\n";
	struct rt_script *s = NULL;
	ck_assert_int_eq(rt_script_parse(&s, "v/s.sql", nul, sizeof(nul) - 1, LITE, NULL), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "v/s.sql:7: the SQL contains a NUL byte");
	ck_assert_ptr_null(s);
	/* an unparsable body is the server's business: no flags, no failure */
	s = parse_ok(HEADER "-- retort:upgrade\nSELEC 1;\n", PG);
	expect(s, &s->upgrade, 0, "SELEC 1", 6, 0);
	rt_script_free(s);
}
END_TEST

struct parse_case {
	struct rt_config cfg;
	const char *text;
	enum rt_dialect dialect;
};

static int parse_attempt(void *ctx)
{
	const struct parse_case *c = ctx;
	struct rt_script *s = NULL;
	int rc = rt_script_parse(&s, "v/s.sql", c->text, strlen(c->text), c->dialect, &c->cfg);

	if (rc == 0)
		ck_assert_str_eq(s->downgrade.stmts[0].sql, "DROP TABLE app.t");
	else
		ck_assert_ptr_null(s);
	rt_script_free(s);
	return rc;
}

START_TEST(test_out_of_memory)
{
	struct parse_case c = { make_cfg(),
		                    HEADER "-- retort:upgrade\nCREATE TABLE ${schema}.t (a int);\nSELECT 2;\n"
		                           "-- retort:downgrade\nDROP TABLE ${schema}.t;\n",
		                    RT_DIALECT_SQLITE };

	for (int d = 0; d < 2; d++) {
		c.dialect = d;
		ck_assert_int_eq(unit_oom_loop("rt_script_parse", parse_attempt, &c, 10, 1000), 0);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("script");
	TCase *tc = tcase_create("script");
	tcase_add_test(tc, test_full_fixture);
	tcase_add_test(tc, test_bom_crlf_fixture);
	tcase_add_test(tc, test_pg_fixture_markers_in_bodies);
	tcase_add_test(tc, test_no_downgrade_fixture);
	tcase_add_test(tc, test_checksum_is_of_all_bytes);
	tcase_add_test(tc, test_empty_sections);
	tcase_add_test(tc, test_marker_forms);
	tcase_add_test(tc, test_markers_inside_text);
	tcase_add_test(tc, test_directive_errors);
	tcase_add_test(tc, test_sql_before_first_marker);
	tcase_add_test(tc, test_missing_upgrade);
	tcase_add_test(tc, test_header_required);
	tcase_add_test(tc, test_transaction_control_refused);
	tcase_add_test(tc, test_variables);
	tcase_add_test(tc, test_read_then_bind);
	tcase_add_test(tc, test_blocks_and_positions);
	tcase_add_test(tc, test_body_errors);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
