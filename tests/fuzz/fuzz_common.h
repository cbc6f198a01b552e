/*
 * fuzz_common.h - shared scaffolding for retort's libFuzzer targets in tests/fuzz/.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput() and calls the library directly.
 * Besides the sanitizers (ASan, UBSan, LeakSanitizer), the targets check the library's
 * documented contracts as oracles, and abort() with a message naming the oracle when
 * one is broken, so libFuzzer saves the input as a crash:
 *
 *   error-code      a call that fails returns the code that sits in rt_error_last()
 *                   (retort.h: "callers pass the code up unchanged"), with a message
 *   error-location  RT_EINPUT from a parser names the file it was given and a line
 *                   inside the input ("naming the file and line", issue 4)
 *   yaml-flat-diff  the flat YAML fast path builds exactly libyaml's tree or declines
 *                   (yaml_flat.c)
 *   plan-sanity     plans, states and ranges only hold revisions of the graph
 *
 * Narrower names cover one reported bug each, so fuzzing can go on past it:
 * error-location-eof (a line one past the end), line-breaks (a line counted with a CR,
 * NEL, U+2028 or U+2029 as YAML does), yaml-flat-diff-ctrl (the fast path
 * accepting a control character), split-cr (every splitter contract, for PostgreSQL
 * SQL holding a carriage return). RETORT_FUZZ_SKIP=name,name turns oracles off (only to keep fuzzing
 * past a bug that is already reported; run.sh says so in its summary).
 */
#ifndef RETORT_FUZZ_COMMON_H
#define RETORT_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw(), memmem() */
#endif
#include <ftw.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "retort.h"

static void fz_fail(const char *oracle, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void fz_fail(const char *oracle, const char *fmt, ...)
{
	va_list ap;
	const struct rt_error *e = rt_error_last();

	fprintf(stderr, "\nretort-fuzz: oracle '%s' violated: ", oracle);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nretort-fuzz: last error: code %d, file %s, line %d, message: %s\n", e->code,
	        e->file ? e->file : "(none)", e->line, e->message);
	abort();
}

/* 1 when the oracle is enabled (not listed in $RETORT_FUZZ_SKIP). */
static int fz_oracle(const char *name)
{
	static const char *skip;
	static int init;
	const char *p;
	size_t n = strlen(name);

	if (!init) {
		skip = getenv("RETORT_FUZZ_SKIP");
		init = 1;
	}
	for (p = skip; p && (p = strstr(p, name)) != NULL; p += n)
		if ((p == skip || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 0;
	return 1;
}

/* 1 while the current input holds a line break other than LF (CR, NEL, U+2028, U+2029):
 * YAML counts those as lines too, retort's own line numbers do not. */
static int fz_other_breaks;

__attribute__((unused)) static void fz_note_input(const uint8_t *d, size_t n)
{
	fz_other_breaks = 0;
	for (size_t i = 0; i < n && !fz_other_breaks; i++)
		fz_other_breaks = d[i] == '\r' || (d[i] == 0xc2 && i + 1 < n && d[i + 1] == 0x85) ||
		                  (d[i] == 0xe2 && i + 2 < n && d[i + 1] == 0x80 && (d[i + 2] & 0xfe) == 0xa8);
}

/* Lines in data[0..len): the number of '\n' plus one. */
__attribute__((unused)) static int fz_lines(const uint8_t *data, size_t len)
{
	int n = 1;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

/* Checks the error contract after a call returned rc. With path, an RT_EINPUT must name
 * path (as given) and a line in [min_line, max_line]. */
static void fz_check_error(int rc, const char *what, const char *path, int min_line, int max_line)
{
	const struct rt_error *e;

	if (rc >= 0)
		return;
	e = rt_error_last();
	if (fz_oracle("error-code")) {
		if (e->code != rc)
			fz_fail("error-code", "%s returned %d but the error slot holds code %d", what, rc,
			        e->code);
		if (!e->message || !e->message[0])
			fz_fail("error-code", "%s returned %d with an empty message", what, rc);
	}
	if (path && rc == RT_EINPUT && fz_oracle("error-location")) {
		/* the file exactly as given: masking never rewrites retort's own text */
		if (!e->file || strcmp(e->file, path) != 0)
			fz_fail("error-location", "%s: RT_EINPUT names file '%s', expected '%s'", what,
			        e->file ? e->file : "(none)", path);
		if (e->line < min_line || e->line > max_line) {
			/* narrower names for reported bugs: a line one past the end, and lines
			 * counted with YAML's other line breaks (CR, NEL, U+2028, U+2029) */
			const char *o = fz_other_breaks ? "line-breaks"
			                : e->line == max_line + 1 ? "error-location-eof" : "error-location";
			if (fz_oracle(o))
				fz_fail(o, "%s: RT_EINPUT names line %d, outside the input's lines %d..%d", what,
				        e->line, min_line, max_line);
		}
	}
}

/* A NUL-terminated copy of the input (libFuzzer's buffer is not terminated). */
__attribute__((unused)) static char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* ---- scratch files on tmpfs ---- */

static char fz_scratch[256];

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void fz_scratch_remove(void)
{
	if (fz_scratch[0])
		nftw(fz_scratch, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A private directory under $RETORT_FUZZ_TMP (run.sh sets it), else /dev/shm, $TMPDIR or
 * /tmp, removed at exit (a crash leaves it to run.sh, which removes $RETORT_FUZZ_TMP). */
__attribute__((unused)) static const char *fz_scratch_dir(void)
{
	const char *bases[] = { getenv("RETORT_FUZZ_TMP"), "/dev/shm", getenv("TMPDIR"), "/tmp" };

	if (fz_scratch[0])
		return fz_scratch;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i])
			continue;
		snprintf(fz_scratch, sizeof(fz_scratch), "%s/retort-fuzz.XXXXXX", bases[i]);
		if (mkdtemp(fz_scratch)) {
			chmod(fz_scratch, 0755);
			atexit(fz_scratch_remove);
			return fz_scratch;
		}
	}
	fprintf(stderr, "retort-fuzz: cannot create a scratch directory\n");
	abort();
}

/* Writes len bytes to path (mode 0644: retort refuses group- or world-writable files as
 * root). */
__attribute__((unused)) static void fz_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "retort-fuzz: cannot write %s\n", path);
		abort();
	}
	chmod(path, 0644);
}

#endif
