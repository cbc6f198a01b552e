#!/bin/sh
# stamp: rewriting the version rows without running scripts, --purge, --sql, --json.
. "$(dirname "$0")/lib.sh"

linear() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
}

test_case "stamp sets the version row and runs no script"
(
	linear
	run retort stamp a2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
	expect_eq "$(tables_of app.db)" "" "tables (no script may run)"
	expect_eq "$(history_of app.db)" "a2 stamp applied" "history rows"
)

test_case "upgrade after a stamp runs only the later revisions"
(
	linear
	run_ok retort stamp a2
	run retort upgrade head
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a3" "tables"
	expect_eq "$(versions_of app.db)" a3 "version rows"
)

test_case "stamp forward, backward and to base"
(
	linear
	run_ok retort upgrade a1
	run retort stamp head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows after stamp head"
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
	run retort stamp a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a1 "version rows after stamp a1"
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
	run retort stamp base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows after stamp base"
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
)

test_case "stamp heads writes one row per head"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	run retort stamp heads
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b1 c1" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "stamp refuses a version table naming an unknown revision; --purge fixes it"
(
	linear
	run_ok retort stamp a1
	sql app.db "INSERT INTO retort_version VALUES ('ghost0')"
	run retort stamp a2
	expect_exit 1
	expect_stderr_contains "ghost0"
	expect_stderr_contains "--purge"
	expect_eq "$(versions_of app.db)" "a1 ghost0" "version rows"
	run retort stamp --purge a2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "stamp needs a known target"
(
	linear
	run retort stamp
	expect_exit 2
	expect_stderr_contains "TARGET"
	run retort stamp nosuch
	expect_exit 2
	expect_stderr_contains "nosuch"
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "stamp --sql runs in sqlite3 and has the same effect"
(
	linear
	run retort stamp --sql a2
	expect_exit 0
	expect_file_missing app.db
	cp "$RUN_STDOUT" stamp.sql
	run sqlite3 -bail offline.db <stamp.sql
	expect_exit 0
	expect_eq "$(versions_of offline.db)" a2 "version rows"
	expect_eq "$(tables_of offline.db)" "" "tables"
	run retort stamp --sql a2:a3
	expect_exit 0
	cp "$RUN_STDOUT" stamp2.sql
	run sqlite3 -bail offline.db <stamp2.sql
	expect_exit 0
	expect_eq "$(versions_of offline.db)" a3 "version rows"
)

test_case "stamp --sql --purge replaces unknown rows"
(
	linear
	run_ok retort stamp a1
	sql app.db "INSERT INTO retort_version VALUES ('ghost0')"
	run retort stamp --sql --purge a2
	expect_exit 0
	cp "$RUN_STDOUT" purge.sql
	run sqlite3 -bail app.db <purge.sql
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "stamp --json"
(
	linear
	run_ok retort stamp a1
	run retort --json stamp a3
	expect_exit 0
	expect_json 'd["ok"] is True and d["heads_before"] == ["a1"] and d["heads_after"] == ["a3"] and d["steps"][0]["direction"] == "stamp" and "duration_ms" in d["steps"][0]'
)

test_done
