/*
 * check_config.c - unit tests for lib/config.c: loading retort.yaml.
 *
 * Each test gets a fresh temporary directory holding the config files it writes, and
 * starts with RETORT_DATABASE_URL and DATABASE_URL unset. Error tests assert the whole
 * message, "PATH:LINE: ...", and the location and hint that come with it.
 */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "config_keys.h"
#include "internal.h"

static char tmp[PATH_MAX];     /* this test's directory (no symlinks) */
static char cfgpath[PATH_MAX]; /* tmp/retort.yaml */
static char oldcwd[PATH_MAX];
static struct rt_config *cfg;

static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			char child[PATH_MAX];
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
			remove_tree(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void setup(void)
{
	char templ[] = "/tmp/rt-check-config-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(templ));
	ck_assert_ptr_nonnull(realpath(templ, tmp));
	ck_assert_int_lt(snprintf(cfgpath, sizeof(cfgpath), "%s/retort.yaml", tmp), (int)sizeof(cfgpath));
	ck_assert_ptr_nonnull(getcwd(oldcwd, sizeof(oldcwd)));
	unsetenv("RETORT_DATABASE_URL");
	unsetenv("DATABASE_URL");
	cfg = NULL;
}

static void teardown(void)
{
	rt_config_free(cfg);
	cfg = NULL;
	if (chdir(oldcwd) < 0)
		perror(oldcwd);
	remove_tree(tmp);
	unsetenv("RETORT_DATABASE_URL");
	unsetenv("DATABASE_URL");
	rt_alloc_fail_after(0);
	rt_error_clear();
	rt_secrets_clear();
}

/* tmp + "/" + rel, in one of a few rotating static buffers. */
static const char *tpath(const char *rel)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 4];
	int n = snprintf(b, PATH_MAX, "%s%s%s", tmp, *rel ? "/" : "", rel);
	ck_assert_int_lt(n, PATH_MAX);
	return b;
}

static void write_file(const char *rel, const char *text)
{
	char *path = rt_strdup(tpath(rel)), *dir = rt_path_dirname(path);
	FILE *f;

	ck_assert_int_eq(rt_mkdir_p(dir, 0755), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	free(dir);
	free(path);
}

static void go_to(const char *rel)
{
	ck_assert_int_eq(rt_mkdir_p(tpath(rel), 0755), 0);
	ck_assert_int_eq(chdir(tpath(rel)), 0);
}

/* Writes yaml to tmp/retort.yaml (unless NULL) and loads it with o (path defaulting to it). */
static int load_with(const char *yaml, struct rt_config_options o)
{
	rt_config_free(cfg);
	cfg = NULL;
	if (yaml)
		write_file("retort.yaml", yaml);
	if (!o.path)
		o.path = cfgpath;
	return rt_config_load(&cfg, &o);
}

static int load(const char *yaml)
{
	struct rt_config_options o = { 0 };
	return load_with(yaml, o);
}

static void load_ok(const char *yaml)
{
	int rc = load(yaml);
	ck_assert_msg(rc == 0, "load failed: %d %s", rc, rt_error_last()->message);
	ck_assert_ptr_nonnull(cfg);
}

static void assert_hint(const char *hint)
{
	ck_assert_ptr_nonnull(rt_error_last()->hint);
	ck_assert_str_eq(rt_error_last()->hint, hint);
}

/* The last error is "<path>:<line>: <message>" (RT_EINPUT) located at path and line. */
static void assert_located(const char *path, int line, const char *message)
{
	char want[PATH_MAX + 1024];

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, message);
	ck_assert_int_eq(rt_error_last()->code, RT_EINPUT);
	ck_assert_error_contains(want);
	ck_assert_str_eq(rt_error_last()->message, want);
	ck_assert_ptr_nonnull(rt_error_last()->file);
	ck_assert_str_eq(rt_error_last()->file, path);
	ck_assert_int_eq(rt_error_last()->line, line);
}

static void assert_load_error(const char *yaml, int line, const char *message)
{
	int rc = load(yaml);
	ck_assert_msg(rc == RT_EINPUT, "'%s' loaded with rc %d", yaml, rc);
	ck_assert_ptr_null(cfg);
	assert_located(cfgpath, line, message);
}

static void assert_defaults(void)
{
	ck_assert_str_eq(cfg->path, cfgpath);
	ck_assert_str_eq(cfg->dir, tmp);
	ck_assert_str_eq(cfg->script_location, tmp);
	ck_assert_uint_eq(cfg->version_locations.n, 1);
	ck_assert_str_eq(cfg->version_locations.items[0], tpath("versions"));
	ck_assert_str_eq(cfg->file_template, "%(rev)s_%(slug)s");
	ck_assert_ptr_null(cfg->url);
	ck_assert_ptr_null(cfg->url_source);
	ck_assert_str_eq(cfg->version_table, "retort_version");
	ck_assert_str_eq(cfg->history_table, "retort_version_history");
	ck_assert_ptr_null(cfg->version_table_schema);
	ck_assert_int_eq(cfg->transaction, RT_TXN_PER_REVISION);
	ck_assert_uint_eq(cfg->nvars, 0);
	ck_assert_int_eq(cfg->lock_wait_ms, 60000);
	ck_assert_ptr_null(cfg->environment);
	ck_assert_uint_eq(cfg->environments.n, 0);
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 5000);
	ck_assert_int_eq(cfg->postgresql.lock_timeout_ms, 5000);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 0);
	ck_assert_int_eq(cfg->postgresql.lock_retries, 5);
}

/* ---- finding the file ------------------------------------------------------------------ */

START_TEST(empty_file_means_defaults)
{
	load_ok("");
	assert_defaults();
}
END_TEST

START_TEST(comments_only_means_defaults)
{
	load_ok("# nothing here yet\n\n   \n");
	assert_defaults();
}
END_TEST

START_TEST(nulls_mean_defaults)
{
	load_ok("script_location:\nversion_table: ~\nlock_wait: null\nfile_template: NULL\n"
	        "database:\nsqlite:\npostgresql:\n  lock_retries:\nvariables:\nenvironments:\n"
	        "version_locations:\ntransaction:\n");
	assert_defaults();
}
END_TEST

START_TEST(default_file_in_current_directory)
{
	write_file("retort.yaml", "version_table: here\n");
	go_to("");
	ck_assert_int_eq(rt_config_load(&cfg, NULL), 0);
	ck_assert_str_eq(cfg->path, cfgpath);
	ck_assert_str_eq(cfg->dir, tmp);
	ck_assert_str_eq(cfg->version_table, "here");
	rt_config_free(cfg);
	cfg = NULL;

	/* messages name the file as the user did */
	write_file("retort.yaml", "version_table: [a]\n");
	ck_assert_int_eq(rt_config_load(&cfg, NULL), RT_EINPUT);
	assert_located("retort.yaml", 1, "'version_table' must be a string, not a list");
}
END_TEST

START_TEST(missing_default_file)
{
	char want[PATH_MAX + 64];
	const char *vars[] = { "a=1" };
	struct rt_config_options o = { NULL, NULL, NULL, vars, 1 };

	go_to("");
	ck_assert_int_eq(rt_config_load(&cfg, &o), RT_ENOTFOUND);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "no retort.yaml in '%s'", tmp);
	ck_assert_str_eq(rt_error_last()->message, want);
	assert_hint("Run 'retort init DIR' to create a project, or pass -c FILE.");
}
END_TEST

