/*
 * config.c - loads retort.yaml (or the file given with -c) into a struct rt_config.
 *
 * Every key is a row of the table in config_keys.c, and this file is driven by it: the
 * file becomes a YAML tree (yaml_tree.c); the top level, and each entry of
 * "environments", is read into a struct layer, each key checked against the table (where
 * it may appear, "did you mean" among the keys allowed there) and read by the reader of
 * its type, the nodes borrowed from the tree. The selected environment's layer then
 * overrides the top level key by key (inside "sqlite" and "postgresql" too; "variables"
 * merge by name), the table's defaults fill the rest, and the database URL is chosen:
 * --url, $RETORT_DATABASE_URL, $DATABASE_URL, the environment's, the top level's.
 * -x NAME=VALUE overrides variables last.
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
#include "config_keys.h"
#include "yaml_tree.h"

#define DEFAULT_CONFIG "retort.yaml"
#define HISTORY_SUFFIX "_history"
#define MAX_TABLE_NAME 63

#define VAR_NAME_HINT "Variable names start with a letter or '_' and hold only letters, digits and '_'."

static const char *const template_tokens[] = {
	"%(rev)s", "%(slug)s", "%(year)d", "%(month).2d", "%(day).2d", "%(hour).2d",
	"%(minute).2d", "%(second).2d", "%(epoch)d", NULL,
};

/* What one level of the file says: the top level or one environment, per key of the
 * table (config_keys.c), by index. node NULL: not given. Nodes are borrowed from the YAML
 * tree and already validated; num holds what durations, counts and choices read as. */
struct layer {
	const struct rt_ynode *node[RT_CONFIG_NKEYS];
	long num[RT_CONFIG_NKEYS];
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

/* "unknown key 'x'", with a hint naming the nearest allowed key or listing them all
 * (allowed: sorted, NULL-terminated). */
static int unknown_key(const struct loader *ld, const struct rt_ynode *k, const char *in,
                       const char *const *allowed)
{
	struct rt_buf hint = RT_BUF_INIT;
	const char *best = NULL;
	size_t best_dist = 3, n;
	char *key;

	for (n = 0; allowed[n]; n++) {
		size_t d = edit_distance(k->value, allowed[n]);
		if (d < best_dist) {
			best = allowed[n];
			best_dist = d;
		}
	}
	if (best) {
		rt_buf_addf(&hint, "Did you mean '%s'?", best);
	} else if (n == 1) {
		rt_buf_addf(&hint, "The only allowed key is %s.", allowed[0]);
	} else {
		rt_buf_puts(&hint, "The allowed keys are: ");
		rt_buf_join(&hint, allowed, n, ", ");
		rt_buf_putc(&hint, '.');
	}
	if (rt_buf_status(&hint) < 0 || !(key = shown(k->value))) {
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
                      const struct rt_ynode *v, long *out)
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
			*out = n;
			return 0;
		}
	}
	return value_error(ld, v, key, in, "a whole number of 0 or more");
}

