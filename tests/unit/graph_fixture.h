/*
 * graph_fixture.h - builds revision graphs on disk for the graph, target and plan suites:
 * a fresh temporary project per test, revision files written from a compact
 * description, and a hand-built config pointing at them.
 */
#ifndef RETORT_GRAPH_FIXTURE_H
#define RETORT_GRAPH_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "retort.h"

static char fx_dir[256];
static char fx_versions[300];
static struct rt_config fx_cfg;
static char *fx_locations[1];

static void fx_setup(void)
{
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/retort-unit-XXXXXX");
	if (!mkdtemp(fx_dir))
		abort();
	snprintf(fx_versions, sizeof(fx_versions), "%s/versions", fx_dir);
	mkdir(fx_versions, 0755);
	memset(&fx_cfg, 0, sizeof(fx_cfg));
	fx_locations[0] = fx_versions;
	fx_cfg.script_location = fx_dir;
	fx_cfg.dir = fx_dir;
	fx_cfg.version_locations.items = fx_locations;
	fx_cfg.version_locations.n = 1;
	fx_cfg.version_table = "retort_version";
	fx_cfg.history_table = "retort_version_history";
	fx_cfg.transaction = RT_TXN_PER_REVISION;
}

static void fx_teardown(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx_dir);
	if (system(cmd) != 0)
		abort();
	rt_error_clear();
}

/* Writes versions/<id>_r.sql. down: "null", "a" or "[a, b]"; extra: more header lines
 * (may be ""); body: the sections (NULL: an upgrade and a downgrade creating table t_<id>). */
static void fx_rev_body(const char *id, const char *down, const char *extra, const char *body)
{
	char path[600];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s_r.sql", fx_versions, id);
	f = fopen(path, "w");
	if (!f)
		abort();
	fprintf(f, "/*\nrevision: %s\ndown_revision: %s\n%s%smessage: rev %s\n*/\n", id, down, extra,
	        *extra ? "\n" : "", id);
	if (body)
		fputs(body, f);
	else
		fprintf(f, "-- retort:upgrade\nCREATE TABLE t_%s (id integer);\n-- retort:downgrade\nDROP TABLE t_%s;\n",
		        id, id);
	fclose(f);
}

static void fx_rev(const char *id, const char *down, const char *extra)
{
	fx_rev_body(id, down, extra, NULL);
}

static struct rt_graph *fx_load(void)
{
	struct rt_graph *g = NULL;
	if (rt_graph_load(&g, &fx_cfg, RT_DIALECT_SQLITE) != 0)
		return NULL;
	return g;
}

/* Comma-separated ids of a revision list, in a static buffer. */
static const char *fx_ids(const struct rt_revlist *l)
{
	static char buf[4096];
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->n && off < sizeof(buf) - 40; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "", l->items[i]->id);
	return buf;
}

/* State from a comma-separated list of heads ("" for base). */
static int fx_state(struct rt_state *st, const struct rt_graph *g, const char *heads)
{
	char copy[1024], *save = NULL, *tok;
	const char *list[64];
	size_t n = 0;
	snprintf(copy, sizeof(copy), "%s", heads);
	for (tok = strtok_r(copy, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save))
		list[n++] = tok;
	return rt_state_from_heads(st, g, list, n);
}

#endif