START_TEST(missing_named_file)
{
	struct rt_config_options o = { 0 };
	char want[PATH_MAX + 64];

	o.path = tpath("nope.yaml");
	ck_assert_int_eq(load_with(NULL, o), RT_ENOTFOUND);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "config file '%s' does not exist", tpath("nope.yaml"));
	ck_assert_str_eq(rt_error_last()->message, want);

	write_file("plain", "x");
	o.path = tpath("plain/retort.yaml");
	ck_assert_int_eq(load_with(NULL, o), RT_ENOTFOUND);
	snprintf(want, sizeof(want), "config file '%s' does not exist", tpath("plain/retort.yaml"));
	ck_assert_str_eq(rt_error_last()->message, want);
}
END_TEST

START_TEST(config_is_a_directory)
{
	struct rt_config_options o = { 0 };

	o.path = tmp;
	ck_assert_int_eq(load_with(NULL, o), RT_EIO);
	ck_assert_ptr_null(cfg);
	ck_assert_error_contains("it is a directory");
}
END_TEST

/* ---- values ---------------------------------------------------------------------------- */

START_TEST(every_key)
{
	load_ok("script_location: db\n"
	        "version_locations: [more, /opt/shared/versions]\n"
	        "file_template: \"%(epoch)d_%(rev)s\"\n"
	        "database:\n"
	        "  url: sqlite:///app.db\n"
	        "version_table: vt\n"
	        "history_table: ht\n"
	        "version_table_schema: meta\n"
	        "transaction: all\n"
	        "variables:\n"
	        "  owner: alice\n"
	        "lock_wait: 2min\n"
	        "sqlite:\n"
	        "  busy_timeout: 250ms\n"
	        "postgresql:\n"
	        "  lock_timeout: 3s\n"
	        "  statement_timeout: 1h\n"
	        "  lock_retries: 7\n"
	        "environments:\n"
	        "  dev: {}\n");
	ck_assert_str_eq(cfg->script_location, tpath("db"));
	ck_assert_uint_eq(cfg->version_locations.n, 3);
	ck_assert_str_eq(cfg->version_locations.items[0], tpath("db/versions"));
	ck_assert_str_eq(cfg->version_locations.items[1], tpath("more"));
	ck_assert_str_eq(cfg->version_locations.items[2], "/opt/shared/versions");
	ck_assert_str_eq(cfg->file_template, "%(epoch)d_%(rev)s");
	ck_assert_str_eq(cfg->url, "sqlite:///app.db");
	ck_assert_str_eq(cfg->url_source, "config");
	ck_assert_str_eq(cfg->url_dir, tmp);
	ck_assert_str_eq(cfg->version_table, "vt");
	ck_assert_str_eq(cfg->history_table, "ht");
	ck_assert_str_eq(cfg->version_table_schema, "meta");
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
	ck_assert_uint_eq(cfg->nvars, 1);
	ck_assert_str_eq(cfg->vars[0].name, "owner");
	ck_assert_str_eq(cfg->vars[0].value, "alice");
	ck_assert_int_eq(cfg->lock_wait_ms, 120000);
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 250);
	ck_assert_int_eq(cfg->postgresql.lock_timeout_ms, 3000);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 3600000);
	ck_assert_int_eq(cfg->postgresql.lock_retries, 7);
	ck_assert_ptr_null(cfg->environment);
	ck_assert_uint_eq(cfg->environments.n, 1);
	ck_assert_str_eq(cfg->environments.items[0], "dev");
}
END_TEST

START_TEST(fixture_file)
{
	struct rt_config_options o = { 0 };
	char dir[PATH_MAX], path[PATH_MAX + 32];

	ck_assert_ptr_nonnull(realpath(fixture("config/full"), dir));
	snprintf(path, sizeof(path), "%s/retort.yaml", dir);
	o.path = path;
	o.environment = "production";
	ck_assert_int_eq(load_with(NULL, o), 0);
	ck_assert_str_eq(cfg->path, path);
	ck_assert_str_eq(cfg->dir, dir);
	snprintf(path, sizeof(path), "%s/migrations", dir);
	ck_assert_str_eq(cfg->script_location, path);
	ck_assert_uint_eq(cfg->version_locations.n, 2); /* migrations/versions listed twice */
	snprintf(path, sizeof(path), "%s/migrations/versions", dir);
	ck_assert_str_eq(cfg->version_locations.items[0], path);
	snprintf(path, sizeof(path), "%s/shared/versions", dir);
	ck_assert_str_eq(cfg->version_locations.items[1], path);
	ck_assert_str_eq(cfg->file_template, "%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s");
	ck_assert_str_eq(cfg->url, "postgresql://app@db.internal/app");
	ck_assert_str_eq(cfg->url_source, "environment production");
	ck_assert_str_eq(cfg->url_dir, dir);
	ck_assert_str_eq(cfg->version_table, "schema_version");
	ck_assert_str_eq(cfg->history_table, "schema_history");
	ck_assert_str_eq(cfg->version_table_schema, "admin");
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
	ck_assert_uint_eq(cfg->nvars, 2);
	ck_assert_str_eq(rt_config_var(cfg, "owner"), "app_owner");
	ck_assert_str_eq(rt_config_var(cfg, "retention_days"), "365");
	ck_assert_int_eq(cfg->lock_wait_ms, 90000);
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 250);
	ck_assert_int_eq(cfg->postgresql.lock_timeout_ms, 2000);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 600000);
	ck_assert_int_eq(cfg->postgresql.lock_retries, 0);
	ck_assert_str_eq(cfg->environment, "production");
	ck_assert_uint_eq(cfg->environments.n, 2);
	ck_assert_str_eq(cfg->environments.items[0], "ci");
	ck_assert_str_eq(cfg->environments.items[1], "production");
}
END_TEST

START_TEST(relative_paths)
{
	struct rt_config_options o = { 0 };

	write_file("proj/conf/retort.yaml",
	           "script_location: ../db\n"
	           "version_locations:\n"
	           "  - extra\n"
	           "  - ../db/versions\n"
	           "  - ./extra/\n"
	           "  - /abs//dir/\n"
	           "  - sub/../extra2\n");
	go_to("proj");
	o.path = "conf/retort.yaml";
	ck_assert_int_eq(load_with(NULL, o), 0);
	ck_assert_str_eq(cfg->path, tpath("proj/conf/retort.yaml"));
	ck_assert_str_eq(cfg->dir, tpath("proj/conf"));
	ck_assert_str_eq(cfg->script_location, tpath("proj/db"));
	ck_assert_uint_eq(cfg->version_locations.n, 4);
	ck_assert_str_eq(cfg->version_locations.items[0], tpath("proj/db/versions"));
	ck_assert_str_eq(cfg->version_locations.items[1], tpath("proj/conf/extra"));
	ck_assert_str_eq(cfg->version_locations.items[2], "/abs/dir");
	ck_assert_str_eq(cfg->version_locations.items[3], tpath("proj/conf/extra2"));

	/* errors name the file as given */
	write_file("proj/conf/retort.yaml", "\nscript_location: [x]\n");
	ck_assert_int_eq(load_with(NULL, o), RT_EINPUT);
	assert_located("conf/retort.yaml", 2, "'script_location' must be a string, not a list");
}
END_TEST

