/*
 * pg_concurrent.c - running a CONCURRENTLY statement (CREATE INDEX, DROP INDEX, REINDEX,
 * DETACH PARTITION) of a revision on PostgreSQL.
 *
 * Such a statement takes a weak lock and then waits, in phases, for every transaction
 * older than it to end: a session idle in a transaction for an hour holds a build for an
 * hour. Under retort's lock_timeout (5 s by default) any such session made it fail, and a
 * retry started the build all over. So the statement runs under postgresql.concurrent_timeout
 * instead (default 0: no limit; the lock it waits with blocks no reads or writes), with the
 * revision's own lock_timeout put back afterwards; while it waits longer than lock_timeout,
 * a second connection finds what it waits for (pg_blocking_pids) and a notice names those
 * sessions, every half minute. A failure says what it waited for, and a build that had
 * started (it left an INVALID index) is not retried: a retry would wait again from scratch.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "pg_indexes.h"

#define NOTICE_EVERY_MS 30000
#define BLOCKERS_TEXT_MAX 400

static const char blockers_sql[] =
	"SELECT a.pid, coalesce(a.state, ''), coalesce(a.application_name, ''),"
	" coalesce(to_char(a.xact_start AT TIME ZONE 'UTC', 'HH24:MI:SS'), '?')"
	" FROM pg_catalog.pg_stat_activity a"
	" WHERE a.pid = ANY (pg_catalog.pg_blocking_pids($1::int)) ORDER BY a.xact_start LIMIT 5";

/* "pid 123 (idle in transaction since 12:00:01 UTC, application 'psql')[, ...]" of what pid
 * waits for, asked on conn; "" when nothing (or it cannot be told). Returns how many. */
static int describe_blockers(PGconn *conn, int pid, char *out, size_t size)
{
	int n = 0;
	char p[16];
	const char *params[1] = { p };
	PGresult *res;
	size_t off = 0;

	out[0] = '\0';
	snprintf(p, sizeof(p), "%d", pid);
	res = PQexecParams(conn, blockers_sql, 1, NULL, params, NULL, NULL, 0);
	for (int r = 0; PQresultStatus(res) == PGRES_TUPLES_OK && r < PQntuples(res) && off < size; r++)
		off += (size_t)snprintf(out + off, size - off, "%spid %s (%s since %s UTC, application '%s')",
		                        r ? ", " : "", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
		                        PQgetvalue(res, r, 3), PQgetvalue(res, r, 2)), n++;
	PQclear(res);
	return n;
}

/* A connection of its own for looking at pg_stat_activity while the statement runs. */
static PGconn *monitor_connect(const struct rt_config *cfg)
{
	const char *const keywords[] = { "dbname", "application_name", NULL };
	const char *const values[] = { cfg->url, "retort (monitor)", NULL };
	PGconn *conn = PQconnectdbParams(keywords, values, 1);

	if (conn && PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		conn = NULL;
	}
	return conn;
}

struct waiting {
	struct rt_db *db;
	const struct rt_stmt *st;
	PGconn *monitor;
	double start;
	double next_notice;
	char blockers[BLOCKERS_TEXT_MAX];
};

static void notice_wait(struct waiting *w, double now)
{
	int n = 0;

	if (!w->monitor)
		w->monitor = monitor_connect(w->db->cfg);
	if (w->monitor)
		n = describe_blockers(w->monitor, PQbackendPID(rt_pg_conn(w->db)), w->blockers, sizeof(w->blockers));
	if (n > 0)
		rt_pg_notify(w->db, NULL, "%s:%d: the CONCURRENTLY statement has waited %.1f s for %s: it cannot go on "
		             "before %s", w->st->path, w->st->line, (now - w->start) / 1000.0, w->blockers,
		             n > 1 ? "they end their transactions" : "that session ends its transaction");
	w->next_notice = now + NOTICE_EVERY_MS;
}

/* Waits for the result of the statement sent, telling what it waits for meanwhile. */
static PGresult *await_result(struct waiting *w)
{
	PGconn *conn = rt_pg_conn(w->db);
	long first = w->db->cfg->postgresql.lock_timeout_ms;
	PGresult *res = NULL, *next;

	w->next_notice = w->start + (double)(first > 0 ? first : 1000);
	while (PQisBusy(conn)) {
		struct pollfd pfd = { PQsocket(conn), POLLIN, 0 };
		double now = rt_now_ms();
		int wait = now >= w->next_notice ? 0 : (int)(w->next_notice - now) + 1;

		if (poll(&pfd, 1, wait > 1000 ? 1000 : wait) < 0 && errno != EINTR)
			break;
		if (PQconsumeInput(conn) == 0)
			break;
		if (PQisBusy(conn) && rt_now_ms() >= w->next_notice)
			notice_wait(w, rt_now_ms());
	}
	while ((next = PQgetResult(conn)) != NULL) {
		if (res)
			PQclear(res);
		res = next;
	}
	return res;
}

