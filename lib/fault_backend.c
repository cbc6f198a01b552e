/*
 * fault_backend.c - a test wrapper around a real backend that makes one chosen database
 * call fail, as SQLite's faultsim does for its VFS.
 *
 * rt_fault_set("KIND:N[:once|:persist]") arms it (or "count": nothing fails, the calls are
 * counted, and rt_fault_calls() says how many); from then on rt_db_open() wraps every
 * connection it opens (rt_fault_wrap). The wrapper embeds struct rt_db as its first
 * member, as every backend does, owns the real backend's connection, and forwards every
 * operation to it, the optional hooks included (a hook the real backend lacks stays NULL,
 * so callers take the same paths), counting three kinds of calls over the whole process:
 *
 *   exec    exec() of anything but COMMIT, and run_stmt() (a revision's statement)
 *   query   query() and table_exists(): every read
 *   commit  exec() of COMMIT (the runner sends COMMIT as an exec)
 *
 * The Nth call of the chosen kind does not reach the database and fails with RT_EDB,
 * "fault injected: the Nth KIND fails", located like a real failure of that statement
 * (and a failed COMMIT leaves the transaction as the database would: PostgreSQL ends it,
 * SQLite keeps it open).
 * With :once the later calls succeed again; with :persist (the default, as with
 * rt_alloc_fail_after) every later call of that kind fails too, as on a dead connection.
 *
 * The failure carries SQLSTATE 08006 (connection_failure) on PostgreSQL: a fault stands
 * for what no script can cause and every run must survive, the server or the network
 * going away; class 08 is what libpq reports then, and no retry rule (55P03, 40P01)
 * applies to it, so a fault is never retried into hiding. XX000 (internal_error) would
 * claim a server bug. On SQLite it carries SQLITE_IOERR, the disk failing, for the same
 * reason.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"
#include "backend.h"

#define FAULT_SQLSTATE "08006"

enum fault_kind { FAULT_EXEC, FAULT_QUERY, FAULT_COMMIT, FAULT_NKINDS };

static const char *const kind_names[FAULT_NKINDS] = { "exec", "query", "commit" };

static struct {
	int armed;
	enum fault_kind kind;
	long nth;     /* the call that fails, 1-based */
	int persist;  /* every later call of the kind fails too */
} fault;

static long calls[FAULT_NKINDS]; /* calls of each kind since rt_fault_set() */

struct fault_db {
	struct rt_db base;     /* first: what the callers see */
	struct rt_db *real;    /* the real backend's connection, owned */
	struct rt_db_ops ops;  /* the real backend's table with its calls replaced by ours */
};

static struct fault_db *from_db(struct rt_db *db)
{
	return (struct fault_db *)db;
}

/* The real connection, told where the wrapper's notices go (the real backend hands server
 * notices to its own notice callback). */
static struct rt_db *real(struct rt_db *db)
{
	struct fault_db *f = from_db(db);

	f->real->notice_fn = db->notice_fn;
	f->real->notice_ctx = db->notice_ctx;
	return f->real;
}

static const char *ordinal_suffix(long n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1: return "st";
	case 2: return "nd";
	case 3: return "rd";
	default: return "th";
	}
}

/* Counts a call of kind; 1 when it is to fail, with the error slot set as the database
 * would set it for a statement at path:line (path NULL: one of retort's own). */
static int inject(struct rt_db *db, enum fault_kind kind, const char *path, int line)
{
	long n = ++calls[kind];
	int pg = db->ops->dialect == RT_DIALECT_POSTGRESQL;

	if (!fault.armed || fault.kind != kind || n < fault.nth || (n > fault.nth && !fault.persist))
		return 0;
	if (path)
		rt_error_set(RT_EDB, "%s:%d: fault injected: the %ld%s %s fails%s", path, line, n,
		             ordinal_suffix(n), kind_names[kind], pg ? " (" FAULT_SQLSTATE ")" : "");
	else
		rt_error_set(RT_EDB, "fault injected: the %ld%s %s fails%s", n, ordinal_suffix(n),
		             kind_names[kind], pg ? " (" FAULT_SQLSTATE ")" : "");
	rt_error_set_location(path, line);
	if (pg)
		rt_error_set_sqlstate(FAULT_SQLSTATE);
	else
		rt_error_set_db_code(SQLITE_IOERR);
	if (n > fault.nth)
		rt_error_set_detail("Every %s from the %ld%s on fails (%s:%ld:persist).", kind_names[kind],
		                    fault.nth, ordinal_suffix(fault.nth), kind_names[kind], fault.nth);
	rt_error_set_hint("A test hook (the fault backend) failed this call on purpose; run "
	                  "without it to reach the database.");
	return 1;
}

static void fault_close(struct rt_db *db)
{
	struct fault_db *f = from_db(db);

	rt_db_close(real(db));
	free(f);
}

static int fault_lock(struct rt_db *db, long wait_ms)
{
	return real(db)->ops->lock(real(db), wait_ms);
}

static void fault_unlock(struct rt_db *db)
{
	real(db)->ops->unlock(real(db));
}

static int is_commit(const char *sql)
{
	return strcasecmp(sql, "COMMIT") == 0;
}

/* A COMMIT that fails on PostgreSQL ends the transaction (the server rolls it back); on
 * SQLite it stays open, as after SQLITE_BUSY. The fault does the same. */
static void failed_commit(struct rt_db *db)
{
	struct rt_error saved;

	if (db->ops->dialect != RT_DIALECT_POSTGRESQL)
		return;
	rt_error_save(&saved);
	real(db)->ops->exec(real(db), "ROLLBACK", NULL, 0, NULL);
	rt_error_restore(&saved);
}

