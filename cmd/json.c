/*
 * json.c - the JSON writer behind --json (see json.h).
 *
 * The document is built in a struct rt_buf with two-space indentation. Each depth keeps
 * a "something written" flag so the writer knows where commas go; a key leaves the
 * writer expecting its value. Nothing here can fail loudly: a failed allocation sets
 * j->failed and json_print() reports it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "output.h"

void json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	rt_buf_init(&j->buf);
}

void json_release(struct json *j)
{
	rt_buf_release(&j->buf);
}

/* The document is output, not work: its allocations are exempt from the failure-
 * injection hook (see rt_alloc_exempt). */
static void add(struct json *j, const char *s, size_t len)
{
	int rc;
	rt_alloc_exempt(1);
	rc = rt_buf_add(&j->buf, s, len);
	rt_alloc_exempt(0);
	if (rc < 0)
		j->failed = 1;
}

static void adds(struct json *j, const char *s)
{
	add(j, s, strlen(s));
}

static void indent(struct json *j, int depth)
{
	for (int i = 0; i < depth; i++)
		add(j, "  ", 2);
}

/* What goes before any value or key: a comma, a newline and the indentation. */
static void prefix(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth > 0) {
		adds(j, j->count[j->depth] ? ",\n" : "\n");
		indent(j, j->depth);
		j->count[j->depth] = 1;
	}
}

static void open_container(struct json *j, const char *brace)
{
	prefix(j);
	adds(j, brace);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->failed = 1;
		return;
	}
	j->depth++;
	j->count[j->depth] = 0;
}

static void close_container(struct json *j, const char *brace)
{
	if (j->depth <= 0) {
		j->failed = 1;
		return;
	}
	if (j->count[j->depth]) {
		adds(j, "\n");
		indent(j, j->depth - 1);
	}
	j->depth--;
	adds(j, brace);
}

void json_object_begin(struct json *j)
{
	open_container(j, "{");
}

void json_object_end(struct json *j)
{
	close_container(j, "}");
}

void json_array_begin(struct json *j)
{
	open_container(j, "[");
}

void json_array_end(struct json *j)
{
	close_container(j, "]");
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static void put_string(struct json *j, const char *raw)
{
	const unsigned char *p;
	char esc[8];

	add(j, "\"", 1);
	for (p = (const unsigned char *)raw; *p;) {
		const unsigned char *run = p;
		size_t n;

		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			add(j, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"': adds(j, "\\\""); break;
		case '\\': adds(j, "\\\\"); break;
		case '\n': adds(j, "\\n"); break;
		case '\r': adds(j, "\\r"); break;
		case '\t': adds(j, "\\t"); break;
		case '\b': adds(j, "\\b"); break;
		case '\f': adds(j, "\\f"); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				adds(j, esc);
			} else if ((n = utf8_len(p)) > 0) {
				add(j, (const char *)p, n);
				p += n;
				continue;
			} else {
				adds(j, "\xef\xbf\xbd"); /* U+FFFD for an invalid byte */
			}
		}
		p++;
	}
	add(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
	prefix(j);
	put_string(j, key);
	adds(j, ": ");
	j->after_key = 1;
}

void json_string(struct json *j, const char *s)
{
	prefix(j);
	if (s)
		put_string(j, s);
	else
		adds(j, "null");
}

void json_int(struct json *j, long long v)
{
	char num[32];

	prefix(j);
	snprintf(num, sizeof(num), "%lld", v);
	adds(j, num);
}

void json_double(struct json *j, double v)
{
	char num[64];

	prefix(j);
	if (!isfinite(v)) {
		adds(j, "null");
		return;
	}
	snprintf(num, sizeof(num), "%.3f", v);
	adds(j, num);
}

void json_bool(struct json *j, int v)
{
	prefix(j);
	adds(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	prefix(j);
	adds(j, "null");
}

void json_strlist(struct json *j, const struct rt_strlist *l)
{
	json_array_begin(j);
	for (size_t i = 0; l && i < l->n; i++)
		json_string(j, l->items[i]);
	json_array_end(j);
}

void json_kstring(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kint(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kdouble(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_kbool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kstrlist(struct json *j, const char *key, const struct rt_strlist *l)
{
	json_key(j, key);
	json_strlist(j, l);
}

int json_print(struct json *j)
{
	int rc = 0;

	if (j->depth == 0)
		add(j, "\n", 1);
	if (j->failed || j->depth != 0)
		rc = RT_ENOMEM;
	else
		out_write(j->buf.ptr, j->buf.len);
	json_release(j);
	return rc;
}
