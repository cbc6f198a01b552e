/*
 * sql_split.c - rt_sql_split(): cuts the SQL of a section into statements, through the
 * splitter of the dialect (sql_split_sqlite.c, sql_split_pg.c), and the pieces both
 * share: the statement list and the dispatch of the classifier that sets RT_STMT_* flags.
 *
 * Every statement is a copy of the text from its first token to the end of its last
 * token before the ';', so comments and blanks around it are left out and printing
 * sql + ";" always gives a valid statement; line is the line of its first token.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

int rt_stmt_list_add(struct rt_stmt_list *l, const char *path, const char *text, size_t start,
                     size_t end, int line, unsigned flags)
{
	struct rt_stmt *s;
	char *sql;

	if (rt_grow_array(&l->items, &l->cap, l->n + 1, sizeof(*l->items)) < 0)
		return RT_ENOMEM;
	sql = rt_strndup(text + start, end - start);
	if (!sql)
		return RT_ENOMEM;
	s = &l->items[l->n++];
	s->sql = sql;
	s->len = end - start;
	s->path = path;
	s->line = line;
	s->column = 1;
	for (size_t i = start; i > 0 && text[i - 1] != '\n'; i--)
		s->column += ((unsigned char)text[i - 1] & 0xC0) != 0x80;
	s->flags = flags;
	s->copy_data = NULL;
	s->src = NULL;
	s->offset = start;
	s->vars = NULL;
	s->nvars = 0;
	s->copy_len = 0;
	s->copy_line = 0;
	return 0;
}

void rt_stmts_free(struct rt_stmt *stmts, size_t n)
{
	if (!stmts)
		return;
	for (size_t i = 0; i < n; i++) {
		free(stmts[i].sql);
		free(stmts[i].src);
		free(stmts[i].vars);
		free(stmts[i].copy_data);
	}
	free(stmts);
}

unsigned rt_sql_classify(enum rt_dialect dialect, const char *sql)
{
	return dialect == RT_DIALECT_POSTGRESQL ? rt_sql_classify_pg(sql) : rt_sql_classify_sqlite(sql);
}

int rt_sql_split(enum rt_dialect dialect, const char *path, const char *text, size_t len,
                 int base_line, struct rt_stmt **out, size_t *nout)
{
	struct rt_stmt_list l = { NULL, 0, 0 };
	const char *nul = len ? memchr(text, '\0', len) : NULL;
	int rc;

	*out = NULL;
	*nout = 0;
	if (len == 0)
		return 0;
	if (nul) {
		int line = base_line + rt_lex_count_lines(text, 0, (size_t)(nul - text));
		rt_error_set(RT_EINPUT, "%s:%d: the SQL contains a NUL byte", path, line);
		rt_error_set_location(path, line);
		rt_error_set_hint("Remove the NUL byte; the file may have been saved in UTF-16 or as "
		                  "binary.");
		return RT_EINPUT;
	}
	if (dialect == RT_DIALECT_POSTGRESQL)
		rc = rt_sql_split_pg(path, text, len, base_line, &l);
	else
		rc = rt_sql_split_sqlite(path, text, len, base_line, &l);
	if (rc < 0) {
		rt_stmts_free(l.items, l.n);
		return rc;
	}
	*out = l.items;
	*nout = l.n;
	return 0;
}
