#!/bin/sh
# INVALID indexes, the leftovers of a failed CREATE INDEX CONCURRENTLY: a unique build
# that fails on duplicates reports the INVALID index it left; `check` lists it; once the
# duplicates are gone, rerunning `upgrade` drops it concurrently and builds it again,
# without manual clean-up (also with IF NOT EXISTS, in another schema, and part-way
# through a statement-by-statement revision).
. "$(dirname "$0")/pg-lib.sh"

# dup_project [INDEX SQL] [HEADER]: a1 creates users with a duplicated email, a2 builds a
# unique index on it concurrently (line 9).
dup_project() {
	pg_project
	write_rev a1 null "" "CREATE TABLE users (id int PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'bob@example.com'), (3, 'ada@example.com');" \
		"DROP TABLE users;"
	write_rev a2 a1 "${2:-}" "${1:-CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);}" \
		"DROP INDEX CONCURRENTLY users_email;"
}

# indexes_of TABLE: "name:valid" of each index on TABLE, sorted.
indexes_of() {
	psql_db "SELECT coalesce(string_agg(c.relname || ':' || i.indisvalid, ' ' ORDER BY c.relname), '')
	         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '$1'::regclass"
}

# invalid_in_check: the invalid-index problems `check --json` reports for this case's schemas.
invalid_in_check() {
	run retort --json check
	json_value "[p['message'] for p in d['problems'] if p['kind'] == 'invalid-index' and '\"$SCHEMA' in p['message']]" |
		sed 's/ on table /_on_table_/g'
}

test_case "a unique CREATE INDEX CONCURRENTLY failing on duplicates reports the INVALID index it left"
(
	pg_case
	dup_project
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a2_rev.sql:9: could not create unique index \"users_email\" (23505)"
	expect_stderr_contains "detail: Key (email)=(ada@example.com) is duplicated. The failed build left index \"$SCHEMA\".\"users_email\" INVALID; retort drops and rebuilds it on the next run."
	expect_eq "$(indexes_of users)" "users_email:false users_pkey:true" "indexes of users"
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_eq "$(pg_history)" "a1 upgrade applied -
a2 upgrade failed 0" "history rows"
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and d["error"]["sqlstate"] == "23505" and d["error"]["line"] == 9 and "INVALID" in d["error"]["detail"]'
)

test_case "check lists the INVALID index; after the duplicates are gone a rerun drops and rebuilds it"
(
	pg_case
	dup_project
	run retort upgrade head
	expect_exit 1
	run retort check
	expect_exit 2
	expect_stdout_contains "error: index \"$SCHEMA\".\"users_email\" on table \"users\" is INVALID"
	expect_eq "$(invalid_in_check)" "index \"$SCHEMA\".\"users_email\"_on_table_\"users\" is INVALID" "invalid indexes in check --json"
	pq "DELETE FROM users WHERE id = 3"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: dropped invalid index \"$SCHEMA\".\"users_email\" left by an earlier failed CREATE INDEX CONCURRENTLY; building it again"
	expect_eq "$(indexes_of users)" "users_email:true users_pkey:true" "indexes of users"
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(pg_history)" "a1 upgrade applied -
a2 upgrade failed 0
a2 upgrade applied 1" "history rows"
	expect_eq "$(invalid_in_check)" "" "invalid indexes in check --json"
	expect_eq "$(psql_db "INSERT INTO users VALUES (4, 'bob@example.com')" 2>&1 | head -n 1)" \
		'ERROR:  duplicate key value violates unique constraint "users_email"' "the rebuilt index enforces uniqueness"
)

test_case "IF NOT EXISTS does not keep the INVALID index: it is dropped and rebuilt"
(
	pg_case
	dup_project "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email);"
	run retort upgrade head
	expect_exit 1
	expect_eq "$(indexes_of users)" "users_email:false users_pkey:true" "indexes of users after the failure"
	pq "DELETE FROM users WHERE id = 3"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: dropped invalid index \"$SCHEMA\".\"users_email\" left by an earlier failed CREATE INDEX CONCURRENTLY; building it again"
	expect_eq "$(indexes_of users)" "users_email:true users_pkey:true" "indexes of users"
)

