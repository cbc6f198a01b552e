/*
 * cmd.h - what the subcommands of `retort` share: struct cli (the parsed global options
 * and the config, graph and database, each loaded lazily on first use by the cli_*
 * helpers), struct cmd_spec (one row of the command table in main.c), and the
 * cmd_<name>() entry points, one per cmd/cmd_<name>.c.
 *
 * A command returns 0 or a negative RT_E* code; main.c turns the code into the exit
 * status. A failure is printed once: by main.c from rt_error_last(), unless the command
 * already printed it itself and set cli->reported (cli_fail() and cli_report() do).
 */
#ifndef RETORT_CMD_H
#define RETORT_CMD_H

#include "retort.h"

struct cli {
	/* Global options (filled by opt.c from the global table). */
	const char *config_path; /* -c FILE */
	const char *environment; /* -e NAME */
	const char *url;         /* --url URL */
	struct rt_strlist vars;  /* -x NAME=VALUE, in order */
	int quiet;               /* -q */
	int verbose;             /* -v (a count) */
	int json;                /* --json */
	int trust_files;         /* --trust-files */

	const struct cmd_spec *cmd; /* the command being run */
	int reported;               /* the failure has been printed already */

	/* Loaded on demand by the helpers below; freed by cli_release(). */
	struct rt_config *cfg;
	struct rt_graph *graph;
	struct rt_db *db;
	char *cwd;
};

struct cmd_spec {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *cli);
	const char *summary;     /* one line for `retort help` */
	const char *usage;       /* argument synopses after "retort NAME ", one per line */
	const char *description; /* a paragraph for --help, or NULL */
};

/* The command table (main.c), sorted by name, and its lookup. */
extern const struct cmd_spec cli_commands[];
extern const size_t cli_ncommands;
const struct cmd_spec *cli_command(const char *name);

/* cli.c: lazy loading. Each returns 0 or a negative code, with the error printed when it
 * is a problem of the user's input that needs more than one line (graph problems). */
int cli_load_config(struct cli *cli, struct rt_config **out);
/* The dialect of the configured URL; SQLite when none is configured. */
int cli_dialect(struct cli *cli, enum rt_dialect *out);

enum cli_graph_flags {
	CLI_GRAPH_ANY = 1 << 0, /* do not require a valid graph (edit, check) */
};
/* Loads the graph; unless CLI_GRAPH_ANY, prints every problem of an invalid graph and
 * fails with RT_EINPUT (reported). Warnings are printed as such unless -q. */
int cli_load_graph(struct cli *cli, unsigned flags, struct rt_graph **out);
/* 1 when a database URL is configured (loads the config). */
int cli_has_url(struct cli *cli);
/* Opens the configured database (RT_DB_* flags); fails with a reported RT_EUSAGE when
 * no URL is configured. */
int cli_open_db(struct cli *cli, unsigned flags, struct rt_db **out);
void cli_release(struct cli *cli);

/* The directory paths are shown relative to: the project's (the config file's) once the
 * config is loaded, else the current one; NULL when even that is unknown. */
const char *cli_project_dir(struct cli *cli);
/* path relative to cli_project_dir() when it is below it, else path itself. */
const char *cli_relpath(struct cli *cli, const char *path);

/* Prints "error: <message>" (and "hint: ..." when hint is not NULL), the --json failure
 * object too, marks the failure reported and returns code. */
int cli_fail(struct cli *cli, int code, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints rt_error_last() (the one error report of output.c), marks it reported, returns
 * code. */
int cli_report(struct cli *cli, int code);

/* While deferred, SIGINT/SIGTERM only ask the library to stop (rt_interrupt()); otherwise
 * they also end the process at once, as they would without a handler. */
void cli_signals_defer(int defer);

/* cmd_revision.c: writes the revision described by spec and prints "created <path>"
 * (or the JSON result); shared by revision and merge. */
int cli_create_revision(struct cli *cli, const struct rt_new_revision *spec);

/* Commands, one per file. */
int cmd_branches(int argc, char **argv, struct cli *cli);
int cmd_check(int argc, char **argv, struct cli *cli);
int cmd_current(int argc, char **argv, struct cli *cli);
int cmd_downgrade(int argc, char **argv, struct cli *cli);
int cmd_edit(int argc, char **argv, struct cli *cli);
int cmd_graph(int argc, char **argv, struct cli *cli);
int cmd_heads(int argc, char **argv, struct cli *cli);
int cmd_help(int argc, char **argv, struct cli *cli);
int cmd_history(int argc, char **argv, struct cli *cli);
int cmd_init(int argc, char **argv, struct cli *cli);
int cmd_list_templates(int argc, char **argv, struct cli *cli);
int cmd_merge(int argc, char **argv, struct cli *cli);
int cmd_resolve(int argc, char **argv, struct cli *cli);
int cmd_revision(int argc, char **argv, struct cli *cli);
int cmd_show(int argc, char **argv, struct cli *cli);
int cmd_stamp(int argc, char **argv, struct cli *cli);
int cmd_upgrade(int argc, char **argv, struct cli *cli);
int cmd_version(int argc, char **argv, struct cli *cli);

#endif
