/*
 * error.c - the per-thread error slot behind rt_error_last().
 *
 * A failure is described once, where it is detected, with rt_error_set(); the optional
 * location, detail, hint and context are attached right after. The text is stored as it
 * was formatted: nothing here rewrites it. No password reaches it because whoever sets an
 * error shows URLs through rt_url_masked() and passes text from outside (a server's
 * message, a quoted statement) through rt_mask() first (see secrets.c). The slot's own
 * storage uses plain malloc (not the failure-injection allocator) and falls back to a
 * static message when memory is gone, so reporting an out-of-memory error cannot itself
 * fail.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static _Thread_local struct rt_error slot;
static _Thread_local int slot_static_message;
static char oom_message[] = "out of memory";

static void free_field(char **p)
{
	free(*p);
	*p = NULL;
}

void rt_error_clear(void)
{
	if (!slot_static_message)
		free(slot.message);
	slot.message = NULL;
	slot_static_message = 0;
	free_field(&slot.detail);
	free_field(&slot.hint);
	free_field(&slot.file);
	free_field(&slot.context);
	slot.code = 0;
	slot.line = 0;
	slot.sqlstate[0] = '\0';
	slot.db_code = 0;
	slot.signal = 0;
}

const struct rt_error *rt_error_last(void)
{
	static const struct rt_error none = { 0, "", NULL, NULL, NULL, 0, "", 0, 0, NULL };
	if (!slot.message && !slot.code)
		return &none;
	if (!slot.message) {
		slot.message = oom_message;
		slot_static_message = 1;
	}
	return &slot;
}

static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *raw;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	raw = malloc((size_t)n + 1);
	if (!raw)
		return NULL;
	vsnprintf(raw, (size_t)n + 1, fmt, ap);
	return raw;
}

int rt_error_vset(int code, const char *fmt, va_list ap)
{
	char *msg = vformat(fmt, ap);

	rt_error_clear();
	slot.code = code;
	if (msg) {
		slot.message = msg;
	} else {
		slot.message = oom_message;
		slot_static_message = 1;
	}
	return code;
}

int rt_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

void rt_error_set_location(const char *file, int line)
{
	free_field(&slot.file);
	slot.file = file ? strdup(file) : NULL;
	slot.line = line;
}

static void set_field(char **field, const char *fmt, va_list ap)
{
	free_field(field);
	*field = vformat(fmt, ap);
}

void rt_error_set_detail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_field(&slot.detail, fmt, ap);
	va_end(ap);
}

void rt_error_set_hint(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_field(&slot.hint, fmt, ap);
	va_end(ap);
}

void rt_error_set_context(const char *text)
{
	free_field(&slot.context);
	slot.context = text ? strdup(text) : NULL;
}

void rt_error_set_sqlstate(const char *sqlstate)
{
	snprintf(slot.sqlstate, sizeof(slot.sqlstate), "%s", sqlstate ? sqlstate : "");
}

void rt_error_set_db_code(int code)
{
	slot.db_code = code;
}

void rt_error_set_signal(int sig)
{
	slot.signal = sig;
}

void rt_error_prefix(const char *fmt, ...)
{
	va_list ap;
	char *prefix, *joined;
	size_t n;
	const char *old = rt_error_last()->message;

	va_start(ap, fmt);
	prefix = vformat(fmt, ap);
	va_end(ap);
	if (!prefix)
		return;
	n = strlen(prefix) + strlen(old) + 3;
	joined = malloc(n);
	if (joined) {
		snprintf(joined, n, "%s: %s", prefix, old);
		if (!slot_static_message)
			free(slot.message);
		slot.message = joined;
		slot_static_message = 0;
	}
	free(prefix);
}

void rt_error_save(struct rt_error *saved)
{
	const struct rt_error *e = rt_error_last();
	*saved = *e;
	if (slot_static_message || !slot.message)
		saved->message = strdup(e->message);
	/* the slot's pointers now belong to saved */
	memset(&slot, 0, sizeof(slot));
	slot_static_message = 0;
}

void rt_error_restore(struct rt_error *saved)
{
	rt_error_clear();
	slot = *saved;
	if (!slot.message) {
		slot.message = oom_message;
		slot_static_message = 1;
	}
	memset(saved, 0, sizeof(*saved));
}
