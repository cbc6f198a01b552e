#!/bin/sh
# Session state does not leak from one SQLite revision into the next: the PRAGMA flags a
# revision sets are back at SQLite's defaults, and its temporary tables, views and
# triggers are gone, when the next revision starts, online and in the offline script, so
# one `upgrade head` gives what separate runs give. PRAGMAs that do nothing inside a
# transaction, retort's own busy_timeout, and ATTACH are errors naming file and line.
. "$(dirname "$0")/lib.sh"

# seen DB: what r2 recorded of its session, "name=value" per line.
seen() { sql "$1" "SELECT k || '=' || v FROM seen ORDER BY k"; }

leaky_project() {
	new_project
	write_rev r0 null "" "CREATE TABLE t (id INTEGER);
CREATE TABLE seen (k TEXT, v TEXT);" "DROP TABLE t; DROP TABLE seen;"
	write_rev r1 r0 "" "PRAGMA recursive_triggers = ON;
PRAGMA legacy_alter_table = 1;
PRAGMA main.query_only(0);
CREATE TEMP TABLE t (id INTEGER);
CREATE TEMPORARY VIEW IF NOT EXISTS v AS SELECT 1;
CREATE TEMP TRIGGER trg AFTER INSERT ON main.t BEGIN INSERT INTO seen VALUES ('trigger fired', 1); END;" ""
	write_rev r2 r1 "" "INSERT INTO t VALUES (2);
INSERT INTO seen SELECT 'recursive_triggers', recursive_triggers FROM pragma_recursive_triggers;
INSERT INTO seen SELECT 'legacy_alter_table', legacy_alter_table FROM pragma_legacy_alter_table;
INSERT INTO seen SELECT 'temp objects', count(*) FROM temp.sqlite_master WHERE name NOT IN ('retort_check', 'retort_guard');" "DELETE FROM t; DELETE FROM seen;"
}

EXPECTED='legacy_alter_table=0
recursive_triggers=0
temp objects=0'

test_case "one upgrade head gives what separate runs give"
(
	leaky_project
	run retort upgrade head
	expect_exit 0
	expect_eq "$(seen app.db)" "$EXPECTED" "r2's session"
	expect_eq "$(sql app.db 'SELECT id FROM t ORDER BY id')" 2 "rows of main.t (not the temp table's)"
	mv app.db one-run.db
	run_ok retort upgrade r1
	run_ok retort upgrade r2
	expect_eq "$(data_of app.db)" "$(data_of one-run.db)" "data of separate runs"
)

test_case "the offline script restores the session too"
(
	leaky_project
	run retort upgrade --sql head
	expect_exit 0
	expect_stdout_contains "DROP TABLE IF EXISTS temp.t; DROP VIEW IF EXISTS temp.v; DROP TRIGGER IF EXISTS temp.trg; PRAGMA legacy_alter_table = 0; PRAGMA query_only = 0; PRAGMA recursive_triggers = 0;"
	cp "$RUN_STDOUT" up.sql
	run sqlite3 offline.db <up.sql
	expect_exit 0
	expect_eq "$(seen offline.db)" "$EXPECTED" "r2's session, offline"
	run_ok retort upgrade head
	expect_eq "$(data_of offline.db)" "$(data_of app.db)" "data, offline and online"
)

test_case "query_only set by a revision does not stop its own bookkeeping"
(
	new_project
	write_rev r1 null "" "CREATE TABLE t (id INTEGER); PRAGMA query_only = 1;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" r1 "version rows"
)

test_case "a revision without session changes prints no restore"
(
	new_project
	write_rev r1 null
	run retort upgrade --sql head
	expect_exit 0
	expect_stdout_not_contains "PRAGMA"
	expect_stdout_not_contains "IF EXISTS temp."
)

for p in "foreign_keys = ON" "journal_mode = WAL" "page_size = 8192" "temp_store = 2"; do
	test_case "PRAGMA ${p%% *} in a transactional revision is an error naming file and line"
	(
		new_project
		write_rev r1 null "" "CREATE TABLE t (id INTEGER);
PRAGMA $p;"
		run retort upgrade head
		expect_exit 2
		expect_stderr_contains "versions/r1_rev.sql:10: PRAGMA ${p%% *} does nothing inside a transaction"
		expect_stderr_contains "transactional: false"
		expect_eq "$(tables_of app.db)" "" "tables"
		run retort check --no-db
		expect_exit 2
		expect_stdout_contains "versions/r1_rev.sql:10: PRAGMA ${p%% *} does nothing inside a transaction"
	)
done

test_case "PRAGMA foreign_keys in a non-transactional revision works, and is undone after it"
(
	new_project
	write_rev r1 null "transactional: false" "PRAGMA foreign_keys = ON;
CREATE TABLE seen (k TEXT, v TEXT);
INSERT INTO seen SELECT 'fk in r1', foreign_keys FROM pragma_foreign_keys;"
	write_rev r2 r1 "" "INSERT INTO seen SELECT 'fk in r2', foreign_keys FROM pragma_foreign_keys;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(seen app.db)" "fk in r1=1
fk in r2=0" "foreign_keys"
)

test_case "busy_timeout is retort's; ATTACH and DETACH are refused"
(
	new_project
	write_rev r1 null "" "PRAGMA busy_timeout = 10;"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:9: PRAGMA busy_timeout is retort's own setting"
	expect_stderr_contains "sqlite.busy_timeout"
	write_rev r1 null "transactional: false" "ATTACH DATABASE 'other.db' AS other;"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:10: ATTACH in a revision: an attached database would outlast it"
	expect_file_missing other.db
)

test_done
