/*
 * check_sqlite_backend.c - unit tests of the SQLite backend (lib/backend_sqlite.c).
 *
 * Every test gets a fresh mkdtemp() directory and real SQLite files in it, opened through
 * rt_sqlite_ops with a hand-built struct rt_config. The migration lock is tested against a
 * forked child holding it, interruption with rt_interrupt() from a timer signal.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "unit.h"
#include "backend.h"
#include "internal.h"

static char tmpdir[256];
static char dbpath[512];
static char url[600];
static struct rt_config cfg;

static void setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/rt-sqlite-XXXXXX", base && *base ? base : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbpath, sizeof(dbpath), "%s/x.db", tmpdir);
	snprintf(url, sizeof(url), "sqlite:///%s", dbpath);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = url;
	cfg.url_dir = tmpdir;
	cfg.sqlite.busy_timeout_ms = 1000;
	rt_interrupt_reset();
	rt_error_clear();
}

static void teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[800];

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	rt_interrupt_reset();
	rt_alloc_fail_after(0);
	rt_error_clear();
}

static struct rt_db *open_db(const struct rt_config *c, unsigned flags)
{
	struct rt_db *db = NULL;
	int rc = rt_sqlite_ops.open(&db, c, flags);
	ck_assert_msg(rc == 0, "open failed: %d %s", rc, rt_error_last()->message);
	ck_assert_ptr_nonnull(db);
	return db;
}

static void exec_ok(struct rt_db *db, const char *sql)
{
	int rc = db->ops->exec(db, sql, NULL, 0, NULL);
	ck_assert_msg(rc == 0, "exec '%s' failed: %s", sql, rt_error_last()->message);
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Rows as "a|b\n" lines, "NULL" for SQL NULL; stops after stop_after rows when > 0. */
struct rows {
	struct rt_buf text;
	int n;
	int stop_after;
};

static int collect(void *ctx, int ncols, const char *const *values)
{
	struct rows *r = ctx;
	for (int i = 0; i < ncols; i++) {
		if (i)
			rt_buf_putc(&r->text, '|');
		rt_buf_puts(&r->text, values[i] ? values[i] : "NULL");
	}
	rt_buf_putc(&r->text, '\n');
	r->n++;
	return r->stop_after > 0 && r->n >= r->stop_after;
}

/* Runs sql and returns its rows as text (caller frees). */
static char *query_text(struct rt_db *db, const char *sql)
{
	struct rows r = { RT_BUF_INIT, 0, 0 };
	int rc = db->ops->query(db, sql, collect, &r);
	ck_assert_msg(rc == 0, "query '%s' failed: %s", sql, rt_error_last()->message);
	return rt_buf_detach(&r.text);
}

#define ck_assert_query(db, sql, expected)           \
	do {                                             \
		char *got_ = query_text((db), (sql));        \
		ck_assert_str_eq(got_, (expected));          \
		free(got_);                                  \
	} while (0)

struct notices {
	int n;
	char last[1024];
};

static void on_notice(void *ctx, const char *message)
{
	struct notices *no = ctx;
	no->n++;
	snprintf(no->last, sizeof(no->last), "%s", message);
}

/* ------------------------------------------------------------------------------------ */

START_TEST(test_ops_table)
{
	ck_assert_int_eq(rt_sqlite_ops.version, RT_DB_OPS_VERSION);
	ck_assert_str_eq(rt_sqlite_ops.name, "sqlite");
	ck_assert_int_eq(rt_sqlite_ops.dialect, RT_DIALECT_SQLITE);
	rt_sqlite_ops.close(NULL);
}
END_TEST

