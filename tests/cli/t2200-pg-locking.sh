#!/bin/sh
# The PostgreSQL migration lock: a session advisory lock keyed on the version table's
# qualified name, held for the whole run and polled, never waited for inside a statement.
# Two runs started together apply every revision exactly once; the second says once that
# it waits (with the holder's pid and application name) and then finds nothing to do; a
# CREATE INDEX CONCURRENTLY in the holder while the other waits does not deadlock;
# lock_wait exceeded is exit 1 with a clear message; read-only commands and other version
# tables do not wait.
. "$(dirname "$0")/pg-lib.sh"

# r1 fast, r2 sleeps SLEEP seconds, r3 fast
slow_project() {
	pg_project "$1"
	write_rev r1 null
	write_rev r2 r1 "" "CREATE TABLE t_r2 (id int);
SELECT pg_sleep($(slow "${SLEEP:-1}"));" "DROP TABLE t_r2;"
	write_rev r3 r2
}

# applied_once: r1, r2 and r3 each have exactly one history row, 'upgrade applied'.
applied_once() {
	expect_eq "$(pg_history)" "r1 upgrade applied -
r2 upgrade applied -
r3 upgrade applied -" "history rows"
	expect_eq "$(pg_versions)" r3 "version rows"
	expect_eq "$(pg_tables)" "t_r1 t_r2 t_r3" "tables"
}

# lock_holder_pid: the pid of the session holding an advisory lock on the database (waits
# up to 10 s for one).
lock_holder_pid() {
	pg_wait_for 10 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
	                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())" 1 \
		"the first run to take the migration lock"
	psql_db "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
	         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}

# count_lines FILE TEXT: how many lines of FILE contain TEXT.
count_lines() {
	grep -c -F -e "$2" "$1"
}

test_case "two upgrades started together: each revision applied exactly once, the other run waits then has nothing to do"
(
	pg_case
	slow_project
	retort_bg a upgrade head
	a=$BG_PID
	retort_bg b upgrade head
	b=$BG_PID
	wait_bg 30 "$a"
	wait_bg 30 "$b"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	applied_once
	expect_eq "$(cat a.err b.err | grep -c 'Running upgrade')" 3 "revisions run, by both processes together"
	if grep -q "Running upgrade" a.err; then worker=a idle=b; else worker=b idle=a; fi
	expect_eq "$(count_lines $worker.err 'Running upgrade')" 3 "revisions run by the run that got the lock"
	expect_eq "$(count_lines $idle.err 'waiting for the migration lock held by pid')" 1 "waiting notices of the other run"
	expect_eq "$(count_lines $idle.err 'nothing to do: the database is already at r3')" 1 "the other run's conclusion"
	expect_eq "$(count_lines $idle.err 'Running upgrade')" 0 "revisions run by the other run"
	expect_eq "$(advisory_locks)" 0 "advisory locks left"
)

test_case "the waiting run names the holder's pid and application_name, once"
(
	pg_case
	SLEEP=1.5 slow_project
	retort_bg a upgrade head
	a=$BG_PID
	holder=$(lock_holder_pid)
	[ -n "$holder" ] || fail "no lock holder found"
	expect_eq "$(psql_db "SELECT application_name FROM pg_stat_activity WHERE pid = $holder")" retort "the holder's application_name"
	b_start=$(now_ms)
	retort_bg b upgrade head
	b=$BG_PID
	wait_file_contains 10 b.err "waiting for the migration lock" "$b"
	# the waiting run polls between sleeps: its session never waits on a lock inside a
	# statement, and holds no snapshot most of the time
	: >samples
	for i in 1 2 3 4 5 6 7 8 9 10; do
		psql_db "SELECT coalesce(wait_event_type, '-') || '/' || state || '/' || (backend_xmin IS NULL)
		         FROM pg_stat_activity WHERE application_name = 'retort' AND pid <> $holder
		           AND datname = current_database()" >>samples
		sleep 0.05
	done
	expect_eq "$(grep -c '^Lock/' samples)" 0 "samples of the waiting run blocked on a lock"
	[ "$(grep -c '/idle/true$' samples)" -ge 7 ] || fail "the waiting run's session was mostly busy" \
		">= 7 of 10 samples idle without a snapshot" "$(cat samples)"
	_asserted
	wait_bg 30 "$b"
	wait_bg 30 "$a"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	[ "$b_start" -lt "$(cat a.end)" ] || fail "no overlap: the second run started after the first ended"
	_asserted
	expect_eq "$(grep -F 'waiting for the migration lock' b.err)" \
		"notice: waiting for the migration lock held by pid $holder (application_name 'retort')" "the waiting notice"
	expect_eq "$(grep -v -F 'waiting for the migration lock' b.err)" "nothing to do: the database is already at r3" \
		"the rest of the second run's output"
	applied_once
)

test_case "CREATE INDEX CONCURRENTLY in the lock holder while another run waits: no deadlock"
(
	pg_case
	pg_project
	write_rev r1 null "" "CREATE TABLE big (id int PRIMARY KEY, v text);
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 200000) g;" "DROP TABLE big;"
	write_rev r2 r1 "transactional: false" "SELECT pg_sleep($(slow 1));
