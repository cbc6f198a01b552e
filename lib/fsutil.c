/*
 * fsutil.c - file and path helpers: whole-file reads, exclusive creation, directory
 * listings, path joining and normalisation, and the check that root runs no files other
 * users can change (unless told to trust them). Errors name the path and say what failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

static int io_error(const char *what, const char *path, int err)
{
	int code = (err == ENOENT || err == ENOTDIR) ? RT_ENOTFOUND : RT_EIO;
	return rt_error_set(code, "cannot %s '%s': %s", what, path, strerror(err));
}

int rt_file_read_prefix(const char *path, size_t max, char **out, size_t *len)
{
	return rt_file_read_prefix_at(AT_FDCWD, path, path, max, out, len);
}

int rt_file_read_prefix_at(int dirfd, const char *name, const char *path, size_t max, char **out,
                           size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct rt_buf b = RT_BUF_INIT;
	struct stat st;

	*out = NULL;
	*len = 0;
	size_t expect = (size_t)-1; /* the size of a regular file: no read() to find its end */

	if (fd < 0)
		return io_error("open", path, errno);
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			close(fd);
			return rt_error_set(RT_EIO, "cannot read '%s': it is a directory", path);
		}
		if (S_ISREG(st.st_mode) && (size_t)st.st_size < max) {
			expect = (size_t)st.st_size;
			if (rt_buf_grow(&b, expect + 1) < 0) {
				close(fd);
				return RT_ENOMEM;
			}
		}
	}
	while (b.len < max && b.len != expect) {
		size_t want = max - b.len;
		ssize_t n;
		if (want > 65536)
			want = 65536;
		if (rt_buf_grow(&b, want) < 0) {
			close(fd);
			rt_buf_release(&b);
			return RT_ENOMEM;
		}
		n = read(fd, b.ptr + b.len, want);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			rt_buf_release(&b);
			return io_error("read", path, err);
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.ptr[b.len] = '\0';
	}
	close(fd);
	*len = b.len;
	*out = rt_buf_detach(&b);
	return *out ? 0 : RT_ENOMEM;
}

int rt_file_read(const char *path, char **out, size_t *len)
{
	return rt_file_read_prefix(path, (size_t)-1 / 2, out, len);
}

int rt_file_write_new(const char *path, const char *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t off = 0;

	if (fd < 0) {
		if (errno == EEXIST)
			return rt_error_set(RT_EEXISTS, "refusing to overwrite '%s': the file exists", path);
		return io_error("create", path, errno);
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			close(fd);
			unlink(path);
			return io_error("write", path, err);
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		int err = errno;
		unlink(path);
		return io_error("write", path, err);
	}
	return 0;
}

int rt_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int rt_path_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *rt_path_join(const char *dir, const char *name)
{
	size_t dl;
	if (name[0] == '/' || !dir || !*dir)
		return rt_strdup(name);
	dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	return rt_asprintf("%.*s/%s", (int)dl, dir, name);
}

char *rt_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return rt_strdup(".");
	if (slash == path)
		return rt_strdup("/");
	return rt_strndup(path, (size_t)(slash - path));
}

const char *rt_path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

const char *rt_path_relative(const char *path, const char *base)
{
	size_t bl = base ? strlen(base) : 0;
	while (bl > 1 && base[bl - 1] == '/')
		bl--;
	if (bl && strncmp(path, base, bl) == 0 && path[bl] == '/')
		return path + bl + 1;
	return path;
}

