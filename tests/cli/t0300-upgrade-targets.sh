#!/bin/sh
# upgrade: every target form against real SQLite files, the multiple-heads error, prefixes,
# labels, relative targets, and the order revisions are applied in.
. "$(dirname "$0")/lib.sh"

# The graph used by most cases:
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
}

# applied_order DB: the revisions of the history rows, oldest first, space separated.
applied_order() {
	sql "$1" "SELECT revision FROM retort_version_history WHERE direction = 'upgrade' AND status = 'applied' ORDER BY id" |
		tr '\n' ' ' | sed 's/ $//'
}

test_case "upgrade head on a linear history applies every revision in order"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows"
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_a3" "tables"
	expect_eq "$(applied_order app.db)" "a1 a2 a3" "order applied"
	expect_stderr_contains "Running upgrade <base> -> a1"
	expect_stderr_contains "Running upgrade a2 -> a3"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(applied_order app.db)" "a1 a2 a3" "order applied after a second run"
)

test_case "upgrade head with two heads fails, lists them, suggests heads and LABEL@head"
(
	branchy
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "b20000"
	expect_stderr_contains "c20000"
	expect_stderr_contains "heads"
	expect_stderr_contains "LABEL@head"
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "upgrade heads applies both branches, parents first, one version row per head"
(
	branchy
	run retort upgrade heads
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b20000 c20000" "version rows"
	expect_eq "$(tables_of app.db)" "t_a10000 t_a20000 t_a30000 t_b10000 t_b20000 t_c10000 t_c20000" "tables"
	order=$(applied_order app.db)
	expect_eq "$(echo "$order" | cut -d' ' -f1-3)" "a10000 a20000 a30000" "trunk first"
	expect_order "$order" a30000 b10000 b20000
	expect_order "$order" a30000 c10000 c20000
	# deterministic: the same order on another database
	run retort --url sqlite:///other.db upgrade heads
	expect_exit 0
	expect_eq "$(applied_order other.db)" "$order" "order on a second database"
)

test_case "upgrade to a full id applies exactly its ancestors"
(
	branchy
	run retort upgrade b10000
	expect_exit 0
	expect_eq "$(versions_of app.db)" b10000 "version rows"
	expect_eq "$(tables_of app.db)" "t_a10000 t_a20000 t_a30000 t_b10000" "tables"
)

test_case "upgrade to a unique prefix"
(
	branchy
	run retort upgrade a2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a20000 "version rows"
	run retort upgrade c2
	expect_exit 0
	expect_eq "$(versions_of app.db)" c20000 "version rows"
)

test_case "an ambiguous prefix fails and lists the candidates"
(
	branchy
	run retort upgrade a
	expect_exit 2
	expect_stderr_contains "ambiguous"
	expect_stderr_contains "a10000"
	expect_stderr_contains "a20000"
	expect_stderr_contains "a30000"
	expect_stderr_not_contains "b10000"
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "an unknown revision fails with exit 2"
(
	branchy
	run retort upgrade 99ff
	expect_exit 2
	expect_stderr_contains "99ff"
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "a branch label names the revision that carries it"
(
	branchy
	run retort upgrade feat
	expect_exit 0
	expect_eq "$(versions_of app.db)" b10000 "version rows"
)

test_case "LABEL@head upgrades one branch only"
(
	branchy
	run retort upgrade feat@head
	expect_exit 0
	expect_eq "$(versions_of app.db)" b20000 "version rows"
	expect_eq "$(tables_of app.db)" "t_a10000 t_a20000 t_a30000 t_b10000 t_b20000" "tables"
	run retort upgrade gui@head
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b20000 c20000" "version rows"
)

test_case "an unknown label in LABEL@head fails"
(
	branchy
	run retort upgrade nolabel@head
	expect_exit 2
	expect_stderr_contains "nolabel"
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "+N from base and from the current revision (linear history)"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	write_rev a4 a3
	run retort upgrade +2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows after +2"
	run retort upgrade +1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows after +1"
)

test_case "+N walks an unambiguous trunk even when the graph has two heads (as Alembic)"
(
	branchy
	# from base the walk a10000 -> a20000 has one child at each step
	run retort upgrade +2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a20000 "version rows after +2"
	run retort upgrade +1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a30000 "version rows after +1"
)

test_case "+N at a branch point is ambiguous: names the candidates, suggests LABEL@+N"
(
	branchy
	run_ok retort upgrade a30000
	run retort upgrade +1
	expect_exit 2
	expect_stderr_contains "ambiguous"
	# the next step could go to either child of a30000
	expect_stderr_contains "b10000"
	expect_stderr_contains "c10000"
	expect_stderr_contains "LABEL@+1"
	expect_eq "$(versions_of app.db)" a30000 "version rows"
)

test_case "+N beyond the head fails"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort upgrade +3
	expect_exit 2
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "REV+N counts from REV"
(
	branchy
	run retort upgrade a10000+2
	expect_exit 0
	expect_eq "$(versions_of app.db)" a30000 "version rows"
	run retort upgrade b1+1
	expect_exit 0
	expect_eq "$(versions_of app.db)" b20000 "version rows"
)

test_case "LABEL@+N moves along one branch"
(
	branchy
	run_ok retort upgrade a30000
	run retort upgrade gui@+1
	expect_exit 0
	expect_eq "$(versions_of app.db)" c10000 "version rows after gui@+1"
	run retort upgrade feat@+2
	expect_exit 0
	expect_eq "$(versions_of app.db)" "b20000 c10000" "version rows after feat@+2"
)

test_case "upgrading to a revision already applied changes nothing"
(
	branchy
	run_ok retort upgrade b20000
	before=$(dump_of app.db)
	run retort upgrade a20000
	expect_exit 0
	expect_eq "$(dump_of app.db)" "$before" "database dump"
	run retort upgrade b20000
	expect_exit 0
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "depends_on: the dependency's branch is applied first"
(
	new_project
	write_rev a1 null
	write_rev x1 null "branch_labels: [extra]"
	write_rev x2 x1
	write_rev a2 a1 "depends_on: [x2]" \
		"CREATE TABLE t_a2 (id INTEGER PRIMARY KEY, x INTEGER REFERENCES t_x2 (id));"
	run retort upgrade a2
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_x1 t_x2" "tables"
	order=$(applied_order app.db)
	expect_order "$order" x1 x2 a2
	expect_order "$order" a1 a2
)

test_case "depends_on by branch label"
(
	new_project
	write_rev a1 null
	write_rev x1 null "branch_labels: [extra]"
	write_rev a2 a1 "depends_on: [extra]"
	run retort upgrade a2
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_a2 t_x1" "tables"
)

test_case "a merge revision collapses the version rows into one"
(
	branchy
	write_rev m10000 "[b20000, c20000]" "" "" ""
	run_ok retort upgrade b20000
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" m10000 "version rows"
	expect_eq "$(sql app.db "SELECT count(*) FROM retort_version_history WHERE revision = 'm10000' AND status = 'applied'")" 1 "history rows of the merge"
)

test_case "a version row naming an unknown revision stops upgrade, exit 1"
(
	branchy
	run_ok retort upgrade a20000
	sql app.db "UPDATE retort_version SET version_num = 'ffff00'"
	before=$(dump_of app.db)
	run retort upgrade heads
	expect_exit 1
	expect_stderr_contains "ffff00"
	expect_stderr_contains "stamp"
	expect_eq "$(dump_of app.db)" "$before" "database dump"
)

test_case "upgrade takes no -N and needs a target"
(
	branchy
	run retort upgrade -1
	expect_exit 2
	run retort upgrade
	expect_exit 2
	expect_stderr_contains "TARGET"
	run retort upgrade head extra
	expect_exit 2
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "upgrade of a project with no revisions"
(
	new_project
	run retort upgrade head
	# nothing to apply: either success with nothing done or a clear error, never a crash
	case $RUN_EXIT in 0 | 2) ;; *) fail "unexpected exit" "0 or 2" "$RUN_EXIT" ;; esac
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_done
