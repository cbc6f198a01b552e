/*
 * check_pg_backend.c - the PostgreSQL backend (backend_pg.c, pg_indexes.c) against a real
 * server.
 *
 * Run it inside tests/pg/with-pg.sh (`make unit` does): it reaches the server through the
 * PG* environment variables, creates a database of its own for the whole file (dropped
 * WITH (FORCE) at the end) and a schema per test, which the test's connections have as
 * their search_path. Without PGHOST every test fails: a suite that cannot reach a server
 * does not count as a pass.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include "unit.h"
#include "backend.h"
#include "internal.h"

#define MAX_NOTICES 16

static char dbname[64];
static int db_ready;
static char setup_error[512] = "the test database was not created";

/* Per test */
static char schema[64];
static char url[512];
static struct rt_config cfg;
static PGconn *admin;

/* ------------------------------------------------------------------------------------
 * Fixtures and helpers
 * ------------------------------------------------------------------------------------ */

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* A plain libpq connection for setting up and looking behind the backend's back. */
static PGconn *admin_connect(const char *db)
{
	const char *const kw[] = { "dbname", "application_name", NULL };
	const char *const val[] = { db, "retort-unit-admin", NULL };
	PGconn *conn = PQconnectdbParams(kw, val, 0);

	PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

static int admin_run(PGconn *conn, const char *sql, char *err, size_t errsize)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok && err)
		snprintf(err, errsize, "%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* Once per file, in the parent: the database every test works in. */
static void create_database(void)
{
	const char *maint = getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres";
	char sql[256];
	PGconn *conn;

	if (!getenv("PGHOST")) {
		snprintf(setup_error, sizeof(setup_error),
		         "PGHOST is not set: run this suite inside tests/pg/with-pg.sh (make unit does)");
		return;
	}
	snprintf(dbname, sizeof(dbname), "retort_unit_pg_%ld", (long)getpid());
	conn = admin_connect(maint);
	if (PQstatus(conn) != CONNECTION_OK) {
		snprintf(setup_error, sizeof(setup_error), "cannot connect to the server: %s",
		         PQerrorMessage(conn));
		PQfinish(conn);
		return;
	}
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	if (admin_run(conn, sql, setup_error, sizeof(setup_error))) {
		snprintf(sql, sizeof(sql),
		         "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
		         dbname);
		db_ready = admin_run(conn, sql, setup_error, sizeof(setup_error));
	}
	PQfinish(conn);
}

static void drop_database(void)
{
	const char *maint = getenv("PGDATABASE") ? getenv("PGDATABASE") : "postgres";
	char sql[256];
	PGconn *conn;

	if (!db_ready)
		return;
	conn = admin_connect(maint);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	admin_run(conn, sql, NULL, 0);
	PQfinish(conn);
}

static void admin_exec(const char *sql)
{
	char err[1024];
	ck_assert_msg(admin_run(admin, sql, err, sizeof(err)), "%s", err);
}

/* Per test (in the forked child): a schema, a URL whose search_path is that schema, and
 * a config. */
static void setup(void)
{
	static int counter;
	char sql[256];

	ck_assert_msg(db_ready, "%s", setup_error);
	snprintf(schema, sizeof(schema), "t_%ld_%d", (long)getpid(), ++counter);
	admin = admin_connect(dbname);
	ck_assert_msg(PQstatus(admin) == CONNECTION_OK, "%s", PQerrorMessage(admin));
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	admin_exec(sql);
	snprintf(url, sizeof(url), "dbname=%s options='-c search_path=%s'", dbname, schema);
	memset(&cfg, 0, sizeof(cfg));
	cfg.url = url;
	cfg.version_table = "retort_version";
	cfg.lock_wait_ms = 60000;
	rt_error_clear();
}

static void teardown(void)
{
	char sql[256];

	rt_interrupt_reset();
	rt_error_clear();
	if (admin) {
		snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", schema);
		admin_run(admin, sql, NULL, 0);
		PQfinish(admin);
		admin = NULL;
	}
}

static struct rt_db *open_cfg(const struct rt_config *c)
{
	struct rt_db *db = NULL;
	int rc = rt_postgresql_ops.open(&db, c, 0);

	ck_assert_msg(rc == 0, "open: %s", rt_error_last()->message);
	ck_assert_ptr_nonnull(db);
	return db;
}

static struct rt_db *open_db(void)
{
	return open_cfg(&cfg);
}

static long exec_ok(struct rt_db *db, const char *sql)
{
	long changes = -2;
	int rc = db->ops->exec(db, sql, NULL, 0, &changes);

	ck_assert_msg(rc == 0, "%s: %s", sql, rt_error_last()->message);
	return changes;
}

struct rows {
	struct rt_buf text; /* "a|b;c|NULL;" */
	int nrows;
	int stop_after;     /* 0: never */
};

static int collect_row(void *ctx, int ncols, const char *const *values)
{
	struct rows *r = ctx;

	for (int i = 0; i < ncols; i++)
		rt_buf_addf(&r->text, "%s%s", i ? "|" : "", values[i] ? values[i] : "NULL");
	rt_buf_putc(&r->text, ';');
	r->nrows++;
	return r->stop_after && r->nrows >= r->stop_after;
}

/* The first column of the first row, in a static buffer. */
static const char *query1(struct rt_db *db, const char *sql)
{
	static char out[512];
	struct rows r = { RT_BUF_INIT, 0, 1 };
	int rc = db->ops->query(db, sql, collect_row, &r);

	ck_assert_msg(rc == 0, "%s: %s", sql, rt_error_last()->message);
	ck_assert_int_eq(r.nrows, 1);
	snprintf(out, sizeof(out), "%.*s", (int)r.text.len - 1, r.text.ptr);
	rt_buf_release(&r.text);
	return out;
}

struct notices {
	char *items[MAX_NOTICES];
	int n;
};

static void on_notice(void *ctx, const char *message)
{
	struct notices *n = ctx;
	if (n->n < MAX_NOTICES)
		n->items[n->n++] = strdup(message);
}

static void notices_release(struct notices *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->items[i]);
	n->n = 0;
}

