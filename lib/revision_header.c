/*
 * revision_header.c - reads the YAML header of a revision file into struct rt_revision.
 *
 * The header is the comment the file starts with (after an optional UTF-8 BOM and
 * blanks), from its slash-star to the first star-slash. Its text goes to the YAML tree
 * parser with the line of the opening, so every message names the file line. Every
 * scalar is text: a plain 000123 or 1e10 is an id, never a number. Graph loading reads
 * thousands of headers, so rt_revision_read_header() reads only the start of a file
 * unless the header is longer than that.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "sql_lex.h"
#include "yaml_tree.h"

#define HEADER_PREFIX 65536

#define KEYS_HINT                                                                              \
	"The header keys are revision, down_revision, branch_labels, depends_on, message, "      \
	"create_date and transactional."
#define ID_HINT                                                                                \
	"Revision ids are made of letters, digits and underscores, such as the 12 hex digits "    \
	"'retort revision' generates."

/* What the entries of a list-valued key are. */
enum entry_kind { ENTRY_ID, ENTRY_LABEL, ENTRY_REF };

/* Words that mean something in targets: never an id or a label. */
static const char *const reserved_words[] = { "head", "heads", "base", "current" };

enum name_flaw { NAME_OK, NAME_CHARS, NAME_RESERVED, NAME_RELATIVE };

/* A label of 1 to 64 characters of [A-Za-z0-9_.-], starting with neither '.' nor '-'
 * (which would read like a relative target); ids and id prefixes are such references too.
 * '@', ':' and '+' never occur: they are target syntax. */
static int label_chars_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return n >= 1 && n <= 64 && s[0] != '.' && s[0] != '-';
}

/* The one rule for names: what is wrong with name as a revision id or a branch label. An
 * id is 1 to 32 characters of [A-Za-z0-9_]; a label what label_chars_valid() accepts,
 * except a trailing '-' and digits, which reads as LABEL-N. Neither is a reserved word. */
static enum name_flaw name_flaw(const char *name, enum rt_name_kind kind)
{
	size_t n;

	if (!name)
		return NAME_CHARS;
	n = strlen(name);
	if (kind == RT_NAME_REVISION_ID) {
		if (n < 1 || n > 32 || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                    "0123456789_") != n)
			return NAME_CHARS;
	} else if (!label_chars_valid(name)) {
		return NAME_CHARS;
	} else {
		size_t digits = 0;
		while (digits < n && name[n - 1 - digits] >= '0' && name[n - 1 - digits] <= '9')
			digits++;
		if (digits > 0 && digits < n && name[n - 1 - digits] == '-')
			return NAME_RELATIVE;
	}
	for (size_t i = 0; i < RT_ARRAY_LEN(reserved_words); i++)
		if (strcmp(name, reserved_words[i]) == 0)
			return NAME_RESERVED;
	return NAME_OK;
}

int rt_revision_id_valid(const char *id)
{
	return name_flaw(id, RT_NAME_REVISION_ID) == NAME_OK;
}

int rt_name_check(const char *name, enum rt_name_kind kind, const char *path, int line)
{
	const char *what = kind == RT_NAME_REVISION_ID ? "revision id" : "branch label";
	struct rt_buf where = RT_BUF_INIT;
	enum name_flaw flaw = name_flaw(name, kind);

	if (flaw == NAME_OK)
		return 0;
	if (path && rt_buf_addf(&where, "%s:%d: ", path, line) < 0)
		return RT_ENOMEM;
	if (flaw == NAME_RESERVED) {
		rt_error_set(RT_EINPUT, "%s'%s' is reserved and cannot be a %s", where.ptr, name, what);
		rt_error_set_hint("Choose another name: head, heads, base and current have a meaning "
		                  "in targets.");
	} else if (flaw == NAME_RELATIVE) {
		rt_error_set(RT_EINPUT, "%sinvalid %s '%s': it would read as a relative target (LABEL-N)",
		             where.ptr, what, name);
		rt_error_set_hint("Choose a label that does not end in '-' and digits, such as 'v2.3' "
		                  "or 'release_2'.");
	} else if (kind == RT_NAME_REVISION_ID) {
		rt_error_set(RT_EINPUT, "%sinvalid revision id '%s': ids are 1 to 32 letters, digits or "
		             "underscores", where.ptr, name ? name : "");
		rt_error_set_hint(ID_HINT);
	} else {
		rt_error_set(RT_EINPUT, "%sinvalid branch label '%s': labels are 1 to 64 letters, "
		             "digits, '_', '.' or '-', not starting with '.' or '-'", where.ptr, name);
		rt_error_set_hint("Choose a label such as 'billing' or 'v2.feature-x'; '@', ':' and '+' "
		                  "have a meaning in targets.");
	}
	if (path)
		rt_error_set_location(path, line);
	rt_buf_release(&where);
	return RT_EINPUT;
}

