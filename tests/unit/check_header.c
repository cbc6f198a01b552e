/*
 * check_header.c - unit tests for the revision header parser (rt_revision_parse_header,
 * rt_revision_read_header, rt_revision_id_valid, rt_revision_free): every key, every
 * error with its exact message and line, BOM and CRLF files, long headers, and headers
 * that do not fit in the prefix read from disk.
 */
#include <unistd.h>
#include "unit.h"

static struct rt_revision *parse_ok(const char *text)
{
	struct rt_revision *rev = NULL;
	int rc = rt_revision_parse_header(&rev, "v/f.sql", text, strlen(text));
	ck_assert_msg(rc == 0, "parse failed (%d): %s", rc, rt_error_last()->message);
	ck_assert_ptr_nonnull(rev);
	ck_assert_str_eq(rev->path, "v/f.sql");
	return rev;
}

static void parse_fails_len(const char *text, size_t len, const char *message, int line)
{
	struct rt_revision *rev = (struct rt_revision *)1;
	int rc = rt_revision_parse_header(&rev, "v/f.sql", text, len);
	ck_assert_int_eq(rc, RT_EINPUT);
	ck_assert_ptr_null(rev);
	ck_assert_str_eq(rt_error_last()->message, message);
	ck_assert_int_eq(rt_error_last()->code, RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->file, "v/f.sql");
	ck_assert_int_eq(rt_error_last()->line, line);
	ck_assert_ptr_nonnull(rt_error_last()->hint);
}

static void parse_fails(const char *text, const char *message, int line)
{
	parse_fails_len(text, strlen(text), message, line);
}

START_TEST(test_every_key)
{
	struct rt_revision *rev = parse_ok("/*\n"
	                                   "revision: 3f2a9c1b7d4e\n"
	                                   "down_revision: 9b1c0e7a2f55      # a comment\n"
	                                   "branch_labels: [billing]\n"
	                                   "depends_on: [c0ffee123456]\n"
	                                   "message: add accounts table\n"
	                                   "create_date: 2026-11-26T10:00:00Z\n"
	                                   "transactional: false\n"
	                                   "*/\n"
	                                   "\n-- retort:upgrade\nSELECT 1;\n");
	ck_assert_str_eq(rev->id, "3f2a9c1b7d4e");
	ck_assert_int_eq(rev->line, 2);
	ck_assert_uint_eq(rev->down.n, 1);
	ck_assert_str_eq(rev->down.items[0], "9b1c0e7a2f55");
	ck_assert_int_eq(rev->down_line, 3);
	ck_assert_uint_eq(rev->branch_labels.n, 1);
	ck_assert_str_eq(rev->branch_labels.items[0], "billing");
	ck_assert_int_eq(rev->labels_line, 4);
	ck_assert_uint_eq(rev->depends_on.n, 1);
	ck_assert_str_eq(rev->depends_on.items[0], "c0ffee123456");
	ck_assert_int_eq(rev->depends_line, 5);
	ck_assert_str_eq(rev->message, "add accounts table");
	ck_assert_str_eq(rev->create_date, "2026-11-26T10:00:00Z");
	ck_assert_int_eq(rev->transactional, 0);
	ck_assert_ptr_null(rev->script);
	ck_assert_ptr_null(rev->parents);
	ck_assert_uint_eq(rev->nchildren, 0);
	ck_assert_uint_eq(rev->member_of.n, 0);
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_defaults)
{
	struct rt_revision *rev = parse_ok("/*\nrevision: abc\ndown_revision: null\n*/\n");
	ck_assert_str_eq(rev->id, "abc");
	ck_assert_uint_eq(rev->down.n, 0);
	ck_assert_int_eq(rev->down_line, 3);
	ck_assert_uint_eq(rev->branch_labels.n, 0);
	ck_assert_uint_eq(rev->depends_on.n, 0);
	ck_assert_int_eq(rev->labels_line, 0);
	ck_assert_int_eq(rev->depends_line, 0);
	ck_assert_str_eq(rev->message, "");
	ck_assert_ptr_null(rev->create_date);
	ck_assert_int_eq(rev->transactional, 1);
	rt_revision_free(rev);
	/* the key order does not matter; a flow mapping on the comment's own line works */
	rev = parse_ok("/* {down_revision: x, revision: abc, message: ~} */ -- retort:upgrade");
	ck_assert_str_eq(rev->id, "abc");
	ck_assert_int_eq(rev->line, 1);
	ck_assert_str_eq(rev->down.items[0], "x");
	ck_assert_str_eq(rev->message, "");
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_down_revision_forms)
{
	static const char *roots[] = { "null", "~", "", "NULL", "Null", "''", "[]" };
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char text[128];
		struct rt_revision *rev;
		snprintf(text, sizeof(text), "/*\nrevision: abc\ndown_revision: %s\n*/", roots[i]);
		rev = parse_ok(text);
		ck_assert_msg(rev->down.n == 0, "'%s' is not a root", roots[i]);
		rt_revision_free(rev);
	}
	{
		struct rt_revision *rev = parse_ok("/*\nrevision: m\ndown_revision: [a1, b2, c3]\n*/");
		ck_assert_uint_eq(rev->down.n, 3);
		ck_assert_str_eq(rev->down.items[0], "a1");
		ck_assert_str_eq(rev->down.items[1], "b2");
		ck_assert_str_eq(rev->down.items[2], "c3");
		rt_revision_free(rev);
	}
	{
		struct rt_revision *rev = parse_ok("/*\nrevision: m\ndown_revision:\n  - a1\n  - 'b2'\n*/");
		ck_assert_uint_eq(rev->down.n, 2);
		ck_assert_str_eq(rev->down.items[1], "b2");
		ck_assert_int_eq(rev->down_line, 3);
		rt_revision_free(rev);
	}
}
END_TEST

