/*
 * backend_sqlite.c - the SQLite backend (rt_sqlite_ops), through libsqlite3.
 *
 * db.c opens it for sqlite: URLs. A connection is one sqlite3 handle on the file the URL
 * names, with the configured busy timeout and a progress handler that aborts the
 * statement in progress once rt_interrupt() has recorded a signal. The migration lock is
 * a flock() on a second descriptor of the database file: it is independent of SQLite's
 * own fcntl() locks, lasts the whole run, and dies with the process, so a killed run
 * never leaves a stale lock behind. A read-only open of a file that does not exist
 * creates nothing and reads as an empty database.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>
#include "backend.h"
#include "internal.h"

#define PROGRESS_STEPS 1000     /* VM steps between two looks at rt_interrupted() */
#define CONTEXT_LINES 10        /* lines of a failed statement kept in the error context */
#define LOCK_POLL_FIRST_MS 20
#define LOCK_POLL_MAX_MS 250
#define STACK_COLS 16

struct sqlite_db {
	struct rt_db base; /* first: the ops see a struct rt_db */
	sqlite3 *h;        /* NULL when base.missing */
	char *path;        /* the file, or ":memory:" */
	char *desc;
	int memory;
	int lock_fd;       /* holds the migration lock; -1 when not held */
	int created;       /* this connection created the file (removed again if left empty) */
	int oflags;        /* how h was opened, to open it again */
};

static struct sqlite_db *from_db(struct rt_db *db)
{
	return (struct sqlite_db *)db;
}

static int interrupted_error(int sig)
{
	rt_error_set(RT_EINTERRUPTED, "interrupted by signal %d", sig);
	rt_error_set_signal(sig);
	return RT_EINTERRUPTED;
}

/* SQLite calls this every PROGRESS_STEPS VM steps; non-zero aborts with SQLITE_INTERRUPT. */
static int progress(void *arg)
{
	(void)arg;
	return rt_interrupted() != 0;
}

/* 1 when fd and path are the same file: nobody removed or replaced it. */
static int same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* A run that created the database and then failed before writing anything (a bad target,
 * a bad script) leaves no empty file behind. Only under the lock, so that no other run is
 * using it; a run that opened it meanwhile sees it vanish and opens it again (sq_lock). */
static void remove_if_created_empty(struct sqlite_db *s)
{
	struct stat st;
	int fd = s->lock_fd >= 0 ? s->lock_fd : open(s->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if ((s->lock_fd >= 0 || flock(fd, LOCK_EX | LOCK_NB) == 0) && fstat(fd, &st) == 0 &&
	    st.st_size == 0 && same_file(fd, s->path))
		unlink(s->path);
	if (fd != s->lock_fd)
		close(fd);
}

static void sq_close(struct rt_db *db)
{
	struct sqlite_db *s = from_db(db);

	if (!s)
		return;
	if (s->h)
		sqlite3_close_v2(s->h);
	if (s->created && s->h)
		remove_if_created_empty(s);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s->desc);
	free(s);
}

/* A missing parent directory gets a message of its own instead of SQLite's "unable to
 * open database file". */
static int check_parent_dir(const char *path)
{
	char *dir = rt_path_dirname(path);
	int rc = 0;

	if (!dir)
		return RT_ENOMEM;
	if (!rt_path_is_dir(dir))
		rc = rt_error_set(RT_EDB, "cannot open database '%s': directory '%s' does not exist",
		                  path, dir);
	free(dir);
	return rc;
}

static int open_handle(struct sqlite_db *s)
{
	long busy = s->base.cfg->sqlite.busy_timeout_ms;
	int rc = sqlite3_open_v2(s->path, &s->h, s->oflags, NULL);

	if (rc != SQLITE_OK) {
		rt_error_set(RT_EDB, "cannot open database '%s': %s", s->path,
		             s->h ? sqlite3_errmsg(s->h) : sqlite3_errstr(rc));
		rt_error_set_db_code(s->h ? sqlite3_extended_errcode(s->h) : rc);
		sqlite3_close_v2(s->h);
		s->h = NULL;
		return RT_EDB;
	}
	sqlite3_extended_result_codes(s->h, 1);
	sqlite3_busy_timeout(s->h, busy < 0 ? 0 : busy > INT_MAX ? INT_MAX : (int)busy);
	sqlite3_progress_handler(s->h, PROGRESS_STEPS, progress, NULL);
	return 0;
}

