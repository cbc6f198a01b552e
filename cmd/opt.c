/*
 * opt.c - the option parser (see opt.h) and the usage text generated from the tables.
 *
 * Accepted forms: "--name value", "--name=value", "-n value", "-nvalue", bundled flags
 * ("-qv"), "--" to end the options. A lone "-" and "-<digit>..." are positional, so
 * relative targets like `downgrade -1` work. The command's table is searched before the
 * global one, so a command may give a global letter a meaning of its own.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "opt.h"
#include "output.h"

static const struct opt global_options[] = {
	OPT_STRING("config", 'c', struct cli, config_path, "FILE",
	           "read FILE instead of ./retort.yaml"),
	OPT_STRING("env", 'e', struct cli, environment, "NAME",
	           "use the settings of environment NAME from the config"),
	OPT_STRING("url", 0, struct cli, url, "URL",
	           "database URL, overriding the config and $RETORT_DATABASE_URL"),
	OPT_LIST("var", 'x', struct cli, vars, "NAME=VALUE",
	         "set the script variable NAME (repeatable)"),
	OPT_FLAG("quiet", 'q', struct cli, quiet, "print only results and errors (no progress, notices, warnings)"),
	OPT_COUNT("verbose", 'v', struct cli, verbose, "print more details (config, URL, timings)"),
	OPT_FLAG("json", 0, struct cli, json, "print the result as one JSON document"),
	OPT_FLAG("trust-files", 0, struct cli, trust_files,
	         "as root, use project files other users can change (as RETORT_ALLOW_FOREIGN_FILES=1)"),
	OPT_END
};

struct parser {
	struct cli *cli;
	const struct cmd_spec *cmd;
	const struct opt *table; /* the command's, may be NULL */
	void *opts;
	int argc;
	char **argv;
	int i; /* index of the argument being parsed */
};

static int takes_value(const struct opt *o)
{
	return o->kind == OPT_KIND_STRING || o->kind == OPT_KIND_LIST;
}

static const struct opt *find_in(const struct opt *t, const char *name, size_t len, char c)
{
	for (; t && t->kind != OPT_KIND_END; t++) {
		if (c && t->short_name == c)
			return t;
		if (!c && t->long_name && strlen(t->long_name) == len &&
		    strncmp(t->long_name, name, len) == 0)
			return t;
	}
	return NULL;
}

/* The option named (long name of len bytes, or short letter c), and the struct it fills. */
static const struct opt *find(struct parser *p, const char *name, size_t len, char c, void **base)
{
	const struct opt *o = find_in(p->table, name, len, c);

	if (o) {
		*base = p->opts;
		return o;
	}
	o = find_in(global_options, name, len, c);
	*base = p->cli;
	return o;
}

int opt_usage_error(struct cli *cli, const struct cmd_spec *cmd, const char *fmt, ...)
{
	struct rt_buf msg = RT_BUF_INIT, see = RT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	rt_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (cmd)
		rt_buf_addf(&see, "see 'retort %s --help'", cmd->name);
	else
		rt_buf_puts(&see, "see 'retort --help'");
	out_usage_error(msg.len ? msg.ptr : "bad usage", see.ptr);
	rt_buf_release(&msg);
	rt_buf_release(&see);
	cli->reported = 1;
	return RT_EUSAGE;
}

/* " for 'NAME'" after an unknown option of a command. */
static const char *for_cmd(const struct parser *p, struct rt_buf *b)
{
	if (p->cmd)
		rt_buf_addf(b, " for '%s'", p->cmd->name);
	return b->ptr;
}

/* Stores value (NULL for a flag, or an optional value left out) in o's field of base. */
static int apply(const struct opt *o, void *base, const char *value)
{
	char *field = (char *)base + o->offset;

	switch (o->kind) {
	case OPT_KIND_FLAG:
		*(int *)field = 1;
		break;
	case OPT_KIND_COUNT:
		(*(int *)field)++;
		break;
	case OPT_KIND_STRING:
		*(const char **)field = value;
		break;
	case OPT_KIND_LIST:
		if (rt_strlist_push((struct rt_strlist *)field, value) < 0)
			return RT_ENOMEM;
		break;
	case OPT_KIND_OPTSTRING:
		*(const char **)field = value ? value : "";
		break;
	case OPT_KIND_END:
		break;
	}
	return 0;
}

static int parse_long(struct parser *p, const char *arg)
{
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const char *value = NULL;
	struct rt_buf b = RT_BUF_INIT;
	const struct opt *o;
	void *base;
	int rc;

	if (len == 4 && strncmp(name, "help", 4) == 0)
		return OPT_HELP;
	o = find(p, name, len, 0, &base);
	if (!o) {
		rc = opt_usage_error(p->cli, p->cmd, "unknown option '--%.*s'%s", (int)len, name,
		                     for_cmd(p, &b));
		rt_buf_release(&b);
		return rc;
	}
	if (o->kind == OPT_KIND_OPTSTRING) {
		value = eq ? eq + 1 : NULL;
	} else if (takes_value(o)) {
		if (eq)
			value = eq + 1;
		else if (p->i + 1 < p->argc)
			value = p->argv[++p->i];
		else
			return opt_usage_error(p->cli, p->cmd, "option '--%s' requires a value (%s)",
			                       o->long_name, o->argname);
	} else if (eq) {
		return opt_usage_error(p->cli, p->cmd, "option '--%s' takes no value", o->long_name);
	}
	return apply(o, base, value);
}