START_TEST(absolute_script_location)
{
	load_ok("script_location: /srv/app/migrations/\n");
	ck_assert_str_eq(cfg->script_location, "/srv/app/migrations");
	ck_assert_uint_eq(cfg->version_locations.n, 1);
	ck_assert_str_eq(cfg->version_locations.items[0], "/srv/app/migrations/versions");
}
END_TEST

START_TEST(scalars_are_text)
{
	load_ok("version_table: 123\n"
	        "history_table: true\n"
	        "version_table_schema: 'null'\n"
	        "variables:\n"
	        "  a: 123\n"
	        "  b: true\n"
	        "  c: \"x y\"\n"
	        "  d: 0x1F\n"
	        "  e:\n"
	        "  f: '  padded '\n"
	        "  _g1: \"\"\n");
	ck_assert_str_eq(cfg->version_table, "123");
	ck_assert_str_eq(cfg->history_table, "true");
	ck_assert_str_eq(cfg->version_table_schema, "null");
	ck_assert_uint_eq(cfg->nvars, 7);
	ck_assert_str_eq(cfg->vars[0].name, "a");
	ck_assert_str_eq(cfg->vars[0].value, "123");
	ck_assert_str_eq(cfg->vars[1].value, "true");
	ck_assert_str_eq(cfg->vars[2].value, "x y");
	ck_assert_str_eq(cfg->vars[3].value, "0x1F");
	ck_assert_str_eq(cfg->vars[4].value, "");
	ck_assert_str_eq(cfg->vars[5].value, "  padded ");
	ck_assert_str_eq(cfg->vars[6].name, "_g1");
	ck_assert_str_eq(cfg->vars[6].value, "");
	ck_assert_str_eq(rt_config_var(cfg, "c"), "x y");
	ck_assert_ptr_null(rt_config_var(cfg, "missing"));
	ck_assert_ptr_null(rt_config_var(cfg, "A"));
	ck_assert_ptr_null(rt_config_var(NULL, "a"));
}
END_TEST

START_TEST(history_table_follows_version_table)
{
	load_ok("version_table: deploys\n");
	ck_assert_str_eq(cfg->version_table, "deploys");
	ck_assert_str_eq(cfg->history_table, "deploys_history");
	load_ok("history_table: log\n");
	ck_assert_str_eq(cfg->version_table, "retort_version");
	ck_assert_str_eq(cfg->history_table, "log");
}
END_TEST

START_TEST(table_names)
{
	char yaml[256], name63[64], name64[65], name56[57];

	memset(name63, 'a', 63);
	name63[63] = '\0';
	memset(name64, 'b', 64);
	name64[64] = '\0';
	memset(name56, 'c', 56);
	name56[56] = '\0';

	load_ok("version_table: \"My Versions; -- \\\"quoted\\\"\"\n");
	ck_assert_str_eq(cfg->version_table, "My Versions; -- \"quoted\"");

	snprintf(yaml, sizeof(yaml), "version_table: %s\nhistory_table: %s\nversion_table_schema: %s\n",
	         name63, name63, name63);
	load_ok(yaml);
	ck_assert_str_eq(cfg->version_table, name63);
	ck_assert_str_eq(cfg->history_table, name63);
	ck_assert_str_eq(cfg->version_table_schema, name63);

	/* 56 + "_history" is 64 bytes: too long unless history_table is given */
	snprintf(yaml, sizeof(yaml), "version_table: %s\nhistory_table: h\n", name56);
	load_ok(yaml);
	ck_assert_str_eq(cfg->history_table, "h");
	name56[55] = '\0';
	snprintf(yaml, sizeof(yaml), "version_table: %s\n", name56);
	load_ok(yaml);
	snprintf(yaml, sizeof(yaml), "%s_history", name56);
	ck_assert_str_eq(cfg->history_table, yaml);
	name56[55] = 'c';

	snprintf(yaml, sizeof(yaml), "\nversion_table: %s\n", name56);
	ck_assert_int_eq(load(yaml), RT_EINPUT);
	snprintf(yaml, sizeof(yaml), "'history_table' defaults to '%s_history', which is longer than 63 bytes",
	         name56);
	assert_located(cfgpath, 2, yaml);
	assert_hint("Set 'history_table', or choose a shorter 'version_table'.");

	snprintf(yaml, sizeof(yaml), "version_table: %s\n", name64);
	assert_load_error(yaml, 1, "'version_table' is longer than 63 bytes");
	assert_hint("PostgreSQL cuts longer names short; choose a shorter one.");
	snprintf(yaml, sizeof(yaml), "history_table: %s\n", name64);
	assert_load_error(yaml, 1, "'history_table' is longer than 63 bytes");
	snprintf(yaml, sizeof(yaml), "variables: {}\nversion_table_schema: %s\n", name64);
	assert_load_error(yaml, 2, "'version_table_schema' is longer than 63 bytes");

	assert_load_error("version_table: ''\n", 1, "'version_table' must not be empty");
	assert_load_error("history_table: \"\"\n", 1, "'history_table' must not be empty");
	assert_load_error("version_table_schema: ''\n", 1, "'version_table_schema' must not be empty");
}
END_TEST

START_TEST(transaction_modes)
{
	load_ok("transaction: all\n");
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
	load_ok("transaction: per-revision\n");
	ck_assert_int_eq(cfg->transaction, RT_TXN_PER_REVISION);
	load_ok("transaction: \"all\"\n");
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
	assert_load_error("\n\ntransaction: each\n", 3,
	                  "'transaction' must be 'per-revision' or 'all', not 'each'");
	assert_load_error("transaction: All\n", 1,
	                  "'transaction' must be 'per-revision' or 'all', not 'All'");
	assert_load_error("transaction: per_revision\n", 1,
	                  "'transaction' must be 'per-revision' or 'all', not 'per_revision'");
}
END_TEST

START_TEST(durations)
{
	load_ok("lock_wait: 250ms\nsqlite:\n  busy_timeout: 0\npostgresql:\n  lock_timeout: 1.5s\n"
	        "  statement_timeout: 2min\n");
	ck_assert_int_eq(cfg->lock_wait_ms, 250);
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 0);
	ck_assert_int_eq(cfg->postgresql.lock_timeout_ms, 1500);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 120000);
	load_ok("lock_wait: 3\n");
	ck_assert_int_eq(cfg->lock_wait_ms, 3000);
	load_ok("lock_wait: '1h'\n");
	ck_assert_int_eq(cfg->lock_wait_ms, 3600000);

	assert_load_error("lock_wait: fast\n", 1, "invalid duration 'fast' for 'lock_wait'");
	assert_hint("Write a duration such as '5s', '250ms' or '2min'; a bare number means seconds.");
	assert_load_error("postgresql:\n  lock_timeout: -1s\n", 2,
	                  "invalid duration '-1s' for 'lock_timeout' in 'postgresql'");
	assert_load_error("postgresql:\n  statement_timeout: 5 days\n", 2,
	                  "invalid duration '5 days' for 'statement_timeout' in 'postgresql'");
	assert_load_error("sqlite:\n  busy_timeout: ''\n", 2,
	                  "invalid duration '' for 'busy_timeout' in 'sqlite'");
	assert_load_error("lock_wait: 1e300\n", 1, "duration '1e300' is too long for 'lock_wait'");
}
END_TEST

