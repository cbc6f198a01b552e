#!/bin/sh
# Statement splitting end to end, online and offline: semicolons inside strings, quoted
# identifiers and comments, triggers with BEGIN ... END, a last statement without ';',
# empty statements; transaction statements in a script are refused with file and line.
. "$(dirname "$0")/lib.sh"

tricky_sql="CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, \"semi;colon\" TEXT, [br;acket] TEXT, \`back;tick\` TEXT);
-- a comment; with a semicolon
INSERT INTO t (id, v) VALUES (1, 'a;b');
INSERT INTO t (id, v) VALUES (2, 'it''s; fine'); /* a block comment; with ; semicolons */
INSERT INTO t (id, v, \"semi;colon\", [br;acket], \`back;tick\`) VALUES (3, ';', 'q;1', 'q;2', 'q;3');
INSERT INTO t (id, v) VALUES (4, 'line one;
line two; -- not a comment
/* not a comment either */');
CREATE TABLE log (msg TEXT);
CREATE TRIGGER t_ins AFTER INSERT ON t
BEGIN
    INSERT INTO log (msg) VALUES ('inserted; ' || NEW.id);
    INSERT INTO log (msg) VALUES (CASE WHEN NEW.v = 'END;' THEN 'end; seen' ELSE 'other' END);
END;
CREATE TRIGGER t_del BEFORE DELETE ON t BEGIN SELECT RAISE(ABORT, 'no deletes; ever'); END;
INSERT INTO t (id, v) VALUES (5, 'END;');;
;
INSERT INTO t (id, v) VALUES (6, 'no semicolon at the end')"

expected_t="1|a;b
2|it's; fine
3|;|q;1|q;2|q;3
4|line one;
line two; -- not a comment
/* not a comment either */
5|END;
6|no semicolon at the end"
expected_log="inserted; 5
end; seen
inserted; 6
other"

check_db() {
	expect_eq "$(sql "$1" "SELECT id, v FROM t WHERE id <> 3 UNION ALL SELECT id, v || '|' || \"semi;colon\" || '|' || [br;acket] || '|' || \`back;tick\` FROM t WHERE id = 3 ORDER BY 1" |
		sed 's/^3|;|/3|;|/')" "$expected_t" "rows of t in $1"
	expect_eq "$(sql "$1" "SELECT msg FROM log ORDER BY rowid")" "$expected_log" "rows of log in $1"
	expect_eq "$(sql "$1" "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1" | tr '\n' ' ')" "t_del t_ins " "triggers in $1"
}

test_case "tricky statements run online as written"
(
	new_project
	write_rev a1 null "" "$tricky_sql" "DROP TABLE log;
DROP TABLE t;"
	run retort upgrade head
	expect_exit 0
	check_db app.db
	# the BEFORE DELETE trigger really has its body
	run sqlite3 app.db "DELETE FROM t"
	expect_stderr_contains "no deletes; ever"
)

test_case "show counts the statements right"
(
	new_project
	write_rev a1 null "" "$tricky_sql" "DROP TABLE log; DROP TABLE t;"
	run retort --json show a1
	expect_exit 0
	expect_json 'd["upgrade_statements"] == 10 and d["downgrade_statements"] == 2'
)

test_case "tricky statements run offline the same way"
(
	new_project
	write_rev a1 null "" "$tricky_sql" "DROP TABLE log;
DROP TABLE t;"
	run retort upgrade --sql head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail offline.db <up.sql
	expect_exit 0
	check_db offline.db
	run_ok retort upgrade head
	expect_eq "$(schema_of offline.db)" "$(schema_of app.db)" "schema"
)

test_case "downgrade of the tricky revision"
(
	new_project
	write_rev a1 null "" "$tricky_sql" "DROP TRIGGER t_del; DROP TABLE log;
DROP TABLE t;"
	run_ok retort upgrade head
	run retort downgrade base
	expect_exit 0
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "an error after a trigger names the line where the failing statement starts"
(
	new_project
	write_rev a1 null "" "CREATE TABLE x (id INTEGER);
CREATE TRIGGER x_ins AFTER INSERT ON x
BEGIN
    SELECT 1;
END;
INSERT INTO x
    VALUES (1, 2);"
	want=$(line_of versions/a1_rev.sql "INSERT INTO x")
	expect_eq "$want" 14 "line of the failing statement (test setup)"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/a1_rev.sql:14:"
	expect_stderr_contains "table x has 1 columns but 2 values were supplied"
)

test_case "BEGIN, COMMIT and ROLLBACK in a script are refused with file and line"
(
	new_project
	write_rev a1 null "" "CREATE TABLE t (v TEXT);
BEGIN;
INSERT INTO t VALUES (1);
COMMIT;"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:10:"
	expect_stderr_contains "BEGIN"
	expect_eq "$(tables_of app.db)" "" "tables"
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/a1_rev.sql:10:"
)

test_case "a section with only comments is a no-op"
(
	new_project
	write_rev a1 null "" "-- nothing to do; really
/* still nothing; */" "-- nothing"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a1 "version rows"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "a CRLF file with a byte order mark"
(
	new_project
	write_rev a1 null "" "CREATE TABLE crlf (v TEXT);
INSERT INTO crlf VALUES ('x;y');"
	{ printf '\357\273\277'; sed 's/$/\r/' versions/a1_rev.sql; } >a1.tmp && mv a1.tmp versions/a1_rev.sql
	run retort upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT v FROM crlf")" "x;y" "row"
)

test_done
