#!/bin/sh
# Relative targets (issue 7): +0, -0 and REV+0 mean "here"; head-N, heads-N and
# LABEL@head-N count from a head as in Alembic; `history -r -N:` reads the database
# instead of talking about offline mode.
. "$(dirname "$0")/lib.sh"

linear() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	write_rev a4 a3
}

#   a1 -+-> b1 (feat) -> b2 -> b3
#       +-> c1 (gui)  -> c2
branchy() {
	new_project
	write_rev a1 null
	write_rev b1 a1 "branch_labels: [feat]"
	write_rev b2 b1
	write_rev b3 b2
	write_rev c1 a1 "branch_labels: [gui]"
	write_rev c2 c1
}

test_case "+0 and -0 are where the database is"
(
	linear
	run_ok retort upgrade a2
	before=$(dump_of app.db)
	run retort upgrade +0
	expect_exit 0
	expect_stderr_contains "nothing to do: the database is already at a2"
	run retort downgrade -0
	expect_exit 0
	expect_stderr_contains "nothing to do: the database is already at a2"
	run retort stamp +0
	expect_exit 0
	expect_stderr_contains "nothing to do"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "REV+0 and REV-0 are REV"
(
	linear
	run_ok retort upgrade a1
	run retort upgrade a3+0
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows"
	expect_stderr_not_contains "past the head"
	run retort downgrade a2-0
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "head-N and heads-N count down from the single head"
(
	linear
	run retort upgrade head-1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows after upgrade head-1"
	run_ok retort upgrade head
	run retort downgrade heads-2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows after downgrade heads-2"
	run retort downgrade head-4
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows after downgrade head-4 (below the base)"
	run retort upgrade head-5
	expect_exit 2
	expect_stderr_contains "'head-5' goes below the base"
)

test_case "head-N and heads-N with several heads fail and list them"
(
	branchy
	run retort upgrade head-1
	expect_exit 2
	expect_stderr_contains "the revision graph has 2 heads: b3, c2"
	run retort upgrade heads-1
	expect_exit 2
	expect_stderr_contains "the revision graph has 2 heads: b3, c2"
	expect_file_missing app.db
)

test_case "head-N without any revision says so"
(
	new_project
	run retort upgrade head-1
	expect_exit 2
	expect_stderr_contains "error: 'head-1': there is no revision yet"
)

test_case "LABEL@head-N counts down from the head of the branch"
(
	branchy
	run retort upgrade feat@head-1
	expect_exit 0
	expect_eq "$(versions_of app.db)" b2 "version rows"
	run retort upgrade gui@head-0
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b2 c2" "version rows"
	run retort downgrade gui@head-1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b2 c1" "version rows"
	run retort upgrade feat@head+1
	expect_exit 2
	expect_stderr_contains "'feat@head+1' goes past the head 'b3'"
	run retort upgrade feat@sideways-1
	expect_exit 2
	expect_stderr_contains "after '@' comes head, head-N, base, +N or -N"
)

test_case "history -r -N: with a database counts from the database"
(
	linear
	run_ok retort upgrade a3
	run retort history -r -1:
	expect_exit 0
	expect_output_not_contains "offline"
	expect_stdout_contains "a2 -> a3 (current)"
	expect_stdout_contains "a3 -> a4 (head)"
	expect_stdout_not_contains "a1 -> a2"
)

test_case "a relative target where no database state is known does not blame offline mode alone"
(
	branchy
	run retort show feat@-1
	expect_exit 2
	expect_stderr_contains "'feat@-1' is relative to the database's current revision, which is not known here"
	expect_stderr_contains "hint: Name a revision instead (REV-N and REV+N count from a revision)"
)

test_done
