#!/bin/sh
# downgrade: every target form, dependents first, branch labels, irreversible revisions
# (refused before anything runs) and empty downgrade sections.
. "$(dirname "$0")/lib.sh"

#   a10000 -> a20000 -> a30000 -+-> b10000 (feat) -> b20000
#                               +-> c10000 (gui)  -> c20000
branchy() {
	new_project
	write_rev a10000 null
	write_rev a20000 a10000
	write_rev a30000 a20000
	write_rev b10000 a30000 "branch_labels: [feat]"
	write_rev b20000 b10000
	write_rev c10000 a30000 "branch_labels: [gui]"
	write_rev c20000 c10000
	run_ok retort upgrade heads
}

linear() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	write_rev a4 a3
	run_ok retort upgrade head
}

downgrade_order() {
	sql "$1" "SELECT revision FROM retort_version_history WHERE direction = 'downgrade' AND status = 'applied' ORDER BY id" |
		tr '\n' ' ' | sed 's/ $//'
}

test_case "downgrade base reverts everything, newest first"
(
	linear
	run retort downgrade base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
	expect_eq "$(downgrade_order app.db)" "a4 a3 a2 a1" "downgrade order"
	expect_stderr_contains "Running downgrade a4 -> a3"
	expect_stderr_contains "Running downgrade a1 -> <base>"
)

test_case "downgrade -1 and -2"
(
	linear
	run retort downgrade -1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows after -1"
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_a3" "tables after -1"
	run retort downgrade -2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a1 "version rows after -2"
	expect_eq "$(tables_of app.db)" "t_a1" "tables after -2"
)

test_case "downgrade -N past base fails and changes nothing"
(
	linear
	before=$(dump_of app.db)
	run retort downgrade -5
	expect_exit 2
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "downgrade to a full id and to a unique prefix"
(
	new_project
	write_rev aa0001 null
	write_rev bb0002 aa0001
	write_rev cc0003 bb0002
	write_rev dd0004 cc0003
	run_ok retort upgrade head
	run retort downgrade cc0003
	expect_exit 0
	expect_eq "$(versions_of app.db)" cc0003 "version rows"
	run retort downgrade aa
	expect_exit 0
	expect_eq "$(versions_of app.db)" aa0001 "version rows"
	expect_eq "$(tables_of app.db)" t_aa0001 "tables"
)

test_case "downgrade to an ambiguous prefix lists the candidates and changes nothing"
(
	branchy
	before=$(dump_of app.db)
	run retort downgrade a
	expect_exit 2
	expect_stderr_contains "a10000"
	expect_stderr_contains "a20000"
	expect_stderr_contains "a30000"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "REV-N counts back from REV"
(
	linear
	run retort downgrade a4-2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "-1 with two current heads is ambiguous; LABEL@-1 is not"
(
	branchy
	before=$(dump_of app.db)
	run retort downgrade -1
	expect_exit 2
	expect_stderr_contains "b20000"
	expect_stderr_contains "c20000"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
	run retort downgrade gui@-1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b20000 c10000" "version rows"
	run retort downgrade feat@-2
	expect_exit 0
	expect_eq "$(versions_of app.db)" "c10000" "version rows"
	expect_eq "$(tables_of app.db)" "t_a10000 t_a20000 t_a30000 t_c10000" "tables"
)

test_case "LABEL@base removes one branch only"
(
	branchy
	run retort downgrade feat@base
	expect_exit 0
	expect_eq "$(versions_of app.db)" c20000 "version rows"
	expect_eq "$(tables_of app.db)" "t_a10000 t_a20000 t_a30000 t_c10000 t_c20000" "tables"
	expect_eq "$(downgrade_order app.db)" "b20000 b10000" "downgrade order"
)

test_case "a bare branch label keeps the labelled revision"
(
	branchy
	run retort downgrade feat
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b10000 c20000" "version rows"
)

test_case "downgrade to a revision that is not applied fails"
(
	branchy
	run_ok retort downgrade gui@base
	before=$(dump_of app.db)
	run retort downgrade c10000
	expect_exit 2
	expect_stderr_contains "c10000"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "downgrade to the current revision does nothing"
(
	linear
	before=$(dump_of app.db)
	run retort downgrade a4
	expect_exit 0
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "dependents are downgraded before what they depend on"
(
	new_project
	write_rev x1 null "branch_labels: [extra]"
	write_rev a1 null
	write_rev a2 a1 "depends_on: [x1]"
	run_ok retort upgrade heads
	run retort downgrade extra@base
	expect_exit 0
	expect_order "$(downgrade_order app.db)" a2 x1
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
	expect_eq "$(versions_of app.db)" a1 "version rows"
)

test_case "downgrade base with branches and a merge"
(
	branchy
	write_rev m10000 "[b20000, c20000]" "" "" ""
	run_ok retort upgrade head
	expect_eq "$(versions_of app.db)" m10000 "version rows at the merge"
	run retort downgrade -1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b20000 c20000" "version rows below the merge"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
	order=$(downgrade_order app.db)
	expect_order "$order" m10000 b20000 b10000 a30000 a20000 a10000
	expect_order "$order" c20000 c10000 a30000
)

test_case "an irreversible revision: downgrading through it fails before anything runs"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" NONE
	write_rev a3 a2
	write_rev a4 a3
	run_ok retort upgrade head
	before=$(dump_of app.db)
	run retort downgrade base
	expect_exit 2
	expect_stderr_contains "'a2'"
	expect_stderr_contains "a2_rev.sql"
	expect_stderr_not_contains "Running downgrade"
	expect_eq "$(dump_of app.db)" "$before" "database dump (a4 and a3 must not be reverted either)"
	run retort downgrade a1
	expect_exit 2
	expect_eq "$(dump_of app.db)" "$before" "database dump"
	# above it is fine
	run retort downgrade a2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "downgrade --json of an irreversible revision reports it, with no steps"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" NONE
	run_ok retort upgrade head
	run retort --json downgrade base
	expect_exit 2
	expect_json 'd["ok"] is False and d["steps"] == [] and "a2" in d["error"]["message"]'
)

test_case "an empty downgrade section is a valid no-op"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE keep_me (id INTEGER);" ""
	run_ok retort upgrade head
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a1 "version rows"
	expect_eq "$(tables_of app.db)" "keep_me t_a1" "tables"
)

test_case "downgrade takes no +N and needs a target"
(
	linear
	before=$(dump_of app.db)
	run retort downgrade +1
	expect_exit 2
	run retort downgrade
	expect_exit 2
	expect_stderr_contains "TARGET"
	run retort downgrade head
	# head is at or above the current revision: nothing to do or refused, never a change
	case $RUN_EXIT in 0 | 2) ;; *) fail "unexpected exit" "0 or 2" "$RUN_EXIT" ;; esac
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "downgrade of an empty database"
(
	new_project
	write_rev a1 null
	run retort downgrade base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_done
