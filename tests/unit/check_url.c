/*
 * check_url.c - unit tests for lib/url.c: dialect detection, password masking in the three
 * places a password can sit (userinfo, password= query parameter, libpq keyword string),
 * secret registration, the masking of outside text (whole words for short passwords, a
 * caret kept in place), the error slot that never rewrites retort's own text, and the
 * file a sqlite: URL names.
 */
#include <limits.h>
#include <unistd.h>
#include "unit.h"
#include "internal.h"

static void teardown(void)
{
	rt_error_clear();
	rt_secrets_clear();
}

static void assert_dialect(const char *url, enum rt_dialect want)
{
	enum rt_dialect d = (enum rt_dialect)-1;
	int rc = rt_url_dialect(url, &d);
	ck_assert_msg(rc == 0, "'%s': rc %d (%s)", url, rc, rt_error_last()->message);
	ck_assert_msg(d == want, "'%s': dialect %d, want %d", url, (int)d, (int)want);
}

START_TEST(dialect_sqlite)
{
	assert_dialect("sqlite:///app.db", RT_DIALECT_SQLITE);
	assert_dialect("sqlite:////var/lib/app.db", RT_DIALECT_SQLITE);
	assert_dialect("sqlite::memory:", RT_DIALECT_SQLITE);
	/* only the prefix decides; rt_sqlite_url_path() checks the rest */
	assert_dialect("sqlite://host/x", RT_DIALECT_SQLITE);
}
END_TEST

START_TEST(dialect_postgresql)
{
	assert_dialect("postgresql://app@localhost/app", RT_DIALECT_POSTGRESQL);
	assert_dialect("postgresql:///app", RT_DIALECT_POSTGRESQL);
	assert_dialect("postgres://u:p@h:5432/db?sslmode=require", RT_DIALECT_POSTGRESQL);
	assert_dialect("host=/tmp dbname=app user=x password=y", RT_DIALECT_POSTGRESQL);
	assert_dialect("dbname = app", RT_DIALECT_POSTGRESQL);
	assert_dialect("dbname=app application_name=http://x", RT_DIALECT_POSTGRESQL);
}
END_TEST

static void assert_unsupported(const char *url, const char *shown)
{
	enum rt_dialect d = RT_DIALECT_SQLITE;
	char want[512];

	ck_assert_int_eq(rt_url_dialect(url, &d), RT_EINPUT);
	ck_assert_int_eq(rt_error_last()->code, RT_EINPUT);
	snprintf(want, sizeof(want), "unsupported database URL '%s'", shown);
	ck_assert_str_eq(rt_error_last()->message, want);
	ck_assert_str_eq(rt_error_last()->hint, "Use sqlite:///relative.db, sqlite:////absolute.db, "
	                                        "sqlite::memory: or postgresql://user@host/db.");
}

START_TEST(dialect_unsupported)
{
	assert_unsupported("mysql://app@db/app", "mysql://app@db/app");
	assert_unsupported("", "");
	assert_unsupported("app.db", "app.db");
	assert_unsupported("postgresql:/db", "postgresql:/db");
	assert_unsupported("http://example.com/?a=b", "http://example.com/?a=b");
	assert_unsupported("SQLITE:///x.db", "SQLITE:///x.db");
	assert_unsupported(NULL, "");
}
END_TEST

START_TEST(dialect_unsupported_masks_password)
{
	assert_unsupported("mysql://app:hunter2@db/app", "mysql://app:****@db/app");
	ck_assert_ptr_null(strstr(rt_error_last()->message, "hunter2"));
	assert_unsupported("mysql://db/app?user=a&password=hunter2", "mysql://db/app?user=a&password=****");
	ck_assert_ptr_null(strstr(rt_error_last()->message, "hunter2"));
}
END_TEST

static void assert_masked(const char *url, const char *want, const char *password)
{
	char *m = rt_url_masked(url);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m, want);
	if (password)
		ck_assert_msg(strstr(m, password) == NULL, "'%s' shows '%s'", m, password);
	free(m);
}

