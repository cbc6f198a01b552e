/*
 * config_keys.h - the keys of retort.yaml, declared once (config_keys.c): name, section,
 * type, where the key may appear, default, the field of struct rt_config it fills and a
 * one-line doc. config.c's parser, its "unknown key" hints, its defaults and its
 * environment overrides are driven by the table, and a unit test holds the README's
 * configuration table to it.
 */
#ifndef RETORT_CONFIG_KEYS_H
#define RETORT_CONFIG_KEYS_H

#include <stddef.h>

/* How a value is read (config.c has one reader per type). */
enum rt_config_type {
	RT_CONF_STRING,       /* a non-empty string */
	RT_CONF_DIR,          /* a non-empty string, made an absolute directory */
	RT_CONF_TABLE,        /* a non-empty string of at most 63 bytes (a table or schema name) */
	RT_CONF_FILE_TEMPLATE, /* the file_template rules */
	RT_CONF_CHOICE,       /* one of choices; the index is the value */
	RT_CONF_DURATION,     /* "250ms", "5s", "2min", a bare number of seconds: milliseconds */
	RT_CONF_COUNT,        /* a whole number of 0 or more */
	RT_CONF_DIR_LIST,     /* a list of non-empty strings */
	RT_CONF_VARIABLES,    /* a mapping of variable names to strings, merged across levels */
	RT_CONF_ENVIRONMENTS, /* a mapping of environment names to levels */
};

/* Where a key may appear: the top level of the file, an environment, or both. */
enum rt_config_where {
	RT_CONF_TOP = 1 << 0,
	RT_CONF_ENV = 1 << 1,
	RT_CONF_BOTH = RT_CONF_TOP | RT_CONF_ENV,
};

/* offset of a key that config.c applies with its own code (the URL's precedence, the
 * merge of variables, version_locations after script_location, environments). */
#define RT_CONF_NO_FIELD ((size_t)-1)

struct rt_config_key {
	const char *name;           /* "busy_timeout" */
	const char *section;        /* "sqlite": the key is sqlite.busy_timeout; NULL: top level */
	enum rt_config_type type;
	unsigned where;             /* enum rt_config_where */
	const char *const *choices; /* RT_CONF_CHOICE: the values, NULL-terminated */
	const char *dflt;           /* the default of a string, or NULL (none, or computed) */
	long dflt_num;              /* the default of a duration (ms), a count or a choice */
	size_t offset;              /* of the field in struct rt_config, or RT_CONF_NO_FIELD */
	const char *dflt_doc;       /* the default as the README's table shows it */
	const char *doc;            /* what it is for: how the README's table describes it */
};

#define RT_CONFIG_NKEYS 16

/* The table, in the order of the README's table; *n receives RT_CONFIG_NKEYS. */
const struct rt_config_key *rt_config_keys(size_t *n);
/* The key name in section (NULL: the top level), or NULL. */
const struct rt_config_key *rt_config_key_find(const char *section, const char *name);
/* Its index in the table. */
size_t rt_config_key_index(const struct rt_config_key *k);
/* 1 when name is a section (a mapping of keys: database, sqlite, postgresql). */
int rt_config_is_section(const char *name);
/* The names allowed in section (NULL: the level where, RT_CONF_TOP or RT_CONF_ENV, which
 * includes the sections), sorted, into names (room for RT_CONFIG_NKEYS + 1, NULL-ended). */
void rt_config_allowed(const char *section, unsigned where, const char **names);

#endif
