/*
 * cmd_init.c - `retort init DIR [--template NAME]`: creates a project from a template
 * (rt_templates_init refuses a non-empty DIR), lists what it created and says what to
 * do next. Needs no config.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cmd.h"
#include "json.h"
#include "opt.h"
#include "output.h"

struct init_opts {
	const char *template_name;
};

static const struct opt init_options[] = {
	OPT_STRING("template", 't', struct init_opts, template_name, "NAME",
	           "the project template (see 'retort list-templates'; default: generic)"),
	OPT_END
};

/* Appends every file below dir (relative names, directories with a trailing '/'). */
static int list_tree(const char *dir, const char *rel, struct rt_strlist *out, int depth)
{
	struct rt_buf path = RT_BUF_INIT, sub = RT_BUF_INIT;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > 16)
		return 0;
	rt_buf_puts(&path, dir);
	if (*rel)
		rt_buf_addf(&path, "/%s", rel);
	d = opendir(path.ptr);
	if (!d) {
		rt_buf_release(&path);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		struct rt_buf full = RT_BUF_INIT;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rt_buf_clear(&sub);
		rt_buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		rt_buf_addf(&full, "%s/%s", path.ptr, de->d_name);
		if (lstat(full.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			rt_buf_putc(&sub, '/');
			rc = rt_strlist_push(out, sub.ptr);
			rt_buf_truncate(&sub, sub.len - 1);
			if (rc == 0)
				rc = list_tree(dir, sub.ptr, out, depth + 1);
		} else {
			rc = rt_strlist_push(out, sub.ptr);
		}
		rt_buf_release(&full);
	}
	closedir(d);
	rt_buf_release(&path);
	rt_buf_release(&sub);
	return rc;
}

int cmd_init(int argc, char **argv, struct cli *cli)
{
	const struct cmd_spec *self = cli_command("init");
	struct init_opts o = { NULL };
	struct rt_strlist files = RT_STRLIST_INIT;
	const char *dir, *name;
	size_t dlen;
	int nargs, rc;

	if ((rc = opt_parse(cli, self, init_options, &o, argc, argv, &nargs)) != OPT_OK)
		return rc == OPT_HELP ? 0 : rc;
	if (nargs != 1)
		return opt_usage_error(cli, self, nargs ? "too many arguments" : "missing DIR");
	dir = argv[0];
	name = o.template_name ? o.template_name : "generic";
	if ((rc = rt_templates_init(dir, name)) < 0)
		return rc;
	if ((rc = list_tree(dir, "", &files, 0)) < 0) {
		rt_strlist_release(&files);
		return rc;
	}
	rt_strlist_sort(&files);
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	if (cli->json) {
		struct json j;

		json_init(&j);
		json_object_begin(&j);
		json_kbool(&j, "ok", 1);
		json_kstring(&j, "directory", dir);
		json_kstring(&j, "template", name);
		json_kstrlist(&j, "files", &files);
		json_object_end(&j);
		rc = json_print(&j);
	} else if (!cli->quiet) {
		for (size_t i = 0; i < files.n; i++)
			out_printf("created %.*s/%s\n", (int)dlen, dir, files.items[i]);
		out_printf("\nnext steps:\n"
		           "  1. check database.url in %.*s/retort.yaml\n"
		           "  2. cd %.*s && retort revision -m \"create the first table\"\n"
		           "  3. fill in its upgrade and downgrade sections, then: retort upgrade head\n",
		           (int)dlen, dir, (int)dlen, dir);
	}
	rt_strlist_release(&files);
	return rc;
}