/* Exactly one notice came, the one formatted from fmt; the list is emptied. */
static void expect_one_notice(struct notices *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void expect_one_notice(struct notices *n, const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	ck_assert_int_eq(n->n, 1);
	ck_assert_str_eq(n->items[0], want);
	notices_release(n);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Calls rt_interrupt(SIGINT) after a delay, from a thread, as a signal handler would. */
static void *interrupt_later(void *arg)
{
	sleep_ms((long)(intptr_t)arg);
	rt_interrupt(SIGINT);
	return NULL;
}

static void str_eq(const char *got, const char *want)
{
	ck_assert_msg(got && strcmp(got, want) == 0, "got '%s', want '%s'", got ? got : "(null)", want);
}

static void starts_with(const char *got, const char *prefix)
{
	ck_assert_msg(got && strncmp(got, prefix, strlen(prefix)) == 0, "'%s' does not start with '%s'",
	              got ? got : "(null)", prefix);
}

#define MY_ADVISORY_LOCKS \
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"

/* ------------------------------------------------------------------------------------
 * Connecting, statements, queries
 * ------------------------------------------------------------------------------------ */

START_TEST(test_exec_and_query)
{
	struct rt_db *db = open_db();
	struct rows r = { RT_BUF_INIT, 0, 0 };
	char want[600];
	int exists = -1;

	snprintf(want, sizeof(want), "postgresql database '%s'", url);
	str_eq(db->ops->describe(db), want);
	ck_assert_int_eq(db->missing, 0);
	ck_assert_int_eq(exec_ok(db, "CREATE TABLE t (id int PRIMARY KEY, v text)"), -1);
	ck_assert_int_eq(exec_ok(db, "INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, NULL)"), 3);
	ck_assert_int_eq(exec_ok(db, "UPDATE t SET v = 'x' WHERE id >= 2"), 2);
	ck_assert_int_eq(exec_ok(db, "DELETE FROM t WHERE id = 1"), 1);
	ck_assert_int_eq(exec_ok(db, "INSERT INTO t SELECT 9, 'z' WHERE false"), 0);
	ck_assert_int_eq(exec_ok(db, "INSERT INTO t VALUES (4, NULL) RETURNING id"), 1);
	ck_assert_int_eq(exec_ok(db, "SELECT * FROM t"), -1);
	ck_assert_int_eq(exec_ok(db, "  "), -1); /* an empty query */

	ck_assert_int_eq(db->ops->query(db, "SELECT id, v FROM t ORDER BY id", collect_row, &r), 0);
	str_eq(r.text.ptr, "2|x;3|x;4|NULL;");
	ck_assert_int_eq(r.nrows, 3);
	rt_buf_clear(&r.text);
	r.nrows = 0;
	r.stop_after = 1; /* the callback stops the rows */
	ck_assert_int_eq(db->ops->query(db, "SELECT id FROM t ORDER BY id", collect_row, &r), 0);
	str_eq(r.text.ptr, "2;");
	rt_buf_release(&r.text);

	/* NULL schema: the effective one, here current_schema() from the URL's search_path */
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "t", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, schema, "t", &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "nope", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, "public", "t", &exists), 0);
	ck_assert_int_eq(exists, 0);
	db->ops->close(db);
	rt_postgresql_ops.close(NULL);
}
END_TEST

/* A revision's statement goes through the extended protocol: one command per string, so a
 * value that smuggled in a second statement cannot run; retort's own may hold several. */
START_TEST(test_one_command_per_statement)
{
	struct rt_db *db = open_db();
	int exists = -1;

	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE a (i int); CREATE TABLE injected (i int)",
	                               "versions/x.sql", 4, NULL), RT_EDB);
	starts_with(rt_error_last()->message, "versions/x.sql:4: cannot insert multiple commands");
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "injected", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->exec(db, "CREATE TABLE b (i int); CREATE TABLE c (i int)", NULL, 0, NULL), 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "c", &exists), 0);
	ck_assert_int_eq(exists, 1);
	db->ops->close(db);
}
END_TEST

START_TEST(test_readonly_open_connects)
{
	struct rt_db *db = NULL;

	ck_assert_int_eq(rt_postgresql_ops.open(&db, &cfg, RT_DB_READONLY), 0);
	ck_assert_int_eq(db->missing, 0);
	str_eq(query1(db, "SELECT current_database()"), dbname);
	db->ops->close(db);
}
END_TEST