/* One of k's choices; *out is its index. */
static int read_choice(const struct loader *ld, const struct rt_config_key *k, const char *in,
                       const struct rt_ynode *v, long *out)
{
	struct rt_buf want = RT_BUF_INIT;
	int rc;

	if (v->kind != RT_Y_SCALAR)
		return wrong_type(ld, k->name, in, "a string", v);
	for (long i = 0; k->choices[i]; i++) {
		if (strcmp(v->value, k->choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	for (size_t i = 0; k->choices[i]; i++) /* "'a' or 'b'", "'a', 'b' or 'c'" */
		rt_buf_addf(&want, "%s'%s'", i == 0 ? "" : k->choices[i + 1] ? ", " : " or ", k->choices[i]);
	if ((rc = rt_buf_status(&want)) == 0)
		rc = value_error(ld, v, k->name, in, want.ptr);
	rt_buf_release(&want);
	return rc;
}

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

static int read_template(const struct loader *ld, const char *key, const char *in,
                         const struct rt_ynode *v)
{
	const char *t, *p;
	int rc = read_string(ld, key, in, v);

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

static int read_locations(const struct loader *ld, const char *key, const char *in,
                          const struct rt_ynode *v)
{
	if (v->kind != RT_Y_SEQ)
		return wrong_type(ld, key, in, "a list", v);
	for (size_t i = 0; i < v->n; i++) {
		const struct rt_ynode *item = v->items[i];
		if (item->kind != RT_Y_SCALAR)
			return input_error(ld, item->line, "each entry of '%s'%s must be a string, not %s",
			                   key, in, rt_ynode_kind_name(item));
		if (!item->value[0] || rt_ynode_is_null(item))
			return input_error(ld, item->line, "an entry of '%s'%s is empty", key, in);
	}
	return 0;
}

static int read_variables(const struct loader *ld, const char *key, const char *in,
                          const struct rt_ynode *v)
{
	char in_vars[64];

	if (v->kind != RT_Y_MAP)
		return wrong_type(ld, key, in, "a mapping", v);
	snprintf(in_vars, sizeof(in_vars), " in '%s'", key);
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
			return wrong_type(ld, k->value, in_vars, "a string", val);
	}
	return 0;
}

/* Reads the value v of key k (in: where it is, for messages) into ly. */
static int read_value(const struct loader *ld, const struct rt_config_key *k, const char *in,
                      const struct rt_ynode *v, struct layer *ly)
{
	size_t i = rt_config_key_index(k);

	ly->node[i] = v;
	switch (k->type) {
	case RT_CONF_STRING:
	case RT_CONF_DIR:
		return read_string(ld, k->name, in, v);
	case RT_CONF_TABLE:
		return read_table_name(ld, k->name, in, v);
	case RT_CONF_FILE_TEMPLATE:
		return read_template(ld, k->name, in, v);
	case RT_CONF_CHOICE:
		return read_choice(ld, k, in, v, &ly->num[i]);
	case RT_CONF_DURATION:
		return read_duration(ld, k->name, in, v, &ly->num[i]);
	case RT_CONF_COUNT:
		return read_count(ld, k->name, in, v, &ly->num[i]);
	case RT_CONF_DIR_LIST:
		return read_locations(ld, k->name, in, v);
	case RT_CONF_VARIABLES:
		return read_variables(ld, k->name, in, v);
	case RT_CONF_ENVIRONMENTS:
		break; /* read_environments(), once the top level is read */
	}
	return 0;
}

static int is_allowed(const char *const *allowed, const char *name)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(allowed[i], name) == 0)
			return 1;
	return 0;
}

/* Walks a section (database, sqlite, postgresql): checks its keys, skips nulls, reads the
 * rest. */
static int read_section(const struct loader *ld, const char *section, const struct rt_ynode *map,
                        struct layer *ly)
{
	const char *allowed[RT_CONFIG_NKEYS + 1];
	char in[32];

	snprintf(in, sizeof(in), " in '%s'", section);
	if (map->kind != RT_Y_MAP)
		return wrong_type(ld, section, "", "a mapping", map);
	rt_config_allowed(section, 0, allowed);
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct rt_ynode *k = map->items[i], *v = map->items[i + 1];
		const struct rt_config_key *key = rt_config_key_find(section, k->value);
		int rc;

		if (!key)
			return unknown_key(ld, k, in, allowed);
		if (rt_ynode_is_null(v))
			continue;
		if ((rc = read_value(ld, key, in, v, ly)) < 0)
			return rc;
	}
	return 0;
}

/* Reads the top level (envs != NULL receives the "environments" node) or one environment
 * (envs == NULL; in names it in messages). */
static int read_layer(const struct loader *ld, const struct rt_ynode *map, const char *in,
                      struct layer *ly, const struct rt_ynode **envs)
{
	const char *allowed[RT_CONFIG_NKEYS + 1];

	rt_config_allowed(NULL, envs ? RT_CONF_TOP : RT_CONF_ENV, allowed);
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct rt_ynode *k = map->items[i], *v = map->items[i + 1];
		const struct rt_config_key *key = rt_config_key_find(NULL, k->value);
		int rc = 0;