static int sq_open(struct rt_db **out, const struct rt_config *cfg, unsigned flags)
{
	struct sqlite_db *s;
	int readonly = (flags & RT_DB_READONLY) != 0;
	int rc;

	*out = NULL;
	if (!cfg->url) {
		rt_error_set(RT_EUSAGE, "no database URL configured");
		rt_error_set_hint("Set database.url in retort.yaml, or pass --url, or set RETORT_DATABASE_URL.");
		return RT_EUSAGE;
	}
	s = rt_calloc(1, sizeof(*s));
	if (!s)
		return RT_ENOMEM;
	s->base.ops = &rt_sqlite_ops;
	s->base.cfg = cfg;
	s->base.flags = flags;
	s->lock_fd = -1;
	rc = rt_sqlite_url_path(cfg->url, cfg->url_dir, &s->path);
	if (rc < 0)
		goto fail;
	s->memory = strcmp(s->path, ":memory:") == 0;
	s->desc = rt_asprintf("sqlite database '%s'", s->path);
	if (!s->desc) {
		rc = RT_ENOMEM;
		goto fail;
	}

	if (!s->memory && readonly) {
		struct stat st;
		if (stat(s->path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			s->base.missing = 1;
			*out = &s->base;
			return 0;
		}
	} else if (!s->memory) {
		struct stat st;
		rc = check_parent_dir(s->path);
		if (rc < 0)
			goto fail;
		s->created = stat(s->path, &st) < 0 && errno == ENOENT;
	}

	s->oflags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if ((rc = open_handle(s)) < 0)
		goto fail;
	*out = &s->base;
	return 0;

fail:
	sq_close(&s->base);
	return rc;
}

/* ------------------------------------------------------------------------------------
 * The migration lock
 * ------------------------------------------------------------------------------------ */

/* The pid holding an flock() write lock on the file of st, from /proc/locks; 0 when it
 * cannot be told. Lines look like "1: FLOCK  ADVISORY  WRITE 4095 fe:00:10952939 0 EOF". */
static long lock_holder(const struct stat *st)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	long found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char type[16], mode[16];
		unsigned maj, min;
		unsigned long ino;
		long pid;

		if (sscanf(line, "%*d: %15s %*15s %15s %ld %x:%x:%lu", type, mode, &pid, &maj, &min,
		           &ino) != 6)
			continue; /* also skips the "-> FLOCK ..." lines of blocked waiters */
		if (strcmp(type, "FLOCK") == 0 && strcmp(mode, "WRITE") == 0 && pid > 0 &&
		    maj == major(st->st_dev) && min == minor(st->st_dev) && ino == (unsigned long)st->st_ino)
			found = pid;
	}
	fclose(f);
	return found;
}

static int notify_waiting(const struct sqlite_db *s, int fd)
{
	struct stat st;
	long pid = fstat(fd, &st) == 0 ? lock_holder(&st) : 0;
	char *msg;

	if (!s->base.notice_fn)
		return 0;
	if (pid > 0)
		msg = rt_asprintf("waiting for the migration lock on '%s' held by another retort run (pid %ld)",
		                  s->path, pid);
	else
		msg = rt_asprintf("waiting for the migration lock on '%s' held by another retort run",
		                  s->path);
	if (!msg)
		return RT_ENOMEM;
	s->base.notice_fn(s->base.notice_ctx, msg);
	free(msg);
	return 0;
}

static int sq_lock(struct rt_db *db, long wait_ms)
{
	struct sqlite_db *s = from_db(db);
	long delay = LOCK_POLL_FIRST_MS;
	double start = rt_now_ms();
	int fd, notified = 0, rc;

	if (s->memory || s->base.missing || s->lock_fd >= 0)
		return 0;
	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rt_error_set(RT_EIO, "cannot open '%s' for the migration lock: %s", s->path,
		                    strerror(errno));
	for (;;) {
		double elapsed;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (same_file(fd, s->path))
				break;
			/* the run that held the lock removed the empty file it had created: open
			 * the database (and create it) again */
			close(fd);
			sqlite3_close_v2(s->h);
			s->h = NULL;
			if ((rc = open_handle(s)) < 0)
				return rc;
			s->created = 1;
			if ((fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
				return rt_error_set(RT_EIO, "cannot open '%s' for the migration lock: %s", s->path,
				                    strerror(errno));
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = rt_error_set(RT_EIO, "cannot take the migration lock on '%s': %s", s->path,
			                  strerror(errno));
			goto fail;
		}
		if (rt_interrupted()) {
			rc = interrupted_error(rt_interrupted());
			goto fail;
		}
		if (!notified && wait_ms > 0) {
			rc = notify_waiting(s, fd);
			if (rc < 0)
				goto fail;
			notified = 1;
		}
		elapsed = rt_now_ms() - start;
		if (elapsed >= (double)wait_ms) {
			rt_error_set(RT_ELOCKED, "gave up after %g s waiting for the migration lock on '%s'",
			             (double)(wait_ms > 0 ? wait_ms : 0) / 1000.0, s->path);
			rt_error_set_hint("Another retort run is migrating this database; wait for it to "
			                  "finish, or raise lock_wait in retort.yaml.");
			rc = RT_ELOCKED;
			goto fail;
		}
		rt_sleep_ms(delay < wait_ms - (long)elapsed ? delay : wait_ms - (long)elapsed + 1);
		delay = delay * 2 > LOCK_POLL_MAX_MS ? LOCK_POLL_MAX_MS : delay * 2;
	}
	s->lock_fd = fd;
	return 0;

fail:
	close(fd);
	return rc;
}

static void sq_unlock(struct rt_db *db)
{
	struct sqlite_db *s = from_db(db);

	if (s->lock_fd < 0)
		return;
	flock(s->lock_fd, LOCK_UN);
	close(s->lock_fd);
	s->lock_fd = -1;
}

/* ------------------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------------------ */

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
		p++;
	return p;
}