START_TEST(test_application_name)
{
	struct rt_db *db = open_db();
	const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
	struct rt_buf u = RT_BUF_INIT;

	str_eq(query1(db, "SELECT current_setting('application_name')"), "retort");
	db->ops->close(db);

	/* "retort" is only the default: an application_name of the URL is kept */
	rt_buf_addf(&u, "postgresql:///%s?host=", dbname);
	for (const char *p = host; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_')
			rt_buf_putc(&u, *p);
		else
			rt_buf_addf(&u, "%%%02X", (unsigned char)*p);
	}
	if (port)
		rt_buf_addf(&u, "&port=%s", port);
	rt_buf_addf(&u, "&application_name=other&options=-csearch_path%%3D%s", schema);
	cfg.url = u.ptr;
	db = open_db();
	str_eq(query1(db, "SELECT current_setting('application_name')"), "other");
	str_eq(query1(db, "SELECT current_database()"), dbname);
	str_eq(query1(db, "SELECT current_schema()"), schema);
	db->ops->close(db);
	rt_buf_release(&u);
}
END_TEST

START_TEST(test_syntax_error_caret)
{
	struct rt_db *db = open_db();
	const struct rt_error *e;
	long changes = 5;
	int rc;

	rc = db->ops->exec(db,
	                   "SELECT 'ünïcødé' AS a,\n"
	                   "       1 AS b\n"
	                   "  FROM \"tä\" WHER ö z",
	                   "versions/1_x.sql", 10, &changes);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	ck_assert_int_eq(e->code, RT_EDB);
	ck_assert_int_eq(changes, -1);
	str_eq(e->message, "versions/1_x.sql:10: syntax error at or near \"ö\" (42601)");
	str_eq(e->sqlstate, "42601");
	str_eq(e->file, "versions/1_x.sql");
	ck_assert_int_eq(e->line, 10);
	str_eq(e->context, "LINE 12:   FROM \"tä\" WHER ö z\n"
	                   "                          ^");

	/* at the end of input, after a leading comment; a tab stays a tab */
	rc = db->ops->exec(db, "-- lead\nSELECT\t1 +", "v.sql", 7, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "v.sql:7: syntax error at end of input (42601)");
	str_eq(e->context, "LINE 7: SELECT\t1 +\n"
	                   "              \t   ^");

	/* retort's own statements: no path, lines counted from 1 */
	rc = db->ops->exec(db, "SELECT 1\nFROM nope", NULL, 0, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "relation \"nope\" does not exist (42P01)");
	ck_assert_ptr_null(e->file);
	ck_assert_int_eq(e->line, 0);
	str_eq(e->sqlstate, "42P01");
	str_eq(e->context, "LINE 2: FROM nope\n"
	                   "             ^");

	/* a password in the statement (a substituted variable) is masked in the server's
	 * message and in the line quoted, and the caret still points at the error; retort's
	 * own words and numbers around them are left alone, even for a password "1" */
	rt_secret_add("pw-Secret-9");
	rt_secret_add("1");
	rc = db->ops->exec(db, "SELECT 'pw-Secret-9', 1 AS x 'pw-Secret-9'", "versions/1_x.sql", 1, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "versions/1_x.sql:1: syntax error at or near \"'****'\" (42601)");
	str_eq(e->context, "LINE 1: SELECT '****', **** AS x '****'\n"
	                   "                                 ^");
	rc = db->ops->exec(db, "DO $$ BEGIN RAISE EXCEPTION 'bad %', 'pw-Secret-9' USING DETAIL = "
	                   "'was pw-Secret-9', HINT = 'not pw-Secret-9'; END $$", "versions/1_x.sql", 1, NULL);
	e = rt_error_last();
	str_eq(e->message, "versions/1_x.sql:1: bad **** (P0001)");
	str_eq(e->detail, "was ****");
	str_eq(e->hint, "not ****");
	rt_secrets_clear();

	/* the connection goes on after errors */
	str_eq(query1(db, "SELECT 40 + 2"), "42");
	db->ops->close(db);
}
END_TEST

START_TEST(test_detail_and_hint)
{
	struct rt_db *db = open_db();
	const struct rt_error *e;
	int rc;

	rc = db->ops->exec(db,
	                   "DO $$ BEGIN RAISE EXCEPTION 'boom %', 7 USING DETAIL = 'The detail.',"
	                   " HINT = 'The hint.', ERRCODE = '22023'; END $$",
	                   "versions/3_do.sql", 4, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "versions/3_do.sql:4: boom 7 (22023)");
	str_eq(e->sqlstate, "22023");
	str_eq(e->detail, "The detail.");
	str_eq(e->hint, "The hint.");
	ck_assert_ptr_null(e->context);

	rc = db->ops->query(db, "SELECT nope", collect_row, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "column \"nope\" does not exist (42703)");
	ck_assert_ptr_null(e->detail);
	ck_assert_ptr_null(e->hint);
	db->ops->close(db);
}
END_TEST

START_TEST(test_notices_reach_events)
{
	struct rt_db *db = open_db();
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };

	rt_db_set_notice(db, ev.notice, ev.ctx);
	exec_ok(db, "DO $$ BEGIN RAISE NOTICE 'hello %', 42; RAISE WARNING 'careful'; END $$");
	exec_ok(db, "DROP TABLE IF EXISTS no_such_table");
	ck_assert_int_eq(n.n, 3);
	str_eq(n.items[0], "hello 42");
	str_eq(n.items[1], "WARNING:  careful");
	str_eq(n.items[2], "table \"no_such_table\" does not exist, skipping");
	notices_release(&n);

	rt_db_set_notice(db, NULL, NULL); /* nobody listening: nothing happens */
	exec_ok(db, "DO $$ BEGIN RAISE NOTICE 'unheard'; END $$");
	db->ops->close(db);
}
END_TEST

