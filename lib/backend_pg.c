/*
 * backend_pg.c - the PostgreSQL backend (rt_postgresql_ops), through libpq.
 *
 * db.c opens it for postgresql:// and postgres:// URLs and libpq keyword strings, which
 * go to libpq unchanged so that every libpq environment variable, ~/.pgpass and service
 * files work; application_name is always "retort", for whoever looks at
 * pg_stat_activity. Each statement of a revision is sent alone with PQexecParams (the
 * extended protocol, which refuses several commands in one string). Failures become RT_EDB
 * with the server's message, SQLSTATE, detail and hint, and for syntax errors a
 * psql-like context with a caret under the offending character. rt_interrupt() cancels
 * the statement in progress through PQcancel. The migration lock is a session advisory
 * lock keyed on the version table's qualified name, polled with pg_try_advisory_lock so
 * that a waiting run never sits inside a statement (whose snapshot would make a CREATE
 * INDEX CONCURRENTLY in the lock holder wait for it: a deadlock). The hooks about
 * INVALID indexes live in pg_indexes.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include "backend.h"
#include "internal.h"
#include "pg_indexes.h"
#include "pg_relations.h"
#include "dialect.h"

#define APPLICATION_NAME "retort"
#define DEFAULT_VERSION_TABLE "retort_version"
#define DEFAULT_SCHEMA "public"
#define LOCK_POLL_FIRST_MS 50
#define LOCK_POLL_MAX_MS 500
#define LOCK_SLEEP_SLICE_MS 50 /* how often a sleeping waiter looks at rt_interrupted() */
#define STACK_COLS 16
#define SQLSTATE_QUERY_CANCELED "57014"
#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"

struct pg_db {
	struct rt_db base;  /* first: the ops see a struct rt_db */
	PGconn *conn;
	PGcancel *cancel;   /* for the interrupt hook */
	char *desc;         /* "postgresql database '<masked URL>'" */
	char *schema;       /* the effective schema of the version table */
	int64_t lock_key;   /* the advisory lock key */
	int lock_key_ready; /* lock_key computed (at the first lock) */
	int schema_missing; /* schema is the search_path's first, and does not exist yet */
	int locked;
	int no_retry;       /* the last revision statement's failure is not worth a retry */
	struct pg_db *older; /* the connection opened before this one, still open */
};

/* The open connections, newest first. rt_interrupt() cancels the statement of the newest
 * one (one hook at a time); when it closes, the next newest takes the hook over. */
static struct pg_db *newest;

static struct pg_db *from_db(struct rt_db *db)
{
	return (struct pg_db *)db;
}

PGconn *rt_pg_conn(struct rt_db *db)
{
	return from_db(db)->conn;
}

/* ------------------------------------------------------------------------------------
 * Notices and cancellation
 * ------------------------------------------------------------------------------------ */

static void vnotify(void (*fn)(void *, const char *), void *ctx, const char *fmt, va_list ap)
{
	char buf[1024];

	if (!fn)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	fn(ctx, buf);
}

void rt_pg_notify(struct rt_db *db, const struct rt_run_events *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ev)
		vnotify(ev->notice, ev->ctx, fmt, ap);
	else
		vnotify(db->notice_fn, db->notice_ctx, fmt, ap);
	va_end(ap);
}

/* libpq hands server NOTICEs and WARNINGs here ("NOTICE:  text\n"); they go to the
 * connection's notice callback without the trailing newline. */
static void notice_processor(void *arg, const char *message)
{
	struct pg_db *p = arg;
	struct rt_db *db = &p->base;
	size_t len = strlen(message);
	char *text, *masked;

	if (!db->notice_fn)
		return;
	/* libpq formats "NOTICE:  text"; the front end says it is a notice already */
	if (strncmp(message, "NOTICE:  ", 9) == 0) {
		message += 9;
		len -= 9;
	}
	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == '\r' ||
	                   message[len - 1] == ' ' || message[len - 1] == '\t'))
		len--;
	text = rt_strndup(message, len);
	if (!text)
		return;
	masked = rt_mask_plain(text);
	free(text);
	if (!masked)
		return;
	db->notice_fn(db->notice_ctx, masked);
	free(masked);
}

/* The interrupt hook: runs inside a signal handler, so only PQcancel (async-signal-safe)
 * and a static buffer for its message. */
