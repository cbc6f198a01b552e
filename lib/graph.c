/*
 * graph.c - loads the revision graph and validates it.
 *
 * rt_graph_load() reads only the YAML header of every *.sql file in the version
 * locations (bodies are parsed later, when a command needs them), indexes revisions by
 * id and branch label, links parents, children and depends_on edges, finds heads and
 * bases, propagates branch labels, and records every problem it finds (unreadable
 * headers, duplicate ids, missing parents, cycles, ...) in g->problems instead of
 * stopping at the first, so `retort check` can list them all.
 *
 * A head is a revision without children. As in Alembic, depends_on does not end a
 * branch: a revision others depend on stays a head of its own stream. The version table
 * is stricter: it stores the applied revisions nothing applied descends from through
 * either kind of edge (see plan.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"
#include "target.h"

static struct rt_graph_priv *priv(const struct rt_graph *g)
{
	return g->priv;
}

struct rt_revision *rt_graph_get(const struct rt_graph *g, const char *id)
{
	return rt_map_get(&priv(g)->by_id, id);
}

struct rt_revision *rt_graph_get_label(const struct rt_graph *g, const char *label)
{
	return rt_map_get(&priv(g)->by_label, label);
}

void rt_graph_free(struct rt_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		rt_revision_free(g->revs[i]);
	free(g->revs);
	free(g->heads);
	free(g->bases);
	rt_diags_release(&g->problems);
	if (g->priv) {
		rt_map_release(&priv(g)->by_id);
		rt_map_release(&priv(g)->by_label);
		free(g->priv);
	}
	free(g);
}

int rt_graph_require_valid(const struct rt_graph *g)
{
	for (size_t i = 0; i < g->problems.n; i++) {
		const struct rt_diag *d = &g->problems.items[i];
		if (d->severity != RT_SEV_ERROR)
			continue;
		rt_error_set(strcmp(d->kind, "cycle") == 0 ? RT_ECYCLE : RT_EINPUT, "%s", d->message);
		rt_error_set_location(d->file, d->line);
		if (d->hint)
			rt_error_set_hint("%s", d->hint);
		return rt_error_last()->code;
	}
	return 0;
}

/* 1 when the file name (without .sql) holds id as a whole '_'-separated part. */
static int name_matches_id(const char *path, const char *id)
{
	const char *base = rt_path_basename(path);
	size_t blen = strlen(base), idlen = strlen(id);
	const char *p;

	if (blen > 4 && strcmp(base + blen - 4, ".sql") == 0)
		blen -= 4;
	for (p = base; p + idlen <= base + blen; p++) {
		if (strncmp(p, id, idlen) != 0)
			continue;
		if ((p == base || p[-1] == '_') && (p + idlen == base + blen || p[idlen] == '_'))
			return 1;
	}
	return 0;
}

static int push_rev(struct rt_revision ***arr, size_t *n, size_t *cap, struct rt_revision *r)
{
	if (rt_grow_array(arr, cap, *n + 1, sizeof(**arr)) < 0)
		return RT_ENOMEM;
	(*arr)[(*n)++] = r;
	return 0;
}

static int cmp_rev_id(const void *a, const void *b)
{
	const struct rt_revision *x = *(struct rt_revision *const *)a;
	const struct rt_revision *y = *(struct rt_revision *const *)b;
	return strcmp(x->id, y->id);
}

