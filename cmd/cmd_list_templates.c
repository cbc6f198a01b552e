/*
 * cmd_list_templates.c - `retort list-templates`: the project templates `init` accepts,
 * with the first line of each one's README. Needs no config.
 */
#include <string.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

int cmd_list_templates(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("list-templates");
	struct rt_strlist names = RT_STRLIST_INIT, descs = RT_STRLIST_INIT;
	size_t width = 0;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, NULL, NULL, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs > 0)
		return opt_usage_error(cli, self, "unexpected argument '%s'", argv[0]);
	if ((rc = rt_templates_list(&names, &descs)) < 0)
		goto out;
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_array_begin(&j);
		for (size_t i = 0; i < names.n; i++) {
			json_object_begin(&j);
			json_kstring(&j, "name", names.items[i]);
			json_kstring(&j, "description", i < descs.n ? descs.items[i] : "");
			json_object_end(&j);
		}
		json_array_end(&j);
		rc = json_print(&j);
		goto out;
	}
	for (size_t i = 0; i < names.n; i++)
		if (strlen(names.items[i]) > width)
			width = strlen(names.items[i]);
	for (size_t i = 0; i < names.n; i++) {
		const char *d = i < descs.n && descs.items[i] ? descs.items[i] : "";
		out_printf("%-*s  %s\n", (int)width, names.items[i], d);
	}
out:
	rt_strlist_release(&names);
	rt_strlist_release(&descs);
	return rc;
}
