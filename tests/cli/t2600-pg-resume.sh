#!/bin/sh
# Statement-by-statement (non-transactional) revisions that stop half-way: the history
# table records the run as failed with the index of the statement it stopped at;
# `current` shows it; a rerun resumes at that statement when that is safe (the earlier
# run reported the failure, or the statement is idempotent) and completes without
# repeating what already ran. When a run was interrupted during a statement that is not
# safe to repeat (killed with SIGKILL, or a history row left 'running'), retort refuses
# with a clear message naming `retort resolve`, and `stamp` settles it too. A file edited
# since the failed run resumes when only statements that have not run changed.
. "$(dirname "$0")/pg-lib.sh"

# half_project: a1 (transactional: false) stops at its third statement (line 12) while
# missing_table does not exist; a2 is a plain revision.
half_project() {
	pg_project
	write_rev a1 null "transactional: false" "CREATE TABLE log (what text);
INSERT INTO log VALUES ('one');
INSERT INTO missing_table VALUES (3);
INSERT INTO log VALUES ('four');" "DROP TABLE log;"
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id int);" "DROP TABLE t_a2;"
}

log_rows() {
	psql_db "SELECT coalesce(string_agg(what, ' ' ORDER BY what), '') FROM log"
}

test_case "failing half-way: recorded as failed at the statement; current shows it; the rerun resumes there"
(
	pg_case
	half_project
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:12: relation \"missing_table\" does not exist (42P01)"
	expect_eq "$(pg_history)" "a1 upgrade failed 2" "history rows"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(log_rows)" "one" "log rows"
	expect_eq "$(psql_db "SELECT error FROM retort_version_history" | sed 's|^.*/versions/|versions/|')" \
		"versions/a1_rev.sql:12: relation \"missing_table\" does not exist (42P01)" "the error in the history"
	run retort current
	expect_exit 0
	expect_stderr_matches "^warning: FAILED upgrade of a1 started at [0-9-]+T[0-9:.]+Z$"
	run retort current --verbose
	expect_exit 0
	expect_stdout_matches "upgrade +FAILED .* at statement 3$"
	expect_stdout_contains "relation \"missing_table\" does not exist (42P01)"
	run retort --json current
	expect_exit 0
	expect_json 'd["heads"] == [] and [(r["revision"], r["status"], r["statement_index"]) for r in d["failed_runs"]] == [("a1", "failed", 2)]'
	# the cause fixed, the rerun resumes at statement 3 and goes on to a2
	pq "CREATE TABLE missing_table (id int)"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: resuming revision 'a1' at statement 3 of 4 (line 12): an earlier run stopped there"
	expect_eq "$(log_rows)" "four one" "log rows ('one' was not inserted twice)"
	expect_eq "$(psql_db "SELECT count(*) FROM missing_table")" 1 "rows of missing_table"
	expect_eq "$(pg_history)" "a1 upgrade failed 2
a1 upgrade applied 4
a2 upgrade applied -" "history rows"
	expect_eq "$(pg_versions)" a2 "version rows"
	run retort current
	expect_exit 0
	expect_stderr_not_contains "FAILED"
)

test_case "killed with SIGKILL during a statement that is not safe to repeat: refused, then settled with stamp"
(
	pg_case
	pg_project
	write_rev a1 null "transactional: false" "CREATE TABLE log (what text);
INSERT INTO log VALUES ('one');
SELECT pg_sleep(30);
INSERT INTO log VALUES ('four');" "DROP TABLE log;"
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id int);" "DROP TABLE t_a2;"
	retort_bg_exec a upgrade head
	a=$BG_PID
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort' AND query LIKE 'SELECT pg_sleep(30)%'" 1 \
		"retort to run the pg_sleep"
	kill -KILL "$a"
	wait "$a" 2>/dev/null
	# the server still runs the orphaned statement, holding the migration lock: a DBA ends it
	pq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'retort'" >/dev/null
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort'" 0 "the orphaned backend to end"
	expect_eq "$(pg_history)" "a1 upgrade running 2" "history rows after the kill"
	expect_eq "$(log_rows)" "one" "log rows"
	run retort current
	expect_exit 0
	expect_stderr_matches "^warning: INTERRUPTED upgrade of a1 started at "
	run retort current --verbose
	expect_exit 0
	expect_stdout_matches "upgrade +INTERRUPTED .* at statement 3$"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:12: an earlier upgrade of revision 'a1' was interrupted during this statement, and it is not safe to run twice"
	expect_stderr_contains "detail: Statements 1 to 2 completed; whether statement 3 took effect is unknown."
	expect_stderr_contains "'retort resolve a1 --retry-from 4'"
	expect_stderr_not_contains "waiting"
	expect_eq "$(pg_history)" "a1 upgrade running 2" "history rows after the refusal"
	expect_eq "$(log_rows)" "one" "log rows after the refusal"
	expect_eq "$(pg_versions)" "" "version rows after the refusal"
	# the DBA finishes the revision by hand and records it
	pq "INSERT INTO log VALUES ('four')"
	run retort stamp a1
	expect_exit 0
	expect_eq "$(pg_versions)" a1 "version rows after stamp"
	run retort current
	expect_exit 0
	expect_stderr_not_contains "INTERRUPTED"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "Running upgrade <base> -> a1"
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(log_rows)" "four one" "log rows"
)

