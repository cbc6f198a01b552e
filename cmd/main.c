/*
 * main.c - the entry point of `retort`: global options, the command table, dispatch,
 * signal handling, the mapping of RT_E* codes to exit statuses, and the final check
 * that everything written to stdout reached it.
 *
 * Exit statuses: 0 success; 1 a migration or database failure (or stdout failing);
 * 2 bad usage or bad input; 130 / 143 interrupted by SIGINT / SIGTERM.
 *
 * Signals: SIGPIPE is ignored, so a reader that goes away (`retort history | head`)
 * turns into a quiet EPIPE instead of killing a process that may be mid-migration.
 * SIGINT and SIGTERM call rt_interrupt(); while a command runs a plan it defers them
 * (the library rolls back, unlocks and returns RT_EINTERRUPTED), otherwise they end
 * the process as if there were no handler.
 *
 * Closed standard descriptors are reopened on /dev/null first (as git does), so that a
 * database file can never end up as descriptor 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "opt.h"
#include "output.h"

const struct cmd_spec cli_commands[] = {
	{ "branches", cmd_branches, "show the branch points of the revision graph", "",
	  "Lists every revision with more than one child, and its children." },
	{ "check", cmd_check, "validate the scripts, and the database against them", "[--no-db]",
	  "Checks every revision script (headers, graph, statements, variables) and, when a "
	  "database is configured,\nthat its applied revisions still match their files. Exits "
	  "with 2 when there are errors." },
	{ "current", cmd_current, "show the revisions the database is at", "[--verbose]",
	  "Prints the version rows of the database. With --verbose, the details of each one, "
	  "its last\nhistory record, and any failed or interrupted run since." },
	{ "downgrade", cmd_downgrade, "revert the database to an older revision",
	  "TARGET\n--sql FROM:TO",
	  "Runs the downgrade sections of the applied revisions above TARGET, newest first.\n"
	  "TARGET: base, an id or prefix, a branch label, LABEL@base, -N, REV-N, LABEL@-N.\n"
	  "With --sql, prints the SQL instead of connecting to a database." },
	{ "edit", cmd_edit, "open a revision script in $VISUAL or $EDITOR", "REV",
	  "Opens the file of revision REV (an id, a prefix, a branch label, head) in $VISUAL,\n"
	  "else $EDITOR, else vi." },
	{ "graph", cmd_graph, "print the revision graph as Graphviz DOT", "[--no-current]",
	  "Prints the revision graph in the DOT language (render it with `dot -Tsvg`). Revisions\n"
	  "the database is at are highlighted unless --no-current is given or no database is\n"
	  "configured." },
	{ "heads", cmd_heads, "show the heads of the revision graph", "",
	  "Lists the revisions nothing descends from." },
	{ "help", cmd_help, "show the help of retort or of a command", "[COMMAND]", NULL },
	{ "history", cmd_history, "list revisions, newest first",
	  "[-r RANGE] [--verbose] [--indicate-current]",
	  "Lists the revisions in RANGE (A:B, A:, :B, 'current' allowed on either side), or all\n"
	  "of them, newest first." },
	{ "init", cmd_init, "create a new project from a template", "DIR [--template NAME]",
	  "Creates DIR from a project template (default: generic). DIR must not exist or be empty." },
	{ "list-templates", cmd_list_templates, "list the project templates", "",
	  "Lists the templates `retort init --template` accepts." },
	{ "merge", cmd_merge, "create a revision that merges heads", "-m MSG REV...\n-m MSG heads",
	  "Creates an empty revision whose parents are the given revisions (at least two),\n"
	  "or all the current heads." },
	{ "resolve", cmd_resolve, "record what a revision that stopped part-way left in the database",
	  "REV --done | --undone | --retry-from N [-m NOTE]",
	  "After a statement-by-statement revision failed or was interrupted part-way, records\n"
	  "what you checked: --done (every statement took effect), --undone (nothing of it is\n"
	  "left) or --retry-from N (statements before N took effect; the next run resumes at N).\n"
	  "The next upgrade or downgrade then proceeds; the history keeps the decision." },
	{ "revision", cmd_revision, "create a new revision script",
	  "-m MSG [--head REV] [--branch-label L] [--depends-on REV]... [--rev-id ID] [--splice]",
	  "Creates a new revision file on top of the single head, or of --head REV (--head base\n"
	  "starts a new root). Never overwrites a file." },
	{ "show", cmd_show, "show the details of a revision", "REV",
	  "Prints a revision's header, its file, and what its sections hold." },
	{ "stamp", cmd_stamp, "set the version table to a revision without running scripts",
	  "TARGET [--purge]\n--sql [FROM:]TO [--purge]",
	  "Rewrites the version rows so that the database is recorded at TARGET; no revision\n"
	  "script runs. --purge deletes every version row first." },
	{ "upgrade", cmd_upgrade, "upgrade the database to a newer revision",
	  "TARGET\n--sql [FROM:]TO",
	  "Runs the upgrade sections of the revisions up to TARGET, oldest first.\n"
	  "TARGET: head, heads, an id or prefix, a branch label, LABEL@head, +N, REV+N, LABEL@+N.\n"
	  "With --sql, prints the SQL instead of connecting to a database." },
	{ "version", cmd_version, "print the version of retort", "", "Prints the version of retort." },
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const struct cmd_spec *cli_command(const char *name)
{
	size_t lo = 0, hi = cli_ncommands;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, cli_commands[mid].name);

		if (c == 0)
			return &cli_commands[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static volatile sig_atomic_t signals_deferred;

void cli_signals_defer(int defer)
{
	signals_deferred = defer ? 1 : 0;
}

static void on_signal(int sig)
{
	rt_interrupt(sig);
	if (!signals_deferred) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigemptyset(&sa.sa_mask);
		sigaction(sig, &sa, NULL);
		raise(sig); /* delivered when the handler returns */
	}
}