START_TEST(test_round_trip)
{
	struct rt_db *db = open_db(&cfg, 0);
	struct rows r = { RT_BUF_INIT, 0, 1 };
	char expected[600];

	ck_assert_ptr_eq(db->ops, &rt_sqlite_ops);
	ck_assert_ptr_eq(db->cfg, &cfg);
	ck_assert_uint_eq(db->flags, 0);
	ck_assert_int_eq(db->missing, 0);
	snprintf(expected, sizeof(expected), "sqlite database '%s'", dbpath);
	ck_assert_str_eq(db->ops->describe(db), expected);
	ck_assert(file_exists(dbpath));

	exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n REAL)");
	exec_ok(db, "INSERT INTO t VALUES (1, 'a', 1.5); INSERT INTO t VALUES (2, NULL, NULL);\n"
	            "-- a comment\n  INSERT INTO t VALUES (3, 'it''s', 0) ; -- trailing\n");
	ck_assert_query(db, "SELECT id, name, n FROM t ORDER BY id", "1|a|1.5\n2|NULL|NULL\n3|it's|0.0\n");
	ck_assert_query(db, "SELECT * FROM t WHERE id > 100", "");
	ck_assert_query(db, "-- nothing but a comment", "");

	/* fn returning non-zero stops early without an error */
	ck_assert_int_eq(db->ops->query(db, "SELECT id FROM t ORDER BY id; SELECT 99", collect, &r), 0);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.text.ptr, "1\n");
	rt_buf_release(&r.text);

	/* wide rows */
	ck_assert_query(db, "SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20",
	                "1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20\n");
	db->ops->close(db);

	/* the data is in the file */
	db = open_db(&cfg, 0);
	ck_assert_query(db, "SELECT count(*) FROM t", "3\n");
	db->ops->close(db);
}
END_TEST

START_TEST(test_changes)
{
	struct rt_db *db = open_db(&cfg, 0);
	long changes = 77;

	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INT)", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (1, 0), (2, 0), (3, 1)", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 3);
	ck_assert_int_eq(db->ops->exec(db, "UPDATE t SET v = 5 WHERE v = 0", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 2);
	/* no row matches: 0, not the previous statement's count */
	ck_assert_int_eq(db->ops->exec(db, "UPDATE t SET v = 6 WHERE v = 42", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (4, 0)", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 1);
	ck_assert_int_eq(db->ops->exec(db, "CREATE INDEX t_v ON t (v)", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "SELECT * FROM t", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "DELETE FROM t WHERE id >= 3", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 2);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (10, 1); INSERT INTO t VALUES (11, 1)",
	                               NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 2);
	ck_assert_int_eq(db->ops->exec(db, "DELETE FROM t", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 4);
	ck_assert_int_eq(db->ops->exec(db, "ALTER TABLE t ADD COLUMN w TEXT", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "DROP TABLE t", NULL, 0, &changes), 0);
	ck_assert_int_eq(changes, 0);
	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE u (x)", NULL, 0, NULL), 0);
	db->ops->close(db);
}
END_TEST

/* A revision's statement (with a path) is one statement: a second one is refused before
 * it runs; retort's own SQL (no path) may hold several. */
START_TEST(test_one_statement_per_revision_statement)
{
	struct rt_db *db = open_db(&cfg, 0);

	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE a (i); -- c\n CREATE TABLE injected (i)",
	                               "versions/x.sql", 4, NULL), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message,
	                 "versions/x.sql:5: more than one statement in one piece of SQL");
	ck_assert_query(db, "SELECT count(*) FROM sqlite_master WHERE name = 'injected'", "0\n");
	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE b (i); -- only a comment after it", "v.sql", 1, NULL), 0);
	db->ops->close(db);
}
END_TEST

START_TEST(test_errors)
{
	struct rt_db *db = open_db(&cfg, 0);
	const struct rt_error *e;
	long changes = 5;
	int exists = 0;

	exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, u TEXT UNIQUE)");
	exec_ok(db, "INSERT INTO t VALUES (1, 'a')");

	ck_assert_int_eq(db->ops->exec(db, "SELECT * FROM nope", "versions/a_b.sql", 12, &changes), RT_EDB);
	e = rt_error_last();
	ck_assert_int_eq(e->code, RT_EDB);
	ck_assert_str_eq(e->message, "versions/a_b.sql:12: no such table: nope");
	ck_assert_str_eq(e->file, "versions/a_b.sql");
	ck_assert_int_eq(e->line, 12);
	ck_assert_int_eq(e->db_code, SQLITE_ERROR);
	ck_assert_str_eq(e->sqlstate, "");
	ck_assert_str_eq(e->context, "SELECT * FROM nope");
	ck_assert_ptr_null(e->hint);
	ck_assert_int_eq(changes, 0);

	/* a step error carries the extended code */
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (1, 'b')", "v.sql", 3, NULL), RT_EDB);
	e = rt_error_last();
	ck_assert_str_eq(e->message, "v.sql:3: UNIQUE constraint failed: t.id");
	ck_assert_int_eq(e->db_code, SQLITE_CONSTRAINT_PRIMARYKEY);
	ck_assert_int_eq(e->line, 3);

	/* without a path: SQLite's message alone */
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (2, 'a')", NULL, 0, NULL), RT_EDB);
	e = rt_error_last();
	ck_assert_str_eq(e->message, "UNIQUE constraint failed: t.u");
	ck_assert_int_eq(e->db_code, SQLITE_CONSTRAINT_UNIQUE);
	ck_assert_ptr_null(e->file);
	ck_assert_int_eq(e->line, 0);
	ck_assert_str_eq(e->context, "INSERT INTO t VALUES (2, 'a')");

	/* the second statement of a text fails: its own line, the first one ran */
	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE a (x);\n\n  INSERT INTO nope VALUES (1);\n", "f.sql", 5,
	                               NULL), RT_EDB);
	e = rt_error_last();
	ck_assert_str_eq(e->message, "f.sql:7: no such table: nope");
	ck_assert_int_eq(e->line, 7);
	ck_assert_str_eq(e->context, "INSERT INTO nope VALUES (1);");
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "a", &exists), 0);
	ck_assert_int_eq(exists, 1);

	/* a syntax error */
	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE (", "s.sql", 1, NULL), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "s.sql:1: near \"(\": syntax error");

	/* query errors look the same */
	ck_assert_int_eq(db->ops->query(db, "SELECT nope FROM t", collect, NULL), RT_EDB);
	e = rt_error_last();
	ck_assert_str_eq(e->message, "no such column: nope");
	ck_assert_int_eq(e->db_code, SQLITE_ERROR);
	db->ops->close(db);
}
END_TEST