/* Reads every header of one directory into *revs. */
static int read_location(struct rt_graph *g, const char *dir, int primary,
                         struct rt_revision ***revs, size_t *n, size_t *cap)
{
	struct rt_strlist names = RT_STRLIST_INIT;
	struct stat st;
	int rc, dfd, root = geteuid() == 0;

	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			return rt_diags_add(&g->problems, RT_SEV_ERROR, "missing-directory", dir, 0,
			                    primary ? "Create it, or run 'retort init DIR' to start a project."
			                            : "Create it, or remove it from version_locations in retort.yaml.",
			                    "version directory '%s' does not exist", dir);
		return rt_diags_add(&g->problems, RT_SEV_ERROR, "unreadable-directory", dir, 0,
		                    "Fix the path or the link so that it leads to a directory.",
		                    "cannot read version directory '%s': %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return rt_diags_add(&g->problems, RT_SEV_ERROR, "not-a-directory", dir, 0,
		                    "Version locations hold revision files; point it at a directory.",
		                    "version directory '%s' is not a directory", dir);
	if ((rc = rt_check_safe_for_root(dir, "version directory")) < 0)
		return rt_diags_add_error(&g->problems, "unsafe-permissions");
	rc = rt_dir_list_files(dir, ".sql", &names);
	if (rc < 0) {
		if (rc == RT_ENOMEM)
			return rc;
		return rt_diags_add_error(&g->problems, "unreadable-directory");
	}
	/* open each file relative to the directory: no path walk per file */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < names.n; i++) {
		char *path = rt_path_join(dir, names.items[i]);
		struct rt_revision *rev = NULL;

		if (!path) {
			rc = RT_ENOMEM;
			break;
		}
		rc = root ? rt_check_safe_for_root(path, "revision file") : 0;
		if (rc == 0)
			rc = dfd >= 0 ? rt_revision_read_header_at(&rev, dfd, names.items[i], path)
			              : rt_revision_read_header(&rev, path);
		free(path);
		if (rc == RT_ENOMEM)
			break;
		if (rc < 0) {
			if ((rc = rt_diags_add_error(&g->problems, "bad-header")) < 0)
				break;
			continue;
		}
		if ((rc = push_rev(revs, n, cap, rev)) < 0) {
			rt_revision_free(rev);
			break;
		}
	}
	if (dfd >= 0)
		close(dfd);
	rt_strlist_release(&names);
	return rc < 0 ? rc : 0;
}

/* Keeps the first of each id (in reading order: version locations in order, file names
 * sorted), reports the others, and indexes the rest. */
static int index_ids(struct rt_graph *g, struct rt_revision **all, size_t nall)
{
	struct rt_graph_priv *p = priv(g);
	size_t cap = 0;
	int rc;

	for (size_t i = 0; i < nall; i++) {
		struct rt_revision *r = all[i], *first = rt_map_get(&p->by_id, r->id);
		if (first) {
			rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "duplicate-id", r->path, r->line,
			                  "Give one of them a new id (and update its children), or delete the copy.",
			                  "%s:%d: revision id '%s' is also used by '%s'", r->path, r->line,
			                  r->id, first->path);
			rt_revision_free(r);
			all[i] = NULL;
			if (rc < 0)
				return rc;
			continue;
		}
		if (!name_matches_id(r->path, r->id) &&
		    (rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "file-name-mismatch", r->path, r->line,
		                       "Rename the file so its name holds the id (e.g. '<id>_<slug>.sql'), or fix the 'revision:' line.",
		                       "%s:%d: file name does not match revision id '%s'", r->path,
		                       r->line, r->id)) < 0)
			return rc;
		if ((rc = rt_map_put(&p->by_id, r->id, r)) < 0 ||
		    (rc = push_rev(&g->revs, &g->n, &cap, r)) < 0)
			return rc;
		all[i] = NULL;
	}
	if (g->n > 1)
		qsort(g->revs, g->n, sizeof(*g->revs), cmp_rev_id);
	for (size_t i = 0; i < g->n; i++)
		g->revs[i]->index = i;
	return 0;
}

