/*
 * fuzz_split.c - libFuzzer target for the statement splitters and variable substitution:
 * the input is SQL given to rt_sql_split() for SQLite and for PostgreSQL (libpg_query),
 * to rt_vars_substitute(), and, as a whole revision file, to rt_script_parse() for both
 * dialects, with and without config variables.
 *
 * Oracles: the error contract (RT_EINPUT names the file and a line of the input); every
 * statement is a non-empty piece of the input without surrounding blanks, on a line of
 * the input, in order; splitting a statement again with its ';' gives it back
 * unchanged (the README: "printing sql + ';' always gives a valid statement"; for
 * PostgreSQL when its parentheses balance);
 * substitution leaves text without "${" untouched; a parsed script's raw checksum is the
 * SHA-256 of the input, its checksum that of the input with CRLF read as LF; for PostgreSQL, every token its own scanner sees, comments and
 * ';' aside, lies in a statement or in the COPY data that follows one (nothing the server
 * would run is dropped).
 */
#include "fuzz_common.h"
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "internal.h"
#include "sql_lex.h"

#define PATH "versions/fuzz_split.sql"
#define BASE_LINE 7

static struct rt_var vars[] = {
	{ "role", "app_rw" }, { "schema", "public" }, { "empty", "" }, { "semi", "x; y" },
};
static struct rt_config cfg;

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* 1 when the statement's parentheses (outside strings and comments) balance. PostgreSQL's
 * scanner does not end a statement at a ';' inside parentheses, so a statement with an
 * unbalanced '(' (a syntax error the server reports) legitimately swallows the ';'. */
static int parens_balance(enum rt_dialect d, const struct rt_stmt *s)
{
	struct rt_lexer lx;
	struct rt_token tok;
	long depth = 0;

	rt_lex_init(&lx, d, s->sql, s->len, 1);
	while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (tok.kind == RT_TOK_LPAREN)
			depth++;
		else if (tok.kind == RT_TOK_RPAREN && --depth < 0)
			return 0;
	}
	return depth == 0;
}

static int input_has_cr; /* the input holds a carriage return: see split-cr */

static void resplit(enum rt_dialect d, const struct rt_stmt *s)
{
	struct rt_stmt *again = NULL;
	size_t n = 0;
	char *text = malloc(s->len + 2);
	int rc;

	if (!text)
		abort();
	memcpy(text, s->sql, s->len);
	text[s->len] = ';';
	text[s->len + 1] = '\0';
	rc = rt_sql_split(d, PATH, text, s->len + 1, s->line, &again, &n);
	if (rc < 0 || n != 1 || again[0].len != s->len || memcmp(again[0].sql, s->sql, s->len) != 0)
		fz_fail(d == RT_DIALECT_POSTGRESQL && input_has_cr ? "split-cr" : "split-roundtrip",
		        "%s: statement at line %d does not split back into itself (rc %d, %zu pieces): '%.80s'",
		        d == RT_DIALECT_SQLITE ? "sqlite" : "postgresql", s->line, rc, n, s->sql);
	rt_stmts_free(again, n);
	free(text);
}

/* PostgreSQL: every token PostgreSQL's own scanner sees, other than comments and ';',
 * lies inside one of the statements: the splitter never drops SQL the server would run. */
