/*
 * url.c - database URLs: which dialect a URL speaks, the password inside it, and the file
 * a sqlite: URL names.
 *
 * A password can sit in three places: the userinfo of "scheme://user:PASSWORD@host/db", a
 * "password=" query parameter of such a URL, and the password=value pair of a libpq
 * keyword/value string ("host=/tmp dbname=app password='it\'s'"). each_password() finds
 * every one of them; rt_url_masked() replaces them with "****" for display and
 * rt_url_register_secret() hands them to secrets.c so that no message shows them. sqlite:
 * URLs are treated like any other URL: they should hold no password, but if one is
 * written into one it is masked all the same. When unsure where a password ends, the
 * scanner masks too much rather than too little.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MASK "****"

#define URL_FORMS_HINT                                                                        \
	"Use sqlite:///relative.db, sqlite:////absolute.db, sqlite::memory: or "                 \
	"postgresql://user@host/db."
#define SQLITE_FORMS_HINT                                                                     \
	"Use sqlite:///relative.db, sqlite:////absolute.db, or sqlite::memory: for an in-memory " \
	"database."

/* How the bytes of a password are written. */
enum pw_encoding {
	PW_PERCENT, /* URL userinfo or query: %XX escapes */
	PW_KEYWORD, /* keyword/value string: backslash escapes, quotes already stripped */
};

/* One password inside a URL. [start, end) is the text rt_url_masked() replaces (quotes
 * included); [vstart, vend) is the value as written. */
struct pw_span {
	size_t start, end;
	size_t vstart, vend;
	enum pw_encoding enc;
};

typedef int (*pw_fn)(void *ctx, const char *url, const struct pw_span *sp);

static int is_sqlite(const char *url)
{
	return strncmp(url, "sqlite:", 7) == 0;
}

