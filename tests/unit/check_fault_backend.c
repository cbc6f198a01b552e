/*
 * check_fault_backend.c - unit tests of the fault backend (lib/fault_backend.c): the spec
 * rt_fault_set() takes, the wrapping rt_db_open() does when a fault is armed, the counting
 * of exec / query / commit calls, the Nth call failing once or persistently with the
 * error a real failure would set, and the wrapper leaving everything else to the real
 * backend. Real SQLite files in a fresh mkdtemp() directory per test.
 */
#include <dirent.h>
#include <sqlite3.h>
#include <unistd.h>
#include "unit.h"
#include "backend.h"
#include "internal.h"

static char tmpdir[256];
static char url[600];
static struct rt_config cfg;

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rt-fault-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(url, sizeof(url), "sqlite:///%s/x.db", tmpdir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = url;
	cfg.url_dir = tmpdir;
	cfg.sqlite.busy_timeout_ms = 1000;
	rt_fault_set(NULL);
	rt_error_clear();
}

static void teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[800];

	while (d && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
	rt_fault_set(NULL);
	rt_alloc_fail_after(0);
	rt_error_clear();
}

static struct rt_db *open_db(void)
{
	struct rt_db *db = NULL;
	int rc = rt_db_open(&db, &cfg, 0);

	ck_assert_msg(rc == 0, "open failed: %d %s", rc, rt_error_last()->message);
	ck_assert_ptr_nonnull(db);
	return db;
}

static int exec(struct rt_db *db, const char *sql)
{
	return db->ops->exec(db, sql, NULL, 0, NULL);
}

static int count_row(void *ctx, int ncols, const char *const *values)
{
	(void)ncols;
	*(long *)ctx = values[0] ? atol(values[0]) : -1;
	return 0;
}

/* The single integer sql selects, through db (one query call). */
static long scalar(struct rt_db *db, const char *sql)
{
	long v = -2;
	int rc = db->ops->query(db, sql, count_row, &v);

	ck_assert_msg(rc == 0, "query '%s' failed: %s", sql, rt_error_last()->message);
	return v;
}

/* ------------------------------------------------------------------------------------ */

START_TEST(test_specs)
{
	static const char *const good[] = { "exec:1", "query:2:once", "commit:30:persist", "count" };
	static const char *const bad[] = { "x", "exec", "exec:", "exec:0", "exec:-1", "exec:+1", "exec: 1",
	                                   "exec:1:", "exec:1:Once", "exec:1x", "Exec:1", "read:1",
	                                   "exec:99999999999999999999", ":1" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(rt_fault_set(good[i]) == 0, "'%s' refused: %s", good[i], rt_error_last()->message);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rt_error_clear();
		ck_assert_msg(rt_fault_set(bad[i]) == RT_EUSAGE, "'%s' accepted", bad[i]);
		ck_assert_error_contains("invalid fault '");
		ck_assert_error_contains(bad[i]);
		ck_assert_ptr_nonnull(rt_error_last()->hint);
	}
	ck_assert_int_eq(rt_fault_set(""), 0);
	ck_assert_int_eq(rt_fault_calls("exec"), 0);
	ck_assert_int_eq(rt_fault_calls("update"), -1);
	ck_assert_int_eq(rt_fault_calls(NULL), -1);
}
END_TEST

START_TEST(test_off_means_the_real_backend)
{
	struct rt_db *db;

	ck_assert_int_eq(rt_fault_set("exec:1"), 0);
	ck_assert_int_eq(rt_fault_set("bogus"), RT_EUSAGE); /* a bad spec turns the hook off */
	db = open_db();
	ck_assert_ptr_eq(db->ops, &rt_sqlite_ops);
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0);
	rt_db_close(db);
}
END_TEST