static void pg_nothing_lost(const uint8_t *data, size_t size, const struct rt_stmt *st, size_t n)
{
	size_t *from, *to, pos = 0;
	char *text;
	PgQueryScanResult scan;
	PgQuery__ScanResult *res;
	const char *oracle = input_has_cr ? "split-cr" : "split-lost";

	if (!fz_oracle("split-lost") || !fz_oracle(oracle) || memchr(data, 0, size))
		return;
	from = calloc(n + 1, sizeof(size_t));
	to = calloc(n + 1, sizeof(size_t));
	text = fz_cstr(data, size);
	if (!from || !to)
		abort();
	/* where each statement is: at the first token outside comments, after the statement
	 * before, that starts its text */
	{
		struct rt_lexer lx;
		struct rt_token tok;
		rt_lex_init(&lx, RT_DIALECT_POSTGRESQL, text, size, 1);
		lx.copy_off = 1; /* positioned by hand, past each statement's data */
		for (size_t i = 0; i < n; i++) {
			int found = 0;
			while (!found && rt_lex_next(&lx, &tok) != RT_TOK_END) {
				if (rt_tok_is_blank(tok.kind) || tok.start < pos || size - tok.start < st[i].len)
					continue;
				found = memcmp(text + tok.start, st[i].sql, st[i].len) == 0;
			}
			if (!found)
				fz_fail(input_has_cr ? "split-cr" : "split-sanity",
				        "statement %zu is not a piece of the input after the one before", i);
			from[i] = tok.start;
			to[i] = pos = tok.start + st[i].len;
			if (st[i].copy_data) { /* its data, and the "\." after it, belong to it too */
				const char *d = memmem(text + pos, size - pos, st[i].copy_data, st[i].copy_len), *end;
				size_t from_end = d && st[i].copy_len ? (size_t)(d - text) + st[i].copy_len - 1 : pos;
				end = d ? memmem(text + from_end, size - from_end, "\n\\.", 3) : NULL;
				if (!end)
					fz_fail(input_has_cr ? "split-cr" : "split-sanity",
					        "the COPY data of statement %zu, and its \\. line, are not in the input after it", i);
				/* PostgreSQL's scanner knows no COPY data: blank it out for the scan below */
				memset(text + pos, ' ', (size_t)(end - text) + 3 - pos);
				to[i] = pos = (size_t)(end - text) + 3;
			}
			lx.pos = pos; /* the statement ends at a token end */
			lx.line = 1;
		}
	}
	scan = pg_query_scan(text);
	if (!scan.error && (res = pg_query__scan_result__unpack(NULL, scan.pbuf.len,
	                                                         (const uint8_t *)scan.pbuf.data))) {
		size_t k = 0;
		for (size_t t = 0; t < res->n_tokens; t++) {
			const PgQuery__ScanToken *tok = res->tokens[t];
			int blank = 1;
			if (tok->token == PG_QUERY__TOKEN__SQL_COMMENT || tok->token == PG_QUERY__TOKEN__C_COMMENT ||
			    tok->token == PG_QUERY__TOKEN__ASCII_59)
				continue;
			/* PostgreSQL 15 reads a vertical tab as a token, which the server rejects anyway */
			for (int32_t b = tok->start; b < tok->end && blank; b++)
				blank = is_space(text[b]);
			if (blank)
				continue;
			while (k < n && to[k] <= (size_t)tok->start)
				k++;
			if (k == n || (size_t)tok->start < from[k] || (size_t)tok->end > to[k])
				fz_fail(oracle, "postgresql: the token '%.*s' at byte %d is in no statement",
				        (int)(tok->end - tok->start > 40 ? 40 : tok->end - tok->start),
				        text + tok->start, tok->start);
		}
		pg_query__scan_result__free_unpacked(res, NULL);
	}
	pg_query_free_scan_result(scan);
	free(text);
	free(from);
	free(to);
}

