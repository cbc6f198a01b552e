/*
 * pg_relations.c - names the tables a PostgreSQL statement touches, for messages such as
 * "could not lock table "public"."accounts"" after a lock timeout. The statement is parsed
 * with libpg_query and every RangeVar in its JSON parse tree is collected, in order,
 * without duplicates.
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

char *rt_pg_relations_text(const char *sql)
{
	PgQueryParseResult res = pg_query_parse(sql);
	struct rt_buf out = RT_BUF_INIT, name = RT_BUF_INIT;
	struct rt_strlist seen = RT_STRLIST_INIT;
	const char *p;
	char *text = NULL;
	int rc = 0;

	if (res.error || !res.parse_tree)
		goto out;
	for (p = res.parse_tree; rc == 0 && (p = strstr(p, "\"RangeVar\":{")) != NULL;) {
		const char *obj = p + strlen("\"RangeVar\":"), *end = object_end(obj);
		struct rt_buf schema = RT_BUF_INIT, rel = RT_BUF_INIT;
		if ((rc = json_field(obj, end, "schemaname", &schema)) >= 0 &&
		    (rc = json_field(obj, end, "relname", &rel)) > 0) {
			rt_buf_clear(&name);
			rc = schema.len ? rt_sql_ident(&name, schema.ptr) : 0;
			if (rc == 0 && schema.len)
				rc = rt_buf_putc(&name, '.');
			if (rc == 0)
				rc = rt_sql_ident(&name, rel.ptr);
			if (rc == 0 && !rt_strlist_contains(&seen, name.ptr))
				rc = rt_strlist_push(&seen, name.ptr);
		}
		rt_buf_release(&schema);
		rt_buf_release(&rel);
		if (rc > 0)
			rc = 0;
		p = end;
	}
	if (rc < 0 || seen.n == 0)
		goto out;
	rc = rt_buf_puts(&out, seen.n == 1 ? "table " : "tables ");
	for (size_t i = 0; rc == 0 && i < seen.n; i++)
		rc = rt_buf_addf(&out, "%s%s", i == 0 ? "" : i + 1 == seen.n ? " or " : ", ", seen.items[i]);
	if (rc == 0)
		text = rt_buf_detach(&out);
out:
	pg_query_free_parse_result(res);
	rt_buf_release(&out);
	rt_buf_release(&name);
	rt_strlist_release(&seen);
	return text;
}