START_TEST(test_wrapper_forwards)
{
	struct rt_db *db;
	long changes = -5;
	int exists = -1;

	ck_assert_int_eq(rt_fault_set("count"), 0);
	db = open_db();
	ck_assert_ptr_ne(db->ops, &rt_sqlite_ops);
	ck_assert_str_eq(db->ops->name, "sqlite");
	ck_assert_int_eq(db->ops->dialect, RT_DIALECT_SQLITE);
	ck_assert_ptr_eq(db->cfg, &cfg);
	/* a hook the real backend lacks stays NULL, so callers take the same path */
	ck_assert_ptr_null(db->ops->run_stmt);
	ck_assert_int_eq(db->ops->before_exec == NULL, rt_sqlite_ops.before_exec == NULL);
	ck_assert_int_eq(db->ops->check == NULL, rt_sqlite_ops.check == NULL);
	ck_assert_int_eq(db->ops->session_extra == NULL, rt_sqlite_ops.session_extra == NULL);
	ck_assert_ptr_nonnull(strstr(db->ops->describe(db), "x.db"));
	ck_assert_int_eq(db->ops->lock(db, 0), 0);
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0);
	ck_assert_int_eq(exec(db, "BEGIN"), 0);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (1), (2)", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 2);
	ck_assert_int_eq(exec(db, "commit"), 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM t"), 2);
	db->ops->unlock(db);
	ck_assert_int_eq(rt_fault_calls("exec"), 3);
	ck_assert_int_eq(rt_fault_calls("commit"), 1);
	ck_assert_int_eq(rt_fault_calls("query"), 2);
	rt_db_close(db);
}
END_TEST

START_TEST(test_exec_once)
{
	struct rt_db *db;
	const struct rt_error *e;

	ck_assert_int_eq(rt_fault_set("exec:2:once"), 0);
	db = open_db();
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES (1)"), RT_EDB);
	e = rt_error_last();
	ck_assert_int_eq(e->code, RT_EDB);
	ck_assert_str_eq(e->message, "fault injected: the 2nd exec fails");
	ck_assert_int_eq(e->db_code, SQLITE_IOERR);
	ck_assert_str_eq(e->sqlstate, "");
	ck_assert_ptr_null(e->detail);
	ck_assert_ptr_nonnull(strstr(e->hint, "test hook"));
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES (3)"), 0);
	ck_assert_int_eq(scalar(db, "SELECT sum(x) FROM t"), 3); /* the failed one never ran */
	rt_db_close(db);
}
END_TEST

START_TEST(test_exec_persist)
{
	struct rt_db *db;
	long changes = 9;

	ck_assert_int_eq(rt_fault_set("exec:2"), 0);
	db = open_db();
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES (1)"), RT_EDB);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (2)", NULL, 0, &changes), RT_EDB);
	ck_assert_int_eq(changes, -1);
	ck_assert_str_eq(rt_error_last()->message, "fault injected: the 3rd exec fails");
	ck_assert_str_eq(rt_error_last()->detail, "Every exec from the 2nd on fails (exec:2:persist).");
	/* the other kinds still work, as on a connection whose writes fail */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM t"), 0);
	ck_assert_int_eq(exec(db, "COMMIT"), RT_EDB); /* no transaction: SQLite's own error */
	ck_assert_error_contains("no transaction");
	rt_db_close(db);
}
END_TEST

START_TEST(test_location_and_ordinals)
{
	static const struct { long n; const char *word; } ord[] = {
		{ 1, "1st" }, { 2, "2nd" }, { 3, "3rd" }, { 4, "4th" }, { 11, "11th" }, { 12, "12th" },
		{ 13, "13th" }, { 21, "21st" }, { 22, "22nd" }, { 23, "23rd" }, { 111, "111th" }, { 101, "101st" },
	};
	char spec[32], want[128];
	struct rt_db *db;

	for (size_t i = 0; i < sizeof(ord) / sizeof(ord[0]); i++) {
		snprintf(spec, sizeof(spec), "exec:%ld:once", ord[i].n);
		ck_assert_int_eq(rt_fault_set(spec), 0);
		db = open_db();
		for (long k = 1; k < ord[i].n; k++)
			ck_assert_int_eq(exec(db, "SELECT 1"), 0);
		ck_assert_int_eq(db->ops->exec(db, "SELECT 1", "versions/a_x.sql", 7, NULL), RT_EDB);
		snprintf(want, sizeof(want), "versions/a_x.sql:7: fault injected: the %s exec fails", ord[i].word);
		ck_assert_str_eq(rt_error_last()->message, want);
		ck_assert_str_eq(rt_error_last()->file, "versions/a_x.sql");
		ck_assert_int_eq(rt_error_last()->line, 7);
		rt_db_close(db);
	}
}
END_TEST

