#!/bin/sh
# Messages name files relative to the project (the config file's directory) wherever
# retort is run from, absolute only outside it; counts say "1 revision"; and a SQLite
# database file that does not exist yet is said to be missing by current and check
# (which still exit 0, and create nothing).
. "$(dirname "$0")/lib.sh"

test_case "current and check say that the SQLite database does not exist yet; nothing is created"
(
	new_project
	write_rev a1 null
	run retort current
	expect_exit 0
	expect_stdout_empty
	expect_stderr_contains "notice: sqlite database 'app.db' does not exist yet: no revision is applied"
	run retort check
	expect_exit 0
	expect_stdout_equals "no problems found in 1 revision (the database does not exist yet)"
	expect_stderr_contains "does not exist yet"
	run retort --json check
	expect_exit 0
	expect_json 'd["database_checked"] is True and d["database_exists"] is False'
	run retort --json check --no-db
	expect_json 'd["database_checked"] is False and d["database_exists"] is None'
	run retort current --verbose
	expect_stdout_equals "no revision applied (the database is at base)"
	expect_stderr_contains "does not exist yet"
	expect_file_missing app.db
	# once it exists, nothing is said about it
	run_ok retort upgrade head
	run retort current
	expect_exit 0
	expect_stdout_equals "a1 (head)"
	expect_stderr_empty
	run retort check
	expect_stdout_equals "no problems found in 1 revision and the database"
	run retort --json check
	expect_json 'd["database_exists"] is True'
)

test_case "a database outside the project is named by its absolute path"
(
	new_project
	write_rev a1 null
	run retort --url "sqlite:///$_T_ROOT/elsewhere.db" current
	expect_exit 0
	expect_stderr_contains "notice: sqlite database '$_T_ROOT/elsewhere.db' does not exist yet"
)

test_case "paths in messages are relative to the project, also when run from elsewhere"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "INSERT INTO nosuch VALUES (1);" ""
	mkdir -p sub
	cd sub || exit 1
	run retort -c ../retort.yaml upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a2_rev.sql:9: no such table: nosuch"
	run retort -c ../retort.yaml history --verbose
	expect_stdout_contains "Path: versions/a1_rev.sql"
	run retort -c ../retort.yaml revision -m "from below" --rev-id b1 --head a2
	expect_stdout_equals "created versions/b1_from_below.sql"
	run retort -c ../retort.yaml --url sqlite:///nodir/x.db upgrade head
	expect_exit 1
	# a URL given on the command line is relative to the current directory: sub/
	expect_stderr_contains "error: cannot open database 'sub/nodir/x.db': directory 'sub/nodir' does not exist"
	cd .. || exit 1
	mv versions v0
	run retort heads
	expect_exit 2
	expect_stderr_contains "error: versions: version directory 'versions' does not exist"
	expect_stderr_not_contains "$(pwd)"
)

test_case "counts of one say 'revision'"
(
	new_project
	write_rev a1 null
	run retort -v heads
	expect_stderr_contains "1 revision, 1 head"
	run retort graph
	expect_stdout_contains "// retort revision graph: 1 revision, 1 head"
	write_rev a2 a1
	run retort -v heads
	expect_stderr_contains "2 revisions, 1 head"
)

test_done
