/*
 * cmd_show.c - `retort show REV`: one revision's header, file and parents, and what its
 * script holds: how many statements each section has, whether it can be downgraded and
 * whether it runs in a transaction. With -v, each statement with its line.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

static void print_section(const char *name, const struct rt_section *s, int verbose)
{
	if (!s->present) {
		out_printf("%s: none%s\n", name,
		           strcmp(name, "Downgrade") == 0 ? " (irreversible)" : "");
		return;
	}
	out_printf("%s: %zu statement%s (line %d)\n", name, s->n, s->n == 1 ? "" : "s", s->line);
	for (size_t i = 0; verbose && i < s->n; i++) {
		/* a statement's text, variables substituted, may hold the password: masked */
		char *sql;
		const char *nl;

		rt_alloc_exempt(1);
		sql = rt_mask(s->stmts[i].sql);
		rt_alloc_exempt(0);
		if (!sql)
			continue;
		nl = strchr(sql, '\n');
		out_printf("    line %d: %.*s%s\n", s->stmts[i].line,
		           (int)(nl ? (size_t)(nl - sql) : strlen(sql)), sql, nl ? " ..." : "");
		free(sql);
	}
}

static void show_text(const struct revinfo *ri, struct rt_revision *r, int verbose)
{
	const struct rt_script *s = r->script;

	rev_print_block(ri, r);
	print_section("Upgrade", &s->upgrade, verbose);
	print_section("Downgrade", &s->downgrade, verbose);
	out_printf("Transactional: %s\n", r->transactional ? "yes" : "no");
	out_printf("Checksum: sha256 %s\n", s->checksum);
}

static void show_json(struct json *j, const struct revinfo *ri, struct rt_revision *r)
{
	const struct rt_script *s = r->script;

	json_object_begin(j);
	rev_json_fields(j, ri, r);
	json_kstring(j, "checksum", s->checksum);
	json_kint(j, "upgrade_statements", (long long)s->upgrade.n);
	json_key(j, "downgrade_statements");
	if (s->downgrade.present)
		json_int(j, (long long)s->downgrade.n);
	else
		json_null(j);
	json_kbool(j, "irreversible", !s->downgrade.present);
	json_object_end(j);
}

int cmd_show(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("show");
	struct rt_revlist revs = RT_REVLIST_INIT;
	struct revinfo ri = { 0 };
	struct rt_graph *g;
	struct json j;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, NULL, NULL, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs != 1)
		return opt_usage_error(cli, self, nargs ? "expected one revision" : "missing REV");
	if ((rc = cli_load_graph(cli, 0, &g)) < 0 ||
	    (rc = rt_graph_resolve(g, NULL, argv[0], RT_REF_ANY, &revs)) < 0)
		goto out;
	for (size_t i = 0; i < revs.n; i++)
		if ((rc = rt_graph_load_script(g, revs.items[i])) < 0)
			goto out;
	ri.cli = cli;
	ri.g = g;
	if (cli->json) {
		/* One revision: an object; several (heads): an array of them. */
		json_init(&j);
		if (revs.n > 1)
			json_array_begin(&j);
		for (size_t i = 0; i < revs.n; i++)
			show_json(&j, &ri, revs.items[i]);
		if (revs.n > 1)
			json_array_end(&j);
		rc = json_print(&j);
		goto out;
	}
	for (size_t i = 0; i < revs.n; i++) {
		if (i)
			out_printf("\n");
		show_text(&ri, revs.items[i], cli->verbose > 0);
	}
out:
	rt_revlist_release(&revs);
	return rc;
}
