/*
 * cmd_edit.c - `retort edit REV`: opens the revision's file in $VISUAL, else $EDITOR,
 * else vi. The editor value is split into words as a shell would split it (quotes and
 * backslashes, no expansion) and run directly (no shell), with the file appended; retort waits for it, ignoring SIGINT/SIGQUIT meanwhile as git
 * does (the terminal's ^C belongs to the editor). A graph with problems is accepted:
 * editing is how they get fixed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"
#include "opt.h"
#include "output.h"

/* $VISUAL, else $EDITOR, else vi; *name says which. */
static const char *editor_value(const char **name)
{
	const char *e = getenv("VISUAL");

	*name = "$VISUAL";
	if (!e || !*e) {
		e = getenv("EDITOR");
		*name = "$EDITOR";
	}
	if (!e || !*e) {
		e = "vi";
		*name = "the default editor";
	}
	return e;
}

/* Copies the quoted text after an opening quote q at *pp to *wp, as sh reads it: inside
 * '...' every byte is itself; inside "..." a backslash escapes $ ` " \ and a newline
 * (which it removes) and is itself before anything else. -1 when the quote is not
 * closed. */
static int copy_quoted(const char **pp, char **wp, char q)
{
	const char *p = *pp;
	char *w = *wp;

	for (; *p && *p != q; p++) {
		if (q == '"' && *p == '\\' && p[1] && strchr("$`\"\\\n", p[1])) {
			if (*++p != '\n')
				*w++ = *p;
			continue;
		}
		*w++ = *p;
	}
	if (*p != q)
		return -1;
	*pp = p + 1;
	*wp = w;
	return 0;
}

/*
 * Splits value into words as a shell does - blanks separate words; '...', "..." and a
 * backslash quote - but expands nothing ($VAR, ~ and globs stay as written): no shell
 * runs. The words are written into copy (as long as value), NUL-terminated, and listed
 * in *argv (malloc), followed by file and NULL. -1 for an unterminated quote, -2 when out
 * of memory.
 */
static int split_editor(const char *value, char *copy, const char *file, char ***argv)
{
	size_t n = 0, cap = 8;
	char **list = malloc(cap * sizeof(*list)), *w = copy;
	const char *p = value;

	if (!list)
		return -2;
	while (*p) {
		char *word = w;
		if (strchr(" \t\n", *p)) {
			p++;
			continue;
		}
		while (*p && !strchr(" \t\n", *p)) {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				if (copy_quoted(&p, &w, q) < 0) {
					free(list);
					return -1;
				}
			} else if (*p == '\\' && p[1]) {
				if (p[1] != '\n')
					*w++ = p[1];
				p += 2;
			} else {
				*w++ = *p++;
			}
		}
		*w++ = '\0';
		if (n + 2 >= cap) {
			char **grown = realloc(list, (cap *= 2) * sizeof(*list));
			if (!grown) {
				free(list);
				return -2;
			}
			list = grown;
		}
		list[n++] = word;
	}
	list[n++] = (char *)file;
	list[n] = NULL;
	*argv = list;
	return 0;
}

/* Child side: default signal dispositions, then exec; reports errno through fd. */
static void exec_editor(char **argv, int fd)
{
	int err;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	err = errno;
	if (write(fd, &err, sizeof(err)) < 0) {
		/* nothing more can be done in the child */
	}
	_exit(127);
}

static int run_editor(struct cli *cli, char **argv)
{
	struct sigaction ign, old_int, old_quit;
	int pipefd[2], status = 0, exec_errno = 0, fork_errno;
	pid_t pid;
	ssize_t got;

	if (pipe(pipefd) < 0 || fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) < 0)
		return cli_fail(cli, RT_ERROR, NULL, "cannot start the editor: %s", strerror(errno));
	fflush(stdout);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	fork_errno = errno;
	if (pid == 0) {
		close(pipefd[0]);
		exec_editor(argv, pipefd[1]);
	}
	close(pipefd[1]);
	if (pid > 0) {
		do
			got = read(pipefd[0], &exec_errno, sizeof(exec_errno));
		while (got < 0 && errno == EINTR);
		if (got != (ssize_t)sizeof(exec_errno))
			exec_errno = 0;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);

	if (pid < 0)
		return cli_fail(cli, RT_ERROR, NULL, "cannot start the editor: %s", strerror(fork_errno));
	if (exec_errno)
		return cli_fail(cli, RT_ERROR, "Set $VISUAL or $EDITOR to an editor that is installed.",
		                "cannot run the editor '%s': %s", argv[0], strerror(exec_errno));
	if (WIFSIGNALED(status))
		return cli_fail(cli, RT_ERROR, NULL, "the editor '%s' was killed by signal %d",
		                argv[0], WTERMSIG(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return cli_fail(cli, RT_ERROR, NULL, "the editor '%s' exited with status %d", argv[0],
		                WEXITSTATUS(status));
	return 0;
}

int cmd_edit(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("edit");
	struct rt_revlist revs = RT_REVLIST_INIT;
	struct rt_graph *g;
	char *copy = NULL, **editor = NULL;
	const char *value, *name;
	int nargs, rc, split;

	if ((rc = opt_parse(cli, self, NULL, NULL, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs != 1)
		return opt_usage_error(cli, self, nargs ? "expected one revision" : "missing REV");
	if ((rc = cli_load_graph(cli, CLI_GRAPH_ANY, &g)) < 0 ||
	    (rc = rt_graph_resolve(g, NULL, argv[0], RT_REF_ONE, &revs)) < 0)
		goto out;
	value = editor_value(&name);
	copy = malloc(strlen(value) + 1);
	split = copy ? split_editor(value, copy, revs.items[0]->path, &editor) : -2;
	if (split == -2) {
		rc = cli_fail(cli, RT_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (split == -1) {
		rc = cli_fail(cli, RT_EUSAGE,
		              "Close the quote: the value is split into words as a shell would split it, "
		              "without running one.",
		              "cannot split %s into words: a quote is not closed", name);
		goto out;
	}
	if (editor[0] == revs.items[0]->path) {
		rc = cli_fail(cli, RT_EUSAGE, "Set it to an editor, such as 'vi' or 'code --wait'.",
		              "%s is blank", name);
		goto out;
	}
	out_info("running %s %s", editor[0], cli_relpath(cli, revs.items[0]->path));
	rc = run_editor(cli, editor);
out:
	free(editor);
	free(copy);
	rt_revlist_release(&revs);
	return rc;
}
