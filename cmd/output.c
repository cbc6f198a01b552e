/*
 * output.c - printing for the command line (see output.h).
 *
 * Every message is formatted into one buffer and written with a single call, so
 * concurrent stderr writers do not interleave mid-line. Nothing is rewritten on the way:
 * the text that reaches this module holds no password (the library masks the text it
 * quotes from outside, URLs are shown through rt_url_masked(), statements from scripts
 * through rt_mask()), so retort's own words, numbers and JSON stay as they are. Write
 * failures on stdout are remembered (the first errno) so that main.c can report them once
 * at exit; after one, further stdout output is dropped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "output.h"

static struct cli *opts;
static int stdout_errno;
static int last_silenced; /* the last stderr message was silenced (-q): so is its hint */

void out_init(struct cli *cli)
{
	opts = cli;
}

static int is_quiet(void)
{
	return opts && opts->quiet;
}

static int is_verbose(void)
{
	return opts && opts->verbose > 0;
}

static int is_json(void)
{
	return opts && opts->json;
}

static void put_stdout(const char *s, size_t len)
{
	if (stdout_errno || !len)
		return;
	errno = 0;
	if (fwrite(s, 1, len, stdout) != len || ferror(stdout))
		stdout_errno = errno ? errno : EIO;
}

static void put_stderr(const char *s)
{
	fputs(s, stderr);
}

/*
 * Appends text to b with every absolute path below the project directory shown relative
 * to it ("'/srv/app/versions/x.sql'" becomes "'versions/x.sql'", the directory itself
 * "."), where a path starts: at the start of text or after a quote. Messages of the
 * library name absolute paths; the front end shows them as it shows every other path.
 */
static int add_shortened(struct rt_buf *b, const char *text, int shorten)
{
	const char *base = shorten && opts ? cli_project_dir(opts) : NULL;
	size_t len = base ? strlen(base) : 0;

	if (len < 2) /* unknown, or "/": nothing to shorten */
		return rt_buf_puts(b, text);
	for (const char *p = text; *p;) {
		int starts = p == text || p[-1] == '\'' || p[-1] == '"';
		if (starts && strncmp(p, base, len) == 0 && p[len] == '/' && p[len + 1] &&
		    p[len + 1] != '\'' && p[len + 1] != '"') {
			p += len + 1;
			continue;
		}
		if (starts && strncmp(p, base, len) == 0 && (p[len] == '\'' || p[len] == '"')) {
			if (rt_buf_putc(b, '.') < 0)
				return RT_ENOMEM;
			p += len;
			continue;
		}
		if (rt_buf_putc(b, *p++) < 0)
			return RT_ENOMEM;
	}
	return 0;
}

/* Formats prefix + fmt + suffix (the formatted part with paths shortened when shorten);
 * NULL when out of memory. */
static char *vformat(const char *prefix, const char *fmt, va_list ap, const char *suffix,
                     int shorten)
{
	struct rt_buf b = RT_BUF_INIT, body = RT_BUF_INIT;

	rt_buf_vaddf(&body, fmt, ap);
	rt_buf_puts(&b, prefix);
	if (rt_buf_status(&body) == 0)
		add_shortened(&b, body.ptr, shorten);
	rt_buf_puts(&b, suffix);
	if (rt_buf_status(&body) < 0)
		b.failed = 1;
	rt_buf_release(&body);
	return rt_buf_detach(&b); /* NULL when anything failed */
}

/* Prints a message; shorten: show the project's paths in it relative (see above). */
static void emit(int to_stdout, int shorten, const char *prefix, const char *fmt, va_list ap,
                 const char *suffix)
{
	char *text;

	rt_alloc_exempt(1);
	text = vformat(prefix, fmt, ap, suffix, shorten);
	rt_alloc_exempt(0);

	if (!text) {
		if (!to_stdout)
			put_stderr("error: out of memory\n");
		else if (!stdout_errno)
			stdout_errno = ENOMEM;
		return;
	}
	if (to_stdout) {
		put_stdout(text, strlen(text));
	} else {
		put_stderr(text);
		last_silenced = 0;
	}
	free(text);
}

void out_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(1, 0, "", fmt, ap, "");
	va_end(ap);
}

void out_puts(const char *s)
{
	out_write(s, strlen(s));
}

void out_write(const char *s, size_t len)
{
	put_stdout(s, len);
}

