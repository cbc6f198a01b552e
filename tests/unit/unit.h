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
