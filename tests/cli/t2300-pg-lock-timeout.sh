#!/bin/sh
# lock_timeout, statement_timeout and lock_retries on PostgreSQL. Another session ("the
# other session", a psql holding ACCESS EXCLUSIVE on a table) blocks a revision: every
# statement gives up after postgresql.lock_timeout, the revision's transaction is rolled
# back and retried after a jittered backoff, each retry logged; when the lock is released
# during the retries the upgrade succeeds, when it never is, retort fails (exit 1) naming
# the table, and nothing of the revision is left. A revision's own SET LOCAL lock_timeout
# wins for that revision only; statement_timeout cancels long statements (no retry).
. "$(dirname "$0")/pg-lib.sh"

# blocked_project LOCK_TIMEOUT RETRIES [MORE CONFIG]: a table "accounts_locked" (created
# here, outside retort) and a revision a1 that creates "fresh" and then alters
# accounts_locked, which the other session will lock.
blocked_project() {
	pg_project "postgresql:
  lock_timeout: $1
  lock_retries: $2
$3"
	pq "CREATE TABLE accounts_locked (id int PRIMARY KEY); INSERT INTO accounts_locked VALUES (1), (2)"
	write_rev a1 null "" "CREATE TABLE fresh (id int);
ALTER TABLE accounts_locked
    ADD COLUMN note text;" "ALTER TABLE accounts_locked DROP COLUMN note;
DROP TABLE fresh;"
}

# hold_lock SECONDS: the other session takes ACCESS EXCLUSIVE on accounts_locked and keeps
# it SECONDS seconds (its backend is terminated when the case ends anyway).
hold_lock() {
	session_bg holder "BEGIN; LOCK TABLE accounts_locked IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($(slow "$1")); COMMIT;"
	HOLDER=$BG_PID
	lock_holder_ready accounts_locked AccessExclusiveLock
}

# columns_of TABLE: its column names, in order.
columns_of() {
	psql_db "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute
	         WHERE attrelid = '$1'::regclass AND attnum > 0 AND NOT attisdropped"
}

# retry_lines: the retry notices of the last run, as "N of M" per line.
retry_lines() {
	sed -n 's/^notice: .*; retry \([0-9]* of [0-9]*\) in [0-9]* ms$/\1/p' "$RUN_STDERR"
}

LOCK_MSG='could not lock table "accounts_locked" within lock_timeout: canceling statement due to lock timeout (55P03)'
LOCK_RE='could not lock table "accounts_locked" within lock_timeout: canceling statement due to lock timeout \(55P03\)'

test_case "the other session releases its lock during the retries: the upgrade succeeds, each retry logged"
(
	pg_case
	blocked_project 200ms 5
	hold_lock 1.2
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 0
	n=$(retry_lines | wc -l)
	[ "$n" -ge 1 ] && [ "$n" -le 4 ] || fail "wrong number of retries" "1 to 4" "$n"
	_asserted
	expect_eq "$(retry_lines | tr '\n' ' ')" "$(seq 1 "$n" | sed 's/$/ of 5/' | tr '\n' ' ')" "retry notices"
	[ $((t1 - t0)) -ge 1000 ] || fail "the upgrade finished before the lock was released" ">= 1000 ms" "$((t1 - t0)) ms"
	_asserted
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_eq "$(columns_of accounts_locked)" "id note" "columns of accounts_locked"
	expect_eq "$(pg_tables)" "accounts_locked fresh" "tables"
	expect_eq "$(pg_history)" "a1 upgrade applied -" "history rows (a retry is not a failure)"
	wait_bg 10 "$HOLDER"
	expect_eq "$(cat holder.err)" "" "errors of the other session"
	expect_eq "$(grep -c -F "versions/a1_rev.sql:10: $LOCK_MSG; retry " "$RUN_STDERR")" "$n" \
		"retry notices naming the file, the line and the table"
)

test_case "the lock is never released: exit 1 after the retries, naming the table; nothing of the revision stays"
(
	pg_case
	blocked_project 100ms 2
	write_rev a0 null "" "CREATE TABLE before_a1 (id int);" "DROP TABLE before_a1;"
	write_rev a1 a0 "" "CREATE TABLE fresh (id int);
ALTER TABLE accounts_locked
    ADD COLUMN note text;" "ALTER TABLE accounts_locked DROP COLUMN note;
DROP TABLE fresh;"
	hold_lock 60
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 1
	expect_eq "$(retry_lines | tr '\n' ' ')" "1 of 2 2 of 2 " "retry notices"
	expect_stderr_matches "^error: gave up after 3 attempts: "
	expect_stderr_contains "hint: Another session holds a conflicting lock."
	within $((t1 - t0)) 6000 "the upgrade (3 x 100 ms + two backoffs)"
	# a0 committed on its own; a1 rolled back completely
	expect_eq "$(pg_versions)" a0 "version rows"
	expect_eq "$(pg_tables)" "accounts_locked before_a1" "tables (no 'fresh': a1's transaction was rolled back)"
	expect_eq "$(columns_of accounts_locked)" "id" "columns of accounts_locked"
	expect_eq "$(pg_history)" "a0 upgrade applied -
a1 upgrade failed -" "history rows"
	expect_stderr_matches "^error: gave up after 3 attempts: (/.*/)?versions/a1_rev\.sql:10: $LOCK_RE\$"
	err=$(psql_db "SELECT error FROM retort_version_history WHERE revision = 'a1'")
	case $err in
	"gave up after 3 attempts: "*"versions/a1_rev.sql:10: $LOCK_MSG") _asserted ;;
	*) fail "the error in the history" "gave up after 3 attempts: .../versions/a1_rev.sql:10: $LOCK_MSG" "$err" ;;
	esac
	expect_eq "$(psql_db "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort-tests-other' AND state = 'active'")" 1 \
		"the other session still waits (retort did not touch it)"
)