START_TEST(test_error_context_ten_lines)
{
	struct rt_db *db = open_db(&cfg, 0);
	struct rt_buf sql = RT_BUF_INIT, expected = RT_BUF_INIT;

	rt_buf_puts(&sql, "SELECT missing_col");
	for (int i = 2; i <= 12; i++)
		rt_buf_addf(&sql, "\n+ %d", i);
	rt_buf_puts(&expected, "SELECT missing_col");
	for (int i = 2; i <= 10; i++)
		rt_buf_addf(&expected, "\n+ %d", i);
	ck_assert_int_eq(db->ops->exec(db, sql.ptr, "ten.sql", 40, NULL), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "ten.sql:40: no such column: missing_col");
	ck_assert_str_eq(rt_error_last()->context, expected.ptr);
	rt_buf_release(&sql);
	rt_buf_release(&expected);
	db->ops->close(db);
}
END_TEST

START_TEST(test_no_url)
{
	struct rt_db dummy;
	struct rt_db *db = &dummy; /* open must reset it to NULL */

	cfg.url = NULL;
	ck_assert_int_eq(rt_sqlite_ops.open(&db, &cfg, 0), RT_EUSAGE);
	ck_assert_ptr_null(db);
	ck_assert_str_eq(rt_error_last()->message, "no database URL configured");
	ck_assert_str_eq(rt_error_last()->hint,
	                 "Set database.url in retort.yaml, or pass --url, or set RETORT_DATABASE_URL.");
}
END_TEST

START_TEST(test_missing_directory)
{
	struct rt_db *db = NULL;
	char expected[1200], dir[300];

	snprintf(dir, sizeof(dir), "%s/nodir", tmpdir);
	snprintf(url, sizeof(url), "sqlite:///%s/x.db", dir);
	ck_assert_int_eq(rt_sqlite_ops.open(&db, &cfg, 0), RT_EDB);
	ck_assert_ptr_null(db);
	snprintf(expected, sizeof(expected),
	         "cannot open database '%s/x.db': directory '%s' does not exist", dir, dir);
	ck_assert_str_eq(rt_error_last()->message, expected);
	ck_assert(!file_exists(dir));

	/* read-only: the same file simply does not exist yet */
	db = open_db(&cfg, RT_DB_READONLY);
	ck_assert_int_eq(db->missing, 1);
	db->ops->close(db);
	ck_assert(!file_exists(dir));
}
END_TEST

