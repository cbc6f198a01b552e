#!/bin/sh
# Offline scripts stop themselves: a SQLite script begins with `.bail on`, so run as
# `sqlite3 DB < file` (no -bail) its guard still stops it on a database at another
# revision, and a failing statement stops it before the next revision runs.
. "$(dirname "$0")/lib.sh"

linear() {
	new_project
	write_rev a1 null "message: first table"
	write_rev a2 a1 "message: second table"
	write_rev a3 a2 "message: third table"
}

test_case "the SQLite script starts with .bail on"
(
	linear
	run retort upgrade --sql head
	expect_exit 0
	expect_eq "$(grep -v '^--' "$RUN_STDOUT" | grep -v '^$' | head -n 1)" ".bail on" "first command"
	expect_stdout_not_contains "sqlite3 -bail"
)

test_case "without -bail, the guard stops a script run on a database at another revision"
(
	linear
	run_ok retort upgrade a1
	run retort upgrade --sql a2:a3
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	cp app.db before.db
	run sqlite3 app.db <up.sql
	[ "$RUN_EXIT" != 0 ] || fail "sqlite3 exited 0" "a non-zero exit" "exit 0"
	expect_stderr_contains "retort: the database is not at a2"
	expect_eq "$(versions_of app.db)" a1 "version rows"
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
	expect_eq "$(history_of app.db)" "$(history_of before.db)" "history rows"
)

test_case "without -bail, a failing statement stops the script before the next revision"
(
	linear
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER); INSERT INTO nosuch VALUES (1);"
	run retort upgrade --sql base:a3
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 new.db <up.sql
	[ "$RUN_EXIT" != 0 ] || fail "sqlite3 exited 0" "a non-zero exit" "exit 0"
	expect_stderr_contains "nosuch"
	expect_eq "$(versions_of new.db)" a1 "version rows"
	expect_eq "$(tables_of new.db)" "t_a1" "tables"
)

test_done
