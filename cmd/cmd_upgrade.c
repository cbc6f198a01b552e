/*
 * cmd_upgrade.c - `retort upgrade TARGET`: brings the database up to TARGET by running
 * the upgrade sections of the revisions up to it, oldest first; `retort upgrade --sql
 * [FROM:]TO` prints that SQL instead, without connecting. The work is shared with the
 * other migrating commands in migrate.c.
 */
#include "cmd.h"
#include "migrate.h"
#include "opt.h"

struct upgrade_opts {
	const char *sql; /* "" for --sql, the range for --sql=RANGE */
};

static const struct opt upgrade_options[] = {
	OPT_OPTSTRING("sql", 0, struct upgrade_opts, sql, "[FROM:]TO",
	              "print the SQL for the range [FROM:]TO instead of running it"),
	OPT_END
};

int cmd_upgrade(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("upgrade");
	struct upgrade_opts o = { NULL };
	int nargs, rc;

	if ((rc = opt_parse(cli, self, upgrade_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	return migrate_main(cli, self, RT_UPGRADE, o.sql, 0, nargs, argv);
}
