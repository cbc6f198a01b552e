#!/bin/sh
# fault.sh - the fault-injection loop of tests/cli/t3310-fault-backend.sh at EVERY call.
#
#   RETORT=$PWD/build/retort sh tests/pg/with-pg.sh sh tests/stress/fault.sh
#
# Runs t3310 with FAULT_ALL=1: for each scenario (SQLite and PostgreSQL; upgrade head,
# downgrade base, a statement-by-statement revision up and down), every exec, query and
# commit call of the command is failed in turn, once and persistently
# (RETORT_FAULT=KIND:N:once|persist), and each run is checked as t3310 says at its top:
# a clean error naming the fault, version rows and history true to the database, a rerun
# that completes. `make test` runs the same file on a sample of N.
#
# Environment:
#   VALGRIND=1     every hooked run under valgrind (much slower)
#   FAULT_SUMMARY  where the figures go (default: fault-summary.txt next to $RETORT,
#                  i.e. build/fault-summary.txt)
#
# Prints the figures (calls of each kind, runs, bad runs per scenario), writes them to
# FAULT_SUMMARY, and exits 1 when any run misbehaved (the log, kept, says which and how to
# reproduce it).

me=fault.sh
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2

if [ -z "${RETORT:-}" ]; then
	echo "$me: set RETORT to the retort binary, e.g. RETORT=\$PWD/build/retort" >&2
	exit 2
fi
case $RETORT in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
[ -x "$RETORT" ] || { echo "$me: RETORT=$RETORT is not an executable file" >&2; exit 2; }
[ -n "${PGHOST:-}" ] || { echo "$me: PGHOST is not set: run under tests/pg/with-pg.sh" >&2; exit 2; }
FAULT_SUMMARY=${FAULT_SUMMARY:-$(dirname "$RETORT")/fault-summary.txt}
log=$(mktemp "${TMPDIR:-/tmp}/retort-fault.XXXXXX") || exit 2

start=$(date +%s)
FAULT_ALL=1 RETORT=$RETORT CLI_TESTS_DIR=$top/tests/cli VALGRIND=${VALGRIND:-0} \
	sh "$top/tests/cli/t3310-fault-backend.sh" >"$log" 2>&1
rc=$?
{
	echo "# retort fault injection at every call (tests/stress/fault.sh), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(( $(date +%s) - start )) s"
	sed -n '/^# scenario /,/^ok [0-9]* - the figures/p' "$log" | grep '^# '
} >"$FAULT_SUMMARY.new" && mv "$FAULT_SUMMARY.new" "$FAULT_SUMMARY"
cat "$FAULT_SUMMARY"
grep -E '^(ok|not ok) ' "$log"
if [ "$rc" != 0 ]; then
	echo "FAILED: see $log"
	exit 1
fi
rm -f "$log"
exit 0
