/*
 * check.c - `retort check`: everything wrong with the scripts and, given a database,
 * everything about the database that disagrees with them. Problems are collected, never
 * stopped at, so one run lists them all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "backend.h"

/* Parses every script, and keeps only its checksums (sums[rev->index]: the normalised one,
 * then the raw one; "" when the script is broken): holding 100,000 parsed scripts would
 * cost more than reading them. */
static int check_script(const struct rt_graph *g, struct rt_revision *r, struct rt_diags *diags,
                        char sums[130])
{
	struct rt_script *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = rt_file_read(r->path, &text, &len);

	if (rc == 0)
		rc = rt_script_parse_diags(&s, r->path, text, len, g->dialect, g->cfg, diags);
	free(text);
	if (rc == RT_ENOMEM)
		return rc;
	if (rc < 0)
		return rt_diags_add_error(diags, "bad-script");
	memcpy(sums, s->checksum, 65);
	memcpy(sums + 65, s->checksum_raw, 65);
	rc = rt_section_problems(r, &s->upgrade, g->dialect, diags);
	if (rc == 0 && s->downgrade.present)
		rc = rt_section_problems(r, &s->downgrade, g->dialect, diags);
	rt_script_free(s);
	return rc;
}

static int check_scripts(const struct rt_graph *g, struct rt_diags *diags, char (*sums)[130])
{
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++)
		rc = check_script(g, g->revs[i], diags, sums[i]);
	return rc;
}

/* 1 when a "missing-file" problem already names revision. */
static int diags_mention(const struct rt_diags *d, const char *revision)
{
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "'%s'", revision);
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->items[i].kind, "missing-file") == 0 && strstr(d->items[i].message, quoted))
			return 1;
	return 0;
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

static int check_database(const struct rt_graph *g, struct rt_db *db, struct rt_diags *diags,
                          char (*sums)[130])
{
	struct rt_strlist heads = RT_STRLIST_INIT;
	struct rt_history_row *rows = NULL;
	struct rt_state st;
	size_t nrows = 0;
	int rc, have_state = 0, unknown_rows = 0;

	if ((rc = rt_db_heads(db, &heads)) < 0 || (rc = rt_db_history(db, NULL, &rows, &nrows)) < 0)
		goto out;
	/* version rows no file defines: report them, and check the rest against what is known */
	for (size_t i = 0; i < heads.n; i++) {
		if (rt_graph_get(g, heads.items[i]))
			continue;
		rc = rt_diags_add(diags, RT_SEV_ERROR, "missing-file", NULL, 0,
		                  "Restore the missing file, or rewrite the version table with 'retort stamp --purge TARGET'.",
		                  "the database is at revision '%s', which no revision file defines",
		                  heads.items[i]);
		if (rc < 0)
			goto out;
		unknown_rows = 1;
		free(heads.items[i]);
		memmove(&heads.items[i], &heads.items[i + 1], (heads.n - i - 1) * sizeof(char *));
		heads.n--;
		i--;
	}
	rc = rt_state_from_heads(&st, g, (const char *const *)heads.items, heads.n);
	if (rc == RT_ENOMEM)
		goto out;
	if (rc < 0) {
		rc = rt_diags_add_error(diags, "bad-version-table");
		if (rc == 0)
			rc = rt_state_from_heads(&st, g, NULL, 0);
		unknown_rows = 1;
	}
	if (rc == 0) {
		have_state = 1;
		for (size_t i = 0; i < g->n && rc == 0; i++) {
			struct rt_revision *r = g->revs[i];
			const struct rt_history_row *h;
			/* with version rows that name no file, what is applied below them is unknown:
			 * go by the history instead */
			if ((!st.applied[i] && !unknown_rows) || !sums[i][0])
				continue;
			h = last_row(rows, nrows, r->id);
			if (h && h->checksum && h->run == RT_RUN_APPLIED && h->dir != RT_DOWNGRADE &&
			    strcmp(h->checksum, sums[i]) != 0 &&
			    strcmp(h->checksum, sums[i] + 65) != 0)
				rc = rt_diags_add(diags, RT_SEV_ERROR, "checksum-mismatch", r->path, 0,
				                  "Changing an applied revision does not change the databases it ran on; "
				                  "restore the file, or put the change in a new revision.",
				                  "%s: revision '%s' changed after it was applied (sha256 %.12s then, %.12s now)",
				                  r->path, r->id, h->checksum, sums[i]);
		}
	}
	/* applied revisions that no file defines any more */
	for (size_t i = 0; i < nrows && rc == 0; i++) {
		const struct rt_history_row *h = &rows[i];
		if (strcmp(h->revision, "<base>") == 0 || rt_graph_get(g, h->revision) ||
		    last_row(rows, nrows, h->revision) != h || diags_mention(diags, h->revision))
			continue;
		if (h->run == RT_RUN_APPLIED && h->dir != RT_DOWNGRADE)
			rc = rt_diags_add(diags, RT_SEV_ERROR, "missing-file", NULL, 0,
			                  "Restore the revision file from version control.",
			                  "revision '%s' was applied (%s) but no revision file defines it",
			                  h->revision, h->started_at);
	}
	/* revisions whose last attempt failed or never finished, unless a stamp settled it */
	for (size_t i = 0; i < nrows && rc == 0; i++) {
		const struct rt_history_row *h = &rows[i];
		int settled = 0;
		if (last_row(rows, nrows, h->revision) != h || h->run == RT_RUN_APPLIED || h->run == RT_RUN_RESOLVED)
			continue;
		for (size_t j = i + 1; j < nrows && !settled; j++)
			settled = rows[j].dir == RT_STAMP;
		if (settled)
			continue;
		rc = rt_diags_add(diags, RT_SEV_WARNING, "failed-revision", NULL, 0,
		                  "Run the command again once the cause is fixed; 'retort current --verbose' shows details.",
		                  "the last %s of revision '%s' (%s) %s%s%s", h->direction, h->revision,
		                  h->started_at, h->run == RT_RUN_FAILED ? "failed" : "did not finish",
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
	char (*sums)[130] = rt_calloc(g->n ? g->n : 1, sizeof(*sums));
	if (!sums)
		return RT_ENOMEM;
	if (rc == 0)
		rc = check_scripts(g, diags, sums);
	if (rc == 0 && db && !db->missing && rt_diags_count(&g->problems, RT_SEV_ERROR) == 0)
		rc = check_database(g, db, diags, sums);
	free(sums);
	return rc;
}
