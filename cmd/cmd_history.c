/*
 * cmd_history.c - `retort history [-r RANGE] [--verbose] [--indicate-current]`: the
 * revisions, newest first, one Alembic-style line each or a block each with --verbose.
 * The database is read (never written) when the range says "current" or counts from
 * the database (-N:, LABEL@-N:), with --indicate-current, and with --verbose when one is
 * configured (to show its history rows); in that last case an unreachable database only
 * costs a warning.
 */
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct history_opts {
	const char *range;
	int verbose;
	int indicate_current;
};

static const struct opt history_options[] = {
	OPT_STRING("rev-range", 'r', struct history_opts, range, "RANGE",
	           "only revisions in RANGE: A:B, A:, :B or one target; 'current' allowed"),
	OPT_FLAG("verbose", 'v', struct history_opts, verbose,
	         "a block per revision, with its runs when a database is reachable"),
	OPT_FLAG("indicate-current", 'i', struct history_opts, indicate_current,
	         "mark the revisions the database is at with (current)"),
	OPT_END
};

/* Reads the database state (and, with want_hist, its history) into st / hist. */
static int read_db(struct cli *cli, const struct rt_graph *g, struct rt_state *st,
                   struct hist_index *hist, int want_hist)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	struct rt_db *db;
	int rc;

	if ((rc = cli_open_db(cli, RT_DB_READONLY, &db)) < 0)
		return rc;
	if ((rc = rt_db_heads(db, &heads)) < 0)
		return rc;
	rc = rt_state_from_heads(st, g, (const char *const *)heads.items, heads.n);
	rt_strlist_release(&heads);
	if (rc == 0 && want_hist)
		rc = hist_index_load(hist, db, NULL);
	return rc;
}

int cmd_history(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("history");
	struct history_opts o;
	struct rt_revlist list = RT_REVLIST_INIT;
	struct hist_index hist;
	struct rt_state st;
	struct revinfo ri;
	struct rt_graph *g;
	int nargs, rc, need_db, have_db = 0, verbose;

	memset(&o, 0, sizeof(o));
	if ((rc = opt_parse(cli, self, history_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs == 1 && !o.range)
		o.range = argv[0]; /* `history A:B` as a shorthand for -r A:B */
	else if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[nargs - 1]);
	verbose = o.verbose;
	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		return rc;

	memset(&hist, 0, sizeof(hist));
	memset(&st, 0, sizeof(st));
	need_db = o.indicate_current || (o.range && rt_graph_range_needs_state(o.range));
	if (need_db) {
		if ((rc = read_db(cli, g, &st, &hist, verbose)) < 0)
			goto out;
		have_db = 1;
	} else if (verbose && cli_has_url(cli)) {
		if (read_db(cli, g, &st, &hist, 1) == 0) {
			have_db = 1;
		} else {
			out_warning("the database history is not shown: %s", rt_error_last()->message);
			rt_state_release(&st);
			hist_index_release(&hist);
			memset(&st, 0, sizeof(st));
		}
	}

	if (o.range)
		rc = rt_graph_range(g, o.range, have_db ? &st : NULL, &list);
	else
		rc = rt_graph_all_newest_first(g, &list);
	if (rc < 0)
		goto out;

	memset(&ri, 0, sizeof(ri));
	ri.cli = cli;
	ri.g = g;
	ri.cur = have_db ? &st : NULL;
	ri.hist = have_db && verbose ? &hist : NULL;
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_array_begin(&j);
		for (size_t i = 0; i < list.n; i++) {
			json_object_begin(&j);
			rev_json_fields(&j, &ri, list.items[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		rc = json_print(&j);
		goto out;
	}
	for (size_t i = 0; i < list.n; i++) {
		if (verbose)
			rev_print_block(&ri, list.items[i]);
		else
			rev_print_line(&ri, list.items[i]);
	}
out:
	rt_revlist_release(&list);
	rt_state_release(&st);
	hist_index_release(&hist);
	return rc;
}
