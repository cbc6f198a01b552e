/*
 * fuzz_config.c - libFuzzer target for the config loader: the input is written to a
 * retort.yaml on tmpfs and loaded with rt_config_load(), under a fake environment.
 *
 * The options and the environment come from the input's last byte and its length, so
 * every input is reproducible on its own: $RETORT_DATABASE_URL, $DATABASE_URL (with a
 * password), --url, -e (none, an existing name, an unknown one) and -x (good and bad).
 * After a successful load the effective URL goes through the URL helpers.
 *
 * Oracles: the error contract (RT_EINPUT names the config file and a line of it), the
 * URL precedence of the README (--url, $RETORT_DATABASE_URL, $DATABASE_URL, the file),
 * a loaded config that keeps its invariants (absolute paths, versions/ first, table
 * names, a file_template whose %(rev)s is a whole '_'-separated part), no password of the
 * winning URL in any message, and retort's own text never rewritten by masking (the file
 * an error names is the path as given, the message starts with retort's words).
 */
#include "fuzz_common.h"
#include <limits.h>
#include "internal.h"

#define SECRET "s3cretpw"

static char cfg_path[PATH_MAX];

static void setup(void)
{
	snprintf(cfg_path, sizeof(cfg_path), "%s/retort.yaml", fz_scratch_dir());
}

/* Whether message starts with prefix. Messages are never rewritten (no masking of
 * retort's own words), whatever password the input's URL carries, however short. */
static int starts_with(const char *message, const char *prefix)
{
	return strncmp(message, prefix, strlen(prefix)) == 0;
}

/* Whether template holds %(rev)s with '_' or an end of the name on both sides (what the
 * graph's file-name rule needs of every name the template makes). */
static int rev_part(const char *template)
{
	for (const char *p = strstr(template, "%(rev)s"); p; p = strstr(p + 1, "%(rev)s"))
		if ((p == template || p[-1] == '_') && (p[7] == '\0' || p[7] == '_'))
			return 1;
	return 0;
}

