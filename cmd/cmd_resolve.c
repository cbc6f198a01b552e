/*
 * cmd_resolve.c - `retort resolve REV --done | --undone | --retry-from N [-m NOTE]`:
 * records what the DBA found in the database after a statement-by-statement revision
 * stopped part-way (rt_resolve()), so that the next upgrade or downgrade proceeds.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

struct resolve_opts {
	int done;
	int undone;
	const char *retry_from;
	const char *note;
};

static const struct opt resolve_options[] = {
	OPT_FLAG("done", 0, struct resolve_opts, done,
	         "every statement took effect (or you finished the revision by hand)"),
	OPT_FLAG("undone", 0, struct resolve_opts, undone, "nothing of the revision is left in the database"),
	OPT_STRING("retry-from", 0, struct resolve_opts, retry_from, "N",
	           "statements before N took effect: the next run resumes at statement N"),
	OPT_STRING("message", 'm', struct resolve_opts, note, "NOTE", "what you checked, kept in the history"),
	OPT_END
};

static void on_notice(void *ctx, const char *message)
{
	(void)ctx;
	out_notice("%s", message);
}

/* The action the options ask for; RT_EUSAGE (reported) unless exactly one is given. */
static int pick_action(struct cli *cli, const struct cmd_spec *self, const struct resolve_opts *o,
                       enum rt_resolve_action *a, int *from)
{
	char *end = NULL;
	long n = 0;

	if (o->done + o->undone + (o->retry_from != NULL) != 1)
		return opt_usage_error(cli, self, "give exactly one of --done, --undone and --retry-from N");
	if (o->retry_from) {
		n = strtol(o->retry_from, &end, 10);
		if (!*o->retry_from || *end || n < 1 || n > 1000000000L)
			return opt_usage_error(cli, self, "--retry-from takes a statement number (1, 2, ...), not '%s'",
			                       o->retry_from);
	}
	*a = o->done ? RT_RESOLVE_DONE : o->undone ? RT_RESOLVE_UNDONE : RT_RESOLVE_RETRY;
	*from = (int)n;
	return 0;
}

static void print_result(struct cli *cli, const struct rt_resolution *r)
{
	const char *dir = r->direction == RT_UPGRADE ? "upgrade" : "downgrade";

	if (cli->json) {
		struct json j;
		json_init(&j);
		json_object_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstring(&j, "revision", r->revision);
		json_kstring(&j, "direction", dir);
		json_kstring(&j, "action", r->action == RT_RESOLVE_DONE ? "done"
		                           : r->action == RT_RESOLVE_UNDONE ? "undone" : "retry");
		if (r->action == RT_RESOLVE_RETRY)
			json_kint(&j, "retry_from", r->retry_from);
		json_kint(&j, "statements", r->statements);
		json_kint(&j, "completed_before", r->completed);
		json_object_end(&j);
		json_print(&j);
	} else if (r->action == RT_RESOLVE_DONE) {
		out_progress("recorded the %s of '%s' as done: the version table now says so", dir, r->revision);
	} else if (r->action == RT_RESOLVE_UNDONE) {
		out_progress("recorded the %s of '%s' as undone: it runs again from its first statement", dir,
		         r->revision);
	} else {
		out_progress("recorded statements 1 to %d of the %s of '%s' as done: the next %s resumes at statement %d of %d",
		         r->retry_from - 1, dir, r->revision, dir, r->retry_from, r->statements);
	}
}

int cmd_resolve(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("resolve");
	struct resolve_opts o = { 0, 0, NULL, NULL };
	struct rt_run_events ev = { NULL, NULL, NULL, on_notice };
	struct rt_resolution res;
	enum rt_resolve_action action = RT_RESOLVE_DONE;
	struct rt_graph *g;
	struct rt_db *db;
	int nargs, from = 0, rc;

	if ((rc = opt_parse(cli, self, resolve_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs == 0)
		return opt_usage_error(cli, self, "which revision? give the id of the one that stopped part-way");
	if (nargs > 1)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[1]);
	if ((rc = pick_action(cli, self, &o, &action, &from)) < 0)
		return rc;
	if ((rc = cli_load_graph(cli, 0, &g)) < 0 || (rc = cli_open_db(cli, 0, &db)) < 0)
		return rc;
	cli_signals_defer(1);
	rc = rt_resolve(db, g, argv[0], action, from, o.note, &ev, &res);
	cli_signals_defer(0);
	if (rc == 0)
		print_result(cli, &res);
	return rc;
}
