/*
 * utf8.c - UTF-8 for revision files, configs and slugs: validation (retort refuses text it
 * could not show or send faithfully rather than guessing an encoding) and decoding one
 * character at a time.
 */
#include "internal.h"

size_t rt_utf8_decode(const unsigned char *s, size_t n, unsigned *out)
{
	unsigned char c = n ? s[0] : 0;
	size_t k;
	unsigned min, cp;

	if (n == 0)
		return 0;
	if (c < 0x80) {
		*out = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
		k = 1, min = 0x80, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		k = 2, min = 0x800, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		k = 3, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (k >= n)
		return 0;
	for (size_t j = 1; j <= k; j++) {
		if ((s[j] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[j] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*out = cp;
	return k + 1;
}

size_t rt_utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned cp;
		size_t len = rt_utf8_decode(s + i, n - i, &cp);
		if (!len)
			return i;
		i += len;
	}
	return n;
}