/* Makes sure descriptors 0, 1 and 2 are open (on /dev/null when they were closed), so
 * that the database file can never be opened as "stdout" and written to by a printf. */
static void sanitize_stdfds(void)
{
	int fd;

	do
		fd = open("/dev/null", O_RDWR);
	while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR and notice */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static int exit_status(int code, int sig)
{
	switch (code) {
	case RT_OK:
		return 0;
	case RT_EINTERRUPTED:
		return sig == SIGTERM ? 143 : 130;
	case RT_EUSAGE:
	case RT_EINPUT:
	case RT_ENOTFOUND:
	case RT_EAMBIGUOUS:
	case RT_EMULTIHEADS:
	case RT_ECYCLE:
	case RT_EIRREVERSIBLE:
	case RT_EIO:
	case RT_EEXISTS:
		return 2;
	default: /* RT_ERROR, RT_ENOMEM, RT_EDB, RT_ELOCKED, RT_ESTATE */
		return 1;
	}
}

static int run(struct cli *cli, int argc, char **argv)
{
	int help = 0, version = 0, idx;
	const struct cmd_spec *cmd;
	char *help_argv[3];

	idx = opt_parse_global(cli, argc, argv, &help, &version);
	if (idx < 0)
		return idx;
	if (version) {
		help_argv[0] = (char *)"version";
		help_argv[1] = NULL;
		return cmd_version(1, help_argv, cli);
	}
	if (idx >= argc) {
		/* Plain `retort`: the overview, as a usage error unless --help asked for it. */
		help_argv[0] = (char *)"help";
		help_argv[1] = NULL;
		cmd_help(1, help_argv, cli);
		if (help)
			return 0;
		cli->reported = 1;
		return RT_EUSAGE;
	}
	cmd = cli_command(argv[idx]);
	if (!cmd)
		return opt_usage_error(cli, NULL, "unknown command '%s'", argv[idx]);
	cli->cmd = cmd;
	if (help) {
		/* `retort --help NAME`: the same usage as `retort NAME --help`. */
		help_argv[0] = (char *)cmd->name;
		help_argv[1] = (char *)"--help";
		help_argv[2] = NULL;
		return cmd->fn(2, help_argv, cli);
	}
	return cmd->fn(argc - idx, argv + idx, cli);
}

/* Test hook: RETORT_FAIL_ALLOC_AFTER=N makes the library's Nth allocation, and every one
 * after it, fail, so tests can prove each failure ends in a clean error. */
static void alloc_failure_hook(void)
{
	const char *n = getenv("RETORT_FAIL_ALLOC_AFTER");
	if (n && *n)
		rt_alloc_fail_after(strtol(n, NULL, 10));
}

/* Test hook: RETORT_FAULT=KIND:N[:once|:persist] makes the Nth database call of KIND
 * (exec, query, commit) fail, so tests can prove each failure leaves the database true;
 * RETORT_FAULT=count fails nothing and, with -v, prints how many calls of each kind ran. */
static int fault_hook(struct cli *cli)
{
	const char *spec = getenv("RETORT_FAULT");

	if (spec && *spec && rt_fault_set(spec) < 0)
		return cli_fail(cli, RT_EUSAGE, rt_error_last()->hint, "RETORT_FAULT: %s",
		                rt_error_last()->message);
	return 0;
}

static void fault_counts(void)
{
	const char *spec = getenv("RETORT_FAULT");

	if (spec && strcmp(spec, "count") == 0)
		out_info("fault calls: exec %ld, query %ld, commit %ld", rt_fault_calls("exec"),
		         rt_fault_calls("query"), rt_fault_calls("commit"));
}

int main(int argc, char **argv)
{
	struct cli cli;
	int rc, status, sig, werr;

	sanitize_stdfds();
	memset(&cli, 0, sizeof(cli));
	out_init(&cli);
	install_signals();
	alloc_failure_hook();

	if ((rc = fault_hook(&cli)) == 0)
		rc = run(&cli, argc, argv);
	sig = rt_error_last()->signal ? rt_error_last()->signal : rt_interrupted();
	if (rc < 0 && !cli.reported)
		cli_report(&cli, rc);
	fault_counts();
	status = exit_status(rc, sig);

	cli_release(&cli);
	werr = out_stdout_finish();
	if (werr) {
		/* A reader that went away is not worth a message (git does the same). */
		if (werr != EPIPE)
			out_error("cannot write to standard output: %s", strerror(werr));
		if (status == 0)
			status = 1;
	}
	rt_library_cleanup();
	return status;
}
