/*
 * json.h - a small JSON writer for --json output, with no dependency.
 *
 * Values are appended to a buffer in document order; the writer inserts commas, colons
 * and indentation itself. Keys and values are written as given, never rewritten (what
 * could hold a password was masked where it came in, see output.c), so the document is
 * valid JSON whatever the password is: control characters are escaped, valid UTF-8
 * passes through unchanged and invalid bytes become U+FFFD. Memory failures are remembered and reported by
 * json_print(), so building code needs no error checks.
 */
#ifndef RETORT_CMD_JSON_H
#define RETORT_CMD_JSON_H

#include "retort.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct rt_buf buf;
	int depth;
	unsigned char count[JSON_MAX_DEPTH]; /* 0: nothing written yet at that depth */
	int after_key;
	int failed;
};

void json_init(struct json *j);
void json_release(struct json *j);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, long long v);
void json_double(struct json *j, double v);      /* three decimals */
void json_bool(struct json *j, int v);
void json_null(struct json *j);
void json_strlist(struct json *j, const struct rt_strlist *l);

/* key + value shorthands */
void json_kstring(struct json *j, const char *key, const char *s);
void json_kint(struct json *j, const char *key, long long v);
void json_kdouble(struct json *j, const char *key, double v);
void json_kbool(struct json *j, const char *key, int v);
void json_kstrlist(struct json *j, const char *key, const struct rt_strlist *l);

/* Writes the document and a newline to stdout and releases j. RT_ENOMEM when building
 * it ran out of memory (nothing is printed then). */
int json_print(struct json *j);

#endif