START_TEST(masked_userinfo)
{
	assert_masked("postgresql://app:s3cret@db.example.com:5432/app",
	              "postgresql://app:****@db.example.com:5432/app", "s3cret");
	assert_masked("postgres://app:s3cret@db", "postgres://app:****@db", "s3cret");
	assert_masked("postgresql://:s3cret@db/app", "postgresql://:****@db/app", "s3cret");
	/* the last '@' before the path ends the userinfo */
	assert_masked("postgresql://app:p@ss@db/app", "postgresql://app:****@db/app", "p@ss");
	assert_masked("postgresql://app:p%40ss@db/app", "postgresql://app:****@db/app", "p%40ss");
	/* a password holding an unescaped '/' is still hidden */
	assert_masked("postgresql://app:pa/ss@db/app", "postgresql://app:****@db/app", "pa/ss");
	assert_masked("postgresql://app:pa?ss@db/app", "postgresql://app:****@db/app", "pa?ss");
	/* several hosts */
	assert_masked("postgresql://app:s3cret@h1:5432,h2:5433/app",
	              "postgresql://app:****@h1:5432,h2:5433/app", "s3cret");
	/* an unknown scheme is masked too */
	assert_masked("mysql://root:toor@localhost/x", "mysql://root:****@localhost/x", "toor");
}
END_TEST

START_TEST(masked_nothing_to_hide)
{
	assert_masked("postgresql://app@db/app", "postgresql://app@db/app", NULL);
	assert_masked("postgresql://db:5432/app", "postgresql://db:5432/app", NULL);
	assert_masked("postgresql://app:@db/app", "postgresql://app:@db/app", NULL);
	assert_masked("postgresql:///app?host=/tmp", "postgresql:///app?host=/tmp", NULL);
	assert_masked("postgresql://db/app?application_name=me@home",
	              "postgresql://db/app?application_name=me@home", NULL);
	assert_masked("sqlite:///a:b@c.db", "sqlite:///a:b@c.db", NULL);
	assert_masked("sqlite::memory:", "sqlite::memory:", NULL);
	assert_masked("app.db", "app.db", NULL);
	assert_masked("host=/tmp dbname=app", "host=/tmp dbname=app", NULL);
	assert_masked("", "", NULL);
	assert_masked(NULL, "", NULL);
}
END_TEST

START_TEST(masked_query)
{
	assert_masked("postgresql://db/app?user=app&password=s3cret&sslmode=require",
	              "postgresql://db/app?user=app&password=****&sslmode=require", "s3cret");
	assert_masked("postgresql://db/app?password=s3cret", "postgresql://db/app?password=****",
	              "s3cret");
	assert_masked("postgresql://db/app?password=s3cret#frag", "postgresql://db/app?password=****#frag",
	              "s3cret");
	assert_masked("postgresql://app:one@db/app?password=two",
	              "postgresql://app:****@db/app?password=****", "one");
	assert_masked("postgresql://app:one@db/app?password=two",
	              "postgresql://app:****@db/app?password=****", "two");
	/* only the parameter named password (or sslpassword) */
	assert_masked("postgresql://db/app?mypassword=x&password_hint=y",
	              "postgresql://db/app?mypassword=x&password_hint=y", NULL);
	assert_masked("postgresql://db/app?sslpassword=keypw", "postgresql://db/app?sslpassword=****",
	              "keypw");
	assert_masked("postgresql://db/app?password=", "postgresql://db/app?password=", NULL);
}
END_TEST

