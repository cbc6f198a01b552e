/*
 * secrets.c - the registry of secrets (database passwords) and the masking of text that
 * comes from outside retort.
 *
 * Whoever learns a password (the URL parser, the config loader, the PostgreSQL backend)
 * registers it here. Text retort formats itself never holds a password (URLs are shown
 * through rt_url_masked(), PGPASSWORD and .pgpass values are never formatted), so it is
 * never rewritten. Only text that comes from outside and may quote a password - a server's
 * error message, detail, hint or notice, a statement quoted from a script after variables
 * were substituted - goes through rt_mask(), where it is taken in: inside that text, and
 * nowhere else, every occurrence of a secret becomes "****".
 *
 * An occurrence is any match, except for a short secret made only of letters, digits and
 * '_' (fewer than 8 bytes: "true", "e", "1"), which matches only as a whole word, not
 * inside a longer run of such characters: such a password is also a common word, and
 * replacing it inside every other word would wreck messages while hiding nothing.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MASK "****"
#define SHORT_SECRET 8 /* below this length, a plain word-only secret matches whole words */

static char **secrets;
static size_t nsecrets;

void rt_secret_add(const char *secret)
{
	char **grown, *copy;

	if (!secret || !*secret)
		return;
	for (size_t i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			return;
	copy = strdup(secret);
	grown = realloc(secrets, (nsecrets + 1) * sizeof(*secrets));
	if (!copy || !grown) {
		free(copy);
		if (grown)
			secrets = grown;
		return;
	}
	secrets = grown;
	secrets[nsecrets++] = copy;
}

void rt_secrets_clear(void)
{
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
}

static int is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

/* A short secret of word bytes only: it matches whole words only. */
static int whole_words_only(const char *secret, size_t len)
{
	if (len >= SHORT_SECRET)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!is_word_byte((unsigned char)secret[i]) || (unsigned char)secret[i] >= 0x80)
			return 0;
	return 1;
}

/* The length of the longest secret that occurs at p (text starts at start, ends at end),
 * 0 for none. */
static size_t match_at(const char *start, const char *p, const char *end)
{
	size_t best = 0;

	for (size_t i = 0; i < nsecrets; i++) {
		size_t sl = strlen(secrets[i]);
		if (sl <= best || sl > (size_t)(end - p) || memcmp(p, secrets[i], sl) != 0)
			continue;
		if (whole_words_only(secrets[i], sl) &&
		    ((p > start && is_word_byte((unsigned char)p[-1])) ||
		     (p + sl < end && is_word_byte((unsigned char)p[sl]))))
			continue;
		best = sl;
	}
	return best;
}

/* Appends n bytes to out (plain realloc); 0, or -1 when out of memory (out is freed). */
static int append(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char *g = realloc(*out, ncap);
		if (!g) {
			free(*out);
			*out = NULL;
			return -1;
		}
		*out = g;
		*cap = ncap;
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = '\0';
	return 0;
}

char *rt_mask_span_plain(const char *text, size_t len, size_t *pos)
{
	size_t cap = len + 1, out_len = 0, new_pos = pos ? *pos : 0;
	char *out = malloc(cap);
	const char *p = text, *end = text + len;

	if (!out)
		return NULL;
	out[0] = '\0';
	while (p < end) {
		size_t matched = match_at(text, p, end), at = (size_t)(p - text);
		if (pos && *pos >= at && *pos < at + (matched ? matched : 1))
			new_pos = out_len; /* inside a masked occurrence: its start */
		if (matched ? append(&out, &out_len, &cap, MASK, sizeof(MASK) - 1) < 0
		            : append(&out, &out_len, &cap, p, 1) < 0)
			return NULL;
		p += matched ? matched : 1;
	}
	if (pos)
		*pos = *pos >= len ? out_len : new_pos;
	return out;
}

char *rt_mask_plain(const char *text)
{
	return rt_mask_span_plain(text ? text : "", text ? strlen(text) : 0, NULL);
}

char *rt_mask(const char *text)
{
	char *plain = rt_mask_plain(text);
	char *copy;

	if (!plain) {
		rt_error_set(RT_ENOMEM, "out of memory");
		return NULL;
	}
	copy = rt_strdup(plain);
	free(plain);
	return copy;
}

int rt_secret_in(const char *text)
{
	const char *end = text ? text + strlen(text) : NULL;

	for (const char *p = text; p && p < end; p++)
		if (match_at(text, p, end))
			return 1;
	return 0;
}
