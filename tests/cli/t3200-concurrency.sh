#!/bin/sh
# Concurrency, the fast version (tests/stress/run.sh repeats it, `make stress`).
#
# tests/stress/concurrency.py starts 8 retort processes at the same instant (each held in
# a tiny sh until all are forked, then released together) on one database holding the
# 60-revision history of tests/stress/stresslib.py:
#   - 8 x `upgrade head` on an empty database: all exit 0, exactly one applies the 60
#     revisions and the 7 others find the database at head; the history has exactly one
#     'upgrade applied' row per revision and nothing else; the schema is an uninterrupted
#     run's;
#   - 4 x `upgrade head` and 4 x `downgrade TARGET` (base, a branch's base, revisions,
#     relative targets) on a database at head: every process exits 0, or 2 with a clear
#     error saying its target no longer fits the database (another process moved it
#     first) and nothing done; every step a process reports has exactly one history row
#     and no other row says 'applied'; the version rows match the catalog.
# On SQLite (rollback journal and WAL) and PostgreSQL. STRESS_SEED=N replays the targets;
# STRESS_ROUNDS=N (default 2) sets the rounds. The figures go to build/stress-summary.txt
# (or $STRESS_SUMMARY), lines starting "make test: concurrency".
. "$(dirname "$0")/pg-lib.sh"

STRESS_DIR=$(cd "$CLI_TESTS_DIR/../stress" && pwd)
SEED=$(stress_seed)
ROUNDS=${STRESS_ROUNDS:-2}
SUMMARY=$STRESS_SUMMARY_FILE
WORK=${STRESS_WORKDIR:-$_T_ROOT}
echo "# seed $SEED (replay with STRESS_SEED=$SEED), $ROUNDS rounds per backend"

stress_summary_drop '^make test: concurrency '

conc() {
	run timeout -k 5 600 python3 "$STRESS_DIR/concurrency.py" --retort "$RETORT" --seed "$SEED" \
		--rounds "$ROUNDS" --workdir "$WORK" --summary "$SUMMARY" --tag "make test: " -v "$@"
	grep -E '^(concurrency|FAILED|ok round|  )' "$RUN_STDOUT" | sed 's/^/# /'
}

test_case "SQLite, rollback journal: 8 upgrades at once, then 4 upgrades and 4 downgrades at once"
(
	conc --backend sqlite --journal delete
	expect_exit 0
	expect_stdout_matches "^concurrency sqlite/rollback-journal +seed $SEED +rounds $ROUNDS x \(up8 \+ mixed 4/4\): $((ROUNDS * 2)) runs of 8 processes, 0 failed;"
	expect_eq "$(grep -c '^ok round [0-9]* up8: 8 processes, [0-9]* said they waited for the lock, 7 found nothing to do$' "$RUN_STDOUT")" \
		"$ROUNDS" "rounds where 7 of 8 upgrades found nothing to do"
)

test_case "SQLite, WAL: 8 upgrades at once, then 4 upgrades and 4 downgrades at once"
(
	conc --backend sqlite --journal wal
	expect_exit 0
	expect_stdout_matches "^concurrency sqlite/wal +seed $SEED +rounds $ROUNDS x \(up8 \+ mixed 4/4\): $((ROUNDS * 2)) runs of 8 processes, 0 failed;"
	expect_eq "$(grep -c '^ok round [0-9]* up8: 8 processes, [0-9]* said they waited for the lock, 7 found nothing to do$' "$RUN_STDOUT")" \
		"$ROUNDS" "rounds where 7 of 8 upgrades found nothing to do"
)

test_case "PostgreSQL: 8 upgrades at once, then 4 upgrades and 4 downgrades at once"
(
	pg_case
	conc --backend postgresql --pg-host "$_PG_HOST" --pg-port "$_PG_PORT" --pg-user "$_PG_USER" \
		--pg-db "$PG_DB" --schema "$SCHEMA"
	expect_exit 0
	expect_stdout_matches "^concurrency postgresql +seed $SEED +rounds $ROUNDS x \(up8 \+ mixed 4/4\): $((ROUNDS * 2)) runs of 8 processes, 0 failed;"
	expect_eq "$(grep -c '^ok round [0-9]* up8: 8 processes, [0-9]* said they waited for the lock, 7 found nothing to do$' "$RUN_STDOUT")" \
		"$ROUNDS" "rounds where 7 of 8 upgrades found nothing to do"
)

test_case "the concurrency checks can fail: a round whose history was doctored is reported"
(
	conc --backend sqlite --rounds 1 --self-test
	expect_exit 1
	expect_stdout_matches "^FAILED round 0 up8 .*"
	expect_stdout_contains "history rows: 61, expected exactly one 'upgrade applied' per revision"
)

test_done