/* Sets the location of the current error; returns RT_EINPUT. */
static int at(const char *path, int line)
{
	rt_error_set_location(path, line);
	return RT_EINPUT;
}

/* An example value of key, for hints. */
static const char *example(const char *key)
{
	if (strcmp(key, "message") == 0)
		return "add accounts table";
	if (strcmp(key, "create_date") == 0)
		return "2026-11-26T10:00:00Z";
	if (strcmp(key, "branch_labels") == 0)
		return "[billing]";
	if (strcmp(key, "revision") == 0)
		return "3f2a9c1b7d4e";
	return "[3f2a9c1b7d4e]";
}

static int wrong_type(const char *path, const char *key, const char *want,
                      const struct rt_ynode *v)
{
	rt_error_set(RT_EINPUT, "%s:%d: '%s' must be %s, not %s", path, v->line, key, want,
	             rt_ynode_kind_name(v));
	rt_error_set_hint("Write for example '%s: %s'.", key, example(key));
	return at(path, v->line);
}

static int check_entry(const char *path, const char *key, enum entry_kind kind,
                       const struct rt_ynode *v)
{
	const char *s = v->value;

	switch (kind) {
	case ENTRY_ID:
		return rt_name_check(s, RT_NAME_REVISION_ID, path, v->line);
	case ENTRY_LABEL:
		return rt_name_check(s, RT_NAME_BRANCH_LABEL, path, v->line);
	default:
		if (label_chars_valid(s))
			return 0;
		rt_error_set(RT_EINPUT, "%s:%d: invalid reference '%s' in '%s'", path, v->line, s, key);
		rt_error_set_hint("List revision ids, unique id prefixes or branch labels.");
		return at(path, v->line);
	}
}

/* down_revision, branch_labels, depends_on: null (nothing), one string, or a list. */
static int take_list(const char *path, const char *key, enum entry_kind kind,
                     const struct rt_ynode *v, struct rt_strlist *out)
{
	static const char *const want[] = { "an id or a list of ids",
		                                "a branch label or a list of branch labels",
		                                "an id, a branch label or a list of them" };
	static const char *const entry[] = { "an id", "a branch label", "an id or a branch label" };
	int rc;

	if (rt_ynode_is_null(v) || (v->kind == RT_Y_SCALAR && v->value[0] == '\0'))
		return 0;
	if (v->kind == RT_Y_SCALAR) {
		if ((rc = check_entry(path, key, kind, v)) < 0)
			return rc;
		return rt_strlist_push(out, v->value);
	}
	if (v->kind != RT_Y_SEQ)
		return wrong_type(path, key, want[kind], v);
	for (size_t i = 0; i < v->n; i++) {
		const struct rt_ynode *item = v->items[i];
		if (item->kind != RT_Y_SCALAR || rt_ynode_is_null(item)) {
			rt_error_set(RT_EINPUT, "%s:%d: each entry of '%s' must be %s, not %s", path,
			             item->line, key, entry[kind],
			             item->kind == RT_Y_SCALAR ? "null" : rt_ynode_kind_name(item));
			rt_error_set_hint("Write the list as '%s: [a, b]' or one '- entry' per line.", key);
			return at(path, item->line);
		}
		if ((rc = check_entry(path, key, kind, item)) < 0)
			return rc;
		if (rt_strlist_contains(out, item->value)) {
			rt_error_set(RT_EINPUT, "%s:%d: '%s' lists '%s' twice", path, item->line, key,
			             item->value);
			rt_error_set_hint("Remove the second '%s'.", item->value);
			return at(path, item->line);
		}
		if ((rc = rt_strlist_push(out, item->value)) < 0)
			return rc;
	}
	return 0;
}