START_TEST(test_query_kind)
{
	struct rt_db *db;
	int exists = -1;

	ck_assert_int_eq(rt_fault_set("query:2:persist"), 0);
	db = open_db();
	ck_assert_int_eq(scalar(db, "SELECT 5"), 5);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t", &exists), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "fault injected: the 2nd query fails");
	ck_assert_int_eq(db->ops->query(db, "SELECT 1", count_row, &(long){ 0 }), RT_EDB);
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0); /* execs are not queries */
	ck_assert_int_eq(rt_fault_calls("query"), 3);
	rt_db_close(db);
}
END_TEST

/* A COMMIT that fails on SQLite leaves the transaction open, as SQLITE_BUSY does. */
START_TEST(test_commit_kind)
{
	struct rt_db *db;

	ck_assert_int_eq(rt_fault_set("commit:1:once"), 0);
	db = open_db();
	ck_assert_int_eq(exec(db, "CREATE TABLE t (x)"), 0);
	ck_assert_int_eq(exec(db, "BEGIN"), 0);
	ck_assert_int_eq(exec(db, "INSERT INTO t VALUES (1)"), 0);
	ck_assert_int_eq(exec(db, "COMMIT"), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "fault injected: the 1st commit fails");
	ck_assert_int_eq(exec(db, "ROLLBACK"), 0); /* still open */
	ck_assert_int_eq(scalar(db, "SELECT count(*) FROM t"), 0);
	ck_assert_int_eq(rt_fault_calls("exec"), 4);
	ck_assert_int_eq(rt_fault_calls("commit"), 1);
	rt_db_close(db);
}
END_TEST

/* The counts span every connection opened while the hook is armed. */
START_TEST(test_counts_across_connections)
{
	struct rt_db *a, *b;

	ck_assert_int_eq(rt_fault_set("exec:2:once"), 0);
	a = open_db();
	b = open_db();
	ck_assert_int_eq(exec(a, "SELECT 1"), 0);
	ck_assert_int_eq(exec(b, "SELECT 1"), RT_EDB);
	ck_assert_int_eq(exec(a, "SELECT 1"), 0);
	rt_db_close(a);
	rt_db_close(b);
}
END_TEST

/* Out of memory while wrapping: a clean RT_ENOMEM, no connection left (valgrind checks
 * that the real one was closed). */
START_TEST(test_alloc_failures)
{
	struct rt_db *db = NULL;
	int rc = -1;

	for (long n = 1; n < 10000 && rc != 0; n++) {
		ck_assert_int_eq(rt_fault_set("count"), 0);
		rt_alloc_fail_after(n);
		rc = rt_db_open(&db, &cfg, 0);
		rt_alloc_fail_after(0);
		if (rc != 0) {
			ck_assert_int_eq(rc, RT_ENOMEM);
			ck_assert_ptr_null(db);
		}
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_ne(db->ops, &rt_sqlite_ops);
	rt_db_close(db);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fault_backend");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_specs);
	tcase_add_test(tc, test_off_means_the_real_backend);
	tcase_add_test(tc, test_wrapper_forwards);
	tcase_add_test(tc, test_exec_once);
	tcase_add_test(tc, test_exec_persist);
	tcase_add_test(tc, test_location_and_ordinals);
	tcase_add_test(tc, test_query_kind);
	tcase_add_test(tc, test_commit_kind);
	tcase_add_test(tc, test_counts_across_connections);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
