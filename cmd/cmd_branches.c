/*
 * cmd_branches.c - `retort branches [--verbose]`: every branch point (a revision with
 * more than one child) followed by one "  -> <child> ..., message" line per child.
 * Reads only the scripts' headers; never the database.
 */
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct branches_opts {
	int verbose;
};

static const struct opt branches_options[] = {
	OPT_FLAG("verbose", 'v', struct branches_opts, verbose,
	         "a block of details per branch point"),
	OPT_END
};

static int print_json(const struct revinfo *ri)
{
	const struct rt_graph *g = ri->g;
	struct json j;

	json_init(&j);
	json_array_begin(&j);
	for (size_t i = 0; i < g->n; i++) {
		const struct rt_revision *r = g->revs[i];

		if (r->nchildren < 2)
			continue;
		json_object_begin(&j);
		rev_json_fields(&j, ri, r);
		json_key(&j, "children");
		json_array_begin(&j);
		for (size_t c = 0; c < r->nchildren; c++) {
			json_object_begin(&j);
			rev_json_fields(&j, ri, r->children[c]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	return json_print(&j);
}

int cmd_branches(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("branches");
	struct branches_opts o = { 0 };
	struct revinfo ri = { 0 };
	struct rt_graph *g;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, branches_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		return rc;
	ri.cli = cli;
	ri.g = g;
	if (cli->json)
		return print_json(&ri);
	for (size_t i = 0; i < g->n; i++) {
		const struct rt_revision *r = g->revs[i];

		if (r->nchildren < 2)
			continue;
		if (o.verbose)
			rev_print_block(&ri, r);
		else
			rev_print_short(&ri, r, 1);
		for (size_t c = 0; c < r->nchildren; c++) {
			out_printf("    -> ");
			rev_print_short(&ri, r->children[c], 1);
		}
		if (o.verbose)
			out_printf("\n");
	}
	return 0;
}
