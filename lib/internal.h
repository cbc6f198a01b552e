/*
 * internal.h - helpers shared by the modules of libretort, not part of the public API.
 *
 * Allocation goes through rt_malloc() and friends so that tests can make the Nth
 * allocation fail; each of them sets RT_ENOMEM in the error slot when it fails.
 * Errors are set with rt_error_set() where they are detected and passed up unchanged.
 */
#ifndef RETORT_INTERNAL_H
#define RETORT_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include "retort.h"

#define RT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* alloc.c: all return NULL (and set RT_ENOMEM) on failure */
void *rt_malloc(size_t n);
void *rt_calloc(size_t n, size_t size);
void *rt_realloc(void *p, size_t n);
/* Grows *array (of *cap elements of size) to hold at least need elements. */
int rt_grow_array(void *array_ptr, size_t *cap, size_t need, size_t size);
char *rt_strdup(const char *s);
char *rt_strndup(const char *s, size_t n);
char *rt_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* error.c: each returns code, so `return rt_error_set(RT_EINPUT, ...)` reads well. */
int rt_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_error_vset(int code, const char *fmt, va_list ap);
/* Attaches a location / detail / hint / context to the current error. */
void rt_error_set_location(const char *file, int line);
void rt_error_set_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_error_set_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_error_set_context(const char *text);
void rt_error_set_sqlstate(const char *sqlstate);
void rt_error_set_db_code(int code);
void rt_error_set_signal(int sig);
/* Prefixes the current message: "<prefix>: <old message>". */
void rt_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Takes the current error out of the slot into *saved (the slot is cleared), and puts it
 * back. Used to run clean-up that may fail without losing the first failure. */
void rt_error_save(struct rt_error *saved);
void rt_error_restore(struct rt_error *saved);
/* secrets.c: 1 when text contains a registered secret (as rt_mask() finds them). */
int rt_secret_in(const char *text);
/* rt_mask() with plain malloc (for the error slot's own storage, and code that must not
 * set an error); NULL when out of memory. */
char *rt_mask_plain(const char *text);
/* Masks the len bytes of text (plain malloc). When pos is not NULL, *pos (a byte offset
 * into text) becomes the offset of the same place in the result (the start of the "****"
 * when it fell inside a password), so that a caret under it still points right. */
char *rt_mask_span_plain(const char *text, size_t len, size_t *pos);
/* Moves the current error into a diagnostic. */
int rt_diags_add_error(struct rt_diags *d, const char *kind);

/* hashmap.c: string keys (borrowed, must outlive the map) to pointers. */
struct rt_map {
	struct rt_map_entry *slots;
	size_t cap;   /* power of two */
	size_t count;
};
struct rt_map_entry {
	const char *key;
	size_t hash;
	void *value;
};
void rt_map_init(struct rt_map *m);
int rt_map_put(struct rt_map *m, const char *key, void *value); /* replaces */
void *rt_map_get(const struct rt_map *m, const char *key);
void rt_map_release(struct rt_map *m);

/* fsutil.c */
/* Reads a whole file; *out is NUL-terminated. RT_EIO / RT_ENOTFOUND with the path. */
int rt_file_read(const char *path, char **out, size_t *len);
/* Reads at most max bytes from the start of a file. */
int rt_file_read_prefix(const char *path, size_t max, char **out, size_t *len);
/* The same for name relative to the directory dirfd (AT_FDCWD: the cwd); path names the
 * file in messages. */
int rt_file_read_prefix_at(int dirfd, const char *name, const char *path, size_t max, char **out,
                           size_t *len);
/* revision_header.c: rt_revision_read_header() with the file opened relative to dirfd. */
int rt_revision_read_header_at(struct rt_revision **out, int dirfd, const char *name,
                               const char *path);
