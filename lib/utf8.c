/*
 * utf8.c - UTF-8 validation for revision files and configs: retort refuses text it could
 * not show or send faithfully rather than guessing an encoding.
 */
#include "internal.h"

/* Offset of the first byte in s[0..n) that breaks UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF included), or n. */
size_t rt_utf8_invalid_at(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		unsigned min, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			k = 1, min = 0x80, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			k = 2, min = 0x800, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			k = 3, min = 0x10000, cp = c & 0x07;
		else
			return i;
		if (i + k >= n)
			return i;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += k + 1;
	}
	return n;
}

