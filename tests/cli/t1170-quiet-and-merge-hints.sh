#!/bin/sh
# -q prints only results and errors: no progress, notices or warnings, no "hint:" line
# left over from a silenced warning, no "created ..." line from revision or merge; the
# hints of errors stay. merge never suggests --splice (it has no such option).
. "$(dirname "$0")/lib.sh"

# failed_run_project: a1 applied, a2 failed once (a history row current warns about).
failed_run_project() {
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "INSERT INTO no_such_table VALUES (1);" ""
	run retort upgrade head
	expect_exit 1
}

test_case "current: the warning about a failed run comes with its hint; -q silences both"
(
	failed_run_project
	run retort current
	expect_exit 0
	expect_stdout_equals "a1"
	expect_stderr_contains "warning: FAILED upgrade of a2 started at"
	expect_stderr_contains "hint: Run 'retort current --verbose' for the details."
	run retort -q current
	expect_exit 0
	expect_stdout_equals "a1"
	expect_stderr_empty
)

test_case "-q keeps an error's hint"
(
	failed_run_project
	run retort -q upgrade nosuch
	expect_exit 2
	expect_stderr_contains "error: "
	expect_stderr_contains "hint: "
	write_rev b1 null
	run retort -q revision -m x
	expect_exit 2
	expect_stderr_contains "hint: Say which one to build on with --head REV"
)

test_case "revision and merge: 'created ...' without -q, nothing with -q (the files are written)"
(
	new_project
	write_rev a1 null
	run retort revision -m "one" --rev-id b1
	expect_exit 0
	expect_stdout_equals "created versions/b1_one.sql"
	run retort -q revision -m "two" --rev-id c1 --head a1 --splice
	expect_exit 0
	expect_stdout_empty
	expect_stderr_empty
	expect_file_exists versions/c1_two.sql
	run retort -q merge -m "join" --rev-id m1 heads
	expect_exit 0
	expect_stdout_empty
	expect_stderr_empty
	expect_file_exists versions/m1_join.sql
	run retort -q --json revision -m "three" --rev-id d1
	expect_exit 0
	expect_json 'd["ok"] is True and d["revision"] == "d1"'
)

test_case "merge of a revision that is not a head: the hint names heads, never --splice"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev b2 a1
	run retort merge -m m a1 a2
	expect_exit 2
	expect_stderr_contains "error: revision 'a1' is not a head"
	expect_stderr_contains "hint: A merge joins heads: name heads ('retort heads' lists them), or write 'heads' for all of them."
	expect_stderr_not_contains "splice"
	run retort merge --splice -m m a1 a2
	expect_exit 2
	expect_stderr_contains "unknown option '--splice'"
	# revision, which has --splice, still suggests it
	run retort revision -m r --head a1
	expect_exit 2
	expect_stderr_contains "hint: Pass --splice to start a new branch from it."
)

test_done