START_TEST(test_scalars_are_text)
{
	struct rt_revision *rev = parse_ok("/*\nrevision: 000123\ndown_revision: 1e10\n"
	                                   "depends_on: 0x1F\nmessage: 42\ncreate_date: 2026-01-01\n*/");
	ck_assert_str_eq(rev->id, "000123");
	ck_assert_str_eq(rev->down.items[0], "1e10");
	ck_assert_str_eq(rev->depends_on.items[0], "0x1F");
	ck_assert_str_eq(rev->message, "42");
	ck_assert_str_eq(rev->create_date, "2026-01-01");
	rt_revision_free(rev);
	/* a quoted "null" is the text null, a plain one is nothing */
	rev = parse_ok("/*\nrevision: abc\ndown_revision: 'null'\nmessage: 'null'\n*/");
	ck_assert_uint_eq(rev->down.n, 1);
	ck_assert_str_eq(rev->down.items[0], "null");
	ck_assert_str_eq(rev->message, "null");
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_labels_and_depends)
{
	struct rt_revision *rev = parse_ok("/*\nrevision: abc\ndown_revision: ~\nbranch_labels: billing\n"
	                                   "depends_on: c0ffee\n*/");
	ck_assert_uint_eq(rev->branch_labels.n, 1);
	ck_assert_str_eq(rev->branch_labels.items[0], "billing");
	ck_assert_uint_eq(rev->depends_on.n, 1);
	ck_assert_str_eq(rev->depends_on.items[0], "c0ffee");
	rt_revision_free(rev);
	rev = parse_ok("/*\nrevision: abc\ndown_revision: ~\n"
	               "branch_labels:\n  - v2.feature-x\n  - Billing_2\n"
	               "depends_on: [c0ffee, other.branch, 1a2b]\n*/");
	ck_assert_uint_eq(rev->branch_labels.n, 2);
	ck_assert_str_eq(rev->branch_labels.items[0], "v2.feature-x");
	ck_assert_str_eq(rev->branch_labels.items[1], "Billing_2");
	ck_assert_int_eq(rev->labels_line, 4);
	ck_assert_uint_eq(rev->depends_on.n, 3);
	ck_assert_str_eq(rev->depends_on.items[1], "other.branch");
	ck_assert_int_eq(rev->depends_line, 7);
	rt_revision_free(rev);
	rev = parse_ok("/*\nrevision: abc\ndown_revision: ~\nbranch_labels: []\ndepends_on: null\n*/");
	ck_assert_uint_eq(rev->branch_labels.n, 0);
	ck_assert_uint_eq(rev->depends_on.n, 0);
	ck_assert_int_eq(rev->labels_line, 4);
	ck_assert_int_eq(rev->depends_line, 5);
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_transactional)
{
	static const struct {
		const char *text;
		int value;
	} cases[] = { { "true", 1 }, { "false", 0 }, { "yes", 1 }, { "no", 0 },
		          { "on", 1 },   { "off", 0 },   { "FALSE", 0 }, { "True", 1 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		struct rt_revision *rev;
		snprintf(text, sizeof(text), "/*\nrevision: a\ndown_revision: ~\ntransactional: %s\n*/",
		         cases[i].text);
		rev = parse_ok(text);
		ck_assert_int_eq(rev->transactional, cases[i].value);
		rt_revision_free(rev);
	}
	parse_fails("/*\nrevision: a\ndown_revision: ~\ntransactional: maybe\n*/",
	            "v/f.sql:4: 'transactional' must be true or false, not 'maybe'", 4);
	ck_assert_str_eq(rt_error_last()->hint,
	                 "Write 'transactional: true' or 'transactional: false'.");
	parse_fails("/*\nrevision: a\ndown_revision: ~\ntransactional: [true]\n*/",
	            "v/f.sql:4: 'transactional' must be true or false, not a list", 4);
}
END_TEST

START_TEST(test_start_and_end_errors)
{
	parse_fails("SELECT 1;", "v/f.sql:1: a revision file must start with a /* ... */ YAML header", 1);
	parse_fails("", "v/f.sql:1: a revision file must start with a /* ... */ YAML header", 1);
	parse_fails("-- retort:upgrade\n/*\nrevision: a\n*/",
	            "v/f.sql:1: a revision file must start with a /* ... */ YAML header", 1);
	parse_fails("/", "v/f.sql:1: a revision file must start with a /* ... */ YAML header", 1);
	parse_fails("\n\n  /*\nrevision: a\ndown_revision: ~\n",
	            "v/f.sql:3: the header comment opened at line 3 is never closed", 3);
	parse_fails("/*/", "v/f.sql:1: the header comment opened at line 1 is never closed", 1);
}
END_TEST

START_TEST(test_shape_errors)
{
	parse_fails("/*\n- a\n- b\n*/",
	            "v/f.sql:2: the header must be a YAML mapping of keys to values, not a list", 2);
	parse_fails("/*\njust text\n*/",
	            "v/f.sql:2: the header must be a YAML mapping of keys to values, not a string", 2);
	parse_fails("/**/", "v/f.sql:1: missing 'revision' in the header", 1);
	parse_fails("\n/*\n\n*/", "v/f.sql:2: missing 'revision' in the header", 2);
	parse_fails("/*\ndown_revision: null\nmessage: x\n*/", "v/f.sql:1: missing 'revision' in the header", 1);
	parse_fails("\n/*\nrevision: abc\nmessage: x\n*/",
	            "v/f.sql:2: missing 'down_revision' (write 'down_revision: null' for a first revision)",
	            2);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nfoo: 1\n*/",
	            "v/f.sql:4: unknown key 'foo' in the header", 4);
	ck_assert_str_eq(rt_error_last()->hint,
	                 "The header keys are revision, down_revision, branch_labels, depends_on, "
	                 "message, create_date and transactional.");
	parse_fails("/*\nrevision: abc\nRevision: abc\n*/", "v/f.sql:3: unknown key 'Revision' in the header",
	            3);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nrevision: abd\n*/",
	            "v/f.sql:4: duplicate key 'revision' (first at line 2)", 4);
	parse_fails("/*\nrevision: abc\ndown_revision: [a\n*/", "v/f.sql:3: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence", 3);
}
END_TEST

