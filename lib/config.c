/*
 * config.c - loads retort.yaml (or the file given with -c) into a struct rt_config.
 *
 * The file becomes a YAML tree (yaml_tree.c). The top level, and each entry of
 * "environments", is read into a struct layer: every key is checked for its name, its
 * type and its value, and the nodes are kept, borrowed from the tree. The selected
 * environment's layer then overrides the top level key by key (inside "sqlite" and
 * "postgresql" too; "variables" merge by name), defaults fill the rest, and the database
 * URL is chosen: --url, $RETORT_DATABASE_URL, $DATABASE_URL, the environment's, the top
 * level's. -x NAME=VALUE overrides variables last.
 *
 * A YAML null (an empty value, ~ or null) counts as not given. Every other scalar is text.
 * Errors name the file and line ("retort.yaml:4: ..."). The password of the effective URL
 * is registered as a secret before anything is validated, so no message shows it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "yaml_tree.h"

#define DEFAULT_CONFIG "retort.yaml"
#define DEFAULT_FILE_TEMPLATE "%(rev)s_%(slug)s"
#define DEFAULT_VERSION_TABLE "retort_version"
#define HISTORY_SUFFIX "_history"
#define MAX_TABLE_NAME 63

#define VAR_NAME_HINT "Variable names start with a letter or '_' and hold only letters, digits and '_'."

static const char *const top_keys[] = {
	"database", "environments", "file_template", "history_table", "lock_wait", "postgresql",
	"script_location", "sqlite", "transaction", "variables", "version_locations",
	"version_table", "version_table_schema", NULL,
};
static const char *const environment_keys[] = {
	"database", "file_template", "history_table", "lock_wait", "postgresql", "script_location",
	"sqlite", "transaction", "variables", "version_locations", "version_table",
	"version_table_schema", NULL,
};
static const char *const database_keys[] = { "url", NULL };
static const char *const sqlite_keys[] = { "busy_timeout", NULL };
static const char *const postgresql_keys[] = { "concurrent_timeout", "lock_retries", "lock_timeout",
                                               "statement_timeout", NULL };

static const char *const template_tokens[] = {
	"%(rev)s", "%(slug)s", "%(year)d", "%(month).2d", "%(day).2d", "%(hour).2d",
	"%(minute).2d", "%(second).2d", "%(epoch)d", NULL,
};

/* What one level of the file says: the top level or one environment. NULL / has_x == 0:
 * not given. Nodes are borrowed from the YAML tree and already validated. */
struct layer {
	const struct rt_ynode *script_location, *version_locations, *file_template, *url;
	const struct rt_ynode *version_table, *history_table, *version_table_schema, *variables;
	int has_transaction, has_lock_wait, has_busy_timeout, has_lock_timeout;
	int has_statement_timeout, has_lock_retries, has_concurrent_timeout;
	enum rt_txn_mode transaction;
	long lock_wait_ms, busy_timeout_ms, lock_timeout_ms, statement_timeout_ms, concurrent_timeout_ms;
	int lock_retries;
};

struct loader {
	const char *path; /* the config file as the user named it, for messages */
	struct rt_config *cfg;
	size_t vars_cap;
};

/* The code of an error some helper already set (RT_ENOMEM when it set none). */
static int failed(void)
{
	int code = rt_error_last()->code;
	return code < 0 ? code : RT_ENOMEM;
}

/* Sets an RT_EINPUT error "PATH:LINE: <message>" located at that line. */
static int input_error(const struct loader *ld, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int input_error(const struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_error_vset(RT_EINPUT, fmt, ap);
	va_end(ap);
	rt_error_prefix("%s:%d", ld->path, line);
	rt_error_set_location(ld->path, line);
	return RT_EINPUT;
}

/* Text of the file quoted in a message (a key, a name, a value) is masked: it may hold a
 * password (a misplaced URL), and a message shows no password. NULL when out of memory. */
static char *shown(const char *text)
{
	return rt_mask(text);
}

/* `in` is appended to key names in messages: "" at the top level, " in 'sqlite'", ... */
static int wrong_type(const struct loader *ld, const char *key, const char *in, const char *want,
                      const struct rt_ynode *v)
{
	char *k = shown(key);

	if (!k)
		return RT_ENOMEM;
	input_error(ld, v->line, "'%s'%s must be %s, not %s", k, in, want, rt_ynode_kind_name(v));
	free(k);
	return RT_EINPUT;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= RT_ARRAY_LEN(row) || lb >= RT_ARRAY_LEN(row))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static int key_allowed(const char *key, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(key, allowed[i]) == 0)
			return 1;
	return 0;
}

