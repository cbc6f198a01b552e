#!/bin/sh
# A failing statement in the middle of a run: with transaction: per-revision the earlier
# revisions stay applied and the failing one is rolled back completely (statements and
# version row) and recorded as failed; with transaction: all nothing is applied. The
# error names the file and the line of the failing statement and carries SQLite's message.
. "$(dirname "$0")/lib.sh"

# r1 creates a; r2 creates b, inserts into it, then fails on line FAIL_LINE; r3 creates c.
failing_project() {
	new_project
	write_rev r1 null "" "CREATE TABLE a (x INTEGER);
INSERT INTO a VALUES (1);" "DROP TABLE a;"
	write_rev r2 r1 "" "CREATE TABLE b (x INTEGER);
INSERT INTO b VALUES (1);
UPDATE a SET x = 2;
INSERT INTO nosuch VALUES (1);
CREATE TABLE never (x INTEGER);" "DROP TABLE b;"
	write_rev r3 r2 "" "CREATE TABLE c (x INTEGER);" "DROP TABLE c;"
	FAIL_LINE=$(line_of versions/r2_rev.sql "INSERT INTO nosuch")
}

test_case "per-revision: earlier revisions stay, the failing one is rolled back completely"
(
	failing_project
	expect_eq "$FAIL_LINE" 12 "line of the failing statement (test setup)"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/r2_rev.sql:12:"
	expect_stderr_contains "no such table: nosuch"
	expect_eq "$(versions_of app.db)" r1 "version rows"
	expect_eq "$(tables_of app.db)" a "tables (b must be rolled back, c never created)"
	expect_eq "$(sql app.db "SELECT x FROM a")" 1 "r2's UPDATE must be rolled back"
	expect_eq "$(history_of app.db)" "r1 upgrade applied
r2 upgrade failed" "history rows"
	expect_eq "$(sql app.db "SELECT count(*) FROM retort_version WHERE version_num = 'r2'")" 0 "version row of r2"
)

test_case "the failed run is shown by history --verbose and current --verbose"
(
	failing_project
	run retort upgrade head
	expect_exit 1
	run retort history --verbose
	expect_exit 0
	expect_stdout_matches '[Ff][Aa][Ii][Ll][Ee][Dd]'
	expect_stdout_contains "no such table: nosuch"
	run retort current --verbose
	expect_exit 0
	expect_stdout_contains "no such table: nosuch"
	run retort --json history --verbose
	expect_exit 0
	expect_json '[h["status"] for r in d if r["revision"] == "r2" for h in r["history"]] == ["failed"] and [r.get("is_applied") for r in d if r["revision"] == "r2"] == [False]'
)

test_case "the failure's history row records the error with file and line"
(
	failing_project
	run retort upgrade head
	expect_exit 1
	expect_eq "$(sql app.db "SELECT status FROM retort_version_history WHERE revision = 'r2'")" failed "status"
	sql app.db "SELECT error FROM retort_version_history WHERE revision = 'r2'" | grep -q "r2_rev.sql:12: no such table: nosuch" ||
		fail "the history row's error lacks file, line and message" "...r2_rev.sql:12: no such table: nosuch" \
			"$(sql app.db "SELECT error FROM retort_version_history WHERE revision = 'r2'")"
	_asserted
)

test_case "after fixing the script the next run continues from r1"
(
	failing_project
	run retort upgrade head
	expect_exit 1
	sed -i 's/INSERT INTO nosuch VALUES (1);/INSERT INTO b VALUES (2);/' versions/r2_rev.sql
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" r3 "version rows"
	expect_eq "$(tables_of app.db)" "a b c never" "tables"
	expect_eq "$(sql app.db "SELECT count(*) FROM b")" 2 "rows of b"
	expect_eq "$(history_of app.db)" "r1 upgrade applied
r2 upgrade failed
r2 upgrade applied
r3 upgrade applied" "history rows"
)

test_case "transaction: all: nothing is applied"
(
	failing_project
	echo "transaction: all" >>retort.yaml
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/r2_rev.sql:12:"
	expect_stderr_contains "no such table: nosuch"
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
	expect_eq "$(sql app.db "SELECT count(*) FROM retort_version_history WHERE status = 'applied'")" 0 "applied history rows"
)

test_case "transaction: all from a migrated database keeps it where it was"
(
	failing_project
	run_ok retort upgrade r1
	echo "transaction: all" >>retort.yaml
	write_rev r4 r3 "" "INSERT INTO a VALUES (4);"
	sed -i 's/INSERT INTO nosuch VALUES (1);/INSERT INTO b VALUES (2);/' versions/r2_rev.sql
	sed -i 's/CREATE TABLE c (x INTEGER);/CREATE TABLE c (x INTEGER); INSERT INTO c VALUES (1, 2);/' versions/r3_rev.sql
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/r3_rev.sql:"
	expect_eq "$(versions_of app.db)" r1 "version rows"
	expect_eq "$(tables_of app.db)" a "tables"
	expect_eq "$(sql app.db "SELECT group_concat(x) FROM a")" 1 "rows of a"
)

test_case "--json of a failed upgrade: a record per revision and the error"
(
	failing_project
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and [s["revision"] for s in d["steps"]][:2] == ["r1", "r2"] and d["steps"][0]["status"] == "applied" and d["steps"][1]["status"] == "failed" and d["error"]["line"] == 12 and d["error"]["file"].endswith("versions/r2_rev.sql") and "nosuch" in d["error"]["message"]'
)

test_case "a failing downgrade is rolled back too"
(
	new_project
	write_rev r1 null "" "CREATE TABLE a (x INTEGER);" "DROP TABLE a;"
	write_rev r2 r1 "" "CREATE TABLE b (x INTEGER);" "DROP TABLE b;
DROP TABLE nosuch;"
	run_ok retort upgrade head
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "versions/r2_rev.sql:$(line_of versions/r2_rev.sql "DROP TABLE nosuch"):"
	expect_stderr_contains "no such table: nosuch"
	expect_eq "$(versions_of app.db)" r2 "version rows"
	expect_eq "$(tables_of app.db)" "a b" "tables"
	expect_eq "$(history_of app.db | tail -n 1)" "r2 downgrade failed" "last history row"
)

test_case "a constraint violation reports SQLite's message"
(
	new_project
	write_rev r1 null "" "CREATE TABLE u (x INTEGER UNIQUE);
INSERT INTO u VALUES (1);
INSERT INTO u VALUES (1);"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/r1_rev.sql:11:"
	expect_stderr_contains "UNIQUE constraint failed: u.x"
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "a syntax error reports the file and line"
(
	new_project
	write_rev r1 null "" "CREATE TABLE ok1 (x INTEGER);
CREAT TABLE oops (x INTEGER);"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/r1_rev.sql:10:"
	expect_stderr_contains "syntax error"
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "a non-transactional revision that fails records no version row"
(
	new_project
	write_rev r1 null "transactional: false" "CREATE TABLE nt (x INTEGER);
INSERT INTO nosuch VALUES (1);"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "no such table: nosuch"
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(history_of app.db)" "r1 upgrade failed" "history rows"
)

test_done