START_TEST(test_type_errors)
{
	parse_fails("/*\nrevision: abc\ndown_revision: {a: b}\n*/",
	            "v/f.sql:3: 'down_revision' must be an id or a list of ids, not a mapping", 3);
	parse_fails("/*\nrevision: abc\ndown_revision:\n  a: b\n*/",
	            "v/f.sql:4: 'down_revision' must be an id or a list of ids, not a mapping", 4);
	parse_fails("/*\nrevision: [abc]\ndown_revision: ~\n*/",
	            "v/f.sql:2: 'revision' must be an id, not a list", 2);
	parse_fails("/*\nrevision:\ndown_revision: ~\n*/", "v/f.sql:2: 'revision' must be an id, not null", 2);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nmessage: [a, b]\n*/",
	            "v/f.sql:4: 'message' must be a string, not a list", 4);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\ncreate_date: {y: 2026}\n*/",
	            "v/f.sql:4: 'create_date' must be a string, not a mapping", 4);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nbranch_labels: {a: 1}\n*/",
	            "v/f.sql:4: 'branch_labels' must be a branch label or a list of branch labels, not a "
	            "mapping",
	            4);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\ndepends_on: {a: 1}\n*/",
	            "v/f.sql:4: 'depends_on' must be an id, a branch label or a list of them, not a "
	            "mapping",
	            4);
	parse_fails("/*\nrevision: abc\ndown_revision:\n  - a\n  - [b, c]\n*/",
	            "v/f.sql:5: each entry of 'down_revision' must be an id, not a list", 5);
	parse_fails("/*\nrevision: abc\ndown_revision: [a, ~]\n*/",
	            "v/f.sql:3: each entry of 'down_revision' must be an id, not null", 3);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nbranch_labels:\n  - {a: 1}\n*/",
	            "v/f.sql:5: each entry of 'branch_labels' must be a branch label, not a mapping", 5);
}
END_TEST

