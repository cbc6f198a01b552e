/*
 * sql_split_pg.c - statement splitting and classification for PostgreSQL, on libpg_query.
 *
 * Splitting uses pg_query_split_with_scanner(), PostgreSQL's own lexer, which keeps
 * "CREATE RULE ... (SELECT 1; SELECT 2)" whole and tolerates syntax errors (the server
 * judges those). That function silently drops a piece with no keyword ("foo bar;") and,
 * after an unbalanced ')', everything that follows; so whatever text its statements do
 * not cover is split again with our lexer, and nothing is ever lost. Unterminated
 * strings, identifiers, comments and dollar quotes are reported by our lexer first, so
 * both dialects word them alike; other scanner errors come through as PostgreSQL wrote
 * them, with the line worked out from the scanner's position (1-based characters).
 *
 * Classification parses each statement (pg_query_parse_protobuf) and looks at the node:
 * what cannot run in a transaction block (NO_TXN), what is safe to rerun after a partial
 * failure (IDEMPOTENT), and transaction control (TXN_CONTROL). A statement the grammar
 * (PostgreSQL 15) cannot parse gets no flags. pg_query_exit() is never called: the
 * library frees its memory context when the thread exits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "internal.h"
#include "sql_lex.h"

/* ---- classification ---- */

static int false_word(const char *s)
{
	static const char *const no[] = { "false", "f", "off", "no", "n", "0" };
	for (size_t i = 0; i < RT_ARRAY_LEN(no); i++)
		if (strcasecmp(s, no[i]) == 0)
			return 1;
	return 0;
}

/* The boolean value of an option such as "concurrently" or "create_slot = false"; an
 * option written without a value is true. */
static int option_true(const PgQuery__DefElem *d)
{
	const PgQuery__Node *a = d->arg;

	if (!a)
		return 1;
	switch (a->node_case) {
	case PG_QUERY__NODE__NODE_BOOLEAN:
		return a->boolean->boolval;
	case PG_QUERY__NODE__NODE_INTEGER:
		return a->integer->ival != 0;
	case PG_QUERY__NODE__NODE_STRING:
		return !false_word(a->string->sval);
	case PG_QUERY__NODE__NODE_A_CONST:
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return a->a_const->boolval->boolval;
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			return a->a_const->ival->ival != 0;
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			return !false_word(a->a_const->sval->sval);
		return 1;
	default:
		return 1;
	}
}

static const PgQuery__DefElem *find_option(PgQuery__Node *const *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcasecmp(opts[i]->def_elem->defname, name) == 0)
			return opts[i]->def_elem;
	return NULL;
}

static unsigned classify_alter_table(const PgQuery__AlterTableStmt *s)
{
	unsigned flags = 0;
	int all_missing_ok = s->n_cmds > 0;

	for (size_t i = 0; i < s->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd;
		if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
			all_missing_ok = 0;
			continue;
		}
		cmd = s->cmds[i]->alter_table_cmd;
		if (!cmd->missing_ok)
			all_missing_ok = 0;
		if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    cmd->def->partition_cmd->concurrent)
			flags |= RT_STMT_NO_TXN | RT_STMT_CONCURRENT; /* DETACH PARTITION ... CONCURRENTLY */
	}
	if (all_missing_ok)
		flags |= RT_STMT_IDEMPOTENT;
	return flags;
}

static unsigned classify_subscription(const PgQuery__CreateSubscriptionStmt *s)
{
	const PgQuery__DefElem *slot = find_option(s->options, s->n_options, "create_slot");
	const PgQuery__DefElem *connect = find_option(s->options, s->n_options, "connect");
	int creates_slot;

	if (slot)
		creates_slot = option_true(slot);
	else /* connect = false turns create_slot off */
		creates_slot = !connect || option_true(connect);
	return creates_slot ? RT_STMT_NO_TXN : 0;
}

static unsigned classify_transaction(const PgQuery__TransactionStmt *s)
{
	switch (s->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE: /* ends the transaction too */
		return RT_STMT_TXN_CONTROL;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		return RT_STMT_NO_TXN;
	default:
		return 0;
	}
}

