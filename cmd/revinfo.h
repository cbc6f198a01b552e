/*
 * revinfo.h - how revisions and history rows look on the command line, shared by
 * history, heads, branches, show and current: the one-line form
 * ("<parent> -> <id> (label) (head) (current), message"), the verbose block, and the
 * JSON objects. Also an index of history rows by revision.
 */
#ifndef RETORT_CMD_REVINFO_H
#define RETORT_CMD_REVINFO_H

#include "retort.h"

struct cli;
struct json;

/* History rows grouped by revision (oldest first within each). */
struct hist_index {
	struct rt_history_row *rows; /* owned */
	size_t nrows;
	struct rt_history_row **sorted; /* by revision, then id */
};

/* Reads the history rows of db into idx: all of them (latest_of NULL), or the latest run
 * of each revision in latest_of and of each revision whose latest run failed. */
int hist_index_load(struct hist_index *idx, struct rt_db *db, const struct rt_strlist *latest_of);
/* The rows of revision id: *n of them starting at the returned pointer (NULL when none). */
struct rt_history_row **hist_index_find(const struct hist_index *idx, const char *id, size_t *n);
void hist_index_release(struct hist_index *idx);

/* What is known when describing revisions. */
struct revinfo {
	struct cli *cli;
	const struct rt_graph *g;
	const struct rt_state *cur;     /* NULL: the database state is unknown */
	const struct hist_index *hist;  /* NULL: no history rows */
	int hist_last_only;             /* show only the newest row of each revision */
};

int rev_is_head(const struct rt_graph *g, const struct rt_revision *r);
int rev_is_current(const struct revinfo *ri, const struct rt_revision *r);

/* " (label, ...) (head) (current) (branchpoint) (mergepoint)" */
void rev_tags(struct rt_buf *b, const struct revinfo *ri, const struct rt_revision *r);
/* "<base>", "1a2b" or "(1a2b, 3c4d)" */
void rev_parents(struct rt_buf *b, const struct rt_revision *r);

/* "<parent> -> <id> tags, message" on stdout. */
void rev_print_line(const struct revinfo *ri, const struct rt_revision *r);
/* "<id> tags" (heads, current) on stdout, with ", message" when with_message. */
void rev_print_short(const struct revinfo *ri, const struct rt_revision *r, int with_message);
/* The verbose block on stdout, with the revision's history rows when ri->hist is set. */
void rev_print_block(const struct revinfo *ri, const struct rt_revision *r);
/* One history row as an indented text line. */
void hist_print_row(const struct rt_history_row *h);

/* The fields of a revision object (caller opens and closes the object). */
void rev_json_fields(struct json *j, const struct revinfo *ri, const struct rt_revision *r);
/* A history row as a JSON object. */
void hist_json_row(struct json *j, const struct rt_history_row *h);

#endif
