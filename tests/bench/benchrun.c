/*
 * benchrun.c - runs one command, or a two-command pipeline, and reports its wall time and
 * the peak resident memory of each process, measured by the kernel (wait4's ru_maxrss).
 *
 *   benchrun [-o OUT] [-e ERR] [-i IN] -- CMD [ARGS...] [--pipe CMD2 [ARGS...]]
 *
 * The last process's stdout goes to OUT (default /dev/null), stdin of the first comes from
 * IN (default /dev/null), and every process's stderr goes to ERR (default: inherited).
 * With --pipe, CMD's stdout feeds CMD2's stdin, as `CMD | CMD2` would.
 *
 * Prints one line on stdout:  WALL_NS RSS1_KB STATUS1 USER1_US SYS1_US [RSS2_KB STATUS2 USER2_US SYS2_US]
 * WALL_NS runs from just before the first fork to the return of the last wait4();
 * STATUS is the exit status, or 128+signal; USER and SYS are the CPU times of that process. The launcher is a small C process, so unlike
 * a Python or shell parent it adds next to nothing to the children's ru_maxrss (a child
 * starts with a copy of its parent's memory map until it execs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "benchrun: %s: %s\n", what, strerror(errno));
	exit(125);
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0)
		die(path);
	return fd;
}

/* Forks a child with the given stdin/stdout/stderr descriptors; closes others it knows of. */
static pid_t spawn(char **argv, int in, int out, int err, int close1, int close2)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (in != 0 && dup2(in, 0) < 0)
			_exit(126);
		if (out != 1 && dup2(out, 1) < 0)
			_exit(126);
		if (err >= 0 && err != 2 && dup2(err, 2) < 0)
			_exit(126);
		if (close1 > 2)
			close(close1);
		if (close2 > 2)
			close(close2);
		execvp(argv[0], argv);
		fprintf(stderr, "benchrun: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static long long usec(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000LL + tv->tv_usec;
}

static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

int main(int argc, char **argv)
{
	const char *outp = "/dev/null", *errp = NULL, *inp = "/dev/null";
	char **cmd1 = NULL, **cmd2 = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cmd1 = &argv[i + 1];
			break;
		}
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "-o") == 0)
			outp = argv[++i];
		else if (strcmp(argv[i], "-e") == 0)
			errp = argv[++i];
		else if (strcmp(argv[i], "-i") == 0)
			inp = argv[++i];
		else
			goto usage;
	}
	if (!cmd1 || !cmd1[0])
		goto usage;
	for (i = 0; cmd1[i]; i++) {
		if (strcmp(cmd1[i], "--pipe") == 0) {
			cmd1[i] = NULL;
			cmd2 = &cmd1[i + 1];
			if (!cmd2[0] || !cmd1[0])
				goto usage;
			break;
		}
	}

	int in = open_or_die(inp, O_RDONLY);
	int out = open_or_die(outp, O_WRONLY | O_CREAT | O_TRUNC);
	int err = errp ? open_or_die(errp, O_WRONLY | O_CREAT | O_APPEND) : -1;
	struct timespec t0, t1;
	struct rusage ru1, ru2;
	int st1 = 0, st2 = 0;
	pid_t p1, p2 = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cmd2) {
		int fds[2];

		if (pipe2(fds, O_CLOEXEC) < 0)
			die("pipe");
		p1 = spawn(cmd1, in, fds[1], err, fds[0], -1);
		p2 = spawn(cmd2, fds[0], out, err, fds[1], -1);
		close(fds[0]);
		close(fds[1]);
	} else {
		p1 = spawn(cmd1, in, out, err, -1, -1);
	}
	while (wait4(p1, &st1, 0, &ru1) < 0)
		if (errno != EINTR)
			die("wait4");
	if (cmd2)
		while (wait4(p2, &st2, 0, &ru2) < 0)
			if (errno != EINTR)
				die("wait4");
	clock_gettime(CLOCK_MONOTONIC, &t1);

	long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	printf("%lld %ld %d %lld %lld", ns, ru1.ru_maxrss, status_code(st1), usec(&ru1.ru_utime),
	       usec(&ru1.ru_stime));
	if (cmd2)
		printf(" %ld %d %lld %lld", ru2.ru_maxrss, status_code(st2), usec(&ru2.ru_utime),
		       usec(&ru2.ru_stime));
	printf("\n");
	return 0;

usage:
	fprintf(stderr, "usage: benchrun [-o OUT] [-e ERR] [-i IN] -- CMD [ARGS...] [--pipe CMD2 [ARGS...]]\n");
	return 125;
}