START_TEST(lock_retries)
{
	load_ok("postgresql:\n  lock_retries: 0\n");
	ck_assert_int_eq(cfg->postgresql.lock_retries, 0);
	load_ok("postgresql:\n  lock_retries: '12'\n");
	ck_assert_int_eq(cfg->postgresql.lock_retries, 12);
	assert_load_error("postgresql:\n  lock_retries: -1\n", 2,
	                  "'lock_retries' in 'postgresql' must be a whole number of 0 or more, not '-1'");
	assert_load_error("postgresql:\n  lock_retries: 2.5\n", 2,
	                  "'lock_retries' in 'postgresql' must be a whole number of 0 or more, not '2.5'");
	assert_load_error("postgresql:\n  lock_retries: many\n", 2,
	                  "'lock_retries' in 'postgresql' must be a whole number of 0 or more, not 'many'");
	assert_load_error("postgresql:\n  lock_retries: 99999999999\n", 2,
	                  "'lock_retries' in 'postgresql' must be a whole number of 0 or more, not '99999999999'");
	assert_load_error("postgresql:\n  lock_retries: ''\n", 2,
	                  "'lock_retries' in 'postgresql' must be a whole number of 0 or more, not ''");
}
END_TEST

START_TEST(file_templates)
{
	load_ok("file_template: \"%(year)d%(month).2d%(day).2d%(hour).2d%(minute).2d%(second).2d_"
	        "%(epoch)d_%(rev)s_%(slug)s\"\n");
	ck_assert_str_eq(cfg->file_template, "%(year)d%(month).2d%(day).2d%(hour).2d%(minute).2d"
	                                     "%(second).2d_%(epoch)d_%(rev)s_%(slug)s");
	load_ok("file_template: 100%_%(rev)s\n");
	ck_assert_str_eq(cfg->file_template, "100%_%(rev)s");

	assert_load_error("file_template: \"%(rev)s_%(name)s\"\n", 1,
	                  "unknown token '%(name)s' in 'file_template'");
	assert_hint("The tokens are %(rev)s, %(slug)s, %(year)d, %(month).2d, %(day).2d, %(hour).2d, "
	            "%(minute).2d, %(second).2d and %(epoch)d.");
	assert_load_error("file_template: \"%(rev)s_%(month)02d\"\n", 1,
	                  "unknown token '%(month)02d' in 'file_template'");
	assert_load_error("file_template: \"%(rev)s_%(month)d\"\n", 1,
	                  "unknown token '%(month)d' in 'file_template'");
	assert_load_error("file_template: \"%(rev)s_%(oops\"\n", 1,
	                  "unknown token '%(oops' in 'file_template'");
	assert_load_error("\nfile_template: \"%(slug)s\"\n", 2, "'file_template' must contain %(rev)s");
	assert_hint("The revision id keeps file names unique, as in the default %(rev)s_%(slug)s.");
	/* %(rev)s must be a whole '_'-separated part, or every file made so is refused */
	load_ok("file_template: \"%(slug)s_%(rev)s\"\n");
	load_ok("file_template: \"%(rev)s\"\n");
	load_ok("file_template: \"%(rev)s-%(slug)s_%(rev)s_x\"\n");
	assert_load_error("file_template: \"%(rev)s-%(slug)s\"\n", 1,
	                  "'file_template' must have %(rev)s as a whole '_'-separated part, not "
	                  "'%(rev)s-%(slug)s'");
	assert_hint("A revision file's name must hold its id between '_' or at either end of the name, "
	            "as in the default %(rev)s_%(slug)s or in %(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s.");
	assert_load_error("file_template: \"%(year)d%(rev)s\"\n", 1,
	                  "'file_template' must have %(rev)s as a whole '_'-separated part, not "
	                  "'%(year)d%(rev)s'");
	assert_load_error("file_template: \"%(rev)s.sql\"\n", 1,
	                  "'file_template' must have %(rev)s as a whole '_'-separated part, not "
	                  "'%(rev)s.sql'");
	assert_load_error("file_template: \"%(rev)d\"\n", 1,
	                  "unknown token '%(rev)d' in 'file_template'");
	assert_load_error("file_template: \"sub/%(rev)s\"\n", 1, "'file_template' must not contain '/'");
	assert_hint("New revisions go straight into the versions directory; list other directories "
	            "in 'version_locations'.");
	assert_load_error("file_template: ''\n", 1, "'file_template' must not be empty");
}
END_TEST

START_TEST(variable_names)
{
	load_ok("variables:\n  _x: 1\n  Abc_9: 2\n");
	ck_assert_str_eq(rt_config_var(cfg, "_x"), "1");
	ck_assert_str_eq(rt_config_var(cfg, "Abc_9"), "2");
	assert_load_error("variables:\n  ok: 1\n  1abc: 2\n", 3, "invalid variable name '1abc'");
	assert_hint("Variable names start with a letter or '_' and hold only letters, digits and '_'.");
	assert_load_error("variables:\n  a-b: 2\n", 2, "invalid variable name 'a-b'");
	assert_load_error("variables:\n  \"\": 2\n", 2, "invalid variable name ''");
	assert_load_error("variables:\n  'a b': 2\n", 2, "invalid variable name 'a b'");
}
END_TEST

/* ---- structure ------------------------------------------------------------------------- */

START_TEST(root_must_be_a_mapping)
{
	assert_load_error("- a\n- b\n", 1, "the config must be a mapping of keys to values");
	assert_load_error("just some text\n", 1, "the config must be a mapping of keys to values");
	assert_load_error("# comment\n\n[1, 2]\n", 3, "the config must be a mapping of keys to values");
}
END_TEST

START_TEST(invalid_yaml)
{
	char want[PATH_MAX + 32];

	ck_assert_int_eq(load("version_table: x\nvariables: [\n"), RT_EINPUT);
	ck_assert_ptr_null(cfg);
	snprintf(want, sizeof(want), "%s:", cfgpath);
	ck_assert_error_contains(want);
	ck_assert_error_contains("invalid YAML");
	ck_assert_str_eq(rt_error_last()->file, cfgpath);

	ck_assert_int_eq(load("a: &x 1\nb: *x\n"), RT_EINPUT);
	ck_assert_error_contains("aliases");
	ck_assert_int_eq(load("version_table: a\n---\nversion_table: b\n"), RT_EINPUT);
	ck_assert_error_contains("only one YAML document");
}
END_TEST

START_TEST(duplicate_keys)
{
	assert_load_error("version_table: a\nlock_wait: 1s\nversion_table: b\n", 3,
	                  "duplicate key 'version_table' (first at line 1)");
	assert_load_error("postgresql:\n  lock_retries: 1\n  lock_retries: 2\n", 3,
	                  "duplicate key 'lock_retries' (first at line 2)");
	assert_load_error("environments:\n  prod: {}\n  prod: {}\n", 3,
	                  "duplicate key 'prod' (first at line 2)");
}
END_TEST

struct type_case {
	const char *yaml;
	int line;
	const char *message;
};

