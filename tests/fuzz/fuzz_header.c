/*
 * fuzz_header.c - libFuzzer target for the revision header parser: the input is a whole
 * revision file given to rt_revision_parse_header().
 *
 * Oracles (fuzz_common.h): the error contract (code in the slot, RT_EINPUT naming the
 * file and a line of the input), a parsed revision that holds only what the header
 * rules allow (a valid id, valid parent ids, a message), and a differential check of the
 * flat YAML fast path against libyaml on the header's YAML text.
 */
#include "fuzz_common.h"
#include "internal.h"
#include "sql_lex.h"
#include "yaml_tree.h"

#define PATH "versions/fuzz_rev.sql"

static void describe(const struct rt_ynode *n, char *buf, size_t size)
{
	snprintf(buf, size, "kind %d line %d plain %d n %zu value '%.40s'", (int)n->kind, n->line,
	         n->plain, n->n, n->value ? n->value : "");
}

/* The fast path's tree must equal libyaml's: same kinds, lines, values, styles. */
static void same_tree(const struct rt_ynode *a, const struct rt_ynode *b, const char *where)
{
	char da[160], db[160];

	if (!a || !b) {
		if (a != b)
			fz_fail("yaml-flat-diff", "%s: one tree is empty (flat %p, libyaml %p)", where,
			        (const void *)a, (const void *)b);
		return;
	}
	describe(a, da, sizeof(da));
	describe(b, db, sizeof(db));
	if (a->kind != b->kind || a->n != b->n || a->line != b->line ||
	    (a->kind == RT_Y_SCALAR &&
	     (a->plain != b->plain || strcmp(a->value ? a->value : "", b->value ? b->value : "") != 0)))
		fz_fail("yaml-flat-diff", "%s: flat {%s} vs libyaml {%s}", where, da, db);
	for (size_t i = 0; i < a->n; i++)
		same_tree(a->items[i], b->items[i], where);
}

static void yaml_differential(const char *text, size_t len)
{
	struct rt_ynode *flat = NULL, *full = NULL;
	int rc = rt_yaml_parse_flat(text, len, 2, &flat);

	if (rc == 1 && fz_oracle("yaml-flat-diff") && (fz_oracle("yaml-flat-diff-ctrl") || !memchr(text, 0x7f, len))) {
		int rc2 = rt_yaml_parse_libyaml(PATH, text, len, 2, &full);
		if (rc2 < 0) {
			int ctrl = 0;
			for (size_t i = 0; i < len; i++)
				ctrl |= text[i] == 0x7f;
			fz_fail(ctrl && fz_oracle("yaml-flat-diff-ctrl") ? "yaml-flat-diff-ctrl" : "yaml-flat-diff",
			        "the flat fast path accepted YAML that libyaml rejects: %s", rt_error_last()->message);
		}
		same_tree(flat, full, "header YAML");
	}
	rt_ynode_free(flat);
	rt_ynode_free(full);
}

static void check_revision(const struct rt_revision *rev, size_t size, const uint8_t *data)
{
	int lines = fz_lines(data, size);

	if (!fz_oracle("header-sanity"))
		return;
	if (!rt_revision_id_valid(rev->id))
		fz_fail("header-sanity", "parsed revision has an invalid id '%s'", rev->id);
	if (!rev->message)
		fz_fail("header-sanity", "parsed revision has no message (must be \"\" at least)");
	if (!rev->path || strcmp(rev->path, PATH) != 0)
		fz_fail("header-sanity", "parsed revision has path '%s'", rev->path ? rev->path : "(null)");
	for (size_t i = 0; i < rev->down.n; i++)
		if (!rt_revision_id_valid(rev->down.items[i]) || strcmp(rev->down.items[i], rev->id) == 0)
			fz_fail("header-sanity", "down_revision entry '%s' accepted", rev->down.items[i]);
	for (size_t i = 0; i < rev->depends_on.n; i++)
		if (strcmp(rev->depends_on.items[i], rev->id) == 0)
			fz_fail("header-sanity", "a revision that depends on itself was accepted");
	if ((rev->line < 1 || rev->line > lines || rev->down_line < 0 || rev->down_line > lines) &&
	    fz_oracle(fz_other_breaks ? "line-breaks" : "header-sanity"))
		fz_fail(fz_other_breaks ? "line-breaks" : "header-sanity", "key lines out of range: revision %d, down_revision %d (%d lines)",
		        rev->line, rev->down_line, lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_revision *rev = NULL;
	size_t open, close;
	int rc;

	fz_note_input(data, size);
	rc = rt_revision_parse_header(&rev, PATH, (const char *)data, size);
	fz_check_error(rc, "rt_revision_parse_header", PATH, 1, fz_lines(data, size));
	if (rc == 0) {
		if (!rev)
			fz_fail("header-sanity", "success without a revision");
		check_revision(rev, size, data);
	} else if (rev) {
		fz_fail("header-sanity", "failure left *out set");
	}
	rt_revision_free(rev);

	if (rt_lex_header_comment((const char *)data, size, &open, &close) == 0)
		yaml_differential((const char *)data + open + 2, close - open - 2);
	rt_error_clear();
	return 0;
}