/* SET lock_timeout to value (the server's text form, e.g. "5s"); 0 or an error. */
static int set_lock_timeout(struct rt_db *db, const char *value)
{
	const char *params[1] = { value };
	PGresult *res = NULL;
	int rc = rt_pg_exec_params(db, "SELECT pg_catalog.set_config('lock_timeout', $1, false)", 1, params, &res);

	PQclear(res);
	return rc;
}

/* The revision's lock_timeout, kept in saved (so that what it SET survives the statement). */
static int swap_lock_timeout(struct rt_db *db, char *saved, size_t size)
{
	PGresult *res = NULL;
	char mine[32];
	int rc = rt_pg_exec_params(db, "SELECT pg_catalog.current_setting('lock_timeout')", 0, NULL, &res);

	if (rc < 0)
		return rc;
	snprintf(saved, size, "%s", PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "0");
	PQclear(res);
	snprintf(mine, sizeof(mine), "%ldms", db->cfg->postgresql.concurrent_timeout_ms);
	return set_lock_timeout(db, mine);
}

/* The statement failed: what it waited for goes into the detail, and a build that had
 * started is not retried. Keeps the error. */
static void explain_failure(struct waiting *w)
{
	struct rt_error saved;
	int started;

	rt_error_save(&saved);
	started = rt_pg_build_left_invalid(w->db, w->st);
	if (!w->blockers[0] && w->monitor)
		describe_blockers(w->monitor, PQbackendPID(rt_pg_conn(w->db)), w->blockers, sizeof(w->blockers));
	rt_error_restore(&saved);
	if (strcmp(rt_error_last()->sqlstate, "55P03") == 0 && w->blockers[0])
		rt_error_set_detail("It waited longer than postgresql.concurrent_timeout for %s.", w->blockers);
	if (started) {
		rt_pg_set_no_retry(w->db);
		rt_error_set_hint("The build had started, so it is not retried (it would start over). End the "
		                  "transactions it waits for, or raise postgresql.concurrent_timeout (0: no "
		                  "limit), and run the revision again: retort drops the INVALID index first.");
	}
}

static int timed_out(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return state && strcmp(state, "55P03") == 0;
}

/* Not a table lock: what the statement waited for were older transactions (or the lock). */
static int timeout_error(struct rt_db *db, const struct rt_stmt *st, const PGresult *res)
{
	const char *field = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char *primary = field ? rt_mask_plain(field) : NULL;

	rt_error_set(RT_EDB, "%s:%d: the CONCURRENTLY statement waited longer than postgresql.concurrent_timeout "
	             "(%ld ms): %s (55P03)", st->path, st->line, db->cfg->postgresql.concurrent_timeout_ms,
	             primary ? primary : "lock timeout");
	free(primary);
	rt_error_set_location(st->path, st->line);
	rt_error_set_sqlstate("55P03");
	rt_error_set_hint("It waits for every transaction older than itself. End the sessions it waits for "
	                  "(pg_stat_activity, state 'idle in transaction'), or raise postgresql.concurrent_timeout "
	                  "(0: no limit).");
	return RT_EDB;
}

/* Puts the revision's lock_timeout back; keeps the statement's failure, if any. */
static int restore_lock_timeout(struct rt_db *db, const char *saved, int rc)
{
	struct rt_error keep;

	if (PQstatus(rt_pg_conn(db)) != CONNECTION_OK)
		return rc;
	if (rc == 0)
		return set_lock_timeout(db, saved);
	rt_error_save(&keep);
	set_lock_timeout(db, saved);
	rt_error_restore(&keep);
	return rc;
}

int rt_pg_run_concurrent(struct rt_db *db, const struct rt_stmt *st)
{
	struct waiting w = { db, st, NULL, 0, 0, "" };
	PGresult *res = NULL;
	char saved[64];
	int rc;

	if ((rc = swap_lock_timeout(db, saved, sizeof(saved))) < 0)
		return rc;
	w.start = rt_now_ms();
	if (!PQsendQueryParams(rt_pg_conn(db), st->sql, 0, NULL, NULL, NULL, NULL, 0)) {
		rc = rt_pg_result_error(db, NULL, st->sql, st->path, st->line);
	} else {
		res = await_result(&w);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = timed_out(res) ? timeout_error(db, st, res)
			                    : rt_pg_result_error(db, res, st->sql, st->path, st->line);
	}
	PQclear(res);
	if (rc < 0 && rt_error_last()->code == RT_EDB)
		explain_failure(&w);
	if (w.monitor)
		PQfinish(w.monitor);
	return restore_lock_timeout(db, saved, rc);
}