START_TEST(test_readonly_missing)
{
	struct rt_db *db = open_db(&cfg, RT_DB_READONLY);
	struct rows r = { RT_BUF_INIT, 0, 0 };
	char expected[700];
	long changes = 9;
	int exists = 7;

	ck_assert_int_eq(db->missing, 1);
	ck_assert_uint_eq(db->flags, RT_DB_READONLY);
	ck_assert(!file_exists(dbpath));
	snprintf(expected, sizeof(expected), "sqlite database '%s'", dbpath);
	ck_assert_str_eq(db->ops->describe(db), expected);

	ck_assert_int_eq(db->ops->query(db, "SELECT * FROM retort_version", collect, &r), 0);
	ck_assert_int_eq(r.n, 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "retort_version", &exists), 0);
	ck_assert_int_eq(exists, 0);

	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE t (x)", "a.sql", 1, &changes), RT_EDB);
	snprintf(expected, sizeof(expected), "database '%s' does not exist", dbpath);
	ck_assert_str_eq(rt_error_last()->message, expected);
	ck_assert_int_eq(changes, 0);

	ck_assert_int_eq(db->ops->lock(db, 100), 0);
	db->ops->unlock(db);
	db->ops->close(db);
	ck_assert(!file_exists(dbpath));
}
END_TEST

START_TEST(test_readonly_existing)
{
	struct rt_db *db = open_db(&cfg, 0);
	int exists = 0;

	exec_ok(db, "CREATE TABLE t (x); INSERT INTO t VALUES (42)");
	db->ops->close(db);

	db = open_db(&cfg, RT_DB_READONLY);
	ck_assert_int_eq(db->missing, 0);
	ck_assert_query(db, "SELECT x FROM t", "42\n");
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t VALUES (43)", "w.sql", 2, NULL), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "w.sql:2: attempt to write a readonly database");
	ck_assert_int_eq(rt_error_last()->db_code & 0xff, SQLITE_READONLY);
	db->ops->close(db);

	db = open_db(&cfg, 0);
	ck_assert_query(db, "SELECT x FROM t", "42\n");
	db->ops->close(db);
}
END_TEST

START_TEST(test_table_exists)
{
	struct rt_db *db = open_db(&cfg, 0);
	char sql[1000];
	int exists = 5;

	exec_ok(db, "CREATE TABLE \"we\"\"ird name; x\" (a)");
	exec_ok(db, "CREATE VIEW v AS SELECT 1");
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "we\"ird name; x", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, "main", "we\"ird name; x", &exists), 0);
	ck_assert_int_eq(exists, 1);
	/* identifiers are case-insensitive in SQLite */
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "WE\"IRD NAME; X", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "we\"ird name", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "x' OR '1'='1", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "v", &exists), 0);
	ck_assert_int_eq(exists, 0);

	/* an attached schema with an odd name */
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s/other.db' AS \"sch \"\"q\"", tmpdir);
	exec_ok(db, sql);
	exec_ok(db, "CREATE TABLE \"sch \"\"q\".t2 (a)");
	ck_assert_int_eq(db->ops->table_exists(db, "sch \"q", "t2", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t2", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, "sch \"q", "we\"ird name; x", &exists), 0);
	ck_assert_int_eq(exists, 0);

	/* an unknown schema is an error */
	exists = 5;
	ck_assert_int_eq(db->ops->table_exists(db, "nope", "t2", &exists), RT_EDB);
	ck_assert_str_eq(rt_error_last()->message, "no such table: nope.sqlite_master");
	ck_assert_int_eq(exists, 0);
	db->ops->close(db);
}
END_TEST

START_TEST(test_memory)
{
	struct rt_db *db, *db2;
	int exists = 0;

	cfg.url = "sqlite::memory:";
	db = open_db(&cfg, 0);
	ck_assert_str_eq(db->ops->describe(db), "sqlite database ':memory:'");
	exec_ok(db, "CREATE TABLE t (x); INSERT INTO t VALUES ('m')");
	ck_assert_query(db, "SELECT x FROM t", "m\n");
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t", &exists), 0);
	ck_assert_int_eq(exists, 1);
	/* the lock is a no-op: two connections both "hold" it */
	db2 = open_db(&cfg, 0);
	ck_assert_int_eq(db->ops->lock(db, 0), 0);
	ck_assert_int_eq(db2->ops->lock(db2, 0), 0);
	ck_assert_int_eq(db2->ops->table_exists(db2, NULL, "t", &exists), 0);
	ck_assert_int_eq(exists, 0);
	db2->ops->unlock(db2);
	db->ops->unlock(db);
	db2->ops->close(db2);
	db->ops->close(db);
}
END_TEST

