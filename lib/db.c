/*
 * db.c - opening a database through the backend its URL names (wrapped in the fault
 * backend when a test armed it), and reading retort's own tables (version rows, history)
 * through any backend.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"

static const struct rt_db_ops *const backends[] = { &rt_sqlite_ops, &rt_postgresql_ops };

int rt_db_open(struct rt_db **out, const struct rt_config *cfg, unsigned flags)
{
	enum rt_dialect d;
	int rc;

	*out = NULL;
	if (!cfg->url) {
		rt_error_set(RT_EUSAGE, "no database URL configured");
		rt_error_set_hint("Set database.url in retort.yaml, pass --url, or set RETORT_DATABASE_URL.");
		return RT_EUSAGE;
	}
	if ((rc = rt_url_dialect(cfg->url, &d)) < 0)
		return rc;
	for (size_t i = 0; i < RT_ARRAY_LEN(backends); i++)
		if (backends[i]->dialect == d)
			return (rc = backends[i]->open(out, cfg, flags)) < 0 ? rc : rt_fault_wrap(out);
	return rt_error_set(RT_EINPUT, "no backend for this database URL");
}

void rt_db_close(struct rt_db *db)
{
	if (db)
		db->ops->close(db);
}

void rt_db_set_notice(struct rt_db *db, void (*fn)(void *ctx, const char *message), void *ctx)
{
	db->notice_fn = fn;
	db->notice_ctx = ctx;
}

int rt_db_exists(const struct rt_db *db)
{
	return !db->missing;
}

const char *rt_db_describe(struct rt_db *db)
{
	return db->ops->describe(db);
}

static int version_table_exists(struct rt_db *db, int history, int *exists)
{
	const struct rt_config *cfg = db->cfg;
	return db->ops->table_exists(db, cfg->version_table_schema,
	                             history ? cfg->history_table : cfg->version_table, exists);
}

struct heads_ctx {
	struct rt_strlist *out;
	int failed;
};

static int collect_head(void *ctx, int ncols, const char *const *values)
{
	struct heads_ctx *h = ctx;
	if (ncols < 1 || !values[0])
		return 0;
	if (rt_strlist_push(h->out, values[0]) < 0) {
		h->failed = 1;
		return -1;
	}
	return 0;
}

int rt_db_heads(struct rt_db *db, struct rt_strlist *out)
{
	struct rt_buf sql = RT_BUF_INIT;
	int exists = 0, rc;

	if ((rc = version_table_exists(db, 0, &exists)) < 0 || !exists)
		return rc;
	struct heads_ctx h = { out, 0 };
	if ((rc = rt_sql_select_heads(&sql, db->ops->dialect, db->cfg)) == 0)
		rc = db->ops->query(db, sql.ptr, collect_head, &h);
	rt_buf_release(&sql);
	if (rc == 0 && h.failed)
		rc = RT_ENOMEM;
	return rc;
}

struct history_ctx {
	struct rt_history_row *rows;
	size_t n, cap;
	int failed;
};

static char *dup_or_null(const char *s, int *failed)
{
	char *c;
	if (!s)
		return NULL;
	if (!(c = rt_strdup(s)))
		*failed = 1;
	return c;
}

enum rt_run_status rt_run_status_of(const char *text)
{
	static const char *const names[] = { "running", "applied", "failed", "resolved" };

	for (size_t i = 0; text && i < RT_ARRAY_LEN(names); i++)
		if (strcmp(text, names[i]) == 0)
			return (enum rt_run_status)i;
	return RT_RUN_UNKNOWN;
}

int rt_direction_of(const char *text)
{
	for (int d = RT_UPGRADE; text && d <= RT_STAMP; d++)
		if (strcmp(text, rt_direction_name((enum rt_direction)d)) == 0)
			return d;
	return -1;
}

static int collect_history(void *ctx, int ncols, const char *const *v)
{
	struct history_ctx *h = ctx;
	struct rt_history_row *r;

	if (ncols < 11)
		return 0;
	if (rt_grow_array(&h->rows, &h->cap, h->n + 1, sizeof(*h->rows)) < 0) {
		h->failed = 1;
		return -1;
	}
	r = &h->rows[h->n++];
	memset(r, 0, sizeof(*r));
	r->id = v[0] ? strtoll(v[0], NULL, 10) : 0;
	r->revision = dup_or_null(v[1] ? v[1] : "", &h->failed);
	r->direction = dup_or_null(v[2] ? v[2] : "", &h->failed);
	r->status = dup_or_null(v[3] ? v[3] : "", &h->failed);
	r->checksum = dup_or_null(v[4], &h->failed);
	r->started_at = dup_or_null(v[5] ? v[5] : "", &h->failed);
	r->finished_at = dup_or_null(v[6], &h->failed);
	r->duration_ms = v[7] ? strtod(v[7], NULL) : -1;
	r->retort_version = dup_or_null(v[8] ? v[8] : "", &h->failed);
	r->statement_index = v[9] ? atoi(v[9]) : -1;
	r->run = rt_run_status_of(r->status);
	r->dir = rt_direction_of(r->direction);
	r->error = dup_or_null(v[10], &h->failed);
	return h->failed ? -1 : 0;
}

void rt_history_rows_free(struct rt_history_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].revision);
		free(rows[i].direction);
		free(rows[i].status);
		free(rows[i].checksum);
		free(rows[i].started_at);
		free(rows[i].finished_at);
		free(rows[i].retort_version);
		free(rows[i].error);
	}
	free(rows);
}

/* unfinished: the rows of rt_db_unfinished() instead */
static int read_history(struct rt_db *db, const char *revision, const struct rt_strlist *latest,
                        int unfinished, struct rt_history_row **out, size_t *nout)
{
	struct rt_buf sql = RT_BUF_INIT;
	struct history_ctx h = { NULL, 0, 0, 0 };
	int exists = 0, rc;

	*out = NULL;
	*nout = 0;
	if ((rc = version_table_exists(db, 1, &exists)) < 0 || !exists)
		return rc;
	rc = unfinished ? rt_sql_select_unfinished(&sql, db->ops->dialect, db->cfg)
	                : rt_sql_select_history(&sql, db->ops->dialect, db->cfg, revision, latest);
	if (rc == 0)
		rc = db->ops->query(db, sql.ptr, collect_history, &h);
	rt_buf_release(&sql);
	if (rc == 0 && h.failed)
		rc = RT_ENOMEM;
	if (rc < 0) {
		rt_history_rows_free(h.rows, h.n);
		return rc;
	}
	*out = h.rows;
	*nout = h.n;
	return 0;
}

