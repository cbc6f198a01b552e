#!/bin/sh
# stamp's bookkeeping (issue 7): a stamp to where the database already is does nothing
# (no version-table change, no history row) unless a run stopped part-way (then its
# history row settles that run); a stamp to base, with or without --purge, never records
# "<base>" as if it were a revision.
. "$(dirname "$0")/lib.sh"

linear() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade head
}

history_count() { sql app.db "SELECT count(*) FROM retort_version_history"; }

test_case "stamp to the current revision prints nothing to do and writes no history row"
(
	linear
	before=$(dump_of app.db)
	run retort stamp a2
	expect_exit 0
	expect_stderr_contains "nothing to do: the database is already at a2"
	expect_stderr_not_contains "Running stamp"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
	run retort stamp head
	expect_exit 0
	expect_stderr_contains "nothing to do"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "stamp to a revision a dependent's row already implies does nothing"
(
	new_project
	write_rev a1 null
	write_rev b1 null "depends_on: a1"
	run_ok retort upgrade b1
	before=$(dump_of app.db)
	run retort stamp a1
	expect_exit 0
	expect_stderr_contains "nothing to do: the database is already at b1"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "stamp --json to the current revision has no steps"
(
	linear
	run retort --json stamp a2
	expect_exit 0
	expect_json 'd["ok"] is True and d["steps"] == [] and d["heads_before"] == ["a2"] and d["heads_after"] == ["a2"]'
	expect_eq "$(history_count)" 2 "history rows (the two upgrades)"
)

test_case "stamp --purge base and stamp base never store <base> in the history"
(
	linear
	sql app.db "INSERT INTO retort_version VALUES ('ghost0')"
	run retort stamp --purge base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(sql app.db "SELECT count(*) FROM retort_version_history WHERE revision = '<base>'")" 0 \
		"history rows naming <base>"
	run_ok retort stamp a2
	run retort stamp base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(sql app.db "SELECT revision FROM retort_version_history ORDER BY id" | tr '\n' ' ')" \
		"a1 a2 a2 " "history rows"
)

test_case "stamp --purge to the current revision still rewrites the table"
(
	linear
	sql app.db "INSERT INTO retort_version VALUES ('ghost0')"
	run retort stamp --purge a2
	expect_exit 0
	expect_stderr_not_contains "nothing to do"
	expect_eq "$(versions_of app.db)" "a2" "version rows"
)

test_case "a stamp to where the rows are still settles a run that stopped part-way"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "transactional: false" "CREATE TABLE t2 (id INTEGER);
CREATE TABLE t2 (id INTEGER);" "DROP TABLE t2;"
	run retort upgrade head
	expect_exit 1
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "revision 'a2' was partly upgraded by an earlier run"
	sql app.db "DROP TABLE t2"
	run retort stamp a1
	expect_exit 0
	expect_stderr_not_contains "nothing to do"
	expect_eq "$(history_of app.db | tail -n 1)" "a1 stamp applied" "last history row"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_done