/* Creates path with O_EXCL and the given mode, writes data. RT_EEXISTS if it exists. */
int rt_file_write_new(const char *path, const char *data, size_t len, int mode);
int rt_path_exists(const char *path);
int rt_path_is_dir(const char *path);
/* dir + "/" + name, or name when it is absolute. */
char *rt_path_join(const char *dir, const char *name);
/* The directory part of path ("." when there is none). */
char *rt_path_dirname(const char *path);
const char *rt_path_basename(const char *path);
/* path without the leading "base/" when it lies under base (a pointer into path). */
const char *rt_path_relative(const char *path, const char *base);
/* An absolute, normalised version of path (no symlink resolution); relative to base when not absolute (NULL: cwd). */
char *rt_path_absolute(const char *path, const char *base);
/* Names in dir ending in suffix (NULL: all), sorted; skips names starting with '.'. On
 * failure out is released (left empty). */
int rt_dir_list(const char *dir, const char *suffix, struct rt_strlist *out);
/* The same, regular files only (symbolic links to regular files included). */
int rt_dir_list_files(const char *dir, const char *suffix, struct rt_strlist *out);
int rt_mkdir_p(const char *path, int mode);
/* When running as root: RT_EINPUT unless path is owned by root and writable by nobody
 * else (what names it in the message: "config file", "version directory", "revision
 * file"), or foreign files are trusted (rt_allow_foreign_files, or the environment's
 * RETORT_ALLOW_FOREIGN_FILES=1). */
int rt_check_safe_for_root(const char *path, const char *what);

/* caret.c: "LINE n: <the line>" and a caret line under the 1-based character position pos
 * of sql, whose first token is on line first_line; NULL when out of memory. */
char *rt_caret_context(const char *sql, long pos, int first_line);

/* utf8.c: offset of the first byte in s[0..n) that breaks UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF included), or n. */
size_t rt_utf8_invalid_at(const unsigned char *s, size_t n);
/* The character at s (n bytes available) into *out; its length in bytes, 0 when the bytes
 * there are not valid UTF-8. */
size_t rt_utf8_decode(const unsigned char *s, size_t n, unsigned *out);

/* clock.c */
double rt_now_ms(void);          /* monotonic milliseconds */
void rt_sleep_ms(long ms);
/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void rt_utc_now_iso(char out[32]);
/* The same with milliseconds: "YYYY-MM-DDTHH:MM:SS.mmmZ" (the format of history times). */
void rt_utc_now_iso_ms(char out[32]);

/* random.c: n random bytes from the kernel */
int rt_random_bytes(void *buf, size_t n);

/* Parses a duration: "5s", "250ms", "2min", "1h", or a bare number of seconds. */
int rt_parse_duration_ms(const char *text, long *out);

/* url.c: the file a sqlite: URL names, absolute (relative paths resolve against base_dir),
 * or ":memory:". RT_EINPUT for a malformed sqlite URL. */
int rt_sqlite_url_path(const char *url, const char *base_dir, char **out);

/* url.c: registers as secrets every password libpq may use without retort seeing it:
 * $PGPASSWORD and the password file ($PGPASSFILE or ~/.pgpass). */
void rt_pg_register_password_sources(void);

/* signals.c: a backend registers how to cancel its statement in progress; fn must be
 * async-signal-safe. One hook at a time; NULL clears it. */
void rt_interrupt_set_hook(void (*fn)(void *arg), void *arg);
/* RT_EINTERRUPTED ("interrupted by SIGINT") once a signal was recorded, else 0. */
int rt_check_interrupt(void);
void rt_interrupt_reset(void);

/* graph internals shared by graph.c, target.c, order.c, plan.c */
struct rt_graph_priv {
	struct rt_map by_id;
	struct rt_map by_label;
};

/* Appends to out, in upgrade order, the revisions of the set marked in want[] (indexed by
 * rev->index), parents and depends_on targets before the revisions that need them; ties
 * are broken by the order of down_revision, then depends_on, in each header. */
int rt_graph_topo_order(const struct rt_graph *g, const unsigned char *want, struct rt_revlist *out);
/* Marks in mark[] every ancestor of r (parents and depends_on, transitively), r included
 * when include_self. */
