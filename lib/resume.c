/*
 * resume.c - revisions that run statement by statement and stopped part-way: where a rerun
 * resumes, which plans may run meanwhile, and the digests that tell whether the statements
 * that already ran are still the ones in the file.
 *
 * Such a revision records in its history row how many statements completed and, for each
 * of them, a digest of its text (statement_checksums). A rerun of the same revision and
 * direction resumes after the completed ones. The statement it stopped at runs again when
 * the earlier run reported its failure (a failed statement changed nothing, or left an
 * invalid index that before_exec drops), or when it is safe to repeat (IF [NOT] EXISTS,
 * CONCURRENTLY builds); otherwise the run was killed while that statement ran and nobody
 * knows whether it took effect: the DBA checks and says so with `retort resolve`. A file
 * edited since is accepted when every statement that ran is unchanged (a warning says so).
 * A stamp settles an unfinished run; the SQL of rt_db_unfinished() says which are.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"
#include "dialect.h"

static void notice(const struct rt_run_events *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(const struct rt_run_events *ev, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ev || !ev->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ev->notice(ev->ctx, msg);
}

int rt_stmt_digest(const struct rt_stmt *s, char out[RT_STMT_DIGEST_LEN + 1])
{
	char hex[65];
	struct rt_buf b = RT_BUF_INIT;
	int rc = rt_buf_add(&b, s->sql, s->len);

	if (rc == 0 && s->copy_data)
		rc = rt_buf_add(&b, s->copy_data, s->copy_len);
	if (rc == 0)
		rc = rt_sha256_hex(b.ptr, b.len, hex);
	rt_buf_release(&b);
	if (rc < 0)
		return rc;
	memcpy(out, hex, RT_STMT_DIGEST_LEN);
	out[RT_STMT_DIGEST_LEN] = '\0';
	return 0;
}

int rt_stmt_digests(const struct rt_section *sec, size_t n, struct rt_buf *out)
{
	char d[RT_STMT_DIGEST_LEN + 1];
	int rc = 0;

	for (size_t i = 0; i < n && i < sec->n && rc == 0; i++)
		if ((rc = rt_stmt_digest(&sec->stmts[i], d)) == 0)
			rc = rt_buf_addf(out, "%s%s", i ? " " : "", d);
	return rc;
}

const char *rt_direction_name(enum rt_direction d)
{
	return d == RT_UPGRADE ? "upgrade" : d == RT_DOWNGRADE ? "downgrade" : "stamp";
}

const struct rt_section *rt_step_section(const struct rt_step *st)
{
	return st->direction == RT_UPGRADE ? &st->rev->script->upgrade : &st->rev->script->downgrade;
}

int rt_db_unfinished_of(struct rt_db *db, const char *revision, struct rt_history_row **out)
{
	struct rt_history_row *rows = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = rt_db_unfinished(db, &rows, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(rows[i].revision, revision) != 0)
			continue;
		if (!(*out = rt_calloc(1, sizeof(**out)))) {
			rc = RT_ENOMEM;
			break;
		}
		**out = rows[i];
		memset(&rows[i], 0, sizeof(rows[i]));
		break;
	}
	rt_history_rows_free(rows, n);
	return rc;
}

/* What a statement-by-statement run recorded of its progress besides statement_index:
 * the digests of the statements it completed, and its position (either NULL: older rows). */
struct progress {
	char *digests;
	char *position;
	int failed;
};

static int take_progress(void *ctx, int ncols, const char *const *v)
{
	struct progress *p = ctx;

	if (ncols >= 1 && v[0] && !(p->digests = rt_strdup(v[0])))
		p->failed = 1;
	if (ncols >= 2 && v[1] && !(p->position = rt_strdup(v[1])))
		p->failed = 1;
	return 1;
}

static int read_progress(struct rt_db *db, const struct rt_history_row *u, struct progress *p)
{
	struct rt_buf sql = RT_BUF_INIT;
	int rc = rt_sql_select_digests(&sql, db->ops->dialect, db->cfg, u->id);

	memset(p, 0, sizeof(*p));
	if (rc == 0)
		rc = db->ops->query(db, sql.ptr, take_progress, p);
	if (rc == 0 && p->failed)
		rc = RT_ENOMEM;
	rt_buf_release(&sql);
	return rc;
}