static void cancel_hook(void *arg)
{
	static char errbuf[256];

	PQcancel(arg, errbuf, (int)sizeof(errbuf));
}

static int interrupted_error(int sig)
{
	rt_error_set(RT_EINTERRUPTED, "interrupted by signal %d", sig);
	rt_error_set_signal(sig);
	return RT_EINTERRUPTED;
}

/* ------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------ */

/* Bytes from p to the end of its line. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

/* The first line of libpq's last error message, in buf, masked: libpq quotes pieces of a
 * malformed connection string, which may be the password. */
static const char *first_line(PGconn *conn, char *buf, size_t size)
{
	const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
	char *masked = rt_mask_span_plain(msg, line_len(msg), NULL);

	snprintf(buf, size, "%s", masked ? masked : "out of memory");
	free(masked);
	return buf;
}

/* A field of the server's error, masked (NULL when absent or out of memory). */
static char *masked_field(const PGresult *res, int code)
{
	const char *v = res ? PQresultErrorField(res, code) : NULL;

	return v ? rt_mask_plain(v) : NULL;
}

/* A lock timeout names the tables the statement needed: the message a DBA acts on. */
static int lock_timeout_error(const char *sql, const char *path, int line, const char *primary,
                              const char *sqlstate)
{
	char *rels = rt_pg_relations_text(sql);

	rt_error_set(RT_EDB, "%s:%d: could not lock %s within lock_timeout: %s (%s)", path, line,
	             rels ? rels : "the objects this statement needs", primary, sqlstate);
	rt_error_set_location(path, line);
	rt_error_set_sqlstate(sqlstate);
	rt_error_set_hint("Another session holds a conflicting lock. Find it with: SELECT pid, state, "
	                  "xact_start, query FROM pg_stat_activity WHERE pid IN (SELECT pid FROM pg_locks "
	                  "WHERE granted AND relation IS NOT NULL); raise postgresql.lock_timeout or "
	                  "lock_retries only if waiting is acceptable.");
	free(rels);
	return RT_EDB;
}

/*
 * Describes the failure of statement sql (at path:line; path NULL for retort's own
 * statements) whose result is res (NULL when libpq could not even send it). Branches on
 * SQLSTATE only, never on message text.
 */
static int describe_error(struct pg_db *p, const PGresult *res, const char *sql, const char *path,
                          int line, const char *primary, const char *detail, const char *hint)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *position = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	char buf[512], *context = NULL;

	if (sqlstate && strcmp(sqlstate, SQLSTATE_QUERY_CANCELED) == 0 && rt_interrupted()) {
		interrupted_error(rt_interrupted());
		rt_error_set_location(path, line);
		return RT_EINTERRUPTED;
	}
	if (PQstatus(p->conn) == CONNECTION_BAD) {
		rt_error_set(RT_EDB, "connection to the server was lost");
		rt_error_set_location(path, line);
		if (sqlstate)
			rt_error_set_sqlstate(sqlstate);
		if (primary)
			rt_error_set_detail("The server said: %s.", primary);
		return RT_EDB;
	}
	if (!primary)
		primary = first_line(p->conn, buf, sizeof(buf));
	if (sqlstate && strcmp(sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0 && sql && path)
		return lock_timeout_error(sql, path, line, primary, sqlstate);
	if (position && sql)
		context = rt_caret_context(sql, atol(position), line > 0 ? line : 1); /* before the error: it may set RT_ENOMEM */
	if (path && sqlstate)
		rt_error_set(RT_EDB, "%s:%d: %s (%s)", path, line, primary, sqlstate);
	else if (path)
		rt_error_set(RT_EDB, "%s:%d: %s", path, line, primary);
	else if (sqlstate)
		rt_error_set(RT_EDB, "%s (%s)", primary, sqlstate);
	else
		rt_error_set(RT_EDB, "%s", primary);
	rt_error_set_location(path, line);
	rt_error_set_sqlstate(sqlstate);
	if (detail)
		rt_error_set_detail("%s", detail);
	if (hint)
		rt_error_set_hint("%s", hint);
	if (context)
		rt_error_set_context(context);
	free(context);
	return RT_EDB;
}

/* The server's message, detail and hint may quote the password (a statement's value):
 * they are masked inside, before retort's own text is put around them. */