START_TEST(test_copy_is_refused)
{
	struct rt_db *db = open_db();
	int rc;

	exec_ok(db, "CREATE TABLE c (a int)");
	rc = db->ops->exec(db, "COPY c FROM STDIN", "versions/c.sql", 2, NULL);
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(rt_error_last()->message, "versions/c.sql:2: COPY FROM STDIN is not supported in revision scripts");
	rc = db->ops->exec(db, "COPY (SELECT 1) TO STDOUT", "versions/c.sql", 3, NULL);
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(rt_error_last()->message, "versions/c.sql:3: COPY TO STDOUT is not supported in revision scripts");
	str_eq(query1(db, "SELECT count(*) FROM c"), "0");
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * Errors of the connection itself
 * ------------------------------------------------------------------------------------ */

START_TEST(test_password_is_masked)
{
	struct rt_db *db = (struct rt_db *)&db; /* must be reset to NULL */
	const char *msg;
	char *masked;
	int rc;

	cfg.url = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nodb";
	rc = rt_postgresql_ops.open(&db, &cfg, 0);
	msg = rt_error_last()->message;
	ck_assert_int_eq(rc, RT_EDB);
	ck_assert_ptr_null(db);
	starts_with(msg, "cannot connect to 'postgresql://someone:****@127.0.0.1:1/nodb': ");
	ck_assert_msg(strstr(msg, "s3cr3t-pw") == NULL, "message: %s", msg);
	ck_assert_msg(strchr(msg, '\n') == NULL, "message: %s", msg);

	cfg.url = "host=127.0.0.1 port=1 dbname=nodb password=s3cr3t-kw";
	rc = rt_postgresql_ops.open(&db, &cfg, 0);
	msg = rt_error_last()->message;
	ck_assert_int_eq(rc, RT_EDB);
	starts_with(msg, "cannot connect to 'host=127.0.0.1 port=1 dbname=nodb password=****': ");
	ck_assert_msg(strstr(msg, "s3cr3t-kw") == NULL, "message: %s", msg);

	/* PGPASSWORD is a secret too, from the moment retort connects */
	setenv("PGPASSWORD", "s3cr3t-env", 1);
	cfg.url = "host=127.0.0.1 port=1 dbname=nodb";
	rc = rt_postgresql_ops.open(&db, &cfg, 0);
	unsetenv("PGPASSWORD");
	ck_assert_int_eq(rc, RT_EDB);
	masked = rt_mask("a s3cr3t-env b");
	str_eq(masked, "a **** b");
	free(masked);
}
END_TEST

START_TEST(test_lost_connection)
{
	struct rt_db *db = open_db();
	char sql[128];
	const struct rt_error *e;
	struct rt_stmt stmt = { .sql = (char *)"SELECT 1", .len = 8, .path = "versions/l.sql", .line = 9 };
	int rc;

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s, 10000)",
	         query1(db, "SELECT pg_backend_pid()"));
	admin_exec(sql);
	rc = db->ops->exec(db, stmt.sql, stmt.path, stmt.line, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(e->message, "connection to the server was lost");
	str_eq(e->file, "versions/l.sql");
	ck_assert_int_eq(e->line, 9);
	db->ops->after_error(db, &stmt); /* nothing to ask a dead connection */
	str_eq(rt_error_last()->message, "connection to the server was lost");
	ck_assert_int_eq(db->ops->lock(db, 0), RT_EDB);
	db->ops->unlock(db);
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * Interruption
 * ------------------------------------------------------------------------------------ */

START_TEST(test_sigint_cancels_statement)
{
	struct rt_db *db = open_db(), *db2;
	const struct rt_error *e;
	pthread_t th;
	double start;
	int rc;

	ck_assert_int_eq(pthread_create(&th, NULL, interrupt_later, (void *)(intptr_t)300), 0);
	start = rt_now_ms();
	rc = db->ops->exec(db, "SELECT pg_sleep(30)", "versions/s.sql", 4, NULL);
	pthread_join(th, NULL);
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_EINTERRUPTED);
	ck_assert_msg(rt_now_ms() - start < 1500, "took %.0f ms", rt_now_ms() - start);
	str_eq(e->message, "interrupted by signal 2");
	ck_assert_int_eq(e->signal, SIGINT);
	str_eq(e->file, "versions/s.sql");
	ck_assert_int_eq(e->line, 4);
	ck_assert_int_eq(rt_interrupted(), SIGINT);
	rt_interrupt_reset();
	str_eq(query1(db, "SELECT 'still here'"), "still here");

	/* a connection opened and closed meanwhile hands the hook back */
	db2 = open_db();
	db2->ops->close(db2);
	ck_assert_int_eq(pthread_create(&th, NULL, interrupt_later, (void *)(intptr_t)300), 0);
	start = rt_now_ms();
	rc = db->ops->exec(db, "SELECT pg_sleep(30)", NULL, 0, NULL);
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, RT_EINTERRUPTED);
	ck_assert_msg(rt_now_ms() - start < 1500, "took %.0f ms", rt_now_ms() - start);
	rt_interrupt_reset();
	db->ops->close(db);

	/* closed: the hook is gone, so a signal now cancels nothing */
	rt_interrupt(SIGINT);
	rt_interrupt_reset();
}
END_TEST

