/*
 * cli.c - the shared state of one `retort` run: the config, the revision graph and the
 * database connection, each created on first use and freed by cli_release(), plus the
 * two ways a command reports a failure (cli_fail() for its own, cli_report() for the
 * library's).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "json.h"
#include "output.h"

int cli_report(struct cli *cli, int code)
{
	const struct rt_error *e = rt_error_last();

	if (e->code == 0 || !e->message || !*e->message || (code == RT_ENOMEM && e->code != code)) {
		/* Failed without a description in the slot (our own allocations): say what we
		 * know. */
		struct rt_error fallback;

		memset(&fallback, 0, sizeof(fallback));
		fallback.code = code;
		fallback.message = (char *)(code == RT_ENOMEM ? "out of memory" : "operation failed");
		out_error_report(&fallback);
	} else {
		out_error_report(e);
	}
	cli->reported = 1;
	return code;
}

int cli_fail(struct cli *cli, int code, const char *hint, const char *fmt, ...)
{
	struct rt_error e;
	struct rt_buf msg = RT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	rt_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	memset(&e, 0, sizeof(e));
	e.code = code;
	e.message = msg.len ? msg.ptr : (char *)"out of memory";
	e.hint = (char *)hint;
	out_error_report(&e);
	rt_buf_release(&msg);
	cli->reported = 1;
	return code;
}

int cli_load_config(struct cli *cli, struct rt_config **out)
{
	struct rt_config_options o;
	int rc;

	if (!cli->cfg) {
		memset(&o, 0, sizeof(o));
		o.path = cli->config_path;
		o.environment = cli->environment;
		o.url = cli->url;
		o.vars = (const char *const *)cli->vars.items;
		o.nvars = cli->vars.n;
		if (cli->url)
			rt_url_register_secret(cli->url);
		if ((rc = rt_config_load(&cli->cfg, &o)) < 0) {
			cli->cfg = NULL;
			return rc;
		}
		out_info("config: %s%s%s", cli->cfg->path,
		         cli->cfg->environment ? ", environment " : "",
		         cli->cfg->environment ? cli->cfg->environment : "");
		if (cli->cfg->url) {
			char *masked = rt_url_masked(cli->cfg->url);
			out_info("database: %s (from %s)", masked ? masked : "****",
			         cli->cfg->url_source ? cli->cfg->url_source : "config");
			free(masked);
		} else {
			out_info("database: none configured");
		}
	}
	*out = cli->cfg;
	return 0;
}

int cli_dialect(struct cli *cli, enum rt_dialect *out)
{
	struct rt_config *cfg;
	int rc;

	*out = RT_DIALECT_SQLITE;
	if ((rc = cli_load_config(cli, &cfg)) < 0)
		return rc;
	if (!cfg->url)
		return 0;
	return rt_url_dialect(cfg->url, out);
}

/* Prints every problem of the graph: errors always, warnings unless -q. */
static void print_problems(struct cli *cli, const struct rt_graph *g)
{
	for (size_t i = 0; i < g->problems.n; i++) {
		const struct rt_diag *d = &g->problems.items[i];

		if (d->severity == RT_SEV_WARNING && cli->quiet)
			continue;
		out_diag(d, 0, d->file ? cli_relpath(cli, d->file) : NULL);
	}
}

/* --json: {"ok": false, "error": {...}, "problems": [...]} for an invalid graph. */
static void print_problems_json(const struct rt_diags *problems, size_t nerr)
{
	struct rt_buf msg = RT_BUF_INIT;
	struct rt_error e;
	struct json j;

	rt_buf_addf(&msg, "the revision scripts have %zu error%s", nerr, nerr == 1 ? "" : "s");
	memset(&e, 0, sizeof(e));
	e.code = RT_EINPUT;
	e.message = msg.ptr;
	e.hint = (char *)"Fix the files listed in problems; 'retort check' lists every problem.";
	json_init(&j);
	json_object_begin(&j);
	json_kbool(&j, "ok", 0);
	json_key(&j, "error");
	out_error_json(&j, &e);
	json_key(&j, "problems");
	json_array_begin(&j);
	for (size_t i = 0; i < problems->n; i++)
		out_diag_json(&j, &problems->items[i]);
	json_array_end(&j);
	json_object_end(&j);
	json_print(&j);
	rt_buf_release(&msg);
}

