#!/bin/sh
# `current` and `history --indicate-current` show the applied depends_on targets that no
# version row names (Alembic's "effective heads"), so that comparing `current` with
# `heads` in CI shows no pending migration that is not there (issue 7).
. "$(dirname "$0")/lib.sh"

#   a1 (root, a head of its own stream)      b1 (root, depends_on a1)
dependency_head() {
	new_project
	write_rev a1 null
	write_rev b1 null "depends_on: a1"
	run_ok retort upgrade heads
	expect_eq "$(versions_of app.db)" "b1" "version rows (b1 implies a1)"
}

test_case "current lists the applied dependency, so it matches heads"
(
	dependency_head
	run retort current
	expect_exit 0
	current=$(cat "$RUN_STDOUT")
	expect_eq "$current" "a1 (head)
b1 (head)" "current"
	run retort heads
	expect_exit 0
	expect_eq "$(cat "$RUN_STDOUT")" "$current" "heads"
)

test_case "current --json says which revisions are version rows"
(
	dependency_head
	run retort --json current
	expect_exit 0
	expect_json '[(h["revision"], h["version_row"]) for h in d["heads"]] == [("a1", False), ("b1", True)] and d["heads"][0]["history"][0]["direction"] == "upgrade"'
)

test_case "current --verbose shows the dependency's last run"
(
	dependency_head
	run retort current --verbose
	expect_exit 0
	expect_stdout_contains "Rev: a1 (head)"
	expect_stdout_contains "Rev: b1 (head)"
	[ "$(grep -c '^Last run:' "$RUN_STDOUT")" = 2 ] ||
		fail "not one 'Last run' per revision" "2" "$(grep -c '^Last run:' "$RUN_STDOUT")"
	_asserted
)

test_case "history --indicate-current marks the applied dependency"
(
	dependency_head
	run retort history --indicate-current
	expect_exit 0
	expect_stdout_contains "<base> -> a1 (head) (current), rev a1"
	expect_stdout_contains "<base> -> b1 (head) (current), rev b1"
)

test_case "a dependency with an applied child is not current; a pending child still shows"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev b1 null "depends_on: a1"
	run_ok retort upgrade b1
	run retort current
	expect_exit 0
	expect_eq "$(cat "$RUN_STDOUT")" "a1
b1 (head)" "current before a2"
	run retort heads
	expect_stdout_contains "a2 (head)"
	run_ok retort upgrade a2
	run retort current
	expect_exit 0
	expect_eq "$(cat "$RUN_STDOUT")" "a2 (head)
b1 (head)" "current after a2"
	run retort history --indicate-current
	expect_stdout_contains "a1 -> a2 (head) (current), rev a2"
	expect_stdout_contains "<base> -> a1, rev a1"
	expect_stdout_not_contains "a1 (current)"
)

test_done