static int result_error(struct pg_db *p, const PGresult *res, const char *sql, const char *path,
                        int line)
{
	char *primary = masked_field(res, PG_DIAG_MESSAGE_PRIMARY);
	char *detail = masked_field(res, PG_DIAG_MESSAGE_DETAIL);
	char *hint = masked_field(res, PG_DIAG_MESSAGE_HINT);
	int rc = describe_error(p, res, sql, path, line, primary, detail, hint);

	free(primary);
	free(detail);
	free(hint);
	return rc;
}

/* Ends a COPY FROM STDIN or TO STDOUT that a statement started (PQexec cannot feed or
 * collect its data), and reports it. Takes res. */
static int copy_refused(struct pg_db *p, PGresult *res, const char *path, int line)
{
	ExecStatusType st = PQresultStatus(res);
	const char *what = st == PGRES_COPY_IN ? "COPY FROM STDIN" : "COPY TO STDOUT";
	PGresult *r;

	PQclear(res);
	if (st == PGRES_COPY_IN) {
		PQputCopyEnd(p->conn, "retort does not send COPY data");
	} else {
		char *data;
		while (PQgetCopyData(p->conn, &data, 0) > 0)
			PQfreemem(data);
	}
	while ((r = PQgetResult(p->conn)) != NULL)
		PQclear(r);
	if (path)
		rt_error_set(RT_EDB, "%s:%d: %s is not supported in revision scripts", path, line, what);
	else
		rt_error_set(RT_EDB, "%s is not supported", what);
	rt_error_set_location(path, line);
	rt_error_set_hint("Load data with INSERT statements, or with COPY from a file the server can read.");
	return RT_EDB;
}

/* ------------------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------------------ */

static int result_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

static int is_copy(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH;
}

static long changed_rows(const PGresult *res)
{
	static const char *const dml[] = { "INSERT ", "UPDATE ", "DELETE ", "MERGE " };
	const char *cmd = PQcmdStatus((PGresult *)res);

	for (size_t i = 0; i < RT_ARRAY_LEN(dml); i++)
		if (strncmp(cmd, dml[i], strlen(dml[i])) == 0)
			return atol(PQcmdTuples((PGresult *)res));
	return -1;
}

static int pg_exec(struct rt_db *db, const char *sql, const char *path, int line, long *changes)
{
	struct pg_db *p = from_db(db);
	PGresult *res;
	int rc = 0;

	if (changes)
		*changes = -1;
	/* a revision's statement goes alone through the extended query protocol, which refuses
	 * a string holding more than one command; retort's own may hold several */
	res = path ? PQexecParams(p->conn, sql, 0, NULL, NULL, NULL, NULL, 0) : PQexec(p->conn, sql);
	if (is_copy(res))
		return copy_refused(p, res, path, line);
	if (!result_ok(res))
		rc = result_error(p, res, sql, path, line);
	else if (changes)
		*changes = changed_rows(res);
	PQclear(res);
	return rc;
}

/* The file line of a COPY failure: the server's CONTEXT says "COPY t, line N" for the Nth
 * data line; without it, the statement's line. */
static int copy_error_line(const PGresult *res, const struct rt_stmt *st)
{
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	const char *at = ctx ? strstr(ctx, ", line ") : NULL;
	long n = at ? atol(at + 7) : 0;

	return n > 0 && n < 100000000L ? st->copy_line + (int)n - 1 : st->line;
}

/* Sends the data in pieces PQputCopyData takes (int lengths), then ends the COPY. */
static int put_copy_data(PGconn *conn, const char *data, size_t len)
{
	const size_t piece = 1 << 20;

	for (size_t off = 0; off < len; off += piece) {
		size_t n = len - off < piece ? len - off : piece;
		if (PQputCopyData(conn, data + off, (int)n) != 1)
			return -1;
	}
	if (len > 0 && data[len - 1] != '\n' && PQputCopyData(conn, "\n", 1) != 1)
		return -1;
	return PQputCopyEnd(conn, NULL) == 1 ? 0 : -1;
}

int rt_pg_copy_in(struct rt_db *db, const struct rt_stmt *st)
{
	struct pg_db *p = from_db(db);
	PGresult *res = PQexecParams(p->conn, st->sql, 0, NULL, NULL, NULL, NULL, 0), *next;
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = result_ok(res) ? rt_error_set(RT_EDB, "%s:%d: the statement did not start a COPY FROM STDIN",
		                                   st->path, st->line)
		                    : result_error(p, res, st->sql, st->path, st->line);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	if (put_copy_data(p->conn, st->copy_data, st->copy_len) < 0)
		PQputCopyEnd(p->conn, "retort could not send the data");
	res = PQgetResult(p->conn);
	if (!result_ok(res))
		rc = result_error(p, res, st->sql, st->path, copy_error_line(res, st));
	PQclear(res);
	while ((next = PQgetResult(p->conn)) != NULL)
		PQclear(next);
	return rc;
}

