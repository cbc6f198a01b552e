/*
 * migrate.c - running upgrade, downgrade and stamp (see migrate.h).
 *
 * Online: rt_migrate() does the work under the migration lock; the callbacks here print
 * Alembic-style progress on stderr ("Running upgrade 1a2b -> 3c4d, add accounts") and
 * record every step, so that --json can report each revision with its duration and
 * status, including the one that failed. SIGINT/SIGTERM are deferred meanwhile: the
 * library rolls back and returns RT_EINTERRUPTED.
 *
 * migrate_main() checks the arguments the three commands share and picks online mode
 * or offline mode (offline.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "json.h"
#include "migrate.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct step_rec {
	const struct rt_revision *rev; /* NULL for a stamp step */
	enum rt_direction dir;
	struct rt_strlist from;        /* version rows the step removes or replaces */
	struct rt_strlist to;          /* version rows it writes */
	int status;                    /* 0 applied, else the RT_E* code */
	int changed;                   /* a downgrade through a file changed since it was applied */
	double ms;
	int ended;
};

struct run_report {
	struct cli *cli;
	const struct migrate_request *req;
	struct step_rec *steps;
	size_t n, cap;
	int oom;
};

static const char *dir_name(enum rt_direction d)
{
	return d == RT_UPGRADE ? "upgrade" : d == RT_DOWNGRADE ? "downgrade" : "stamp";
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void join_list(struct rt_buf *b, const struct rt_strlist *l)
{
	if (!l->n) {
		rt_buf_puts(b, "<base>");
		return;
	}
	rt_buf_join(b, (const char *const *)l->items, l->n, ", ");
}


static void on_step_begin_output(void *ctx, const struct rt_step *step)
{
	struct run_report *r = ctx;
	struct step_rec *s;
	struct rt_buf line = RT_BUF_INIT;

	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct step_rec *grown = realloc(r->steps, ncap * sizeof(*grown));
		if (!grown) {
			r->oom = 1;
			return;
		}
		r->steps = grown;
		r->cap = ncap;
	}
	s = &r->steps[r->n++];
	memset(s, 0, sizeof(*s));
	s->rev = step->rev;
	s->changed = step->changed;
	s->dir = step->direction;
	for (size_t i = 0; i < step->nops; i++) {
		const struct rt_verop *op = &step->ops[i];
		if (op->from && rt_strlist_push(&s->from, op->from) < 0)
			r->oom = 1;
		if (op->to && rt_strlist_push(&s->to, op->to) < 0)
			r->oom = 1;
	}

	if (step->rev && step->direction == RT_UPGRADE) {
		rev_parents(&line, step->rev);
		rt_buf_addf(&line, " -> %s", step->rev->id);
	} else if (step->rev && step->direction == RT_DOWNGRADE) {
		rt_buf_addf(&line, "%s -> ", step->rev->id);
		rev_parents(&line, step->rev);
	} else {
		join_list(&line, &s->from);
		rt_buf_puts(&line, " -> ");
		join_list(&line, &s->to);
	}
	if (step->rev && step->rev->message && *step->rev->message)
		rt_buf_addf(&line, ", %s", step->rev->message);
	out_progress("Running %s %s", dir_name(step->direction), line.ptr);
	rt_buf_release(&line);
}

static void on_step_begin(void *ctx, const struct rt_step *step)
{
	rt_alloc_exempt(1);
	on_step_begin_output(ctx, step);
	rt_alloc_exempt(0);
}

static void on_step_end(void *ctx, const struct rt_step *step, int status, double ms)
{
	struct run_report *r = ctx;
	struct step_rec *s = r->n ? &r->steps[r->n - 1] : NULL;

	if (!s || s->rev != step->rev || s->ended)
		return; /* begin was not recorded (out of memory) */
	s->status = status;
	s->ms = ms;
	s->ended = 1;
	if (status == 0)
		out_info("  done in %.1f ms", ms);
}

static void on_notice(void *ctx, const char *message)
{
	(void)ctx;
	out_notice("%s", message);
}

static void report_release(struct run_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		rt_strlist_release(&r->steps[i].from);
		rt_strlist_release(&r->steps[i].to);
	}
	free(r->steps);
}

static void json_revlist(struct json *j, const char *key, const struct rt_revlist *l)
{
	json_key(j, key);
	json_array_begin(j);
	for (size_t i = 0; i < l->n; i++)
		json_string(j, l->items[i]->id);
	json_array_end(j);
}

/* Every step has the same keys: a stamp step, which runs no revision, has null for
 * revision, down_revisions and message; from and to are the version rows it removes or
 * replaces and the ones it writes, for every step. */
static void json_step(struct json *j, const struct step_rec *s)
{
	json_object_begin(j);
	json_kstring(j, "revision", s->rev ? s->rev->id : NULL);
	json_kstring(j, "direction", dir_name(s->dir));
	json_kstrlist(j, "from", &s->from);
	json_kstrlist(j, "to", &s->to);
	json_key(j, "down_revisions");
	if (s->rev)
		json_strlist(j, &s->rev->down);
	else
		json_null(j);
	json_kstring(j, "message", s->rev ? (s->rev->message ? s->rev->message : "") : NULL);
	json_key(j, "duration_ms");
	if (s->ended)
		json_double(j, s->ms);
	else
		json_null(j);
	json_kstring(j, "status", s->ended && s->status == 0 ? "applied" : "failed");
	json_kbool(j, "changed_since_applied", s->changed);
	json_object_end(j);
}

