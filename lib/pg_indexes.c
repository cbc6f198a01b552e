/*
 * pg_indexes.c - INVALID indexes, the leftovers of a failed CREATE INDEX CONCURRENTLY or
 * REINDEX ... CONCURRENTLY: the PostgreSQL backend's before_exec, after_error and check
 * hooks.
 *
 * A failed concurrent build leaves its index behind, marked INVALID (pg_index.indisvalid
 * false): ignored by queries, still maintained on every write, and in the way of the next
 * attempt, which fails with "already exists" (or, with IF NOT EXISTS, succeeds while the
 * broken index stays). So before a revision's statement runs outside a transaction,
 * before_exec parses it with libpg_query and, for a CONCURRENTLY build, drops the INVALID
 * index of that name on that table (REINDEX: its _ccnew/_ccold leftovers) with DROP INDEX
 * CONCURRENTLY. after_error adds to a failed build's error that it left such an index,
 * and check lists every INVALID index of the database. Partitioned indexes (relkind 'I')
 * are left out: one created ON ONLY a parent is invalid by design until its partitions'
 * indexes are attached.
 */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "internal.h"
#include "pg_indexes.h"

#define INVALID_INDEX_HINT \
	"Drop it with DROP INDEX CONCURRENTLY and rebuild it, or rerun the revision that creates it."

enum target_kind { TARGET_NONE, TARGET_CIC, TARGET_REINDEX_INDEX, TARGET_REINDEX_TABLE };

/* What a concurrent build names. */
struct target {
	enum target_kind kind;
	char *schema;  /* the schema the statement names, "" for none (search_path decides) */
	char *relname; /* CIC, REINDEX TABLE: the table; REINDEX INDEX: the index */
	char *index;   /* CIC: the index being built */
};

static void target_release(struct target *t)
{
	free(t->schema);
	free(t->relname);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

/* REINDEX (CONCURRENTLY [true|false]) ... and REINDEX ... CONCURRENTLY both put a
 * "concurrently" DefElem in params; without an argument it means true. */
static int option_true(const PgQuery__Node *arg)
{
	if (!arg)
		return 1;
	switch (arg->node_case) {
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return arg->boolean->boolval != 0;
	case PG_QUERY__NODE__NODE_INTEGER:
		return arg->integer->ival != 0;
	case PG_QUERY__NODE__NODE_STRING: {
		static const char *const no[] = { "false", "off", "no", "0" };
		for (size_t i = 0; i < RT_ARRAY_LEN(no); i++)
			if (strcmp(arg->string->sval, no[i]) == 0)
				return 0;
		return 1;
	}
	default:
		return 1;
	}
}

static int reindex_concurrently(const PgQuery__ReindexStmt *r)
{
	for (size_t i = 0; i < r->n_params; i++) {
		const PgQuery__Node *n = r->params[i];
		if (n->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(n->def_elem->defname, "concurrently") == 0)
			return option_true(n->def_elem->arg);
	}
	return 0;
}

static int set_target(struct target *t, enum target_kind kind, const PgQuery__RangeVar *rel,
                      const char *index)
{
	t->schema = rt_strdup(rel->schemaname ? rel->schemaname : "");
	t->relname = rt_strdup(rel->relname);
	t->index = index ? rt_strdup(index) : NULL;
	if (!t->schema || !t->relname || (index && !t->index)) {
		target_release(t);
		return RT_ENOMEM;
	}
	t->kind = kind;
	return 0;
}

/* What sql builds concurrently, if anything. A statement libpg_query cannot parse is no
 * concern here: the server will say what is wrong with it. */
static int parse_target(const char *sql, struct target *t)
{
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf(sql);
	PgQuery__ParseResult *res = NULL;
	const PgQuery__Node *n;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (pb.error)
		goto out;
	res = pg_query__parse_result__unpack(NULL, pb.parse_tree.len,
	                                     (const uint8_t *)pb.parse_tree.data);
	if (!res || res->n_stmts != 1 || !res->stmts[0]->stmt)
		goto out;
	n = res->stmts[0]->stmt;
	if (n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		const PgQuery__IndexStmt *ix = n->index_stmt;
		if (ix->concurrent && ix->idxname && *ix->idxname && ix->relation)
			rc = set_target(t, TARGET_CIC, ix->relation, ix->idxname);
	} else if (n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT) {
		const PgQuery__ReindexStmt *r = n->reindex_stmt;
		if (r->relation && reindex_concurrently(r)) {
			if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX)
				rc = set_target(t, TARGET_REINDEX_INDEX, r->relation, NULL);
			else if (r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE)
				rc = set_target(t, TARGET_REINDEX_TABLE, r->relation, NULL);
		}
	}
out:
	if (res)
		pg_query__parse_result__free_unpacked(res, NULL);
	pg_query_free_protobuf_parse_result(pb);
	return rc;
}

/* The relation a statement names, as to_regclass() resolves it: schema-qualified when the
 * statement qualified it, else through search_path. */
#define REGCLASS_ARG \
	"pg_catalog.to_regclass(CASE WHEN $1 = '' THEN pg_catalog.quote_ident($2)" \
	" ELSE pg_catalog.quote_ident($1) || '.' || pg_catalog.quote_ident($2) END)"