static int index_labels(struct rt_graph *g)
{
	struct rt_graph_priv *p = priv(g);
	int rc;

	for (size_t i = 0; i < g->n; i++) {
		struct rt_revision *r = g->revs[i];
		for (size_t j = 0; j < r->branch_labels.n; j++) {
			const char *label = r->branch_labels.items[j];
			struct rt_revision *other = rt_map_get(&p->by_label, label);
			if (other) {
				rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "duplicate-label", r->path,
				                  r->labels_line, "Branch labels must be unique; rename one of them.",
				                  "%s:%d: branch label '%s' is also used by revision '%s' (%s)",
				                  r->path, r->labels_line, label, other->id, other->path);
			} else if (rt_map_get(&p->by_id, label)) {
				rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "label-is-id", r->path,
				                  r->labels_line, "Choose a label that is not a revision id.",
				                  "%s:%d: branch label '%s' is also a revision id", r->path,
				                  r->labels_line, label);
			} else {
				rc = rt_map_put(&p->by_label, label, r);
			}
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* r's depends_on entries, each an id, a label or a unique id prefix (rt_graph_match(),
 * what rt_graph_lookup() reads), into r->deps. */
static int link_depends(struct rt_graph *g, struct rt_revision *r)
{
	size_t dcap = 0;
	int rc;

	for (size_t j = 0; j < r->depends_on.n; j++) {
		struct rt_revision *d;
		int ambiguous = rt_graph_match(g, r->depends_on.items[j], &d) > 1;
		if (!d) {
			rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "missing-dependency", r->path,
			                  r->depends_line,
			                  ambiguous ? "Write more of the id so that it names one revision."
			                            : "Restore the revision it names, or remove it from depends_on.",
			                  "%s:%d: revision '%s' depends on '%s', which %s", r->path,
			                  r->depends_line, r->id, r->depends_on.items[j],
			                  ambiguous ? "matches several revisions" : "does not exist");
			if (rc < 0)
				return rc;
			continue;
		}
		if (d == r || rt_revlist_contains(&(struct rt_revlist){ r->deps, r->ndeps, dcap }, d))
			continue;
		if ((rc = push_rev(&r->deps, &r->ndeps, &dcap, d)) < 0)
			return rc;
	}
	return 0;
}

static int link_edges(struct rt_graph *g)
{
	int rc;

	for (size_t i = 0; i < g->n; i++) {
		struct rt_revision *r = g->revs[i];
		size_t pcap = 0;

		for (size_t j = 0; j < r->down.n; j++) {
			struct rt_revision *p = rt_graph_get(g, r->down.items[j]);
			if (!p) {
				rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "missing-parent", r->path,
				                  r->down_line,
				                  "Restore the missing revision file, or point down_revision at an existing revision.",
				                  "%s:%d: revision '%s' has down_revision '%s', which does not exist",
				                  r->path, r->down_line, r->id, r->down.items[j]);
				if (rc < 0)
					return rc;
				continue;
			}
			if ((rc = push_rev(&r->parents, &r->nparents, &pcap, p)) < 0)
				return rc;
		}
		if ((rc = link_depends(g, r)) < 0)
			return rc;
	}
	/* reverse edges; capacities are not kept, so count first */
	{
		size_t *nchild = rt_calloc(g->n, sizeof(size_t)), *ndep = rt_calloc(g->n, sizeof(size_t));
		rc = 0;
		if (!nchild || !ndep) {
			rc = RT_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < g->n; i++) {
			for (size_t j = 0; j < g->revs[i]->nparents; j++)
				nchild[g->revs[i]->parents[j]->index]++;
			for (size_t j = 0; j < g->revs[i]->ndeps; j++)
				ndep[g->revs[i]->deps[j]->index]++;
		}
		for (size_t i = 0; i < g->n; i++) {
			struct rt_revision *r = g->revs[i];
			if (nchild[i] && !(r->children = rt_calloc(nchild[i], sizeof(*r->children)))) {
				rc = RT_ENOMEM;
				goto out;
			}
			if (ndep[i] && !(r->dependents = rt_calloc(ndep[i], sizeof(*r->dependents)))) {
				rc = RT_ENOMEM;
				goto out;
			}
		}
		for (size_t i = 0; i < g->n; i++) {
			struct rt_revision *r = g->revs[i];
			for (size_t j = 0; j < r->nparents; j++) {
				struct rt_revision *p = r->parents[j];
				p->children[p->nchildren++] = r;
			}
			for (size_t j = 0; j < r->ndeps; j++) {
				struct rt_revision *d = r->deps[j];
				d->dependents[d->ndependents++] = r;
			}
		}
out:
		free(nchild);
		free(ndep);
	}
	return rc;
}