/* Length of the "scheme://" prefix when url starts with one (RFC 3986 scheme), else 0. */
static size_t scheme_prefix_len(const char *url)
{
	size_t i = 0;

	if (!isalpha((unsigned char)url[0]))
		return 0;
	while (isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.')
		i++;
	return strncmp(url + i, "://", 3) == 0 ? i + 3 : 0;
}

static int is_password_key(const char *key, size_t len)
{
	return (len == 8 && strncmp(key, "password", 8) == 0) ||
	       (len == 11 && strncmp(key, "sslpassword", 11) == 0);
}

static int emit(pw_fn fn, void *ctx, const char *url, size_t start, size_t end, size_t vstart,
                size_t vend, enum pw_encoding enc)
{
	struct pw_span sp = { start, end, vstart, vend, enc };

	if (vend <= vstart)
		return 0;
	return fn(ctx, url, &sp);
}

/*
 * "scheme://[user[:password]@]host[:port][/path][?query][#fragment]". The userinfo ends at
 * the last '@' before the path. A password holding an unescaped '/', '?' or '#' would end
 * the authority early; so when the authority has a ':' but no '@' and an '@' comes later,
 * everything up to the last '@' is taken as userinfo.
 */
static int url_passwords(const char *url, size_t rest_off, pw_fn fn, void *ctx)
{
	const char *rest = url + rest_off, *at = NULL, *colon, *q, *p;
	size_t auth_len = strcspn(rest, "/?#");
	int rc;

	for (p = rest; p < rest + auth_len; p++)
		if (*p == '@')
			at = p;
	if (!at && memchr(rest, ':', auth_len))
		at = strrchr(rest, '@');
	if (at) {
		colon = memchr(rest, ':', (size_t)(at - rest));
		if (colon) {
			size_t s = (size_t)(colon + 1 - url), e = (size_t)(at - url);
			if ((rc = emit(fn, ctx, url, s, e, s, e, PW_PERCENT)) < 0)
				return rc;
		}
		rest = at + 1;
	}
	q = strchr(rest, '?');
	if (!q)
		return 0;
	for (p = q + 1; *p && *p != '#';) {
		size_t len = strcspn(p, "&#");
		const char *eq = memchr(p, '=', len);
		if (eq && is_password_key(p, (size_t)(eq - p))) {
			size_t s = (size_t)(eq + 1 - url), e = (size_t)(p + len - url);
			if ((rc = emit(fn, ctx, url, s, e, s, e, PW_PERCENT)) < 0)
				return rc;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

/* libpq keyword/value pairs: "key = value", values unquoted (ending at white space) or in
 * single quotes, backslash escaping the next character in both. */
static int keyword_passwords(const char *url, pw_fn fn, void *ctx)
{
	const char *p = url;
	int rc;

	for (;;) {
		const char *key;
		size_t klen, start, vstart, vend;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue;
		p++;
		while (isspace((unsigned char)*p))
			p++;
		start = (size_t)(p - url);
		if (*p == '\'') {
			p++;
			vstart = (size_t)(p - url);
			while (*p && *p != '\'') {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			vend = (size_t)(p - url);
			if (*p == '\'')
				p++;
		} else {
			vstart = start;
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1])
					p++;
				p++;
			}
			vend = (size_t)(p - url);
		}
		if (is_password_key(key, klen) &&
		    (rc = emit(fn, ctx, url, start, (size_t)(p - url), vstart, vend, PW_KEYWORD)) < 0)
			return rc;
	}
}

static int each_password(const char *url, pw_fn fn, void *ctx)
{
	size_t off;

	if (!url)
		return 0;
	if ((off = scheme_prefix_len(url)) > 0)
		return url_passwords(url, off, fn, ctx);
	if (!is_sqlite(url) && strchr(url, '='))
		return keyword_passwords(url, fn, ctx);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX escapes of the n bytes at s (malformed ones stay as they are). *outlen may
 * differ from strlen(*out) when the text holds %00. */
static char *percent_decode(const char *s, size_t n, size_t *outlen)
{
	char *out = rt_malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* Removes the backslash escapes of a libpq keyword value. */
static char *keyword_unescape(const char *s, size_t n)
{
	char *out = rt_malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

int rt_url_dialect(const char *url, enum rt_dialect *out)
{
	char *masked;

	if (url && is_sqlite(url)) {
		*out = RT_DIALECT_SQLITE;
		return 0;
	}
	if (url && (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
	            (!scheme_prefix_len(url) && strchr(url, '=')))) {
		*out = RT_DIALECT_POSTGRESQL;
		return 0;
	}
	masked = rt_url_masked(url ? url : "");
	if (!masked)
		return RT_ENOMEM;
	rt_error_set(RT_EINPUT, "unsupported database URL '%s'", masked);
	rt_error_set_hint(URL_FORMS_HINT);
	free(masked);
	return RT_EINPUT;
}

struct mask_ctx {
	struct rt_buf out;
	size_t pos; /* bytes of url copied so far */
};

static int mask_one(void *ctx, const char *url, const struct pw_span *sp)
{
	struct mask_ctx *m = ctx;

	if (rt_buf_add(&m->out, url + m->pos, sp->start - m->pos) < 0 || rt_buf_puts(&m->out, MASK) < 0)
		return RT_ENOMEM;
	m->pos = sp->end;
	return 0;
}

char *rt_url_masked(const char *url)
{
	struct mask_ctx m = { RT_BUF_INIT, 0 };

	if (!url)
		url = "";
	if (each_password(url, mask_one, &m) < 0 || rt_buf_puts(&m.out, url + m.pos) < 0) {
		rt_buf_release(&m.out);
		return NULL;
	}
	return rt_buf_detach(&m.out);
}

static int register_one(void *ctx, const char *url, const struct pw_span *sp)
{
	size_t n = sp->vend - sp->vstart;
	char *raw = rt_strndup(url + sp->vstart, n), *decoded;

	(void)ctx;
	if (!raw)
		return RT_ENOMEM;
	rt_secret_add(raw);
	if (sp->enc == PW_PERCENT)
		decoded = percent_decode(raw, n, NULL);
	else
		decoded = keyword_unescape(raw, n);
	if (decoded && strcmp(decoded, raw) != 0)
		rt_secret_add(decoded);
	free(decoded);
	free(raw);
	return decoded ? 0 : RT_ENOMEM;
}

void rt_url_register_secret(const char *url)
{
	each_password(url, register_one, NULL);
}

static int invalid_sqlite_url(const char *url)
{
	char *masked = rt_url_masked(url ? url : "");

	if (!masked)
		return RT_ENOMEM;
	rt_error_set(RT_EINPUT, "invalid SQLite URL '%s'", masked);
	rt_error_set_hint(SQLITE_FORMS_HINT);
	free(masked);
	return RT_EINPUT;
}

int rt_sqlite_url_path(const char *url, const char *base_dir, char **out)
{
	const char *path;
	char *decoded;
	size_t len;

	*out = NULL;
	if (!url || !is_sqlite(url))
		return invalid_sqlite_url(url);
	if (strcmp(url, "sqlite::memory:") == 0 || strcmp(url, "sqlite:///:memory:") == 0) {
		*out = rt_strdup(":memory:");
		return *out ? 0 : RT_ENOMEM;
	}
	if (strncmp(url, "sqlite:///", 10) != 0)
		return invalid_sqlite_url(url);
	path = url + 10;
	if (strchr(path, '?') || strchr(path, '#')) {
		/* no parameters: they would become part of the file name (a password too) */
		int rc = invalid_sqlite_url(url);
		rt_error_set_detail("SQLite URLs take no query string or fragment: '?' and '#' are not "
		                    "allowed (write them as %%3F and %%23 in a file name).");
		return rc;
	}
	decoded = percent_decode(path, strlen(path), &len);
	if (!decoded)
		return RT_ENOMEM;
	if (len == 0 || strlen(decoded) != len || decoded[len - 1] == '/') {
		free(decoded);
		return invalid_sqlite_url(url);
	}
	*out = rt_path_absolute(decoded, base_dir);
	free(decoded);
	if (!*out) {
		int code = rt_error_last()->code;
		return code < 0 ? code : RT_ENOMEM;
	}
	return 0;
}

/* The password field of each line of a libpq password file (host:port:db:user:password,
 * with \: and \\ escapes; # starts a comment line). */
static void register_pgpass_file(const char *path)
{
	char *text = NULL;
	size_t len = 0;

	if (rt_file_read_prefix(path, 1 << 20, &text, &len) < 0) {
		rt_error_clear();
		return;
	}
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n'), *field = line;
		int colons = 0;
		if (next)
			*next++ = '\0';
		for (char *p = line; *p && *line != '#'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				continue;
			}
			if (*p == ':' && ++colons == 4) {
				field = p + 1;
				break;
			}
		}
		if (colons == 4 && *line != '#') {
			/* unescape the password in place */
			char *w = field;
			for (char *r = field; *r && *r != '\r'; r++) {
				if (*r == '\\' && r[1])
					r++;
				*w++ = *r;
			}
			*w = '\0';
			rt_secret_add(field);
		}
		line = next;
	}
	free(text);
}

void rt_pg_register_password_sources(void)
{
	const char *file = getenv("PGPASSFILE"), *home = getenv("HOME");

	rt_secret_add(getenv("PGPASSWORD"));
	if (file && *file) {
		register_pgpass_file(file);
	} else if (home && *home) {
		char *path = rt_path_join(home, ".pgpass");
		if (path)
			register_pgpass_file(path);
		free(path);
	}
}
