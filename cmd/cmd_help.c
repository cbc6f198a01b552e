/*
 * cmd_help.c - `retort help [COMMAND]`: without a name, the list of commands and the
 * global options; with one, exactly what `retort COMMAND --help` prints (the command is
 * run with --help, so both come from the same option table).
 */
#include <string.h>
#include "cmd.h"
#include "opt.h"
#include "output.h"

static void overview(void)
{
	out_printf("usage: retort [global options] COMMAND [options] [ARGS]\n\n");
	out_printf("retort %s - SQL-first database schema migrations\n\nCommands:\n", RT_VERSION);
	for (size_t i = 0; i < cli_ncommands; i++)
		out_printf("    %-18s%s\n", cli_commands[i].name, cli_commands[i].summary);
	out_printf("\n");
	opt_usage_global();
	out_printf("\nSee 'retort help COMMAND' or 'retort COMMAND --help' for a command's options.\n");
}

int cmd_help(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("help"), *target;
	char *sub_argv[3];
	int nargs, rc;

	if ((rc = opt_parse(cli, self, NULL, NULL, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs == 0) {
		overview();
		return 0;
	}
	if (nargs > 1)
		return opt_usage_error(cli, self, "too many arguments: expected one command name");
	target = cli_command(argv[0]);
	if (!target)
		return opt_usage_error(cli, NULL, "unknown command '%s'", argv[0]);
	sub_argv[0] = (char *)target->name;
	sub_argv[1] = (char *)"--help";
	sub_argv[2] = NULL;
	return target->fn(2, sub_argv, cli);
}
