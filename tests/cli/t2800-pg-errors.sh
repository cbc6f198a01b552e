#!/bin/sh
# How a failing statement is reported on PostgreSQL: the file and the line where the
# statement starts, the SQLSTATE, the server's message, detail and hint (RAISE ... USING
# DETAIL / HINT), and for a syntax error the line of the offending token with a caret
# under it (tabs kept, characters counted, not bytes); in text and in --json, in upgrade
# and downgrade sections, in transactional and statement-by-statement revisions.
. "$(dirname "$0")/pg-lib.sh"

# rev_lines ID DOWN UPGRADE_LINES...: versions/ID_rev.sql with a 4-line header, the
# upgrade marker on line 5 and each argument on its own line from line 6; no downgrade.
rev_lines() {
	_id=$1
	_down=$2
	shift 2
	{
		printf '/*\nrevision: %s\ndown_revision: %s\n*/\n-- retort:upgrade\n' "$_id" "$_down"
		printf '%s\n' "$@"
		printf -- '-- retort:downgrade\n'
	} >"versions/${_id}_rev.sql"
}

test_case "a syntax error in a multi-line statement: the statement's first line, then the token's line with a caret"
(
	pg_case
	pg_project
	tab=$(printf '\t')
	rev_lines a1 null "CREATE TABLE t1 (id int, name text);" "" "-- the next statement spans three lines" \
		"INSERT INTO t1 (id, name)" "    VALUES (1, 'a')," "$tab   (2, 'b') (3, 'c');"
	run retort upgrade head
	expect_exit 1
	expect_stdout_empty
	printf '%s\n' "Running upgrade <base> -> a1" \
		"error: versions/a1_rev.sql:9: syntax error at or near \"(\" (42601)" \
		"LINE 11: $tab   (2, 'b') (3, 'c')" \
		"         $tab            ^" >expected.err
	expect_files_equal expected.err "$RUN_STDERR" "the error output"
	expect_eq "$(pg_tables)" "" "tables (the revision rolled back)"
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and d["error"]["sqlstate"] == "42601" and d["error"]["line"] == 9 and d["error"]["file"].endswith("versions/a1_rev.sql") and d["error"]["context"] == "LINE 11: \t   (2, '"'"'b'"'"') (3, '"'"'c'"'"')\n         \t            ^" and d["error"]["message"].endswith("a1_rev.sql:9: syntax error at or near \"(\" (42601)")'
)

test_case "the caret counts characters, not bytes"
(
	pg_case
	pg_project
	rev_lines a1 null "CREATE TABLE t1 (id int, name text);" "INSERT INTO t1 VALUES (1, 'ünïcødé') (2, 'x');"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:7: syntax error at or near \"(\" (42601)"
	# the caret under the 46th character: 45 columns in, though the bytes before it are 51
	{ echo "LINE 7: INSERT INTO t1 VALUES (1, 'ünïcødé') (2, 'x')"; printf '%45s^\n' ''; } >expected.context
	grep -A1 '^LINE 7:' "$RUN_STDERR" >actual.context
	expect_files_equal expected.context actual.context "the caret lines"
)

test_case "RAISE ... USING DETAIL, HINT, ERRCODE in a DO block: SQLSTATE, message, detail and hint"
(
	pg_case
	pg_project
	rev_lines a1 null "CREATE TABLE t1 (id int);" "" 'DO $$' 'BEGIN' \
		"    RAISE EXCEPTION 'balance % is negative', -5" \
		"        USING DETAIL = 'Account 42 would go below zero.', HINT = 'Top it up first.', ERRCODE = '22023';" \
		'END' '$$;'
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:8: balance -5 is negative (22023)"
	expect_stderr_contains "detail: Account 42 would go below zero."
	expect_stderr_contains "hint: Top it up first."
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["error"]["sqlstate"] == "22023" and d["error"]["line"] == 8 and d["error"]["detail"] == "Account 42 would go below zero." and d["error"]["hint"] == "Top it up first." and d["error"]["context"] is None and d["error"]["code"] == "database"'
	expect_eq "$(pg_tables)" "" "tables"
)

test_case "a runtime error in a multi-line statement: its first line, the server's detail"
(
	pg_case
	pg_project
	rev_lines a1 null "CREATE TABLE t1 (id int PRIMARY KEY);" "INSERT INTO t1 VALUES (1);" \
		"INSERT INTO t1" "    SELECT g" "      FROM generate_series(2, 1, -1) g;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:8: duplicate key value violates unique constraint \"t1_pkey\" (23505)"
	expect_stderr_contains "detail: Key (id)=(1) already exists."
	expect_stderr_not_contains "LINE "
)