/* ------------------------------------------------------------------------------------
 * The migration lock
 * ------------------------------------------------------------------------------------ */

START_TEST(test_lock_gives_up)
{
	struct rt_db *holder = open_db(), *waiter, *other;
	struct rt_config other_cfg = cfg;
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };
	const struct rt_error *e;
	char pid[32], want[256];
	double start, took;
	int rc;

	ck_assert_int_eq(holder->ops->lock(holder, 0), 0);
	ck_assert_int_eq(holder->ops->lock(holder, 0), 0); /* held already: fine */
	exec_ok(holder, "SET application_name = 'holder-app'");
	snprintf(pid, sizeof(pid), "%s", query1(holder, "SELECT pg_backend_pid()"));

	waiter = open_db();
	rt_db_set_notice(waiter, ev.notice, ev.ctx);
	start = rt_now_ms();
	rc = waiter->ops->lock(waiter, 700);
	took = rt_now_ms() - start;
	e = rt_error_last();
	ck_assert_int_eq(rc, RT_ELOCKED);
	ck_assert_msg(took >= 690 && took < 3000, "took %.0f ms", took);
	snprintf(want, sizeof(want), "gave up after 0.7 s waiting for the migration lock held by pid %s "
	         "(application_name 'holder-app')", pid);
	str_eq(e->message, want);
	ck_assert_ptr_nonnull(e->hint);
	ck_assert_msg(strstr(e->hint, "lock_wait") && strstr(e->hint, pid), "hint: %s", e->hint);
	ck_assert_int_eq(n.n, 1); /* said once, not once per poll */
	snprintf(want, sizeof(want), "waiting for the migration lock held by pid %s "
	         "(application_name 'holder-app')", pid);
	str_eq(n.items[0], want);
	notices_release(&n);

	/* no wait at all: no notice either */
	ck_assert_int_eq(waiter->ops->lock(waiter, 0), RT_ELOCKED);
	ck_assert_int_eq(n.n, 0);

	/* another version table is another lock */
	other_cfg.version_table = "other_version";
	other = open_cfg(&other_cfg);
	ck_assert_int_eq(other->ops->lock(other, 0), 0);
	other->ops->unlock(other);
	other->ops->close(other);

	/* and a version table in another schema too */
	other_cfg = cfg;
	other_cfg.version_table_schema = "elsewhere";
	other = open_cfg(&other_cfg);
	ck_assert_int_eq(other->ops->lock(other, 0), 0);
	other->ops->close(other); /* closing releases a session lock */

	holder->ops->unlock(holder);
	holder->ops->unlock(holder); /* not held: nothing */
	ck_assert_int_eq(waiter->ops->lock(waiter, 0), 0);
	ck_assert_int_eq(n.n, 0);
	str_eq(query1(waiter, MY_ADVISORY_LOCKS), "1");
	waiter->ops->unlock(waiter);
	str_eq(query1(waiter, MY_ADVISORY_LOCKS), "0");
	waiter->ops->close(waiter);
	holder->ops->close(holder);
}
END_TEST

struct release_arg {
	struct rt_db *db;
	long after_ms;
};

static void *release_later(void *arg)
{
	struct release_arg *r = arg;
	sleep_ms(r->after_ms);
	r->db->ops->unlock(r->db);
	return NULL;
}

START_TEST(test_lock_released_while_waiting)
{
	struct rt_db *holder = open_db(), *waiter = open_db();
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };
	struct release_arg arg = { holder, 300 };
	pthread_t th;
	double start, took;
	int rc;

	ck_assert_int_eq(holder->ops->lock(holder, 0), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, release_later, &arg), 0);
	start = rt_now_ms();
	rt_db_set_notice(waiter, ev.notice, ev.ctx);
	rc = waiter->ops->lock(waiter, 10000);
	took = rt_now_ms() - start;
	pthread_join(th, NULL);
	ck_assert_msg(rc == 0, "lock: %s", rt_error_last()->message);
	ck_assert_msg(took >= 250 && took < 2500, "took %.0f ms", took);
	ck_assert_int_eq(n.n, 1);
	starts_with(n.items[0], "waiting for the migration lock held by pid ");
	notices_release(&n);
	ck_assert_int_eq(holder->ops->lock(holder, 0), RT_ELOCKED);
	waiter->ops->close(waiter); /* the server lets go of its session lock soon after */
	ck_assert_int_eq(holder->ops->lock(holder, 5000), 0);
	holder->ops->close(holder);
}
END_TEST

START_TEST(test_lock_wait_interrupted)
{
	struct rt_db *holder = open_db(), *waiter = open_db();
	pthread_t th;
	double start, took;
	int rc;

	ck_assert_int_eq(holder->ops->lock(holder, 0), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, interrupt_later, (void *)(intptr_t)300), 0);
	start = rt_now_ms();
	rc = waiter->ops->lock(waiter, 20000);
	took = rt_now_ms() - start;
	pthread_join(th, NULL);
	ck_assert_int_eq(rc, RT_EINTERRUPTED);
	ck_assert_msg(took < 1500, "took %.0f ms", took);
	str_eq(rt_error_last()->message, "interrupted by signal 2");
	ck_assert_int_eq(rt_error_last()->signal, SIGINT);
	rt_interrupt_reset();
	waiter->ops->close(waiter);
	holder->ops->close(holder);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * table_exists
 * ------------------------------------------------------------------------------------ */

