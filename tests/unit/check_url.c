/*
 * check_url.c - unit tests for lib/url.c: dialect detection, password masking in the three
 * places a password can sit (userinfo, password= query parameter, libpq keyword string),
 * secret registration, and the file a sqlite: URL names.
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
	rt_error_set(RT_EDB, "cannot connect to %s", "postgresql://app:p%40ss%2Fword@db/app");
	ck_assert_str_eq(rt_error_last()->message, "cannot connect to postgresql://app:****@db/app");
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
START_TEST(out_of_memory)
{
	const char *url = "postgresql://app:p%40ss@db/app?password=x%20y";
	int done = 0;

	for (long n = 1; n < 100 && !done; n++) {
		char *m, *path = NULL;
		enum rt_dialect d;
		int rc;

		rt_alloc_fail_after(n);
		m = rt_url_masked(url);
		rt_url_register_secret(url);
		rc = rt_sqlite_url_path("sqlite:///a%20b.db", "/srv", &path);
		rt_alloc_fail_after(0);
		if (m)
			ck_assert_str_eq(m, "postgresql://app:****@db/app?password=****");
		if (rc == 0)
			ck_assert_str_eq(path, "/srv/a b.db");
		else
			ck_assert_int_eq(rc, RT_ENOMEM);
		done = m && rc == 0;
		free(m);
		free(path);
		rt_alloc_fail_after(n);
		rc = rt_url_dialect("mysql://a:b@c/d", &d);
		rt_alloc_fail_after(0);
		ck_assert(rc == RT_EINPUT || rc == RT_ENOMEM);
	}
	ck_assert(done);
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
	tcase_add_test(tc, sqlite_paths);
	tcase_add_test(tc, sqlite_invalid);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
