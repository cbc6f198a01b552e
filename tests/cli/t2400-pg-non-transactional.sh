#!/bin/sh
# Statements PostgreSQL refuses inside a transaction block (CREATE INDEX CONCURRENTLY,
# DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY, VACUUM, DETACH PARTITION ...
# CONCURRENTLY), found by parsing: such a revision runs in autocommit, statement by
# statement (each would fail inside a transaction); a revision mixing them with other
# statements is rejected by check and upgrade (exit 2, how to split it) unless its header
# says transactional: false; the words in comments, strings or identifiers do not count;
# under transaction: all the work before such a revision is committed first, it runs on
# its own, and the run goes on, saying so.
. "$(dirname "$0")/pg-lib.sh"

# schema_project: items (rows), a partitioned table with two partitions.
base_rev() {
	write_rev r0 null "" "CREATE TABLE items (id int PRIMARY KEY, v text, n int);
INSERT INTO items SELECT g, md5(g::text), g % 7 FROM generate_series(1, 5000) g;
CREATE TABLE events (id int NOT NULL, what text) PARTITION BY RANGE (id);
CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (0) TO (100);
CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (100) TO (200);
INSERT INTO events VALUES (1, 'one'), (150, 'one hundred fifty');" \
		"DROP TABLE events_2;
DROP TABLE events;
DROP TABLE items;"
}

# index_state NAME: "valid" / "invalid" / "absent".
index_state() {
	psql_db "SELECT coalesce((SELECT CASE WHEN indisvalid THEN 'valid' ELSE 'invalid' END FROM pg_index
	                          WHERE indexrelid = to_regclass('$1')), 'absent')"
}

# partitions_of TABLE: its partitions, sorted.
partitions_of() {
	psql_db "SELECT coalesce(string_agg(inhrelid::regclass::text, ' ' ORDER BY inhrelid::regclass::text), '')
	         FROM pg_inherits WHERE inhparent = '$1'::regclass"
}

test_case "each kind of non-transactional statement runs outside a transaction block, up and down"
(
	pg_case
	pg_project
	base_rev
	write_rev r1 r0 "" "CREATE INDEX CONCURRENTLY items_v ON items (v);" "DROP INDEX CONCURRENTLY items_v;"
	write_rev r2 r1 "" "REINDEX INDEX CONCURRENTLY items_v;" "REINDEX (CONCURRENTLY) INDEX items_v;"
	write_rev r3 r2 "" "REINDEX TABLE CONCURRENTLY items;" "REINDEX (CONCURRENTLY true) TABLE items;"
	write_rev r4 r3 "" "VACUUM items;
VACUUM (ANALYZE, VERBOSE false) items;" "VACUUM (FULL false) items;"
	write_rev r5 r4 "" "ALTER TABLE events DETACH PARTITION events_2 CONCURRENTLY;" \
		"ALTER TABLE events ATTACH PARTITION events_2 FOR VALUES FROM (100) TO (200);"
	write_rev r6 r5 "" "DROP INDEX CONCURRENTLY items_v;" "CREATE UNIQUE INDEX CONCURRENTLY items_v ON items (v);"
	run retort check
	expect_exit 0
	run retort upgrade r1
	expect_exit 0
	expect_eq "$(index_state items_v)" valid "items_v after r1"
	run retort upgrade r5
	expect_exit 0
	expect_eq "$(partitions_of events)" events_1 "partitions of events after r5"
	expect_eq "$(psql_db "SELECT count(*) FROM events_2")" 1 "rows of the detached partition"
	expect_eq "$(index_state items_v)" valid "items_v after the REINDEXes"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_class WHERE relname LIKE '%_ccnew%' OR relname LIKE '%_ccold%'")" 0 \
		"REINDEX CONCURRENTLY leftovers"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(index_state items_v)" absent "items_v after r6"
	expect_eq "$(pg_history)" "r0 upgrade applied -
r1 upgrade applied 1
r2 upgrade applied 1
r3 upgrade applied 1
r4 upgrade applied 2
r5 upgrade applied 1
r6 upgrade applied 1" "history rows"
	run retort downgrade r0
	expect_exit 0
	expect_eq "$(pg_versions)" r0 "version rows after downgrade"
	expect_eq "$(partitions_of events)" "events_1 events_2" "partitions of events after downgrade"
	expect_eq "$(index_state items_v)" absent "items_v after the downgrade of r1"
	expect_eq "$(psql_db "SELECT string_agg(revision || ':' || coalesce(statement_index::text, '-'), ' ' ORDER BY id)
	                      FROM retort_version_history WHERE direction = 'downgrade'")" \
		"r6:1 r5:- r4:1 r3:1 r2:1 r1:1" "downgrades (r5's downgrade section is transactional)"
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE status <> 'applied'")" 0 "history rows not applied"
)

