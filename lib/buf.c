/*
 * buf.c - the growable string buffer (struct rt_buf) used for all text building.
 *
 * Invariants: ptr is never NULL and always NUL-terminated. An empty buffer points at the
 * shared static rt_buf__empty and has cap 0, so RT_BUF_INIT needs no allocation. A buffer
 * that once failed to grow keeps failing (appends become no-ops) until it is cleared, so
 * that a sequence of appends needs one check, rt_buf_status(), at its end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

char rt_buf__empty[1];

void rt_buf_init(struct rt_buf *b)
{
	b->ptr = rt_buf__empty;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

static int fail(struct rt_buf *b)
{
	b->failed = 1;
	return RT_ENOMEM;
}

int rt_buf_grow(struct rt_buf *b, size_t extra)
{
	size_t need, ncap;
	char *p;

	if (b->failed)
		return RT_ENOMEM;
	if (extra > ((size_t)-1) - b->len - 1) {
		rt_error_set(RT_ENOMEM, "out of memory");
		return fail(b);
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap = ncap * 2 > ncap ? ncap * 2 : need;
	p = rt_realloc(b->cap ? b->ptr : NULL, ncap);
	if (!p)
		return fail(b);
	if (!b->cap)
		p[0] = '\0';
	b->ptr = p;
	b->cap = ncap;
	return 0;
}

int rt_buf_add(struct rt_buf *b, const void *data, size_t len)
{
	if (rt_buf_grow(b, len) < 0)
		return RT_ENOMEM;
	memmove(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int rt_buf_puts(struct rt_buf *b, const char *s)
{
	return rt_buf_add(b, s, strlen(s));
}

int rt_buf_putc(struct rt_buf *b, char c)
{
	return rt_buf_add(b, &c, 1);
}

int rt_buf_vaddf(struct rt_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	size_t room = b->cap ? b->cap - b->len : 0;
	int n;

	if (b->failed)
		return RT_ENOMEM;
	va_copy(again, ap);
	n = room ? vsnprintf(b->ptr + b->len, room, fmt, ap) : vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0 && (size_t)n >= room) {
		if (rt_buf_grow(b, (size_t)n) < 0) {
			if (b->cap)
				b->ptr[b->len] = '\0';
			va_end(again);
			return RT_ENOMEM;
		}
		vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, again);
	}
	va_end(again);
	if (n < 0) {
		if (b->cap)
			b->ptr[b->len] = '\0';
		rt_error_set(RT_ERROR, "formatting failed");
		return fail(b);
	}
	b->len += (size_t)n;
	return 0;
}

int rt_buf_addf(struct rt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rt_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int rt_buf_join(struct rt_buf *b, const char *const *items, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			rt_buf_puts(b, sep);
		rt_buf_puts(b, items[i]);
	}
	return rt_buf_status(b);
}

int rt_buf_status(const struct rt_buf *b)
{
	return b->failed ? RT_ENOMEM : 0;
}

void rt_buf_truncate(struct rt_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

void rt_buf_clear(struct rt_buf *b)
{
	rt_buf_truncate(b, 0);
	b->failed = 0;
}

char *rt_buf_detach(struct rt_buf *b)
{
	char *p;

	if (b->failed) {
		rt_buf_release(b);
		return NULL;
	}
	p = b->cap ? b->ptr : rt_strdup("");
	rt_buf_init(b);
	return p;
}

void rt_buf_release(struct rt_buf *b)
{
	if (b->cap)
		free(b->ptr);
	rt_buf_init(b);
}

char *rt_asprintf(const char *fmt, ...)
{
	struct rt_buf b = RT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	rt_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return rt_buf_detach(&b);
}