static void progress_release(struct progress *p)
{
	free(p->digests);
	free(p->position);
}

/* The 0-based index of the first of the k statements the earlier run completed whose text
 * changed since (k when none did), or -1 when it recorded no digests (an older retort). */
static int first_changed(const struct progress *p, const struct rt_section *sec, size_t k, long *changed)
{
	struct rt_buf now = RT_BUF_INIT;
	int rc = rt_stmt_digests(sec, k, &now);
	size_t i = 0;

	*changed = -1;
	if (rc == 0 && p->digests) {
		const char *a = p->digests, *b = now.ptr;
		/* digests are fixed-length words: compare them one by one */
		while (i < k && strlen(a) >= RT_STMT_DIGEST_LEN && strlen(b) >= RT_STMT_DIGEST_LEN &&
		       memcmp(a, b, RT_STMT_DIGEST_LEN) == 0) {
			i++;
			a += RT_STMT_DIGEST_LEN + (a[RT_STMT_DIGEST_LEN] == ' ');
			b += RT_STMT_DIGEST_LEN + (b[RT_STMT_DIGEST_LEN] == ' ');
		}
		*changed = (long)i;
	}
	rt_buf_release(&now);
	return rc;
}

/* The file changed since the earlier run u: fine when the k statements that ran did not. */
static int check_changed_file(const struct rt_step *st, const struct progress *p, size_t k,
                              const struct rt_run_events *ev)
{
	const struct rt_section *sec = rt_step_section(st);
	const char *dir = rt_direction_name(st->direction);
	long changed;
	int rc = first_changed(p, sec, k, &changed);

	if (rc < 0)
		return rc;
	if (changed == (long)k && k <= sec->n) {
		notice(ev, "%s changed since the earlier %s stopped, but only in statements that have not run "
		       "yet: resuming with the new text", st->rev->path, dir);
		return 0;
	}
	if (changed >= 0 && (size_t)changed < sec->n) {
		rt_error_set(RT_ESTATE, "%s:%d: statement %ld ran in an earlier %s of revision '%s', and the file "
		             "has changed it since", st->rev->path, sec->stmts[changed].line, changed + 1, dir,
		             st->rev->id);
		rt_error_set_location(st->rev->path, sec->stmts[changed].line);
	} else {
		rt_error_set(RT_ESTATE, "%s: an earlier %s of revision '%s' stopped after statement %zu, and the "
		             "file has changed since", st->rev->path, dir, st->rev->id, k);
	}
	rt_error_set_hint("Restore the statements that ran as they were (only those not yet run may "
	                  "change). Or check the database and record what is there with 'retort resolve "
	                  "%s --done', '--undone' or '--retry-from N'.", st->rev->id);
	return RT_ESTATE;
}

static int interrupted_refusal(const struct rt_step *st, size_t k)
{
	const struct rt_section *sec = rt_step_section(st);

	rt_error_set(RT_ESTATE, "%s:%d: an earlier %s of revision '%s' was interrupted during this statement, "
	             "and it is not safe to run twice", st->rev->path, sec->stmts[k].line,
	             rt_direction_name(st->direction), st->rev->id);
	rt_error_set_location(st->rev->path, sec->stmts[k].line);
	if (k == 0)
		rt_error_set_detail("No statement had completed; whether statement 1 took effect is unknown.");
	else
		rt_error_set_detail("Statements 1 to %zu completed; whether statement %zu took effect is unknown.",
		                    k, k + 1);
	rt_error_set_hint("Check the database. If statement %zu took effect, record it with 'retort resolve %s "
	                  "--retry-from %zu' (or '--done' if it was the last); if it did not, 'retort resolve %s "
	                  "--retry-from %zu'. Or write it with IF [NOT] EXISTS, which makes it safe to run again.",
	                  k + 1, st->rev->id, k + 2, st->rev->id, k + 1);
	return RT_ESTATE;
}

