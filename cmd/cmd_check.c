/*
 * cmd_check.c - `retort check [--no-db]`: everything wrong with the revision scripts
 * (graph problems, unparsable sections, undefined variables) and, when a database is
 * configured and --no-db is not given, with the database against them (unknown version
 * rows, applied scripts changed or removed since). Lists every problem, then a summary;
 * exits with 2 when there is an error, 0 when there are only warnings.
 */
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

struct check_opts {
	int no_db;
};

static const struct opt check_options[] = {
	OPT_FLAG("no-db", 0, struct check_opts, no_db,
	         "check the scripts only, even when a database is configured"),
	OPT_END
};

/* with_db: 0 no database checked, 1 checked, -1 checked but it does not exist yet. */
static int print_json(const struct rt_graph *g, const struct rt_diags *d, int with_db,
                      size_t nerr)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_kbool(&j, "ok", nerr == 0);
	json_kint(&j, "revisions", (long long)g->n);
	json_kbool(&j, "database_checked", with_db != 0);
	json_key(&j, "database_exists");
	if (with_db)
		json_bool(&j, with_db > 0);
	else
		json_null(&j);
	json_kint(&j, "errors", (long long)nerr);
	json_kint(&j, "warnings", (long long)rt_diags_count(d, RT_SEV_WARNING));
	json_key(&j, "problems");
	json_array_begin(&j);
	for (size_t i = 0; i < d->n; i++)
		out_diag_json(&j, &d->items[i]);
	json_array_end(&j);
	json_object_end(&j);
	return json_print(&j);
}

static void print_text(struct cli *cli, const struct rt_graph *g, const struct rt_diags *d,
                       int with_db, size_t nerr)
{
	size_t nwarn = rt_diags_count(d, RT_SEV_WARNING);
	const char *where = with_db > 0   ? " and the database"
	                    : with_db < 0 ? " (the database does not exist yet)"
	                                  : "";

	for (size_t i = 0; i < d->n; i++) {
		const struct rt_diag *x = &d->items[i];
		out_diag(x, 1, x->file ? cli_relpath(cli, x->file) : NULL);
	}
	if (nerr || nwarn)
		out_printf("%zu error%s, %zu warning%s in %zu revision%s%s\n", nerr,
		           nerr == 1 ? "" : "s", nwarn, nwarn == 1 ? "" : "s", g->n,
		           g->n == 1 ? "" : "s", where);
	else
		out_printf("no problems found in %zu revision%s%s\n", g->n, g->n == 1 ? "" : "s",
		           where);
}

int cmd_check(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("check");
	struct check_opts o = { 0 };
	struct rt_diags diags = RT_DIAGS_INIT;
	struct rt_graph *g;
	struct rt_db *db = NULL;
	size_t nerr;
	int nargs, rc, with_db;

	if ((rc = opt_parse(cli, self, check_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if ((rc = cli_load_graph(cli, CLI_GRAPH_ANY, &g)) < 0)
		return rc;
	if (!o.no_db && cli_has_url(cli) && (rc = cli_open_db(cli, RT_DB_READONLY, &db)) < 0)
		return rc;
	if ((rc = rt_check(g, db, &diags)) < 0)
		goto out;
	nerr = rt_diags_count(&diags, RT_SEV_ERROR);
	with_db = !db ? 0 : rt_db_exists(db) ? 1 : -1;
	if (cli->json)
		rc = print_json(g, &diags, with_db, nerr);
	else
		print_text(cli, g, &diags, with_db, nerr);
	if (rc == 0 && nerr) {
		/* The list above is the report: no further error line. */
		cli->reported = 1;
		rc = RT_EINPUT;
	}
out:
	rt_diags_release(&diags);
	return rc;
}