/* The INVALID index a failed CREATE INDEX CONCURRENTLY of $3 on table $1.$2 left. */
static const char cic_sql[] =
	"SELECT n.nspname, c.relname"
	" FROM pg_catalog.pg_index i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE i.indrelid = " REGCLASS_ARG
	" AND c.relname = $3 AND c.relkind = 'i' AND NOT i.indisvalid";

/* The INVALID <index>_ccnew[N] / _ccold[N] indexes a failed REINDEX INDEX CONCURRENTLY of
 * $1.$2 left on its table. The name part before the suffix may be truncated to fit
 * NAMEDATALEN, so it only has to be a prefix of the index's name. */
static const char reindex_index_sql[] =
	"SELECT n.nspname, c.relname"
	" FROM pg_catalog.pg_index t"
	" JOIN pg_catalog.pg_class tc ON tc.oid = t.indexrelid"
	" JOIN pg_catalog.pg_index i ON i.indrelid = t.indrelid AND i.indexrelid <> t.indexrelid"
	" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE t.indexrelid = " REGCLASS_ARG
	" AND c.relkind = 'i' AND NOT i.indisvalid"
	" AND pg_catalog.starts_with(tc.relname,"
	" pg_catalog.substring(c.relname, '^(.+)_cc(?:new|old)[0-9]*$'))"
	" ORDER BY c.relname";

/* The same for a REINDEX TABLE CONCURRENTLY of $1.$2: leftovers of any of its indexes. */
static const char reindex_table_sql[] =
	"SELECT n.nspname, c.relname"
	" FROM pg_catalog.pg_index i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE i.indrelid = " REGCLASS_ARG
	" AND c.relkind = 'i' AND NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'"
	" ORDER BY c.relname";

static int find_leftovers(struct rt_db *db, const struct target *t, PGresult **out)
{
	const char *params[3] = { t->schema, t->relname, t->index };

	switch (t->kind) {
	case TARGET_CIC:
		return rt_pg_exec_params(db, cic_sql, 3, params, out);
	case TARGET_REINDEX_INDEX:
		return rt_pg_exec_params(db, reindex_index_sql, 2, params, out);
	case TARGET_REINDEX_TABLE:
		return rt_pg_exec_params(db, reindex_table_sql, 2, params, out);
	case TARGET_NONE:
		break;
	}
	*out = NULL;
	return 0;
}

static int drop_index(struct rt_db *db, const char *schema, const char *name)
{
	PGconn *conn = rt_pg_conn(db);
	char *qs = PQescapeIdentifier(conn, schema, strlen(schema));
	char *qn = PQescapeIdentifier(conn, name, strlen(name));
	char *sql = NULL;
	PGresult *res = NULL;
	int rc;

	if (!qs || !qn) {
		rc = rt_error_set(RT_ENOMEM, "out of memory");
		goto out;
	}
	sql = rt_asprintf("DROP INDEX CONCURRENTLY IF EXISTS %s.%s", qs, qn);
	if (!sql) {
		rc = RT_ENOMEM;
		goto out;
	}
	rc = rt_pg_exec_params(db, sql, 0, NULL, &res);
	if (rc < 0)
		rt_error_prefix("cannot drop invalid index \"%s\".\"%s\"", schema, name);
out:
	PQclear(res);
	free(sql);
	PQfreemem(qs);
	PQfreemem(qn);
	return rc;
}

/* A VALID index $3 on table $1.$2: what a CREATE INDEX CONCURRENTLY that completed left. */
static const char cic_done_sql[] =
	"SELECT n.nspname, c.relname"
	" FROM pg_catalog.pg_index i"
	" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
	" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	" WHERE i.indrelid = " REGCLASS_ARG
	" AND c.relname = $3 AND c.relkind = 'i' AND i.indisvalid";

int rt_pg_before_exec(struct rt_db *db, const struct rt_stmt *stmt, int resuming)
{
	struct target t;
	PGresult *res = NULL;
	int rc;

	/* DROP INDEX CONCURRENTLY cannot run inside a transaction block. */
	if (PQtransactionStatus(rt_pg_conn(db)) != PQTRANS_IDLE)
		return 0;
	rc = parse_target(stmt->sql, &t);
	if (rc < 0 || t.kind == TARGET_NONE)
		return rc;
	if (resuming && t.kind == TARGET_CIC) {
		/* the interrupted run may have finished the build before it died */
		const char *params[3] = { t.schema, t.relname, t.index };
		rc = rt_pg_exec_params(db, cic_done_sql, 3, params, &res);
		if (rc == 0 && PQntuples(res) > 0) {
			rt_pg_notify(db, NULL, "index \"%s\".\"%s\" exists and is valid: the interrupted run "
			             "built it; not building it again", PQgetvalue(res, 0, 0),
			             PQgetvalue(res, 0, 1));
			rc = 1;
		}
		PQclear(res);
		res = NULL;
		if (rc != 0) {
			target_release(&t);
			return rc;
		}
	}
	rc = find_leftovers(db, &t, &res);
	for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
		const char *schema = PQgetvalue(res, r, 0), *name = PQgetvalue(res, r, 1);
		rc = drop_index(db, schema, name);
		if (rc < 0)
			break;
		if (t.kind == TARGET_CIC)
			rt_pg_notify(db, NULL, "dropped invalid index \"%s\".\"%s\" left by an earlier "
			             "failed CREATE INDEX CONCURRENTLY; building it again", schema, name);
		else
			rt_pg_notify(db, NULL, "dropped invalid index \"%s\".\"%s\" left by an earlier "
			             "failed REINDEX CONCURRENTLY", schema, name);
	}
	PQclear(res);
	target_release(&t);
	return rc;
}