START_TEST(test_id_errors)
{
	parse_fails("/*\nrevision: x-y\ndown_revision: ~\n*/",
	            "v/f.sql:2: invalid revision id 'x-y': ids are 1 to 32 letters, digits or underscores",
	            2);
	parse_fails("/*\nrevision: abcdefghijklmnopqrstuvwxyz0123456\ndown_revision: ~\n*/",
	            "v/f.sql:2: invalid revision id 'abcdefghijklmnopqrstuvwxyz0123456': ids are 1 to 32 "
	            "letters, digits or underscores",
	            2);
	parse_fails("/*\nrevision: ''\ndown_revision: ~\n*/",
	            "v/f.sql:2: invalid revision id '': ids are 1 to 32 letters, digits or underscores", 2);
	parse_fails("/*\nrevision: abc\ndown_revision:\n  - abd\n  - a.b\n*/",
	            "v/f.sql:5: invalid revision id 'a.b': ids are 1 to 32 letters, digits or underscores",
	            5);
	parse_fails("/*\nrevision: abc\ndown_revision: 'é1'\n*/",
	            "v/f.sql:3: invalid revision id 'é1': ids are 1 to 32 letters, digits or underscores",
	            3);
	parse_fails("/*\nrevision: abc\ndown_revision: [abd, x1, abd]\n*/",
	            "v/f.sql:3: 'down_revision' lists 'abd' twice", 3);
	parse_fails("/*\nrevision: abc\ndown_revision: [x1, abc]\n*/",
	            "v/f.sql:3: revision 'abc' lists itself in 'down_revision'", 3);
	parse_fails("/*\ndown_revision: abc\n\nrevision: abc\n*/",
	            "v/f.sql:2: revision 'abc' lists itself in 'down_revision'", 2);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\ndepends_on:\n  - x1\n  - abc\n*/",
	            "v/f.sql:6: revision 'abc' depends on itself", 6);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\ndepends_on: [x1, x1]\n*/",
	            "v/f.sql:4: 'depends_on' lists 'x1' twice", 4);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\ndepends_on: 'a b'\n*/",
	            "v/f.sql:4: invalid reference 'a b' in 'depends_on'", 4);
}
END_TEST