/* Finds cycles with an iterative depth-first search over parent and depends_on edges
 * and reports each one with the revisions on it. */
static int find_cycles(struct rt_graph *g)
{
	unsigned char *color = rt_calloc(g->n ? g->n : 1, 1); /* 0 new, 1 on stack, 2 done */
	size_t *stack = rt_calloc(g->n ? g->n : 1, sizeof(size_t));
	size_t *edge = rt_calloc(g->n ? g->n : 1, sizeof(size_t));
	int rc = 0;

	if (!color || !stack || !edge) {
		rc = RT_ENOMEM;
		goto out;
	}
	for (size_t start = 0; start < g->n && rc == 0; start++) {
		size_t sp = 0;
		if (color[start])
			continue;
		stack[sp++] = start;
		edge[start] = 0;
		color[start] = 1;
		while (sp > 0 && rc == 0) {
			struct rt_revision *r = g->revs[stack[sp - 1]];
			size_t e = edge[r->index]++;
			struct rt_revision *next;

			if (e >= r->nparents + r->ndeps) {
				color[r->index] = 2;
				sp--;
				continue;
			}
			next = e < r->nparents ? r->parents[e] : r->deps[e - r->nparents];
			if (color[next->index] == 0) {
				color[next->index] = 1;
				edge[next->index] = 0;
				stack[sp++] = next->index;
			} else if (color[next->index] == 1) {
				struct rt_buf ids = RT_BUF_INIT;
				size_t from = sp, shown = 0;
				while (from > 0 && stack[from - 1] != next->index)
					from--;
				from = from > 0 ? from - 1 : 0;
				for (size_t k = from; k < sp && rc == 0; k++, shown++) {
					if (shown == 8 && sp - k > 2) {
						rc = rt_buf_addf(&ids, " -> ... (%zu more)", sp - k - 1);
						k = sp - 2;
						continue;
					}
					rc = rt_buf_addf(&ids, "%s%s", shown ? " -> " : "", g->revs[stack[k]]->id);
				}
				if (rc == 0)
					rc = rt_buf_addf(&ids, " -> %s", next->id);
				if (rc == 0)
					rc = rt_diags_add(&g->problems, RT_SEV_ERROR, "cycle", next->path, next->line,
					                  "Break the cycle by fixing down_revision or depends_on in one of these files.",
					                  "%s:%d: revisions form a cycle: %s", next->path, next->line,
					                  ids.ptr);
				rt_buf_release(&ids);
			}
		}
	}
out:
	free(color);
	free(stack);
	free(edge);
	return rc;
}

static int find_heads_and_bases(struct rt_graph *g)
{
	size_t hcap = 0, bcap = 0;
	int rc;

	for (size_t i = 0; i < g->n; i++) {
		struct rt_revision *r = g->revs[i];
		if (r->nchildren == 0 && (rc = push_rev(&g->heads, &g->nheads, &hcap, r)) < 0)
			return rc;
		if (r->down.n == 0 && (rc = push_rev(&g->bases, &g->nbases, &bcap, r)) < 0)
			return rc;
	}
	return 0;
}

/* Branch labels apply to the labelled revision, all its descendants through children,
 * and its ancestors back to the nearest branch or merge point, as in Alembic. */