/* A copy of the error slot, so that after_error can give back the statement's failure
 * whatever its own queries do to the slot. Plain strdup, like error.c: the failure-
 * injecting allocator would overwrite the very error being kept. */
struct saved_error {
	int code, line, db_code, signal;
	char sqlstate[8];
	char *message, *detail, *hint, *file, *context;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void error_save(struct saved_error *s)
{
	const struct rt_error *e = rt_error_last();

	s->code = e->code;
	s->line = e->line;
	s->db_code = e->db_code;
	s->signal = e->signal;
	memcpy(s->sqlstate, e->sqlstate, sizeof(s->sqlstate));
	s->message = dup_or_null(e->message);
	s->detail = dup_or_null(e->detail);
	s->hint = dup_or_null(e->hint);
	s->file = dup_or_null(e->file);
	s->context = dup_or_null(e->context);
}

/* Puts the saved error back, with detail instead of the saved one; frees s. */
static void error_restore(struct saved_error *s, const char *detail)
{
	rt_error_set(s->code, "%s", s->message ? s->message : "out of memory");
	rt_error_set_location(s->file, s->line);
	rt_error_set_sqlstate(s->sqlstate);
	rt_error_set_db_code(s->db_code);
	rt_error_set_signal(s->signal);
	if (detail)
		rt_error_set_detail("%s", detail);
	if (s->hint)
		rt_error_set_hint("%s", s->hint);
	if (s->context)
		rt_error_set_context(s->context);
	free(s->message);
	free(s->detail);
	free(s->hint);
	free(s->file);
	free(s->context);
}

void rt_pg_after_error(struct rt_db *db, const struct rt_stmt *stmt)
{
	struct saved_error saved;
	struct target t;
	PGresult *res = NULL;
	char *detail = NULL;

	/* Only in autocommit on a live connection: in an aborted transaction every query fails. */
	if (PQstatus(rt_pg_conn(db)) != CONNECTION_OK ||
	    PQtransactionStatus(rt_pg_conn(db)) != PQTRANS_IDLE)
		return;
	error_save(&saved);
	if (parse_target(stmt->sql, &t) == 0 && t.kind == TARGET_CIC &&
	    find_leftovers(db, &t, &res) == 0 && PQntuples(res) > 0) {
		const char *s = PQgetvalue(res, 0, 0), *n = PQgetvalue(res, 0, 1);
		if (saved.detail)
			detail = rt_asprintf("%s The failed build left index \"%s\".\"%s\" INVALID; retort "
			                     "drops and rebuilds it on the next run.", saved.detail, s, n);
		else
			detail = rt_asprintf("The failed build left index \"%s\".\"%s\" INVALID; retort "
			                     "drops and rebuilds it on the next run.", s, n);
	}
	PQclear(res);
	target_release(&t);
	error_restore(&saved, detail ? detail : saved.detail);
	free(detail);
}

int rt_pg_check(struct rt_db *db, struct rt_diags *diags)
{
	static const char sql[] =
		"SELECT n.nspname, c.relname, t.relname"
		" FROM pg_catalog.pg_index i"
		" JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
		" JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
		" JOIN pg_catalog.pg_class t ON t.oid = i.indrelid"
		" WHERE NOT i.indisvalid AND c.relkind = 'i'"
		" ORDER BY 1, 2";
	PGresult *res;
	int rc = rt_pg_exec_params(db, sql, 0, NULL, &res);

	for (int r = 0; rc == 0 && r < PQntuples(res); r++)
		rc = rt_diags_add(diags, RT_SEV_ERROR, "invalid-index", NULL, 0, INVALID_INDEX_HINT,
		                  "index \"%s\".\"%s\" on table \"%s\" is INVALID", PQgetvalue(res, r, 0),
		                  PQgetvalue(res, r, 1), PQgetvalue(res, r, 2));
	PQclear(res);
	return rc;
}

int rt_pg_build_left_invalid(struct rt_db *db, const struct rt_stmt *st)
{
	struct target t;
	PGresult *res = NULL;
	int left = 0;

	if (PQstatus(rt_pg_conn(db)) != CONNECTION_OK || PQtransactionStatus(rt_pg_conn(db)) != PQTRANS_IDLE)
		return 0;
	if (parse_target(st->sql, &t) == 0 && t.kind == TARGET_CIC && find_leftovers(db, &t, &res) == 0)
		left = PQntuples(res) > 0;
	PQclear(res);
	target_release(&t);
	return left;
}
