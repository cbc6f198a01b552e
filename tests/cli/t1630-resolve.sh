#!/bin/sh
# retort resolve REV --done | --undone | --retry-from N: after a statement-by-statement
# revision stopped part-way, the DBA records what the database holds, and the next upgrade
# or downgrade proceeds, with no SQL written by hand; the history keeps the decision.
. "$(dirname "$0")/lib.sh"

nt_project() {
	new_project
	write_rev a1 null
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
INSERT INTO t SELECT 2 FROM nosuch;
INSERT INTO t VALUES (4);" "DELETE FROM t WHERE id = 4;
DELETE FROM t WHERE id = 2;
DROP TABLE t;"
	write_rev a3 a2
}

# as a SIGKILL during statement N+1 of a2's last run leaves the history
interrupt_at() {
	sql app.db "UPDATE retort_version_history SET status = 'running', statement_index = $1, finished_at = NULL, error = NULL
	            WHERE id = (SELECT max(id) FROM retort_version_history WHERE revision = 'a2')"
}

last_row() { sql app.db "SELECT status || ' ' || statement_index || ' ' || error FROM retort_version_history ORDER BY id DESC LIMIT 1"; }

test_case "--retry-from N: the statements before N are recorded as done, the next upgrade resumes at N"
(
	nt_project
	run retort upgrade head
	expect_exit 1
	# the DBA did statement 3's job another way
	sql app.db "INSERT INTO t VALUES (2)"
	run retort resolve a2 --retry-from 4 -m "inserted row 2 by hand"
	expect_exit 0
	expect_stderr_contains "recorded statements 1 to 3 of the upgrade of 'a2' as done: the next upgrade resumes at statement 4 of 4"
	expect_eq "$(last_row)" "failed 3 resolved by hand with 'retort resolve --retry-from 4': inserted row 2 by hand" "history row"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "resuming revision 'a2' at statement 4 of 4"
	expect_eq "$(sql app.db 'SELECT id FROM t ORDER BY id' | tr '\n' ' ')" "1 2 4 " "rows of t"
	expect_eq "$(versions_of app.db)" a3 "version rows"
)

test_case "--done: the version rows move as the step would have moved them"
(
	nt_project
	run retort upgrade head
	expect_exit 1
	interrupt_at 3
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "not safe to run twice"
	sql app.db "INSERT INTO t VALUES (4)"
	run retort --json resolve a2 --done
	expect_exit 0
	expect_json 'd == {"ok": True, "revision": "a2", "direction": "upgrade", "action": "done", "statements": 4, "completed_before": 3}'
	expect_eq "$(versions_of app.db)" a2 "version rows"
	expect_eq "$(last_row)" "applied 4 resolved by hand with 'retort resolve --done'" "history row"
	run retort current
	expect_exit 0
	expect_stderr_not_contains "INTERRUPTED"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows"
)

test_case "--undone: nothing is left, the revision runs again from its first statement"
(
	nt_project
	run retort upgrade head
	expect_exit 1
	sql app.db "DROP TABLE t; CREATE TABLE nosuch (x INTEGER); INSERT INTO nosuch VALUES (0)"
	run retort resolve a2 --undone
	expect_exit 0
	expect_stderr_contains "recorded the upgrade of 'a2' as undone"
	expect_eq "$(versions_of app.db)" a1 "version rows"
	run retort current
	expect_exit 0
	expect_stderr_not_contains "FAILED"
	run retort check
	expect_exit 0
	expect_stdout_not_contains "failed"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "resuming"
	expect_eq "$(sql app.db 'SELECT id FROM t ORDER BY id' | tr '\n' ' ')" "1 2 4 " "rows of t"
)

test_case "a stopped downgrade resolved as done: the revision below it is the head"
(
	nt_project
	run_ok retort upgrade a1
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);" "DROP TABLE t;
DROP TABLE nosuch;"
	run_ok retort upgrade a2
	run retort downgrade a1
	expect_exit 1
	expect_eq "$(versions_of app.db)" a2 "version rows after the failure"
	run retort resolve a2 --done
	expect_exit 0
	expect_stderr_contains "recorded the downgrade of 'a2' as done"
	expect_eq "$(versions_of app.db)" a1 "version rows"
	expect_eq "$(tables_of app.db)" "t_a1" "tables"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a3 "version rows after upgrading again"
)

test_case "errors: nothing to resolve, a statement out of range, no action or two, a bad number"
(
	nt_project
	run_ok retort upgrade a1
	run retort resolve a1 --done
	expect_exit 2
	expect_stderr_contains "error: revision 'a1' has no unfinished run to resolve"
	expect_stderr_contains "retort current --verbose"
	run retort upgrade head
	expect_exit 1
	run retort resolve a2 --retry-from 5
	expect_exit 2
	expect_stderr_contains "error: --retry-from 5 is out of range: the upgrade section of revision 'a2' has 4 statements"
	run retort resolve a2
	expect_exit 2
	expect_stderr_contains "give exactly one of --done, --undone and --retry-from N"
	run retort resolve a2 --done --undone
	expect_exit 2
	expect_stderr_contains "give exactly one of"
	run retort resolve a2 --retry-from 2x
	expect_exit 2
	expect_stderr_contains "--retry-from takes a statement number (1, 2, ...), not '2x'"
	run retort resolve --done
	expect_exit 2
	expect_stderr_contains "which revision?"
	run retort resolve nosuch --done
	expect_exit 2
	expect_stderr_contains "no revision, branch label or id prefix matches 'nosuch'"
	expect_eq "$(last_row | sed 's|^failed 2 .*/versions/|failed 2 versions/|')" "failed 2 versions/a2_rev.sql:12: no such table: nosuch" \
		"history row (nothing recorded)"
)

test_done