START_TEST(wrong_types)
{
	static const struct type_case cases[] = {
		{ "version_table: [a]\n", 1, "'version_table' must be a string, not a list" },
		{ "script_location:\n  a: b\n", 2, "'script_location' must be a string, not a mapping" },
		{ "file_template: [x]\n", 1, "'file_template' must be a string, not a list" },
		{ "history_table: {}\n", 1, "'history_table' must be a string, not a mapping" },
		{ "version_table_schema: []\n", 1, "'version_table_schema' must be a string, not a list" },
		{ "transaction: [all]\n", 1, "'transaction' must be a string, not a list" },
		{ "version_locations: versions\n", 1, "'version_locations' must be a list, not a string" },
		{ "version_locations:\n  - a\n  - [b]\n", 3,
		  "each entry of 'version_locations' must be a string, not a list" },
		{ "version_locations:\n  - a\n  - ''\n", 3, "an entry of 'version_locations' is empty" },
		{ "version_locations:\n  -\n", 2, "an entry of 'version_locations' is empty" },
		{ "database: sqlite:///x.db\n", 1, "'database' must be a mapping, not a string" },
		{ "database:\n  url: [a]\n", 2, "'url' in 'database' must be a string, not a list" },
		{ "database:\n  url: ''\n", 2, "'url' in 'database' must not be empty" },
		{ "script_location: \"\"\n", 1, "'script_location' must not be empty" },
		{ "variables: [a]\n", 1, "'variables' must be a mapping, not a list" },
		{ "variables:\n  a: [1]\n", 2, "'a' in 'variables' must be a string, not a list" },
		{ "variables:\n  a:\n    b: c\n", 3, "'a' in 'variables' must be a string, not a mapping" },
		{ "sqlite: 5s\n", 1, "'sqlite' must be a mapping, not a string" },
		{ "sqlite:\n  busy_timeout: [1]\n", 2, "'busy_timeout' in 'sqlite' must be a duration, not a list" },
		{ "postgresql: []\n", 1, "'postgresql' must be a mapping, not a list" },
		{ "postgresql:\n  lock_retries: {a: 1}\n", 2,
		  "'lock_retries' in 'postgresql' must be a whole number, not a mapping" },
		{ "lock_wait: {}\n", 1, "'lock_wait' must be a duration, not a mapping" },
		{ "environments: [a]\n", 1, "'environments' must be a mapping, not a list" },
		{ "environments:\n  prod: x\n", 2, "'prod' in 'environments' must be a mapping, not a string" },
		{ "environments:\n  prod:\n    version_table: [x]\n", 3,
		  "'version_table' in environment 'prod' must be a string, not a list" },
		{ "environments:\n  prod:\n    database:\n      url: {}\n", 4,
		  "'url' in 'database' must be a string, not a mapping" },
		{ "environments:\n  \"\": {}\n", 2, "an environment name must not be empty" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_load_error(cases[i].yaml, cases[i].line, cases[i].message);
}
END_TEST

START_TEST(unknown_keys)
{
	assert_load_error("version_table: a\nfoo: 1\n", 2, "unknown key 'foo'");
	assert_hint("The allowed keys are: database, environments, file_template, history_table, "
	            "lock_wait, postgresql, script_location, sqlite, transaction, variables, "
	            "version_locations, version_table, version_table_schema.");
	assert_load_error("foo:\n", 1, "unknown key 'foo'");
	assert_load_error("url: sqlite:///x.db\n", 1, "unknown key 'url'");
	assert_hint("The allowed keys are: database, environments, file_template, history_table, "
	            "lock_wait, postgresql, script_location, sqlite, transaction, variables, "
	            "version_locations, version_table, version_table_schema.");
	assert_load_error("version_tabel: x\n", 1, "unknown key 'version_tabel'");
	assert_hint("Did you mean 'version_table'?");
	assert_load_error("scriptlocation: x\n", 1, "unknown key 'scriptlocation'");
	assert_hint("Did you mean 'script_location'?");
	assert_load_error("Database:\n  url: x\n", 1, "unknown key 'Database'");
	assert_hint("Did you mean 'database'?");

	assert_load_error("postgresql:\n  lock_timout: 1s\n", 2, "unknown key 'lock_timout' in 'postgresql'");
	assert_hint("Did you mean 'lock_timeout'?");
	assert_load_error("postgresql:\n  foo: 1\n", 2, "unknown key 'foo' in 'postgresql'");
	assert_hint("The allowed keys are: concurrent_timeout, lock_retries, lock_timeout, statement_timeout.");
	assert_load_error("sqlite:\n  timeout: 1s\n", 2, "unknown key 'timeout' in 'sqlite'");
	assert_hint("The only allowed key is busy_timeout.");
	assert_load_error("database:\n  uri: x\n", 2, "unknown key 'uri' in 'database'");
	assert_hint("Did you mean 'url'?");
	assert_load_error("database:\n  url: x\n  password: y\n", 3, "unknown key 'password' in 'database'");
	assert_hint("The only allowed key is url.");

	assert_load_error("environments:\n  prod:\n    version_tabel: x\n", 3,
	                  "unknown key 'version_tabel' in environment 'prod'");
	assert_hint("Did you mean 'version_table'?");
	assert_load_error("environments:\n  prod:\n    zzz: 1\n", 3, "unknown key 'zzz' in environment 'prod'");
	assert_hint("The allowed keys are: database, file_template, history_table, lock_wait, postgresql, "
	            "script_location, sqlite, transaction, variables, version_locations, version_table, "
	            "version_table_schema.");
	assert_load_error("environments:\n  prod:\n    environments: {}\n", 3,
	                  "unknown key 'environments' in environment 'prod'");
	assert_hint("Environments cannot be nested.");
	assert_load_error("environments:\n  prod:\n    sqlite:\n      busy: 1\n", 4,
	                  "unknown key 'busy' in 'sqlite'");
}
END_TEST

/* ---- environments ---------------------------------------------------------------------- */

static const char envs_yaml[] =
	"version_table: top_version\n"
	"lock_wait: 10s\n"
	"transaction: all\n"
	"variables:\n"
	"  a: top-a\n"
	"  b: top-b\n"
	"database:\n"
	"  url: sqlite:///top.db\n"
	"postgresql:\n"
	"  lock_timeout: 1s\n"
	"  lock_retries: 2\n"
	"environments:\n"
	"  dev:\n"
	"  staging:\n"
	"    database:\n"
	"      url: sqlite:///staging.db\n"
	"    variables:\n"
	"      b: staging-b\n"
	"      c: staging-c\n"
	"    postgresql:\n"
	"      lock_retries: 9\n"
	"    script_location: other\n"
	"    version_locations: [more]\n"
	"    history_table: staging_history\n"
	"    transaction: per-revision\n";

START_TEST(environments_listed_not_selected)
{
	load_ok(envs_yaml);
	ck_assert_ptr_null(cfg->environment);
	ck_assert_uint_eq(cfg->environments.n, 2);
	ck_assert_str_eq(cfg->environments.items[0], "dev");
	ck_assert_str_eq(cfg->environments.items[1], "staging");
	ck_assert_str_eq(cfg->url, "sqlite:///top.db");
	ck_assert_str_eq(cfg->url_source, "config");
	ck_assert_str_eq(cfg->history_table, "top_version_history");
	ck_assert_uint_eq(cfg->nvars, 2);
	ck_assert_str_eq(rt_config_var(cfg, "b"), "top-b");
	ck_assert_int_eq(cfg->postgresql.lock_retries, 2);
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
}
END_TEST

START_TEST(environment_overrides)
{
	struct rt_config_options o = { 0 };

	o.environment = "staging";
	ck_assert_int_eq(load_with(envs_yaml, o), 0);
	ck_assert_str_eq(cfg->environment, "staging");
	ck_assert_str_eq(cfg->url, "sqlite:///staging.db");
	ck_assert_str_eq(cfg->url_source, "environment staging");
	ck_assert_str_eq(cfg->url_dir, tmp);
	ck_assert_str_eq(cfg->version_table, "top_version");
	ck_assert_str_eq(cfg->history_table, "staging_history");
	ck_assert_int_eq(cfg->lock_wait_ms, 10000);
	ck_assert_int_eq(cfg->transaction, RT_TXN_PER_REVISION);
	ck_assert_int_eq(cfg->postgresql.lock_timeout_ms, 1000);
	ck_assert_int_eq(cfg->postgresql.lock_retries, 9);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 0);
	ck_assert_str_eq(cfg->script_location, tpath("other"));
	ck_assert_uint_eq(cfg->version_locations.n, 2);
	ck_assert_str_eq(cfg->version_locations.items[0], tpath("other/versions"));
	ck_assert_str_eq(cfg->version_locations.items[1], tpath("more"));
	ck_assert_uint_eq(cfg->nvars, 3);
	ck_assert_str_eq(cfg->vars[0].name, "a");
	ck_assert_str_eq(cfg->vars[0].value, "top-a");
	ck_assert_str_eq(cfg->vars[1].name, "b");
	ck_assert_str_eq(cfg->vars[1].value, "staging-b");
	ck_assert_str_eq(cfg->vars[2].name, "c");
	ck_assert_str_eq(cfg->vars[2].value, "staging-c");

	/* an environment without settings takes the top level's */
	o.environment = "dev";
	ck_assert_int_eq(load_with(envs_yaml, o), 0);
	ck_assert_str_eq(cfg->environment, "dev");
	ck_assert_str_eq(cfg->url, "sqlite:///top.db");
	ck_assert_str_eq(cfg->url_source, "config");
	ck_assert_str_eq(cfg->history_table, "top_version_history");
	ck_assert_int_eq(cfg->postgresql.lock_retries, 2);
}
END_TEST

START_TEST(environment_version_table_sets_history_default)
{
	struct rt_config_options o = { 0 };

	o.environment = "e";
	ck_assert_int_eq(load_with("environments:\n  e:\n    version_table: ev\n", o), 0);
	ck_assert_str_eq(cfg->version_table, "ev");
	ck_assert_str_eq(cfg->history_table, "ev_history");
}
END_TEST

START_TEST(unknown_environment)
{
	struct rt_config_options o = { 0 };

	o.environment = "prod";
	ck_assert_int_eq(load_with(envs_yaml, o), RT_EINPUT);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(rt_error_last()->message, "unknown environment 'prod'");
	assert_hint("The config defines: dev, staging.");

	ck_assert_int_eq(load_with("version_table: x\n", o), RT_EINPUT);
	ck_assert_str_eq(rt_error_last()->message, "unknown environment 'prod'");
	assert_hint("The config defines no environments.");

	ck_assert_int_eq(load_with("environments:\n  only: {}\n", o), RT_EINPUT);
	assert_hint("The config defines: only.");

	ck_assert_int_eq(load_with("", o), RT_EINPUT);
	assert_hint("The config defines no environments.");
}
END_TEST

START_TEST(unselected_environments_are_validated)
{
	struct rt_config_options o = { 0 };

	o.environment = "a";
	ck_assert_int_eq(load_with("environments:\n  a: {}\n  b:\n    lock_wait: soon\n", o), RT_EINPUT);
	assert_located(cfgpath, 4, "invalid duration 'soon' for 'lock_wait' in environment 'b'");
}
END_TEST

/* ---- database URL ---------------------------------------------------------------------- */

static const char url_yaml[] =
	"database:\n"
	"  url: sqlite:///top.db\n"
	"environments:\n"
	"  e:\n"
	"    database:\n"
	"      url: sqlite:///env.db\n";

static void assert_url(const char *url, const char *source, const char *dir)
{
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->url, url);
	ck_assert_str_eq(cfg->url_source, source);
	ck_assert_str_eq(cfg->url_dir, dir);
}

