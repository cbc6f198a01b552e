#!/bin/sh
# SIGINT and SIGTERM during a PostgreSQL run: the statement in progress is cancelled on the
# server (no pg_sleep left in pg_stat_activity), the open transaction rolled back, the
# migration lock released (the next run proceeds at once), nothing false recorded (no
# 'applied' row for the interrupted revision), and retort exits 130 / 143 within a couple
# of seconds; also while waiting for the lock, during a lock-timeout backoff, in a
# statement-by-statement revision (which the next run then resumes) and under
# transaction: all.
. "$(dirname "$0")/pg-lib.sh"

# SLEEPY: sleeps 30 s unless the table go_fast exists (so the run after the signal is fast).
SLEEPY="SELECT pg_sleep(CASE WHEN to_regclass('go_fast') IS NULL THEN 30 ELSE 0 END);"

# sleepy_project [CONFIG]: a1 fast; a2 creates t_a2 then sleeps (line 10).
sleepy_project() {
	pg_project "$1"
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id int);
$SLEEPY" "DROP TABLE t_a2;"
}

# sleeping: waits (10 s at most) until retort's session runs the pg_sleep.
sleeping() {
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort'
	                AND state = 'active' AND query LIKE 'SELECT pg_sleep(CASE%'" 1 "retort to run the pg_sleep"
}

# signal_and_wait SIG PID: sends SIG to PID, waits for it (10 s at most); sets BG_RC and
# SIG_MS, the milliseconds from the signal to the exit.
signal_and_wait() {
	_t0=$(now_ms)
	kill -"$1" "$2"
	wait_bg 10 "$2"
	SIG_MS=$(( $(now_ms) - _t0 ))
}

# after_interrupt STATUS: the checks every interrupted run must pass: exit STATUS within
# 2 s, no pg_sleep on the server, no advisory lock, no retort session left.
after_interrupt() {
	expect_eq "$BG_RC" "$1" "exit status"
	within "$SIG_MS" 2000 "exiting after the signal"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(CASE%' AND pid <> pg_backend_pid()")" 0 \
		"sessions still running the pg_sleep"
	expect_eq "$(advisory_locks)" 0 "advisory locks"
	pg_wait_for 5 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'retort'" 0 "retort's session to end"
}

# next_run_is_immediate: with go_fast, `upgrade head` (lock_wait 1s) finishes at once, without waiting.
next_run_is_immediate() {
	pq "CREATE TABLE go_fast ()"
	_t0=$(now_ms)
	run retort upgrade head
	_ms=$(( $(now_ms) - _t0 ))
	expect_exit 0
	expect_stderr_not_contains "waiting"
	within "$_ms" 1500 "the next run"
}

interrupt_case() {
	pg_case
	sleepy_project "lock_wait: 1s"
	retort_bg_exec a upgrade head
	sleeping
	signal_and_wait "$1" "$BG_PID"
	after_interrupt "$2"
	expect_eq "$(grep -c 'upgraded to' a.err)" 0 "success lines of the interrupted run"
	expect_eq "$(grep -c '^error: interrupted' a.err)" 1 "error lines of the interrupted run"
	expect_eq "$(pg_versions)" a1 "version rows"
	expect_eq "$(pg_tables)" "t_a1" "tables (t_a2 rolled back)"
	expect_eq "$(psql_db "SELECT string_agg(status, ' ') FROM retort_version_history WHERE revision = 'a2'")" failed \
		"history rows of a2 (no 'applied')"
	next_run_is_immediate
	expect_eq "$(pg_versions)" a2 "version rows after the next run"
	expect_eq "$(pg_history)" "a1 upgrade applied -
a2 upgrade failed -
a2 upgrade applied -" "history rows"
}

test_case "SIGINT during pg_sleep(30): exit 130, statement cancelled, rolled back, unlocked, nothing false recorded"
(
	interrupt_case INT 130
	expect_eq "$(psql_db "SELECT error FROM retort_version_history WHERE revision = 'a2' AND status = 'failed'")" \
		"$(sed -n 's/^error: //p' a.err)" "the history's error is the one printed"
)

test_case "SIGTERM during pg_sleep(30): exit 143, the same"
(
	interrupt_case TERM 143
)

test_case "SIGINT in a statement-by-statement revision: recorded as failed at that statement; the next run resumes it"
(
	pg_case
	pg_project
	write_rev a1 null "transactional: false" "CREATE TABLE log (what text);
INSERT INTO log VALUES ('one');
$SLEEPY
INSERT INTO log VALUES ('four');" "DROP TABLE log;"
	retort_bg_exec a upgrade head
	sleeping
	signal_and_wait INT "$BG_PID"
	after_interrupt 130
	expect_eq "$(pg_history)" "a1 upgrade failed 2" "history rows"
	expect_eq "$(psql_db "SELECT string_agg(what, ' ') FROM log")" "one" "log rows"
	pq "CREATE TABLE go_fast ()"
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "notice: resuming revision 'a1' at statement 3 of 4 (line 12)"
	expect_eq "$(psql_db "SELECT string_agg(what, ' ' ORDER BY what) FROM log")" "four one" "log rows"
	expect_eq "$(pg_versions)" a1 "version rows"
)

test_case "SIGINT while waiting for the migration lock: exit 130 at once, nothing done"
(
	pg_case
	sleepy_project "lock_wait: 20s"
	retort_bg_exec a upgrade head
	a=$BG_PID
	sleeping
	retort_bg_exec b upgrade head
	b=$BG_PID
	wait_file_contains 10 b.err "waiting for the migration lock" "$b"
	signal_and_wait INT "$b"
	expect_eq "$BG_RC" 130 "exit status of the waiting run"
	within "$SIG_MS" 2000 "the waiting run's exit after SIGINT"
	expect_eq "$(grep -c 'Running' b.err)" 0 "revisions run by the waiting run"
	kill -0 "$a" 2>/dev/null || fail "the first run ended" "still running" "$(cat a.err)"
	_asserted
	signal_and_wait TERM "$a"
	after_interrupt 143
	expect_eq "$(pg_versions)" a1 "version rows"
)

test_case "SIGINT during a lock-timeout backoff: exit 130 at once"
(
	pg_case
	pg_project "postgresql:
  lock_timeout: 100ms
  lock_retries: 5"
	pq "CREATE TABLE busy (id int)"
	write_rev a1 null "" "ALTER TABLE busy ADD COLUMN note text;" "ALTER TABLE busy DROP COLUMN note;"
	session_bg holder "BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);"
	lock_holder_ready busy AccessExclusiveLock
	retort_bg_exec a upgrade head
	wait_file_contains 10 a.err "retry 1 of 5" "$BG_PID"
	signal_and_wait INT "$BG_PID"
	expect_eq "$BG_RC" 130 "exit status"
	within "$SIG_MS" 1500 "exiting after SIGINT during the backoff"
	expect_eq "$(advisory_locks)" 0 "advisory locks"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(psql_db "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'busy'::regclass AND attnum > 0")" \
		"id" "columns of busy"
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE status = 'applied'")" 0 "applied history rows"
)

test_case "SIGTERM under transaction: all: nothing of the run stays; --json says why"
(
	pg_case
	sleepy_project "transaction: all"
	retort_bg_exec a --json upgrade head
	sleeping
	signal_and_wait TERM "$BG_PID"
	after_interrupt 143
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(pg_tables)" "" "tables"
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE status = 'applied'")" 0 "applied history rows"
	cp a.out "$RUN_STDOUT"
	expect_json 'd["ok"] is False and "interrupted" in d["error"]["message"]'
)

test_done