START_TEST(masked_keyword)
{
	assert_masked("host=/tmp dbname=app user=x password=y", "host=/tmp dbname=app user=x password=****",
	              NULL);
	assert_masked("password=s3cret host=db", "password=**** host=db", "s3cret");
	assert_masked("host=db password = s3cret port=5432", "host=db password = **** port=5432",
	              "s3cret");
	assert_masked("host=db password='two words' dbname=app", "host=db password=**** dbname=app",
	              "two words");
	assert_masked("password='it\\'s' dbname=app", "password=**** dbname=app", "it");
	assert_masked("password=back\\ slash dbname=app", "password=**** dbname=app", "slash");
	/* an unterminated quote hides everything after it */
	assert_masked("dbname=app password='open to the end", "dbname=app password=****", "open");
	assert_masked("\tpassword=\ts3cret\n", "\tpassword=\t****\n", "s3cret");
	assert_masked("user=password dbname=password", "user=password dbname=password", NULL);
}
END_TEST

START_TEST(register_userinfo)
{
	char *m;

	rt_url_register_secret("postgresql://app:p%40ss%2Fword@db/app");
	m = rt_mask("a p%40ss%2Fword b p@ss/word c");
	ck_assert_str_eq(m, "a **** b **** c");
	free(m);
	m = rt_url_masked("postgresql://app:p%40ss%2Fword@db/app");
	ck_assert_str_eq(m, "postgresql://app:****@db/app");
	free(m);
}
END_TEST

START_TEST(register_query_and_keyword)
{
	char *m;

	rt_url_register_secret("postgresql://db/app?password=qu%20ery");
	rt_url_register_secret("host=db password='it\\'s mine'");
	rt_url_register_secret("host=db password=back\\\\slash");
	m = rt_mask("1 qu%20ery 2 qu ery 3 it's mine 4 it\\'s mine 5 back\\\\slash 6 back\\slash");
	ck_assert_str_eq(m, "1 **** 2 **** 3 **** 4 **** 5 **** 6 ****");
	free(m);
}
END_TEST

START_TEST(register_nothing)
{
	char *m;

	rt_url_register_secret(NULL);
	rt_url_register_secret("");
	rt_url_register_secret("postgresql://app@db/app");
	rt_url_register_secret("postgresql://app:@db/app");
	rt_url_register_secret("sqlite:///a:b@c.db");
	rt_url_register_secret("host=db");
	m = rt_mask("postgresql://app@db/app sqlite:///a:b@c.db host=db");
	ck_assert_str_eq(m, "postgresql://app@db/app sqlite:///a:b@c.db host=db");
	free(m);
}
END_TEST

/* Short passwords made of letters and digits match whole words only; any other password
 * matches everywhere. */
START_TEST(mask_short_secrets_whole_words)
{
	char *m;

	rt_secret_add("true");
	rt_secret_add("e");
	rt_secret_add("1");
	m = rt_mask("is_head: true, untrue, e-mail, line 1, t_a1, 10, \"e\", caf\xc3\xa9 e");
	ck_assert_str_eq(m, "is_head: ****, untrue, ****-mail, line ****, t_a1, 10, \"****\", caf\xc3\xa9 ****");
	free(m);
	ck_assert_int_eq(rt_secret_in("CREATE TABLE t_a1 (id integer primary key)"), 0);
	ck_assert_int_eq(rt_secret_in("INSERT INTO t VALUES ('e')"), 1);
	rt_secrets_clear();
	/* 8 bytes or more, or any other character: masked inside words too */
	rt_secret_add("hunter22");
	rt_secret_add("\"");
	rt_secret_add("\\");
	m = rt_mask("md5hunter22x say \"hi\" a\\b");
	ck_assert_str_eq(m, "md5****x say ****hi**** a****b");
	free(m);
	ck_assert_int_eq(rt_secret_in("md5hunter22"), 1);
}
END_TEST

/* The offset of a caret follows the text it points into when a password before it is
 * masked; one inside a password moves to the start of its "****". */
