/*
 * cmd_graph.c - `retort graph [--no-current]`: the revision graph in Graphviz's DOT
 * language on stdout: one node per revision labelled "<id>\n<message>", solid edges from
 * parent to child, dashed edges for depends_on, heads with a double border, and, when a
 * database is configured and reachable, the revisions it is at filled and bold and the
 * other applied ones filled grey. Render with `retort graph | dot -Tsvg > graph.svg`.
 */
#include <string.h>
#include "cmd.h"
#include "opt.h"
#include "output.h"
#include "revinfo.h"

struct graph_opts {
	int no_current;
};

static const struct opt graph_options[] = {
	OPT_FLAG("no-current", 0, struct graph_opts, no_current,
	         "do not read the database to mark the current revisions"),
	OPT_END
};

/* s as the inside of a DOT quoted string: quotes and backslashes escaped, newlines as \n,
 * other control characters dropped. */
static void dot_escape(struct rt_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			rt_buf_putc(b, '\\');
			rt_buf_putc(b, *s);
		} else if (*s == '\n') {
			rt_buf_puts(b, "\\n");
		} else if ((unsigned char)*s >= 0x20) {
			rt_buf_putc(b, *s);
		}
	}
}

/* The database state, when there is one to read; warnings only on failure. */
static int read_current(struct cli *cli, const struct rt_graph *g, struct rt_state *st)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	struct rt_db *db;
	int rc;

	if (!cli_has_url(cli))
		return 0;
	if ((rc = cli_open_db(cli, RT_DB_READONLY, &db)) == 0 && (rc = rt_db_heads(db, &heads)) == 0)
		rc = rt_state_from_heads(st, g, (const char *const *)heads.items, heads.n);
	rt_strlist_release(&heads);
	if (rc < 0) {
		out_warning("current revisions not marked: %s", rt_error_last()->message);
		return 0;
	}
	return 1;
}

static void print_node(struct rt_buf *b, const struct revinfo *ri, const struct rt_revision *r)
{
	rt_buf_clear(b);
	rt_buf_puts(b, "    \"");
	dot_escape(b, r->id);
	rt_buf_puts(b, "\" [label=\"");
	dot_escape(b, r->id);
	if (r->branch_labels.n) {
		rt_buf_puts(b, " (");
		for (size_t i = 0; i < r->branch_labels.n; i++) {
			rt_buf_puts(b, i ? ", " : "");
			dot_escape(b, r->branch_labels.items[i]);
		}
		rt_buf_puts(b, ")");
	}
	if (r->message && *r->message) {
		rt_buf_puts(b, "\\n");
		dot_escape(b, r->message);
	}
	rt_buf_puts(b, "\"");
	if (rev_is_head(ri->g, r))
		rt_buf_puts(b, ", peripheries=2");
	if (rev_is_current(ri, r))
		rt_buf_puts(b, ", style=\"filled,bold\", fillcolor=\"palegreen\"");
	else if (ri->cur && ri->cur->applied && ri->cur->applied[r->index])
		rt_buf_puts(b, ", style=filled, fillcolor=\"gray90\"");
	rt_buf_puts(b, "];\n");
	out_puts(b->ptr);
}

static void print_edge(struct rt_buf *b, const char *from, const char *to, int dashed)
{
	rt_buf_clear(b);
	rt_buf_puts(b, "    \"");
	dot_escape(b, from);
	rt_buf_puts(b, "\" -> \"");
	dot_escape(b, to);
	rt_buf_puts(b, dashed ? "\" [style=dashed];\n" : "\";\n");
	out_puts(b->ptr);
}

int cmd_graph(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("graph");
	struct graph_opts o = { 0 };
	struct rt_buf line = RT_BUF_INIT;
	struct rt_state st;
	struct revinfo ri = { 0 };
	struct rt_graph *g;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, graph_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if (cli->json)
		return opt_usage_error(cli, self, "graph prints DOT; --json is not supported");
	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		return rc;
	memset(&st, 0, sizeof(st));
	ri.cli = cli;
	ri.g = g;
	if (!o.no_current && read_current(cli, g, &st))
		ri.cur = &st;

	out_printf("// retort revision graph: %zu revision%s, %zu head%s\n", g->n,
	           g->n == 1 ? "" : "s", g->nheads, g->nheads == 1 ? "" : "s");
	out_printf("// legend: double border = head; solid edge = parent -> child; "
	           "dashed edge = depends_on -> dependent\n");
	if (ri.cur)
		out_printf("// legend: filled green, bold = current (a version row); "
		           "filled grey = applied\n");
	out_printf("digraph retort {\n"
	           "    rankdir=TB;\n"
	           "    node [shape=box, fontname=\"Helvetica\"];\n");
	for (size_t i = 0; i < g->n; i++)
		print_node(&line, &ri, g->revs[i]);
	for (size_t i = 0; i < g->n; i++) {
		const struct rt_revision *r = g->revs[i];

		for (size_t p = 0; p < r->nparents; p++)
			print_edge(&line, r->parents[p]->id, r->id, 0);
		for (size_t d = 0; d < r->ndeps; d++)
			print_edge(&line, r->deps[d]->id, r->id, 1);
	}
	out_printf("}\n");
	rt_buf_release(&line);
	rt_state_release(&st);
	return 0;
}