/* message and create_date: a string, or null. */
static int take_text(const char *path, const char *key, const struct rt_ynode *v, char **out)
{
	if (rt_ynode_is_null(v))
		return 0;
	if (v->kind != RT_Y_SCALAR)
		return wrong_type(path, key, "a string", v);
	*out = rt_strdup(v->value);
	return *out ? 0 : RT_ENOMEM;
}

static int take_id(const char *path, const struct rt_ynode *k, const struct rt_ynode *v,
                   struct rt_revision *rev)
{
	int rc;

	if (v->kind != RT_Y_SCALAR)
		return wrong_type(path, "revision", "an id", v);
	if (rt_ynode_is_null(v)) {
		rt_error_set(RT_EINPUT, "%s:%d: 'revision' must be an id, not null", path, v->line);
		rt_error_set_hint(ID_HINT);
		return at(path, v->line);
	}
	if ((rc = check_entry(path, "revision", ENTRY_ID, v)) < 0)
		return rc;
	rev->id = rt_strdup(v->value);
	rev->line = k->line;
	return rev->id ? 0 : RT_ENOMEM;
}

/* A revision that names itself as its parent or dependency. */
static int check_self(const char *path, const struct rt_ynode *root, const char *id)
{
	for (size_t i = 0; i < root->n; i += 2) {
		const char *key = root->items[i]->value;
		const struct rt_ynode *v = root->items[i + 1];
		int down = strcmp(key, "down_revision") == 0;
		if (!down && strcmp(key, "depends_on") != 0)
			continue;
		for (size_t j = 0; j < (v->kind == RT_Y_SEQ ? v->n : 1); j++) {
			const struct rt_ynode *item = v->kind == RT_Y_SEQ ? v->items[j] : v;
			if (item->kind != RT_Y_SCALAR || strcmp(item->value, id) != 0)
				continue;
			rt_error_set(RT_EINPUT, "%s:%d: revision '%s' %s", path, item->line, id,
			             down ? "lists itself in 'down_revision'" : "depends on itself");
			rt_error_set_hint("A revision cannot be its own %s; remove '%s' from '%s'.",
			                  down ? "parent" : "dependency", id, key);
			return at(path, item->line);
		}
	}
	return 0;
}

/* Fills rev from the header's mapping (NULL for an empty header). */
static int fill(struct rt_revision *rev, const char *path, const struct rt_ynode *root,
                int open_line)
{
	int have_down = 0, rc = 0;

	for (size_t i = 0; root && i < root->n && rc == 0; i += 2) {
		const struct rt_ynode *k = root->items[i], *v = root->items[i + 1];
		const char *key = k->value;

		if (strcmp(key, "revision") == 0) {
			rc = take_id(path, k, v, rev);
		} else if (strcmp(key, "down_revision") == 0) {
			have_down = 1;
			rev->down_line = k->line;
			rc = take_list(path, key, ENTRY_ID, v, &rev->down);
		} else if (strcmp(key, "branch_labels") == 0) {
			rev->labels_line = k->line;
			rc = take_list(path, key, ENTRY_LABEL, v, &rev->branch_labels);
		} else if (strcmp(key, "depends_on") == 0) {
			rev->depends_line = k->line;
			rc = take_list(path, key, ENTRY_REF, v, &rev->depends_on);
		} else if (strcmp(key, "message") == 0) {
			rc = take_text(path, key, v, &rev->message);
		} else if (strcmp(key, "create_date") == 0) {
			rc = take_text(path, key, v, &rev->create_date);
		} else if (strcmp(key, "transactional") == 0) {
			if ((rc = rt_ynode_bool(v, path, key, &rev->transactional)) < 0)
				rt_error_set_hint("Write 'transactional: true' or 'transactional: false'.");
		} else {
			rt_error_set(RT_EINPUT, "%s:%d: unknown key '%s' in the header", path, k->line, key);
			rt_error_set_hint(KEYS_HINT);
			rc = at(path, k->line);
		}
	}
	if (rc < 0)
		return rc;
	if (!rev->id) {
		rt_error_set(RT_EINPUT, "%s:%d: missing 'revision' in the header", path, open_line);
		rt_error_set_hint("Add 'revision: ID' to the header. %s", ID_HINT);
		return at(path, open_line);
	}
	if (!have_down) {
		rt_error_set(RT_EINPUT,
		             "%s:%d: missing 'down_revision' (write 'down_revision: null' for a first "
		             "revision)",
		             path, open_line);
		rt_error_set_hint("Add 'down_revision:' with the id of the parent revision, a list of "
		                  "ids for a merge, or null for a first revision.");
		return at(path, open_line);
	}
	if ((rc = check_self(path, root, rev->id)) < 0)
		return rc;
	if (!rev->message && !(rev->message = rt_strdup("")))
		return RT_ENOMEM;
	return 0;
}