static int fault_exec(struct rt_db *db, const char *sql, const char *path, int line, long *changes)
{
	int commit = is_commit(sql);

	if (inject(db, commit ? FAULT_COMMIT : FAULT_EXEC, path, line)) {
		if (changes)
			*changes = -1;
		if (commit)
			failed_commit(db);
		return RT_EDB;
	}
	return real(db)->ops->exec(real(db), sql, path, line, changes);
}

static int fault_query(struct rt_db *db, const char *sql, rt_row_fn fn, void *ctx)
{
	if (inject(db, FAULT_QUERY, NULL, 0))
		return RT_EDB;
	return real(db)->ops->query(real(db), sql, fn, ctx);
}

static int fault_table_exists(struct rt_db *db, const char *schema, const char *table, int *out)
{
	if (inject(db, FAULT_QUERY, NULL, 0))
		return RT_EDB;
	return real(db)->ops->table_exists(real(db), schema, table, out);
}

static const char *fault_describe(struct rt_db *db)
{
	return real(db)->ops->describe(real(db));
}

static int fault_before_exec(struct rt_db *db, const struct rt_stmt *stmt, int resuming)
{
	return real(db)->ops->before_exec(real(db), stmt, resuming);
}

static int fault_prepare_schema(struct rt_db *db)
{
	return real(db)->ops->prepare_schema(real(db));
}

static void fault_after_error(struct rt_db *db, const struct rt_stmt *stmt)
{
	real(db)->ops->after_error(real(db), stmt);
}

static int fault_run_stmt(struct rt_db *db, const struct rt_stmt *stmt)
{
	if (inject(db, FAULT_EXEC, stmt->path, stmt->line))
		return RT_EDB;
	return real(db)->ops->run_stmt(real(db), stmt);
}

static int fault_retryable(struct rt_db *db)
{
	return real(db)->ops->retryable(real(db));
}

static const char *fault_session_extra(struct rt_db *db)
{
	return real(db)->ops->session_extra(real(db));
}

static int fault_check(struct rt_db *db, struct rt_diags *diags)
{
	return real(db)->ops->check(real(db), diags);
}

/* The real table with every call replaced by the wrapper's; optional hooks only where
 * the real backend has them. */
static void wrap_ops(struct rt_db_ops *ops, const struct rt_db_ops *r)
{
	*ops = *r;
	ops->close = fault_close;
	ops->lock = fault_lock;
	ops->unlock = fault_unlock;
	ops->exec = fault_exec;
	ops->query = fault_query;
	ops->table_exists = fault_table_exists;
	ops->describe = fault_describe;
	ops->before_exec = r->before_exec ? fault_before_exec : NULL;
	ops->prepare_schema = r->prepare_schema ? fault_prepare_schema : NULL;
	ops->after_error = r->after_error ? fault_after_error : NULL;
	ops->run_stmt = r->run_stmt ? fault_run_stmt : NULL;
	ops->retryable = r->retryable ? fault_retryable : NULL;
	ops->session_extra = r->session_extra ? fault_session_extra : NULL;
	ops->check = r->check ? fault_check : NULL;
}

int rt_fault_wrap(struct rt_db **db)
{
	struct fault_db *f;

	if (!fault.armed)
		return 0;
	if (!(f = rt_calloc(1, sizeof(*f)))) {
		rt_db_close(*db);
		*db = NULL;
		return RT_ENOMEM;
	}
	f->real = *db;
	wrap_ops(&f->ops, f->real->ops);
	f->base = *f->real;
	f->base.ops = &f->ops;
	*db = &f->base;
	return 0;
}

static int bad_spec(const char *spec)
{
	rt_error_set(RT_EUSAGE, "invalid fault '%s': expected KIND:N, KIND:N:once, KIND:N:persist or count",
	             spec);
	rt_error_set_hint("KIND is exec, query or commit, and N counts the calls of that kind from 1 "
	                  "(e.g. exec:3:once).");
	return RT_EUSAGE;
}

/* The kind named by [name, end). */
static int parse_kind(const char *name, const char *end, enum fault_kind *out)
{
	for (int k = 0; k < FAULT_NKINDS; k++) {
		if (strlen(kind_names[k]) == (size_t)(end - name) &&
		    strncmp(name, kind_names[k], (size_t)(end - name)) == 0) {
			*out = (enum fault_kind)k;
			return 0;
		}
	}
	return -1;
}

long rt_fault_calls(const char *kind)
{
	enum fault_kind k;

	return kind && parse_kind(kind, kind + strlen(kind), &k) == 0 ? calls[k] : -1;
}

int rt_fault_set(const char *spec)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	enum fault_kind kind;
	char *end;
	long n;

	memset(calls, 0, sizeof(calls));
	fault.armed = 0;
	if (!spec || !*spec)
		return 0;
	if (strcmp(spec, "count") == 0) { /* wrap and count, fail nothing */
		fault.armed = 1;
		fault.nth = LONG_MAX;
		fault.persist = 0;
		return 0;
	}
	if (!colon || parse_kind(spec, colon, &kind) < 0 || colon[1] < '1' || colon[1] > '9')
		return bad_spec(spec);
	n = strtol(colon + 1, &end, 10);
	if (n <= 0 || n == LONG_MAX)
		return bad_spec(spec);
	if (*end && strcmp(end, ":once") != 0 && strcmp(end, ":persist") != 0)
		return bad_spec(spec);
	fault.kind = kind;
	fault.nth = n;
	fault.persist = strcmp(end, ":once") != 0;
	fault.armed = 1;
	return 0;
}
