#!/bin/sh
# current: the version rows, --verbose with the last run and failed runs, --json, and a
# version table naming a revision no file defines.
. "$(dirname "$0")/lib.sh"

test_case "current on a database that does not exist prints nothing and creates nothing"
(
	new_project
	write_rev a1 null
	run retort current
	expect_exit 0
	expect_stdout_empty
	expect_file_missing app.db
)

test_case "current after upgrades prints the version row with (head)"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	run_ok retort upgrade a2
	run retort current
	expect_exit 0
	expect_stdout_equals "a2"
	run_ok retort upgrade head
	run retort current
	expect_exit 0
	expect_stdout_equals "a3 (head)"
)

test_case "current with two branches prints a line per version row"
(
	new_project
	write_rev a1 null
	write_rev b1 a1 "branch_labels: [feat]"
	write_rev c1 a1
	run_ok retort upgrade heads
	run retort current
	expect_exit 0
	expect_stdout_contains "b1 (feat) (head)"
	expect_stdout_contains "c1 (head)"
	expect_eq "$(wc -l <"$RUN_STDOUT")" 2 "lines"
)

test_case "current --verbose shows path, the last run and its checksum"
(
	new_project
	write_rev a1 null "message: create the accounts"
	run_ok retort upgrade head
	sum=$(sha256sum versions/a1_rev.sql | cut -c1-12)
	run retort current --verbose
	expect_exit 0
	expect_stdout_contains "a1"
	expect_stdout_contains "versions/a1_rev.sql"
	expect_stdout_contains "create the accounts"
	expect_stdout_contains "upgrade"
	expect_stdout_contains "applied"
	expect_stdout_contains "$sum"
	expect_stdout_contains "0.1.0"
	# -v is the same option
	run retort current -v
	expect_exit 0
	expect_stdout_contains "$sum"
)

test_case "current --verbose lists a failed run since the last success"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "INSERT INTO no_such_table VALUES (1);"
	run retort upgrade head
	expect_exit 1
	run retort current --verbose
	expect_exit 0
	expect_stdout_contains "a1"
	expect_stdout_contains "FAILED"
	expect_stdout_contains "no such table: no_such_table"
)

test_case "current --json"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade head
	run retort --json current
	expect_exit 0
	expect_json '[h["revision"] for h in d["heads"]] == ["a2"] and d["heads"][0]["history"][0]["status"] == "applied" and d["failed_runs"] == []'
	run retort --json current --verbose
	expect_exit 0
	expect_json '[h["revision"] for h in d["heads"]] == ["a2"]'
)

test_case "current --json on an empty database"
(
	new_project
	write_rev a1 null
	run retort --json current
	expect_exit 0
	expect_json 'd["heads"] == []'
)

test_case "a version row no file defines is reported, exit 1"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade head
	rm versions/a2_rev.sql
	run retort current
	expect_exit 1
	expect_stderr_contains "'a2'"
	expect_stdout_contains "a2"
	run retort --json current
	expect_exit 1
	expect_json 'd["ok"] is False and "a2" in d["error"]["message"]'
)

test_case "current without a config file is bad usage"
(
	run retort current
	expect_exit 2
	expect_stderr_contains "retort.yaml"
)

test_case "current rejects an argument"
(
	new_project
	run retort current a1
	expect_exit 2
)

test_done