int rt_revision_parse_header(struct rt_revision **out, const char *path, const char *text,
                             size_t len)
{
	struct rt_revision *rev = NULL;
	struct rt_ynode *root = NULL;
	size_t open, close, yaml, where;
	const char *nul;
	int open_line, rc;

	*out = NULL;
	if ((rc = rt_lex_header_locate(path, text, len, &open, &close)) < 0)
		return rc;
	open_line = 1 + rt_lex_count_lines(text, 0, open);
	yaml = open + 2;
	nul = memchr(text + yaml, '\0', close - yaml);
	where = yaml + rt_utf8_invalid_at((const unsigned char *)text + yaml, close - yaml);
	if (nul && (size_t)(nul - text) < where)
		where = (size_t)(nul - text);
	if (where < close) {
		int line = open_line + rt_lex_count_lines(text, open, where);
		if (text[where] == '\0') {
			rt_error_set(RT_EINPUT, "%s:%d: the header contains a NUL byte", path, line);
			rt_error_set_hint("Remove the NUL byte; the file may have been saved in UTF-16 or "
			                  "as binary.");
		} else {
			rt_error_set(RT_EINPUT, "%s:%d: the header is not valid UTF-8", path, line);
			rt_error_set_hint("Save the file as UTF-8.");
		}
		return at(path, line);
	}
	if ((rc = rt_yaml_parse(path, text + yaml, close - yaml, open_line, &root)) < 0) {
		if (rc == RT_EINPUT && !rt_error_last()->hint)
			rt_error_set_hint("Write the header as YAML, one 'key: value' per line; it ends at "
			                  "the first */.");
		return rc;
	}
	if (root && root->kind != RT_Y_MAP) {
		rt_error_set(RT_EINPUT, "%s:%d: the header must be a YAML mapping of keys to values, not %s",
		             path, root->line, rt_ynode_kind_name(root));
		rt_error_set_hint("Write one 'key: value' per line. " KEYS_HINT);
		rc = at(path, root->line);
		goto out;
	}
	rev = rt_calloc(1, sizeof(*rev));
	if (!rev) {
		rc = RT_ENOMEM;
		goto out;
	}
	rev->transactional = 1;
	rev->path = rt_strdup(path);
	if (!rev->path) {
		rc = RT_ENOMEM;
		goto out;
	}
	rc = fill(rev, path, root, open_line);
out:
	rt_ynode_free(root);
	if (rc < 0) {
		rt_revision_free(rev);
		return rc;
	}
	*out = rev;
	return 0;
}

int rt_revision_read_header(struct rt_revision **out, const char *path)
{
	return rt_revision_read_header_at(out, AT_FDCWD, path, path);
}

int rt_revision_read_header_at(struct rt_revision **out, int dirfd, const char *name,
                               const char *path)
{
	char *text;
	size_t len, open, close;
	int rc;

	*out = NULL;
	if ((rc = rt_file_read_prefix_at(dirfd, name, path, HEADER_PREFIX, &text, &len)) < 0)
		return rc;
	rc = rt_lex_header_comment(text, len, &open, &close);
	if (len == HEADER_PREFIX && (rc == 2 || open + 1 >= len)) {
		/* the header may go on past the prefix: read it all */
		free(text);
		if ((rc = rt_file_read(path, &text, &len)) < 0)
			return rc;
	}
	rc = rt_revision_parse_header(out, path, text, len);
	free(text);
	return rc;
}

void rt_revision_free(struct rt_revision *rev)
{
	if (!rev)
		return;
	free(rev->id);
	free(rev->path);
	rt_strlist_release(&rev->down);
	rt_strlist_release(&rev->branch_labels);
	rt_strlist_release(&rev->depends_on);
	free(rev->message);
	free(rev->create_date);
	free(rev->parents);
	free(rev->deps);
	free(rev->children);
	free(rev->dependents);
	rt_strlist_release(&rev->member_of);
	rt_script_free(rev->script);
	free(rev);
}
