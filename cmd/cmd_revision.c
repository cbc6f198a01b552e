/*
 * cmd_revision.c - `retort revision -m MSG [--head REV] [--branch-label L]
 * [--depends-on REV]... [--rev-id ID] [--splice]`: writes a new revision script from the
 * project's revision template, on top of the single head or of --head (--head base
 * starts a new root). The file is never overwritten (the library refuses).
 */
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

struct revision_opts {
	const char *message;
	const char *head;
	const char *branch_label;
	struct rt_strlist depends_on;
	const char *rev_id;
	int splice;
};

static const struct opt revision_options[] = {
	OPT_STRING("message", 'm', struct revision_opts, message, "MSG",
	           "what the revision does (required)"),
	OPT_STRING("head", 0, struct revision_opts, head, "REV",
	           "the parent: a head, 'base' for a new root, or any revision with --splice"),
	OPT_STRING("branch-label", 0, struct revision_opts, branch_label, "LABEL",
	           "give the revision a branch label"),
	OPT_LIST("depends-on", 0, struct revision_opts, depends_on, "REV",
	         "a revision or label that must be applied first (repeatable)"),
	OPT_STRING("rev-id", 0, struct revision_opts, rev_id, "ID",
	           "use ID instead of 12 random hex digits"),
	OPT_FLAG("splice", 0, struct revision_opts, splice,
	         "allow a --head that is not a head (starts a new branch)"),
	OPT_END
};

int cli_create_revision(struct cli *cli, const struct rt_new_revision *spec)
{
	struct rt_graph *g;
	struct rt_revision *rev = NULL;
	char *path = NULL;
	int rc;

	if ((rc = cli_load_graph(cli, 0, &g)) < 0)
		return rc;
	if ((rc = rt_revision_create(g, spec, &path)) < 0)
		return rc;
	/* The file exists: what follows only reports it, and must not be what fails. */
	rt_alloc_exempt(1);
	/* Read back what was written, to report its id. */
	if (rt_revision_read_header(&rev, path) < 0)
		rev = NULL;
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_object_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstring(&j, "revision", rev ? rev->id : NULL);
		json_kstring(&j, "path", path);
		if (rev)
			json_kstrlist(&j, "down_revisions", &rev->down);
		json_object_end(&j);
		rc = json_print(&j);
	} else {
		if (!cli->quiet) /* -q: only results and errors, and this is a notice */
			out_printf("created %s\n", cli_relpath(cli, path));
		if (rev)
			out_info("revision %s", rev->id);
	}
	rt_revision_free(rev);
	free(path);
	rt_alloc_exempt(0);
	return rc;
}

int cmd_revision(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("revision");
	struct revision_opts o;
	struct rt_new_revision spec;
	int nargs, rc;

	memset(&o, 0, sizeof(o));
	rc = opt_parse(cli, self, revision_options, &o, argc, argv, &nargs);
	if (rc != OPT_OK)
		goto out;
	if (nargs > 0) {
		rc = opt_usage_error(cli, self, "unexpected argument '%s' (quote the message of -m)",
		                     argv[0]);
		goto out;
	}
	if (!o.message) {
		rc = opt_usage_error(cli, self, "a message is required: -m MSG");
		goto out;
	}
	if (o.rev_id && rt_name_check(o.rev_id, RT_NAME_REVISION_ID, NULL, 0) < 0) {
		rc = cli_report(cli, RT_EUSAGE);
		goto out;
	}
	memset(&spec, 0, sizeof(spec));
	spec.message = o.message;
	if (o.head) { /* "base" too: the library says what it names */
		spec.parents = &o.head;
		spec.nparents = 1;
	}
	spec.branch_label = o.branch_label;
	spec.depends_on = (const char *const *)o.depends_on.items;
	spec.ndepends = o.depends_on.n;
	spec.rev_id = o.rev_id;
	spec.splice = o.splice;
	rc = cli_create_revision(cli, &spec);
out:
	rt_strlist_release(&o.depends_on);
	return rc == OPT_HELP ? 0 : rc;
}