static void split(enum rt_dialect d, const uint8_t *data, size_t size, int last_line)
{
	struct rt_stmt *st = NULL;
	size_t n = 0;
	int rc = rt_sql_split(d, PATH, (const char *)data, size, BASE_LINE, &st, &n);
	int prev_line = BASE_LINE;
	/* PostgreSQL ends a -- comment at a CR, retort's lexer does not (a reported bug) */
	const char *sanity = d == RT_DIALECT_POSTGRESQL && input_has_cr ? "split-cr" : "split-sanity";

	fz_check_error(rc, "rt_sql_split", PATH, BASE_LINE, last_line);
	for (size_t i = 0; rc == 0 && i < n && fz_oracle("split-sanity") && fz_oracle(sanity); i++) {
		const struct rt_stmt *s = &st[i];
		if (!s->sql || s->len == 0 || strlen(s->sql) != s->len)
			fz_fail(sanity, "statement %zu is empty or has a wrong length", i);
		if (is_space(s->sql[0]) || is_space(s->sql[s->len - 1]))
			fz_fail(sanity, "statement %zu starts or ends with a blank: '%.60s'", i, s->sql);
		if (!memmem(data, size, s->sql, s->len))
			fz_fail(sanity, "statement %zu is not a piece of the input", i);
		if (s->line < prev_line || s->line > last_line)
			fz_fail(sanity, "statement %zu is on line %d (previous %d, last %d)", i,
			        s->line, prev_line, last_line);
		if (!s->path || strcmp(s->path, PATH) != 0)
			fz_fail(sanity, "statement %zu has path '%s'", i, s->path ? s->path : "(null)");
		prev_line = s->line;
		if (fz_oracle("split-roundtrip") && (d == RT_DIALECT_SQLITE || parens_balance(d, s)) &&
		    (d == RT_DIALECT_SQLITE || !input_has_cr || fz_oracle("split-cr")))
			resplit(d, s);
	}
	if (rc == 0 && d == RT_DIALECT_POSTGRESQL)
		pg_nothing_lost(data, size, st, n);
	rt_stmts_free(st, n);
}

static void substitute(const uint8_t *data, size_t size, int last_line)
{
	char *out = NULL;
	int rc = rt_vars_substitute((const char *)data, size, &cfg, PATH, BASE_LINE, &out);

	fz_check_error(rc, "rt_vars_substitute", PATH, BASE_LINE, last_line);
	/* the result is a C string: inputs with a NUL byte cannot come back whole */
	if (rc == 0 && !memmem(data, size, "${", 2) && !memchr(data, 0, size) &&
	    fz_oracle("split-sanity") &&
	    (strlen(out) != size || memcmp(out, data, size) != 0))
		fz_fail("split-sanity", "substitution changed text without any ${");
	free(out);
}

static void script(enum rt_dialect d, const struct rt_config *c, const uint8_t *data, size_t size,
                   int lines)
{
	struct rt_script *s = NULL;
	char sum[65];
	int rc = rt_script_parse(&s, PATH, (const char *)data, size, d, c);

	fz_check_error(rc, "rt_script_parse", PATH, 0, lines);
	if (rc == 0 && fz_oracle("split-sanity")) {
		/* checksum_raw: the file's bytes; checksum: the same with CRLF read as LF */
		char *lf = malloc(size + 1);
		size_t n = 0;

		if (!lf)
			abort();
		for (size_t i = 0; i < size; i++)
			if (!(data[i] == '\r' && i + 1 < size && data[i + 1] == '\n'))
				lf[n++] = (char)data[i];
		rt_sha256_hex(data, size, sum);
		if (strcmp(sum, s->checksum_raw) != 0)
			fz_fail("split-sanity", "script raw checksum is not the SHA-256 of the file");
		rt_sha256_hex(lf, n, sum);
		free(lf);
		if (strcmp(sum, s->checksum) != 0)
			fz_fail("split-sanity", "script checksum is not the SHA-256 of the file with CRLF read as LF");
		if (!s->upgrade.present)
			fz_fail("split-sanity", "script parsed without an upgrade section");
	}
	rt_script_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int lines = fz_lines(data, size);
	int last_line = BASE_LINE + lines - 1;

	fz_note_input(data, size);
	input_has_cr = memchr(data, '\r', size) != NULL;
	cfg.vars = vars;
	cfg.nvars = RT_ARRAY_LEN(vars);
	split(RT_DIALECT_SQLITE, data, size, last_line);
	split(RT_DIALECT_POSTGRESQL, data, size, last_line);
	substitute(data, size, last_line);
	script(RT_DIALECT_SQLITE, &cfg, data, size, lines);
	script(RT_DIALECT_POSTGRESQL, size & 1 ? &cfg : NULL, data, size, lines);
	rt_error_clear();
	return 0;
}