/* p past blanks and comments: where the next statement's first token is. */
static const char *skip_comments(const char *p)
{
	for (p = skip_blank(p);; p = skip_blank(p)) {
		if (p[0] == '-' && p[1] == '-')
			p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*' && strstr(p + 2, "*/"))
			p = strstr(p + 2, "*/") + 2;
		else
			return p;
	}
}

static int count_lines(const char *from, const char *to)
{
	int n = 0;
	for (; from < to; from++)
		n += *from == '\n';
	return n;
}

/* Describes the failure of the statement text [stmt, end) that starts at line. */
static int stmt_error(struct sqlite_db *s, int rc, const char *stmt, const char *end,
                      const char *path, int line)
{
	const char *p = stmt;
	char *context, *message;
	int lines = 1;

	if ((rc & 0xff) == SQLITE_INTERRUPT && rt_interrupted()) {
		interrupted_error(rt_interrupted());
		rt_error_set_location(path, line);
		return RT_EINTERRUPTED;
	}
	while (end > stmt && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (; p < end; p++)
		if (*p == '\n' && ++lines > CONTEXT_LINES)
			break;
	/* SQLite's message and the statement may quote the password (a substituted
	 * variable): both are masked inside, before retort's text is put around them */
	context = rt_mask_span_plain(stmt, (size_t)(p - stmt), NULL);
	message = rt_mask_plain(sqlite3_errmsg(s->h));
	if (path)
		rt_error_set(RT_EDB, "%s:%d: %s", path, line, message ? message : "out of memory");
	else
		rt_error_set(RT_EDB, "%s", message ? message : "out of memory");
	free(message);
	rt_error_set_location(path, line);
	rt_error_set_db_code(sqlite3_extended_errcode(s->h));
	if (context)
		rt_error_set_context(context);
	if ((rc & 0xff) == SQLITE_BUSY)
		rt_error_set_hint("Another connection holds a write lock on the database; raise "
		                  "sqlite.busy_timeout in retort.yaml or stop the other writer.");
	free(context);
	return RT_EDB;
}

/* Steps a prepared statement to the end, handing rows to fn (when not NULL). *stop is set
 * when fn asked to stop. */
static int step_all(sqlite3_stmt *st, rt_row_fn fn, void *ctx, int *stop)
{
	const char *stack_vals[STACK_COLS];
	const char **vals = stack_vals;
	int ncols = sqlite3_column_count(st), rc;

	if (fn && ncols > STACK_COLS) {
		vals = rt_calloc((size_t)ncols, sizeof(*vals));
		if (!vals)
			return RT_ENOMEM;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!fn)
			continue;
		for (int i = 0; i < ncols; i++) {
			vals[i] = (const char *)sqlite3_column_text(st, i);
			if (!vals[i] && sqlite3_column_type(st, i) != SQLITE_NULL) {
				rc = rt_error_set(RT_ENOMEM, "out of memory");
				goto out;
			}
		}
		if (fn(ctx, ncols, vals)) {
			*stop = 1;
			rc = SQLITE_DONE;
			break;
		}
	}
out:
	if (vals != stack_vals)
		free(vals);
	return rc;
}

/* Runs every statement of sql: rows go to fn (may be NULL), changed rows add to *changes.
 * A revision's statement (path not NULL) must be a single statement. */
