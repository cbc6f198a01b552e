/*
 * cmd_merge.c - `retort merge -m MSG REV...` (or `merge -m MSG heads`): writes an empty
 * revision whose parents are the given revisions, joining branches back together.
 */
#include <string.h>
#include "cmd.h"
#include "opt.h"

struct merge_opts {
	const char *message;
	const char *branch_label;
	const char *rev_id;
};

static const struct opt merge_options[] = {
	OPT_STRING("message", 'm', struct merge_opts, message, "MSG",
	           "what the merge is for (required)"),
	OPT_STRING("branch-label", 0, struct merge_opts, branch_label, "LABEL",
	           "give the merge revision a branch label"),
	OPT_STRING("rev-id", 0, struct merge_opts, rev_id, "ID",
	           "use ID instead of 12 random hex digits"),
	OPT_END
};

int cmd_merge(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("merge");
	struct merge_opts o = { NULL, NULL, NULL };
	struct rt_new_revision spec;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, merge_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (!o.message)
		return opt_usage_error(cli, self, "a message is required: -m MSG");
	if (nargs == 0)
		return opt_usage_error(cli, self, "name the revisions to merge, or 'heads'");
	if (o.rev_id && rt_name_check(o.rev_id, RT_NAME_REVISION_ID, NULL, 0) < 0)
		return cli_report(cli, RT_EUSAGE);
	/* The library resolves the refs ("heads" among them) and wants two revisions or more. */
	memset(&spec, 0, sizeof(spec));
	spec.message = o.message;
	spec.parents = (const char *const *)argv;
	spec.nparents = (size_t)nargs;
	spec.branch_label = o.branch_label;
	spec.rev_id = o.rev_id;
	spec.merge = 1;
	return cli_create_revision(cli, &spec);
}