/* "unknown key 'x'", with a hint naming the nearest allowed key or listing them all. */
static int unknown_key(const struct loader *ld, const struct rt_ynode *k, const char *in,
                       const char *const *allowed)
{
	struct rt_buf hint = RT_BUF_INIT;
	const char *best = NULL;
	size_t best_dist = 3;
	char *key;
	int rc = 0;

	for (size_t i = 0; allowed[i]; i++) {
		size_t d = edit_distance(k->value, allowed[i]);
		if (d < best_dist) {
			best = allowed[i];
			best_dist = d;
		}
	}
	if (best) {
		rc = rt_buf_addf(&hint, "Did you mean '%s'?", best);
	} else if (!allowed[1]) {
		rc = rt_buf_addf(&hint, "The only allowed key is %s.", allowed[0]);
	} else {
		rc = rt_buf_puts(&hint, "The allowed keys are: ");
		for (size_t i = 0; allowed[i] && rc == 0; i++)
			rc = rt_buf_addf(&hint, "%s%s", allowed[i], allowed[i + 1] ? ", " : ".");
	}
	if (rc < 0 || !(key = shown(k->value))) {
		rt_buf_release(&hint);
		return RT_ENOMEM;
	}
	input_error(ld, k->line, "unknown key '%s'%s", key, in);
	rt_error_set_hint("%s", hint.ptr);
	rt_buf_release(&hint);
	free(key);
	return RT_EINPUT;
}

