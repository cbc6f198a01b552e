#!/bin/sh
# CONCURRENTLY statements wait for every transaction older than them. Under retort they
# wait under postgresql.concurrent_timeout (default: no limit), not lock_timeout, and a
# notice names the sessions they wait for; the revision's own lock_timeout is put back
# after them; a build that timed out after it had started is not retried (a retry would
# start over), and the message blames the old transaction, not a table lock.
. "$(dirname "$0")/pg-lib.sh"

# old_snapshot SECONDS: another session holds a transaction with a snapshot, as an idle
# application session would, for SECONDS.
old_snapshot() {
	session_bg snap "BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM big; SELECT pg_sleep($(slow "$1")); COMMIT;"
	SNAP=$BG_PID
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort-tests-other'
	                AND backend_xmin IS NOT NULL AND query LIKE '%pg_sleep%'" 1 "the other session's snapshot"
}

cic_project() {
	pg_project "$1"
	pq "CREATE TABLE big AS SELECT g AS id, g % 7 AS k FROM generate_series(1, 20000) g" >/dev/null
	write_rev c1 null "transactional: false" "SET lock_timeout = '7s';
CREATE INDEX CONCURRENTLY big_k ON big (k);
CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lock_timeout;" \
		"DROP TABLE seen; DROP INDEX CONCURRENTLY big_k;"
}

test_case "a build waits longer than lock_timeout for an old transaction, names it, and completes"
(
	pg_case
	cic_project "postgresql:
  lock_timeout: 300ms"
	old_snapshot 2.5
	t0=$(date +%s%3N)
	run retort upgrade head
	t1=$(date +%s%3N)
	expect_exit 0
	expect_stderr_matches "^notice: .*versions/c1_rev.sql:11: the CONCURRENTLY statement has waited [0-9.]+ s for pid [0-9]+ \\(active since [0-9:]+ UTC, application 'retort-tests-other'\\): it cannot go on before that session ends its transaction$"
	expect_stderr_not_contains "retry"
	[ $((t1 - t0)) -ge 1500 ] || fail "the build did not wait for the snapshot" ">= 1500 ms" "$((t1 - t0)) ms"
	expect_eq "$(pq "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_k'::regclass")" t "the index is valid"
	expect_eq "$(pq "SELECT lock_timeout FROM seen")" 7s "the revision's own lock_timeout after the build"
	expect_eq "$(pg_versions)" c1 "version rows"
)

test_case "postgresql.concurrent_timeout bounds the wait: the message names the transaction, no retry"
(
	pg_case
	cic_project "postgresql:
  lock_timeout: 300ms
  concurrent_timeout: 1s
  lock_retries: 3"
	old_snapshot 20
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/c1_rev.sql:11: the CONCURRENTLY statement waited longer than postgresql.concurrent_timeout (1000 ms): canceling statement due to lock timeout (55P03)"
	expect_stderr_matches "^detail: It waited longer than postgresql.concurrent_timeout for pid [0-9]+ "
	expect_stderr_contains "The build had started, so it is not retried"
	expect_stderr_not_contains "retry 1 of 3"
	expect_stderr_not_contains "could not lock table"
	expect_eq "$(pq "SELECT count(*) FROM pg_index WHERE indexrelid = 'big_k'::regclass AND NOT indisvalid")" 1 "the INVALID index left"
	kill "$SNAP" 2>/dev/null
	pq "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'retort-tests-other'" >/dev/null
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "dropped invalid index"
	expect_eq "$(pq "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_k'::regclass")" t "the index is valid"
)

test_case "a build that fails for another reason is not retried"
(
	pg_case
	pg_project "postgresql:
  lock_retries: 3"
	pq "CREATE TABLE dup (id int); INSERT INTO dup VALUES (1), (1)" >/dev/null
	write_rev u1 null "" "CREATE UNIQUE INDEX CONCURRENTLY dup_id ON dup (id);"
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "could not create unique index \"dup_id\" (23505)"
	expect_stderr_not_contains "retry"
)

test_done