test_case "an unknown relation: the token's line and caret, as psql shows them"
(
	pg_case
	pg_project
	rev_lines a1 null "SELECT *" "  FROM nope_table" " WHERE 1 = 1;"
	run retort upgrade head
	expect_exit 1
	printf '%s\n' "error: versions/a1_rev.sql:6: relation \"nope_table\" does not exist (42P01)" \
		"LINE 7:   FROM nope_table" "               ^" >expected.err
	grep -A2 '^error:' "$RUN_STDERR" >actual.err
	expect_files_equal expected.err actual.err "the error lines"
)

test_case "errors in a downgrade section and in a statement-by-statement revision"
(
	pg_case
	pg_project
	write_rev a1 null "" "CREATE TABLE t1 (id int);" "DROP TABLE t1;
DROP TABLE
    nope_table;"
	write_rev a2 a1 "transactional: false" "CREATE TABLE IF NOT EXISTS t2 (id int);
CREATE INDEX CONCURRENTLY t2_id
    ON t2 (idd);" "DROP TABLE t2;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a2_rev.sql:11: column \"idd\" does not exist (42703)"
	# a2's first statement took effect: nothing else runs until that is settled
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "error: revision 'a2' was partly upgraded by an earlier run (it stopped after statement 1): the database holds part of it"
	expect_eq "$(pg_tables)" "t1 t2" "tables after the refusal"
	psql_db "DROP TABLE t2" >/dev/null
	run_ok retort stamp a1
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:13: table \"nope_table\" does not exist (42P01)"
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_eq "$(pg_history)" "a1 upgrade applied -
a2 upgrade failed 1
a2 upgrade resolved 0
a1 stamp applied -
a1 downgrade failed -" "history rows"
)

test_case "the session is terminated during a revision: exit 1, 'connection to the server was lost', nothing applied"
(
	pg_case
	pg_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id int);
SELECT pg_sleep(30);" "DROP TABLE t_a2;"
	retort_bg a upgrade head
	a=$BG_PID
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort' AND query = 'SELECT pg_sleep(30)'" 1 \
		"retort to run the pg_sleep"
	pq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'retort'" >/dev/null
	wait_bg 10 "$a"
	expect_eq "$(cat a.rc)" 1 "exit status"
	expect_eq "$(grep '^error:' a.err)" "error: connection to the server was lost" "the error"
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_eq "$(pg_tables)" "t_a1" "tables"
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE revision = 'a2' AND status = 'applied'")" 0 \
		"applied history rows of a2"
	expect_eq "$(advisory_locks)" 0 "advisory locks"
)

test_case "the server's NOTICEs and WARNINGs are shown, not taken for errors"
(
	pg_case
	pg_project
	rev_lines a1 null "DO \$\$ BEGIN RAISE NOTICE 'hello %', 'there'; RAISE WARNING 'careful now'; END \$\$;"
	run retort upgrade head
	expect_exit 0
	expect_stderr_matches "^notice: .*hello there$"
	expect_stderr_matches "^notice: .*careful now$"
	run retort -q downgrade base
	expect_exit 0
	run retort -q upgrade head
	expect_exit 0
	expect_stderr_empty
)

test_case "a failed revision's history row records its real start and duration"
(
	pg_case
	pg_project
	rev_lines a1 null "SELECT pg_sleep(1.2);" "INSERT INTO nosuch VALUES (1);"
	run retort upgrade head
	expect_exit 1
	expect_eq "$(psql_db "SELECT duration_ms >= 1100 AND finished_at - started_at >= interval '1.1 s'
	                      FROM retort_version_history WHERE status = 'failed'")" t "duration and times"
)

test_case "a variable cannot smuggle in a statement; \${name:literal} keeps the value as data"
(
	pg_case
	pg_project
	evil="x'); CREATE TABLE injected(i int); --"
	rev_lines a1 null "CREATE TABLE t (v text);" "INSERT INTO t VALUES ('\${role}');"
	run retort -x "role=$evil" upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:7: a variable's value turns this statement into 2 statements"
	expect_eq "$(pg_tables)" "" "tables"
	rev_lines a1 null "CREATE TABLE t (v text);" "INSERT INTO t VALUES (\${role:literal});" \
		"INSERT INTO t VALUES (\${slash:literal});"
	run retort -x "role=$evil" -x 'slash=a\b' upgrade head
	expect_exit 0
	expect_eq "$(pq "SELECT string_agg(v, '|' ORDER BY v) FROM t")" "a\\b|$evil" "the values"
	expect_eq "$(pg_tables)" "t" "tables"
)

test_case "a psql meta-command is refused online too, before anything runs"
(
	pg_case
	pg_project
	rev_lines a1 null "CREATE TABLE t (v text);"
	rev_lines a2 a1 "CREATE TABLE u (v text);" '\connect postgres' "CREATE TABLE w (v text);"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a2_rev.sql:7: psql meta-command '\\connect' in a revision"
	expect_eq "$(pg_tables)" "" "tables"
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/a2_rev.sql:7: psql meta-command"
)

test_done