START_TEST(url_precedence)
{
	struct rt_config_options o = { 0 };
	char cwd[PATH_MAX];

	write_file("proj/retort.yaml", url_yaml);
	go_to("work");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	o.path = tpath("proj/retort.yaml");
	o.environment = "e";
	o.url = "sqlite:///flag.db";
	setenv("RETORT_DATABASE_URL", "sqlite:///retort-env.db", 1);
	setenv("DATABASE_URL", "sqlite:///env-var.db", 1);

	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///flag.db", "--url", cwd);

	o.url = NULL;
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///retort-env.db", "RETORT_DATABASE_URL", cwd);

	setenv("RETORT_DATABASE_URL", "", 1); /* empty counts as unset */
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///env-var.db", "DATABASE_URL", cwd);

	unsetenv("RETORT_DATABASE_URL");
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///env-var.db", "DATABASE_URL", cwd);

	setenv("DATABASE_URL", "", 1);
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///env.db", "environment e", tpath("proj"));

	unsetenv("DATABASE_URL");
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///env.db", "environment e", tpath("proj"));

	o.environment = NULL;
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("sqlite:///top.db", "config", tpath("proj"));

	/* --url beats the file even with no environment variables */
	o.url = "postgresql://app@db/app";
	ck_assert_int_eq(load_with(NULL, o), 0);
	assert_url("postgresql://app@db/app", "--url", cwd);
}
END_TEST

START_TEST(no_url_anywhere)
{
	char cwd[PATH_MAX];

	go_to("elsewhere");
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	load_ok("version_table: v\n");
	ck_assert_ptr_null(cfg->url);
	ck_assert_ptr_null(cfg->url_source);
	ck_assert_str_eq(cfg->url_dir, cwd);
}
END_TEST

START_TEST(url_password_is_a_secret)
{
	char *m;

	load_ok("database:\n  url: postgresql://app:hunter2@db/app\n");
	ck_assert_str_eq(cfg->url, "postgresql://app:hunter2@db/app");
	m = rt_mask(cfg->url);
	ck_assert_str_eq(m, "postgresql://app:****@db/app");
	free(m);
	/* the error slot keeps what it is given: the URL is shown through rt_url_masked() */
	m = rt_url_masked(cfg->url);
	rt_error_set(RT_EDB, "cannot connect to '%s': %s", m, "the server said no");
	ck_assert_str_eq(rt_error_last()->message,
	                 "cannot connect to 'postgresql://app:****@db/app': the server said no");
	free(m);
}
END_TEST

START_TEST(url_password_from_environment_variable_is_a_secret)
{
	char *m;

	setenv("DATABASE_URL", "host=db dbname=app password='s3 cret'", 1);
	load_ok("");
	ck_assert_str_eq(cfg->url_source, "DATABASE_URL");
	m = rt_mask("password s3 cret");
	ck_assert_str_eq(m, "password ****");
	free(m);
}
END_TEST

