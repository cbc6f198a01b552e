/*
 * config_keys.c - the table of retort.yaml's keys (see config_keys.h): each key is
 * declared here once, in the order of the README's configuration table, and config.c
 * reads, checks, defaults and overrides every key from its row. Adding a key is a row
 * here, a field in struct rt_config and a row in the README (a unit test compares them).
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "config_keys.h"

#define FIELD(f) offsetof(struct rt_config, f)

static const char *const txn_modes[] = { "per-revision", "all", NULL }; /* enum rt_txn_mode */

static const struct rt_config_key keys[] = {
	{ "script_location", NULL, RT_CONF_DIR, RT_CONF_BOTH, NULL, ".", 0, FIELD(script_location),
	  "`.`", "the folder holding `versions/` (and `script.sql.tmpl`)" },
	{ "version_locations", NULL, RT_CONF_DIR_LIST, RT_CONF_BOTH, NULL, NULL, 0, RT_CONF_NO_FIELD,
	  "—", "extra directories of revision files (a list)" },
	{ "file_template", NULL, RT_CONF_FILE_TEMPLATE, RT_CONF_BOTH, NULL, "%(rev)s_%(slug)s", 0,
	  FIELD(file_template), "`%(rev)s_%(slug)s`", "new file names" },
	{ "url", "database", RT_CONF_STRING, RT_CONF_BOTH, NULL, NULL, 0, RT_CONF_NO_FIELD, "—",
	  "the database URL" },
	{ "version_table", NULL, RT_CONF_TABLE, RT_CONF_BOTH, NULL, "retort_version", 0,
	  FIELD(version_table), "`retort_version`", "the table of version rows" },
	{ "history_table", NULL, RT_CONF_TABLE, RT_CONF_BOTH, NULL, NULL, 0, FIELD(history_table),
	  "`<version_table>_history`", "the table recording every run" },
	{ "version_table_schema", NULL, RT_CONF_TABLE, RT_CONF_BOTH, NULL, NULL, 0,
	  FIELD(version_table_schema), "first schema on the search_path",
	  "PostgreSQL: schema of both tables, created if missing" },
	{ "transaction", NULL, RT_CONF_CHOICE, RT_CONF_BOTH, txn_modes, NULL, RT_TXN_PER_REVISION,
	  FIELD(transaction), "`per-revision`",
	  "`per-revision`: one transaction per revision; `all`: one for the whole run" },
	{ "lock_wait", NULL, RT_CONF_DURATION, RT_CONF_BOTH, NULL, NULL, 60000, FIELD(lock_wait_ms),
	  "`60s`", "how long a run waits for another run's migration lock" },
	{ "variables", NULL, RT_CONF_VARIABLES, RT_CONF_BOTH, NULL, NULL, 0, RT_CONF_NO_FIELD, "`{}`",
	  "values for `${name}`" },
	{ "busy_timeout", "sqlite", RT_CONF_DURATION, RT_CONF_BOTH, NULL, NULL, 5000,
	  FIELD(sqlite.busy_timeout_ms), "`5s`", "how long SQLite waits for another writer" },
	{ "lock_timeout", "postgresql", RT_CONF_DURATION, RT_CONF_BOTH, NULL, NULL, 5000,
	  FIELD(postgresql.lock_timeout_ms), "`5s`", "`SET lock_timeout` for every migration statement" },
	{ "statement_timeout", "postgresql", RT_CONF_DURATION, RT_CONF_BOTH, NULL, NULL, 0,
	  FIELD(postgresql.statement_timeout_ms), "`0` (off)", "`SET statement_timeout`" },
	{ "lock_retries", "postgresql", RT_CONF_COUNT, RT_CONF_BOTH, NULL, NULL, 5,
	  FIELD(postgresql.lock_retries), "`5`", "retries of a revision that hit the lock timeout" },
	{ "concurrent_timeout", "postgresql", RT_CONF_DURATION, RT_CONF_BOTH, NULL, NULL, 0,
	  FIELD(postgresql.concurrent_timeout_ms), "`0` (no limit)",
	  "the `lock_timeout` of `... CONCURRENTLY` statements, which wait for older transactions" },
	{ "environments", NULL, RT_CONF_ENVIRONMENTS, RT_CONF_TOP, NULL, NULL, 0, RT_CONF_NO_FIELD, "—",
	  "named overrides of any key above, selected with `-e NAME`" },
};

_Static_assert(RT_ARRAY_LEN(keys) == RT_CONFIG_NKEYS, "RT_CONFIG_NKEYS counts the rows of keys[]");

const struct rt_config_key *rt_config_keys(size_t *n)
{
	*n = RT_ARRAY_LEN(keys);
	return keys;
}

/* Both NULL (the top level), or the same section. */
static int same_section(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

const struct rt_config_key *rt_config_key_find(const char *section, const char *name)
{
	for (size_t i = 0; i < RT_ARRAY_LEN(keys); i++)
		if (same_section(keys[i].section, section) && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

size_t rt_config_key_index(const struct rt_config_key *k)
{
	return (size_t)(k - keys);
}

int rt_config_is_section(const char *name)
{
	for (size_t i = 0; i < RT_ARRAY_LEN(keys); i++)
		if (keys[i].section && strcmp(keys[i].section, name) == 0)
			return 1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int listed(const char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

void rt_config_allowed(const char *section, unsigned where, const char **names)
{
	size_t n = 0;

	for (size_t i = 0; i < RT_ARRAY_LEN(keys); i++) {
		const struct rt_config_key *k = &keys[i];
		const char *name;

		if (section) { /* the keys of one section */
			if (!k->section || strcmp(k->section, section) != 0)
				continue;
			name = k->name;
		} else { /* a level: its own keys, and the sections */
			if (!(k->where & where))
				continue;
			name = k->section ? k->section : k->name;
		}
		if (!listed(names, n, name))
			names[n++] = name;
	}
	qsort(names, n, sizeof(*names), by_name);
	names[n] = NULL;
}
