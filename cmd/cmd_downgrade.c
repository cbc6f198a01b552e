/*
 * cmd_downgrade.c - `retort downgrade TARGET`: takes the database back to TARGET by
 * running the downgrade sections of the applied revisions above it, newest first;
 * `retort downgrade --sql FROM:TO` prints that SQL instead, without connecting. The work
 * is shared with the other migrating commands in migrate.c.
 */
#include "cmd.h"
#include "migrate.h"
#include "opt.h"

struct downgrade_opts {
	const char *sql; /* "" for --sql, the range for --sql=RANGE */
	int allow_changed;
};

static const struct opt downgrade_options[] = {
	OPT_OPTSTRING("sql", 0, struct downgrade_opts, sql, "FROM:TO",
	              "print the SQL for the range FROM:TO instead of running it"),
	OPT_FLAG("allow-changed", 0, struct downgrade_opts, allow_changed,
	         "run downgrade sections whose file changed since the revision was applied"),
	OPT_END
};

int cmd_downgrade(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("downgrade");
	struct downgrade_opts o = { NULL, 0 };
	int nargs, rc;

	if ((rc = opt_parse(cli, self, downgrade_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	return migrate_main(cli, self, RT_DOWNGRADE, o.sql, o.allow_changed ? RT_MIGRATE_ALLOW_CHANGED : 0,
	                    nargs, argv);
}