int out_stdout_finish(void)
{
	errno = 0;
	if (fflush(stdout) != 0 && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
	if (ferror(stdout) && !stdout_errno)
		stdout_errno = EIO;
	errno = 0;
	if (fclose(stdout) != 0 && !stdout_errno && errno != EBADF)
		stdout_errno = errno ? errno : EIO;
	return stdout_errno;
}

#define STDERR_FN(name, prefix, cond)                  \
	void name(const char *fmt, ...)                    \
	{                                                  \
		va_list ap;                                    \
		if (!(cond)) {                                 \
			last_silenced = is_quiet();                \
			return;                                    \
		}                                              \
		va_start(ap, fmt);                             \
		emit(0, 1, prefix, fmt, ap, "\n");             \
		va_end(ap);                                    \
	}

STDERR_FN(out_progress, "", !is_quiet())
STDERR_FN(out_notice, "notice: ", !is_quiet())
STDERR_FN(out_warning, "warning: ", !is_quiet())
STDERR_FN(out_info, "", is_verbose())
STDERR_FN(out_error, "error: ", 1)
/* A hint belongs to the message before it: silenced with it (no orphan "hint:" under -q). */
STDERR_FN(out_hint, "hint: ", !last_silenced)

const char *out_code_name(int code)
{
	switch (code) {
	case RT_OK: return "ok";
	case RT_ENOMEM: return "out-of-memory";
	case RT_EUSAGE: return "usage";
	case RT_EINPUT: return "input";
	case RT_ENOTFOUND: return "not-found";
	case RT_EAMBIGUOUS: return "ambiguous";
	case RT_EMULTIHEADS: return "multiple-heads";
	case RT_ECYCLE: return "cycle";
	case RT_EIRREVERSIBLE: return "irreversible";
	case RT_EDB: return "database";
	case RT_ELOCKED: return "locked";
	case RT_EINTERRUPTED: return "interrupted";
	case RT_EIO: return "io";
	case RT_EEXISTS: return "exists";
	case RT_ESTATE: return "state";
	default: return "error";
	}
}

/* emit() for messages: paths shortened, unless to_stdout is 2 (then to stderr, as is:
 * an error's context quotes a statement). */
static void emitf(int to_stdout, const char *prefix, const char *suffix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void emitf(int to_stdout, const char *prefix, const char *suffix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(to_stdout == 1, to_stdout != 2, prefix, fmt, ap, suffix);
	va_end(ap);
}

/* text ends with exactly one newline when printed. */
static const char *eol(const char *text)
{
	size_t len = strlen(text);
	return len && text[len - 1] == '\n' ? "" : "\n";
}

/* {"ok": false, "error": {...}} on stdout. */
static void print_failure_json(const struct rt_error *e)
{
	struct json j;

	json_init(&j);
	json_object_begin(&j);
	json_kbool(&j, "ok", 0);
	json_key(&j, "error");
	out_error_json(&j, e);
	json_object_end(&j);
	json_print(&j);
}

void out_error_report(const struct rt_error *e)
{
	out_error_text(e);
	if (is_json())
		print_failure_json(e);
}

/* Length of the prefix file of msg ("/abs/path:12: ..."), 0 when msg does not start so. */
static size_t file_prefix(const char *msg, const char *file)
{
	size_t len = file ? strlen(file) : 0;

	return len && strncmp(msg, file, len) == 0 && msg[len] == ':' ? len : 0;
}

void out_error_text(const struct rt_error *e)
{
	const char *msg = e->message && *e->message ? e->message : "unknown error";
	size_t skip = file_prefix(msg, e->file);

	/* Paths below the current directory are shown relative to it. */
	if (skip && opts)
		emitf(0, "error: ", "\n", "%s%s", cli_relpath(opts, e->file), msg + skip);
	else
		emitf(0, "error: ", "\n", "%s", msg);
	if (e->context && *e->context)
		emitf(2, "", eol(e->context), "%s", e->context);
	if (e->detail && *e->detail)
		emitf(0, "detail: ", "\n", "%s", e->detail);
	if (e->hint && *e->hint)
		emitf(0, "hint: ", "\n", "%s", e->hint);
}

void out_usage_error(const char *message, const char *see)
{
	struct rt_error e;

	memset(&e, 0, sizeof(e));
	e.code = RT_EUSAGE;
	e.message = (char *)message;
	emitf(0, "error: ", "\n", "%s", message);
	emitf(0, "", "\n", "%s", see);
	if (is_json()) {
		e.hint = (char *)see;
		print_failure_json(&e);
	}
}

void out_error_json(struct json *j, const struct rt_error *e)
{
	json_object_begin(j);
	json_kstring(j, "code", out_code_name(e->code));
	json_kstring(j, "message", e->message && *e->message ? e->message : "unknown error");
	json_kstring(j, "file", e->file);
	json_key(j, "line");
	if (e->line > 0)
		json_int(j, e->line);
	else
		json_null(j);
	json_kstring(j, "sqlstate", e->sqlstate[0] ? e->sqlstate : NULL);
	json_kstring(j, "detail", e->detail);
	json_kstring(j, "hint", e->hint);
	json_kstring(j, "context", e->context);
	json_object_end(j);
}

void out_diag(const struct rt_diag *d, int to_stdout, const char *display_file)
{
	struct rt_buf loc = RT_BUF_INIT;
	const char *file = display_file ? display_file : d->file;
	const char *msg = d->message;
	size_t skip = file_prefix(msg, d->file);

	/* The message names its file first, or gets "file:line: " put in front of it. */
	rt_alloc_exempt(1);
	if (skip) {
		rt_buf_puts(&loc, file);
		msg += skip;
	} else if (file && *file && !file_prefix(msg, file)) {
		if (d->line > 0)
			rt_buf_addf(&loc, "%s:%d: ", file, d->line);
		else
			rt_buf_addf(&loc, "%s: ", file);
	}
	emitf(to_stdout, d->severity == RT_SEV_ERROR ? "error: " : "warning: ", "\n", "%s%s",
	      loc.ptr, msg);
	if (d->context && *d->context)
		emitf(to_stdout, "", "\n", "%s", d->context);
	if (d->hint && *d->hint)
		emitf(to_stdout, "  hint: ", "\n", "%s", d->hint);
	rt_buf_release(&loc);
	rt_alloc_exempt(0);
}

void out_diag_json(struct json *j, const struct rt_diag *d)
{
	json_object_begin(j);
	json_kstring(j, "severity", d->severity == RT_SEV_ERROR ? "error" : "warning");
	json_kstring(j, "kind", d->kind);
	json_kstring(j, "file", d->file);
	json_key(j, "line");
	if (d->line > 0)
		json_int(j, d->line);
	else
		json_null(j);
	json_kstring(j, "message", d->message);
	json_kstring(j, "hint", d->hint);
	json_kstring(j, "context", d->context);
	json_object_end(j);
}
