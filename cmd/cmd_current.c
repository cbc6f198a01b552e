/*
 * cmd_current.c - `retort current [--verbose]`: the revisions the database is at, read
 * without taking locks or creating anything: as in Alembic its "effective heads", the
 * version rows and the applied depends_on targets no row names (so that `current`
 * matches `heads` when nothing is pending). --verbose adds each
 * revision's details and last history record, and any failed or interrupted run newer
 * than the last successful one, so a broken deployment is visible at a glance.
 */
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct current_opts {
	int verbose;
};

static const struct opt current_options[] = {
	OPT_FLAG("verbose", 'v', struct current_opts, verbose,
	         "show each revision's details, its last run, and failed runs since"),
	OPT_END
};

/* History rows newer than the newest applied one that did not succeed. */
static size_t failed_runs(const struct hist_index *h, const struct rt_history_row **out, size_t max)
{
	long long last_ok = -1;
	size_t n = 0;

	for (size_t i = 0; i < h->nrows; i++)
		if (h->rows[i].run == RT_RUN_APPLIED &&
		    h->rows[i].id > last_ok)
			last_ok = h->rows[i].id;
	for (size_t i = 0; i < h->nrows && n < max; i++)
		if (h->rows[i].id > last_ok &&
		    h->rows[i].run != RT_RUN_APPLIED)
			out[n++] = &h->rows[i];
	return n;
}

static const char *failure_word(const struct rt_history_row *row)
{
	return row->run == RT_RUN_RUNNING ? "INTERRUPTED" : "FAILED";
}

/* What `current` lists: the current revisions of st (every version row among them), or,
 * when the rows do not make a state (state NULL), the rows themselves. */
static int current_ids(const struct rt_graph *g, const struct rt_state *st,
                       const struct rt_strlist *rows, struct rt_strlist *out)
{
	int rc = 0;

	for (size_t i = 0; !st && i < rows->n && rc == 0; i++)
		rc = rt_strlist_push(out, rows->items[i]);
	for (size_t i = 0; st && i < g->n && rc == 0; i++)
		if (rt_state_is_current(st, g->revs[i]))
			rc = rt_strlist_push(out, g->revs[i]->id);
	return rc;
}

static int print_json(const struct revinfo *ri, const struct rt_strlist *heads,
                      const struct rt_strlist *version_rows, const struct rt_history_row **failed,
                      size_t nfailed)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_key(&j, "heads");
	json_array_begin(&j);
	for (size_t i = 0; i < heads->n; i++) {
		struct rt_revision *r = rt_graph_get(ri->g, heads->items[i]);
		size_t n;
		struct rt_history_row **rows = hist_index_find(ri->hist, heads->items[i], &n);

		json_object_begin(&j);
		if (r) {
			struct revinfo plain = *ri;

			plain.cur = NULL;
			plain.hist = NULL;
			rev_json_fields(&j, &plain, r);
		} else {
			json_kstring(&j, "revision", heads->items[i]);
			json_kbool(&j, "known", 0);
		}
		json_kbool(&j, "version_row", rt_strlist_contains(version_rows, heads->items[i]));
		/* the shape of history -v's "history" (an array of runs), holding the last run */
		json_key(&j, "history");
		json_array_begin(&j);
		if (n)
			hist_json_row(&j, rows[n - 1]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "failed_runs");
	json_array_begin(&j);
	for (size_t i = 0; i < nfailed; i++)
		hist_json_row(&j, failed[i]);
	json_array_end(&j);
	json_object_end(&j);
	return json_print(&j);
}

static void print_text(const struct revinfo *ri, const struct rt_strlist *heads,
                       const struct rt_history_row **failed, size_t nfailed, int verbose)
{
	struct revinfo plain = *ri;

	plain.cur = NULL; /* every row is current: do not say it on each line */
	if (heads->n == 0) {
		if (verbose)
			out_printf("no revision applied (the database is at base)\n");
		else
			out_info("no revision applied (the database is at base)");
	}
	for (size_t i = 0; i < heads->n; i++) {
		struct rt_revision *r = rt_graph_get(ri->g, heads->items[i]);

		if (!r)
			out_printf("%s (unknown revision: no script has this id)\n", heads->items[i]);
		else if (verbose)
			rev_print_block(&plain, r);
		else
			rev_print_short(&plain, r, 0);
	}
	if (!nfailed)
		return;
	if (verbose) {
		out_printf("Failed or interrupted runs since the last successful one:\n");
		for (size_t i = 0; i < nfailed; i++)
			hist_print_row(failed[i]);
		return;
	}
	for (size_t i = 0; i < nfailed; i++)
		out_warning("%s %s of %s started at %s", failure_word(failed[i]),
		            failed[i]->direction ? failed[i]->direction : "run",
		            failed[i]->revision ? failed[i]->revision : "?",
		            failed[i]->started_at ? failed[i]->started_at : "?");
	out_hint("Run 'retort current --verbose' for the details.");
}

int cmd_current(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("current");
	struct current_opts o = { 0 };
	struct rt_strlist rows = RT_STRLIST_INIT, shown = RT_STRLIST_INIT;
	struct hist_index hist;
	struct rt_state st;
	struct revinfo ri;
	const struct rt_history_row *failed[64];
	size_t nfailed;
	struct rt_graph *g;
	struct rt_db *db;
	int nargs, rc, state_rc;

	if ((rc = opt_parse(cli, self, current_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if ((rc = cli_load_graph(cli, 0, &g)) < 0 || (rc = cli_open_db(cli, RT_DB_READONLY, &db)) < 0)
		return rc;
	if ((rc = rt_db_heads(db, &rows)) < 0)
		return rc;
	memset(&hist, 0, sizeof(hist));
	memset(&st, 0, sizeof(st));
	/* A version row no script knows makes the state unusable; show the rows anyway. */
	state_rc = rt_state_from_heads(&st, g, (const char *const *)rows.items, rows.n);
	if (state_rc < 0 && cli->json) {
		rc = state_rc;
		goto out;
	}
	if ((rc = current_ids(g, state_rc == 0 ? &st : NULL, &rows, &shown)) < 0 ||
	    (rc = hist_index_load(&hist, db, &shown)) < 0)
		goto out;
	memset(&ri, 0, sizeof(ri));
	ri.cli = cli;
	ri.g = g;
	ri.cur = state_rc == 0 ? &st : NULL;
	ri.hist = &hist;
	ri.hist_last_only = 1;
	nfailed = failed_runs(&hist, failed, sizeof(failed) / sizeof(failed[0]));
	if (cli->json)
		rc = print_json(&ri, &shown, &rows, failed, nfailed);
	else
		print_text(&ri, &shown, failed, nfailed, o.verbose);
	if (state_rc < 0)
		rc = state_rc;
out:
	rt_state_release(&st);
	hist_index_release(&hist);
	rt_strlist_release(&rows);
	rt_strlist_release(&shown);
	return rc;
}