test_case "CREATE DATABASE, DROP DATABASE and ALTER SYSTEM run outside a transaction block too"
(
	pg_case
	pg_project
	write_rev r1 null "" "CREATE DATABASE ${PG_DB}_made TEMPLATE template0;" "DROP DATABASE ${PG_DB}_made;"
	write_rev r2 r1 "" "ALTER SYSTEM SET log_min_duration_sample = '12345ms';" "ALTER SYSTEM RESET log_min_duration_sample;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT count(*) FROM pg_database WHERE datname = '${PG_DB}_made'")" 1 "databases made"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_file_settings WHERE name = 'log_min_duration_sample' AND setting = '12345ms'")" 1 \
		"the setting in postgresql.auto.conf"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(psql_db "SELECT count(*) FROM pg_database WHERE datname = '${PG_DB}_made'")" 0 "databases made, after downgrade"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_file_settings WHERE name = 'log_min_duration_sample'")" 0 \
		"the setting, after downgrade"
	expect_eq "$(pg_history)" "r1 upgrade applied 1
r2 upgrade applied 1
r2 downgrade applied 1
r1 downgrade applied 1" "history rows"
)

test_case "a revision mixing CREATE INDEX CONCURRENTLY with other statements: check and upgrade refuse it, exit 2"
(
	pg_case
	pg_project
	base_rev
	write_rev r1 r0 "" "CREATE TABLE tags (id int, name text);
CREATE INDEX CONCURRENTLY tags_name ON tags (name);" "DROP TABLE tags;"
	run retort check
	expect_exit 2
	expect_stdout_contains "error: versions/r1_rev.sql:10: revision 'r1' mixes a statement that cannot run inside a transaction block ('CREATE INDEX CONCURRENTLY tags_name ON tags (name)') with statements that should"
	expect_stdout_contains "hint: Move that statement into a revision of its own, or add 'transactional: false' to the header to run every statement in autocommit."
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "error: versions/r1_rev.sql:10: revision 'r1' mixes a statement that cannot run inside a transaction block"
	expect_stderr_contains "detail: Statements such as CREATE INDEX CONCURRENTLY run in autocommit, so the revision could not be rolled back as a whole."
	expect_stderr_contains "hint: Move that statement into a revision of its own"
	expect_stderr_not_contains "Running upgrade"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(pg_tables)" "" "tables (nothing ran, not even r0)"
	# what is before it still runs on its own
	run retort upgrade r0
	expect_exit 0
	expect_eq "$(pg_versions)" r0 "version rows after upgrade r0"
	run retort --json upgrade head
	expect_exit 2
	expect_json 'd["ok"] is False and d["error"]["line"] == 10 and "mixes a statement that cannot run inside a transaction block" in d["error"]["message"]'
	expect_eq "$(pg_versions)" r0 "version rows after the refused upgrade"
)

test_case "every kind mixed with another statement is refused; check lists them all"
(
	pg_case
	pg_project
	base_rev
	write_rev m1 r0 "" "UPDATE items SET n = 0 WHERE id = 1;
DROP INDEX CONCURRENTLY IF EXISTS nope;" ""
	write_rev m2 m1 "" "REINDEX TABLE CONCURRENTLY items;
ANALYZE items;" ""
	write_rev m3 m2 "" "VACUUM items;
UPDATE items SET n = 0 WHERE id = 1;" ""
	write_rev m4 m3 "" "ALTER TABLE events DETACH PARTITION events_2 CONCURRENTLY;
DROP TABLE events_2;" ""
	write_rev m5 m4 "" "SELECT 1;" "CREATE TABLE back (id int);
CREATE INDEX CONCURRENTLY back_id ON back (id);"
	run retort --json check
	expect_exit 2
	expect_json '[(p["kind"], p["line"], p["file"].split("/")[-1]) for p in d["problems"]] == [("mixed-transaction", 10, "m1_rev.sql"), ("mixed-transaction", 9, "m2_rev.sql"), ("mixed-transaction", 9, "m3_rev.sql"), ("mixed-transaction", 9, "m4_rev.sql"), ("mixed-transaction", 13, "m5_rev.sql")]'
	run retort upgrade m1
	expect_exit 2
	expect_stderr_contains "('DROP INDEX CONCURRENTLY IF EXISTS nope')"
	expect_eq "$(pg_versions)" "" "version rows"
)

test_case "transactional: false accepts a mix: every statement runs in autocommit"
(
	pg_case
	pg_project
	write_rev r1 null "transactional: false" "CREATE TABLE tags (id int, name text);
INSERT INTO tags SELECT g, 'tag' || g FROM generate_series(1, 100) g;
CREATE UNIQUE INDEX CONCURRENTLY tags_name ON tags (name);
VACUUM (ANALYZE) tags;" "DROP INDEX CONCURRENTLY tags_name;
DROP TABLE tags;"
	run retort check
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(index_state tags_name)" valid "tags_name"
	expect_eq "$(pg_history)" "r1 upgrade applied 4" "history rows"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(pg_tables)" "" "tables after downgrade"
	expect_eq "$(pg_history)" "r1 upgrade applied 4
r1 downgrade applied 2" "history rows after downgrade"
)