/* The --json document of a run. plan may be NULL after a failure; then the heads come
 * from before (read ahead of the run) and after (read again). */
static int print_json(const struct run_report *r, const struct rt_plan *plan,
                      const struct rt_strlist *before, struct rt_db *db, int rc, double total_ms)
{
	struct rt_strlist after = RT_STRLIST_INIT;
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_kbool(&j, "ok", rc == 0);
	json_kstring(&j, "command", r->req->command);
	json_kstring(&j, "target", r->req->target);
	if (plan) {
		json_revlist(&j, "heads_before", &plan->heads_before);
	} else {
		json_kstrlist(&j, "heads_before", before);
	}
	if (plan && rc == 0) {
		json_revlist(&j, "heads_after", &plan->heads_after);
	} else if (rt_db_heads(db, &after) == 0) {
		json_kstrlist(&j, "heads_after", &after);
	} else {
		json_key(&j, "heads_after");
		json_null(&j);
	}
	json_key(&j, "steps");
	json_array_begin(&j);
	for (size_t i = 0; i < r->n; i++)
		json_step(&j, &r->steps[i]);
	json_array_end(&j);
	json_kdouble(&j, "duration_ms", total_ms);
	if (rc < 0) {
		json_key(&j, "error");
		out_error_json(&j, rt_error_last());
	}
	json_object_end(&j);
	rt_strlist_release(&after);
	return json_print(&j);
}

static void print_summary(const struct run_report *r, const struct rt_plan *plan, double total_ms)
{
	struct rt_buf heads = RT_BUF_INIT;
	size_t applied = 0;

	rt_alloc_exempt(1); /* output, not work: see rt_alloc_exempt() */
	for (size_t i = 0; i < r->n; i++)
		if (r->steps[i].ended && r->steps[i].status == 0)
			applied++;
	if (plan->n == 0 && !plan->purge) {
		rt_revlist_text(&heads, &plan->heads_before, "base");
		out_progress("nothing to do: the database is already at %s", heads.ptr);
	} else {
		rt_revlist_text(&heads, &plan->heads_after, "base");
		if (r->req->dir == RT_STAMP)
			out_progress("stamped %s in %.0f ms", heads.ptr, total_ms);
		else
			out_progress("%s to %s: %zu revision%s in %.0f ms",
			             r->req->dir == RT_UPGRADE ? "upgraded" : "downgraded", heads.ptr,
			             applied, applied == 1 ? "" : "s", total_ms);
	}
	rt_buf_release(&heads);
	rt_alloc_exempt(0);
}

int migrate_online(struct cli *cli, const struct migrate_request *req)
{
	struct run_report r;
	struct rt_run_events ev;
	struct rt_strlist before = RT_STRLIST_INIT;
	struct rt_plan *plan = NULL;
	struct rt_graph *g;
	struct rt_db *db;
	double t0;
	int rc;

	if ((rc = cli_load_graph(cli, 0, &g)) < 0 || (rc = cli_open_db(cli, 0, &db)) < 0)
		return rc;
	if (cli->json && (rc = rt_db_heads(db, &before)) < 0)
		return rc;

	memset(&r, 0, sizeof(r));
	r.cli = cli;
	r.req = req;
	memset(&ev, 0, sizeof(ev));
	ev.ctx = &r;
	ev.step_begin = on_step_begin;
	ev.step_end = on_step_end;
	ev.notice = on_notice;

	t0 = now_ms();
	cli_signals_defer(1);
	rc = rt_migrate(db, g, req->dir, req->target, req->flags, &ev, &plan);
	cli_signals_defer(0);
	if (rc == 0 && r.oom)
		rc = cli_fail(cli, RT_ENOMEM, NULL, "out of memory while recording the run");

	if (cli->json) {
		int prc = print_json(&r, plan, &before, db, rc, now_ms() - t0);
		if (rc < 0) {
			/* The document carries the error; repeat it on stderr for humans. */
			if (!cli->reported)
				out_error_text(rt_error_last());
			cli->reported = 1;
		} else {
			rc = prc;
		}
	} else if (rc == 0) {
		print_summary(&r, plan, now_ms() - t0);
	}
	rt_plan_free(plan);
	rt_strlist_release(&before);
	report_release(&r);
	return rc;
}

int migrate_main(struct cli *cli, const struct cmd_spec *self, enum rt_direction dir,
                 const char *sql, unsigned flags, int nargs, char **argv)
{
	struct migrate_request req;
	const char *range;

	if (sql && *sql) {
		/* --sql=RANGE */
		range = sql;
		if (nargs > 0)
			return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	} else if (nargs == 0) {
		if (!sql)
			return opt_usage_error(cli, self, "missing TARGET");
		return opt_usage_error(cli, self, "missing the range %s",
		                       dir == RT_DOWNGRADE ? "FROM:TO" : "[FROM:]TO");
	} else if (nargs > 1) {
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[1]);
	} else {
		range = argv[0];
	}
	if (sql && cli->json)
		return opt_usage_error(cli, self, "--sql prints SQL; it cannot be combined with --json");
	if (!sql && strchr(range, ':'))
		return opt_usage_error(cli, self, "a range FROM:TO is only accepted with --sql");
	memset(&req, 0, sizeof(req));
	req.command = dir_name(dir);
	req.dir = dir;
	req.flags = flags;
	if (sql) {
		req.sql_range = range;
		return migrate_offline(cli, &req);
	}
	req.target = range;
	return migrate_online(cli, &req);
}
