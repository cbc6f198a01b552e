#!/bin/sh
# A failed revision's history row records when it really started and how long it ran: not
# the time of the failure and a millisecond (the row is written after the rollback).
. "$(dirname "$0")/lib.sh"

# A statement that keeps SQLite busy for a while (about a second), then a failing one.
SLOW_SQL="CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT x FROM c;
INSERT INTO nosuch VALUES (1);"

# failed_row DB: "duration_ms elapsed_ms" of the last history row, elapsed from its times.
failed_row() {
	sql "$1" "SELECT CAST(duration_ms AS INTEGER) || ' ' ||
	                 CAST(round((julianday(finished_at) - julianday(started_at)) * 86400000.0) AS INTEGER)
	          FROM \"${VERSION_TABLE}_history\" WHERE status = 'failed' ORDER BY id DESC LIMIT 1"
}

test_case "a failed transactional revision records its real start and duration"
(
	new_project
	write_rev a1 null "" "$SLOW_SQL"
	t0=$(date +%s%3N)
	run retort upgrade head
	t1=$(date +%s%3N)
	expect_exit 1
	set -- $(failed_row app.db)
	[ "$#" = 2 ] || fail "no failed history row" "a row" "$(history_of app.db)"
	wall=$((t1 - t0))
	[ "$1" -ge $((wall / 3)) ] || fail "duration_ms too small" ">= $((wall / 3)) (the run took $wall ms)" "$1"
	[ "$2" -ge $((wall / 3)) ] || fail "finished_at - started_at too small" ">= $((wall / 3))" "$2"
	_asserted
)

test_case "transaction: all: the failing revision's row starts when that revision started"
(
	new_project
	echo "transaction: all" >>retort.yaml
	write_rev a1 null
	write_rev a2 a1 "" "$SLOW_SQL"
	run retort upgrade head
	expect_exit 1
	set -- $(failed_row app.db)
	[ "$1" -ge 200 ] || fail "duration_ms too small" ">= 200" "$1"
	expect_eq "$(sql app.db "SELECT revision FROM \"${VERSION_TABLE}_history\" WHERE status = 'failed'")" a2 \
		"the failed revision"
	expect_eq "$(sql app.db "SELECT count(*) FROM \"${VERSION_TABLE}_history\" WHERE status = 'running'")" 0 \
		"running rows"
)

test_done
