#!/bin/sh
# Session state does not leak from one PostgreSQL revision into the next: after each
# revision retort puts the session back (role, every setting, temporary objects, ...) and
# applies its own settings again, online and in the offline script, so one `upgrade head`
# gives what the same revisions applied in separate runs give. What a revision SETs lasts
# until its end, also in a revision that runs statement by statement, whose bookkeeping a
# SET search_path cannot redirect.
. "$(dirname "$0")/pg-lib.sh"

# leaky_project: r1 sets search_path, lock_timeout, statement_timeout and the role, and
# creates a temporary table shadowing t; r2 records what its session looks like.
leaky_project() {
	pg_project
	pq "CREATE SCHEMA IF NOT EXISTS ${SCHEMA}_other" >/dev/null
	pq "DO \$\$ BEGIN CREATE ROLE rt_leak_role; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$" >/dev/null
	write_rev r0 null "" "CREATE TABLE t (id int);
CREATE TABLE seen (k text, v text);" "DROP TABLE t; DROP TABLE seen;"
	write_rev r1 r0 "" "SET search_path = ${SCHEMA}_other, ${SCHEMA};
SET lock_timeout = 0;
SET statement_timeout = '1h';
SET ROLE rt_leak_role;
RESET ROLE;
SET SESSION AUTHORIZATION rt_leak_role;
RESET SESSION AUTHORIZATION;
SET ROLE rt_leak_role;
CREATE TEMP TABLE t (id int);" ""
	write_rev r2 r1 "" "CREATE TABLE made_by_r2 (id int);
INSERT INTO t VALUES (2);
INSERT INTO seen VALUES ('lock_timeout', current_setting('lock_timeout')),
  ('statement_timeout', current_setting('statement_timeout')),
  ('role', current_user), ('temp tables', (SELECT count(*) FROM pg_class WHERE relpersistence = 't')::text);" \
		"DROP TABLE made_by_r2; DELETE FROM t; DELETE FROM seen;"
	pq "GRANT CREATE, USAGE ON SCHEMA ${SCHEMA}_other, $SCHEMA TO rt_leak_role" >/dev/null
}

seen() { pq "SELECT k || '=' || v FROM seen ORDER BY k"; }

# pg_versions_in SCHEMA: the version rows of another schema.
pg_versions_in() { psql_db "SELECT string_agg(version_num, ' ') FROM retort_version" "$1"; }

EXPECTED="lock_timeout=5s
role=$_PG_USER
statement_timeout=0
temp tables=0"

test_case "one upgrade head gives what separate runs give"
(
	pg_case
	leaky_project
	run retort upgrade head
	expect_exit 0
	expect_eq "$(seen)" "$EXPECTED" "r2's session"
	expect_eq "$(pg_tables)" "made_by_r2 seen t" "tables of the case's schema"
	expect_eq "$(pg_tables "${SCHEMA}_other")" "" "tables of the schema r1 put first"
	expect_eq "$(pq 'SELECT id FROM t')" 2 "rows of the real t"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(pg_tables)" "" "tables after downgrade base"
	run_ok retort upgrade r1
	run_ok retort upgrade r2
	expect_eq "$(seen)" "$EXPECTED" "r2's session, separate runs"
)

test_case "the offline script resets the session after each revision"
(
	pg_case
	leaky_project
	run retort upgrade --sql head
	expect_exit 0
	expect_stdout_contains "SET SESSION AUTHORIZATION DEFAULT; RESET ALL; DISCARD TEMP;"
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql
	expect_exit 0
	expect_eq "$(seen)" "$EXPECTED" "r2's session, offline"
	expect_eq "$(pg_tables "${SCHEMA}_other")" "" "tables of the schema r1 put first"
	expect_eq "$(pg_versions)" r2 "version rows"
)

test_case "a statement-by-statement revision: a SET search_path lasts to its end, its bookkeeping stays put"
(
	pg_case
	pg_project
	pq "CREATE SCHEMA ${SCHEMA}_nt" >/dev/null
	write_rev n1 null "transactional: false" "SET search_path = ${SCHEMA}_nt;
CREATE TABLE a (id int);
CREATE INDEX CONCURRENTLY a_id ON a (id);
CREATE TABLE b (id int);" "DROP TABLE ${SCHEMA}_nt.a; DROP TABLE ${SCHEMA}_nt.b;"
	write_rev n2 n1 "" "CREATE TABLE c (id int);"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_tables "${SCHEMA}_nt")" "a b" "tables of the revision's schema"
	expect_eq "$(pg_tables)" "c" "tables of the case's schema"
	expect_eq "$(pg_versions)" n2 "version rows"
	expect_eq "$(pg_history | tr '\n' ' ')" "n1 upgrade applied 4 n2 upgrade applied - " "history rows"
	run retort upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	pq "DROP SCHEMA ${SCHEMA}_nt CASCADE; CREATE SCHEMA ${SCHEMA}_nt; CREATE SCHEMA ${SCHEMA}_off" >/dev/null
	run psql_file up.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(pg_tables "${SCHEMA}_nt")" "a b" "tables of the revision's schema, offline"
	expect_eq "$(pg_tables "${SCHEMA}_off")" "c" "tables of the script's schema"
	expect_eq "$(pg_versions_in "${SCHEMA}_off")" n2 "version rows, offline"
)

test_case "a revision that fails after SET search_path records its failure in retort's table"
(
	pg_case
	pg_project
	pq "CREATE SCHEMA ${SCHEMA}_f; CREATE TABLE ${SCHEMA}_f.retort_version_history (x int)" >/dev/null
	write_rev f1 null "transactional: false" "SET search_path = ${SCHEMA}_f;
CREATE TABLE ok1 (id int);
INSERT INTO nosuch VALUES (1);"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/f1_rev.sql:12: relation \"nosuch\" does not exist"
	expect_eq "$(pg_history | tr '\n' ' ')" "f1 upgrade failed 2 " "history rows"
)

test_done
