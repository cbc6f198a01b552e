/*
 * alloc.c - the allocation functions every module uses, with a failure-injection hook.
 *
 * rt_alloc_fail_after(n) makes the nth allocation from then on, and all later ones,
 * fail, so tests can prove that every allocation failure turns into a clean RT_ENOMEM.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "internal.h"

static long fail_countdown; /* 0: off; otherwise allocations left before failing */
static int failing;
static int exempt;          /* > 0: allocations bypass the hook (the front end's output) */

void rt_alloc_exempt(int on)
{
	exempt += on ? 1 : -1;
	if (exempt < 0)
		exempt = 0;
}

void rt_alloc_fail_after(long n)
{
	fail_countdown = n;
	failing = 0;
}

static int should_fail(void)
{
	if (exempt)
		return 0;
	if (failing)
		return 1;
	if (fail_countdown > 0 && --fail_countdown == 0) {
		failing = 1;
		return 1;
	}
	return 0;
}

static void *oom(void)
{
	rt_error_set(RT_ENOMEM, "out of memory");
	return NULL;
}

void *rt_malloc(size_t n)
{
	void *p = should_fail() ? NULL : malloc(n ? n : 1);
	return p ? p : oom();
}

void *rt_calloc(size_t n, size_t size)
{
	void *p = should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
	return p ? p : oom();
}

void *rt_realloc(void *old, size_t n)
{
	void *p = should_fail() ? NULL : realloc(old, n ? n : 1);
	return p ? p : oom();
}

int rt_grow_array(void *array_ptr, size_t *cap, size_t need, size_t size)
{
	void **arr = array_ptr;
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (ncap > ((size_t)-1) / 2 / size)
			return rt_error_set(RT_ENOMEM, "out of memory");
		ncap *= 2;
	}
	p = rt_realloc(*arr, ncap * size);
	if (!p)
		return RT_ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

char *rt_strndup(const char *s, size_t n)
{
	char *p;

	/* memchr, not strnlen: libpg_query exports a slow strnlen of its own that would be
	 * picked instead of libc's */
	const char *nul = memchr(s, '\0', n);
	if (nul)
		n = (size_t)(nul - s);
	p = rt_malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *rt_strdup(const char *s)
{
	return rt_strndup(s, strlen(s));
}