START_TEST(test_relative_url)
{
	struct rt_db *db;
	char expected[700];

	cfg.url = "sqlite:///rel.db";
	db = open_db(&cfg, 0);
	snprintf(expected, sizeof(expected), "sqlite database '%s/rel.db'", tmpdir);
	ck_assert_str_eq(db->ops->describe(db), expected);
	exec_ok(db, "CREATE TABLE t (x)"); /* a file left empty would be removed on close */
	db->ops->close(db);
	snprintf(expected, sizeof(expected), "%s/rel.db", tmpdir);
	ck_assert(file_exists(expected));
}
END_TEST

/* A file this connection created and left empty is removed on close; a file that was
 * there before, empty or not, and a file written to, are kept. */
START_TEST(test_created_empty_file_removed)
{
	struct rt_db *db;
	char path[700];
	FILE *f;

	cfg.url = "sqlite:///fresh.db";
	snprintf(path, sizeof(path), "%s/fresh.db", tmpdir);
	db = open_db(&cfg, 0);
	db->ops->close(db);
	ck_assert(!file_exists(path));

	f = fopen(path, "w"); /* empty, but not ours */
	ck_assert_ptr_nonnull(f);
	fclose(f);
	db = open_db(&cfg, 0);
	db->ops->close(db);
	ck_assert(file_exists(path));
}
END_TEST