		if (!is_allowed(allowed, k->value)) {
			if (key && key->type == RT_CONF_ENVIRONMENTS) {
				input_error(ld, k->line, "unknown key '%s'%s", k->value, in);
				rt_error_set_hint("Environments cannot be nested.");
				return RT_EINPUT;
			}
			return unknown_key(ld, k, in, allowed);
		}
		if (rt_ynode_is_null(v))
			continue;
		if (!key)
			rc = read_section(ld, k->value, v, ly);
		else if (key->type == RT_CONF_ENVIRONMENTS)
			*envs = v;
		else
			rc = read_value(ld, key, in, v, ly);
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

/* The node of key k the config chose: the environment's, else the top level's; NULL when
 * neither gives it. *from receives the layer it came from. */
static const struct rt_ynode *chosen(const struct rt_config_key *k, const struct layer *top,
                                     const struct layer *env, const struct layer **from)
{
	size_t i = rt_config_key_index(k);

	*from = env->node[i] ? env : top->node[i] ? top : NULL;
	return *from ? (*from)->node[i] : NULL;
}

_Static_assert(sizeof(enum rt_txn_mode) == sizeof(int), "a choice fills an int-sized enum field");

/* Fills k's field of the config: the chosen value, else the default. */
static int apply_field(struct loader *ld, const struct rt_config_key *k, const struct layer *top,
                       const struct layer *env)
{
	const struct layer *from;
	const struct rt_ynode *n = chosen(k, top, env, &from);
	const char *text = n ? n->value : k->dflt;
	long num = n ? from->num[rt_config_key_index(k)] : k->dflt_num;
	void *field = (char *)ld->cfg + k->offset;

	switch (k->type) {
	case RT_CONF_DIR:
		return (*(char **)field = absolute_dir(text, ld->cfg->dir)) ? 0 : failed();
	case RT_CONF_STRING:
	case RT_CONF_TABLE:
	case RT_CONF_FILE_TEMPLATE:
		return !text || (*(char **)field = rt_strdup(text)) ? 0 : RT_ENOMEM;
	case RT_CONF_CHOICE:
		*(int *)field = (int)num;
		return 0;
	case RT_CONF_DURATION:
		*(long *)field = num;
		return 0;
	case RT_CONF_COUNT:
		*(int *)field = (int)num;
		return 0;
	default:
		return 0; /* applied by their own code below */
	}
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

/* history_table, when not given: the version table's name and "_history". */
static int default_history_table(struct loader *ld, const struct layer *top, const struct layer *env)
{
	struct rt_config *cfg = ld->cfg;
	const struct layer *from;
	const struct rt_ynode *vt = chosen(rt_config_key_find(NULL, "version_table"), top, env, &from);

	if (cfg->history_table)
		return 0;
	if (vt && strlen(vt->value) + strlen(HISTORY_SUFFIX) > MAX_TABLE_NAME) {
		input_error(ld, vt->line,
		            "'history_table' defaults to '%s" HISTORY_SUFFIX
		            "', which is longer than %d bytes",
		            vt->value, MAX_TABLE_NAME);
		rt_error_set_hint("Set 'history_table', or choose a shorter 'version_table'.");
		return RT_EINPUT;
	}
	cfg->history_table = rt_asprintf("%s" HISTORY_SUFFIX, cfg->version_table);
	return cfg->history_table ? 0 : RT_ENOMEM;
}

/* Every key's value: the environment's, else the top level's, else the default. */
static int apply_layers(struct loader *ld, const struct layer *top, const struct layer *env)
{
	const struct rt_config_key *vars = rt_config_key_find(NULL, "variables"), *keys;
	const struct layer *from;
	size_t n;
	int rc = 0;

	keys = rt_config_keys(&n);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (keys[i].offset != RT_CONF_NO_FIELD)
			rc = apply_field(ld, &keys[i], top, env);
	if (rc == 0)
		rc = apply_locations(ld, chosen(rt_config_key_find(NULL, "version_locations"), top, env, &from));
	if (rc == 0)
		rc = default_history_table(ld, top, env);
	if (rc == 0 && (add_layer_vars(ld, top->node[rt_config_key_index(vars)]) < 0 ||
	                add_layer_vars(ld, env->node[rt_config_key_index(vars)]) < 0))
		rc = RT_ENOMEM;
	return rc;
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
	size_t iu = rt_config_key_index(rt_config_key_find("database", "url"));
	const struct rt_ynode *top_url = top->node[iu], *env_url = env->node[iu];
	const char *source = NULL, *url = outside_url(opts, &source);

	if (url) {
		cfg->url_dir = rt_path_absolute(".", NULL);
		if (!cfg->url_dir)
			return failed();
		cfg->url_source = rt_strdup(source);
	} else if (env_url || top_url) {
		url = env_url ? env_url->value : top_url->value;
		cfg->url_dir = rt_strdup(cfg->dir);
		if (env_url)
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
	return check_url(ld, source, source ? NULL : env_url ? env_url : top_url, env_url != NULL);
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