/* Errors found while loading never show the password of the URL, even when the bad value
 * comes before the URL in the file. */
START_TEST(errors_never_show_the_password)
{
	struct rt_config_options o = { 0 };
	enum rt_dialect d;
	const char *bad[] = { "hunter2" };

	assert_load_error("lock_wait: postgresql://app:hunter2@db/app\n"
	                  "database:\n"
	                  "  url: postgresql://app:hunter2@db/app\n",
	                  1, "invalid duration 'postgresql://app:****@db/app' for 'lock_wait'");
	ck_assert_ptr_null(strstr(rt_error_last()->message, "hunter2"));
	rt_secrets_clear();
	assert_load_error("database:\n  url: postgresql://app:hunter2@db/app\nfile_template: '%(hunter2)s_%(rev)s'\n",
	                  3, "unknown token '%(****)s' in 'file_template'");
	rt_secrets_clear();

	/* keys and names of the file are quoted masked too (the fuzzer's find) */
	assert_load_error("database:\n  url: postgresql://app:hunter2@db/app\nhunter2: 1\n", 3,
	                  "unknown key '****'");
	rt_secrets_clear();
	assert_load_error("database:\n  url: postgresql://app:hunter2@db/app\nvariables:\n  hunter2-x: 1\n",
	                  4, "invalid variable name '****-x'");
	rt_secrets_clear();
	assert_load_error("database:\n  url: postgresql://app:hunter2@db/app\nenvironments:\n  hunter2:\n"
	                  "    lock_wait: never\n", 5, "invalid duration 'never' for 'lock_wait' in environment '****'");
	rt_secrets_clear();

	o.environment = "prod";
	ck_assert_int_eq(load_with("transaction: 'pw=hunter2'\n"
	                           "environments:\n"
	                           "  prod:\n"
	                           "    database:\n"
	                           "      url: \"host=db password=hunter2\"\n", o),
	                 RT_EINPUT);
	assert_located(cfgpath, 1, "'transaction' must be 'per-revision' or 'all', not 'pw=****'");
	rt_secrets_clear();

	setenv("RETORT_DATABASE_URL", "postgresql://app:hunter2@db/app", 1);
	o.environment = NULL;
	o.vars = bad;
	o.nvars = 1;
	ck_assert_int_eq(load_with("", o), RT_EUSAGE);
	ck_assert_str_eq(rt_error_last()->message, "invalid -x '****': expected NAME=VALUE");
	rt_secrets_clear();

	o.vars = NULL;
	o.nvars = 0;
	setenv("RETORT_DATABASE_URL", "mysql://app:hunter2@db/app", 1);
	ck_assert_int_eq(load_with("", o), RT_EINPUT); /* an unusable URL fails the load... */
	ck_assert_str_eq(rt_error_last()->message, "unsupported database URL 'mysql://app:****@db/app'");
	ck_assert_str_eq(rt_error_last()->detail, "It comes from $RETORT_DATABASE_URL, which overrides the config.");
	(void)d;
}
END_TEST

/* ---- -x NAME=VALUE --------------------------------------------------------------------- */

START_TEST(cli_variables)
{
	const char *vars[] = { "b=20", "c=30", "c=31", "d=", "e=x=y", "_=under" };
	struct rt_config_options o = { 0 };

	o.vars = vars;
	o.nvars = 6;
	ck_assert_int_eq(load_with("variables:\n  a: 1\n  b: 2\n", o), 0);
	ck_assert_uint_eq(cfg->nvars, 6);
	ck_assert_str_eq(cfg->vars[0].name, "a");
	ck_assert_str_eq(cfg->vars[0].value, "1");
	ck_assert_str_eq(cfg->vars[1].name, "b");
	ck_assert_str_eq(cfg->vars[1].value, "20");
	ck_assert_str_eq(cfg->vars[2].name, "c");
	ck_assert_str_eq(cfg->vars[2].value, "31");
	ck_assert_str_eq(cfg->vars[3].name, "d");
	ck_assert_str_eq(cfg->vars[3].value, "");
	ck_assert_str_eq(cfg->vars[4].name, "e");
	ck_assert_str_eq(cfg->vars[4].value, "x=y");
	ck_assert_str_eq(rt_config_var(cfg, "_"), "under");
	ck_assert_ptr_null(rt_config_var(cfg, "f"));
}
END_TEST

START_TEST(cli_variables_override_environment)
{
	const char *vars[] = { "b=cli" };
	struct rt_config_options o = { 0 };

	o.vars = vars;
	o.nvars = 1;
	o.environment = "staging";
	ck_assert_int_eq(load_with(envs_yaml, o), 0);
	ck_assert_str_eq(rt_config_var(cfg, "a"), "top-a");
	ck_assert_str_eq(rt_config_var(cfg, "b"), "cli");
	ck_assert_str_eq(rt_config_var(cfg, "c"), "staging-c");
}
END_TEST

START_TEST(cli_variables_malformed)
{
	static const char *const bad[] = { "foo", "=x", "1a=b", "a-b=c", "", "a b=c" };
	struct rt_config_options o = { 0 };
	const char *vars[2] = { "ok=1", NULL };
	char want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vars[1] = bad[i];
		o.vars = vars;
		o.nvars = 2;
		ck_assert_int_eq(load_with("", o), RT_EUSAGE);
		ck_assert_ptr_null(cfg);
		snprintf(want, sizeof(want), "invalid -x '%s': expected NAME=VALUE", bad[i]);
		ck_assert_str_eq(rt_error_last()->message, want);
		assert_hint("Variable names start with a letter or '_' and hold only letters, digits "
		            "and '_'.");
	}
	/* a usage error comes before a missing file */
	o.path = tpath("missing.yaml");
	ck_assert_int_eq(load_with(NULL, o), RT_EUSAGE);
}
END_TEST

START_TEST(free_null)
{
	rt_config_free(NULL);
}
END_TEST

/* ---- the key table and the README ------------------------------------------------------ */

/* The rows of the first table after "## Configuration" in README.md: "| `key` | default |
 * meaning |", split into the three cells (the cells hold no '|'). Returns how many. */
static size_t readme_config_rows(char rows[][3][512], size_t max)
{
	const char *dir = getenv("RETORT_TESTS_DIR");
	char path[PATH_MAX], line[2048];
	size_t n = 0;
	int in_section = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/../README.md", dir ? dir : "tests");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		char *cell = line, *bar;
		size_t c = 0;

		if (strncmp(line, "## ", 3) == 0) {
			if (in_section)
				break;
			in_section = strcmp(line, "## Configuration\n") == 0;
			continue;
		}
		if (!in_section || strncmp(line, "| `", 3) != 0)
			continue;
		ck_assert_uint_lt(n, max);
		for (cell = line + 2; c < 3 && (bar = strstr(cell, " |")); cell = bar + 3, c++)
			snprintf(rows[n][c], sizeof(rows[n][c]), "%.*s", (int)(bar - cell), cell);
		ck_assert_msg(c == 3, "README row %zu has %zu cells: %s", n + 1, c, line);
		n++;
	}
	fclose(f);
	return n;
}

/* The README's configuration table lists exactly the keys of config_keys.c, in its order,
 * with its defaults, and each meaning starts with the key's doc line. */
