#!/bin/sh
# graph: the revision graph as Graphviz DOT, parent and depends_on edges, heads, and the
# current revisions marked (unless --no-current).
. "$(dirname "$0")/lib.sh"

#   r1 -> r2 -+-> f1 (feat)
#             +-> g1  <- - depends on - - x1
graph_project() {
	new_project
	write_rev r1 null
	write_rev r2 r1
	write_rev f1 r2 "branch_labels: [feat]"
	write_rev g1 r2 "depends_on: [x1]"
	write_rev x1 null
}

node_line() { grep "^ *\"$2\" *\[" "$1"; }

test_case "graph prints a DOT digraph with every revision and edge once"
(
	graph_project
	run retort graph --no-current
	expect_exit 0
	expect_stdout_matches '^digraph [A-Za-z_"]* *\{$'
	expect_stdout_matches '^\}$'
	for r in r1 r2 f1 g1 x1; do
		expect_eq "$(grep -c "^ *\"$r\" *\[" "$RUN_STDOUT")" 1 "node lines for $r"
	done
	expect_eq "$(grep -c '^ *"[^"]*" -> "' "$RUN_STDOUT")" 4 "edges"
	expect_stdout_matches '^ *"r1" -> "r2"'
	expect_stdout_matches '^ *"r2" -> "f1"'
	expect_stdout_matches '^ *"r2" -> "g1"'
	expect_stdout_matches '^ *"x1" -> "g1".*dashed'
	expect_stdout_contains "feat"
	# braces balance
	expect_eq "$(tr -cd '{' <"$RUN_STDOUT" | wc -c)" "$(tr -cd '}' <"$RUN_STDOUT" | wc -c)" "balanced braces"
)

test_case "graph marks the current revisions, and only them"
(
	graph_project
	run_ok retort upgrade f1
	run retort graph
	expect_exit 0
	cp "$RUN_STDOUT" marked.dot
	run retort graph --no-current
	expect_exit 0
	cp "$RUN_STDOUT" plain.dot
	[ "$(node_line marked.dot f1)" != "$(node_line plain.dot f1)" ] ||
		fail "the current revision f1 is not marked" "a different node line for f1" "$(node_line marked.dot f1)"
	expect_eq "$(node_line marked.dot g1)" "$(node_line plain.dot g1)" "node g1 (not applied)"
	expect_eq "$(node_line marked.dot x1)" "$(node_line plain.dot x1)" "node x1 (not applied)"
	[ "$(node_line marked.dot f1)" != "$(node_line marked.dot r2)" ] ||
		fail "current f1 and applied r2 look the same" "different" "$(node_line marked.dot f1)"
)

test_case "graph without a database file marks nothing and creates nothing"
(
	graph_project
	run retort graph
	expect_exit 0
	grep -v '^//' "$RUN_STDOUT" >a.dot
	run retort graph --no-current
	expect_exit 0
	grep -v '^//' "$RUN_STDOUT" >b.dot
	expect_files_equal a.dot b.dot "graph with and without --no-current (comments aside)"
	expect_file_missing app.db
)

test_case "graph of an empty project is still a digraph"
(
	new_project
	run retort graph
	expect_exit 0
	expect_stdout_matches '^digraph '
	expect_stdout_matches '^\}$'
)

test_case "graph of a broken graph fails with exit 2"
(
	new_project
	write_rev a1 nothere
	run retort graph
	expect_exit 2
	expect_stderr_contains "nothere"
	expect_stdout_empty
)

test_done