START_TEST(test_busy)
{
	struct rt_config cfg2 = cfg;
	struct rt_db *db = open_db(&cfg, 0), *db2;
	const struct rt_error *e;
	double t0, elapsed;

	cfg2.sqlite.busy_timeout_ms = 150;
	db2 = open_db(&cfg2, 0);
	exec_ok(db, "CREATE TABLE t (x)");
	exec_ok(db, "BEGIN IMMEDIATE");
	t0 = rt_now_ms();
	ck_assert_int_eq(db2->ops->exec(db2, "INSERT INTO t VALUES (1)", "b.sql", 4, NULL), RT_EDB);
	elapsed = rt_now_ms() - t0;
	e = rt_error_last();
	ck_assert_str_eq(e->message, "b.sql:4: database is locked");
	ck_assert_int_eq(e->db_code, SQLITE_BUSY);
	ck_assert_str_eq(e->hint, "Another connection holds a write lock on the database; raise "
	                          "sqlite.busy_timeout in retort.yaml or stop the other writer.");
	ck_assert_msg(elapsed >= 140, "gave up after %.0f ms", elapsed);
	exec_ok(db, "COMMIT");
	exec_ok(db2, "INSERT INTO t VALUES (1)");
	db2->ops->close(db2);
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * The migration lock
 * ------------------------------------------------------------------------------------ */

struct holder {
	pid_t pid;
	int to_child; /* closing it tells the child to release and exit */
};

/* Forks a child that takes the lock on its own connection and holds it for hold_ms, or
 * until the parent closes to_child when hold_ms < 0. Returns once the child holds it.
 * Call it before opening connections in the parent: the child frees only its own, and
 * exits non-zero under valgrind if it inherited others. */
static struct holder spawn_holder(long hold_ms)
{
	struct holder h;
	int up[2], down[2];
	char c = 0;

	ck_assert_int_eq(pipe(up), 0);
	ck_assert_int_eq(pipe(down), 0);
	h.pid = fork();
	ck_assert_int_ge(h.pid, 0);
	if (h.pid == 0) {
		struct rt_db *db = NULL;
		char ok;
		close(up[0]);
		close(down[1]);
		ok = rt_sqlite_ops.open(&db, &cfg, 0) == 0 && db->ops->lock(db, 0) == 0 ? 'y' : 'n';
		if (write(up[1], &ok, 1) != 1)
			ok = 'n';
		if (hold_ms >= 0)
			rt_sleep_ms(hold_ms);
		else
			while (read(down[0], &c, 1) > 0)
				;
		if (db) {
			db->ops->unlock(db);
			db->ops->close(db);
		}
		rt_error_clear();
		_exit(ok == 'y' ? 0 : 1);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	close(up[0]);
	h.to_child = down[1];
	return h;
}

static void reap(struct holder *h)
{
	int status = 0;
	close(h->to_child);
	ck_assert_int_eq(waitpid(h->pid, &status, 0), h->pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

static void expect_notice(const struct notices *no, long pid)
{
	char expected[1024];
	snprintf(expected, sizeof(expected),
	         "waiting for the migration lock on '%s' held by another retort run (pid %ld)", dbpath, pid);
	ck_assert_int_eq(no->n, 1);
	ck_assert_str_eq(no->last, expected);
}

START_TEST(test_lock_gives_up)
{
	struct notices no = { 0, "" };
	struct rt_run_events ev = { &no, NULL, NULL, on_notice };
	struct holder h = spawn_holder(-1); /* first: the child inherits no connection */
	struct rt_db *db = open_db(&cfg, 0);
	char expected[800];
	double t0, elapsed;

	exec_ok(db, "CREATE TABLE t (x)");
	t0 = rt_now_ms();
	rt_db_set_notice(db, ev.notice, ev.ctx);
	ck_assert_int_eq(db->ops->lock(db, 300), RT_ELOCKED);
	elapsed = rt_now_ms() - t0;
	ck_assert_msg(elapsed >= 300 && elapsed < 2000, "gave up after %.0f ms", elapsed);
	snprintf(expected, sizeof(expected),
	         "gave up after 0.3 s waiting for the migration lock on '%s'", dbpath);
	ck_assert_str_eq(rt_error_last()->message, expected);
	ck_assert_int_eq(rt_error_last()->code, RT_ELOCKED);
	ck_assert_str_eq(rt_error_last()->hint, "Another retort run is migrating this database; wait "
	                                        "for it to finish, or raise lock_wait in retort.yaml.");
	expect_notice(&no, h.pid);

	/* the database itself stays usable while another run holds the lock */
	exec_ok(db, "INSERT INTO t VALUES (1)");
	reap(&h);
	db->ops->close(db);
}
END_TEST

START_TEST(test_lock_waits)
{
	struct notices no = { 0, "" };
	struct rt_run_events ev = { &no, NULL, NULL, on_notice };
	struct holder h = spawn_holder(200);
	struct rt_db *db = open_db(&cfg, 0), *db2;
	double t0, elapsed;

	t0 = rt_now_ms();
	rt_db_set_notice(db, ev.notice, ev.ctx);
	ck_assert_int_eq(db->ops->lock(db, 5000), 0);
	elapsed = rt_now_ms() - t0;
	ck_assert_msg(elapsed >= 100 && elapsed < 2000, "got the lock after %.0f ms", elapsed);
	expect_notice(&no, h.pid);
	reap(&h);

	/* held now: another connection (even in this process) cannot have it */
	db2 = open_db(&cfg, 0);
	no.n = 0;
	rt_db_set_notice(db2, ev.notice, ev.ctx);
	ck_assert_int_eq(db2->ops->lock(db2, 0), RT_ELOCKED);
	ck_assert_int_eq(no.n, 0); /* no waiting, no notice */
	ck_assert_int_eq(db2->ops->lock(db2, 60), RT_ELOCKED);
	expect_notice(&no, getpid());
	ck_assert_int_eq(db2->ops->lock(db2, 30), RT_ELOCKED);
	ev.notice = NULL;
	ck_assert_int_eq(db2->ops->lock(db2, 30), RT_ELOCKED);

	/* taking it again is fine; unlock releases it */
	ck_assert_int_eq(db->ops->lock(db, 0), 0);
	db->ops->unlock(db);
	ck_assert_int_eq(db2->ops->lock(db2, 0), 0);
	db2->ops->unlock(db2);
	db2->ops->unlock(db2);

	/* close releases a held lock */
	ck_assert_int_eq(db2->ops->lock(db2, 0), 0);
	db2->ops->close(db2);
	ck_assert_int_eq(db->ops->lock(db, 0), 0);
	db->ops->close(db);
}
END_TEST

START_TEST(test_lock_interrupted)
{
	struct rt_db *db = open_db(&cfg, 0), *db2 = open_db(&cfg, 0);
	double t0;

	ck_assert_int_eq(db->ops->lock(db, 0), 0);
	rt_interrupt(SIGTERM);
	t0 = rt_now_ms();
	ck_assert_int_eq(db2->ops->lock(db2, 5000), RT_EINTERRUPTED);
	ck_assert(rt_now_ms() - t0 < 1000);
	ck_assert_str_eq(rt_error_last()->message, "interrupted by signal 15");
	ck_assert_int_eq(rt_error_last()->signal, SIGTERM);
	ck_assert_int_eq(rt_interrupted(), SIGTERM);
	rt_interrupt_reset();
	ck_assert_int_eq(rt_interrupted(), 0);
	db2->ops->close(db2);
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * Interruption of a statement
 * ------------------------------------------------------------------------------------ */

#define LONG_QUERY                                                                        \
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) " \
	"SELECT count(*) FROM c"

static void on_alarm(int sig)
{
	(void)sig;
	rt_interrupt(SIGINT);
}

START_TEST(test_interrupt_from_timer)
{
	struct rt_db *db = open_db(&cfg, 0);
	struct sigaction sa, old_sa;
	struct itimerval it, off;
	const struct rt_error *e;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, &old_sa), 0);
	memset(&it, 0, sizeof(it));
	memset(&off, 0, sizeof(off));
	it.it_value.tv_usec = 100000;
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);

	rc = db->ops->exec(db, LONG_QUERY, "long.sql", 9, NULL);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old_sa, NULL);

	ck_assert_int_eq(rc, RT_EINTERRUPTED);
	e = rt_error_last();
	ck_assert_str_eq(e->message, "interrupted by signal 2");
	ck_assert_int_eq(e->signal, SIGINT);
	ck_assert_int_eq(rt_interrupted(), SIGINT);
	rt_interrupt_reset();

	/* the connection works again */
	ck_assert_query(db, "SELECT 1 + 1", "2\n");
	db->ops->close(db);
}
END_TEST

