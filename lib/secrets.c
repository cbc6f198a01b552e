/*
 * secrets.c - the registry of secrets (database passwords) and the masking of text.
 *
 * Whoever learns a password (the URL parser, the config loader, the PostgreSQL backend)
 * registers it here; rt_mask() then replaces every occurrence with "****". The error
 * slot and every diagnostic mask their text, and the CLI masks all it prints.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MASK "****"

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

/* Masks with plain malloc: used by the error slot, which must not depend on the
 * failure-injecting allocator. */
char *rt_mask_plain(const char *text)
{
	size_t len = strlen(text), cap = len + 1, out_len = 0;
	char *out = malloc(cap);
	const char *p = text;

	if (!out)
		return NULL;
	while (*p) {
		size_t matched = 0;
		for (size_t i = 0; i < nsecrets; i++) {
			size_t sl = strlen(secrets[i]);
			if (sl > matched && strncmp(p, secrets[i], sl) == 0)
				matched = sl;
		}
		if (matched) {
			if (out_len + sizeof(MASK) > cap) {
				char *g;
				cap = cap * 2 + sizeof(MASK);
				g = realloc(out, cap);
				if (!g) {
					free(out);
					return NULL;
				}
				out = g;
			}
			memcpy(out + out_len, MASK, sizeof(MASK) - 1);
			out_len += sizeof(MASK) - 1;
			p += matched;
		} else {
			if (out_len + 2 > cap) {
				char *g;
				cap *= 2;
				g = realloc(out, cap);
				if (!g) {
					free(out);
					return NULL;
				}
				out = g;
			}
			out[out_len++] = *p++;
		}
	}
	out[out_len] = '\0';
	return out;
}

char *rt_mask(const char *text)
{
	char *plain = rt_mask_plain(text ? text : "");
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
	for (size_t i = 0; text && i < nsecrets; i++)
		if (strstr(text, secrets[i]))
			return 1;
	return 0;
}