START_TEST(test_label_errors)
{
	static const char *reserved[] = { "head", "heads", "base", "current" };
	for (size_t i = 0; i < 4; i++) {
		char text[128], msg[128];
		snprintf(text, sizeof(text), "/*\nrevision: abc\ndown_revision: ~\nbranch_labels: [ok, %s]\n*/",
		         reserved[i]);
		snprintf(msg, sizeof(msg), "v/f.sql:4: '%s' is reserved and cannot be a branch label",
		         reserved[i]);
		parse_fails(text, msg, 4);
	}
	static const char *bad[] = { "a@b", "a:b", "a+b", "-x", ".x", "a b", "",
		                         "x2345678901234567890123456789012345678901234567890123456789012345" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256], msg[256];
		snprintf(text, sizeof(text), "/*\nrevision: abc\ndown_revision: ~\nbranch_labels:\n  - '%s'\n*/",
		         bad[i]);
		snprintf(msg, sizeof(msg),
		         "v/f.sql:5: invalid branch label '%s': labels are 1 to 64 letters, digits, '_', "
		         "'.' or '-', not starting with '.' or '-'",
		         bad[i]);
		parse_fails(text, msg, 5);
	}
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nbranch_labels: [a, a]\n*/",
	            "v/f.sql:4: 'branch_labels' lists 'a' twice", 4);
	/* 64 characters is fine */
	struct rt_revision *rev = parse_ok(
		"/*\nrevision: abc\ndown_revision: ~\nbranch_labels: "
		"x234567890123456789012345678901234567890123456789012345678901234\n*/");
	ck_assert_uint_eq(strlen(rev->branch_labels.items[0]), 64);
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_nul_and_utf8)
{
	static const char nul[] = "/*\nrevision: abc\ndown_revision: ~\nmessage: a\0b\n*/\n";
	parse_fails_len(nul, sizeof(nul) - 1, "v/f.sql:4: the header contains a NUL byte", 4);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\n\nmessage: caf\xe9\n*/",
	            "v/f.sql:5: the header is not valid UTF-8", 5);
	parse_fails("/*\nrevision: abc\nmessage: \xc0\xaf\n*/", "v/f.sql:3: the header is not valid UTF-8",
	            3); /* overlong */
	parse_fails("/*\nrevision: abc\nmessage: \xed\xa0\x80\n*/", "v/f.sql:3: the header is not valid UTF-8",
	            3); /* surrogate */
	parse_fails("/*\nrevision: abc\nmessage: \xf4\x90\x80\x80\n*/",
	            "v/f.sql:3: the header is not valid UTF-8", 3); /* above U+10FFFF */
	parse_fails("/*\nrevision: abc\nmessage: \xe2\x82\n*/", "v/f.sql:3: the header is not valid UTF-8",
	            3); /* truncated */
	/* valid UTF-8 goes through; bytes after the header are not the header's business */
	static const char ok[] = "/*\nrevision: abc\ndown_revision: ~\nmessage: café ☕ 𝄞\n*/\n\xff\0";
	struct rt_revision *rev = NULL;
	ck_assert_int_eq(rt_revision_parse_header(&rev, "v/f.sql", ok, sizeof(ok) - 1), 0);
	ck_assert_str_eq(rev->message, "café ☕ 𝄞");
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_header_ends_at_first_close)
{
	struct rt_revision *rev =
		parse_ok("/*\nrevision: abc\ndown_revision: ~\nmessage: fix */ bug\n*/");
	ck_assert_str_eq(rev->message, "fix");
	rt_revision_free(rev);
}
END_TEST

START_TEST(test_long_header)
{
	struct rt_buf b = RT_BUF_INIT;
	struct rt_revision *rev;

	rt_buf_puts(&b, "/*\nrevision: long1\nmessage: |\n");
	for (int i = 0; i < 94; i++)
		rt_buf_addf(&b, "  line %d of a long message\n", i + 1);
	rt_buf_puts(&b, "# a comment\n\ndown_revision: [abc]\nbranch_labels: x\n*/\n");
	/* lines: 1 open, 2 revision, 3 message, 4..97 text, 98 comment, 99 blank, 100 down, 101 labels */
	rev = parse_ok(b.ptr);
	ck_assert_int_eq(rev->line, 2);
	ck_assert_int_eq(rev->down_line, 100);
	ck_assert_int_eq(rev->labels_line, 101);
	ck_assert_ptr_nonnull(strstr(rev->message, "line 94 of a long message\n"));
	rt_revision_free(rev);
	rt_buf_truncate(&b, b.len - strlen("*/\n"));
	rt_buf_puts(&b, "foo: bar\n*/");
	parse_fails(b.ptr, "v/f.sql:102: unknown key 'foo' in the header", 102);
	rt_buf_release(&b);
}
END_TEST

