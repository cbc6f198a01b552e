/*
 * opt.h - the table-driven option parser of the command line.
 *
 * Each command describes its options in a static table of struct opt, whose entries
 * name a field (by offset) of the command's own options struct. opt_parse() walks argv,
 * fills that struct, also accepts the global options (which fill struct cli) anywhere
 * before "--", and leaves the positional arguments at the front of argv. The usage shown
 * by -h/--help and by `retort help NAME` is generated from the same tables.
 */
#ifndef RETORT_CMD_OPT_H
#define RETORT_CMD_OPT_H

#include <stddef.h>

struct cli;
struct cmd_spec;

enum opt_kind {
	OPT_KIND_END = 0,
	OPT_KIND_FLAG,   /* int field set to 1 */
	OPT_KIND_COUNT,  /* int field incremented */
	OPT_KIND_STRING, /* const char * field pointing into argv; the last one wins */
	OPT_KIND_LIST,   /* struct rt_strlist field; each use appends a copy */
	OPT_KIND_OPTSTRING, /* const char * field: "" for "--name", VALUE for "--name=VALUE" */
};

struct opt {
	enum opt_kind kind;
	const char *long_name; /* without the leading "--"; NULL when there is none */
	char short_name;       /* 0 when there is none */
	size_t offset;         /* of the field in the options struct */
	const char *argname;   /* shown in the usage for options taking a value */
	const char *help;
};

#define OPT_FLAG(l, s, type, field, help) \
	{ OPT_KIND_FLAG, l, s, offsetof(type, field), NULL, help }
#define OPT_COUNT(l, s, type, field, help) \
	{ OPT_KIND_COUNT, l, s, offsetof(type, field), NULL, help }
#define OPT_STRING(l, s, type, field, arg, help) \
	{ OPT_KIND_STRING, l, s, offsetof(type, field), arg, help }
#define OPT_LIST(l, s, type, field, arg, help) \
	{ OPT_KIND_LIST, l, s, offsetof(type, field), arg, help }
#define OPT_OPTSTRING(l, s, type, field, arg, help) \
	{ OPT_KIND_OPTSTRING, l, s, offsetof(type, field), arg, help }
#define OPT_END { OPT_KIND_END, NULL, 0, 0, NULL, NULL }

/* Outcomes of opt_parse() besides a negative RT_E* code. */
#define OPT_OK 0
#define OPT_HELP 1 /* the usage was printed: the command returns 0 */

/*
 * Parses argv[1..argc-1] (argv[0] is the command name) against table (may be NULL)
 * and the global options. On OPT_OK, argv[0..*nargs-1] are the positional arguments.
 * Usage errors are printed (and marked reported in cli) and return RT_EUSAGE.
 */
int opt_parse(struct cli *cli, const struct cmd_spec *cmd, const struct opt *table, void *opts,
              int argc, char **argv, int *nargs);

/*
 * Parses the global options in front of the command name. Returns the index of the
 * command name in argv (argc when there is none), or RT_EUSAGE after printing the error.
 * *help / *version are set by --help / --version.
 */
int opt_parse_global(struct cli *cli, int argc, char **argv, int *help, int *version);

/* Prints the usage of cmd (table may be NULL) to stdout. */
void opt_usage(const struct cmd_spec *cmd, const struct opt *table);
/* Prints the global options block (for `retort help`). */
void opt_usage_global(void);

/* Reports a usage error for cmd: "error: ..." then "see 'retort NAME --help'". */
int opt_usage_error(struct cli *cli, const struct cmd_spec *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