test_case "transaction: all: a lock timeout rolls the whole run back and retries it"
(
	pg_case
	blocked_project 100ms 1 "transaction: all"
	write_rev a0 null "" "CREATE TABLE before_a1 (id int);" "DROP TABLE before_a1;"
	write_rev a1 a0 "" "ALTER TABLE accounts_locked ADD COLUMN note text;" "ALTER TABLE accounts_locked DROP COLUMN note;"
	hold_lock 60
	run retort upgrade head
	expect_exit 1
	expect_eq "$(retry_lines | tr '\n' ' ')" "1 of 1 " "retry notices"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(pg_tables)" "accounts_locked" "tables"
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE status = 'applied'")" 0 "applied history rows"
	expect_stderr_matches "^error: gave up after 2 attempts: (/.*/)?versions/a1_rev\.sql:9: $LOCK_RE\$"
)

test_case "a revision's own SET LOCAL lock_timeout wins for that revision only"
(
	pg_case
	blocked_project 30s 0
	write_rev a1 null "" "SET LOCAL lock_timeout = '150ms';
ALTER TABLE accounts_locked ADD COLUMN note text;" "ALTER TABLE accounts_locked DROP COLUMN note;"
	hold_lock 60
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 1
	within $((t1 - t0)) 5000 "waiting for the lock (about 150 ms)"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_stderr_contains "error: versions/a1_rev.sql:10: $LOCK_MSG"
)

test_case "every statement runs under the configured lock_timeout and statement_timeout; SET LOCAL does not leak"
(
	pg_case
	pg_project "postgresql:
  lock_timeout: 1500ms
  statement_timeout: 2min"
	write_rev a1 null "" "SET LOCAL lock_timeout = '150ms';
CREATE TABLE seen_a1 AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;" \
		"DROP TABLE seen_a1;"
	write_rev a2 a1 "" "CREATE TABLE seen_a2 AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;" \
		"DROP TABLE seen_a2;"
	write_rev a3 a2 "transactional: false" "CREATE TABLE seen_a3 AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;" \
		"DROP TABLE seen_a3;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT lt || ' ' || st FROM seen_a1")" "150ms 2min" "settings seen by a1"
	expect_eq "$(psql_db "SELECT lt || ' ' || st FROM seen_a2")" "1500ms 2min" "settings seen by a2"
	expect_eq "$(psql_db "SELECT lt || ' ' || st FROM seen_a3")" "1500ms 2min" "settings seen by a3 (autocommit)"
)

test_case "the defaults: lock_timeout 5s, statement_timeout off"
(
	pg_case
	pg_project
	write_rev a1 null "" "CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS lt, current_setting('statement_timeout') AS st;" \
		"DROP TABLE seen;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT lt || ' ' || st FROM seen")" "5s 0" "settings seen by a1"
)

test_case "statement_timeout cancels a long statement: exit 1, SQLSTATE 57014, no retry"
(
	pg_case
	pg_project "postgresql:
  statement_timeout: 300ms
  lock_retries: 3"
	write_rev a1 null "" "CREATE TABLE t_a1 (id int);
SELECT pg_sleep(5);" "DROP TABLE t_a1;"
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 1
	expect_stderr_contains "error: versions/a1_rev.sql:10: canceling statement due to statement timeout (57014)"
	expect_stderr_not_contains "retry"
	within $((t1 - t0)) 3000 "the upgrade (about 300 ms)"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(pg_tables)" "" "tables"
	expect_eq "$(pg_history)" "a1 upgrade failed -" "history rows"
)

test_case "a lock timeout in a non-transactional revision retries that statement, then succeeds"
(
	pg_case
	blocked_project 200ms 5
	write_rev a1 null "transactional: false" "CREATE TABLE IF NOT EXISTS fresh (id int);
ALTER TABLE accounts_locked ADD COLUMN IF NOT EXISTS extra int;" \
		"ALTER TABLE accounts_locked DROP COLUMN extra;
DROP TABLE fresh;"
	hold_lock 1.2
	run retort upgrade head
	expect_exit 0
	n=$(retry_lines | wc -l)
	[ "$n" -ge 1 ] || fail "no retry logged" ">= 1 retry" "$n"
	_asserted
	expect_eq "$(psql_db "SELECT count(*) FROM pg_attribute WHERE attrelid = 'accounts_locked'::regclass AND attname = 'extra'")" 1 \
		"the column"
	expect_eq "$(pg_history)" "a1 upgrade applied 2" "history rows"
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_stderr_contains "versions/a1_rev.sql:11: $LOCK_MSG; retry 1 of 5 in "
)

test_done