START_TEST(readme_lists_the_key_table)
{
	static char rows[64][3][512];
	size_t nkeys, nrows = readme_config_rows(rows, 64);
	const struct rt_config_key *keys = rt_config_keys(&nkeys);

	ck_assert_uint_eq(nkeys, RT_CONFIG_NKEYS);
	for (size_t i = 0; i < nkeys || i < nrows; i++) {
		char name[128];

		ck_assert_msg(i < nrows, "README lacks key %zu, %s%s%s", i + 1, keys[i].section ? keys[i].section : "",
		              keys[i].section ? "." : "", keys[i].name);
		ck_assert_msg(i < nkeys, "README lists %s, which is not in the key table", rows[i][0]);
		snprintf(name, sizeof(name), "`%s%s%s`", keys[i].section ? keys[i].section : "",
		         keys[i].section ? "." : "", keys[i].name);
		ck_assert_str_eq(rows[i][0], name);
		ck_assert_str_eq(rows[i][1], keys[i].dflt_doc);
		ck_assert_msg(strncmp(rows[i][2], keys[i].doc, strlen(keys[i].doc)) == 0,
		              "README's meaning of %s, '%s', does not start with '%s'", name, rows[i][2],
		              keys[i].doc);
	}
}
END_TEST

/* What the table says is what loading gives: every default, and every key read from the
 * top level and overridden by an environment. */
START_TEST(key_table_drives_defaults_and_overrides)
{
	size_t nkeys;
	const struct rt_config_key *keys = rt_config_keys(&nkeys);

	ck_assert_int_eq(load(""), 0);
	for (size_t i = 0; i < nkeys; i++) {
		const char *field = (const char *)cfg + keys[i].offset;

		if (keys[i].offset == RT_CONF_NO_FIELD)
			continue;
		if (keys[i].type == RT_CONF_DURATION)
			ck_assert_int_eq(*(const long *)field, keys[i].dflt_num);
		else if (keys[i].type == RT_CONF_COUNT || keys[i].type == RT_CONF_CHOICE)
			ck_assert_int_eq(*(const int *)field, keys[i].dflt_num);
		else if (keys[i].type != RT_CONF_DIR && keys[i].dflt)
			ck_assert_str_eq(*(char *const *)field, keys[i].dflt);
	}
	ck_assert_str_eq(cfg->script_location, tmp); /* "." of the config's directory */
	ck_assert_str_eq(cfg->history_table, "retort_version_history");
	ck_assert_ptr_null(cfg->version_table_schema);

	ck_assert_int_eq(load("lock_wait: 1s\nsqlite:\n  busy_timeout: 2s\n"
	                      "postgresql:\n  lock_retries: 7\n  statement_timeout: 3s\n"
	                      "transaction: all\nenvironments:\n  e:\n    lock_wait: 4s\n"
	                      "    postgresql:\n      lock_retries: 9\n"), 0);
	ck_assert_int_eq(cfg->lock_wait_ms, 1000);
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 2000);
	ck_assert_int_eq(cfg->postgresql.lock_retries, 7);
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 3000);
	ck_assert_int_eq(cfg->transaction, RT_TXN_ALL);
	{
		struct rt_config_options o = { 0 };
		o.environment = "e";
		ck_assert_int_eq(load_with(NULL, o), 0);
	}
	ck_assert_int_eq(cfg->lock_wait_ms, 4000);                   /* the environment's */
	ck_assert_int_eq(cfg->postgresql.lock_retries, 9);           /* the environment's */
	ck_assert_int_eq(cfg->postgresql.statement_timeout_ms, 3000); /* the top level's */
	ck_assert_int_eq(cfg->sqlite.busy_timeout_ms, 2000);         /* the top level's */
}
END_TEST

/* ---- memory ---------------------------------------------------------------------------- */

/* Every allocation failure while loading ends in RT_ENOMEM with nothing leaked; run under
 * valgrind or ASan to see the leaks. */
static int load_attempt(void *opts)
{
	int rc = load_with(NULL, *(struct rt_config_options *)opts);

	if (rc == RT_ENOMEM)
		ck_assert_ptr_null(cfg);
	return rc;
}

static void load_until_success(const char *yaml, struct rt_config_options o, int want)
{
	int rc;

	write_file("retort.yaml", yaml);
	rc = unit_oom_loop("rt_config_load", load_attempt, &o, 10, 5000);
	ck_assert_msg(rc == want, "rc %d, not %d: %s", rc, want, rt_error_last()->message);
}

START_TEST(out_of_memory)
{
	const char *vars[] = { "b=x", "z=1" };
	struct rt_config_options o = { 0 };

	o.environment = "staging";
	o.vars = vars;
	o.nvars = 2;
	load_until_success(envs_yaml, o, 0);
	ck_assert_str_eq(rt_config_var(cfg, "b"), "x");

	o.environment = "prod";
	load_until_success(envs_yaml, o, RT_EINPUT);
	o.environment = NULL;
	load_until_success("variables:\n  a: 1\nfoo: 1\n", o, RT_EINPUT);
	load_until_success("version_tabel: 1\n", o, RT_EINPUT);
	load_until_success("lock_wait: soon\n", o, RT_EINPUT);
	go_to("empty");
	o.path = NULL;
	load_until_success("", o, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_file_means_defaults);
	tcase_add_test(tc, readme_lists_the_key_table);
	tcase_add_test(tc, key_table_drives_defaults_and_overrides);
	tcase_add_test(tc, comments_only_means_defaults);
	tcase_add_test(tc, nulls_mean_defaults);
	tcase_add_test(tc, default_file_in_current_directory);
	tcase_add_test(tc, missing_default_file);
	tcase_add_test(tc, missing_named_file);
	tcase_add_test(tc, config_is_a_directory);
	tcase_add_test(tc, every_key);
	tcase_add_test(tc, fixture_file);
	tcase_add_test(tc, relative_paths);
	tcase_add_test(tc, absolute_script_location);
	tcase_add_test(tc, scalars_are_text);
	tcase_add_test(tc, history_table_follows_version_table);
	tcase_add_test(tc, table_names);
	tcase_add_test(tc, transaction_modes);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, lock_retries);
	tcase_add_test(tc, file_templates);
	tcase_add_test(tc, variable_names);
	tcase_add_test(tc, root_must_be_a_mapping);
	tcase_add_test(tc, invalid_yaml);
	tcase_add_test(tc, duplicate_keys);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, unknown_keys);
	tcase_add_test(tc, environments_listed_not_selected);
	tcase_add_test(tc, environment_overrides);
	tcase_add_test(tc, environment_version_table_sets_history_default);
	tcase_add_test(tc, unknown_environment);
	tcase_add_test(tc, unselected_environments_are_validated);
	tcase_add_test(tc, url_precedence);
	tcase_add_test(tc, no_url_anywhere);
	tcase_add_test(tc, url_password_is_a_secret);
	tcase_add_test(tc, url_password_from_environment_variable_is_a_secret);
	tcase_add_test(tc, errors_never_show_the_password);
	tcase_add_test(tc, cli_variables);
	tcase_add_test(tc, cli_variables_override_environment);
	tcase_add_test(tc, cli_variables_malformed);
	tcase_add_test(tc, free_null);
	tcase_add_test(tc, out_of_memory);
	suite_add_tcase(s, tc);
	return s;
}

RT_UNIT_MAIN