test_case "a 'running' history row at an idempotent statement: the rerun resumes there"
(
	pg_case
	pg_project
	write_rev a1 null "transactional: false" "CREATE TABLE log (what text);
INSERT INTO log VALUES ('one');
CREATE TABLE IF NOT EXISTS t_three (id int);
INSERT INTO missing_table VALUES (4);" "DROP TABLE t_three;
DROP TABLE log;"
	run retort upgrade head
	expect_exit 1
	expect_eq "$(pg_history)" "a1 upgrade failed 3" "history rows after the failure"
	# as if the run had been killed during statement 3
	pq "UPDATE retort_version_history SET status = 'running', statement_index = 2, finished_at = NULL"
	pq "CREATE TABLE missing_table (id int)"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: resuming revision 'a1' at statement 3 of 4 (line 12): an earlier run stopped there"
	expect_eq "$(log_rows)" "one" "log rows"
	expect_eq "$(pg_tables)" "log missing_table t_three" "tables"
	expect_eq "$(pg_versions)" a1 "version rows"
)

test_case "a 'running' history row at a statement that is not idempotent: refused"
(
	pg_case
	half_project
	run retort upgrade head
	expect_exit 1
	pq "UPDATE retort_version_history SET status = 'running', finished_at = NULL"
	pq "CREATE TABLE missing_table (id int)"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:12: an earlier upgrade of revision 'a1' was interrupted during this statement, and it is not safe to run twice"
	expect_eq "$(psql_db "SELECT count(*) FROM missing_table")" 0 "rows of missing_table"
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and d["error"]["line"] == 12 and "resolve a1 --retry-from 3" in d["error"]["hint"]'
	run retort stamp a1
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_case "the file changed after the failed run, only where nothing ran yet: the rerun resumes with the new text"
(
	pg_case
	half_project
	run retort upgrade head
	expect_exit 1
	sed 's/missing_table/log/; s/VALUES (3)/VALUES ($$three$$)/' "$(rev_file a1)" >a1.new && mv a1.new "$(rev_file a1)"
	run retort upgrade head
	expect_exit 0
	expect_stderr_matches "^notice: (/.*/)?versions/a1_rev\.sql changed since the earlier upgrade stopped, but only in statements that have not run yet: resuming with the new text$"
	expect_eq "$(log_rows)" "four one three" "log rows"
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_case "the file changed a statement that already ran: refused, naming that statement"
(
	pg_case
	half_project
	run retort upgrade head
	expect_exit 1
	sed "s/VALUES ('one')/VALUES ('uno')/" "$(rev_file a1)" >a1.new && mv a1.new "$(rev_file a1)"
	run retort upgrade head
	expect_exit 1
	expect_stderr_matches "^error: (/.*/)?versions/a1_rev\.sql:11: statement 2 ran in an earlier upgrade of revision 'a1', and the file has changed it since$"
	expect_stderr_contains "'retort resolve a1 --done', '--undone' or '--retry-from N'"
	expect_eq "$(log_rows)" "one" "log rows"
	expect_eq "$(pg_history)" "a1 upgrade failed 2" "history rows"
)

test_case "a statement-by-statement downgrade failing half-way resumes too"
(
	pg_case
	pg_project
	write_rev a1 null "transactional: false" "CREATE TABLE log (what text);
CREATE TABLE keep (id int);" "INSERT INTO log VALUES ('down one');
DROP TABLE missing_table;
DROP TABLE log;"
	run retort upgrade head
	expect_exit 0
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:15: table \"missing_table\" does not exist (42P01)"
	expect_eq "$(pg_history)" "a1 upgrade applied 2
a1 downgrade failed 1" "history rows"
	expect_eq "$(pg_versions)" a1 "version rows"
	pq "CREATE TABLE missing_table (id int)"
	run retort downgrade base
	expect_exit 0
	expect_stderr_contains "notice: resuming revision 'a1' at statement 2 of 3 (line 15)"
	expect_eq "$(pg_tables)" "keep" "tables"
	expect_eq "$(pg_versions)" "" "version rows"
)

test_done