/* Where the earlier run u stopped. Its statement count says it for blocks of plain
 * statements, where the position only repeats it (and a DBA may have corrected the count
 * by hand); a position inside a block that repeats (iteration > 0) says more, and wins. */
static int stopped_at(const struct rt_step *st, const struct rt_history_row *u, const struct progress *p,
                      size_t *k)
{
	struct rt_position pos;
	int rc;

	*k = (size_t)u->statement_index;
	if (!p->position || rt_position_parse(p->position, &pos) < 0 || pos.iteration == 0) {
		rt_error_clear();
		return 0;
	}
	if ((rc = rt_section_flat(rt_step_section(st), &pos, k)) < 0) {
		rt_error_prefix("%s: an earlier %s of revision '%s' stopped part-way", st->rev->path,
		                rt_direction_name(st->direction), st->rev->id);
		rt_error_set_hint("The file no longer has the place it stopped at. Check the database and record "
		                  "what is there with 'retort resolve %s'.", st->rev->id);
	}
	return rc;
}

int rt_resume_point(struct rt_db *db, const struct rt_step *st, const struct rt_run_events *ev,
                    size_t *from, int *resuming)
{
	const struct rt_section *sec = rt_step_section(st);
	struct rt_history_row *u = NULL;
	struct progress p = { NULL, NULL, 0 };
	size_t k;
	int rc, running;

	*from = 0;
	*resuming = 0;
	if ((rc = rt_db_unfinished_of(db, st->rev->id, &u)) < 0 || !u ||
	    u->dir != (int)st->direction)
		goto out;
	running = u->run == RT_RUN_RUNNING;
	if ((rc = read_progress(db, u, &p)) < 0 || (rc = stopped_at(st, u, &p, &k)) < 0)
		goto out;
	if (!rt_script_checksum_is(st->rev->script, u->checksum) && (rc = check_changed_file(st, &p, k, ev)) < 0)
		goto out;
	if (k >= sec->n) {
		*from = sec->n;
		notice(ev, "revision '%s': every statement completed in an earlier run; recording it now", st->rev->id);
		goto out;
	}
	if (running && !(sec->stmts[k].flags & RT_STMT_IDEMPOTENT)) {
		rc = interrupted_refusal(st, k);
		goto out;
	}
	*from = k;
	*resuming = running;
	notice(ev, "resuming revision '%s' at statement %zu of %zu (line %d): an earlier run stopped there",
	       st->rev->id, k + 1, sec->n, sec->stmts[k].line);
out:
	progress_release(&p);
	rt_history_rows_free(u, u ? 1 : 0);
	return rc;
}

int rt_check_unfinished(struct rt_db *db, struct rt_plan *p)
{
	struct rt_history_row *rows = NULL;
	size_t n = 0;
	int rc;

	if ((rc = rt_db_unfinished(db, &rows, &n)) < 0)
		return rc;
	if (p->direction == RT_STAMP) {
		/* a stamp settles them, even to where the version rows already are */
		rc = n > 0 ? rt_plan_stamp_settle(p) : 0;
		rt_history_rows_free(rows, n);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct rt_history_row *u = &rows[i];
		int resumed = 0;
		for (size_t s = 0; s < p->n && !resumed; s++)
			resumed = p->steps[s].rev && strcmp(p->steps[s].rev->id, u->revision) == 0 &&
			          (int)p->steps[s].direction == u->dir;
		if (resumed)
			continue;
		rc = rt_error_set(RT_ESTATE,
		                  "revision '%s' was partly %sd by an earlier run (it stopped after statement %d): "
		                  "the database holds part of it", u->revision, u->direction, u->statement_index);
		rt_error_set_detail("That run %s at %s%s%s.", u->run == RT_RUN_FAILED ? "failed" : "was interrupted",
		                    u->started_at, u->error ? ": " : "", u->error ? u->error : "");
		rt_error_set_hint("Finish it first: 'retort %s' to a target that runs '%s' again resumes it. Or check "
		                  "the database and record what is there with 'retort resolve %s --done', "
		                  "'--undone' or '--retry-from N'.", u->direction, u->revision, u->revision);
	}
	rt_history_rows_free(rows, n);
	return rc;
}