START_TEST(mask_span_moves_the_caret)
{
	const char *line = "SELECT 'long-secret-1' AS a, FROM t";
	size_t pos = (size_t)(strstr(line, "FROM") - line), inside = 10, end = strlen(line);
	char *m;

	rt_secret_add("long-secret-1");
	m = rt_mask_span_plain(line, strlen(line), &pos);
	ck_assert_str_eq(m, "SELECT '****' AS a, FROM t");
	ck_assert_str_eq(m + pos, "FROM t");
	free(m);
	m = rt_mask_span_plain(line, strlen(line), &inside);
	ck_assert_str_eq(m + inside, "****' AS a, FROM t");
	free(m);
	m = rt_mask_span_plain(line, 7, &end); /* only "SELECT ": end maps to its end */
	ck_assert_str_eq(m, "SELECT ");
	ck_assert_uint_eq(end, 7);
	free(m);
}
END_TEST

/* The error slot and diagnostics keep retort's text as formatted: nothing rewrites it,
 * whatever the password is. */
START_TEST(error_slot_never_rewrites)
{
	struct rt_diags d = RT_DIAGS_INIT;

	rt_secret_add("e");
	rt_secret_add("true");
	rt_secret_add("1");
	rt_error_set(RT_EINPUT, "%s:%d: revision 'e' is true", "/p/versions/e_x.sql", 1);
	rt_error_set_location("/p/versions/e_x.sql", 1);
	rt_error_set_detail("detail e 1 true");
	rt_error_set_hint("hint e 1 true");
	rt_error_set_context("LINE 1: SELECT e");
	ck_assert_str_eq(rt_error_last()->message, "/p/versions/e_x.sql:1: revision 'e' is true");
	ck_assert_str_eq(rt_error_last()->file, "/p/versions/e_x.sql");
	ck_assert_str_eq(rt_error_last()->detail, "detail e 1 true");
	ck_assert_str_eq(rt_error_last()->hint, "hint e 1 true");
	ck_assert_str_eq(rt_error_last()->context, "LINE 1: SELECT e");
	rt_error_prefix("e %d", 1);
	ck_assert_str_eq(rt_error_last()->message, "e 1: /p/versions/e_x.sql:1: revision 'e' is true");
	ck_assert_int_eq(rt_diags_add(&d, RT_SEV_ERROR, "k", "/p/e.sql", 1, "hint e", "message %s", "e"), 0);
	ck_assert_str_eq(d.items[0].message, "message e");
	ck_assert_str_eq(d.items[0].file, "/p/e.sql");
	ck_assert_str_eq(d.items[0].hint, "hint e");
	rt_diags_release(&d);
}
END_TEST

static void assert_sqlite_path(const char *url, const char *base, const char *want)
{
	char *path = (char *)"unset";
	int rc = rt_sqlite_url_path(url, base, &path);
	ck_assert_msg(rc == 0, "'%s': rc %d (%s)", url, rc, rt_error_last()->message);
	ck_assert_str_eq(path, want);
	free(path);
}

START_TEST(sqlite_paths)
{
	char cwd[PATH_MAX], want[PATH_MAX + 32];

	assert_sqlite_path("sqlite:///app.db", "/srv/proj", "/srv/proj/app.db");
	assert_sqlite_path("sqlite:///data/app.db", "/srv/proj/", "/srv/proj/data/app.db");
	assert_sqlite_path("sqlite:///../shared/app.db", "/srv/proj", "/srv/shared/app.db");
	assert_sqlite_path("sqlite:///./a/./b.db", "/srv", "/srv/a/b.db");
	assert_sqlite_path("sqlite:////var/lib/app.db", "/srv/proj", "/var/lib/app.db");
	assert_sqlite_path("sqlite:////var/lib/app.db", NULL, "/var/lib/app.db");
	assert_sqlite_path("sqlite::memory:", "/srv", ":memory:");
	assert_sqlite_path("sqlite:///:memory:", "/srv", ":memory:");
	assert_sqlite_path("sqlite:///my%20app.db", "/srv", "/srv/my app.db");
	assert_sqlite_path("sqlite:////tmp/%41%2fb.db", "/srv", "/tmp/A/b.db");
	assert_sqlite_path("sqlite:///100%.db", "/srv", "/srv/100%.db");
	assert_sqlite_path("sqlite:///%zz.db", "/srv", "/srv/%zz.db");

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/rel.db", cwd);
	assert_sqlite_path("sqlite:///rel.db", NULL, want);
}
END_TEST