int rt_graph_mark_ancestors(const struct rt_graph *g, struct rt_revision *r, int include_self,
                            unsigned char *mark);
/* Marks every descendant of r (children and dependents, transitively). */
int rt_graph_mark_descendants(const struct rt_graph *g, struct rt_revision *r, int include_self,
                              unsigned char *mark);

/* section_blocks.c: the blocks of a freshly split section (one of plain statements), and
 * their release. */
int rt_section_make_blocks(struct rt_section *sec);
void rt_section_free_blocks(struct rt_section *sec);

/* section_mode.c: whether a section runs inside a transaction (*out = 1) or statement by
 * statement in autocommit (0). RT_EINPUT when it mixes statements that cannot run in a
 * transaction block with others and the header does not say transactional: false, or holds
 * a statement that cannot run the way the section runs (SQLite PRAGMAs). */
int rt_section_transactional(const struct rt_revision *rev, const struct rt_section *sec,
                             enum rt_dialect dialect, int *out);
/* Every problem rt_section_transactional() would stop at, and PostgreSQL's parser's syntax
 * errors, added to diags; fails only when out of memory. */
int rt_section_problems(const struct rt_revision *rev, const struct rt_section *sec,
                        enum rt_dialect dialect, struct rt_diags *diags);

/* db.c: a history table made by retort 0.1 gets the statement_checksums and position
 * columns (write paths only, once the tables exist). */
int rt_db_upgrade_history(struct rt_db *db);

/* resume.c: statement-by-statement revisions that stopped part-way (see the file). */
#define RT_STMT_DIGEST_LEN 16
/* The first RT_STMT_DIGEST_LEN hex digits of the SHA-256 of a statement (and its COPY data). */
int rt_stmt_digest(const struct rt_stmt *s, char out[RT_STMT_DIGEST_LEN + 1]);
/* The digests of the first n statements of sec, space-separated, appended to out. */
int rt_stmt_digests(const struct rt_section *sec, size_t n, struct rt_buf *out);
const char *rt_direction_name(enum rt_direction d);
/* The section a revision step runs. */
const struct rt_section *rt_step_section(const struct rt_step *st);
/* The unfinished run of revision (rt_db_unfinished()), or *out NULL; free with
 * rt_history_rows_free(*out, 1). */
int rt_db_unfinished_of(struct rt_db *db, const char *revision, struct rt_history_row **out);
/* Where the step resumes: *from statements completed earlier, *resuming when the one at
 * *from was interrupted. RT_ESTATE when it cannot be resumed safely. */
int rt_resume_point(struct rt_db *db, const struct rt_step *st, const struct rt_run_events *ev,
                    size_t *from, int *resuming);
/* RT_ESTATE when an unfinished run exists that plan p does not resume; a stamp plan settles
 * them (it gets a step even when it changes no version row). */
int rt_check_unfinished(struct rt_db *db, struct rt_plan *p);

/* changed_files.c: for a downgrade plan, RT_ESTATE when a revision it runs changed since it
 * was applied; with allow, a notice per such revision and its step marked changed. */
int rt_check_changed_downgrades(struct rt_db *db, struct rt_plan *p, int allow, const struct rt_run_events *ev);

/* sqlite_session.c: RT_EINPUT (naming file and line) for a statement of a SQLite revision
 * that would outlast it or does nothing where it runs (see the file). */
int rt_sqlite_session_check(const struct rt_stmt *st, int transactional);
/* Appends to out ("; "-separated, nothing when there is nothing to undo) the SQL that
 * restores the connection after a SQLite section ran: its PRAGMA flags back to SQLite's
 * defaults, its temporary tables, views and triggers dropped. */
int rt_sqlite_session_restore(const struct rt_section *sec, struct rt_buf *out);
/* plan.c: gives a stamp plan that changes no version row its step after all (no
 * version-table change; its history rows record the stamp), for a stamp that settles runs
 * that stopped part-way. */
int rt_plan_stamp_settle(struct rt_plan *p);

#endif
