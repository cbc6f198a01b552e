#!/bin/sh
# Statement-by-statement revisions that stopped part-way, on SQLite: only a run that was
# interrupted, or failed after completing statements, leaves its revision unfinished; a
# stamp settles an unfinished run for good (a later run of the revision starts afresh);
# the digests of the statements that ran decide whether an edited file may resume.
. "$(dirname "$0")/lib.sh"

nt_project() {
	new_project
	write_rev a1 null
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
CREATE INDEX t_id ON t (id);" "DROP INDEX t_id;
DROP TABLE t;"
}

# as a SIGKILL during statement N+1 of a2's last run leaves the history
interrupt_at() {
	sql app.db "UPDATE retort_version_history SET status = 'running', statement_index = $1, finished_at = NULL
	            WHERE id = (SELECT max(id) FROM retort_version_history WHERE revision = 'a2')"
}

test_case "a downgrade whose first statement failed ran nothing: nothing claims the database holds part of it"
(
	nt_project
	run_ok retort upgrade head
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);" "DROP INDEX no_such_index;
DROP TABLE t;"
	run retort downgrade a1 --allow-changed
	expect_exit 1
	expect_stderr_contains "no such index: no_such_index"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "holds part of it"
	run retort downgrade base --allow-changed
	expect_exit 1
	expect_stderr_not_contains "holds part of it"
	expect_stderr_contains "no such index"
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "a stamp settles an interrupted run: the next upgrade of the revision starts afresh"
(
	nt_project
	run_ok retort upgrade head
	run_ok retort downgrade a1
	run_ok retort upgrade head
	interrupt_at 1
	sql app.db "DELETE FROM retort_version WHERE version_num = 'a2'; INSERT INTO retort_version VALUES ('a1');
	            DROP INDEX t_id; DROP TABLE t"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "interrupted during this statement, and it is not safe to run twice"
	# the DBA undid statement 1 by hand (above) and records where the database is
	run_ok retort stamp a1
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "resuming"
	expect_eq "$(sql app.db 'SELECT id FROM t')" 1 "rows of t"
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "stamp --purge base settles it too"
(
	nt_project
	run_ok retort upgrade head
	interrupt_at 2
	sql app.db "DELETE FROM retort_version; DROP INDEX t_id; DROP TABLE t; DROP TABLE t_a1"
	run_ok retort stamp --purge base
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "an edited file resumes when only statements that did not run changed, with a notice"
(
	nt_project
	run_ok retort upgrade a1
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
INSERT INTO nosuch VALUES (1);" "DROP TABLE t;"
	run retort upgrade head
	expect_exit 1
	# the DBA fixes the statement that failed, as the error suggests
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
CREATE INDEX IF NOT EXISTS t_id ON t (id);" "DROP TABLE t;"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "versions/a2_rev.sql changed since the earlier upgrade stopped, but only in statements that have not run yet"
	expect_eq "$(sql app.db 'SELECT count(*) FROM t')" 1 "rows of t (statement 2 ran once)"
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "an edit to a statement that ran is refused, naming its line"
(
	nt_project
	run_ok retort upgrade a1
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO t VALUES (1);
INSERT INTO nosuch VALUES (1);" "DROP TABLE t;"
	run retort upgrade head
	expect_exit 1
	write_rev a2 a1 "transactional: false" "CREATE TABLE t (id INTEGER, extra TEXT);
INSERT INTO t VALUES (1, 'x');
CREATE INDEX t_id ON t (id);" "DROP TABLE t;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/a2_rev.sql:10: statement 1 ran in an earlier upgrade of revision 'a2', and the file has changed it since"
	expect_stderr_contains "retort resolve a2"
	expect_eq "$(versions_of app.db)" a1 "version rows"
)

test_case "stamp base settles an unfinished root revision, and says so in the history"
(
	new_project
	write_rev r1 null "transactional: false" "CREATE TABLE t (id INTEGER);
INSERT INTO nosuch VALUES (1);" "DROP TABLE t;"
	run retort upgrade head
	expect_exit 1
	sql app.db "DROP TABLE t"
	run_ok retort stamp base
	expect_eq "$(history_of app.db | tail -n 1)" "r1 upgrade resolved" "the settling row"
	sql app.db "CREATE TABLE nosuch (x INTEGER)"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "resuming"
	expect_eq "$(versions_of app.db)" r1 "version rows"
)

test_done