START_TEST(test_table_exists_odd_names)
{
	static const char odd_schema[] = "Odd \"Sch; ema";
	static const char odd_table[] = "My \"Tab; le";
	struct rt_config c = cfg;
	struct rt_db *db = open_db(), *db2;
	int exists = -1;

	exec_ok(db, "CREATE SCHEMA \"Odd \"\"Sch; ema\"");
	exec_ok(db, "CREATE TABLE \"Odd \"\"Sch; ema\".\"My \"\"Tab; le\" (id int)");
	exec_ok(db, "CREATE VIEW a_view AS SELECT 1 AS one");
	ck_assert_int_eq(db->ops->table_exists(db, odd_schema, odd_table, &exists), 0);
	ck_assert_int_eq(exists, 1);
	ck_assert_int_eq(db->ops->table_exists(db, odd_schema, "my \"tab; le", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, "odd \"sch; ema", odd_table, &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, "no_such_schema", odd_table, &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "x'); DROP TABLE t; --", &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(db->ops->table_exists(db, NULL, "a_view", &exists), 0);
	ck_assert_int_eq(exists, 0); /* a view is no table */

	/* the configured schema is the default one */
	c.version_table_schema = (char *)odd_schema;
	db2 = open_cfg(&c);
	ck_assert_int_eq(db2->ops->table_exists(db2, NULL, odd_table, &exists), 0);
	ck_assert_int_eq(exists, 1);
	db2->ops->close(db2);

	exec_ok(db, "DROP SCHEMA \"Odd \"\"Sch; ema\" CASCADE");
	db->ops->close(db);
}
END_TEST

/* ------------------------------------------------------------------------------------
 * INVALID indexes
 * ------------------------------------------------------------------------------------ */

static void check_diags(struct rt_db *db, struct rt_diags *d)
{
	ck_assert_msg(db->ops->check(db, d) == 0, "check: %s", rt_error_last()->message);
}

START_TEST(test_invalid_index_recovery)
{
	struct rt_db *db = open_db();
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };
	struct rt_diags d = RT_DIAGS_INIT;
	struct rt_stmt cic = { .sql = (char *)"CREATE UNIQUE INDEX CONCURRENTLY items_b_key ON items (b)",
	                       .path = "versions/2_idx.sql", .line = 3, .flags = RT_STMT_NO_TXN };
	const struct rt_error *e;
	char want[512];
	int rc;

	rt_db_set_notice(db, ev.notice, ev.ctx);
	exec_ok(db, "CREATE TABLE items (b text)");
	exec_ok(db, "INSERT INTO items VALUES ('x'), ('x'), ('y')");
	/* a partitioned index ON ONLY the parent is invalid by design, and no concern */
	exec_ok(db, "CREATE TABLE parted (a int) PARTITION BY RANGE (a)");
	exec_ok(db, "CREATE INDEX parted_a ON ONLY parted (a)");

	ck_assert_int_eq(db->ops->before_exec(db, &cic, 0), 0); /* nothing to drop yet */
	rc = db->ops->exec(db, cic.sql, cic.path, cic.line, NULL);
	ck_assert_int_eq(rc, RT_EDB);
	db->ops->after_error(db, &cic);
	e = rt_error_last();
	ck_assert_int_eq(e->code, RT_EDB);
	str_eq(e->message, "versions/2_idx.sql:3: could not create unique index \"items_b_key\" (23505)");
	str_eq(e->sqlstate, "23505");
	str_eq(e->file, "versions/2_idx.sql");
	ck_assert_int_eq(e->line, 3);
	snprintf(want, sizeof(want), "Key (b)=(x) is duplicated. The failed build left index \"%s\"."
	         "\"items_b_key\" INVALID; retort drops and rebuilds it on the next run.", schema);
	str_eq(e->detail, want);

	check_diags(db, &d);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.items[0].severity, RT_SEV_ERROR);
	str_eq(d.items[0].kind, "invalid-index");
	snprintf(want, sizeof(want), "index \"%s\".\"items_b_key\" on table \"items\" is INVALID", schema);
	str_eq(d.items[0].message, want);
	str_eq(d.items[0].hint, "Drop it with DROP INDEX CONCURRENTLY and rebuild it, or rerun the "
	                        "revision that creates it.");
	ck_assert_ptr_null(d.items[0].file);
	rt_diags_release(&d);

	/* without the clean-up the rerun fails */
	rc = db->ops->exec(db, cic.sql, cic.path, cic.line, NULL);
	ck_assert_int_eq(rc, RT_EDB);
	str_eq(rt_error_last()->sqlstate, "42P07");
	ck_assert_int_eq(n.n, 0);

	/* with it, and the duplicates gone, the rerun succeeds */
	ck_assert_int_eq(exec_ok(db, "DELETE FROM items a USING items b WHERE a.b = b.b AND a.ctid > b.ctid"), 1);
	ck_assert_int_eq(db->ops->before_exec(db, &cic, 0), 0);
	expect_one_notice(&n, "dropped invalid index \"%s\".\"items_b_key\" left by an earlier "
	                  "failed CREATE INDEX CONCURRENTLY; building it again", schema);
	ck_assert_int_eq(exec_ok(db, cic.sql), -1);
	check_diags(db, &d);
	ck_assert_uint_eq(d.n, 0);
	str_eq(query1(db, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_b_key'::regclass"), "t");

	/* a valid index of that name is left alone */
	ck_assert_int_eq(db->ops->before_exec(db, &cic, 0), 0);
	ck_assert_int_eq(n.n, 0);
	str_eq(query1(db, "SELECT count(*) FROM pg_class WHERE relname = 'items_b_key'"), "1");

	/* resuming at this statement: the valid index says the build completed; skip it */
	ck_assert_int_eq(db->ops->before_exec(db, &cic, 1), 1);
	expect_one_notice(&n, "index \"%s\".\"items_b_key\" exists and is valid: the interrupted "
	                  "run built it; not building it again", schema);

	/* resuming with the index INVALID: dropped and built again, not skipped */
	exec_ok(db, "DROP INDEX items_b_key");
	exec_ok(db, "INSERT INTO items VALUES ('x')");
	ck_assert_int_eq(db->ops->exec(db, cic.sql, cic.path, cic.line, NULL), RT_EDB);
	ck_assert_int_eq(db->ops->before_exec(db, &cic, 1), 0);
	expect_one_notice(&n, "dropped invalid index \"%s\".\"items_b_key\" left by an earlier "
	                  "failed CREATE INDEX CONCURRENTLY; building it again", schema);
	str_eq(query1(db, "SELECT count(*) FROM pg_class WHERE relname = 'items_b_key'"), "0");
	db->ops->close(db);
}
END_TEST

START_TEST(test_invalid_index_qualified_and_other_tables)
{
	struct rt_db *db = open_db();
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };
	struct rt_stmt stmt = { .path = "v.sql", .line = 1, .flags = RT_STMT_NO_TXN };
	char sql[256];

	rt_db_set_notice(db, ev.notice, ev.ctx);
	exec_ok(db, "CREATE TABLE a (b text)");
	exec_ok(db, "CREATE TABLE other (b text)");
	exec_ok(db, "INSERT INTO a VALUES ('x'), ('x')");
	exec_ok(db, "INSERT INTO other VALUES ('x'), ('x')");
	ck_assert_int_eq(db->ops->exec(db, "CREATE UNIQUE INDEX CONCURRENTLY idx ON other (b)", NULL, 0, NULL), RT_EDB);

	/* an INVALID index of that name on another table is not ours to drop */
	stmt.sql = (char *)"CREATE UNIQUE INDEX CONCURRENTLY idx ON a (b)";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	ck_assert_int_eq(n.n, 0);

	/* schema-qualified, quoted, IF NOT EXISTS */
	snprintf(sql, sizeof(sql), "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx ON \"%s\".other (b)", schema);
	stmt.sql = sql;
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	expect_one_notice(&n, "dropped invalid index \"%s\".\"idx\" left by an earlier failed "
	                  "CREATE INDEX CONCURRENTLY; building it again", schema);

	/* a failure that left nothing: the error stays as it was */
	stmt.sql = (char *)"CREATE INDEX CONCURRENTLY idx2 ON no_such_table (b)";
	ck_assert_int_eq(db->ops->exec(db, stmt.sql, stmt.path, stmt.line, NULL), RT_EDB);
	db->ops->after_error(db, &stmt);
	str_eq(rt_error_last()->message, "v.sql:1: relation \"no_such_table\" does not exist (42P01)");
	ck_assert_ptr_null(rt_error_last()->detail);

	/* not a concurrent build, or not parsable: nothing to do */
	stmt.sql = (char *)"CREATE INDEX idx3 ON a (b)";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	stmt.sql = (char *)"CREATE INDEX CONCURRENTLY ON a (b)"; /* no name */
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	stmt.sql = (char *)"this is not SQL";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	db->ops->after_error(db, &stmt);
	str_eq(rt_error_last()->message, "v.sql:1: relation \"no_such_table\" does not exist (42P01)");
	ck_assert_int_eq(n.n, 0);
	db->ops->close(db);
}
END_TEST

START_TEST(test_reindex_leftovers)
{
	struct rt_db *db = open_db();
	struct notices n = { { NULL }, 0 };
	struct rt_run_events ev = { &n, NULL, NULL, on_notice };
	struct rt_stmt stmt = { .path = "v.sql", .line = 1, .flags = RT_STMT_NO_TXN };

	rt_db_set_notice(db, ev.notice, ev.ctx);
	exec_ok(db, "CREATE TABLE r (b text)");
	exec_ok(db, "INSERT INTO r VALUES ('x'), ('x')");
	exec_ok(db, "CREATE INDEX r_b ON r (b)");
	/* what a failed REINDEX CONCURRENTLY leaves: INVALID <name>_ccnew / _ccold indexes */
	ck_assert_int_eq(db->ops->exec(db, "CREATE UNIQUE INDEX CONCURRENTLY r_b_ccnew ON r (b)", NULL, 0, NULL), RT_EDB);
	ck_assert_int_eq(db->ops->exec(db, "CREATE UNIQUE INDEX CONCURRENTLY zz_ccnew1 ON r (b)", NULL, 0, NULL), RT_EDB);

	stmt.sql = (char *)"REINDEX (CONCURRENTLY false) INDEX r_b";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	ck_assert_int_eq(n.n, 0);

	stmt.sql = (char *)"REINDEX INDEX CONCURRENTLY r_b";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	/* zz_ccnew1 belongs to no index called r_b */
	expect_one_notice(&n, "dropped invalid index \"%s\".\"r_b_ccnew\" left by an earlier "
	                  "failed REINDEX CONCURRENTLY", schema);
	exec_ok(db, stmt.sql);

	stmt.sql = (char *)"REINDEX TABLE CONCURRENTLY r";
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0);
	expect_one_notice(&n, "dropped invalid index \"%s\".\"zz_ccnew1\" left by an earlier "
	                  "failed REINDEX CONCURRENTLY", schema);
	str_eq(query1(db, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c "
	                  "JOIN pg_index i ON i.indexrelid = c.oid WHERE i.indrelid = 'r'::regclass"),
	       "r_b");
	db->ops->close(db);
}
END_TEST