/* Removes "." and "x/.." components and duplicate slashes from an absolute path. */
static void normalise(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		if (in[0] == '/' && in[1] == '/') {
			in++;
		} else if (in[0] == '/' && in[1] == '.' && (in[2] == '/' || in[2] == '\0')) {
			in += 2;
		} else if (in[0] == '/' && in[1] == '.' && in[2] == '.' && (in[3] == '/' || in[3] == '\0')) {
			in += 3;
			while (out > p && *--out != '/')
				;
		} else {
			*out++ = *in++;
		}
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

char *rt_path_absolute(const char *path, const char *base)
{
	char *joined, cwd[PATH_MAX];

	if (path[0] == '/') {
		joined = rt_strdup(path);
	} else if (base) {
		joined = rt_path_join(base, path);
	} else {
		if (!getcwd(cwd, sizeof(cwd))) {
			rt_error_set(RT_EIO, "cannot find the current directory: %s", strerror(errno));
			return NULL;
		}
		joined = rt_path_join(cwd, path);
	}
	if (!joined)
		return NULL;
	if (joined[0] != '/') {
		char *abs = rt_path_absolute(joined, NULL);
		free(joined);
		return abs;
	}
	normalise(joined);
	return joined;
}

static int list_dir(const char *dir, const char *suffix, int files_only, struct rt_strlist *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = suffix ? strlen(suffix) : 0;

	if (!d)
		return io_error("open directory", dir, errno);
	/* errno tells the end from a failure; fstatat below may set it */
	while ((errno = 0, de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (de->d_name[0] == '.')
			continue;
		if (suffix && (nl < sl || strcmp(de->d_name + nl - sl, suffix) != 0))
			continue;
		if (files_only && de->d_type != DT_REG) {
			struct stat st;
			if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
				continue;
			if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 && !S_ISREG(st.st_mode))
				continue;
		}
		if (rt_strlist_push(out, de->d_name) < 0) {
			closedir(d);
			rt_strlist_release(out);
			return RT_ENOMEM;
		}
	}
	if (errno != 0) {
		int err = errno;
		closedir(d);
		rt_strlist_release(out);
		return io_error("read directory", dir, err);
	}
	closedir(d);
	rt_strlist_sort(out);
	return 0;
}

int rt_dir_list(const char *dir, const char *suffix, struct rt_strlist *out)
{
	return list_dir(dir, suffix, 0, out);
}

int rt_dir_list_files(const char *dir, const char *suffix, struct rt_strlist *out)
{
	return list_dir(dir, suffix, 1, out);
}

int rt_mkdir_p(const char *path, int mode)
{
	char *copy = rt_strdup(path);
	int rc = 0;

	if (!copy)
		return RT_ENOMEM;
	for (char *p = copy + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;
			*p = '\0';
			if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
				rc = io_error("create directory", copy, errno);
				break;
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	free(copy);
	return rc;
}

static int foreign_files_allowed;

void rt_allow_foreign_files(int allow)
{
	foreign_files_allowed = allow != 0;
}

/* --trust-files (rt_allow_foreign_files) or RETORT_ALLOW_FOREIGN_FILES=1. */
static int foreign_files_trusted(void)
{
	const char *env = getenv("RETORT_ALLOW_FOREIGN_FILES");

	return foreign_files_allowed || (env && strcmp(env, "1") == 0);
}

int rt_check_safe_for_root(const char *path, const char *what)
{
	struct stat st;
	const char *who = NULL;
	char owner[48];

	if (geteuid() != 0 || foreign_files_trusted() || stat(path, &st) < 0)
		return 0;
	if (st.st_mode & S_IWOTH) {
		who = "every user";
	} else if (st.st_mode & S_IWGRP && st.st_gid != 0) {
		snprintf(owner, sizeof(owner), "the members of group %u", (unsigned)st.st_gid);
		who = owner;
	} else if (st.st_uid != 0) {
		/* read-only does not help: an owner can always chmod u+w */
		snprintf(owner, sizeof(owner), "its owner, uid %u", (unsigned)st.st_uid);
		who = owner;
	}
	if (!who)
		return 0;
	rt_error_set(RT_EINPUT, "refusing to use %s '%s' as root: it is writable by %s", what, path, who);
	rt_error_set_location(path, 0);
	rt_error_set_detail("Whoever can change it decides what SQL runs with root's database credentials.");
	rt_error_set_hint("Make it owned by root and not writable by others (chown root; chmod go-w), "
	                  "or run retort as the user who owns it. If you trust whoever can change it "
	                  "(a checkout mounted into a container), set RETORT_ALLOW_FOREIGN_FILES=1 or "
	                  "pass --trust-files.");
	return RT_EINPUT;
}