CREATE INDEX CONCURRENTLY big_v ON big (v);
SELECT pg_sleep($(slow 0.5));" "DROP INDEX CONCURRENTLY big_v;"
	write_rev r3 r2 "" "CREATE TABLE after_cic (id int);" "DROP TABLE after_cic;"
	retort_bg a upgrade head
	a=$BG_PID
	holder=$(lock_holder_pid)
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE pid = $holder AND query LIKE 'SELECT pg_sleep($(slow 1))%'" 1 \
		"the first run to reach r2"
	retort_bg b upgrade head
	b=$BG_PID
	# while b waits, a builds the index
	pg_wait_for 15 "SELECT count(*) FROM pg_stat_activity WHERE pid = $holder AND query LIKE 'CREATE INDEX CONCURRENTLY%'" 1 \
		"the first run to start building the index"
	kill -0 "$b" 2>/dev/null || fail "the second run ended before the index build started" "still waiting" "$(cat b.err)"
	_asserted
	wait_bg 40 "$a"
	wait_bg 40 "$b"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	expect_eq "$(psql_db "SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")" t "big_v is valid"
	expect_eq "$(pg_history)" "r1 upgrade applied -
r2 upgrade applied 3
r3 upgrade applied -" "history rows"
	expect_eq "$(pg_versions)" r3 "version rows"
	expect_eq "$(count_lines b.err "waiting for the migration lock held by pid $holder (application_name 'retort')")" 1 "waiting notices"
	expect_eq "$(count_lines b.err 'nothing to do: the database is already at r3')" 1 "the second run's conclusion"
)

test_case "lock_wait exceeded: exit 1, a clear message naming the holder, nothing done"
(
	pg_case
	SLEEP=2.5 slow_project "lock_wait: 500ms"
	retort_bg a upgrade head
	a=$BG_PID
	holder=$(lock_holder_pid)
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 1
	expect_stderr_contains "notice: waiting for the migration lock held by pid $holder (application_name 'retort')"
	expect_stderr_contains "error: gave up after 0.5 s waiting for the migration lock held by pid $holder (application_name 'retort')"
	expect_stderr_contains "hint: Find the other run in pg_stat_activity (pid $holder)"
	expect_stderr_not_contains "Running upgrade"
	[ $((t1 - t0)) -ge 450 ] || fail "the second run gave up after $((t1 - t0)) ms" "about 500 ms" "$((t1 - t0)) ms"
	within $((t1 - t0)) 2500 "giving up after lock_wait: 500ms"
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and d["error"]["message"].startswith("gave up after 0.5 s waiting for the migration lock held by pid ")'
	kill -0 "$a" 2>/dev/null || fail "the first run ended before the second gave up (no overlap)"
	_asserted
	wait_bg 30 "$a"
	expect_eq "$(cat a.rc)" 0 "exit status of the first run"
	applied_once
)

test_case "read-only commands do not wait for the lock"
(
	pg_case
	SLEEP=1.5 slow_project "lock_wait: 10s"
	retort_bg a upgrade head
	a=$BG_PID
	lock_holder_pid >/dev/null
	for c in "current" "current --verbose" "history --verbose" "heads" "check"; do
		t0=$(now_ms)
		run retort $c
		t1=$(now_ms)
		expect_stderr_not_contains "waiting"
		within $((t1 - t0)) 1500 "'$c' while another run held the lock"
	done
	kill -0 "$a" 2>/dev/null || fail "the run ended before the read-only commands were done (no overlap)"
	_asserted
	wait_bg 30 "$a"
	expect_eq "$(cat a.rc)" 0 "exit status of the run"
)

test_case "the lock is per version table: another project in the same database does not wait"
(
	pg_case
	mkdir one two
	(cd one && SLEEP=1.5 slow_project "version_table: one_version")
	(cd two && pg_project "version_table: two_version" && write_rev b1 null)
	cd one || fail "setup: cd one"
	retort_bg a upgrade head
	a=$BG_PID
	lock_holder_pid >/dev/null
	cd ../two || fail "setup: cd two"
	t0=$(now_ms)
	run retort upgrade head
	t1=$(now_ms)
	expect_exit 0
	expect_stderr_not_contains "waiting"
	within $((t1 - t0)) 1500 "the other project's run"
	expect_eq "$(pg_versions two_version)" b1 "rows of two"
	kill -0 "$a" 2>/dev/null || fail "the first run ended before the second (no overlap)"
	_asserted
	wait_bg 30 "$a"
	expect_eq "$(cat ../one/a.rc)" 0 "exit status of the first run"
	expect_eq "$(pg_versions one_version)" r3 "rows of one"
)

test_case "a downgrade started during an upgrade waits, then reverts everything"
(
	pg_case
	slow_project
	retort_bg a upgrade head
	a=$BG_PID
	lock_holder_pid >/dev/null
	retort_bg b downgrade base
	b=$BG_PID
	wait_bg 30 "$a"
	wait_bg 30 "$b"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	expect_eq "$(pg_versions)" "" "version rows"
	expect_eq "$(pg_history)" "r1 upgrade applied -
r2 upgrade applied -
r3 upgrade applied -
r3 downgrade applied -
r2 downgrade applied -
r1 downgrade applied -" "history rows"
	expect_eq "$(count_lines b.err 'waiting for the migration lock')" 1 "waiting notices"
)

test_done