test_case "found by parsing: the words in comments, strings and identifiers do not count"
(
	pg_case
	pg_project
	write_rev r1 null "" "CREATE TABLE \"vacuum\" (id int, \"concurrently\" text DEFAULT 'CREATE INDEX CONCURRENTLY x ON y (z)');
-- CREATE INDEX CONCURRENTLY would go here; VACUUM too
/* REINDEX TABLE CONCURRENTLY \"vacuum\"; */
COMMENT ON TABLE \"vacuum\" IS 'VACUUM; DROP INDEX CONCURRENTLY i; ALTER TABLE t DETACH PARTITION p CONCURRENTLY';
CREATE INDEX \"concurrently\" ON \"vacuum\" (\"concurrently\");
CREATE FUNCTION vacuum_later() RETURNS text LANGUAGE sql AS \$\$ SELECT 'VACUUM' \$\$;
SELECT 1 / (SELECT count(*) FROM \"vacuum\");" "DROP TABLE \"vacuum\";"
	run retort check
	expect_exit 0
	# one transaction: the failing last statement takes the others with it
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "division by zero (22012)"
	expect_eq "$(pg_tables)" "" "tables after the failed transactional revision"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_proc WHERE proname = 'vacuum_later'")" 0 "functions"
)

test_case "found by parsing: lower case, line breaks and comments inside the statement still count"
(
	pg_case
	pg_project
	write_rev r1 null "" "CREATE TABLE t1 (id int, v text);" "DROP TABLE t1;"
	write_rev r2 r1 "" "create /* a comment */ unique
    index -- another
    concurrently if not exists t1_v on t1 (v);" "drop index
    concurrently t1_v;"
	write_rev r3 r2 "" "CREATE TABLE t3 (id int);
reindex (concurrently) table
    t1;" "DROP TABLE t3;"
	run retort check
	expect_exit 2
	expect_stdout_contains "error: versions/r3_rev.sql:10: revision 'r3' mixes a statement that cannot run inside a transaction block ('reindex (concurrently) table...')"
	run retort upgrade r2
	expect_exit 0
	expect_eq "$(index_state t1_v)" valid "t1_v"
	run retort downgrade r1
	expect_exit 0
	expect_eq "$(index_state t1_v)" absent "t1_v after downgrade"
)

test_case "transaction: all: the work before a non-transactional revision is committed, it runs alone, the run goes on"
(
	pg_case
	pg_project "transaction: all"
	write_rev a1 null "" "CREATE TABLE t1 (id int, v text);" "DROP TABLE t1;"
	write_rev a2 a1 "" "CREATE INDEX CONCURRENTLY t1_v ON t1 (v);" "DROP INDEX CONCURRENTLY t1_v;"
	write_rev a3 a2 "" "CREATE TABLE t3 (id int);" "DROP TABLE t3;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(grep -v '^  done' "$RUN_STDERR")" "Running upgrade <base> -> a1, rev a1
notice: revision 'a2' cannot run inside a transaction: it runs on its own, and the work before it is committed first
Running upgrade a1 -> a2, rev a2
Running upgrade a2 -> a3, rev a3
upgraded to a3: 3 revisions in $(sed -n 's/^upgraded to a3: 3 revisions in //p' "$RUN_STDERR")" "the output"
	expect_eq "$(pg_versions)" a3 "version rows"
	expect_eq "$(index_state t1_v)" valid "t1_v"
	run retort downgrade base
	expect_exit 0
	expect_stderr_contains "notice: revision 'a2' cannot run inside a transaction: it runs on its own, and the work before it is committed first"
	expect_eq "$(pg_tables)" "" "tables after downgrade"
)

test_case "transaction: all: a failure after the non-transactional revision keeps what was committed before it"
(
	pg_case
	pg_project "transaction: all"
	write_rev a1 null "" "CREATE TABLE t1 (id int, v text);" "DROP TABLE t1;"
	write_rev a2 a1 "" "CREATE INDEX CONCURRENTLY t1_v ON t1 (v);" "DROP INDEX CONCURRENTLY t1_v;"
	write_rev a3 a2 "" "CREATE TABLE t3 (id int);" "DROP TABLE t3;"
	write_rev a4 a3 "" "CREATE TABLE t4 (id int);
SELECT 1 / 0;" "DROP TABLE t4;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "notice: revision 'a2' cannot run inside a transaction: it runs on its own, and the work before it is committed first"
	expect_stderr_contains "error: versions/a4_rev.sql:10: division by zero (22012)"
	# a1 was committed before a2, a2 ran alone; a3 and a4 shared the last transaction
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(pg_tables)" "t1" "tables"
	expect_eq "$(index_state t1_v)" valid "t1_v"
	expect_eq "$(psql_db "SELECT string_agg(revision || ' ' || status, ', ' ORDER BY id) FROM retort_version_history")" \
		"a1 applied, a2 applied, a4 failed" "history rows"
)

test_case "transaction: per-revision: no notice, each revision on its own"
(
	pg_case
	pg_project
	write_rev a1 null "" "CREATE TABLE t1 (id int, v text);" "DROP TABLE t1;"
	write_rev a2 a1 "" "CREATE INDEX CONCURRENTLY t1_v ON t1 (v);" "DROP INDEX CONCURRENTLY t1_v;"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "notice"
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_done
