/*
 * migrate.h - what upgrade, downgrade and stamp share: running a plan against the
 * database with progress and a JSON record per step, and offline mode (--sql), which
 * prints the SQL for a FROM:TO range without connecting.
 */
#ifndef RETORT_CMD_MIGRATE_H
#define RETORT_CMD_MIGRATE_H

#include "retort.h"

struct cli;

struct migrate_request {
	const char *command;   /* "upgrade", "downgrade" or "stamp" */
	enum rt_direction dir;
	const char *target;    /* online: the target */
	const char *sql_range; /* offline: "[FROM:]TO"; NULL for online */
	unsigned flags;        /* enum rt_migrate_flags: stamp --purge, downgrade --allow-changed */
};

struct cmd_spec;

int migrate_online(struct cli *cli, const struct migrate_request *req);
int migrate_offline(struct cli *cli, const struct migrate_request *req);

/* What upgrade, downgrade and stamp do once their options are parsed: check the
 * positional arguments (TARGET, or the range for --sql; sql is NULL without --sql, ""
 * for --sql, the range for --sql=RANGE), then run online or offline; flags are enum
 * rt_migrate_flags. */
int migrate_main(struct cli *cli, const struct cmd_spec *self, enum rt_direction dir,
                 const char *sql, unsigned flags, int nargs, char **argv);

#endif