test_case "an index on a table in another schema, named with its schema"
(
	pg_case
	pq "CREATE SCHEMA ${SCHEMA}_other"
	pg_project
	write_rev a1 null "" "CREATE TABLE ${SCHEMA}_other.users (id int PRIMARY KEY, email text);
CREATE TABLE users (id int PRIMARY KEY, email text);
INSERT INTO ${SCHEMA}_other.users VALUES (1, 'ada@example.com'), (2, 'ada@example.com');" \
		"DROP TABLE ${SCHEMA}_other.users;
DROP TABLE users;"
	write_rev a2 a1 "" "CREATE UNIQUE INDEX CONCURRENTLY users_email ON ${SCHEMA}_other.users (email);" \
		"DROP INDEX CONCURRENTLY ${SCHEMA}_other.users_email;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "The failed build left index \"${SCHEMA}_other\".\"users_email\" INVALID"
	# an index of the same name in the search_path's schema is none of its business
	pq "CREATE INDEX users_email ON users (email)"
	pq "DELETE FROM ${SCHEMA}_other.users WHERE id = 2"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: dropped invalid index \"${SCHEMA}_other\".\"users_email\""
	expect_eq "$(indexes_of "${SCHEMA}_other.users")" "users_email:true users_pkey:true" "indexes of the other schema's users"
	expect_eq "$(indexes_of users)" "users_email:true users_pkey:true" "indexes of users"
)

test_case "a REINDEX CONCURRENTLY cancelled half-way: check lists its _ccnew leftover, the rerun drops it"
(
	pg_case
	# statement_timeout cancels the rebuild after it created its new index, during the build
	pg_project "postgresql:
  statement_timeout: 100ms"
	write_rev a1 null "" "SET LOCAL statement_timeout = 0;
CREATE TABLE big (id int, v text);
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 300000) g;
CREATE INDEX big_v ON big (v);" "DROP TABLE big;"
	write_rev a2 a1 "" "REINDEX INDEX CONCURRENTLY big_v;" ""
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a2_rev.sql:9: canceling statement due to statement timeout (57014)"
	expect_eq "$(indexes_of big)" "big_v:true big_v_ccnew:false" "indexes of big"
	expect_eq "$(invalid_in_check)" "index \"$SCHEMA\".\"big_v_ccnew\"_on_table_\"big\" is INVALID" "invalid indexes in check --json"
	pg_project
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: dropped invalid index \"$SCHEMA\".\"big_v_ccnew\" left by an earlier failed REINDEX CONCURRENTLY"
	expect_eq "$(indexes_of big)" "big_v:true" "indexes of big"
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_case "part-way through a statement-by-statement revision: the rerun resumes at the index build"
(
	pg_case
	pg_project
	write_rev a1 null "" "CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE TABLE audit (what text);
INSERT INTO users VALUES (1, 'ada@example.com'), (2, 'ada@example.com');" "DROP TABLE audit;
DROP TABLE users;"
	write_rev a2 a1 "transactional: false" "INSERT INTO audit VALUES ('before the index');
CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);
INSERT INTO audit VALUES ('after the index');" "DROP INDEX CONCURRENTLY users_email;
DELETE FROM audit;"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: versions/a2_rev.sql:11: could not create unique index \"users_email\" (23505)"
	expect_eq "$(pg_history)" "a1 upgrade applied -
a2 upgrade failed 1" "history rows"
	expect_eq "$(psql_db "SELECT string_agg(what, ', ') FROM audit")" "before the index" "audit rows"
	pq "DELETE FROM users WHERE id = 2"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: resuming revision 'a2' at statement 2 of 3 (line 11): an earlier run stopped there"
	expect_stderr_contains "notice: dropped invalid index \"$SCHEMA\".\"users_email\""
	expect_eq "$(psql_db "SELECT string_agg(what, ', ' ORDER BY what) FROM audit")" "after the index, before the index" "audit rows (the first INSERT ran once)"
	expect_eq "$(indexes_of users)" "users_email:true users_pkey:true" "indexes of users"
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_done