int rt_pg_exec_params(struct rt_db *db, const char *sql, int nparams,
                      const char *const *params, PGresult **out)
{
	struct pg_db *p = from_db(db);
	PGresult *res = PQexecParams(p->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	int rc;

	*out = NULL;
	if (is_copy(res))
		return copy_refused(p, res, NULL, 0);
	if (!result_ok(res)) {
		rc = result_error(p, res, sql, NULL, 0);
		PQclear(res);
		return rc;
	}
	*out = res;
	return 0;
}

static int pg_query(struct rt_db *db, const char *sql, rt_row_fn fn, void *ctx)
{
	struct pg_db *p = from_db(db);
	const char *stack_vals[STACK_COLS];
	const char **vals = stack_vals;
	PGresult *res = PQexec(p->conn, sql);
	int rc = 0, ncols, nrows;

	if (is_copy(res))
		return copy_refused(p, res, NULL, 0);
	if (!result_ok(res)) {
		rc = result_error(p, res, sql, NULL, 0);
		PQclear(res);
		return rc;
	}
	ncols = PQnfields(res);
	nrows = PQntuples(res);
	if (ncols > STACK_COLS && nrows > 0) {
		vals = rt_calloc((size_t)ncols, sizeof(*vals));
		if (!vals) {
			PQclear(res);
			return RT_ENOMEM;
		}
	}
	for (int r = 0; r < nrows && fn; r++) {
		for (int c = 0; c < ncols; c++)
			vals[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		if (fn(ctx, ncols, vals))
			break;
	}
	if (vals != stack_vals)
		free(vals);
	PQclear(res);
	return rc;
}

static int pg_table_exists(struct rt_db *db, const char *schema, const char *table, int *out)
{
	static const char qualified[] =
		"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class"
		" WHERE oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1) || '.' ||"
		" pg_catalog.quote_ident($2)) AND relkind IN ('r', 'p'))";
	/* without a schema, resolve through the search_path, as retort's unqualified
	 * statements do */
	static const char unqualified[] =
		"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class"
		" WHERE oid = pg_catalog.to_regclass(pg_catalog.quote_ident($1)) AND relkind IN ('r', 'p'))";
	const char *params[2];
	PGresult *res;
	int rc;

	if (!schema)
		schema = db->cfg->version_table_schema;
	params[0] = schema ? schema : table;
	params[1] = table;
	*out = 0;
	rc = rt_pg_exec_params(db, schema ? qualified : unqualified, schema ? 2 : 1, params, &res);
	if (rc < 0)
		return rc;
	*out = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

static int pg_run_stmt(struct rt_db *db, const struct rt_stmt *st)
{
	from_db(db)->no_retry = 0;
	if (st->copy_data)
		return rt_pg_copy_in(db, st);
	if (st->flags & RT_STMT_CONCURRENT)
		return rt_pg_run_concurrent(db, st);
	return pg_exec(db, st->sql, st->path, st->line, NULL);
}

/* Lock timeouts and deadlocks are worth postgresql.lock_retries retries of the revision,
 * unless the statement said otherwise (a CONCURRENTLY build that had started: it would
 * start all over). */
static int pg_retryable(struct rt_db *db)
{
	const struct rt_error *e = rt_error_last();

	if (e->code != RT_EDB || from_db(db)->no_retry ||
	    (strcmp(e->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) != 0 && strcmp(e->sqlstate, "40P01") != 0))
		return 0;
	return db->cfg->postgresql.lock_retries;
}

void rt_pg_set_no_retry(struct rt_db *db)
{
	from_db(db)->no_retry = 1;
}

int rt_pg_result_error(struct rt_db *db, const PGresult *res, const char *sql, const char *path, int line)
{
	return result_error(from_db(db), res, sql, path, line);
}

static const char *pg_describe(struct rt_db *db)
{
	return from_db(db)->desc;
}

/* ------------------------------------------------------------------------------------
 * The migration lock
 * ------------------------------------------------------------------------------------ */

static int resolve_schema(struct pg_db *p);

/* The key: the first 8 bytes of SHA-256("retort:<schema>.<table>"), a signed 64-bit
 * integer as pg_advisory_lock(bigint) takes it. */
static int compute_lock_key(struct pg_db *p)
{
	const char *table = p->base.cfg->version_table ? p->base.cfg->version_table : DEFAULT_VERSION_TABLE;
	char *name = rt_asprintf("retort:%s.%s", p->schema, table);
	char hex[65], head[17];
	uint64_t u;
	int rc;

	if (!name)
		return RT_ENOMEM;
	rc = rt_sha256_hex(name, strlen(name), hex);
	free(name);
	if (rc < 0)
		return rc;
	memcpy(head, hex, 16);
	head[16] = '\0';
	u = (uint64_t)strtoull(head, NULL, 16);
	p->lock_key = u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
	return 0;
}

static int try_lock(struct pg_db *p, int *got)
{
	char key[32];
	const char *params[1] = { key };
	PGresult *res;
	int rc;

	snprintf(key, sizeof(key), "%lld", (long long)p->lock_key);
	rc = rt_pg_exec_params(&p->base, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)", 1,
	                       params, &res);
	if (rc < 0)
		return rc;
	*got = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

/* Who holds our advisory lock: pid (0 when nobody does any more) and application_name
 * into app. A bigint key shows in pg_locks as classid = high half, objid = low half,
 * objsubid = 1. */
static int find_holder(struct pg_db *p, long *pid, char *app, size_t appsize)
{
	static const char sql[] =
		"SELECT l.pid, coalesce(a.application_name, '')"
		" FROM pg_catalog.pg_locks l"
		" LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
		" WHERE l.locktype = 'advisory' AND l.granted"
		" AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())"
		" AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1"
		" AND l.pid <> pg_catalog.pg_backend_pid()"
		" LIMIT 1";
	uint64_t u = (uint64_t)p->lock_key;
	char hi[16], lo[16];
	const char *params[2] = { hi, lo };
	PGresult *res;
	int rc;

	snprintf(hi, sizeof(hi), "%lu", (unsigned long)(uint32_t)(u >> 32));
	snprintf(lo, sizeof(lo), "%lu", (unsigned long)(uint32_t)u);
	rc = rt_pg_exec_params(&p->base, sql, 2, params, &res);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 1) {
		*pid = atol(PQgetvalue(res, 0, 0));
		snprintf(app, appsize, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return 0;
}

/* Sleeps ms, in slices, giving up early when a signal arrives. */
static void sleep_interruptible(long ms)
{
	while (ms > 0 && !rt_interrupted()) {
		long slice = ms < LOCK_SLEEP_SLICE_MS ? ms : LOCK_SLEEP_SLICE_MS;
		rt_sleep_ms(slice);
		ms -= slice;
	}
}

static int pg_lock(struct rt_db *db, long wait_ms)
{
	struct pg_db *p = from_db(db);
	double start = rt_now_ms();
	long delay = LOCK_POLL_FIRST_MS, pid = 0;
	char app[256] = "";
	int notified = 0, got = 0, rc;

	if (p->locked)
		return 0;
	/* computed here, not at connect: read-only commands never lock, and the digest's
	 * first use costs more than their query */
	if (!p->lock_key_ready) {
		if ((rc = resolve_schema(p)) < 0 || (rc = compute_lock_key(p)) < 0)
			return rc;
		p->lock_key_ready = 1;
	}
	for (;;) {
		double elapsed;
		long left;

		rc = try_lock(p, &got);
		if (rc < 0)
			return rc;
		if (got) {
			p->locked = 1;
			return 0;
		}
		if (rt_interrupted())
			return interrupted_error(rt_interrupted());
		elapsed = rt_now_ms() - start;
		if (elapsed >= (double)wait_ms) {
			double secs = (double)(wait_ms > 0 ? wait_ms : 0) / 1000.0;
			rc = find_holder(p, &pid, app, sizeof(app));
			if (rc < 0)
				return rc;
			if (pid > 0) {
				rt_error_set(RT_ELOCKED, "gave up after %g s waiting for the migration lock held "
				             "by pid %ld (application_name '%s')", secs, pid, app);
				rt_error_set_hint("Find the other run in pg_stat_activity (pid %ld) and let it "
				                  "finish, or raise lock_wait in retort.yaml to wait longer.", pid);
			} else {
				rt_error_set(RT_ELOCKED, "gave up after %g s waiting for the migration lock", secs);
				rt_error_set_hint("Another retort run held the lock; let it finish, or raise "
				                  "lock_wait in retort.yaml to wait longer.");
			}
			return RT_ELOCKED;
		}
		if (!notified) {
			rc = find_holder(p, &pid, app, sizeof(app));
			if (rc < 0)
				return rc;
			if (pid > 0) { /* 0: released meanwhile; say it next time if still busy */
				rt_pg_notify(db, NULL, "waiting for the migration lock held by pid %ld "
				             "(application_name '%s')", pid, app);
				notified = 1;
			}
		}
		left = wait_ms - (long)elapsed;
		sleep_interruptible(delay < left ? delay : left);
		delay = delay * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : delay * 2;
	}
}

static void pg_unlock(struct rt_db *db)
{
	struct pg_db *p = from_db(db);
	char key[32];
	const char *params[1] = { key };

	if (!p->locked)
		return;
	p->locked = 0;
	snprintf(key, sizeof(key), "%lld", (long long)p->lock_key);
	/* Not through rt_pg_exec_params: unlocking follows failures whose error must stay. A
	 * lost connection has released the lock anyway. */
	PQclear(PQexecParams(p->conn, "SELECT pg_catalog.pg_advisory_unlock($1::bigint)", 1, NULL,
	                     params, NULL, NULL, 0));
}

/* ------------------------------------------------------------------------------------
 * Connecting
 * ------------------------------------------------------------------------------------ */

static void pg_close(struct rt_db *db)
{
	struct pg_db *p = from_db(db);

	if (!p)
		return;
	for (struct pg_db **pp = &newest; *pp; pp = &(*pp)->older) {
		if (*pp == p) {
			*pp = p->older;
			rt_interrupt_set_hook(newest ? cancel_hook : NULL, newest ? newest->cancel : NULL);
			break;
		}
	}
	if (p->cancel)
		PQfreeCancel(p->cancel);
	if (p->conn)
		PQfinish(p->conn);
	free(p->desc);
	free(p->schema);
	free(p);
}

/* The schema the version table lives in: the configured one, else current_schema(), else
 * "public" (when no schema on search_path exists yet). */
/* The first entry of a search_path setting, unquoted, "$user" replaced by user. */
static char *first_search_path_entry(const char *path, const char *user)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *p = path;
	int rc = 0;

	while (*p == ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && rc == 0; p++) {
			if (*p == '"' && p[1] == '"')
				rc = rt_buf_putc(&b, *p++);
			else if (*p == '"')
				break;
			else
				rc = rt_buf_putc(&b, *p);
		}
	} else {
		size_t n = strcspn(p, ",");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		rc = rt_buf_add(&b, p, n);
	}
	if (rc < 0) {
		rt_buf_release(&b);
		return NULL;
	}
	if (strcmp(b.ptr, "$user") == 0) {
		rt_buf_release(&b);
		return rt_strdup(user);
	}
	return rt_buf_detach(&b);
}

static int resolve_schema(struct pg_db *p)
{
	PGresult *res;
	int rc;

	if (p->schema)
		return 0;
	if (p->base.cfg->version_table_schema) {
		p->schema = rt_strdup(p->base.cfg->version_table_schema);
		return p->schema ? 0 : RT_ENOMEM;
	}
	rc = rt_pg_exec_params(&p->base,
	                       "SELECT pg_catalog.current_schema(), pg_catalog.current_setting('search_path'), "
	                       "current_user",
	                       0, NULL, &res);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		p->schema = rt_strdup(PQgetvalue(res, 0, 0));
	} else if (PQntuples(res) == 1) {
		/* no schema of the search_path exists: the first one is where the tables go, once
		 * prepare_schema has created it */
		p->schema = first_search_path_entry(PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
		p->schema_missing = p->schema && *p->schema;
		if (p->schema && !*p->schema) {
			free(p->schema);
			p->schema = rt_strdup(DEFAULT_SCHEMA);
		}
	} else {
		p->schema = rt_strdup(DEFAULT_SCHEMA);
	}
	PQclear(res);
	return p->schema ? 0 : RT_ENOMEM;
}

static int pg_prepare_schema(struct rt_db *db)
{
	struct pg_db *p = from_db(db);
	struct rt_buf sql = RT_BUF_INIT;
	int rc;

	if (db->cfg->version_table_schema) /* the dialect's CREATE SCHEMA IF NOT EXISTS does it */
		return 0;
	if ((rc = resolve_schema(p)) < 0 || !p->schema_missing)
		return rc;
	rc = rt_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
	if (rc == 0)
		rc = rt_sql_ident(&sql, p->schema);
	if (rc == 0)
		rc = pg_exec(db, sql.ptr, NULL, 0, NULL);
	if (rc == 0) {
		p->schema_missing = 0;
		rt_pg_notify(db, NULL, "created schema \"%s\", the first on the search_path, for the version table",
		             p->schema);
	}
	rt_buf_release(&sql);
	return rc;
}

/* A run killed with SIGKILL leaves its statement running on the server, holding the
 * migration lock; since PostgreSQL 14 the server can notice the client is gone. */
static const char *pg_session_extra(struct rt_db *db)
{
	struct pg_db *p = from_db(db);

	if ((db->flags & RT_DB_READONLY) || PQserverVersion(p->conn) < 140000)
		return NULL;
	return "SET client_connection_check_interval = '1s'";
}

static int pg_open(struct rt_db **out, const struct rt_config *cfg, unsigned flags)
{
	/* dbname first and expanded: a URL or keyword string in it sets everything it names.
	 * "retort" is only the fallback: an application_name of the URL (or $PGAPPNAME) wins. */
	const char *const keywords[] = { "dbname", "fallback_application_name", NULL };
	const char *values[] = { NULL, APPLICATION_NAME, NULL };
	struct pg_db *p;
	char *masked = NULL, buf[512];
	int rc;

	*out = NULL;
	if (!cfg->url) {
		rt_error_set(RT_EUSAGE, "no database URL configured");
		rt_error_set_hint("Set database.url in retort.yaml, or pass --url, or set RETORT_DATABASE_URL.");
		return RT_EUSAGE;
	}
	rt_secret_add(getenv("PGPASSWORD"));
	rt_url_register_secret(cfg->url);
	p = rt_calloc(1, sizeof(*p));
	if (!p)
		return RT_ENOMEM;
	p->base.ops = &rt_postgresql_ops;
	p->base.cfg = cfg;
	p->base.flags = flags; /* RT_DB_READONLY changes nothing: connecting creates nothing */
	masked = rt_url_masked(cfg->url);
	if (!masked || !(p->desc = rt_asprintf("postgresql database '%s'", masked))) {
		rc = RT_ENOMEM;
		goto fail;
	}

	values[0] = cfg->url;
	p->conn = PQconnectdbParams(keywords, values, 1);
	if (!p->conn) {
		rc = rt_error_set(RT_ENOMEM, "out of memory");
		goto fail;
	}
	rt_secret_add(PQpass(p->conn)); /* also one from ~/.pgpass or a service file */
	if (PQstatus(p->conn) != CONNECTION_OK) {
		rc = rt_error_set(RT_EDB, "cannot connect to '%s': %s", masked,
		                  first_line(p->conn, buf, sizeof(buf)));
		goto fail;
	}
	PQsetNoticeProcessor(p->conn, notice_processor, p);
	if (pg_session_extra(&p->base))
		PQclear(PQexec(p->conn, pg_session_extra(&p->base)));
	p->cancel = PQgetCancel(p->conn);
	if (!p->cancel) {
		rc = rt_error_set(RT_ENOMEM, "out of memory");
		goto fail;
	}
	p->older = newest;
	newest = p;
	rt_interrupt_set_hook(cancel_hook, p->cancel);
	free(masked);
	*out = &p->base;
	return 0;

fail:
	free(masked);
	pg_close(&p->base);
	return rc;
}

const struct rt_db_ops rt_postgresql_ops = {
	.version = RT_DB_OPS_VERSION,
	.name = "postgresql",
	.dialect = RT_DIALECT_POSTGRESQL,
	.open = pg_open,
	.close = pg_close,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.exec = pg_exec,
	.query = pg_query,
	.table_exists = pg_table_exists,
	.describe = pg_describe,
	.before_exec = rt_pg_before_exec,
	.after_error = rt_pg_after_error,
	.run_stmt = pg_run_stmt,
	.retryable = pg_retryable,
	.session_extra = pg_session_extra,
	.check = rt_pg_check,
	.prepare_schema = pg_prepare_schema,
};
