/*
 * strlist.c - struct rt_strlist, an ordered list of owned strings, and struct rt_revlist,
 * an ordered list of borrowed revision pointers.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

int rt_strlist_push_owned(struct rt_strlist *l, char *s)
{
	if (!s)
		return RT_ENOMEM;
	if (rt_grow_array(&l->items, &l->cap, l->n + 1, sizeof(char *)) < 0) {
		free(s);
		return RT_ENOMEM;
	}
	l->items[l->n++] = s;
	return 0;
}

int rt_strlist_push(struct rt_strlist *l, const char *s)
{
	char *copy = rt_strdup(s);
	return copy ? rt_strlist_push_owned(l, copy) : RT_ENOMEM;
}

int rt_strlist_contains(const struct rt_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rt_strlist_sort(struct rt_strlist *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(char *), cmp_str);
}

void rt_strlist_release(struct rt_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

int rt_revlist_push(struct rt_revlist *l, struct rt_revision *r)
{
	if (rt_grow_array(&l->items, &l->cap, l->n + 1, sizeof(*l->items)) < 0)
		return RT_ENOMEM;
	l->items[l->n++] = r;
	return 0;
}

int rt_revlist_contains(const struct rt_revlist *l, const struct rt_revision *r)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i] == r)
			return 1;
	return 0;
}

void rt_revlist_release(struct rt_revlist *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

int rt_buf_join_ids(struct rt_buf *b, struct rt_revision *const *revs, size_t n, const char *sep)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			rt_buf_puts(b, sep);
		rt_buf_puts(b, revs[i]->id);
	}
	return rt_buf_status(b);
}

int rt_revlist_text(struct rt_buf *b, const struct rt_revlist *l, const char *none)
{
	return l->n ? rt_buf_join_ids(b, l->items, l->n, ", ") : rt_buf_puts(b, none);
}
