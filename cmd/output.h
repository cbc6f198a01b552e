/*
 * output.h - every byte the command line prints goes through here.
 *
 * Results go to stdout (text, or one JSON document with --json); errors, warnings,
 * notices, progress and -v details go to stderr. -q silences progress, notices and
 * warnings (and the hints that follow them); -v enables details. Nothing is rewritten on
 * the way (see output.c on passwords).
 * The single error report (text on stderr, and with --json the failure object on
 * stdout) lives here too.
 */
#ifndef RETORT_CMD_OUTPUT_H
#define RETORT_CMD_OUTPUT_H

#include <stddef.h>
#include "retort.h"

struct cli;
struct json;

/* Tells the output module where -q, -v and --json live (they may change while the
 * options after the command name are parsed), and the cwd that paths in messages are
 * shown relative to. */
void out_init(struct cli *cli);

/* stdout */
void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_puts(const char *s);  /* as is, no newline added */
/* Writes len bytes of s to stdout, as they are (a JSON document, an offline script). */
void out_write(const char *s, size_t len);
/* Flushes and closes stdout; returns 0 or the errno of the first failure. */
int out_stdout_finish(void);

/* stderr. progress, notice and warning are silenced by -q; info shows with -v only; a
 * hint is silenced when the message it follows was. */
void out_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* "notice: " */
void out_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* "warning: " */
void out_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* "error: " */
void out_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));    /* "hint: " */

/* The stable name of an RT_E* code in JSON ("database", "not-found", ...). */
const char *out_code_name(int code);

/* Reports an error: "error: message", its context verbatim, "detail: ...", "hint: ..."
 * on stderr; with --json also {"ok": false, "error": {...}} on stdout. */
void out_error_report(const struct rt_error *e);
/* The stderr part of out_error_report() alone (for documents that embed the error). */
void out_error_text(const struct rt_error *e);
/* A usage error: "error: message" then the line see ("see 'retort NAME --help'"); with
 * --json the failure object (code "usage", see as its hint). */
void out_usage_error(const char *message, const char *see);
/* Writes the error object {"code", "message", ...} into j (for documents that embed it). */
void out_error_json(struct json *j, const struct rt_error *e);

/* One diagnostic, "error: file:line: message" / "warning: ..." then "  hint: ...", to
 * stdout (to_stdout) or stderr. */
void out_diag(const struct rt_diag *d, int to_stdout, const char *display_file);
/* The diagnostic as a JSON object. */
void out_diag_json(struct json *j, const struct rt_diag *d);

#endif
