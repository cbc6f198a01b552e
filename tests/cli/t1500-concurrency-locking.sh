#!/bin/sh
# Two retort processes migrating the same SQLite database at once: every revision is
# applied exactly once; the second waits for the first and then has nothing to do, or,
# with a small lock_wait, gives up with a clear message and exit 1. A killed or
# interrupted run leaves no stale lock and no half-applied revision.
. "$(dirname "$0")/lib.sh"

# The slow revision counts SLOW_ROWS rows in a recursive CTE (about 1 s natively); under
# valgrind everything is slower, so fewer rows keep the same overlap.
if [ "$VALGRIND" = 1 ]; then SLOW_ROWS=300000; else SLOW_ROWS=3500000; fi

# r1 fast, r2 slow, r3 fast
slow_project() {
	new_project
	write_rev r1 null
	write_rev r2 r1 "" "CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $SLOW_ROWS) SELECT count(*) AS n FROM c;" \
		"DROP TABLE slow;"
	write_rev r3 r2
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# retort_bg NAME ARGS...: starts retort ARGS in the background, the process itself being
# retort (or valgrind running it); stdout/stderr in NAME.out/NAME.err, exit status in
# NAME.rc, its end time (ms) in NAME.end. Sets BG_PID.
retort_bg() {
	_n=$1
	shift
	(
		if [ "$VALGRIND" = 1 ]; then
			valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
				"$RETORT" "$@" >"$_n.out" 2>"$_n.err"
		else
			"$RETORT" "$@" >"$_n.out" 2>"$_n.err"
		fi
		echo $? >"$_n.rc"
		now_ms >"$_n.end"
	) &
	BG_PID=$!
}

# retort_bg_exec NAME ARGS...: like retort_bg, but the background process IS retort (so
# that signals reach it); no NAME.rc or NAME.end (use wait).
retort_bg_exec() {
	_n=$1
	shift
	if [ "$VALGRIND" = 1 ]; then
		(exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$RETORT" "$@" >"$_n.out" 2>"$_n.err") &
	else
		(exec "$RETORT" "$@" >"$_n.out" 2>"$_n.err") &
	fi
	BG_PID=$!
}

# wait_for_version DB ID PID: waits (at most 120 s) until DB's version table holds ID,
# failing if process PID ends first.
wait_for_version() {
	_i=0
	while :; do
		case " $(versions_of "$1" 2>/dev/null) " in *" $2 "*) return 0 ;; esac
		kill -0 "$3" 2>/dev/null || fail "the first run ended before $2 was applied" "$2 applied while it runs" \
			"$(cat a.err 2>/dev/null)"
		_i=$((_i + 1))
		[ $_i -lt 2400 ] || fail "timed out waiting for $2 in $1"
		sleep 0.05
	done
}

# applied_once DB: each of r1 r2 r3 has exactly one 'upgrade applied' history row.
applied_once() {
	expect_eq "$(sql "$1" "SELECT revision || ':' || count(*) FROM retort_version_history
	                        WHERE direction = 'upgrade' AND status = 'applied' GROUP BY revision ORDER BY revision" | tr '\n' ' ')" \
		"r1:1 r2:1 r3:1 " "applied history rows per revision"
	expect_eq "$(sql "$1" "SELECT count(*) FROM retort_version_history WHERE direction = 'upgrade' AND status <> 'applied'")" 0 \
		"history rows not applied"
	expect_eq "$(versions_of "$1")" r3 "version rows"
	expect_eq "$(sql "$1" "SELECT count(*) FROM slow")" 1 "rows of the slow table"
}

test_case "the slow revision is slow enough to overlap (test calibration)"
(
	slow_project
	t0=$(now_ms)
	run retort upgrade head
	expect_exit 0
	t1=$(now_ms)
	[ $((t1 - t0)) -ge 500 ] || fail "upgrade took $((t1 - t0)) ms; raise SLOW_ROWS" ">= 500 ms" "$((t1 - t0)) ms"
	_asserted
)

test_case "a second upgrade waits for the first, then finds nothing to do"
(
	slow_project
	retort_bg a upgrade head
	a=$BG_PID
	# once r1 is committed, a holds the lock and works on the slow r2
	wait_for_version app.db r1 "$a"
	b_start=$(now_ms)
	retort_bg b upgrade head
	b=$BG_PID
	wait "$a"
	wait "$b"
	expect_eq "$(cat a.rc)" 0 "exit status of the first run"
	expect_eq "$(cat b.rc)" 0 "exit status of the second run"
	[ "$b_start" -lt "$(cat a.end)" ] || fail "no overlap: the second run started after the first ended"
	_asserted
	applied_once app.db
	grep -q "Running upgrade" b.err && fail "the second run applied something" "nothing applied" "$(cat b.err)"
	grep -q "Running upgrade r1 -> r2" a.err || fail "the first run did not apply r2" "Running upgrade r1 -> r2" "$(cat a.err)"
	_asserted
)

test_case "two upgrades started together on a fresh database apply each revision once"
(
	slow_project
	retort_bg a upgrade head
	a=$BG_PID
	retort_bg b upgrade head
	b=$BG_PID
	wait "$a"
	wait "$b"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	applied_once app.db
	n=$(cat a.err b.err | grep -c "Running upgrade r1 -> r2")
	expect_eq "$n" 1 "runs that applied r2"
)

test_case "with a small lock_wait the second run gives up: a clear message, exit 1"
(
	slow_project
	echo "lock_wait: 200ms" >>retort.yaml
	retort_bg a upgrade head
	a=$BG_PID
	wait_for_version app.db r1 "$a"
	retort_bg b upgrade head
	b=$BG_PID
	wait "$b"
	kill -0 "$a" 2>/dev/null || fail "the first run ended before the second gave up (no overlap)"
	_asserted
	wait "$a"
	expect_eq "$(cat a.rc)" 0 "exit status of the first run"
	expect_eq "$(cat b.rc)" 1 "exit status of the second run"
	grep -qi "lock" b.err || fail "the second run's message does not mention the lock" "...lock..." "$(cat b.err)"
	grep -q "Running upgrade" b.err && fail "the second run applied something" "nothing applied" "$(cat b.err)"
	_asserted
	applied_once app.db
)

test_case "the second run's JSON error while locked"
(
	slow_project
	echo "lock_wait: 200ms" >>retort.yaml
	retort_bg a upgrade head
	a=$BG_PID
	wait_for_version app.db r1 "$a"
	run retort --json upgrade head
	expect_exit 1
	expect_json 'd["ok"] is False and "lock" in d["error"]["message"]'
	wait "$a"
	expect_eq "$(cat a.rc)" 0 "exit status of the first run"
)

test_case "a downgrade waits for a running upgrade"
(
	slow_project
	retort_bg a upgrade head
	a=$BG_PID
	wait_for_version app.db r1 "$a"
	retort_bg b downgrade base
	b=$BG_PID
	wait "$a"
	wait "$b"
	expect_eq "$(cat a.rc) $(cat b.rc)" "0 0" "exit statuses"
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(history_of app.db)" "r1 upgrade applied
r2 upgrade applied
r3 upgrade applied
r3 downgrade applied
r2 downgrade applied
r1 downgrade applied" "history rows"
)

test_case "a run killed with SIGKILL leaves no stale lock and no half-applied revision"
(
	slow_project
	echo "lock_wait: 5s" >>retort.yaml
	retort_bg_exec a upgrade head
	a=$BG_PID
	wait_for_version app.db r1 "$a"
	kill -KILL "$a"
	wait "$a" 2>/dev/null
	expect_eq "$(versions_of app.db)" r1 "version rows after the kill"
	expect_eq "$(tables_of app.db)" t_r1 "tables after the kill"
	run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "waiting"
	applied_once app.db
)

test_case "SIGTERM during a revision rolls it back, unlocks, and fails"
(
	slow_project
	retort_bg_exec a upgrade head
	a=$BG_PID
	wait_for_version app.db r1 "$a"
	sleep 0.2
	kill -TERM "$a"
	wait "$a"
	rc=$?
	[ "$rc" -ne 0 ] || fail "an interrupted run exited 0" "non-zero" "$rc"
	_asserted
	expect_eq "$(versions_of app.db)" r1 "version rows after SIGTERM"
	expect_eq "$(tables_of app.db)" t_r1 "tables after SIGTERM"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" r3 "version rows"
)

test_done