static int name_valid(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

/* ---- values ------------------------------------------------------------------------- */

static int read_string(const struct loader *ld, const char *key, const char *in,
                       const struct rt_ynode *v)
{
	if (v->kind != RT_Y_SCALAR)
		return wrong_type(ld, key, in, "a string", v);
	if (!v->value[0])
		return input_error(ld, v->line, "'%s'%s must not be empty", key, in);
	return 0;
}

static int read_table_name(const struct loader *ld, const char *key, const char *in,
                           const struct rt_ynode *v)
{
	int rc = read_string(ld, key, in, v);

	if (rc < 0)
		return rc;
	if (strlen(v->value) > MAX_TABLE_NAME) {
		input_error(ld, v->line, "'%s'%s is longer than %d bytes", key, in, MAX_TABLE_NAME);
		rt_error_set_hint("PostgreSQL cuts longer names short; choose a shorter one.");
		return RT_EINPUT;
	}
	return 0;
}

static int read_duration(const struct loader *ld, const char *key, const char *in,
                         const struct rt_ynode *v, long *out)
{
	char *msg, *value;
	long ignored;

	if (v->kind != RT_Y_SCALAR)
		return wrong_type(ld, key, in, "a duration", v);
	if (rt_parse_duration_ms(v->value, out) == 0)
		return 0;
	/* the message quotes the value, which may hold a password (a misplaced URL): parsed
	 * again masked, so that the message quotes the masked text */
	if (!(value = shown(v->value)))
		return RT_ENOMEM;
	rt_parse_duration_ms(value, &ignored);
	free(value);
	msg = rt_strdup(rt_error_last()->message);
	if (!msg)
		return RT_ENOMEM;
	input_error(ld, v->line, "%s for '%s'%s", msg, key, in);
	rt_error_set_hint("Write a duration such as '5s', '250ms' or '2min'; a bare number means seconds.");
	free(msg);
	return RT_EINPUT;
}

/* "'KEY'IN must be WANT, not 'VALUE'": the value is masked, it may hold a password (a
 * misplaced URL). */
static int value_error(const struct loader *ld, const struct rt_ynode *v, const char *key,
                       const char *in, const char *want)
{
	char *value = shown(v->value);

	if (!value)
		return RT_ENOMEM;
	input_error(ld, v->line, "'%s'%s must be %s, not '%s'", key, in, want, value);
	free(value);
	return RT_EINPUT;
}

static int read_count(const struct loader *ld, const char *key, const char *in,
                      const struct rt_ynode *v, int *out)
{
	size_t digits;
	long n;

	if (v->kind != RT_Y_SCALAR)
		return wrong_type(ld, key, in, "a whole number", v);
	digits = strspn(v->value, "0123456789");
	if (digits > 0 && v->value[digits] == '\0') {
		errno = 0;
		n = strtol(v->value, NULL, 10);
		if (errno == 0 && n <= INT_MAX) {
			*out = (int)n;
			return 0;
		}
	}
	return value_error(ld, v, key, in, "a whole number of 0 or more");
}

/* "unknown token '%(x)s' in 'file_template'" for the len bytes at tok (masked). */
static int unknown_token(const struct loader *ld, const struct rt_ynode *v, const char *tok,
                         size_t len)
{
	char *raw = rt_strndup(tok, len), *token = raw ? shown(raw) : NULL;

	free(raw);
	if (!token)
		return RT_ENOMEM;
	input_error(ld, v->line, "unknown token '%s' in 'file_template'", token);
	rt_error_set_hint("The tokens are %%(rev)s, %%(slug)s, %%(year)d, %%(month).2d, "
	                  "%%(day).2d, %%(hour).2d, %%(minute).2d, %%(second).2d and %%(epoch)d.");
	free(token);
	return RT_EINPUT;
}

/* 1 when some %(rev)s of template t stands between '_' or an end of the name on each
 * side, so that the name rule of the graph finds the id in every name t makes. */
static int rev_is_whole_part(const char *t)
{
	for (const char *p = strstr(t, "%(rev)s"); p; p = strstr(p + 1, "%(rev)s")) {
		const char *after = p + strlen("%(rev)s");
		if ((p == t || p[-1] == '_') && (*after == '\0' || *after == '_'))
			return 1;
	}
	return 0;
}

static int read_template(const struct loader *ld, const char *in, const struct rt_ynode *v)
{
	const char *t, *p;
	int rc = read_string(ld, "file_template", in, v);

	if (rc < 0)
		return rc;
	t = v->value;
	for (p = strstr(t, "%("); p; p = strstr(p, "%(")) {
		const char *end;
		size_t i;

		for (i = 0; template_tokens[i]; i++)
			if (strncmp(p, template_tokens[i], strlen(template_tokens[i])) == 0)
				break;
		if (template_tokens[i]) {
			p += strlen(template_tokens[i]);
			continue;
		}
		/* Name the token up to its conversion letter: "%(name)s", "%(month)02d". */
		end = strchr(p, ')');
		if (end) {
			end++;
			while (*end && !isalpha((unsigned char)*end) && end - p < 64)
				end++;
			if (isalpha((unsigned char)*end))
				end++;
		} else {
			end = p + strlen(p);
		}
		return unknown_token(ld, v, p, (size_t)(end - p));
	}
	if (!strstr(t, "%(rev)s")) {
		input_error(ld, v->line, "'file_template'%s must contain %%(rev)s", in);
		rt_error_set_hint("The revision id keeps file names unique, as in the default "
		                  "%%(rev)s_%%(slug)s.");
		return RT_EINPUT;
	}
	if (strchr(t, '/')) {
		input_error(ld, v->line, "'file_template'%s must not contain '/'", in);
		rt_error_set_hint("New revisions go straight into the versions directory; list other "
		                  "directories in 'version_locations'.");
		return RT_EINPUT;
	}
	if (!rev_is_whole_part(t)) {
		/* the graph would refuse every file made so: "file name does not match" */
		char *template = shown(t);
		if (!template)
			return RT_ENOMEM;
		input_error(ld, v->line, "'file_template'%s must have %%(rev)s as a whole '_'-separated "
		            "part, not '%s'", in, template);
		rt_error_set_hint("A revision file's name must hold its id between '_' or at either end "
		                  "of the name, as in the default %%(rev)s_%%(slug)s or in "
		                  "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s.");
		free(template);
		return RT_EINPUT;
	}
	return 0;
}

static int read_transaction(const struct loader *ld, const char *in, const struct rt_ynode *v,
                            enum rt_txn_mode *out)
{
	if (v->kind != RT_Y_SCALAR)
		return wrong_type(ld, "transaction", in, "a string", v);
	if (strcmp(v->value, "per-revision") == 0) {
		*out = RT_TXN_PER_REVISION;
		return 0;
	}
	if (strcmp(v->value, "all") == 0) {
		*out = RT_TXN_ALL;
		return 0;
	}
	return value_error(ld, v, "transaction", in, "'per-revision' or 'all'");
}

static int read_locations(const struct loader *ld, const char *in, const struct rt_ynode *v)
{
	if (v->kind != RT_Y_SEQ)
		return wrong_type(ld, "version_locations", in, "a list", v);
	for (size_t i = 0; i < v->n; i++) {
		const struct rt_ynode *item = v->items[i];
		if (item->kind != RT_Y_SCALAR)
			return input_error(ld, item->line,
			                   "each entry of 'version_locations'%s must be a string, not %s", in,
			                   rt_ynode_kind_name(item));
		if (!item->value[0] || rt_ynode_is_null(item))
			return input_error(ld, item->line, "an entry of 'version_locations'%s is empty", in);
	}
	return 0;
}

static int read_variables(const struct loader *ld, const char *in, const struct rt_ynode *v)
{
	if (v->kind != RT_Y_MAP)
		return wrong_type(ld, "variables", in, "a mapping", v);
	for (size_t i = 0; i + 1 < v->n; i += 2) {
		const struct rt_ynode *k = v->items[i], *val = v->items[i + 1];
		if (!name_valid(k->value, strlen(k->value))) {
			char *name = shown(k->value);
			if (!name)
				return RT_ENOMEM;
			input_error(ld, k->line, "invalid variable name '%s'", name);
			rt_error_set_hint(VAR_NAME_HINT);
			free(name);
			return RT_EINPUT;
		}
		if (val->kind != RT_Y_SCALAR)
			return wrong_type(ld, k->value, " in 'variables'", "a string", val);
	}
	return 0;
}

/* One key of "database", "sqlite" or "postgresql" (already known to be allowed there). */
static int read_nested(const struct loader *ld, const char *key, const char *in,
                       const struct rt_ynode *v, struct layer *ly)
{
	if (strcmp(key, "url") == 0) {
		ly->url = v;
		return read_string(ld, key, in, v);
	}
	if (strcmp(key, "busy_timeout") == 0) {
		ly->has_busy_timeout = 1;
		return read_duration(ld, key, in, v, &ly->busy_timeout_ms);
	}
	if (strcmp(key, "lock_timeout") == 0) {
		ly->has_lock_timeout = 1;
		return read_duration(ld, key, in, v, &ly->lock_timeout_ms);
	}
	if (strcmp(key, "statement_timeout") == 0) {
		ly->has_statement_timeout = 1;
		return read_duration(ld, key, in, v, &ly->statement_timeout_ms);
	}
	if (strcmp(key, "concurrent_timeout") == 0) {
		ly->has_concurrent_timeout = 1;
		return read_duration(ld, key, in, v, &ly->concurrent_timeout_ms);
	}
	ly->has_lock_retries = 1; /* "lock_retries" */
	return read_count(ld, key, in, v, &ly->lock_retries);
}

/* Walks a nested mapping: checks its keys, skips nulls, reads the rest. */
static int read_section(const struct loader *ld, const char *section, const char *const *allowed,
                        const struct rt_ynode *map, struct layer *ly)
{
	char in[32];

	snprintf(in, sizeof(in), " in '%s'", section);
	if (map->kind != RT_Y_MAP)
		return wrong_type(ld, section, "", "a mapping", map);
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct rt_ynode *k = map->items[i], *v = map->items[i + 1];
		int rc;
		if (!key_allowed(k->value, allowed))
			return unknown_key(ld, k, in, allowed);
		if (rt_ynode_is_null(v))
			continue;
		if ((rc = read_nested(ld, k->value, in, v, ly)) < 0)
			return rc;
	}
	return 0;
}