static int propagate_labels(struct rt_graph *g)
{
	struct rt_revision **stack = NULL;
	size_t cap = 0;
	unsigned char *seen = NULL;
	int rc = 0;

	for (size_t i = 0; i < g->n && rc == 0; i++) {
		struct rt_revision *r = g->revs[i], *a;
		if (r->branch_labels.n == 0)
			continue;
		if (!seen && !(seen = rt_malloc(g->n))) {
			rc = RT_ENOMEM;
			break;
		}
		memset(seen, 0, g->n);
		size_t sp = 0;
		if ((rc = push_rev(&stack, &sp, &cap, r)) < 0)
			break;
		seen[r->index] = 1;
		while (sp > 0 && rc == 0) {
			struct rt_revision *x = stack[--sp];
			for (size_t l = 0; l < r->branch_labels.n && rc == 0; l++)
				if (!rt_strlist_contains(&x->member_of, r->branch_labels.items[l]))
					rc = rt_strlist_push(&x->member_of, r->branch_labels.items[l]);
			for (size_t c = 0; c < x->nchildren && rc == 0; c++) {
				if (seen[x->children[c]->index])
					continue;
				seen[x->children[c]->index] = 1;
				rc = push_rev(&stack, &sp, &cap, x->children[c]);
			}
		}
		for (a = r; rc == 0 && a->nparents == 1;) {
			struct rt_revision *p = a->parents[0];
			if (p->nchildren != 1 || p->nparents > 1 || seen[p->index])
				break;
			seen[p->index] = 1;
			for (size_t l = 0; l < r->branch_labels.n && rc == 0; l++)
				if (!rt_strlist_contains(&p->member_of, r->branch_labels.items[l]))
					rc = rt_strlist_push(&p->member_of, r->branch_labels.items[l]);
			a = p;
		}
	}
	free(stack);
	free(seen);
	return rc;
}

int rt_graph_load(struct rt_graph **out, const struct rt_config *cfg, enum rt_dialect dialect)
{
	struct rt_graph *g = rt_calloc(1, sizeof(*g));
	struct rt_revision **all = NULL;
	size_t nall = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	if (!g)
		return RT_ENOMEM;
	g->cfg = cfg;
	g->dialect = dialect;
	if (!(g->priv = rt_calloc(1, sizeof(struct rt_graph_priv)))) {
		rc = RT_ENOMEM;
		goto out;
	}
	rt_map_init(&priv(g)->by_id);
	rt_map_init(&priv(g)->by_label);
	for (size_t i = 0; i < cfg->version_locations.n; i++)
		if ((rc = read_location(g, cfg->version_locations.items[i], i == 0, &all, &nall, &cap)) < 0)
			goto out;
	if ((rc = index_ids(g, all, nall)) < 0 || (rc = index_labels(g)) < 0 ||
	    (rc = link_edges(g)) < 0 || (rc = find_cycles(g)) < 0 ||
	    (rc = find_heads_and_bases(g)) < 0 || (rc = propagate_labels(g)) < 0)
		goto out;
out:
	for (size_t i = 0; i < nall; i++)
		rt_revision_free(all[i]);
	free(all);
	if (rc < 0) {
		rt_graph_free(g);
		return rc;
	}
	*out = g;
	return 0;
}

int rt_graph_load_script(const struct rt_graph *g, struct rt_revision *rev)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (rev->script)
		return 0;
	if ((rc = rt_file_read(rev->path, &text, &len)) < 0)
		return rc;
	rc = rt_script_read(&rev->script, rev->path, text, len, g->dialect, NULL);
	free(text);
	return rc;
}

int rt_graph_bind_section(const struct rt_graph *g, struct rt_revision *rev, enum rt_direction dir)
{
	struct rt_section *sec;
	int rc = rt_graph_load_script(g, rev);

	if (rc < 0)
		return rc;
	sec = dir == RT_DOWNGRADE ? &rev->script->downgrade : &rev->script->upgrade;
	if (!sec->present || sec->bound == g->cfg)
		return 0;
	return rt_section_bind(sec, rev->path, g->dialect, g->cfg, NULL);
}