START_TEST(test_before_exec_skips_inside_transaction)
{
	struct rt_db *db = open_db();
	struct rt_stmt stmt = { .sql = (char *)"CREATE UNIQUE INDEX CONCURRENTLY i ON t (b)", .path = "v.sql", .line = 1 };
	struct rt_diags d = RT_DIAGS_INIT;

	exec_ok(db, "CREATE TABLE t (b text)");
	exec_ok(db, "INSERT INTO t VALUES ('x'), ('x')");
	ck_assert_int_eq(db->ops->exec(db, stmt.sql, NULL, 0, NULL), RT_EDB);
	exec_ok(db, "BEGIN");
	ck_assert_int_eq(db->ops->before_exec(db, &stmt, 0), 0); /* DROP INDEX CONCURRENTLY cannot run here */
	exec_ok(db, "COMMIT");
	check_diags(db, &d);
	ck_assert_uint_eq(d.n, 1);
	rt_diags_release(&d);

	/* after_error in an aborted transaction leaves the error alone */
	exec_ok(db, "BEGIN");
	ck_assert_int_eq(db->ops->exec(db, "SELECT 1/0", "v.sql", 5, NULL), RT_EDB);
	db->ops->after_error(db, &stmt);
	str_eq(rt_error_last()->message, "v.sql:5: division by zero (22012)");
	ck_assert_ptr_null(rt_error_last()->detail);
	exec_ok(db, "ROLLBACK");
	db->ops->close(db);
}
END_TEST

