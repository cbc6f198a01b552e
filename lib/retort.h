/*
 * retort.h - the public API of libretort, the library behind the `retort` command.
 *
 * This header is the specification. The command-line front end in cmd/ includes only
 * this file. Conventions, followed everywhere:
 *
 *  - Functions that can fail return 0 on success and a negative RT_E* code on failure.
 *    The failure is described once, where it is detected, in the calling thread's error
 *    slot (rt_error_last()); callers pass the code up unchanged.
 *  - rt_x_open()/rt_x_load() hand the caller an object freed with rt_x_free(). Every
 *    _free() and _release() accepts NULL. _release() frees what a caller-owned struct
 *    holds, _free() the struct as well.
 *  - Getters lend pointers that stay valid as long as the object they came from.
 *  - The library never prints, never calls exit() and never reads argv; it reports
 *    through return values, the error slot, and callbacks the caller supplies.
 */
#ifndef RETORT_H
#define RETORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define RT_VERSION "0.1.0"

/* ------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------ */

enum rt_errcode {
	RT_OK = 0,
	RT_ERROR = -1,         /* anything not listed below */
	RT_ENOMEM = -2,        /* out of memory */
	RT_EUSAGE = -3,        /* bad usage: options, arguments */
	RT_EINPUT = -4,        /* bad input: config, revision scripts, graph */
	RT_ENOTFOUND = -5,     /* a revision, label, file or template that does not exist */
	RT_EAMBIGUOUS = -6,    /* a prefix or relative target that matches several revisions */
	RT_EMULTIHEADS = -7,   /* "head" asked for while there are several */
	RT_ECYCLE = -8,        /* the revision graph has a cycle */
	RT_EIRREVERSIBLE = -9, /* a downgrade would pass through a revision without a downgrade */
	RT_EDB = -10,          /* the database reported an error, or a connection failed */
	RT_ELOCKED = -11,      /* another run holds the migration lock and we gave up waiting */
	RT_EINTERRUPTED = -12, /* SIGINT or SIGTERM arrived; rt_error_last()->signal says which */
	RT_EIO = -13,          /* reading or writing a file failed */
	RT_EEXISTS = -14,      /* refusing to overwrite a file or fill a non-empty directory */
	RT_ESTATE = -15,       /* the database's version table does not match the scripts */
};

/* The last error of the calling thread. All strings may be NULL except message. */
struct rt_error {
	int code;         /* an enum rt_errcode */
	char *message;    /* primary message: lowercase, no final period, no password in it */
	char *detail;     /* a full sentence, or NULL */
	char *hint;       /* a full sentence, or NULL */
	char *file;       /* the file the problem is in, or NULL */
	int line;         /* 1-based line in file, 0 when unknown */
	char sqlstate[8]; /* PostgreSQL SQLSTATE, or "" ; SQLite errors leave it empty */
	int db_code;      /* SQLite extended result code, 0 otherwise */
	int signal;       /* for RT_EINTERRUPTED: SIGINT or SIGTERM */
	char *context;    /* extra lines to show verbatim (a statement with a caret), or NULL */
};

/* The calling thread's last error. Never NULL: without an error, code is 0 and message "". */
const struct rt_error *rt_error_last(void);
void rt_error_clear(void);

/* ------------------------------------------------------------------------------------
 * Growable buffer. Invariants: ptr is never NULL and always NUL-terminated; len counts
 * the bytes before the NUL. A buffer remembers failure: once it could not grow, every
 * later append is a no-op that returns RT_ENOMEM, and the text is what it held before, so
 * a builder appends without checking and asks rt_buf_status() once at the end (as curl's
 * dynbuf and git's strbuf spare their callers). Clearing or releasing it starts afresh.
 * ------------------------------------------------------------------------------------ */

struct rt_buf {
	char *ptr;
	size_t len;
	size_t cap;  /* 0 while ptr points at a static "" */
	int failed;  /* an append failed (out of memory) */
};
#define RT_BUF_INIT { rt_buf__empty, 0, 0, 0 }
extern char rt_buf__empty[];

/* An empty buffer (as RT_BUF_INIT), holding no memory. */
void rt_buf_init(struct rt_buf *b);
/* Makes room for extra more bytes (and the NUL); RT_ENOMEM, the buffer failed, otherwise. */
int rt_buf_grow(struct rt_buf *b, size_t extra);
/* Appends len bytes of data (may hold NULs), a string, one byte, or printf-formatted text.
 * Each returns 0, or RT_ENOMEM (then, and after any earlier failure, nothing is appended). */
