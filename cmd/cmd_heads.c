/*
 * cmd_heads.c - `retort heads [--verbose]`: the revisions nothing descends from, as
 * "<id> (label) (head)" lines, blocks with --verbose, or revision objects with --json.
 * Reads only the scripts' headers; never the database.
 */
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct heads_opts {
	int verbose;
};

static const struct opt heads_options[] = {
	OPT_FLAG("verbose", 'v', struct heads_opts, verbose, "a block of details per head"),
	OPT_END
};

int cmd_heads(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("heads");
	struct heads_opts o = { 0 };
	struct revinfo ri = { 0 };
	struct rt_graph *g;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, heads_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		return rc;
	ri.cli = cli;
	ri.g = g;
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_array_begin(&j);
		for (size_t i = 0; i < g->nheads; i++) {
			json_object_begin(&j);
			rev_json_fields(&j, &ri, g->heads[i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		return json_print(&j);
	}
	for (size_t i = 0; i < g->nheads; i++) {
		if (o.verbose)
			rev_print_block(&ri, g->heads[i]);
		else
			rev_print_short(&ri, g->heads[i], 0);
	}
	return 0;
}
