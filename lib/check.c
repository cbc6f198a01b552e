/*
 * check.c - `retort check`: everything wrong with the scripts and, given a database,
 * everything about the database that disagrees with them. Problems are collected, never
 * stopped at, so one run lists them all.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"

static int check_scripts(const struct rt_graph *g, struct rt_diags *diags)
{
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++) {
		struct rt_revision *r = g->revs[i];
		int tx;
		rc = rt_graph_load_script(g, r);
		if (rc == RT_ENOMEM)
			return rc;
		if (rc < 0) {
			rc = rt_diags_add_error(diags, "bad-script");
			continue;
		}
		if (rt_section_transactional(r, &r->script->upgrade, &tx) < 0 ||
		    (r->script->downgrade.present && rt_section_transactional(r, &r->script->downgrade, &tx) < 0))
			rc = rt_diags_add_error(diags, "mixed-transaction");
	}
	return rc;
}

/* The last history row of each revision that recorded it as applied or stamped. */
static const struct rt_history_row *last_row(const struct rt_history_row *rows, size_t n,
                                             const char *revision)
{
	for (size_t i = n; i > 0; i--)
		if (strcmp(rows[i - 1].revision, revision) == 0)
			return &rows[i - 1];
	return NULL;
}

static int check_database(const struct rt_graph *g, struct rt_db *db, struct rt_diags *diags)
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	struct rt_history_row *rows = NULL;
	struct rt_state st;
	size_t nrows = 0;
	int rc, have_state = 0;

	if ((rc = rt_db_heads(db, &heads)) < 0 || (rc = rt_db_history(db, NULL, &rows, &nrows)) < 0)
		goto out;
	rc = rt_state_from_heads(&st, g, (const char *const *)heads.items, heads.n);
	if (rc == RT_ENOMEM)
		goto out;
	if (rc < 0) {
		rc = rt_diags_add_error(diags, "bad-version-table");
	} else {
		have_state = 1;
		for (size_t i = 0; i < g->n && rc == 0; i++) {
			struct rt_revision *r = g->revs[i];
			const struct rt_history_row *h;
			if (!st.applied[i] || !r->script)
				continue;
			h = last_row(rows, nrows, r->id);
			if (h && h->checksum && strcmp(h->status, "applied") == 0 &&
			    strcmp(h->direction, "downgrade") != 0 && strcmp(h->checksum, r->script->checksum) != 0)
				rc = rt_diags_add(diags, RT_SEV_ERROR, "checksum-mismatch", r->path, 0,
				                  "Changing an applied revision does not change the databases it ran on; "
				                  "restore the file, or put the change in a new revision.",
				                  "%s: revision '%s' changed after it was applied (sha256 %.12s then, %.12s now)",
				                  r->path, r->id, h->checksum, r->script->checksum);
		}
	}
	/* applied revisions that no file defines any more */
	for (size_t i = 0; i < nrows && rc == 0; i++) {
		const struct rt_history_row *h = &rows[i];
		if (strcmp(h->revision, "<base>") == 0 || rt_graph_get(g, h->revision) ||
		    last_row(rows, nrows, h->revision) != h)
			continue;
		if (strcmp(h->status, "applied") == 0 && strcmp(h->direction, "downgrade") != 0)
			rc = rt_diags_add(diags, RT_SEV_ERROR, "missing-file", NULL, 0,
			                  "Restore the revision file from version control.",
			                  "revision '%s' was applied (%s) but no revision file defines it",
			                  h->revision, h->started_at);
	}
	/* revisions whose last attempt failed or never finished */
	for (size_t i = 0; i < nrows && rc == 0; i++) {
		const struct rt_history_row *h = &rows[i];
		if (last_row(rows, nrows, h->revision) != h || strcmp(h->status, "applied") == 0)
			continue;
		rc = rt_diags_add(diags, RT_SEV_WARNING, "failed-revision", NULL, 0,
		                  "Run the command again once the cause is fixed; 'retort current --verbose' shows details.",
		                  "the last %s of revision '%s' (%s) %s%s%s", h->direction, h->revision,
		                  h->started_at, strcmp(h->status, "failed") == 0 ? "failed" : "did not finish",
		                  h->error ? ": " : "", h->error ? h->error : "");
	}
	if (rc == 0 && db->ops->check)
		rc = db->ops->check(db, diags);
out:
	if (have_state)
		rt_state_release(&st);
	rt_strlist_release(&heads);
	rt_history_rows_free(rows, nrows);
	return rc;
}

int rt_check(const struct rt_graph *g, struct rt_db *db, struct rt_diags *diags)
{
	int rc = 0;

	for (size_t i = 0; i < g->problems.n && rc == 0; i++) {
		const struct rt_diag *d = &g->problems.items[i];
		rc = rt_diags_add(diags, d->severity, d->kind, d->file, d->line, d->hint, "%s", d->message);
	}
	if (rc == 0)
		rc = check_scripts(g, diags);
	if (rc == 0 && db && !db->missing && rt_diags_count(&g->problems, RT_SEV_ERROR) == 0)
		rc = check_database(g, db, diags);
	return rc;
}