int rt_buf_add(struct rt_buf *b, const void *data, size_t len);
int rt_buf_puts(struct rt_buf *b, const char *s);
int rt_buf_putc(struct rt_buf *b, char c);
int rt_buf_addf(struct rt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rt_buf_vaddf(struct rt_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends items[0..n) with sep between them. */
int rt_buf_join(struct rt_buf *b, const char *const *items, size_t n, const char *sep);
/* 0, or RT_ENOMEM when an append failed since the buffer was last cleared. */
int rt_buf_status(const struct rt_buf *b);
/* Cuts the text to its first len bytes (nothing when it is shorter). */
void rt_buf_truncate(struct rt_buf *b, size_t len);
/* Empties the text, keeping the memory, and forgets a failure. */
void rt_buf_clear(struct rt_buf *b);
/* Hands the bytes to the caller (free() them); the buffer is empty afterwards. NULL when out
 * of memory, or when the buffer had failed (then nothing is handed over). */
char *rt_buf_detach(struct rt_buf *b);
/* Frees the memory; the buffer is empty (RT_BUF_INIT) afterwards. */
void rt_buf_release(struct rt_buf *b);

/* ------------------------------------------------------------------------------------
 * String list: an owned, ordered list of owned strings.
 * ------------------------------------------------------------------------------------ */

struct rt_strlist {
	char **items;
	size_t n;
	size_t cap;
};
#define RT_STRLIST_INIT { NULL, 0, 0 }

/* Appends a copy of s, or s itself (taken; freed on failure). 0 or RT_ENOMEM. */
int rt_strlist_push(struct rt_strlist *l, const char *s);
int rt_strlist_push_owned(struct rt_strlist *l, char *s);
/* 1 when l holds a string equal to s. */
int rt_strlist_contains(const struct rt_strlist *l, const char *s);
/* Sorts by strcmp. */
void rt_strlist_sort(struct rt_strlist *l);
/* Frees every string and the array; l is empty afterwards. */
void rt_strlist_release(struct rt_strlist *l);

/* ------------------------------------------------------------------------------------
 * Secrets. No error, diagnostic or callback of the library holds a password: URLs are
 * shown masked (rt_url_masked), PGPASSWORD and .pgpass values are never formatted, and
 * text from outside that may quote one (a server's message, a statement after variable
 * substitution) is masked inside before retort's own text is put around it. Nothing
 * retort formats itself is rewritten. A front end that prints such outside text itself
 * (a statement) passes it through rt_mask().
 * ------------------------------------------------------------------------------------ */

void rt_secret_add(const char *secret); /* ignored when NULL or empty */
/* A copy of text (text from outside retort) with every occurrence of a registered secret
 * replaced by "****"; a secret of fewer than 8 letters, digits and '_' only counts where
 * it is a whole word. NULL when out of memory. */
char *rt_mask(const char *text);
void rt_secrets_clear(void);

/* ------------------------------------------------------------------------------------
 * Diagnostics: several problems found at once (graph validation, `check`).
 * ------------------------------------------------------------------------------------ */

enum rt_severity { RT_SEV_ERROR = 0, RT_SEV_WARNING = 1 };

struct rt_diag {
	enum rt_severity severity;
	char *kind;    /* stable identifier, e.g. "duplicate-id", "checksum-mismatch" */
	char *file;    /* may be NULL */
	int line;      /* 0 when unknown */
	char *message; /* lowercase, no final period */
	char *hint;    /* may be NULL */
	char *context; /* lines to show verbatim (a statement with a caret), or NULL */
};

struct rt_diags {
	struct rt_diag *items;
	size_t n;
	size_t cap;
};
#define RT_DIAGS_INIT { NULL, 0, 0 }

/* Adds a problem: its kind, file (may be NULL), line (0: unknown), hint (may be NULL) and a
 * printf-formatted message; the strings are copied. 0 or RT_ENOMEM. */
int rt_diags_add(struct rt_diags *d, enum rt_severity sev, const char *kind, const char *file,
                 int line, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* How many problems of severity sev d holds. */
size_t rt_diags_count(const struct rt_diags *d, enum rt_severity sev);
/* Frees every problem; d is empty afterwards. */
void rt_diags_release(struct rt_diags *d);

/* ------------------------------------------------------------------------------------
 * Configuration (retort.yaml)
 * ------------------------------------------------------------------------------------ */

enum rt_txn_mode { RT_TXN_PER_REVISION = 0, RT_TXN_ALL = 1 };

struct rt_var {
	char *name;
	char *value;
};

struct rt_config {
	char *path;                        /* absolute path of the config file */
	char *dir;                         /* its directory */
	char *script_location;             /* absolute; holds versions/ */
	struct rt_strlist version_locations; /* absolute; <script_location>/versions first */
	char *file_template;               /* default "%(rev)s_%(slug)s" */
	char *url;                         /* effective database URL; may hold a password (registered as a secret) */
	char *url_source;                  /* "--url", "RETORT_DATABASE_URL", "DATABASE_URL", "config", "environment NAME" */
	char *url_dir;                     /* relative SQLite paths in url resolve against this: the
	                                    * config's directory for URLs from the file, the current
	                                    * directory for --url and environment variables */
	char *version_table;               /* default "retort_version" */
	char *history_table;               /* default "<version_table>_history" */
	char *version_table_schema;        /* NULL: the backend's default */
	enum rt_txn_mode transaction;
	struct rt_var *vars;               /* config variables, then -x overrides */
	size_t nvars;
	long lock_wait_ms;                 /* how long to wait for the migration lock; default 60000 */
	char *environment;                 /* the selected environment, or NULL */
	struct rt_strlist environments;    /* names of all environments in the file */
	struct {
		long busy_timeout_ms;          /* default 5000 */
	} sqlite;
	struct {
		long lock_timeout_ms;          /* default 5000 */
		long statement_timeout_ms;     /* default 0: off */
		int lock_retries;              /* default 5 */
		long concurrent_timeout_ms;    /* lock_timeout of CONCURRENTLY statements; default 0: none */
	} postgresql;
};

struct rt_config_options {
	const char *path;        /* -c FILE; NULL: retort.yaml in the current directory */
	const char *environment; /* -e NAME; NULL: none */
	const char *url;         /* --url; NULL: none */
	const char *const *vars; /* -x NAME=VALUE entries */
	size_t nvars;
};

/* Loads and validates the config. RT_ENOTFOUND when there is no config file, RT_EINPUT
 * (with file and line) for anything malformed or unknown. */
int rt_config_load(struct rt_config **out, const struct rt_config_options *opts);
void rt_config_free(struct rt_config *cfg);
/* The value of variable name, or NULL. */
const char *rt_config_var(const struct rt_config *cfg, const char *name);

/* ------------------------------------------------------------------------------------
 * Database URLs
 * ------------------------------------------------------------------------------------ */

enum rt_dialect { RT_DIALECT_SQLITE = 0, RT_DIALECT_POSTGRESQL = 1 };

/* Which dialect a URL speaks; RT_EINPUT for an unknown scheme. */
int rt_url_dialect(const char *url, enum rt_dialect *out);
/* A copy of url with its password replaced by "****"; NULL when out of memory. */
char *rt_url_masked(const char *url);
/* Registers the password inside url (userinfo or password=...) as a secret. */
void rt_url_register_secret(const char *url);

/* ------------------------------------------------------------------------------------
 * Revision scripts
 * ------------------------------------------------------------------------------------ */

/* Flags of a statement, set by the splitter and classifier. */
enum rt_stmt_flags {
	RT_STMT_NO_TXN = 1 << 0,     /* cannot run inside a transaction block (PostgreSQL) */
	RT_STMT_IDEMPOTENT = 1 << 1, /* safe to run again after a partial failure */
	RT_STMT_TXN_CONTROL = 1 << 2, /* BEGIN, COMMIT, ROLLBACK, SAVEPOINT, END...: retort manages transactions */
	RT_STMT_COPY_IN = 1 << 3,     /* COPY ... FROM STDIN (PostgreSQL): its data is copy_data */
	RT_STMT_COPY_OUT = 1 << 4,    /* COPY ... TO STDOUT (PostgreSQL): refused */
	RT_STMT_CONCURRENT = 1 << 5,  /* ... CONCURRENTLY (PostgreSQL): waits for older transactions */
	RT_STMT_BAD = 1 << 6,         /* rt_script_parse_diags() reported a problem of it */
};

/* A ${name} reference in a statement's source text: name ${name}, ${name:literal} or
 * ${name:ident}. Offsets are bytes into the statement's src. */
enum rt_var_form { RT_VAR_RAW, RT_VAR_LITERAL, RT_VAR_IDENT };
struct rt_var_use {
	size_t start, end;  /* "${" .. one past "}" */
	size_t name, name_len;
	enum rt_var_form form;
};

/* One SQL statement of a section. As read from the file, sql is its source text; once the
 * section is bound for a run (rt_section_bind()), sql is that text with its ${name}
 * references replaced by the run's values (src keeps the source). */
struct rt_stmt {
	char *sql;        /* the statement without its terminating ';' (owned) */
	size_t len;
	char *src;        /* its source text in the file, when binding changed sql (owned), or NULL */
	size_t offset;    /* byte offset of its first token in the file */
	struct rt_var_use *vars; /* the references in its source text (owned) */
	size_t nvars;
	const char *path; /* the revision file (borrowed from the script) */
	int line;         /* 1-based line of its first token in the file */
	int column;       /* 1-based column (in characters) of its first token */
	unsigned flags;
	char *copy_data;  /* COPY ... FROM STDIN: the data lines, without the "\." line (owned), or NULL */
	size_t copy_len;
	int copy_line;    /* line of the first data line */
};

/* A block of a section: statements that run the same way. Plain statements are the only
 * kind yet; steps, batches and loops over partitions come as kinds of their own, each with
 * its directive's line and arguments. */
enum rt_block_kind { RT_BLOCK_STATEMENTS = 0 };
struct rt_block {
	enum rt_block_kind kind;
	int line;             /* of its directive, or of its first statement (0: none) */
	size_t first, n;      /* its statements: the section's stmts[first .. first + n) */
	int transactional;    /* runs inside a transaction (set with the section's mode) */
	struct rt_strlist args; /* its directive's arguments */
};

/* Where a run of a section stands: the next statement to run is statement `statement` of
 * block `block`, in iteration `iteration` of it (0 for blocks that do not repeat). Recorded
 * in the history as "block:iteration:statement". */
struct rt_position {
	size_t block;
	long iteration;
	size_t statement;
};

struct rt_section {
	int present;      /* the marker line exists */
	int line;         /* line of the marker, 0 if absent */
	struct rt_stmt *stmts; /* every statement of the section, in order */
	size_t n;
	struct rt_block *blocks; /* the section as blocks, in order, covering stmts */
	size_t nblocks;
	const struct rt_config *bound; /* the config it was bound with (rt_section_bind()), or NULL */
};

struct rt_script {
	char *path;
	char checksum[65];        /* sha256 of the file's bytes with CRLF read as LF, lowercase hex */
	char checksum_raw[65];    /* sha256 of the bytes as they are (recorded by retort 0.1) */
	struct rt_section upgrade;
	struct rt_section downgrade;
};

struct rt_revision {
	char *id;
	char *path;               /* absolute path of the file */
	int line;                 /* line of the "revision:" key */
	struct rt_strlist down;   /* down_revision entries as written */
	struct rt_strlist branch_labels;
	struct rt_strlist depends_on; /* ids, id prefixes or branch labels as written */
	char *message;            /* may be "" */
	char *create_date;        /* may be NULL */
	int transactional;        /* header "transactional:", default 1 */
	int down_line, depends_line, labels_line; /* lines of those keys, 0 if absent */

	/* Set by the graph (read-only for callers). */
	size_t index;             /* position in rt_graph.revs */
	struct rt_revision **parents;    /* resolved down revisions */
	size_t nparents;
	struct rt_revision **deps;       /* resolved depends_on */
	size_t ndeps;
	struct rt_revision **children;   /* revisions whose down_revision is this one */
	size_t nchildren;
	struct rt_revision **dependents; /* revisions that depend_on this one */
	size_t ndependents;
	struct rt_strlist member_of;     /* branch labels this revision belongs to (propagated) */

	struct rt_script *script; /* NULL until rt_graph_load_script() */
};

/* Parses only the YAML header of a revision file. RT_EINPUT names file and line. */
int rt_revision_read_header(struct rt_revision **out, const char *path);
/* Parses a header from memory (path is used for messages only). */
int rt_revision_parse_header(struct rt_revision **out, const char *path, const char *text, size_t len);
void rt_revision_free(struct rt_revision *rev);
/* The naming rule, the same for revision files and for the ids and labels `revision` and
 * `merge` write. A revision id is 1 to 32 characters of [A-Za-z0-9_]; a branch label 1 to
 * 64 of [A-Za-z0-9_.-], not starting with '.' or '-' and not ending in '-' and digits
 * (LABEL-N). Neither may be a reserved word of targets (head, heads, base, current). */
enum rt_name_kind { RT_NAME_REVISION_ID, RT_NAME_BRANCH_LABEL };
/* 0 when name is valid as kind; else RT_EINPUT with the reason and a hint in the error
 * slot, the message starting with "path:line: " when path is not NULL. */
int rt_name_check(const char *name, enum rt_name_kind kind, const char *path, int line);
/* 1 when id is a valid revision id (rt_name_check() without the message). */
int rt_revision_id_valid(const char *id);

/* Reads a whole revision file: its checksums, sections, statements split for dialect with
 * their ${name} references found, nothing bound to a config yet (so reading never fails on
 * an undefined variable). A problem of one statement goes into problems when it is not
 * NULL (the statement is marked RT_STMT_BAD) and reading goes on; else it fails. */
int rt_script_read(struct rt_script **out, const char *path, const char *text, size_t len,
                   enum rt_dialect dialect, struct rt_diags *problems);
/* Binds a section for a run: each statement's references replaced by cfg's values (cfg may
 * be NULL: then any ${name} is an error), and refused if it holds what a revision may not
 * (transaction control, a client command, COPY TO STDOUT ...). path names the file in
 * messages; problems as for rt_script_read(). */
int rt_section_bind(struct rt_section *sec, const char *path, enum rt_dialect dialect,
                    const struct rt_config *cfg, struct rt_diags *problems);
/* The position of the section's statement at index flat (sec->n: after the last one). */
void rt_section_position(const struct rt_section *sec, size_t flat, struct rt_position *out);
/* The index of the statement at pos; RT_ESTATE when pos is no position of the section. */
int rt_section_flat(const struct rt_section *sec, const struct rt_position *pos, size_t *out);
/* "block:iteration:statement" into out (at least 64 bytes); its reading (RT_EINPUT unless
 * text is such). */
void rt_position_format(const struct rt_position *pos, char *out, size_t size);
int rt_position_parse(const char *text, struct rt_position *out);

/* rt_script_read() and rt_section_bind() of both sections, failing at the first problem. */
int rt_script_parse(struct rt_script **out, const char *path, const char *text, size_t len,
                    enum rt_dialect dialect, const struct rt_config *cfg);
/* The same, but a problem of one statement (an undefined variable, a psql meta-command,
 * ...) goes into problems (kind "bad-statement") and parsing goes on, so that every
 * problem of the file is found; problems of the file itself still fail. */
int rt_script_parse_diags(struct rt_script **out, const char *path, const char *text, size_t len,
                          enum rt_dialect dialect, const struct rt_config *cfg, struct rt_diags *problems);
void rt_script_free(struct rt_script *s);
/* 1 when a checksum recorded in the history (stored, may be NULL) is the script's: its
 * line-ending-normalised checksum, or the raw one an older retort recorded. */
int rt_script_checksum_is(const struct rt_script *s, const char *stored);

/* Splits SQL text into statements. base_line is the line of text[0] in its file. The
 * statements' sql are copies without the terminating ';'; comments-only pieces are
 * dropped. RT_EINPUT for an unterminated string, quoted identifier, comment or
 * dollar quote, naming path and the line it starts on. */
int rt_sql_split(enum rt_dialect dialect, const char *path, const char *text, size_t len,
                 int base_line, struct rt_stmt **out, size_t *nout);
void rt_stmts_free(struct rt_stmt *stmts, size_t n);

/* Replaces ${name} references in text (outside comments) by their values. An undefined
 * name is RT_EINPUT naming path and line (line of text[0] is base_line). *out is a new
 * string. */
int rt_vars_substitute(const char *text, size_t len, const struct rt_config *cfg,
                       const char *path, int base_line, char **out);

/* sha256 of len bytes as 64 lowercase hex digits plus NUL. */
int rt_sha256_hex(const void *data, size_t len, char out[65]);

/* As root, the library refuses a config file, a version directory or a revision file
 * that another user can change (owned by another user, or group- or world-writable):
 * whoever can edit them decides what SQL runs. allow=1 turns that refusal off for the
 * process, as RETORT_ALLOW_FOREIGN_FILES=1 in the environment does (a checkout
 * bind-mounted into a container, owned by the host's user). */
void rt_allow_foreign_files(int allow);

/* Frees what the library keeps for the whole process (the digest context, the registered
 * secrets, the error slot). Call once, at exit. */
void rt_library_cleanup(void);

/* ------------------------------------------------------------------------------------
 * The revision graph
 * ------------------------------------------------------------------------------------ */

struct rt_graph {
	struct rt_revision **revs;   /* sorted by id */
	size_t n;
	struct rt_revision **heads;  /* revisions without children, sorted by id */
	size_t nheads;
	struct rt_revision **bases;  /* revisions without down revisions, sorted by id */
	size_t nbases;
	struct rt_diags problems;    /* everything wrong with the scripts; errors make it unusable */
	enum rt_dialect dialect;
	const struct rt_config *cfg; /* borrowed */
	void *priv;
};

/* Reads every revision header in cfg's version locations and builds the graph. Returns
 * 0 even when the graph has problems: they are in g->problems (all of them). Fails only
 * for errors that stop the reading (a version directory that cannot be opened, memory). */
int rt_graph_load(struct rt_graph **out, const struct rt_config *cfg, enum rt_dialect dialect);
void rt_graph_free(struct rt_graph *g);
/* RT_EINPUT, with the first problem in the error slot, when g has error-level problems. */
int rt_graph_require_valid(const struct rt_graph *g);
/* Exact id lookup; NULL when absent. */
struct rt_revision *rt_graph_get(const struct rt_graph *g, const char *id);
/* The revision carrying branch label, or NULL. */
struct rt_revision *rt_graph_get_label(const struct rt_graph *g, const char *label);
/* Looks up a full id, a branch label or a unique id prefix (the plain part of
 * rt_graph_resolve(), which callers resolving a user's reference use). RT_ENOTFOUND /
 * RT_EAMBIGUOUS (the message lists the candidates). */
int rt_graph_lookup(const struct rt_graph *g, const char *ref, struct rt_revision **out);
/* Loads and reads the revision's body (once; cached in rev->script), nothing bound. */
int rt_graph_load_script(const struct rt_graph *g, struct rt_revision *rev);

/* A set of revisions, in a meaningful order where one is stated. */
struct rt_revlist {
	struct rt_revision **items;
	size_t n;
	size_t cap;
};
#define RT_REVLIST_INIT { NULL, 0, 0 }
/* Appends r (borrowed: the list never frees revisions). 0 or RT_ENOMEM. */
int rt_revlist_push(struct rt_revlist *l, struct rt_revision *r);
/* Appends the ids of revs[0..n) with sep between them. */
int rt_buf_join_ids(struct rt_buf *b, struct rt_revision *const *revs, size_t n, const char *sep);
/* Appends "a1, b2", or none (e.g. "base") for an empty list. */
int rt_revlist_text(struct rt_buf *b, const struct rt_revlist *l, const char *none);
/* 1 when l holds r; frees the array (l is empty afterwards). */
int rt_revlist_contains(const struct rt_revlist *l, const struct rt_revision *r);
void rt_revlist_release(struct rt_revlist *l);

/* The state of a database: the version rows, and every revision they imply. */
struct rt_state {
	struct rt_revlist heads;  /* the version table rows, sorted by id */
	unsigned char *applied;   /* applied[rev->index] != 0 for every applied revision */
	size_t napplied;
};

/* Builds the state from version rows. RT_ESTATE when a row names an unknown revision,
 * or when one row is an ancestor of another (the table lies). */
int rt_state_from_heads(struct rt_state *out, const struct rt_graph *g,
                        const char *const *heads, size_t nheads);
void rt_state_release(struct rt_state *st);
/* 1 when r is current: applied, with no applied child through down_revision (Alembic's
 * "effective heads"). Every version row is current, and so is an applied revision that
 * only a dependent's row implies (it stays the head of its own stream). */
int rt_state_is_current(const struct rt_state *st, const struct rt_revision *r);

/* What a reference is resolved for by rt_graph_resolve(). */
enum rt_ref_purpose {
	RT_REF_ANY,     /* the revisions it names: show, history -r REF */
	RT_REF_ONE,     /* exactly one revision: edit, resolve, revision --depends-on */
	RT_REF_PARENTS, /* the parents of a new revision (revision --head, merge): base, and
	                 * head or heads before the first revision, name none (a new root) */
};
/* The one resolver of a user's reference to revisions, for every caller but the planner
 * (which needs the state a target means, not revisions): appends to out, without
 * duplicates, the revisions ref names, read with the grammar and the messages of targets
 * (rt_plan_build): head (the single head), heads, an id, a unique id prefix, a branch
 * label, LABEL@head, REV+N, REV-N, LABEL@head-N, and counted from the database state cur:
 * +N (the N revisions an upgrade by N applies), +0 (the version rows) and LABEL@+N. cur
 * may be NULL; those forms are then RT_EUSAGE. Errors, the same for every caller: a range
 * A:B is RT_EUSAGE; a state below revisions (LABEL@base, -N, LABEL@-N, REV-N below a
 * base) is RT_EUSAGE ("is a downgrade target"); no revision (base) is RT_ENOTFOUND unless
 * purpose is RT_REF_PARENTS; several revisions for RT_REF_ONE are RT_EAMBIGUOUS; and the
 * errors of rt_graph_lookup() and of the relative forms. */
int rt_graph_resolve(const struct rt_graph *g, const struct rt_state *cur, const char *ref,
                     enum rt_ref_purpose purpose, struct rt_revlist *out);

/* Revisions from the range spec ("A:B", "A:", ":B", "current" on either side, or alone
 * for the version rows, or one reference as rt_graph_resolve() reads it with
 * RT_REF_ANY), newest first (reverse of the upgrade order). cur may be NULL unless the
 * spec uses "current" or counts from the database. */
int rt_graph_range(const struct rt_graph *g, const char *spec, const struct rt_state *cur,
                   struct rt_revlist *out);
/* 1 when a side of range is "current" or counts from the database (+N, -N, LABEL@+N,
 * LABEL@-N; REV+N and REV-N count from a revision): rt_graph_range() then needs cur. */
int rt_graph_range_needs_state(const char *range);
/* Every revision, newest first. */
int rt_graph_all_newest_first(const struct rt_graph *g, struct rt_revlist *out);

/* ------------------------------------------------------------------------------------
 * Plans: what an upgrade, downgrade or stamp will do
 * ------------------------------------------------------------------------------------ */

enum rt_direction { RT_UPGRADE = 0, RT_DOWNGRADE = 1, RT_STAMP = 2 };

/* Loads the body and binds the section a step in direction dir runs (upgrade, downgrade)
 * for the graph's config, once. */
int rt_graph_bind_section(const struct rt_graph *g, struct rt_revision *rev, enum rt_direction dir);

/* One change to the version table. */
enum rt_verop_kind { RT_VER_INSERT, RT_VER_UPDATE, RT_VER_DELETE };
struct rt_verop {
	enum rt_verop_kind kind;
	const char *from; /* UPDATE and DELETE: the row changed */
	const char *to;   /* INSERT and UPDATE: the new row */
};

struct rt_step {
	struct rt_revision *rev;   /* NULL for a stamp step */
	enum rt_direction direction;
	struct rt_verop *ops;
	size_t nops;
	int transactional;         /* 0: runs outside a transaction block */
	int changed;               /* a downgrade through a revision changed since it was applied */
};

struct rt_plan {
	enum rt_direction direction;
	struct rt_step *steps;
	size_t n;
	struct rt_revlist heads_before;  /* version rows before */
	struct rt_revlist heads_after;   /* version rows after */
	int purge;                       /* stamp --purge: delete every row first */
};

/* Resolves target against the graph and the database state, and lists the steps in
 * order. Targets: head, heads, base, an id or unique prefix, a branch label, LABEL@head,
 * LABEL@base, +N, -N, REV+N, REV-N, LABEL@+N, LABEL@-N. Errors: RT_ENOTFOUND,
 * RT_EAMBIGUOUS, RT_EMULTIHEADS, RT_EUSAGE (a target that makes no sense in this
 * direction), RT_EIRREVERSIBLE (downgrade through a revision without a downgrade
 * section; scripts are loaded to find out). */
int rt_plan_build(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                  enum rt_direction dir, const char *target);
/* A stamp: rewrite the version rows to target without running scripts. With purge, the
 * current rows are ignored and deleted. */
int rt_plan_stamp(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                  const char *target, int purge);
/* The plan of one step: applying rev (RT_UPGRADE; its parents and dependencies must be
 * applied) or removing it (RT_DOWNGRADE; it must be a head of the state). RT_ESTATE
 * otherwise. */
int rt_plan_one(struct rt_plan **out, const struct rt_graph *g, const struct rt_state *cur,
                struct rt_revision *rev, enum rt_direction dir);
void rt_plan_free(struct rt_plan *p);

/* ------------------------------------------------------------------------------------
 * Running: online against a database, or offline as SQL text
 * ------------------------------------------------------------------------------------ */

/* What a history row says of its run. */
enum rt_run_status {
	RT_RUN_RUNNING,  /* started and not finished: still running, or killed */
	RT_RUN_APPLIED,
	RT_RUN_FAILED,
	RT_RUN_RESOLVED, /* stopped part-way and settled (resolve --undone, a stamp) */
	RT_RUN_UNKNOWN,  /* a status this retort does not know (a newer one wrote it) */
};

/* A history row (see rt_db_history). Times are ISO 8601 UTC text. */
struct rt_history_row {
	long long id;
	char *revision;
	char *direction;     /* "upgrade", "downgrade", "stamp" */
	char *status;        /* "running", "applied", "failed", "resolved" */
	enum rt_run_status run;  /* status, read */
	int dir;             /* direction, read: an enum rt_direction, -1 for one not known */
	char *checksum;      /* may be NULL */
	char *started_at;
	char *finished_at;   /* may be NULL */
	double duration_ms;  /* -1 when unknown */
	char *retort_version;
	int statement_index; /* -1 when not applicable */
	char *error;         /* may be NULL */
};
void rt_history_rows_free(struct rt_history_row *rows, size_t n);
/* The status and the direction a history row's text names (RT_RUN_UNKNOWN, -1 for others). */
enum rt_run_status rt_run_status_of(const char *text);
int rt_direction_of(const char *text);

/* An open database connection behind one of the backends. */
struct rt_db;

enum rt_db_open_flags {
	RT_DB_READONLY = 1 << 0, /* never create anything (a missing SQLite file reads as empty) */
};

/* Connects to cfg->url through the backend its scheme names (flags: enum
 * rt_db_open_flags). RT_EUSAGE without a URL, RT_EINPUT for an unknown scheme, RT_EDB when
 * the connection fails (the message names the masked URL). Close with rt_db_close(). */
int rt_db_open(struct rt_db **out, const struct rt_config *cfg, unsigned flags);
/* Closes the connection (a held migration lock goes with it); NULL is fine. */
void rt_db_close(struct rt_db *db);
/* Where the connection's notices (server NOTICEs, lock waits) go from now on; fn NULL: nowhere. */
void rt_db_set_notice(struct rt_db *db, void (*fn)(void *ctx, const char *message), void *ctx);
/* 0 for a read-only open (RT_DB_READONLY) of a SQLite file that does not exist: it reads
 * as empty and was not created. 1 otherwise. */
int rt_db_exists(const struct rt_db *db);
/* "sqlite database '/path/app.db'" or "postgresql database '<URL, password masked>'",
 * owned by db. */
const char *rt_db_describe(struct rt_db *db);
/* The version rows, sorted. A missing version table reads as no rows. */
int rt_db_heads(struct rt_db *db, struct rt_strlist *out);
/* History rows, oldest first; revision NULL for all. A missing table reads as none. */
int rt_db_history(struct rt_db *db, const char *revision, struct rt_history_row **out, size_t *nout);
/* Statement-by-statement runs that stopped part-way (their revision's latest history row
 * is 'failed' or 'running' with a statement index) and that no stamp has settled since:
 * the database holds part of those revisions. Oldest first. */
int rt_db_unfinished(struct rt_db *db, struct rt_history_row **out, size_t *nout);
/* The latest history row of each revision in revisions, and of every revision whose
 * latest run did not succeed (failed, or interrupted while running), oldest first: what
 * `current` needs, without reading a history that only grows. */
int rt_db_history_latest(struct rt_db *db, const struct rt_strlist *revisions,
                         struct rt_history_row **out, size_t *nout);

/* Events a run reports while it goes. Every callback may be NULL. */
struct rt_run_events {
	void *ctx;
	void (*step_begin)(void *ctx, const struct rt_step *step);
	/* status is 0 on success or the error code; ms is wall time */
	void (*step_end)(void *ctx, const struct rt_step *step, int status, double ms);
	void (*notice)(void *ctx, const char *message);
};

enum rt_migrate_flags {
	RT_MIGRATE_PURGE = 1 << 0,         /* stamp --purge: delete every version row first */
	RT_MIGRATE_ALLOW_CHANGED = 1 << 1, /* downgrade through revisions changed since applied */
};
/* Upgrade/downgrade/stamp a database to target: lock, read state, plan, run, unlock.
 * flags are enum rt_migrate_flags. A downgrade through a revision whose file changed since
 * it was applied is RT_ESTATE before anything runs, unless RT_MIGRATE_ALLOW_CHANGED.
 * *plan_out, when not NULL, receives the executed plan (free with rt_plan_free). */
int rt_migrate(struct rt_db *db, const struct rt_graph *g, enum rt_direction dir,
               const char *target, unsigned flags, const struct rt_run_events *ev,
               struct rt_plan **plan_out);

/* resolve: what the DBA found in the database after a statement-by-statement revision
 * stopped part-way. */
enum rt_resolve_action {
	RT_RESOLVE_DONE,   /* every statement took effect (or was finished by hand) */
	RT_RESOLVE_UNDONE, /* nothing of the revision is left */
	RT_RESOLVE_RETRY,  /* the statements before retry_from took effect; resume there */
};
struct rt_resolution {
	const char *revision;        /* borrowed from the graph */
	enum rt_direction direction; /* of the unfinished run */
	enum rt_resolve_action action;
	int retry_from;              /* RT_RESOLVE_RETRY: 1-based */
	int completed;               /* statements the unfinished run had completed */
	int interrupted;             /* it was interrupted (not failed) */
	int statements;              /* statements of the section it ran */
};
/* Records the DBA's decision about the unfinished run of ref (one revision, as
 * rt_graph_resolve() reads it with RT_REF_ONE):
 * under the migration lock, one transaction writes the version rows (RT_RESOLVE_DONE) and
 * a history row (the note, may be NULL, goes into its error column). RT_EUSAGE when ref
 * has no unfinished run or retry_from is not a statement of its section. */
int rt_resolve(struct rt_db *db, const struct rt_graph *g, const char *ref, enum rt_resolve_action action,
               int retry_from, const char *note, const struct rt_run_events *ev, struct rt_resolution *out);

/* Writes the SQL that a plan would run, as a script for the dialect's own client
 * (sqlite3 -bail, psql -v ON_ERROR_STOP=1). write() receives consecutive pieces. */
struct rt_writer {
	void *ctx;
	int (*write)(void *ctx, const char *data, size_t len); /* 0 or an RT_E* code */
};
int rt_offline_sql(const struct rt_graph *g, const struct rt_plan *plan, const struct rt_writer *w);

/* Splits "FROM:TO" for offline mode. from is NULL when absent ("TO" alone). */
int rt_offline_range(const char *spec, char **from, char **to);
/* The plan of an offline run over range "[FROM:]TO": from the state upgrading an empty
 * database to FROM leaves (FROM takes every target form, and "a,b" for several heads; no
 * FROM: base) to TO, for an upgrade, a downgrade (FROM required: RT_EUSAGE) or a stamp. */
int rt_offline_plan(struct rt_plan **out, const struct rt_graph *g, enum rt_direction dir,
                    const char *range, int purge);

/* ------------------------------------------------------------------------------------
 * Creating files: init, revision, merge
 * ------------------------------------------------------------------------------------ */

/* The directory holding templates: $RETORT_TEMPLATE_DIR, else <exe dir>/templates,
 * else <exe dir>/../share/retort/templates. */
int rt_templates_dir(char **out);
/* Names of the project templates (sorted) and the first line of each one's README. */
int rt_templates_list(struct rt_strlist *names, struct rt_strlist *descriptions);
/* Copies template name into dir (created if missing). RT_EEXISTS when dir is not empty. */
int rt_templates_init(const char *dir, const char *name);

struct rt_new_revision {
	const char *message;
	const char *const *parents;   /* refs (rt_graph_resolve, RT_REF_PARENTS: "base" for a new
	                               * root, "heads"...); NULL/0: the single head */
	size_t nparents;
	const char *branch_label;     /* may be NULL */
	const char *const *depends_on;
	size_t ndepends;
	const char *rev_id;           /* NULL: 12 random hex digits */
	int splice;                   /* allow a parent that is not a head */
	int merge;                    /* a merge: at least two parents required */
};
/* Writes a new revision file from the project's revision template. *path_out (may be
 * NULL) receives the path written. Never overwrites a file (RT_EEXISTS). */
int rt_revision_create(const struct rt_graph *g, const struct rt_new_revision *spec, char **path_out);

/* ------------------------------------------------------------------------------------
 * check
 * ------------------------------------------------------------------------------------ */

/* Adds to diags everything wrong with the scripts (graph problems, unparsable bodies,
 * undefined variables) and, when db is not NULL, with the database against the scripts
 * (unknown version rows, changed or missing files of applied revisions). */
int rt_check(const struct rt_graph *g, struct rt_db *db, struct rt_diags *diags);

/* ------------------------------------------------------------------------------------
 * Interruption. The front end's SIGINT/SIGTERM handler calls rt_interrupt(sig); it is
 * async-signal-safe: it records the signal and asks the backend in use to cancel the
 * statement in progress. Runs then roll back, unlock and fail with RT_EINTERRUPTED.
 * ------------------------------------------------------------------------------------ */

void rt_interrupt(int sig);
/* The signal recorded by rt_interrupt(), or 0. */
int rt_interrupted(void);

/* ------------------------------------------------------------------------------------
 * Test hooks
 * ------------------------------------------------------------------------------------ */

/* Makes the nth allocation from now (1-based) and every one after it fail; 0 turns it off. */
void rt_alloc_fail_after(long n);
/* While on (calls nest), allocations do not count towards rt_alloc_fail_after and never
 * fail from it: a front end's own output uses this, so that what is tested is the work,
 * and a report of a failure cannot itself be what fails. */
void rt_alloc_exempt(int on);
/* Makes one kind of database call fail from now on (lib/fault_backend.c): spec is
 * "KIND:N", "KIND:N:once" or "KIND:N:persist". KIND counts calls over every connection
 * rt_db_open() opens from now: exec (statements, COMMIT aside), query (reads) or commit
 * (COMMIT). The Nth one fails with RT_EDB "fault injected: the Nth KIND fails" without
 * reaching the database; with :once later calls succeed, with :persist (the default)
 * every later one of that kind fails too. "count" wraps and counts without failing
 * anything. NULL or "" turns it off. Returns 0, or RT_EUSAGE for a malformed spec (the
 * hook is then off). */
int rt_fault_set(const char *spec);
/* The calls of kind ("exec", "query" or "commit") that connections opened since
 * rt_fault_set() armed the hook have made; -1 for another kind. */
long rt_fault_calls(const char *kind);

#endif
