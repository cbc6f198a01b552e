/*
 * unit.h - shared scaffolding for the Check unit suites in tests/unit/.
 *
 * Each check_<module>.c defines `static Suite *suite(void)` and ends with RT_UNIT_MAIN.
 * The test binary exits non-zero when any test fails. Fixture files live under
 * $RETORT_TESTS_DIR/fixtures (the Makefile sets it; default "tests").
 */
#ifndef RETORT_UNIT_H
#define RETORT_UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "retort.h"

/* Path of a fixture: $RETORT_TESTS_DIR/fixtures/<rel>, in a static buffer. */
static inline const char *fixture(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("RETORT_TESTS_DIR");
	snprintf(path, sizeof(path), "%s/fixtures/%s", dir ? dir : "tests", rel);
	return path;
}

/* Asserts that the last error's message contains needle. */
#define ck_assert_error_contains(needle)                                                      \
	do {                                                                                      \
		const char *msg_ = rt_error_last()->message;                                          \
		ck_assert_msg(strstr(msg_, (needle)) != NULL, "error '%s' lacks '%s'", msg_, (needle)); \
	} while (0)

/* The out-of-memory loop of every suite: attempt(ctx) runs with the 1st allocation
 * failing, then the 2nd, and so on, until it returns something other than RT_ENOMEM,
 * which is returned for the caller to check. A failed attempt must return RT_ENOMEM with
 * "out of memory" in the error slot and leave nothing behind: attempt checks that its
 * outputs are NULL, and valgrind and ASan see any leak. The test fails when the loop
 * takes more than max attempts (it never got through), or when it got through within
 * min (it never reached the code under test). */
static inline int unit_oom_loop(const char *what, int (*attempt)(void *ctx), void *ctx, long min,
                                long max)
{
	long n;
	int rc = RT_ENOMEM;

	for (n = 1; n <= max && rc == RT_ENOMEM; n++) {
		rt_error_clear();
		rt_alloc_fail_after(n);
		rc = attempt(ctx);
		rt_alloc_fail_after(0);
		if (rc == RT_ENOMEM)
			ck_assert_msg(rt_error_last()->code == RT_ENOMEM &&
			                  strcmp(rt_error_last()->message, "out of memory") == 0,
			              "%s: allocation %ld failing gave RT_ENOMEM with the error '%s' (%d)",
			              what, n, rt_error_last()->message, rt_error_last()->code);
	}
	n--;
	ck_assert_msg(rc != RT_ENOMEM, "%s: still out of memory after %ld attempts", what, max);
	ck_assert_msg(n > min, "%s: got through at attempt %ld, within %ld: the failures never "
	              "reached the code under test", what, n, min);
	return rc;
}

#define RT_UNIT_MAIN                                                   \
	int main(void)                                                     \
	{                                                                  \
		SRunner *sr = srunner_create(suite());                         \
		int failed;                                                    \
		srunner_run_all(sr, CK_NORMAL);                                \
		failed = srunner_ntests_failed(sr);                            \
		srunner_free(sr);                                              \
		rt_library_cleanup();                                          \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                   \
	}

#endif
