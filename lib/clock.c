/*
 * clock.c - time helpers: a monotonic millisecond clock, sleeping, UTC timestamps,
 * kernel randomness, and the duration syntax of the config file ("5s", "250ms").
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

double rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void rt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void rt_utc_now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void rt_utc_now_iso_ms(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", sec, (int)((unsigned long)ts.tv_nsec / 1000000UL % 1000U));
}

int rt_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return rt_error_set(RT_ERROR, "cannot read random bytes: %s", strerror(errno));
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int rt_parse_duration_ms(const char *text, long *out)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "min", 60000 }, { "m", 60000 },
		{ "h", 3600000 }, { "", 1000 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v < 0 || !isdigit((unsigned char)text[0]))
		return rt_error_set(RT_EINPUT, "invalid duration '%s'", text);
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < RT_ARRAY_LEN(units); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			double ms = v * units[i].ms;
			if (ms > 1e12)
				return rt_error_set(RT_EINPUT, "duration '%s' is too long", text);
			*out = (long)(ms + 0.5);
			return 0;
		}
	}
	return rt_error_set(RT_EINPUT, "invalid duration '%s'", text);
}