static unsigned classify_node(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		/* retort drops an invalid index left by a failed CONCURRENTLY before rerunning */
		if (n->index_stmt->concurrent)
			return RT_STMT_NO_TXN | RT_STMT_IDEMPOTENT | RT_STMT_CONCURRENT;
		return n->index_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return (n->drop_stmt->concurrent ? RT_STMT_NO_TXN | RT_STMT_CONCURRENT : 0) |
		       (n->drop_stmt->missing_ok ? RT_STMT_IDEMPOTENT : 0);
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *s = n->reindex_stmt;
		const PgQuery__DefElem *conc = find_option(s->params, s->n_params, "concurrently");
		int no_txn = s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
		             s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
		             s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE ||
		             (conc && option_true(conc));
		return RT_STMT_IDEMPOTENT | (no_txn ? RT_STMT_NO_TXN : 0) |
		       (conc && option_true(conc) ? RT_STMT_CONCURRENT : 0);
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return classify_alter_table(n->alter_table_stmt);
	case PG_QUERY__NODE__NODE_VACUUM_STMT: /* VACUUM, or ANALYZE when !is_vacuumcmd */
		return RT_STMT_IDEMPOTENT | (n->vacuum_stmt->is_vacuumcmd ? RT_STMT_NO_TXN : 0);
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		return n->cluster_stmt->relation ? 0 : RT_STMT_NO_TXN;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		return RT_STMT_NO_TXN;
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
		return RT_STMT_NO_TXN | (n->dropdb_stmt->missing_ok ? RT_STMT_IDEMPOTENT : 0);
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT:
		return RT_STMT_NO_TXN | (n->drop_table_space_stmt->missing_ok ? RT_STMT_IDEMPOTENT : 0);
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
		return RT_STMT_NO_TXN | (n->drop_subscription_stmt->missing_ok ? RT_STMT_IDEMPOTENT : 0);
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
		return find_option(n->alter_database_stmt->options, n->alter_database_stmt->n_options,
		                   "tablespace")
		           ? RT_STMT_NO_TXN
		           : 0;
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		return classify_subscription(n->create_subscription_stmt);
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return classify_transaction(n->transaction_stmt);
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		return n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL ? RT_STMT_NO_TXN : 0;
	case PG_QUERY__NODE__NODE_CREATE_STMT:
		return n->create_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT:
		return n->create_schema_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT:
		return n->create_seq_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT:
		return n->create_extension_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT:
		return n->create_table_as_stmt->if_not_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: /* ADD VALUE IF NOT EXISTS */
		return n->alter_enum_stmt->skip_if_new_val_exists ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT:
		return n->create_function_stmt->replace ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_VIEW_STMT:
		return n->view_stmt->replace ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_CREATE_TRIG_STMT:
		return n->create_trig_stmt->replace ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_RULE_STMT:
		return n->rule_stmt->replace ? RT_STMT_IDEMPOTENT : 0;
	case PG_QUERY__NODE__NODE_COPY_STMT: /* STDIN / STDOUT: no file name, no program */
		if (n->copy_stmt->is_program || (n->copy_stmt->filename && *n->copy_stmt->filename))
			return 0;
		return n->copy_stmt->is_from ? RT_STMT_COPY_IN : RT_STMT_COPY_OUT;
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: /* SET, RESET */
		return RT_STMT_IDEMPOTENT;
	default:
		return 0;
	}
}

unsigned rt_sql_classify_pg(const char *sql)
{
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf(sql);
	unsigned flags = 0;

	if (!pb.error) {
		PgQuery__ParseResult *res = pg_query__parse_result__unpack(
			NULL, pb.parse_tree.len, (const uint8_t *)pb.parse_tree.data);
		if (res && res->n_stmts == 1 && res->stmts[0]->stmt)
			flags = classify_node(res->stmts[0]->stmt);
		if (res)
			pg_query__parse_result__free_unpacked(res, NULL);
	}
	pg_query_free_protobuf_parse_result(pb);
	return flags;
}

int rt_sql_syntax_check_pg(const struct rt_stmt *st)
{
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf(st->sql);
	char *context;
	int rc = 0;

	if (pb.error) {
		/* the parser quotes the statement, which may hold the password through a variable */
		char *why = rt_mask_plain(pb.error->message);
		context = rt_caret_context(st->sql, pb.error->cursorpos, st->line);
		rt_error_set(RT_EINPUT, "%s:%d: %s (42601)", st->path, st->line, why ? why : "syntax error");
		free(why);
		rt_error_set_location(st->path, st->line);
		rt_error_set_sqlstate("42601");
		if (context)
			rt_error_set_context(context);
		rt_error_set_hint("PostgreSQL's own parser (libpg_query, the grammar of PostgreSQL 15) rejects "
		                  "this statement; the server would too, unless it is newer syntax.");
		free(context);
		rc = RT_EINPUT;
	}
	pg_query_free_protobuf_parse_result(pb);
	return rc;
}

