/*
 * pg_relations.c - names the tables a PostgreSQL statement touches, for messages such as
 * "could not lock table "public"."accounts"" after a lock timeout. The statement is parsed
 * with libpg_query and every RangeVar (an object with a "relname") in its JSON parse tree
 * is collected, in order, without duplicates.
 */
#include <stdlib.h>
#include <string.h>
#include <pg_query.h>
#include "internal.h"
#include "dialect.h"
#include "pg_relations.h"

/* Copies the JSON string value after key inside [p, end) into out (unescaped). */
static int json_field(const char *p, const char *end, const char *key, struct rt_buf *out)
{
	char pattern[64];
	const char *v;

	snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
	v = strstr(p, pattern);
	if (!v || v >= end)
		return 0;
	for (v += strlen(pattern); v < end && *v != '"'; v++) {
		if (*v == '\\' && v + 1 < end)
			v++;
		if (rt_buf_putc(out, *v) < 0)
			return RT_ENOMEM;
	}
	return 1;
}

/* The end of the JSON object starting at p ('{'), strings respected. */
static const char *object_end(const char *p)
{
	int depth = 0, in_str = 0;
	for (; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				in_str = 0;
		} else if (*p == '"') {
			in_str = 1;
		} else if (*p == '{') {
			depth++;
		} else if (*p == '}' && --depth == 0) {
			return p;
		}
	}
	return p;
}

/* Calls fn for each JSON object (its '{') that has a "relname" key: a RangeVar, whether
 * written as {"RangeVar":{...}} (generic node lists) or bare (typed fields). */
static int each_relation(const char *json, int (*fn)(const char *obj, void *ctx), void *ctx)
{
	const char *stack[64];
	int depth = 0, rc = 0;

	for (const char *p = json; *p && rc == 0; p++) {
		if (*p == '"') {
			const char *start = p + 1;
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (!*p)
				break;
			if (depth > 0 && depth <= 64 && p - start == 7 && strncmp(start, "relname", 7) == 0 &&
			    p[1] == ':')
				rc = fn(stack[depth - 1], ctx);
		} else if (*p == '{') {
			if (depth < 64)
				stack[depth] = p;
			depth++;
		} else if (*p == '}' && depth > 0) {
			depth--;
		}
	}
	return rc;
}

static int add_relation(const char *obj, void *ctx)
{
	struct rt_strlist *seen = ctx;
	const char *end = object_end(obj);
	struct rt_buf schema = RT_BUF_INIT, rel = RT_BUF_INIT, name = RT_BUF_INIT;
	int rc;

	if ((rc = json_field(obj, end, "schemaname", &schema)) >= 0 &&
	    (rc = json_field(obj, end, "relname", &rel)) > 0) {
		rc = schema.len ? rt_sql_ident(&name, schema.ptr) : 0;
		if (rc == 0 && schema.len)
			rc = rt_buf_putc(&name, '.');
		if (rc == 0)
			rc = rt_sql_ident(&name, rel.ptr);
		if (rc == 0 && !rt_strlist_contains(seen, name.ptr))
			rc = rt_strlist_push(seen, name.ptr);
	}
	rt_buf_release(&schema);
	rt_buf_release(&rel);
	rt_buf_release(&name);
	return rc < 0 ? rc : 0;
}

char *rt_pg_relations_text(const char *sql)
{
	PgQueryParseResult res = pg_query_parse(sql);
	struct rt_buf out = RT_BUF_INIT;
	struct rt_strlist seen = RT_STRLIST_INIT;
	char *text = NULL;
	int rc;

	if (res.error || !res.parse_tree)
		goto out;
	if (each_relation(res.parse_tree, add_relation, &seen) < 0 || seen.n == 0)
		goto out;
	rc = rt_buf_puts(&out, seen.n == 1 ? "table " : "tables ");
	for (size_t i = 0; rc == 0 && i < seen.n; i++)
		rc = rt_buf_addf(&out, "%s%s", i == 0 ? "" : i + 1 == seen.n ? " or " : ", ", seen.items[i]);
	if (rc == 0)
		text = rt_buf_detach(&out);
out:
	pg_query_free_parse_result(res);
	rt_buf_release(&out);
	rt_strlist_release(&seen);
	return text;
}