static int parse_short(struct parser *p, const char *arg)
{
	for (const char *c = arg + 1; *c; c++) {
		const struct opt *o;
		void *base;
		int rc;

		if (*c == 'h')
			return OPT_HELP;
		o = find(p, NULL, 0, *c, &base);
		if (!o) {
			struct rt_buf b = RT_BUF_INIT;

			rc = opt_usage_error(p->cli, p->cmd, "unknown option '-%c'%s", *c, for_cmd(p, &b));
			rt_buf_release(&b);
			return rc;
		}
		if (!takes_value(o)) {
			if ((rc = apply(o, base, NULL)) < 0)
				return rc;
			continue;
		}
		if (c[1])
			return apply(o, base, c + 1);
		if (p->i + 1 < p->argc)
			return apply(o, base, p->argv[++p->i]);
		return opt_usage_error(p->cli, p->cmd, "option '-%c' requires a value (%s)", *c,
		                       o->argname);
	}
	return 0;
}

/* 1 when arg is an option (as opposed to a positional argument). */
static int is_option(const char *arg)
{
	return arg[0] == '-' && arg[1] != '\0' && !isdigit((unsigned char)arg[1]);
}

int opt_parse(struct cli *cli, const struct cmd_spec *cmd, const struct opt *table, void *opts,
              int argc, char **argv, int *nargs)
{
	struct parser p = { cli, cmd, table, opts, argc, argv, 0 };
	int n = 0, rest = 0;

	for (p.i = 1; p.i < argc; p.i++) {
		const char *arg = argv[p.i];
		int rc;

		if (rest || !is_option(arg)) {
			argv[n++] = argv[p.i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			rest = 1;
			continue;
		}
		rc = arg[1] == '-' ? parse_long(&p, arg) : parse_short(&p, arg);
		if (rc == OPT_HELP) {
			opt_usage(cmd, table);
			return OPT_HELP;
		}
		if (rc < 0)
			return rc;
	}
	*nargs = n;
	if (cli->trust_files)
		rt_allow_foreign_files(1);
	return OPT_OK;
}

int opt_parse_global(struct cli *cli, int argc, char **argv, int *help, int *version)
{
	struct parser p = { cli, NULL, NULL, NULL, argc, argv, 0 };

	for (p.i = 1; p.i < argc; p.i++) {
		const char *arg = argv[p.i];
		int rc;

		if (strcmp(arg, "--") == 0)
			return p.i + 1;
		if (!is_option(arg))
			return p.i;
		if (strcmp(arg, "--version") == 0) {
			*version = 1;
			continue;
		}
		rc = arg[1] == '-' ? parse_long(&p, arg) : parse_short(&p, arg);
		if (rc == OPT_HELP) {
			*help = 1;
			continue;
		}
		if (rc < 0)
			return rc;
	}
	if (cli->trust_files)
		rt_allow_foreign_files(1);
	return argc;
}

/* "    -c, --config FILE" padded to the help column, then the help text. */
static void usage_table(const struct opt *t)
{
	for (; t && t->kind != OPT_KIND_END; t++) {
		struct rt_buf b = RT_BUF_INIT;

		rt_buf_puts(&b, "    ");
		if (t->short_name)
			rt_buf_addf(&b, "-%c%s", t->short_name, t->long_name ? ", " : "");
		else
			rt_buf_puts(&b, "    ");
		if (t->long_name)
			rt_buf_addf(&b, "--%s", t->long_name);
		if (takes_value(t))
			rt_buf_addf(&b, " %s", t->argname);
		else if (t->kind == OPT_KIND_OPTSTRING)
			rt_buf_addf(&b, "[=%s]", t->argname);
		if (b.len >= 30)
			rt_buf_addf(&b, "\n%30s", "");
		else
			rt_buf_addf(&b, "%*s", (int)(30 - b.len), "");
		out_printf("%s%s\n", b.ptr, t->help);
		rt_buf_release(&b);
	}
}

void opt_usage_global(void)
{
	out_printf("Global options (before or after the command name):\n");
	usage_table(global_options);
	out_printf("    -h, --help                show this help\n");
}

void opt_usage(const struct cmd_spec *cmd, const struct opt *table)
{
	const char *u = cmd->usage ? cmd->usage : "";
	int first = 1;

	/* One "usage:" / "   or:" line per line of cmd->usage. */
	do {
		const char *nl = strchr(u, '\n');
		size_t len = nl ? (size_t)(nl - u) : strlen(u);

		out_printf("%s retort %s%s%.*s\n", first ? "usage:" : "   or:", cmd->name,
		           len ? " " : "", (int)len, u);
		first = 0;
		u = nl ? nl + 1 : NULL;
	} while (u && *u);
	out_printf("\n%s\n", cmd->description ? cmd->description : cmd->summary);
	if (table && table->kind != OPT_KIND_END) {
		out_printf("\nOptions:\n");
		usage_table(table);
	}
	out_printf("\n");
	opt_usage_global();
}