/* One pass over what can run out of memory: open, a failing statement, a failing
 * CONCURRENTLY build with its after_error, check and before_exec. 0 when it got through,
 * -100 when a statement that must fail did not. */
static int cic_attempt(void *stmt)
{
	const struct rt_stmt *cic = stmt;
	struct rt_diags d = RT_DIAGS_INIT;
	struct rt_db *db = NULL;
	int rc = rt_postgresql_ops.open(&db, &cfg, 0);

	if (rc == 0 && (rc = db->ops->exec(db, "SELECT\n  1 +", "v.sql", 3, NULL)) == RT_EDB &&
	    (rc = db->ops->exec(db, cic->sql, cic->path, cic->line, NULL)) == RT_EDB) {
		db->ops->after_error(db, cic);
		if ((rc = db->ops->check(db, &d)) == 0)
			rc = db->ops->before_exec(db, cic, 0);
	} else if (rc == 0) {
		rc = -100;
	}
	rt_diags_release(&d);
	rt_postgresql_ops.close(db);
	return rc;
}

/* Every allocation failure along the way is a clean RT_ENOMEM: no crash, no leak (the
 * point of running this under valgrind and ASan). */
START_TEST(test_allocation_failures)
{
	struct rt_stmt cic = { .sql = (char *)"CREATE UNIQUE INDEX CONCURRENTLY d_b ON d (b)", .path = "v.sql", .line = 1 };
	struct rt_db *db = open_db();
	int rc;

	exec_ok(db, "CREATE TABLE d (b text)");
	exec_ok(db, "INSERT INTO d VALUES ('x'), ('x')");
	db->ops->close(db);
	rc = unit_oom_loop("postgresql backend", cic_attempt, &cic, 10, 400);
	ck_assert_msg(rc == 0, "got through with %d: %s", rc, rt_error_last()->message);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pg_backend");
	TCase *tc = tcase_create("server");

	tcase_add_unchecked_fixture(tc, create_database, drop_database);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_exec_and_query);
	tcase_add_test(tc, test_one_command_per_statement);
	tcase_add_test(tc, test_readonly_open_connects);
	tcase_add_test(tc, test_application_name);
	tcase_add_test(tc, test_syntax_error_caret);
	tcase_add_test(tc, test_detail_and_hint);
	tcase_add_test(tc, test_notices_reach_events);
	tcase_add_test(tc, test_copy_is_refused);
	tcase_add_test(tc, test_password_is_masked);
	tcase_add_test(tc, test_lost_connection);
	tcase_add_test(tc, test_sigint_cancels_statement);
	tcase_add_test(tc, test_lock_gives_up);
	tcase_add_test(tc, test_lock_released_while_waiting);
	tcase_add_test(tc, test_lock_wait_interrupted);
	tcase_add_test(tc, test_table_exists_odd_names);
	tcase_add_test(tc, test_invalid_index_recovery);
	tcase_add_test(tc, test_invalid_index_qualified_and_other_tables);
	tcase_add_test(tc, test_reindex_leftovers);
	tcase_add_test(tc, test_before_exec_skips_inside_transaction);
	tcase_add_test(tc, test_allocation_failures);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
