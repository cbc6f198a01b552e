/*
 * revinfo.c - text and JSON forms of revisions and history rows (see revinfo.h).
 *
 * The text forms follow Alembic's so that its users read them at a glance:
 * "1a2b -> 3c4d (head), add accounts" and the "Rev: / Parent: / Path:" block.
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "output.h"
#include "revinfo.h"

/* ---- history index ---- */

static int cmp_row(const void *a, const void *b)
{
	const struct rt_history_row *x = *(struct rt_history_row *const *)a;
	const struct rt_history_row *y = *(struct rt_history_row *const *)b;
	int c = strcmp(x->revision ? x->revision : "", y->revision ? y->revision : "");

	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

int hist_index_load(struct hist_index *idx, struct rt_db *db, const struct rt_strlist *latest_of)
{
	int rc;

	memset(idx, 0, sizeof(*idx));
	rc = latest_of ? rt_db_history_latest(db, latest_of, &idx->rows, &idx->nrows)
	               : rt_db_history(db, NULL, &idx->rows, &idx->nrows);
	if (rc < 0)
		return rc;
	if (idx->nrows == 0)
		return 0;
	idx->sorted = malloc(idx->nrows * sizeof(*idx->sorted));
	if (!idx->sorted) {
		hist_index_release(idx);
		return RT_ENOMEM;
	}
	for (size_t i = 0; i < idx->nrows; i++)
		idx->sorted[i] = &idx->rows[i];
	qsort(idx->sorted, idx->nrows, sizeof(*idx->sorted), cmp_row);
	return 0;
}

struct rt_history_row **hist_index_find(const struct hist_index *idx, const char *id, size_t *n)
{
	size_t lo = 0, hi = idx ? idx->nrows : 0, end;

	*n = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *rev = idx->sorted[mid]->revision;

		if (strcmp(rev ? rev : "", id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; idx && end < idx->nrows; end++) {
		const char *rev = idx->sorted[end]->revision;
		if (strcmp(rev ? rev : "", id) != 0)
			break;
	}
	*n = end - lo;
	return *n ? &idx->sorted[lo] : NULL;
}

void hist_index_release(struct hist_index *idx)
{
	rt_history_rows_free(idx->rows, idx->nrows);
	free(idx->sorted);
	memset(idx, 0, sizeof(*idx));
}

/* ---- revisions ---- */

static int cmp_rev_id(const void *key, const void *elem)
{
	return strcmp((const char *)key, (*(struct rt_revision *const *)elem)->id);
}

int rev_is_head(const struct rt_graph *g, const struct rt_revision *r)
{
	return bsearch(r->id, g->heads, g->nheads, sizeof(*g->heads), cmp_rev_id) != NULL;
}

int rev_is_current(const struct revinfo *ri, const struct rt_revision *r)
{
	return ri->cur && r->index < ri->g->n && rt_state_is_current(ri->cur, r);
}

static int is_applied(const struct revinfo *ri, const struct rt_revision *r)
{
	return ri->cur && ri->cur->applied && r->index < ri->g->n && ri->cur->applied[r->index];
}

static void join(struct rt_buf *b, const struct rt_strlist *l)
{
	rt_buf_join(b, (const char *const *)l->items, l->n, ", ");
}

void rev_tags(struct rt_buf *b, const struct revinfo *ri, const struct rt_revision *r)
{
	/* The branches a revision belongs to, as Alembic shows them: its own labels and
	 * those propagated along its branch. */
	const struct rt_strlist *labels = r->member_of.n ? &r->member_of : &r->branch_labels;

	if (labels->n) {
		rt_buf_puts(b, " (");
		join(b, labels);
		rt_buf_puts(b, ")");
	}
	if (rev_is_head(ri->g, r))
		rt_buf_puts(b, " (head)");
	if (rev_is_current(ri, r))
		rt_buf_puts(b, " (current)");
	if (r->nchildren > 1)
		rt_buf_puts(b, " (branchpoint)");
	if (r->nparents > 1 || r->down.n > 1)
		rt_buf_puts(b, " (mergepoint)");
}

void rev_parents(struct rt_buf *b, const struct rt_revision *r)
{
	if (r->down.n == 0) {
		rt_buf_puts(b, "<base>");
	} else if (r->down.n == 1) {
		rt_buf_puts(b, r->down.items[0]);
	} else {
		rt_buf_puts(b, "(");
		join(b, &r->down);
		rt_buf_puts(b, ")");
	}
}

void rev_print_line(const struct revinfo *ri, const struct rt_revision *r)
{
	struct rt_buf b = RT_BUF_INIT;

	rt_alloc_exempt(1); /* output, not work: see rt_alloc_exempt() */
	rev_parents(&b, r);
	rt_buf_addf(&b, " -> %s", r->id);
	rev_tags(&b, ri, r);
	if (r->message && *r->message)
		rt_buf_addf(&b, ", %s", r->message);
	out_printf("%s\n", b.ptr);
	rt_buf_release(&b);
	rt_alloc_exempt(0);
}

void rev_print_short(const struct revinfo *ri, const struct rt_revision *r, int with_message)
{
	struct rt_buf b = RT_BUF_INIT;

	rt_alloc_exempt(1); /* output, not work: see rt_alloc_exempt() */
	rt_buf_puts(&b, r->id);
	rev_tags(&b, ri, r);
	if (with_message && r->message && *r->message)
		rt_buf_addf(&b, ", %s", r->message);
	out_printf("%s\n", b.ptr);
	rt_buf_release(&b);
	rt_alloc_exempt(0);
}

static void print_ids(const char *label, struct rt_revision **revs, size_t n)
{
	struct rt_buf b = RT_BUF_INIT;

	rt_buf_join_ids(&b, revs, n, ", ");
	out_printf("%s: %s\n", label, b.ptr);
	rt_buf_release(&b);
}

static void print_list(const char *label, const struct rt_strlist *l)
{
	struct rt_buf b = RT_BUF_INIT;

	join(&b, l);
	out_printf("%s: %s\n", label, b.ptr);
	rt_buf_release(&b);
}

void hist_print_row(const struct rt_history_row *h)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *status = h->status ? h->status : "?";

	rt_alloc_exempt(1); /* output, not work: see rt_alloc_exempt() */
	if (h->run == RT_RUN_FAILED)
		status = "FAILED";
	else if (h->run == RT_RUN_RUNNING)
		status = "INTERRUPTED";
	rt_buf_addf(&b, "    %s  %-9s %-11s", h->started_at ? h->started_at : "?",
	            h->direction ? h->direction : "?", status);
	if (h->duration_ms >= 0)
		rt_buf_addf(&b, h->duration_ms == (double)(long long)h->duration_ms ? "  %.0f ms" : "  %.1f ms",
		            h->duration_ms);
	if (h->checksum)
		rt_buf_addf(&b, "  sha256 %.12s", h->checksum);
	if (h->retort_version)
		rt_buf_addf(&b, "  retort %s", h->retort_version);
	if (h->statement_index >= 0 && h->run != RT_RUN_APPLIED)
		rt_buf_addf(&b, "  at statement %d", h->statement_index + 1);
	out_printf("%s\n", b.ptr);
	if (h->error && *h->error)
		out_printf("        %s\n", h->error);
	rt_buf_release(&b);
	rt_alloc_exempt(0);
}

void rev_print_block(const struct revinfo *ri, const struct rt_revision *r)
{
	struct rt_buf b = RT_BUF_INIT;
	const char *msg = r->message ? r->message : "";

	rt_alloc_exempt(1); /* output, not work: see rt_alloc_exempt() */
	rt_buf_puts(&b, r->id);
	rev_tags(&b, ri, r);
	out_printf("Rev: %s\n", b.ptr);
	if (r->down.n > 1) {
		print_list("Merges", &r->down);
	} else {
		rt_buf_clear(&b);
		rev_parents(&b, r);
		out_printf("Parent: %s\n", b.ptr);
	}
	if (r->depends_on.n)
		print_list("Also depends on", &r->depends_on);
	if (r->nchildren > 1)
		print_ids("Branches into", r->children, r->nchildren);
	if (r->branch_labels.n)
		print_list("Branch names", &r->branch_labels);
	if (r->member_of.n > r->branch_labels.n)
		print_list("On branches", &r->member_of);
	out_printf("Path: %s\n", cli_relpath(ri->cli, r->path));
	if (r->create_date)
		out_printf("Created: %s\n", r->create_date);
	if (ri->cur)
		out_printf("Applied: %s\n", is_applied(ri, r) ? "yes" : "no");
	/* The message, indented like a commit message; it may span lines. */
	out_printf("\n");
	while (*msg) {
		const char *nl = strchr(msg, '\n');
		size_t len = nl ? (size_t)(nl - msg) : strlen(msg);

		out_printf("    %.*s\n", (int)len, msg);
		msg += len + (nl ? 1 : 0);
	}
	if (ri->hist) {
		size_t n;
		struct rt_history_row **rows = hist_index_find(ri->hist, r->id, &n);

		if (n && ri->hist_last_only) {
			out_printf("\nLast run:\n");
			hist_print_row(rows[n - 1]);
		} else if (n) {
			out_printf("\nHistory:\n");
			for (size_t i = 0; i < n; i++)
				hist_print_row(rows[i]);
		}
	}
	out_printf("\n");
	rt_buf_release(&b);
	rt_alloc_exempt(0);
}

void hist_json_row(struct json *j, const struct rt_history_row *h)
{
	json_object_begin(j);
	json_kint(j, "id", h->id);
	json_kstring(j, "revision", h->revision);
	json_kstring(j, "direction", h->direction);
	json_kstring(j, "status", h->status);
	json_kstring(j, "checksum", h->checksum);
	json_kstring(j, "started_at", h->started_at);
	json_kstring(j, "finished_at", h->finished_at);
	json_key(j, "duration_ms");
	if (h->duration_ms >= 0)
		json_double(j, h->duration_ms);
	else
		json_null(j);
	json_kstring(j, "retort_version", h->retort_version);
	json_key(j, "statement_index");
	if (h->statement_index >= 0)
		json_int(j, h->statement_index);
	else
		json_null(j);
	json_kstring(j, "error", h->error);
	json_object_end(j);
}

void rev_json_fields(struct json *j, const struct revinfo *ri, const struct rt_revision *r)
{
	json_kstring(j, "revision", r->id);
	json_kstrlist(j, "down_revisions", &r->down);
	json_kstrlist(j, "depends_on", &r->depends_on);
	json_kstrlist(j, "branch_labels", &r->branch_labels);
	json_kstrlist(j, "branches", &r->member_of);
	json_kstring(j, "message", r->message ? r->message : "");
	json_kstring(j, "create_date", r->create_date);
	json_kstring(j, "path", r->path);
	json_kbool(j, "is_head", rev_is_head(ri->g, r));
	json_kbool(j, "is_branch_point", r->nchildren > 1);
	json_kbool(j, "is_merge_point", r->nparents > 1 || r->down.n > 1);
	json_kbool(j, "transactional", r->transactional);
	if (ri->cur) {
		json_kbool(j, "is_current", rev_is_current(ri, r));
		json_kbool(j, "is_applied", is_applied(ri, r));
	}
	if (ri->hist) {
		size_t n;
		struct rt_history_row **rows = hist_index_find(ri->hist, r->id, &n);

		json_key(j, "history");
		json_array_begin(j);
		for (size_t i = 0; i < n; i++)
			hist_json_row(j, rows[i]);
		json_array_end(j);
	}
}
