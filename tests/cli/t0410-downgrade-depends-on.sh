#!/bin/sh
# downgrade and stamp with depends_on: `downgrade X` removes what lies above X through
# down_revision edges and, transitively, every applied revision that needs a removed one;
# a revision that depends on X itself stays (issue 7). The version rows afterwards are the
# heads of what stays applied.
. "$(dirname "$0")/lib.sh"

downgrade_order() {
	sql "$1" "SELECT revision FROM retort_version_history WHERE direction = 'downgrade' AND status = 'applied' ORDER BY id" |
		tr '\n' ' ' | sed 's/ $//'
}

#   a1 -> a2        b1 (root, depends_on a1)
issue_graph() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev b1 null "depends_on: a1"
	run_ok retort upgrade heads
	expect_eq "$(versions_of app.db)" "a2 b1" "version rows after upgrade heads"
}

#   a1 -> a2 -> a3      c1 (root, depends_on a2) -> c2      d1 (root, depends_on c2)
#   e1 (root, depends_on a1)
chain_graph() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	write_rev c1 null "depends_on: a2"
	write_rev c2 c1
	write_rev d1 null "depends_on: c2"
	write_rev e1 null "depends_on: a1"
	run_ok retort upgrade heads
	expect_eq "$(versions_of app.db)" "a3 d1 e1" "version rows after upgrade heads"
}

#   a1 -+-> b1 -+-> m1 (merge of b1, c1)
#       +-> c1 -+
#   x1 (root, depends_on b1)
merge_graph() {
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	write_rev m1 "[b1, c1]"
	write_rev x1 null "depends_on: b1"
	run_ok retort upgrade heads
	expect_eq "$(versions_of app.db)" "m1 x1" "version rows after upgrade heads"
}

test_case "downgrade X keeps a revision that depends on X"
(
	issue_graph
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_b1" "tables"
	expect_eq "$(versions_of app.db)" "b1" "version rows (b1 implies a1)"
	expect_eq "$(downgrade_order app.db)" "a2" "revisions reverted"
	expect_stderr_not_contains "Running downgrade b1"
)

test_case "the rows after it let downgrade -1, upgrade heads and downgrade base go on"
(
	issue_graph
	run_ok retort downgrade a1
	run retort downgrade -1
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1" "tables after -1"
	expect_eq "$(versions_of app.db)" "a1" "version rows after -1"
	run retort upgrade heads
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a2 b1" "version rows after upgrade heads"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(tables_of app.db)" "" "tables after downgrade base"
	expect_eq "$(versions_of app.db)" "" "version rows after downgrade base"
)

test_case "downgrade X with X only implied by a dependent row does nothing"
(
	issue_graph
	run_ok retort downgrade a1
	before=$(dump_of app.db)
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "stamp X keeps the row of a revision that depends on X"
(
	issue_graph
	run retort stamp a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b1" "version rows"
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_b1" "tables (a stamp runs nothing)"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(downgrade_order app.db)" "b1 a1" "what downgrade base reverts after the stamp"
)

test_case "what depends on a removed revision goes too, transitively"
(
	chain_graph
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_e1" "tables"
	expect_eq "$(versions_of app.db)" "e1" "version rows"
	order=$(downgrade_order app.db)
	expect_order "$order" d1 c2 c1 a2
	expect_order "$order" a3 a2
	expect_stderr_not_contains "Running downgrade e1"
)

test_case "stamp follows the same rule, transitively"
(
	chain_graph
	run retort stamp a2
	expect_exit 0
	expect_eq "$(versions_of app.db)" "d1 e1" "version rows (d1 implies c2, c1 and a2; a3 is gone)"
	run retort stamp a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "e1" "version rows (e1 implies a1)"
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_a3 t_c1 t_c2 t_d1 t_e1" "tables"
)

test_case "downgrade to one parent of a merge keeps the other branch and the dependent"
(
	merge_graph
	run retort downgrade b1
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_b1 t_c1 t_x1" "tables"
	expect_eq "$(versions_of app.db)" "c1 x1" "version rows"
	expect_eq "$(downgrade_order app.db)" "m1" "revisions reverted"
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1" "tables after downgrade a1"
	expect_eq "$(versions_of app.db)" "a1" "version rows after downgrade a1"
)

test_case "stamp to one parent of a merge keeps the dependent's row"
(
	merge_graph
	run retort stamp b1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "c1 x1" "version rows (x1 implies b1)"
	run retort stamp a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a1" "version rows (x1 needs b1, which is above a1)"
	expect_eq "$(tables_of app.db)" "t_a1 t_b1 t_c1 t_m1 t_x1" "tables (a stamp runs nothing)"
)

test_case "downgrade --sql of the issue's graph gives what the online run gives"
(
	issue_graph
	run retort downgrade --sql heads:a1
	expect_exit 0
	cp "$RUN_STDOUT" down.sql
	run sqlite3 -bail app.db <down.sql
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_b1" "tables"
	expect_eq "$(versions_of app.db)" "b1" "version rows"
)

test_done
