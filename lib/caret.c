/*
 * caret.c - the two lines psql shows under an error in a statement: the line of the
 * offending character, and a caret under it. Used for the server's errors (backend_pg.c)
 * and for libpg_query's syntax errors found before anything runs (check).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* Bytes from p to the end of its line. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

static const char *skip_space_and_comments(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += line_len(p);
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			if (!end)
				return p;
			p = end + 2;
		} else {
			return p;
		}
	}
}

static int count_newlines(const char *from, const char *to)
{
	int n = 0;

	for (; from < to; from++)
		n += *from == '\n';
	return n;
}

/* The byte offset of the 1-based character position pos in the UTF-8 text sql (at most
 * its length). */
static size_t char_to_byte(const char *sql, long pos)
{
	size_t i = 0;

	for (long c = 1; c < pos && sql[i]; c++) {
		i++;
		while ((sql[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/*
 * Two lines as psql shows them for an error at character position pos of the statement
 * sql whose first token is on line first_line:
 *
 *     LINE 12:   FROM x WHER y
 *                            ^
 * Tabs in the line stay tabs below it, so the caret lines up in a terminal. NULL when out
 * of memory.
 */
char *rt_caret_context(const char *sql, long pos, int first_line)
{
	const char *first = skip_space_and_comments(sql);
	const char *err = sql + char_to_byte(sql, pos), *start = err;
	struct rt_buf b = RT_BUF_INIT;
	size_t prefix, len, at;
	char *shown;
	int line;

	if (first > err)
		first = err; /* an error inside the leading comments */
	line = first_line + count_newlines(first, err);
	while (start > sql && start[-1] != '\n')
		start--;
	len = line_len(start);
	if (len > 0 && start[len - 1] == '\r')
		len--;
	/* the line may hold the password (a substituted variable): masked, caret moved along */
	at = (size_t)(err - start);
	if (!(shown = rt_mask_span_plain(start, len, &at)))
		return NULL;
	rt_buf_addf(&b, "LINE %d: ", line);
	prefix = b.len;
	rt_buf_puts(&b, shown);
	rt_buf_putc(&b, '\n');
	for (size_t i = 0; i < prefix; i++)
		rt_buf_putc(&b, ' ');
	for (size_t i = 0; i < at; i++)
		if ((shown[i] & 0xC0) != 0x80) /* one column per character, not per byte */
			rt_buf_putc(&b, shown[i] == '\t' ? '\t' : ' ');
	rt_buf_putc(&b, '^');
	free(shown);
	return rt_buf_detach(&b);
}