/* ---- splitting ---- */

/* Byte offset of the character at 1-based position pos (as in PgQueryError.cursorpos). */
static size_t char_offset(const char *text, size_t len, int pos)
{
	long chars = 0;

	if (pos <= 1)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)text[i] & 0xC0) == 0x80)
			continue;
		if (chars == pos - 1)
			return i;
		chars++;
	}
	return len;
}

static int emit(struct rt_stmt_list *out, const char *path, const char *text, size_t start,
                size_t end, int line)
{
	int rc = rt_stmt_list_add(out, path, text, start, end, line, 0);
	if (rc == 0)
		out->items[out->n - 1].flags = rt_sql_classify_pg(out->items[out->n - 1].sql);
	return rc;
}

/* Adds the statements of text[start..end), whose first line is line: one statement from
 * its first to its last token, or, with split, one per ';' outside parentheses (how
 * PostgreSQL's scanner splits; a stray ')' does not stop it here). */
static int add_range(struct rt_stmt_list *out, const char *path, const char *text, size_t start,
                     size_t end, int line, int split)
{
	struct rt_lexer lx;
	struct rt_token tok;
	size_t first = 0, last_end = 0;
	int have = 0, first_line = 0, depth = 0, rc;

	rt_lex_init(&lx, RT_DIALECT_POSTGRESQL, text, end, line);
	lx.pos = start;
	lx.copy_off = 1; /* the segment's COPY data was taken out */
	while (rt_lex_next(&lx, &tok) != RT_TOK_END) {
		if (rt_tok_is_blank(tok.kind))
			continue;
		if (tok.kind == RT_TOK_LPAREN)
			depth++;
		else if (tok.kind == RT_TOK_RPAREN && depth > 0)
			depth--;
		else if (split && tok.kind == RT_TOK_SEMICOLON && depth == 0) {
			if (have && (rc = emit(out, path, text, first, last_end, first_line)) < 0)
				return rc;
			have = 0;
			continue;
		}
		if (!have) {
			have = 1;
			first = tok.start;
			first_line = tok.line;
		}
		last_end = tok.end;
	}
	return have ? emit(out, path, text, first, last_end, first_line) : 0;
}

/* A psql meta-command (a backslash outside strings and comments) where PostgreSQL's
 * scanner failed is what to report (the scanner might call "\\restrict 5yX..." a bad
 * number); otherwise the statement that holds it is refused by rt_stmt_bind(). */
static int meta_command(const char *path, const char *text, const struct rt_token *tok, size_t len)
{
	struct rt_stmt st;
	const char *nl = memchr(text + tok->start, '\n', len - tok->start);

	memset(&st, 0, sizeof(st));
	st.sql = (char *)text + tok->start;
	st.len = nl ? (size_t)(nl - st.sql) : len - tok->start;
	st.path = path;
	st.line = tok->line;
	st.column = 1;
	return rt_sql_check_client_commands(RT_DIALECT_POSTGRESQL, path, &st);
}

static int first_meta_command(const char *path, const char *text, size_t len, int base_line)
{
	struct rt_lexer lx;
	struct rt_token tok;

	rt_lex_init(&lx, RT_DIALECT_POSTGRESQL, text, len, base_line);
	lx.copy_off = 1;
	while (rt_lex_next(&lx, &tok) != RT_TOK_END)
		if (tok.kind == RT_TOK_OTHER && text[tok.start] == '\\')
			return meta_command(path, text, &tok, len);
	return 0;
}

/* Splits text[0..len), which holds no COPY data, starting on line base_line. */
static int split_segment(const char *path, const char *text, size_t len, int base_line,
                         struct rt_stmt_list *out)
{
	PgQuerySplitResult sp;
	char *copy;
	size_t covered = 0;
	int line = base_line, rc = 0;