static void assert_invalid_sqlite(const char *url, const char *shown)
{
	char *path = (char *)"unset", want[256];

	ck_assert_int_eq(rt_sqlite_url_path(url, "/srv", &path), RT_EINPUT);
	ck_assert_ptr_null(path);
	snprintf(want, sizeof(want), "invalid SQLite URL '%s'", shown);
	ck_assert_str_eq(rt_error_last()->message, want);
	ck_assert_str_eq(rt_error_last()->hint, "Use sqlite:///relative.db, sqlite:////absolute.db, "
	                                        "or sqlite::memory: for an in-memory database.");
}

START_TEST(sqlite_invalid)
{
	assert_invalid_sqlite("sqlite://host/x.db", "sqlite://host/x.db");
	assert_invalid_sqlite("sqlite:x.db", "sqlite:x.db");
	assert_invalid_sqlite("sqlite:/x.db", "sqlite:/x.db");
	assert_invalid_sqlite("sqlite:", "sqlite:");
	assert_invalid_sqlite("sqlite://", "sqlite://");
	assert_invalid_sqlite("sqlite:///", "sqlite:///");
	assert_invalid_sqlite("sqlite:////", "sqlite:////");
	assert_invalid_sqlite("sqlite:///dir/", "sqlite:///dir/");
	assert_invalid_sqlite("sqlite:///a%00b.db", "sqlite:///a%00b.db");
	assert_invalid_sqlite("sqlite::memory", "sqlite::memory");
	assert_invalid_sqlite("postgresql://u:hunter2@db/app", "postgresql://u:****@db/app");
	assert_invalid_sqlite(NULL, "");
}
END_TEST

/* Every allocation failure turns into RT_ENOMEM, with nothing leaked (ASan/valgrind). */
static int mask_attempt(void *ctx)
{
	const char *url = "postgresql://app:p%40ss@db/app?password=x%20y";
	char *m, *path = NULL;
	int rc;

	(void)ctx;
	m = rt_url_masked(url);
	rt_url_register_secret(url);
	rc = rt_sqlite_url_path("sqlite:///a%20b.db", "/srv", &path);
	if (m)
		ck_assert_str_eq(m, "postgresql://app:****@db/app?password=****");
	if (rc == 0)
		ck_assert_str_eq(path, "/srv/a b.db");
	else
		ck_assert_ptr_null(path);
	if (rc == 0 && !m)
		rc = RT_ENOMEM;
	free(m);
	free(path);
	return rc;
}

static int dialect_attempt(void *ctx)
{
	enum rt_dialect d;

	(void)ctx;
	return rt_url_dialect("mysql://a:b@c/d", &d);
}

START_TEST(out_of_memory)
{
	ck_assert_int_eq(unit_oom_loop("url masking", mask_attempt, NULL, 4, 100), 0);
	ck_assert_int_eq(unit_oom_loop("rt_url_dialect", dialect_attempt, NULL, 1, 100), RT_EINPUT);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("url");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, dialect_sqlite);
	tcase_add_test(tc, dialect_postgresql);
	tcase_add_test(tc, dialect_unsupported);
	tcase_add_test(tc, dialect_unsupported_masks_password);
	tcase_add_test(tc, masked_userinfo);
	tcase_add_test(tc, masked_nothing_to_hide);
	tcase_add_test(tc, masked_query);
	tcase_add_test(tc, masked_keyword);
	tcase_add_test(tc, register_userinfo);
	tcase_add_test(tc, register_query_and_keyword);
	tcase_add_test(tc, register_nothing);
	tcase_add_test(tc, mask_short_secrets_whole_words);
	tcase_add_test(tc, mask_span_moves_the_caret);
	tcase_add_test(tc, error_slot_never_rewrites);
	tcase_add_test(tc, sqlite_paths);
	tcase_add_test(tc, sqlite_invalid);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
