/*
 * cmd_version.c - `retort version` and `retort --version`: the version of retort, as
 * text or as {"version": "..."} with --json.
 */
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

int cmd_version(int argc, char **argv, struct cli *cli)
{
	int nargs, rc;

	if ((rc = opt_parse(cli, cli_command("version"), NULL, NULL, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, cli_command("version"), "unexpected argument '%s'", argv[0]);
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_object_begin(&j);
		json_kstring(&j, "version", RT_VERSION);
		json_object_end(&j);
		return json_print(&j);
	}
	out_printf("retort %s\n", RT_VERSION);
	return 0;
}
