/*
 * diags.c - struct rt_diags, a list of problems found at once (graph validation, check).
 * Messages are kept as formatted (text from outside was masked by whoever quoted it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static int add_diag(struct rt_diags *d, enum rt_severity sev, const char *kind, const char *file,
                    int line, const char *hint, const char *message, const char *context)
{
	struct rt_diag *x;

	if (rt_grow_array(&d->items, &d->cap, d->n + 1, sizeof(*d->items)) < 0)
		return RT_ENOMEM;
	x = &d->items[d->n];
	memset(x, 0, sizeof(*x));
	x->severity = sev;
	x->line = line;
	x->kind = rt_strdup(kind);
	x->message = rt_strdup(message);
	x->file = file ? rt_strdup(file) : NULL;
	x->hint = hint ? rt_strdup(hint) : NULL;
	x->context = context ? rt_strdup(context) : NULL;
	if (!x->kind || !x->message || (file && !x->file) || (hint && !x->hint) || (context && !x->context)) {
		free(x->kind);
		free(x->message);
		free(x->file);
		free(x->hint);
		free(x->context);
		return RT_ENOMEM;
	}
	d->n++;
	return 0;
}

int rt_diags_add(struct rt_diags *d, enum rt_severity sev, const char *kind, const char *file,
                 int line, const char *hint, const char *fmt, ...)
{
	struct rt_buf msg = RT_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = rt_buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = add_diag(d, sev, kind, file, line, hint, msg.ptr, NULL);
	rt_buf_release(&msg);
	return rc;
}

int rt_diags_add_error(struct rt_diags *d, const char *kind)
{
	const struct rt_error *e = rt_error_last();
	return add_diag(d, RT_SEV_ERROR, kind, e->file, e->line, e->hint, e->message, e->context);
}

size_t rt_diags_count(const struct rt_diags *d, enum rt_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == sev)
			n++;
	return n;
}

void rt_diags_release(struct rt_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].kind);
		free(d->items[i].file);
		free(d->items[i].message);
		free(d->items[i].hint);
		free(d->items[i].context);
	}
	free(d->items);
	d->items = NULL;
	d->n = d->cap = 0;
}