static int run(struct sqlite_db *s, const char *sql, const char *path, int line, rt_row_fn fn,
               void *ctx, long *changes)
{
	const char *first = skip_blank(sql), *cur = first;
	int stop = 0, ran = 0;

	if (changes)
		*changes = 0;
	while (*cur && !stop) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int stmt_line = line + count_lines(first, cur);
		sqlite3_int64 before = sqlite3_total_changes64(s->h);
		int rc = sqlite3_prepare_v2(s->h, cur, -1, &st, &tail);

		if (rc != SQLITE_OK)
			return stmt_error(s, rc, cur, cur + strlen(cur), path, stmt_line);
		if (!tail || tail <= cur)
			tail = cur + strlen(cur);
		if (!st) { /* only a comment */
			cur = skip_blank(tail);
			continue;
		}
		if (path && ran++ > 0) { /* a revision's statement is one statement */
			sqlite3_finalize(st);
			stmt_line = line + count_lines(first, skip_comments(cur));
			rt_error_set(RT_EDB, "%s:%d: more than one statement in one piece of SQL", path, stmt_line);
			rt_error_set_location(path, stmt_line);
			return RT_EDB;
		}
		rc = step_all(st, fn, ctx, &stop);
		if (rc == RT_ENOMEM) {
			sqlite3_finalize(st);
			return RT_ENOMEM;
		}
		if (rc != SQLITE_DONE) {
			rc = stmt_error(s, rc, cur, tail, path, stmt_line);
			sqlite3_finalize(st);
			return rc;
		}
		sqlite3_finalize(st);
		if (changes && sqlite3_total_changes64(s->h) != before)
			*changes += (long)sqlite3_changes64(s->h);
		cur = skip_blank(tail);
	}
	return 0;
}

static int sq_exec(struct rt_db *db, const char *sql, const char *path, int line, long *changes)
{
	struct sqlite_db *s = from_db(db);

	if (changes)
		*changes = 0;
	if (!s->h)
		return rt_error_set(RT_EDB, "database '%s' does not exist", s->path);
	return run(s, sql, path, line, NULL, NULL, changes);
}

static int sq_query(struct rt_db *db, const char *sql, rt_row_fn fn, void *ctx)
{
	struct sqlite_db *s = from_db(db);

	if (!s->h)
		return 0;
	return run(s, sql, NULL, 0, fn, ctx, NULL);
}

static int found_row(void *ctx, int ncols, const char *const *values)
{
	(void)ncols;
	(void)values;
	*(int *)ctx = 1;
	return 1;
}

static int sq_table_exists(struct rt_db *db, const char *schema, const char *table, int *out)
{
	struct sqlite_db *s = from_db(db);
	struct rt_buf sql = RT_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int found = 0, stop = 0, rc;

	*out = 0;
	if (!s->h)
		return 0;
	if (rt_buf_puts(&sql, "SELECT 1 FROM ") < 0)
		goto nomem;
	if (schema) {
		if (rt_buf_putc(&sql, '"') < 0)
			goto nomem;
		for (const char *p = schema; *p; p++)
			if ((*p == '"' && rt_buf_putc(&sql, '"') < 0) || rt_buf_putc(&sql, *p) < 0)
				goto nomem;
		if (rt_buf_puts(&sql, "\".") < 0)
			goto nomem;
	}
	if (rt_buf_puts(&sql, "sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE") < 0)
		goto nomem;

	rc = sqlite3_prepare_v2(s->h, sql.ptr, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = step_all(st, found_row, &found, &stop);
	if (rc == RT_ENOMEM) {
		sqlite3_finalize(st);
		rt_buf_release(&sql);
		return RT_ENOMEM;
	}
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		rc = stmt_error(s, rc, sql.ptr, sql.ptr + sql.len, NULL, 0);
	else
		rc = 0;
	sqlite3_finalize(st);
	rt_buf_release(&sql);
	*out = found;
	return rc;

nomem:
	rt_buf_release(&sql);
	return RT_ENOMEM;
}

static const char *sq_describe(struct rt_db *db)
{
	return from_db(db)->desc;
}

const struct rt_db_ops rt_sqlite_ops = {
	.version = RT_DB_OPS_VERSION,
	.name = "sqlite",
	.dialect = RT_DIALECT_SQLITE,
	.open = sq_open,
	.close = sq_close,
	.lock = sq_lock,
	.unlock = sq_unlock,
	.exec = sq_exec,
	.query = sq_query,
	.table_exists = sq_table_exists,
	.describe = sq_describe,
};
