/*
 * templates.c - project templates for `retort init` and `list-templates`.
 *
 * A template is a directory under the templates directory (templates/NAME in the source
 * tree, $PREFIX/share/retort/templates/NAME once installed); its README's first line
 * describes it. init copies it into an empty or new directory and adds versions/.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

int rt_templates_dir(char **out)
{
	static const char *const rel[] = { "templates", "../templates", "../share/retort/templates" };
	const char *env = getenv("RETORT_TEMPLATE_DIR");
	char exe[PATH_MAX];
	ssize_t n;

	*out = NULL;
	if (env && *env) {
		if (!rt_path_is_dir(env))
			return rt_error_set(RT_ENOTFOUND, "RETORT_TEMPLATE_DIR '%s' is not a directory", env);
		return (*out = rt_strdup(env)) ? 0 : RT_ENOMEM;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *dir;
		exe[n] = '\0';
		if (!(dir = rt_path_dirname(exe)))
			return RT_ENOMEM;
		for (size_t i = 0; i < RT_ARRAY_LEN(rel); i++) {
			char *cand = rt_path_join(dir, rel[i]), *abs;
			if (!cand) {
				free(dir);
				return RT_ENOMEM;
			}
			abs = rt_path_absolute(cand, NULL);
			free(cand);
			if (abs && rt_path_is_dir(abs)) {
				free(dir);
				*out = abs;
				return 0;
			}
			free(abs);
		}
		free(dir);
	}
	rt_error_set(RT_ENOTFOUND, "cannot find retort's templates directory");
	rt_error_set_hint("Set RETORT_TEMPLATE_DIR to the templates directory of your retort installation.");
	return RT_ENOTFOUND;
}

static char *first_line(const char *path)
{
	char *text = NULL, *line;
	size_t len;
	const char *p;

	if (rt_file_read_prefix(path, 4096, &text, &len) < 0) {
		rt_error_clear();
		return rt_strdup("");
	}
	for (p = text; *p == '#' || *p == ' ' || *p == '\n' || *p == '\r'; p++)
		;
	line = rt_strndup(p, strcspn(p, "\r\n"));
	free(text);
	return line;
}

int rt_templates_list(struct rt_strlist *names, struct rt_strlist *descriptions)
{
	struct rt_strlist all = RT_STRLIST_INIT;
	char *dir = NULL;
	int rc;

	if ((rc = rt_templates_dir(&dir)) < 0)
		return rc;
	if ((rc = rt_dir_list(dir, NULL, &all)) < 0)
		goto out;
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		char *sub = rt_path_join(dir, all.items[i]), *readme;
		if (!sub) {
			rc = RT_ENOMEM;
			break;
		}
		if (rt_path_is_dir(sub)) {
			readme = rt_path_join(sub, "README");
			rc = readme ? rt_strlist_push(names, all.items[i]) : RT_ENOMEM;
			if (rc == 0)
				rc = rt_strlist_push_owned(descriptions, first_line(readme));
			free(readme);
		}
		free(sub);
	}
out:
	rt_strlist_release(&all);
	free(dir);
	return rc;
}

static int dir_is_empty(const char *dir, int *empty)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*empty = 1;
	if (!d)
		return rt_error_set(RT_EIO, "cannot open directory '%s': %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			*empty = 0;
			break;
		}
	}
	closedir(d);
	return 0;
}

/* Copies the files of src into dst (which exists), recursing into directories. */
static int copy_tree(const char *src, const char *dst, int depth)
{
	struct rt_strlist names = RT_STRLIST_INIT;
	int rc;

	if (depth > 8)
		return rt_error_set(RT_EIO, "template directory '%s' is nested too deeply", src);
	if ((rc = rt_dir_list(src, NULL, &names)) < 0)
		return rc;
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *from = rt_path_join(src, names.items[i]), *to = rt_path_join(dst, names.items[i]);
		char *text = NULL;
		size_t len;
		struct stat st;

		if (!from || !to) {
			rc = RT_ENOMEM;
		} else if (stat(from, &st) < 0) {
			rc = rt_error_set(RT_EIO, "cannot read '%s': %s", from, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if ((rc = rt_mkdir_p(to, 0755)) == 0)
				rc = copy_tree(from, to, depth + 1);
		} else if ((rc = rt_file_read(from, &text, &len)) == 0) {
			/* the config may come to hold a database password */
			int mode = strcmp(names.items[i], "retort.yaml") == 0 ? 0600 : 0644;
			rc = rt_file_write_new(to, text, len, mode);
		}
		free(text);
		free(from);
		free(to);
	}
	rt_strlist_release(&names);
	return rc;
}

int rt_templates_init(const char *dir, const char *name)
{
	char *tdir = NULL, *src = NULL, *versions = NULL;
	int rc, empty;

	if (!*name || strchr(name, '/') || strcmp(name, "..") == 0 || strcmp(name, ".") == 0)
		return rt_error_set(RT_EUSAGE, "invalid template name '%s'", name);
	if ((rc = rt_templates_dir(&tdir)) < 0)
		return rc;
	if (!(src = rt_path_join(tdir, name))) {
		rc = RT_ENOMEM;
		goto out;
	}
	if (!rt_path_is_dir(src)) {
		struct rt_strlist names = RT_STRLIST_INIT, descs = RT_STRLIST_INIT;
		struct rt_buf b = RT_BUF_INIT;
		if (rt_templates_list(&names, &descs) == 0)
			rt_buf_join(&b, (const char *const *)names.items, names.n, ", ");
		rc = rt_error_set(RT_ENOTFOUND, "no template named '%s'", name);
		rt_error_set_hint("Available templates: %s. See 'retort list-templates'.", b.len ? b.ptr : "none");
		rt_buf_release(&b);
		rt_strlist_release(&names);
		rt_strlist_release(&descs);
		goto out;
	}
	if (rt_path_exists(dir)) {
		if (!rt_path_is_dir(dir)) {
			rc = rt_error_set(RT_EEXISTS, "refusing to initialise '%s': it is a file", dir);
			goto out;
		}
		if ((rc = dir_is_empty(dir, &empty)) < 0)
			goto out;
		if (!empty) {
			rc = rt_error_set(RT_EEXISTS, "refusing to initialise '%s': the directory is not empty", dir);
			rt_error_set_hint("Choose a new or empty directory.");
			goto out;
		}
	} else if ((rc = rt_mkdir_p(dir, 0755)) < 0) {
		goto out;
	}
	if ((rc = copy_tree(src, dir, 0)) < 0)
		goto out;
	if (!(versions = rt_path_join(dir, "versions"))) {
		rc = RT_ENOMEM;
		goto out;
	}
	rc = rt_mkdir_p(versions, 0755);
out:
	free(tdir);
	free(src);
	free(versions);
	return rc;
}
