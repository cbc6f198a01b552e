#!/bin/sh
# Revision ids and branch labels follow one rule, in files and in `revision` / `merge`:
# no reserved word of targets (head, heads, base, current), nothing that reads as target
# syntax (issue 7). A bad name is blamed on the name, never on the revision template.
. "$(dirname "$0")/lib.sh"

test_case "--rev-id refuses the reserved words and writes nothing"
(
	new_project
	for id in head heads base current; do
		run retort revision -m x --rev-id "$id"
		expect_exit 2
		expect_stderr_contains "error: '$id' is reserved and cannot be a revision id"
		expect_stderr_contains "hint: Choose another name"
	done
	expect_eq "$(ls versions | wc -l)" 0 "files in versions/"
)

test_case "merge --rev-id refuses a reserved word"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	run retort merge -m join --rev-id base heads
	expect_exit 2
	expect_stderr_contains "error: 'base' is reserved and cannot be a revision id"
	expect_eq "$(ls versions | wc -l)" 3 "files in versions/"
)

test_case "--branch-label -bad is blamed on the label, not on the template"
(
	new_project
	run retort revision -m x --branch-label -bad --rev-id r1
	expect_exit 2
	expect_stderr_contains "error: invalid branch label '-bad': labels are 1 to 64 letters"
	expect_stderr_not_contains "template"
	expect_file_missing versions/r1_x.sql
)

test_case "--branch-label refuses reserved words and what reads as LABEL-N"
(
	new_project
	run retort revision -m x --branch-label heads --rev-id r1
	expect_exit 2
	expect_stderr_contains "error: 'heads' is reserved and cannot be a branch label"
	run retort revision -m x --branch-label v2-3 --rev-id r1
	expect_exit 2
	expect_stderr_contains "error: invalid branch label 'v2-3': it would read as a relative target"
	expect_eq "$(ls versions | wc -l)" 0 "files in versions/"
	run retort revision -m x --branch-label v2.3-x --rev-id r1
	expect_exit 0
	expect_file_exists versions/r1_x.sql
)

test_case "a revision file with a reserved id is reported with its file and line"
(
	new_project
	write_rev a1 null
	write_rev head a1
	run retort check
	expect_exit 2
	expect_stdout_matches "versions/head_rev\.sql:2: 'head' is reserved and cannot be a revision id"
	run retort upgrade a1
	expect_exit 2
	expect_stderr_contains "'head' is reserved and cannot be a revision id"
	expect_file_missing app.db
)

test_case "a revision file with a label that reads as LABEL-N is reported"
(
	new_project
	write_rev a1 null "branch_labels: [release-2]"
	run retort check
	expect_exit 2
	expect_stdout_matches "versions/a1_rev\.sql:[0-9]+: invalid branch label 'release-2': it would read as a relative target"
)

test_done