int rt_db_history(struct rt_db *db, const char *revision, struct rt_history_row **out, size_t *nout)
{
	return read_history(db, revision, NULL, 0, out, nout);
}

int rt_db_history_latest(struct rt_db *db, const struct rt_strlist *revisions,
                         struct rt_history_row **out, size_t *nout)
{
	static const struct rt_strlist none = RT_STRLIST_INIT;
	return read_history(db, NULL, revisions ? revisions : &none, 0, out, nout);
}

int rt_db_unfinished(struct rt_db *db, struct rt_history_row **out, size_t *nout)
{
	return read_history(db, NULL, NULL, 1, out, nout);
}

static int found_row(void *ctx, int ncols, const char *const *values)
{
	(void)ncols;
	(void)values;
	*(int *)ctx = 1;
	return 1;
}

int rt_db_upgrade_history(struct rt_db *db)
{
	static const char *const added[] = { "statement_checksums", "position" };
	struct rt_buf b = RT_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < RT_ARRAY_LEN(added) && rc == 0; i++) {
		int found = 0;
		rt_buf_clear(&b);
		if ((rc = rt_sql_history_has_column(&b, db->ops->dialect, db->cfg, added[i])) == 0)
			rc = db->ops->query(db, b.ptr, found_row, &found);
		rt_buf_clear(&b);
		if (rc == 0 && !found && (rc = rt_sql_history_add_column(&b, db->ops->dialect, db->cfg, added[i])) == 0)
			rc = db->ops->exec(db, b.ptr, NULL, 0, NULL);
	}
	rt_buf_release(&b);
	return rc;
}
