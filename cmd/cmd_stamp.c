/*
 * cmd_stamp.c - `retort stamp TARGET [--purge]`: records the database as being at
 * TARGET without running any script (a stamp plan rewrites only the version rows);
 * `retort stamp --sql [FROM:]TO` prints that SQL instead. Shares migrate.c.
 */
#include "cmd.h"
#include "migrate.h"
#include "opt.h"

struct stamp_opts {
	const char *sql; /* "" for --sql, the range for --sql=RANGE */
	int purge;
};

static const struct opt stamp_options[] = {
	OPT_OPTSTRING("sql", 0, struct stamp_opts, sql, "[FROM:]TO",
	              "print the SQL for the range [FROM:]TO instead of running it"),
	OPT_FLAG("purge", 0, struct stamp_opts, purge,
	         "delete every version row first (for a table that names unknown revisions)"),
	OPT_END
};

int cmd_stamp(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("stamp");
	struct stamp_opts o = { NULL, 0 };
	int nargs, rc;

	if ((rc = opt_parse(cli, self, stamp_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	return migrate_main(cli, self, RT_STAMP, o.sql, o.purge ? RT_MIGRATE_PURGE : 0, nargs, argv);
}