static int contains(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

static void check_no_secret(const char *what)
{
	const struct rt_error *e = rt_error_last();

	if (!fz_oracle("secret-leak"))
		return;
	if (contains(e->message, SECRET) || contains(e->detail, SECRET) || contains(e->hint, SECRET) ||
	    contains(e->context, SECRET))
		fz_fail("secret-leak", "%s: the password of the winning URL appears in the error", what);
}

static void check_config(const struct rt_config *cfg, const struct rt_config_options *o,
                         const char *env_retort, const char *env_database)
{
	const char *want_url = NULL, *want_source = NULL;
	char *versions;

	if (!fz_oracle("config-sanity"))
		return;
	if (!cfg->path || cfg->path[0] != '/' || !cfg->dir || cfg->dir[0] != '/')
		fz_fail("config-sanity", "config path or dir is not absolute");
	if (!cfg->script_location || cfg->script_location[0] != '/')
		fz_fail("config-sanity", "script_location '%s' is not absolute",
		        cfg->script_location ? cfg->script_location : "(null)");
	if (cfg->version_locations.n < 1)
		fz_fail("config-sanity", "no version location");
	versions = rt_path_join(cfg->script_location, "versions");
	if (!versions || strcmp(versions, cfg->version_locations.items[0]) != 0)
		fz_fail("config-sanity", "first version location '%s' is not <script_location>/versions",
		        cfg->version_locations.items[0]);
	free(versions);
	for (size_t i = 0; i < cfg->version_locations.n; i++)
		if (cfg->version_locations.items[i][0] != '/')
			fz_fail("config-sanity", "version location '%s' is not absolute",
			        cfg->version_locations.items[i]);
	if (!cfg->version_table || !cfg->version_table[0] || strlen(cfg->version_table) > 63 ||
	    !cfg->history_table || !cfg->history_table[0] || strlen(cfg->history_table) > 63)
		fz_fail("config-sanity", "version or history table name empty or longer than 63 bytes");
	if (!cfg->file_template || !rev_part(cfg->file_template) || strchr(cfg->file_template, '/'))
		fz_fail("config-sanity", "file_template '%s' accepted", cfg->file_template);
	if (cfg->lock_wait_ms < 0 || cfg->sqlite.busy_timeout_ms < 0 ||
	    cfg->postgresql.lock_timeout_ms < 0 || cfg->postgresql.statement_timeout_ms < 0 ||
	    cfg->postgresql.lock_retries < 0)
		fz_fail("config-sanity", "a negative duration or count was accepted");
	if (!cfg->url_dir || cfg->url_dir[0] != '/')
		fz_fail("config-sanity", "url_dir is not absolute");
	for (size_t i = 0; i < cfg->nvars; i++)
		if (!cfg->vars[i].name || !cfg->vars[i].value)
			fz_fail("config-sanity", "a variable without name or value");
	if (o->url)
		want_url = o->url, want_source = "--url";
	else if (env_retort)
		want_url = env_retort, want_source = "RETORT_DATABASE_URL";
	else if (env_database)
		want_url = env_database, want_source = "DATABASE_URL";
	if (want_url && (!cfg->url || strcmp(cfg->url, want_url) != 0 || !cfg->url_source ||
	                 strcmp(cfg->url_source, want_source) != 0))
		fz_fail("config-sanity", "URL precedence: got '%s' from '%s', expected '%s' from '%s'",
		        cfg->url ? cfg->url : "(null)", cfg->url_source ? cfg->url_source : "(null)",
		        want_url, want_source);
	if (!want_url && cfg->url && (!cfg->url_source || (strcmp(cfg->url_source, "config") != 0 &&
	                                                   strncmp(cfg->url_source, "environment ", 12) != 0)))
		fz_fail("config-sanity", "a URL from the file has source '%s'",
		        cfg->url_source ? cfg->url_source : "(null)");
	if (o->environment && (!cfg->environment || strcmp(cfg->environment, o->environment) != 0))
		fz_fail("config-sanity", "environment '%s' selected but cfg says '%s'", o->environment,
		        cfg->environment ? cfg->environment : "(null)");
}

static void exercise_url(const struct rt_config *cfg, int secret_wins)
{
	enum rt_dialect d;
	char *masked, *path = NULL;
	int rc;

	if (!cfg->url)
		return;
	rc = rt_url_dialect(cfg->url, &d);
	fz_check_error(rc, "rt_url_dialect", NULL, 0, 0);
	masked = rt_url_masked(cfg->url);
	if (masked && secret_wins && strstr(masked, SECRET) && fz_oracle("secret-leak"))
		fz_fail("secret-leak", "rt_url_masked('%s') kept the password", cfg->url);
	free(masked);
	rc = rt_sqlite_url_path(cfg->url, cfg->url_dir, &path);
	fz_check_error(rc, "rt_sqlite_url_path", NULL, 0, 0);
	if (rc == 0)
		free(path);
	rt_error_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const good_vars[] = { "app_role=app_rw", "schema=public" };
	static const char *const bad_vars[] = { "app_role=x", "not a name=1" };
	static const char *const envs[] = { NULL, "test", "production", "nosuch" };
	struct rt_config_options o;
	struct rt_config *cfg = NULL;
	unsigned sel = (size ? data[size - 1] : 0) ^ (unsigned)(size * 7);
	const char *env_retort = NULL, *env_database = NULL;
	int rc;

	if (!cfg_path[0])
		setup();
	fz_note_input(data, size);
	fz_write_file(cfg_path, data, size);

	memset(&o, 0, sizeof(o));
	o.path = cfg_path;
	if (sel & 1)
		o.url = "sqlite:///cli.db";
	if (sel & 2)
		env_retort = "sqlite:///from-env.db";
	if (sel & 4)
		env_database = "postgresql://app:" SECRET "@db.example/app";
	o.environment = envs[(sel >> 3) & 3];
	if (sel & 32) {
		o.vars = (sel & 192) == 192 ? bad_vars : good_vars; /* bad: a usage error, rarely */
		o.nvars = 2;
	}
	if (env_retort)
		setenv("RETORT_DATABASE_URL", env_retort, 1);
	else
		unsetenv("RETORT_DATABASE_URL");
	if (env_database)
		setenv("DATABASE_URL", env_database, 1);
	else
		unsetenv("DATABASE_URL");

	rc = rt_config_load(&cfg, &o);
	if (rc < 0) {
		const struct rt_error *e = rt_error_last();
		int located = rc == RT_EINPUT && !starts_with(e->message, "unknown environment") &&
		              !starts_with(e->message, "refusing to use");
		fz_check_error(rc, "rt_config_load", located ? cfg_path : NULL, 1, fz_lines(data, size));
		if (env_database && !o.url && !env_retort)
			check_no_secret("rt_config_load");
		if (cfg)
			fz_fail("config-sanity", "failure left *out set");
	} else {
		check_config(cfg, &o, env_retort, env_database);
		exercise_url(cfg, env_database && !o.url && !env_retort);
	}
	rt_config_free(cfg);
	rt_secrets_clear();
	rt_error_clear();
	return 0;
}
