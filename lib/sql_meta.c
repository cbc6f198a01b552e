/*
 * sql_meta.c - refuses the commands of the databases' own clients inside revision
 * statements: psql's backslash meta-commands (\connect, \i, \set, \gexec, \copy, ...) and
 * sqlite3's dot-commands (.open, .read, .shell, ...).
 *
 * Online they are syntax errors, but an offline script is run by psql or sqlite3, which
 * would obey them: "\connect other_db" would apply the following revisions to another
 * database, "\set ON_ERROR_STOP off" would disable the script's guard. So they are
 * errors naming file and line wherever scripts are read (check, upgrade, --sql). psql
 * sees a meta-command at any backslash outside strings, quoted identifiers, comments and
 * dollar quotes; sqlite3 at a '.' that starts a line where no statement is pending.
 */
#include <string.h>
#include "internal.h"
#include "sql_lex.h"

/* The command word at text[pos] (after the '\\' or '.'): letters, or one other character
 * ("\\!"), at most size-1 bytes, in out. */
static void command_word(const char *text, size_t pos, size_t len, char *out, size_t size)
{
	size_t n = 0;

	while (pos + n < len && n + 1 < size &&
	       ((text[pos + n] >= 'a' && text[pos + n] <= 'z') || (text[pos + n] >= 'A' && text[pos + n] <= 'Z')))
		n++;
	if (n == 0 && pos < len && text[pos] != '\n' && (unsigned char)text[pos] < 0x80)
		n = 1;
	memcpy(out, text + pos, n);
	out[n] = '\0';
}

static int refuse(const char *path, int line, enum rt_dialect d, const char *word)
{
	if (d == RT_DIALECT_POSTGRESQL && strcmp(word, "copy") == 0) {
		rt_error_set(RT_EINPUT, "%s:%d: '\\copy' is a psql command, not SQL: retort cannot run it",
		             path, line);
		rt_error_set_hint("Put the data in the revision after 'COPY table (columns) FROM stdin;' "
		                  "and end it with a line '\\.', as pg_dump writes it; or COPY from a file "
		                  "the server can read.");
	} else if (d == RT_DIALECT_POSTGRESQL && (strcmp(word, "restrict") == 0 || strcmp(word, "unrestrict") == 0)) {
		rt_error_set(RT_EINPUT, "%s:%d: psql meta-command '\\%s' in a revision", path, line, word);
		rt_error_set_hint("pg_dump (since 17.6, 16.10, 15.14) writes \\restrict and \\unrestrict "
		                  "lines around its output for psql; delete them: revisions hold SQL only.");
	} else if (d == RT_DIALECT_POSTGRESQL) {
		rt_error_set(RT_EINPUT, "%s:%d: psql meta-command '\\%s' in a revision", path, line, word);
		rt_error_set_hint("Revisions hold SQL only: psql would obey the command when it runs the "
		                  "offline script (\\connect would move the rest of it to another database), "
		                  "while the online run cannot. Remove it.");
	} else {
		rt_error_set(RT_EINPUT, "%s:%d: sqlite3 dot-command '.%s' in a revision", path, line, word);
		rt_error_set_hint("Revisions hold SQL only: sqlite3 would obey the command when it runs the "
		                  "offline script (.open would move the rest of it to another database), "
		                  "while the online run cannot. Remove it.");
	}
	rt_error_set_location(path, line);
	return RT_EINPUT;
}

int rt_sql_check_client_commands(enum rt_dialect d, const char *path, const struct rt_stmt *st)
{
	struct rt_lexer lx;
	struct rt_token tok;
	char word[32];
	int first = 1;

	rt_lex_init(&lx, d, st->sql, st->len, st->line);
	while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
		int is_meta = 0;
		if (tok.kind != RT_TOK_OTHER) {
			first = first && rt_tok_is_blank(tok.kind);
			continue;
		}
		if (d == RT_DIALECT_POSTGRESQL)
			is_meta = st->sql[tok.start] == '\\';
		else /* the statement's first token, at the start of its line */
			is_meta = first && st->sql[tok.start] == '.' &&
			          (tok.start == 0 ? st->column == 1 : st->sql[tok.start - 1] == '\n');
		first = 0;
		if (is_meta) {
			command_word(st->sql, tok.start + 1, st->len, word, sizeof(word));
			return refuse(path, tok.line, d, word);
		}
	}
	return 0;
}