START_TEST(test_bom_and_crlf)
{
	struct rt_revision *rev = parse_ok("\xEF\xBB\xBF/*\nrevision: abc\ndown_revision: ~\n*/\n");
	ck_assert_int_eq(rev->line, 2);
	rt_revision_free(rev);
	rev = parse_ok("\xEF\xBB\xBF\r\n\r\n /*\r\nrevision: abc\r\ndown_revision: [a, b]\r\n"
	               "message: hi there\r\nbranch_labels:\r\n  - x\r\n*/\r\n");
	ck_assert_int_eq(rev->line, 4);
	ck_assert_int_eq(rev->down_line, 5);
	ck_assert_int_eq(rev->labels_line, 7);
	ck_assert_str_eq(rev->message, "hi there");
	ck_assert_str_eq(rev->down.items[1], "b");
	ck_assert_str_eq(rev->branch_labels.items[0], "x");
	rt_revision_free(rev);
	parse_fails("\xEF\xBB\xBF\r\n/*\r\nrevision: abc\r\n\r\nbad: 1\r\n*/",
	            "v/f.sql:5: unknown key 'bad' in the header", 5);
	/* a BOM is only skipped at the very start */
	parse_fails(" \xEF\xBB\xBF/*\nrevision: abc\n*/",
	            "v/f.sql:1: a revision file must start with a /* ... */ YAML header", 1);
}
END_TEST

START_TEST(test_id_valid)
{
	ck_assert_int_eq(rt_revision_id_valid("3f2a9c1b7d4e"), 1);
	ck_assert_int_eq(rt_revision_id_valid("a"), 1);
	ck_assert_int_eq(rt_revision_id_valid("A_b_9"), 1);
	ck_assert_int_eq(rt_revision_id_valid("_"), 1);
	ck_assert_int_eq(rt_revision_id_valid("abcdefghijklmnopqrstuvwxyz012345"), 1);
	ck_assert_int_eq(rt_revision_id_valid("abcdefghijklmnopqrstuvwxyz0123456"), 0);
	ck_assert_int_eq(rt_revision_id_valid(""), 0);
	ck_assert_int_eq(rt_revision_id_valid(NULL), 0);
	ck_assert_int_eq(rt_revision_id_valid("a-b"), 0);
	ck_assert_int_eq(rt_revision_id_valid("a b"), 0);
	ck_assert_int_eq(rt_revision_id_valid("a.b"), 0);
	ck_assert_int_eq(rt_revision_id_valid("é"), 0);
	ck_assert_int_eq(rt_revision_id_valid("a@head"), 0);
	ck_assert_int_eq(rt_revision_id_valid("head"), 0);
	ck_assert_int_eq(rt_revision_id_valid("heads"), 0);
	ck_assert_int_eq(rt_revision_id_valid("base"), 0);
	ck_assert_int_eq(rt_revision_id_valid("current"), 0);
	ck_assert_int_eq(rt_revision_id_valid("Head"), 1); /* targets are case-sensitive */
	ck_assert_int_eq(rt_revision_id_valid("head_1"), 1);
}
END_TEST

/* The one naming rule, for ids and labels, with its messages. */
START_TEST(test_name_check)
{
	ck_assert_int_eq(rt_name_check("billing", RT_NAME_BRANCH_LABEL, NULL, 0), 0);
	ck_assert_int_eq(rt_name_check("v2.feature-x", RT_NAME_BRANCH_LABEL, NULL, 0), 0);
	ck_assert_int_eq(rt_name_check("x-", RT_NAME_BRANCH_LABEL, NULL, 0), 0);
	ck_assert_int_eq(rt_name_check("2", RT_NAME_BRANCH_LABEL, NULL, 0), 0);
	ck_assert_int_eq(rt_name_check("v2-3", RT_NAME_BRANCH_LABEL, NULL, 0), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message,
	                 "invalid branch label 'v2-3': it would read as a relative target (LABEL-N)");
	ck_assert_ptr_null(rt_error_last()->file);
	ck_assert_int_eq(rt_name_check("-bad", RT_NAME_BRANCH_LABEL, "v/f.sql", 7), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message,
	                 "v/f.sql:7: invalid branch label '-bad': labels are 1 to 64 letters, digits, "
	                 "'_', '.' or '-', not starting with '.' or '-'");
	ck_assert_str_eq(rt_error_last()->file, "v/f.sql");
	ck_assert_int_eq(rt_error_last()->line, 7);
	ck_assert_int_eq(rt_name_check("current", RT_NAME_BRANCH_LABEL, NULL, 0), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "'current' is reserved and cannot be a branch label");
	ck_assert_int_eq(rt_name_check("base", RT_NAME_REVISION_ID, NULL, 0), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "'base' is reserved and cannot be a revision id");
	ck_assert_ptr_nonnull(rt_error_last()->hint);
	ck_assert_int_eq(rt_name_check("a-1", RT_NAME_REVISION_ID, NULL, 0), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message,
	                 "invalid revision id 'a-1': ids are 1 to 32 letters, digits or underscores");
	ck_assert_int_eq(rt_name_check("a1", RT_NAME_REVISION_ID, NULL, 0), 0);
	parse_fails("/*\nrevision: heads\ndown_revision: ~\n*/",
	            "v/f.sql:2: 'heads' is reserved and cannot be a revision id", 2);
	parse_fails("/*\nrevision: abc\ndown_revision: [x1, base]\n*/",
	            "v/f.sql:3: 'base' is reserved and cannot be a revision id", 3);
	parse_fails("/*\nrevision: abc\ndown_revision: ~\nbranch_labels: [billing-10]\n*/",
	            "v/f.sql:4: invalid branch label 'billing-10': it would read as a relative "
	            "target (LABEL-N)", 4);
}
END_TEST