	copy = rt_strndup(text, len);
	if (!copy)
		return RT_ENOMEM;
	sp = pg_query_split_with_scanner(copy);
	if (sp.error && (rc = first_meta_command(path, text, len, base_line)) < 0)
		goto out;
	if (sp.error) {
		size_t off = char_offset(copy, len, sp.error->cursorpos);
		line = base_line + rt_lex_count_lines(text, 0, off);
		rt_error_set(RT_EINPUT, "%s:%d: %s", path, line, sp.error->message);
		rt_error_set_location(path, line);
		rt_error_set_hint("Correct the SQL on that line: PostgreSQL would reject it too.");
		rc = RT_EINPUT;
		goto out;
	}
	for (int i = 0; i < sp.n_stmts && rc == 0; i++) {
		size_t loc = (size_t)sp.stmts[i]->stmt_location;
		size_t end = loc + (size_t)sp.stmts[i]->stmt_len;
		if (sp.stmts[i]->stmt_location < 0 || sp.stmts[i]->stmt_len < 0 || loc < covered ||
		    end > len)
			continue; /* cannot happen; the gap split below covers the text anyway */
		if (loc > covered)
			rc = add_range(out, path, text, covered, loc, line, 1);
		line += rt_lex_count_lines(text, covered, loc);
		if (rc == 0)
			rc = add_range(out, path, text, loc, end, line, 0);
		line += rt_lex_count_lines(text, loc, end);
		covered = end;
	}
	if (rc == 0)
		rc = add_range(out, path, text, covered, len, line, 1);
out:
	pg_query_free_split_result(sp);
	free(copy);
	return rc;
}

/* Gives the COPY data token tok (see sql_lex.h) to the statement before it, the last of
 * out (from index first on: its segment's statements), which must be that COPY. */
static int attach_copy_data(const char *path, const char *text, const struct rt_token *tok,
                            struct rt_stmt_list *out, size_t first)
{
	const char *nl = memchr(text + tok->start, '\n', tok->end - tok->start);
	size_t data = nl ? (size_t)(nl - text) + 1 : tok->end, term = data, rest = tok->start;
	struct rt_stmt *st = out->n > first ? &out->items[out->n - 1] : NULL;

	while (rest < data && (text[rest] == ' ' || text[rest] == '\t' || text[rest] == '\r'))
		rest++;
	if (rest < data && text[rest] != '\n' && !(text[rest] == '-' && text[rest + 1] == '-')) {
		rt_error_set(RT_EINPUT, "%s:%d: text after 'COPY ... FROM stdin;' on the same line", path,
		             tok->line);
		rt_error_set_location(path, tok->line);
		rt_error_set_hint("The data of COPY starts on the line after the statement; put anything "
		                  "else after its '\\.' line.");
		return RT_EINPUT;
	}
	/* the last line of the token is "\." */
	for (size_t i = data; i < tok->end; i++)
		if (text[i] == '\\' && i + 1 < tok->end && text[i + 1] == '.' && (i == data || text[i - 1] == '\n'))
			term = i;
	if (!st)
		return rt_error_set(RT_ERROR, "internal error: COPY data without its statement");
	st->copy_data = rt_strndup(text + data, term - data);
	if (!st->copy_data)
		return RT_ENOMEM;
	st->copy_len = term - data;
	st->copy_line = tok->line + 1;
	return 0;
}

int rt_sql_split_pg(const char *path, const char *text, size_t len, int base_line,
                    struct rt_stmt_list *out)
{
	struct rt_lexer lx;
	struct rt_token tok;
	size_t covered = 0;
	int line = base_line, rc = 0;

	rt_lex_init(&lx, RT_DIALECT_POSTGRESQL, text, len, base_line);
	while (rc == 0 && rt_lex_next(&lx, &tok) != RT_TOK_END) {
		size_t first = out->n;
		if (tok.unterminated)
			return rt_lex_error(text, &tok, path);
		if (tok.kind != RT_TOK_COPY_DATA)
			continue;
		rc = split_segment(path, text + covered, tok.start - covered, line, out);
		for (size_t i = first; i < out->n; i++)
			out->items[i].offset += covered; /* offsets into text, not the segment */
		if (rc == 0)
			rc = attach_copy_data(path, text, &tok, out, first);
		covered = tok.end;
		line = lx.line;
	}
	if (rc == 0) {
		size_t first = out->n;
		rc = split_segment(path, text + covered, len - covered, line, out);
		for (size_t i = first; i < out->n; i++)
			out->items[i].offset += covered;
	}
	return rc;
}