START_TEST(test_interrupt_before_query)
{
	struct rt_db *db = open_db(&cfg, 0);
	struct rows r = { RT_BUF_INIT, 0, 0 };

	rt_interrupt(SIGINT);
	ck_assert_int_eq(db->ops->query(db, LONG_QUERY, collect, &r), RT_EINTERRUPTED);
	ck_assert_int_eq(r.n, 0);
	ck_assert_str_eq(rt_error_last()->message, "interrupted by signal 2");
	ck_assert_int_eq(rt_error_last()->signal, SIGINT);
	rt_interrupt_reset();
	rt_buf_release(&r.text);

	/* a transaction the interrupt broke can be rolled back */
	exec_ok(db, "CREATE TABLE t (x)");
	exec_ok(db, "BEGIN");
	exec_ok(db, "INSERT INTO t VALUES (1)");
	rt_interrupt(SIGINT);
	ck_assert_int_eq(db->ops->exec(db, "INSERT INTO t " LONG_QUERY, "i.sql", 2, NULL), RT_EINTERRUPTED);
	ck_assert_str_eq(rt_error_last()->file, "i.sql");
	rt_interrupt_reset();
	db->ops->exec(db, "ROLLBACK", NULL, 0, NULL); /* SQLite may have rolled back already */
	ck_assert_query(db, "SELECT count(*) FROM t", "0\n");
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * Allocation failures
 * ------------------------------------------------------------------------------------ */

static int exercise(void *ctx)
{
	struct rt_db *db = NULL;
	struct rows r = { RT_BUF_INIT, 0, 0 };
	int rc, exists = 0;

	(void)ctx;
	rc = rt_sqlite_ops.open(&db, &cfg, 0);
	if (rc == 0)
		rc = db->ops->exec(db, "CREATE TABLE IF NOT EXISTS t (x)", NULL, 0, NULL);
	if (rc == 0)
		rc = db->ops->exec(db, "SELECT nope", "e.sql", 1, NULL) == RT_EDB ? 0 : -100;
	if (rc == 0)
		rc = db->ops->query(db, "SELECT 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", collect, &r);
	if (rc == 0)
		rc = db->ops->table_exists(db, "main", "t", &exists);
	if (rc == 0 && exists != 1)
		rc = -101;
	rt_buf_release(&r.text);
	rt_sqlite_ops.close(db);
	return rc;
}

START_TEST(test_alloc_failures)
{
	int rc = unit_oom_loop("sqlite backend", exercise, NULL, 5, 1000);

	ck_assert_msg(rc == 0, "got through with %d: %s", rc, rt_error_last()->message);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sqlite_backend");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ops_table);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_changes);
	tcase_add_test(tc, test_one_statement_per_revision_statement);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_error_context_ten_lines);
	tcase_add_test(tc, test_no_url);
	tcase_add_test(tc, test_missing_directory);
	tcase_add_test(tc, test_readonly_missing);
	tcase_add_test(tc, test_readonly_existing);
	tcase_add_test(tc, test_table_exists);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_relative_url);
	tcase_add_test(tc, test_created_empty_file_removed);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_lock_gives_up);
	tcase_add_test(tc, test_lock_waits);
	tcase_add_test(tc, test_lock_interrupted);
	tcase_add_test(tc, test_interrupt_from_timer);
	tcase_add_test(tc, test_interrupt_before_query);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