START_TEST(test_read_fixture)
{
	struct rt_revision *rev = NULL;
	const char *path = fixture("scripts/full.sql");
	ck_assert_int_eq(rt_revision_read_header(&rev, path), 0);
	ck_assert_str_eq(rev->path, path);
	ck_assert_str_eq(rev->id, "3f2a9c1b7d4e");
	ck_assert_str_eq(rev->down.items[0], "9b1c0e7a2f55");
	ck_assert_str_eq(rev->branch_labels.items[0], "billing");
	ck_assert_str_eq(rev->depends_on.items[0], "c0ffee123456");
	ck_assert_str_eq(rev->message, "add accounts table");
	ck_assert_str_eq(rev->create_date, "2026-11-26T10:00:00Z");
	ck_assert_int_eq(rev->transactional, 1);
	ck_assert_int_eq(rev->depends_line, 5);
	rt_revision_free(rev);

	ck_assert_int_eq(rt_revision_read_header(&rev, fixture("scripts/bom_crlf.sql")), 0);
	ck_assert_str_eq(rev->id, "b0m_crlf");
	ck_assert_uint_eq(rev->down.n, 2);
	ck_assert_str_eq(rev->down.items[0], "3f2a9c1b7d4e");
	ck_assert_str_eq(rev->down.items[1], "c0ffee123456");
	ck_assert_str_eq(rev->message, "merge, with CRLF");
	ck_assert_int_eq(rev->down_line, 3);
	rt_revision_free(rev);

	ck_assert_int_eq(rt_revision_read_header(&rev, fixture("scripts/does-not-exist.sql")),
	                 RT_ENOTFOUND);
	ck_assert_ptr_null(rev);
}
END_TEST

