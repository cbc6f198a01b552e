#!/bin/sh
# One resolver (issue 8.6): show, edit, history -r, revision --head and --depends-on, merge
# and resolve read a revision reference the same way (rt_graph_resolve): every form that
# names a revision works in each of them, and the same mistake gets the same message.
. "$(dirname "$0")/lib.sh"

#   a1 -+-> b1 (billing)
#       +-> c1 (shop) -> c2
two_heads() {
	new_project
	write_rev a1 null
	write_rev b1 a1 "branch_labels: [billing]"
	write_rev c1 a1 "branch_labels: [shop]"
	write_rev c2 c1
}

# header_value FILE KEY: the value after "KEY: " in FILE's header.
header_value() { sed -n "s/^$2: //p" "$1" | head -n 1; }

# The first "error: " line of the last run.
error_line() { grep '^error: ' "$RUN_STDERR" | head -n 1; }

# every_command REF EXPECTED_EXIT EXPECTED_ERROR: the reference in each command that takes
# one, with the same exit status and the same error line from each.
every_command() {
	for cmd in "show $1" "edit $1" "history -r $1" "revision -m x --rev-id n1 --head $1" \
		"revision -m x --rev-id n1 --head b1 --depends-on $1" "merge -m x --rev-id n1 $1 b1" \
		"resolve $1 --done"; do
		# shellcheck disable=SC2086 # the words of cmd are the arguments
		run retort $cmd
		expect_exit "$2"
		expect_eq "$(error_line)" "$3" "error of 'retort $cmd'"
	done
	expect_file_missing "$(rev_file n1)"
}

test_case "an unknown reference: the same error from every command"
(
	two_heads
	every_command zz 2 "error: no revision, branch label or id prefix matches 'zz'"
	expect_stderr_contains "hint: Run 'retort history' to list the revisions."
)

test_case "an ambiguous prefix: the same error from every command"
(
	two_heads
	every_command c 2 "error: 'c' is ambiguous: it starts 2 revision ids: c1, c2"
)

test_case "head with two heads: the same error from every command"
(
	two_heads
	every_command head 2 "error: the revision graph has 2 heads: b1, c2"
	expect_stderr_contains "hint: Use 'heads' for all of them, LABEL@head for one branch"
)

test_case "a downgrade target names no revision: the same error from every command"
(
	two_heads
	every_command shop@base 2 "error: 'shop@base' is a downgrade target"
	expect_stderr_contains "hint: Name a revision: an id, a branch label, LABEL@head or REV-N."
	every_command a1-1 2 "error: 'a1-1' is a downgrade target"
)

test_case "a range where one revision is wanted: the same error from every command but history"
(
	two_heads
	for cmd in "show a1:c2" "edit a1:c2" "revision -m x --head a1:c2" \
		"revision -m x --head b1 --depends-on a1:c2" "merge -m x a1:c2 b1" "resolve a1:c2 --done"; do
		# shellcheck disable=SC2086
		run retort $cmd
		expect_exit 2
		expect_eq "$(error_line)" "error: expected one revision, not a range: 'a1:c2'" "retort $cmd"
		expect_stderr_contains "hint: Name one revision; 'retort history -r A:B' lists a range."
	done
)

test_case "REV-N and LABEL@head-N name a revision everywhere (show, --head, --depends-on, history)"
(
	two_heads
	run retort show c2-1
	expect_exit 0
	expect_stdout_contains "Rev: c1 (shop)"
	run retort history -r shop@head-1
	expect_exit 0
	expect_stdout_equals "a1 -> c1 (shop), rev c1"
	run retort revision -m side --rev-id s1 --splice --head shop@head-1 --depends-on c2-2
	expect_exit 0
	expect_eq "$(header_value versions/s1_side.sql down_revision)" c1 "down_revision"
	expect_eq "$(header_value versions/s1_side.sql depends_on)" "[a1]" "depends_on"
)

test_case "heads: several revisions for show and history, an error for one revision"
(
	two_heads
	run retort history -r heads
	expect_exit 0
	expect_stdout_contains "a1 -> b1 (billing) (head), rev b1"
	expect_stdout_contains "c1 -> c2 (shop) (head), rev c2"
	run retort --json show heads
	expect_exit 0
	expect_json '[r["revision"] for r in d] == ["b1", "c2"]'
	run retort revision -m x --rev-id n1 --head b1 --depends-on heads
	expect_exit 2
	expect_stderr_contains "error: 'heads' stands for 2 revisions: b1, c2"
	expect_stderr_contains "hint: Name one revision."
	expect_file_missing "$(rev_file n1)"
)

test_case "base names no revision, except as a parent: a new root"
(
	two_heads
	run retort show base
	expect_exit 2
	expect_stderr_contains "error: 'base' names no revision"
	run retort revision -m root --rev-id r2 --head base
	expect_exit 0
	expect_eq "$(header_value versions/r2_root.sql down_revision)" null "down_revision"
)

test_case "history -r current: the revisions the database is at"
(
	two_heads
	run_ok retort upgrade shop@head
	run retort history -r current
	expect_exit 0
	expect_stdout_equals "c1 -> c2 (shop) (head) (current), rev c2"
)

test_case "merge resolves its references in the library: LABEL@head, and nothing to merge"
(
	two_heads
	run retort merge -m join --rev-id m1 billing@head shop@head
	expect_exit 0
	expect_eq "$(header_value versions/m1_join.sql down_revision)" "[b1, c2]" "down_revision"
	run retort merge -m again --rev-id m2 heads
	expect_exit 2
	expect_stderr_contains "error: nothing to merge: there is only one head"
	expect_stderr_contains "hint: A merge joins two heads or more"
	run retort merge -m again --rev-id m2 m1 m1
	expect_exit 2
	expect_stderr_contains "error: nothing to merge: there is only one head"
	expect_file_missing versions/m2_again.sql
)

test_case "merge of one revision among several heads"
(
	two_heads
	run retort merge -m x --rev-id m1 b1
	expect_exit 2
	expect_stderr_contains "error: a merge needs at least two revisions to join, got 1"
	expect_stderr_contains "hint: Name two heads or more ('retort heads' lists them), or write 'heads' for all of them."
	expect_file_missing versions/m1_x.sql
)

test_case "revision without --head among two heads keeps its own hint"
(
	two_heads
	run retort revision -m x --rev-id n1
	expect_exit 2
	expect_stderr_contains "error: the revision graph has 2 heads: b1, c2"
	expect_stderr_contains "hint: Say which one to build on with --head REV, or join them first with 'retort merge -m MSG heads'."
	expect_file_missing "$(rev_file n1)"
)

test_case "head-1 before the first revision says how to write one"
(
	new_project
	run retort show head-1
	expect_exit 2
	expect_stderr_contains "error: 'head-1': there is no revision yet"
	expect_stderr_contains "hint: Write one with 'retort revision -m MSG'."
)

test_done
