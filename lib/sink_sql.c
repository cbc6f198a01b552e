/*
 * sink_sql.c - the runner's sink that prints a SQL script for the database's own client
 * (see sink.h): sqlite3, or psql with ON_ERROR_STOP.
 *
 * Every statement is printed with its ';'. A bookkeeping statement that must change
 * exactly one row is printed with the check after it (sql_offline.c), so the script stops
 * where the online run would fail. COPY data follows its statement up to "\." as psql
 * reads it. A statement whose text holds the database password (through a variable) is
 * refused rather than printed: a script is read and kept by people.
 */
#include <string.h>
#include "internal.h"
#include "dialect.h"
#include "sink.h"

static struct rt_sink_sql *from_sink(struct rt_sink *s)
{
	return (struct rt_sink_sql *)s;
}

int rt_sink_sql_emit(struct rt_sink_sql *s, const char *text)
{
	return s->w->write(s->w->ctx, text, strlen(text));
}

static int emit_line(struct rt_sink *s, const char *text)
{
	struct rt_sink_sql *q = from_sink(s);
	int rc = rt_sink_sql_emit(q, text);

	return rc ? rc : rt_sink_sql_emit(q, ";\n");
}

static int sql_begin(struct rt_sink *s)
{
	return emit_line(s, rt_sql_begin(s->dialect));
}

static int sql_commit(struct rt_sink *s)
{
	return emit_line(s, "COMMIT");
}

static void sql_rollback(struct rt_sink *s)
{
	(void)s;
}

static int secret_refused(const struct rt_config *cfg, const struct rt_stmt *st)
{
	const char *var = NULL;

	if (!rt_secret_in(st->sql) && !(st->copy_data && rt_secret_in(st->copy_data)))
		return 0;
	for (size_t i = 0; i < cfg->nvars && !var; i++)
		if (rt_secret_in(cfg->vars[i].value))
			var = cfg->vars[i].name;
	rt_error_set(RT_EINPUT, "%s:%d: this statement would print the database password into the script%s%s%s",
	             st->path, st->line, var ? " (through variable '" : "", var ? var : "", var ? "')" : "");
	rt_error_set_location(st->path, st->line);
	rt_error_set_hint("Offline scripts are read and kept by people. Leave the password out of the "
	                  "SQL (e.g. let psql supply it with \\set), or run this revision online.");
	return RT_EINPUT;
}

/* psql reads COPY data from the script, as it reads pg_dump's */
static int emit_copy_data(struct rt_sink_sql *q, const struct rt_stmt *st)
{
	int rc = q->w->write(q->w->ctx, st->copy_data, st->copy_len);

	if (rc == 0 && st->copy_len > 0 && st->copy_data[st->copy_len - 1] != '\n')
		rc = rt_sink_sql_emit(q, "\n");
	return rc ? rc : rt_sink_sql_emit(q, "\\.\n");
}

static int sql_user(struct rt_sink *s, const struct rt_stmt *st, int resuming)
{
	int rc;

	(void)resuming;
	if ((rc = secret_refused(s->cfg, st)) < 0 || (rc = emit_line(s, st->sql)) < 0)
		return rc;
	return st->copy_data ? emit_copy_data(from_sink(s), st) : 0;
}

static int sql_meta(struct rt_sink *s, const char *guard, const char *sql, const char *what)
{
	struct rt_buf b = RT_BUF_INIT;
	int rc;

	if (what)
		rt_sql_checked_after(&b, s->dialect, guard, sql, what);
	else
		rt_buf_addf(&b, "%s%s%s", guard ? guard : "", guard ? "; " : "", sql);
	rc = rt_buf_status(&b) < 0 ? RT_ENOMEM : emit_line(s, b.ptr);
	rt_buf_release(&b);
	return rc;
}

static int sql_comment(struct rt_sink *s, const char *text)
{
	return rt_sink_sql_emit(from_sink(s), text);
}

static void sql_notice(struct rt_sink *s, const char *message)
{
	(void)s;
	(void)message;
}

static int sql_resume(struct rt_sink *s, const struct rt_step *st, size_t *from, int *resuming)
{
	(void)s;
	(void)st;
	*from = 0;
	*resuming = 0;
	return 0;
}

static int sql_retryable(struct rt_sink *s)
{
	(void)s;
	return 0;
}

static void sql_after_failure(struct rt_sink *s, const char *sql)
{
	(void)s;
	(void)sql;
}

static const char *sql_session_extra(struct rt_sink *s)
{
	(void)s;
	return NULL;
}

static int sql_settle_unfinished(struct rt_sink *s)
{
	(void)s;
	return 0;
}

static const struct rt_sink_ops sql_ops = {
	sql_begin, sql_commit, sql_rollback, sql_user, sql_meta, sql_comment, sql_notice,
	sql_resume, sql_retryable, sql_after_failure, sql_session_extra, sql_settle_unfinished,
};

void rt_sink_sql_init(struct rt_sink_sql *s, enum rt_dialect d, const struct rt_config *cfg,
                      const struct rt_writer *w)
{
	memset(s, 0, sizeof(*s));
	s->base.ops = &sql_ops;
	s->base.dialect = d;
	s->base.cfg = cfg;
	s->w = w;
}