int cli_load_graph(struct cli *cli, unsigned flags, struct rt_graph **out)
{
	struct rt_config *cfg;
	enum rt_dialect dialect;
	int rc;

	if (!cli->graph) {
		if ((rc = cli_load_config(cli, &cfg)) < 0 || (rc = cli_dialect(cli, &dialect)) < 0)
			return rc;
		if ((rc = rt_graph_load(&cli->graph, cfg, dialect)) < 0) {
			cli->graph = NULL;
			return rc;
		}
		out_info("%zu revision%s, %zu head%s", cli->graph->n, cli->graph->n == 1 ? "" : "s",
		         cli->graph->nheads, cli->graph->nheads == 1 ? "" : "s");
		if (flags & CLI_GRAPH_ANY) {
			/* The caller reports the problems its own way (check), or not at all (edit). */
		} else if (rt_graph_require_valid(cli->graph) < 0) {
			size_t nerr = rt_diags_count(&cli->graph->problems, RT_SEV_ERROR);

			print_problems(cli, cli->graph);
			if (nerr == 0)
				return cli_report(cli, RT_EINPUT);
			out_hint("Fix the files named above; 'retort check' lists every problem.");
			if (cli->json)
				print_problems_json(&cli->graph->problems, nerr);
			cli->reported = 1;
			*out = NULL;
			return RT_EINPUT;
		} else {
			print_problems(cli, cli->graph);
		}
	} else if (!(flags & CLI_GRAPH_ANY) && rt_graph_require_valid(cli->graph) < 0) {
		return cli_report(cli, RT_EINPUT);
	}
	*out = cli->graph;
	return 0;
}

int cli_has_url(struct cli *cli)
{
	struct rt_config *cfg;

	return cli_load_config(cli, &cfg) == 0 && cfg->url != NULL;
}

int cli_open_db(struct cli *cli, unsigned flags, struct rt_db **out)
{
	struct rt_config *cfg;
	int rc;

	if (!cli->db) {
		if ((rc = cli_load_config(cli, &cfg)) < 0)
			return rc;
		if (!cfg->url)
			return cli_fail(cli, RT_EUSAGE,
			                "Set database.url in the config, or use --url or $RETORT_DATABASE_URL.",
			                "no database URL is configured in '%s'",
			                cli_relpath(cli, cfg->path));
		if ((rc = rt_db_open(&cli->db, cfg, flags)) < 0) {
			cli->db = NULL;
			return rc;
		}
		/* current, check, history -v...: say so rather than print nothing at all */
		if (!rt_db_exists(cli->db))
			out_notice("%s does not exist yet: no revision is applied",
			           rt_db_describe(cli->db));
	}
	*out = cli->db;
	return 0;
}

const char *cli_project_dir(struct cli *cli)
{
	if (cli->cfg && cli->cfg->dir)
		return cli->cfg->dir;
	if (!cli->cwd)
		cli->cwd = getcwd(NULL, 0);
	return cli->cwd;
}

const char *cli_relpath(struct cli *cli, const char *path)
{
	const char *base = cli_project_dir(cli);
	size_t len;

	if (!path)
		return "";
	if (!base)
		return path;
	len = strlen(base);
	if (strcmp(base, "/") == 0 && path[0] == '/' && path[1])
		return path + 1;
	if (strncmp(path, base, len) == 0 && path[len] == '/' && path[len + 1])
		return path + len + 1;
	return path;
}

void cli_release(struct cli *cli)
{
	rt_db_close(cli->db);
	cli->db = NULL;
	rt_graph_free(cli->graph);
	cli->graph = NULL;
	rt_config_free(cli->cfg);
	cli->cfg = NULL;
	rt_strlist_release(&cli->vars);
	free(cli->cwd);
	cli->cwd = NULL;
}