/* Writes text to a new temporary file; returns its path (free it and unlink it). */
static char *temp_file(const struct rt_buf *b)
{
	char *path = strdup("/tmp/check_header_XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b->ptr, b->len), (ssize_t)b->len);
	close(fd);
	return path;
}

START_TEST(test_read_past_prefix)
{
	struct rt_buf b = RT_BUF_INIT;
	struct rt_revision *rev = NULL;
	char *path;
	int lines;

	/* a header longer than the 64 KiB read first */
	rt_buf_puts(&b, "/*\nrevision: big\ndown_revision: ~\nmessage: >\n");
	for (lines = 0; b.len < 100000; lines++)
		rt_buf_puts(&b, "  some words to make the header long enough\n");
	rt_buf_puts(&b, "branch_labels: [tail]\n*/\n-- retort:upgrade\nSELECT 1;\n");
	path = temp_file(&b);
	ck_assert_int_eq(rt_revision_read_header(&rev, path), 0);
	ck_assert_str_eq(rev->id, "big");
	ck_assert_str_eq(rev->branch_labels.items[0], "tail");
	ck_assert_int_eq(rev->labels_line, 5 + lines);
	ck_assert_uint_gt(strlen(rev->message), 65536);
	rt_revision_free(rev);
	unlink(path);
	free(path);

	/* never closed, past the prefix: the error names the opening line */
	rt_buf_truncate(&b, b.len - strlen("*/\n-- retort:upgrade\nSELECT 1;\n"));
	path = temp_file(&b);
	ck_assert_int_eq(rt_revision_read_header(&rev, path), RT_EINPUT);
	ck_assert_ptr_null(rev);
	ck_assert_ptr_nonnull(strstr(rt_error_last()->message, ":1: the header comment opened at line 1 is never closed"));
	unlink(path);
	free(path);

	/* a short header before a big body */
	rt_buf_clear(&b);
	rt_buf_puts(&b, "\n\n/*\nrevision: small\ndown_revision: ~\n*/\n-- retort:upgrade\n");
	while (b.len < 300000)
		rt_buf_puts(&b, "INSERT INTO t VALUES ('a fairly long line of data to fill the file');\n");
	path = temp_file(&b);
	ck_assert_int_eq(rt_revision_read_header(&rev, path), 0);
	ck_assert_str_eq(rev->id, "small");
	ck_assert_int_eq(rev->line, 4);
	rt_revision_free(rev);
	unlink(path);
	free(path);

	/* whitespace past the prefix, then the header */
	rt_buf_clear(&b);
	while (b.len < 70000)
		rt_buf_puts(&b, "                                       \n");
	rt_buf_puts(&b, "/*\nrevision: late\ndown_revision: ~\n*/\n");
	path = temp_file(&b);
	ck_assert_int_eq(rt_revision_read_header(&rev, path), 0);
	ck_assert_str_eq(rev->id, "late");
	rt_revision_free(rev);
	unlink(path);
	free(path);
	rt_buf_release(&b);
}
END_TEST

START_TEST(test_free_everything)
{
	struct rt_revision *rev = parse_ok("/*\nrevision: abc\ndown_revision: [a]\n*/\n-- retort:upgrade\n"
	                                   "SELECT 1;\n-- retort:downgrade\nSELECT 2;\n");
	const char *text = "/*\nrevision: abc\ndown_revision: [a]\n*/\n-- retort:upgrade\nSELECT 1;\n";
	/* graph fields and the script are freed with the revision */
	rev->parents = calloc(2, sizeof(*rev->parents));
	rev->deps = calloc(1, sizeof(*rev->deps));
	rev->children = calloc(3, sizeof(*rev->children));
	rev->dependents = calloc(1, sizeof(*rev->dependents));
	rt_strlist_push(&rev->member_of, "billing");
	ck_assert_int_eq(rt_script_parse(&rev->script, rev->path, text, strlen(text),
	                                 RT_DIALECT_SQLITE, NULL),
	                 0);
	rt_revision_free(rev);
	rt_revision_free(NULL);
}
END_TEST

static int parse_attempt(void *text)
{
	struct rt_revision *rev = NULL;
	int rc = rt_revision_parse_header(&rev, "v/f.sql", text, strlen(text));

	if (rc == 0)
		ck_assert_str_eq(rev->create_date, "now");
	else
		ck_assert_ptr_null(rev);
	rt_revision_free(rev);
	return rc;
}

START_TEST(test_out_of_memory)
{
	char text[] = "\xEF\xBB\xBF/*\nrevision: abc\ndown_revision: [a1, b2]\nbranch_labels: x\n"
	              "depends_on: [d, e]\nmessage: hello\ncreate_date: now\n*/";

	ck_assert_int_eq(unit_oom_loop("rt_revision_parse_header", parse_attempt, text, 20, 1000), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("header");
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_down_revision_forms);
	tcase_add_test(tc, test_scalars_are_text);
	tcase_add_test(tc, test_labels_and_depends);
	tcase_add_test(tc, test_transactional);
	tcase_add_test(tc, test_start_and_end_errors);
	tcase_add_test(tc, test_shape_errors);
	tcase_add_test(tc, test_type_errors);
	tcase_add_test(tc, test_id_errors);
	tcase_add_test(tc, test_label_errors);
	tcase_add_test(tc, test_nul_and_utf8);
	tcase_add_test(tc, test_header_ends_at_first_close);
	tcase_add_test(tc, test_long_header);
	tcase_add_test(tc, test_bom_and_crlf);
	tcase_add_test(tc, test_id_valid);
	tcase_add_test(tc, test_name_check);
	tcase_add_test(tc, test_read_fixture);
	tcase_add_test(tc, test_read_past_prefix);
	tcase_add_test(tc, test_free_everything);
	tcase_add_test(tc, test_out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