/* Reads the top level (envs != NULL receives the "environments" node) or one environment
 * (envs == NULL; in names it in messages). */
static int read_layer(const struct loader *ld, const struct rt_ynode *map, const char *in,
                      struct layer *ly, const struct rt_ynode **envs)
{
	const char *const *allowed = envs ? top_keys : environment_keys;

	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct rt_ynode *k = map->items[i], *v = map->items[i + 1];
		const char *key = k->value;
		int rc = 0;

		if (!key_allowed(key, allowed)) {
			if (strcmp(key, "environments") == 0) {
				input_error(ld, k->line, "unknown key 'environments'%s", in);
				rt_error_set_hint("Environments cannot be nested.");
				return RT_EINPUT;
			}
			return unknown_key(ld, k, in, allowed);
		}
		if (rt_ynode_is_null(v))
			continue;
		if (strcmp(key, "script_location") == 0) {
			ly->script_location = v;
			rc = read_string(ld, key, in, v);
		} else if (strcmp(key, "version_locations") == 0) {
			ly->version_locations = v;
			rc = read_locations(ld, in, v);
		} else if (strcmp(key, "file_template") == 0) {
			ly->file_template = v;
			rc = read_template(ld, in, v);
		} else if (strcmp(key, "version_table") == 0) {
			ly->version_table = v;
			rc = read_table_name(ld, key, in, v);
		} else if (strcmp(key, "history_table") == 0) {
			ly->history_table = v;
			rc = read_table_name(ld, key, in, v);
		} else if (strcmp(key, "version_table_schema") == 0) {
			ly->version_table_schema = v;
			rc = read_table_name(ld, key, in, v);
		} else if (strcmp(key, "transaction") == 0) {
			ly->has_transaction = 1;
			rc = read_transaction(ld, in, v, &ly->transaction);
		} else if (strcmp(key, "variables") == 0) {
			ly->variables = v;
			rc = read_variables(ld, in, v);
		} else if (strcmp(key, "lock_wait") == 0) {
			ly->has_lock_wait = 1;
			rc = read_duration(ld, key, in, v, &ly->lock_wait_ms);
		} else if (strcmp(key, "database") == 0) {
			rc = read_section(ld, key, database_keys, v, ly);
		} else if (strcmp(key, "sqlite") == 0) {
			rc = read_section(ld, key, sqlite_keys, v, ly);
		} else if (strcmp(key, "postgresql") == 0) {
			rc = read_section(ld, key, postgresql_keys, v, ly);
		} else {
			*envs = v; /* "environments": read_environments() */
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Reads every environment, lists their names, and fills *env with the selected one. */
static int read_environments(struct loader *ld, const struct rt_ynode *envs, const char *selected,
                             struct layer *env, int *found)
{
	if (envs->kind != RT_Y_MAP)
		return wrong_type(ld, "environments", "", "a mapping", envs);
	for (size_t i = 0; i + 1 < envs->n; i += 2) {
		const struct rt_ynode *k = envs->items[i], *v = envs->items[i + 1];
		struct layer ly;
		char *in;
		int rc = 0;

		memset(&ly, 0, sizeof(ly));
		if (!k->value[0])
			return input_error(ld, k->line, "an environment name must not be empty");
		if (rt_strlist_push(&ld->cfg->environments, k->value) < 0)
			return RT_ENOMEM;
		if (!rt_ynode_is_null(v)) {
			if (v->kind != RT_Y_MAP)
				return wrong_type(ld, k->value, " in 'environments'", "a mapping", v);
			char *name = shown(k->value);
			in = name ? rt_asprintf(" in environment '%s'", name) : NULL;
			free(name);
			if (!in)
				return RT_ENOMEM;
			rc = read_layer(ld, v, in, &ly, NULL);
			free(in);
			if (rc < 0)
				return rc;
		}
		if (selected && strcmp(selected, k->value) == 0) {
			*env = ly;
			*found = 1;
		}
	}
	return 0;
}

static int unknown_environment(const struct loader *ld, const char *name)
{
	const struct rt_strlist *l = &ld->cfg->environments;
	struct rt_buf hint = RT_BUF_INIT;
	char *env = shown(name);
	int rc = env ? 0 : RT_ENOMEM;

	if (rc == 0 && l->n == 0) {
		rc = rt_buf_puts(&hint, "The config defines no environments.");
	} else if (rc == 0) {
		rc = rt_buf_puts(&hint, "The config defines: ");
		for (size_t i = 0; i < l->n && rc == 0; i++) {
			char *item = shown(l->items[i]);
			rc = item ? rt_buf_addf(&hint, "%s%s", item, i + 1 < l->n ? ", " : ".") : RT_ENOMEM;
			free(item);
		}
	}
	if (rc < 0) {
		rt_buf_release(&hint);
		free(env);
		return RT_ENOMEM;
	}
	rt_error_set(RT_EINPUT, "unknown environment '%s'", env);
	rt_error_set_hint("%s", hint.ptr);
	rt_buf_release(&hint);
	free(env);
	return RT_EINPUT;
}

/* ---- the result ----------------------------------------------------------------------- */

static const struct rt_ynode *pick(const struct rt_ynode *env, const struct rt_ynode *top)
{
	return env ? env : top;
}

/* An absolute directory path without trailing slashes. */
static char *absolute_dir(const char *path, const char *base)
{
	char *abs = rt_path_absolute(path, base);
	size_t n;

	if (!abs)
		return NULL;
	n = strlen(abs);
	while (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';
	return abs;
}

static int set_var(struct loader *ld, const char *name, size_t nlen, const char *value)
{
	struct rt_config *cfg = ld->cfg;
	struct rt_var *v;

	for (size_t i = 0; i < cfg->nvars; i++) {
		v = &cfg->vars[i];
		if (strlen(v->name) == nlen && strncmp(v->name, name, nlen) == 0) {
			char *copy = rt_strdup(value);
			if (!copy)
				return RT_ENOMEM;
			free(v->value);
			v->value = copy;
			return 0;
		}
	}
	if (rt_grow_array(&cfg->vars, &ld->vars_cap, cfg->nvars + 1, sizeof(*cfg->vars)) < 0)
		return RT_ENOMEM;
	v = &cfg->vars[cfg->nvars];
	v->name = rt_strndup(name, nlen);
	v->value = v->name ? rt_strdup(value) : NULL;
	if (!v->value) {
		free(v->name);
		return RT_ENOMEM;
	}
	cfg->nvars++;
	return 0;
}

static int add_layer_vars(struct loader *ld, const struct rt_ynode *vars)
{
	for (size_t i = 0; vars && i + 1 < vars->n; i += 2) {
		const char *name = vars->items[i]->value;
		if (set_var(ld, name, strlen(name), vars->items[i + 1]->value) < 0)
			return RT_ENOMEM;
	}
	return 0;
}

static int apply_locations(struct loader *ld, const struct rt_ynode *list)
{
	struct rt_config *cfg = ld->cfg;

	if (rt_strlist_push_owned(&cfg->version_locations,
	                          rt_path_join(cfg->script_location, "versions")) < 0)
		return RT_ENOMEM;
	for (size_t i = 0; list && i < list->n; i++) {
		char *dir = absolute_dir(list->items[i]->value, cfg->dir);
		if (!dir)
			return failed();
		if (rt_strlist_contains(&cfg->version_locations, dir)) {
			free(dir);
			continue;
		}
		if (rt_strlist_push_owned(&cfg->version_locations, dir) < 0)
			return RT_ENOMEM;
	}
	return 0;
}

static int apply_tables(struct loader *ld, const struct layer *top, const struct layer *env)
{
	struct rt_config *cfg = ld->cfg;
	const struct rt_ynode *vt = pick(env->version_table, top->version_table);
	const struct rt_ynode *ht = pick(env->history_table, top->history_table);
	const struct rt_ynode *schema = pick(env->version_table_schema, top->version_table_schema);

	cfg->version_table = rt_strdup(vt ? vt->value : DEFAULT_VERSION_TABLE);
	if (!cfg->version_table)
		return RT_ENOMEM;
	if (ht) {
		cfg->history_table = rt_strdup(ht->value);
	} else {
		if (vt && strlen(vt->value) + strlen(HISTORY_SUFFIX) > MAX_TABLE_NAME) {
			input_error(ld, vt->line,
			            "'history_table' defaults to '%s" HISTORY_SUFFIX
			            "', which is longer than %d bytes",
			            vt->value, MAX_TABLE_NAME);
			rt_error_set_hint("Set 'history_table', or choose a shorter 'version_table'.");
			return RT_EINPUT;
		}
		cfg->history_table = rt_asprintf("%s" HISTORY_SUFFIX, cfg->version_table);
	}
	if (!cfg->history_table)
		return RT_ENOMEM;
	if (schema && !(cfg->version_table_schema = rt_strdup(schema->value)))
		return RT_ENOMEM;
	return 0;
}

/* The environment's value, else the top level's, else the default. */
#define PICK_VALUE(has, field, dflt) (env->has ? env->field : top->has ? top->field : (dflt))

static int apply_layers(struct loader *ld, const struct layer *top, const struct layer *env)
{
	struct rt_config *cfg = ld->cfg;
	const struct rt_ynode *n;
	int rc;

	n = pick(env->script_location, top->script_location);
	cfg->script_location = absolute_dir(n ? n->value : ".", cfg->dir);
	if (!cfg->script_location)
		return failed();
	if ((rc = apply_locations(ld, pick(env->version_locations, top->version_locations))) < 0)
		return rc;
	n = pick(env->file_template, top->file_template);
	cfg->file_template = rt_strdup(n ? n->value : DEFAULT_FILE_TEMPLATE);
	if (!cfg->file_template)
		return RT_ENOMEM;
	if ((rc = apply_tables(ld, top, env)) < 0)
		return rc;
	cfg->transaction = PICK_VALUE(has_transaction, transaction, RT_TXN_PER_REVISION);
	cfg->lock_wait_ms = PICK_VALUE(has_lock_wait, lock_wait_ms, 60000);
	cfg->sqlite.busy_timeout_ms = PICK_VALUE(has_busy_timeout, busy_timeout_ms, 5000);
	cfg->postgresql.lock_timeout_ms = PICK_VALUE(has_lock_timeout, lock_timeout_ms, 5000);
	cfg->postgresql.statement_timeout_ms = PICK_VALUE(has_statement_timeout, statement_timeout_ms, 0);
	cfg->postgresql.lock_retries = PICK_VALUE(has_lock_retries, lock_retries, 5);
	cfg->postgresql.concurrent_timeout_ms = PICK_VALUE(has_concurrent_timeout, concurrent_timeout_ms, 0);
	if (add_layer_vars(ld, top->variables) < 0 || add_layer_vars(ld, env->variables) < 0)
		return RT_ENOMEM;
	return 0;
}

/* A URL from the command line or the environment, which beats the file; NULL if none. */
static const char *outside_url(const struct rt_config_options *opts, const char **source)
{
	static const char *const vars[] = { "RETORT_DATABASE_URL", "DATABASE_URL" };

	if (opts->url) {
		*source = "--url";
		return opts->url;
	}
	for (size_t i = 0; i < RT_ARRAY_LEN(vars); i++) {
		const char *e = getenv(vars[i]);
		if (e && *e) {
			*source = vars[i];
			return e;
		}
	}
	return NULL;
}

/* A URL nobody can use fails here, saying where it came from: source (--url or an
 * environment variable), else node (database.url, of the selected environment when
 * in_env). A PostgreSQL URL also registers libpq's own sources of passwords as secrets,
 * masked whether or not a connection is made. */
static int check_url(const struct loader *ld, const char *source, const struct rt_ynode *node,
                     int in_env)
{
	const struct rt_config *cfg = ld->cfg;
	enum rt_dialect d;
	int rc = rt_url_dialect(cfg->url, &d);

	if (rc == RT_EINPUT) {
		if (source && strcmp(source, "--url") == 0)
			rt_error_set_detail("It was given with --url.");
		else if (source)
			rt_error_set_detail("It comes from $%s, which overrides the config.", source);
		else
			rt_error_set_detail("It comes from database.url%s%s at %s:%d.",
			                    in_env ? " of environment " : "", in_env ? cfg->environment : "",
			                    ld->path, node->line);
		if (node)
			rt_error_set_location(ld->path, node->line);
	}
	if (rc < 0)
		return rc;
	if (d == RT_DIALECT_POSTGRESQL)
		rt_pg_register_password_sources();
	return 0;
}

static int apply_url(struct loader *ld, const struct rt_config_options *opts,
                     const struct layer *top, const struct layer *env)
{
	struct rt_config *cfg = ld->cfg;
	const char *source = NULL, *url = outside_url(opts, &source);

	if (url) {
		cfg->url_dir = rt_path_absolute(".", NULL);
		if (!cfg->url_dir)
			return failed();
		cfg->url_source = rt_strdup(source);
	} else if (env->url || top->url) {
		url = env->url ? env->url->value : top->url->value;
		cfg->url_dir = rt_strdup(cfg->dir);
		if (env->url)
			cfg->url_source = rt_asprintf("environment %s", cfg->environment);
		else
			cfg->url_source = rt_strdup("config");
	} else {
		cfg->url_dir = rt_path_absolute(".", NULL);
		return cfg->url_dir ? 0 : failed();
	}
	if (!cfg->url_dir || !cfg->url_source || !(cfg->url = rt_strdup(url)))
		return RT_ENOMEM;
	rt_url_register_secret(cfg->url);
	return check_url(ld, source, source ? NULL : env->url ? env->url : top->url, env->url != NULL);
}

/* Registers the password of the URL that will win before anything is validated, so that
 * no error message can show it: the outside URL when there is one, else database.url of
 * the top level and of the selected environment (wherever it is well-formed enough to
 * find). Unselected environments' passwords are not registered: they would mask text
 * for nothing. */
static void register_url_early(const struct rt_config_options *opts, const struct rt_ynode *root)
{
	const char *source;
	const char *url = outside_url(opts, &source);

	if (url) {
		rt_url_register_secret(url);
		return;
	}
	for (size_t i = 0; root && root->kind == RT_Y_MAP && i + 1 < root->n; i += 2) {
		const struct rt_ynode *k = root->items[i], *v = root->items[i + 1];
		const struct rt_ynode *db = NULL;

		if (strcmp(k->value, "database") == 0) {
			db = v;
		} else if (strcmp(k->value, "environments") == 0 && opts->environment &&
		           v->kind == RT_Y_MAP) {
			for (size_t j = 0; j + 1 < v->n; j += 2) {
				const struct rt_ynode *e = v->items[j + 1];
				if (strcmp(v->items[j]->value, opts->environment) != 0 || e->kind != RT_Y_MAP)
					continue;
				for (size_t m = 0; m + 1 < e->n; m += 2)
					if (strcmp(e->items[m]->value, "database") == 0)
						db = e->items[m + 1];
			}
		}
		for (size_t j = 0; db && db->kind == RT_Y_MAP && j + 1 < db->n; j += 2)
			if (strcmp(db->items[j]->value, "url") == 0 && db->items[j + 1]->kind == RT_Y_SCALAR)
				rt_url_register_secret(db->items[j + 1]->value);
	}
}

/* -x NAME=VALUE entries are checked before the file is read: usage errors come first. */
static int check_cli_vars(const struct rt_config_options *opts)
{
	for (size_t i = 0; i < opts->nvars; i++) {
		const char *s = opts->vars[i] ? opts->vars[i] : "";
		const char *eq = strchr(s, '=');
		if (!eq || !name_valid(s, (size_t)(eq - s))) {
			char *arg = shown(s); /* the value may be a password */
			if (!arg)
				return RT_ENOMEM;
			rt_error_set(RT_EUSAGE, "invalid -x '%s': expected NAME=VALUE", arg);
			rt_error_set_hint(VAR_NAME_HINT);
			free(arg);
			return RT_EUSAGE;
		}
	}
	return 0;
}

static int apply_cli_vars(struct loader *ld, const struct rt_config_options *opts)
{
	for (size_t i = 0; i < opts->nvars; i++) {
		const char *s = opts->vars[i], *eq = strchr(s, '=');
		if (set_var(ld, s, (size_t)(eq - s), eq + 1) < 0)
			return RT_ENOMEM;
	}
	return 0;
}

static int read_config_file(struct loader *ld, const struct rt_config_options *opts, char **text,
                            size_t *len)
{
	char *cwd;
	int rc = rt_file_read(ld->path, text, len);

	if (rc == 0 && (rc = rt_check_safe_for_root(ld->path, "config file")) < 0) {
		free(*text);
		*text = NULL;
		return rc;
	}
	if (rc != RT_ENOTFOUND)
		return rc;
	if (opts->path)
		return rt_error_set(RT_ENOTFOUND, "config file '%s' does not exist", opts->path);
	cwd = rt_path_absolute(".", NULL);
	if (!cwd)
		return failed();
	rt_error_set(RT_ENOTFOUND, "no " DEFAULT_CONFIG " in '%s'", cwd);
	rt_error_set_hint("Run 'retort init DIR' to create a project, or pass -c FILE.");
	free(cwd);
	return RT_ENOTFOUND;
}

int rt_config_load(struct rt_config **out, const struct rt_config_options *opts)
{
	static const struct rt_config_options no_opts;
	struct loader ld;
	struct rt_config *cfg;
	struct rt_ynode *root = NULL;
	const struct rt_ynode *envs = NULL;
	struct layer top, env;
	char *text = NULL;
	size_t len = 0;
	int rc, found = 0;

	*out = NULL;
	if (!opts)
		opts = &no_opts;
	register_url_early(opts, NULL);
	if ((rc = check_cli_vars(opts)) < 0)
		return rc;
	memset(&top, 0, sizeof(top));
	memset(&env, 0, sizeof(env));
	cfg = rt_calloc(1, sizeof(*cfg));
	if (!cfg)
		return RT_ENOMEM;
	ld.path = opts->path ? opts->path : DEFAULT_CONFIG;
	ld.cfg = cfg;
	ld.vars_cap = 0;

	if ((rc = read_config_file(&ld, opts, &text, &len)) < 0)
		goto out;
	if (!(cfg->path = rt_path_absolute(ld.path, NULL)) || !(cfg->dir = rt_path_dirname(cfg->path))) {
		rc = failed();
		goto out;
	}
	if ((rc = rt_yaml_parse(ld.path, text, len, 1, &root)) < 0)
		goto out;
	if (root && root->kind != RT_Y_MAP) {
		rc = input_error(&ld, root->line, "the config must be a mapping of keys to values");
		goto out;
	}
	register_url_early(opts, root);
	if (root && (rc = read_layer(&ld, root, "", &top, &envs)) < 0)
		goto out;
	if (envs && (rc = read_environments(&ld, envs, opts->environment, &env, &found)) < 0)
		goto out;
	if (opts->environment) {
		if (!found) {
			rc = unknown_environment(&ld, opts->environment);
			goto out;
		}
		if (!(cfg->environment = rt_strdup(opts->environment))) {
			rc = RT_ENOMEM;
			goto out;
		}
	}
	if ((rc = apply_layers(&ld, &top, &env)) < 0 || (rc = apply_url(&ld, opts, &top, &env)) < 0)
		goto out;
	rc = apply_cli_vars(&ld, opts);
out:
	rt_ynode_free(root);
	free(text);
	if (rc < 0) {
		rt_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void rt_config_free(struct rt_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->dir);
	free(cfg->script_location);
	rt_strlist_release(&cfg->version_locations);
	free(cfg->file_template);
	free(cfg->url);
	free(cfg->url_source);
	free(cfg->url_dir);
	free(cfg->version_table);
	free(cfg->history_table);
	free(cfg->version_table_schema);
	for (size_t i = 0; i < cfg->nvars; i++) {
		free(cfg->vars[i].name);
		free(cfg->vars[i].value);
	}
	free(cfg->vars);
	free(cfg->environment);
	rt_strlist_release(&cfg->environments);
	free(cfg);
}

const char *rt_config_var(const struct rt_config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->nvars; i++)
		if (strcmp(cfg->vars[i].name, name) == 0)
			return cfg->vars[i].value;
	return NULL;
}
