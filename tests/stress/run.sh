#!/bin/sh
# run.sh - the long crash-safety and concurrency runs (`make stress`).
#
#   RETORT=path/to/retort sh tests/pg/with-pg.sh sh tests/stress/run.sh [OPTIONS]
#
#   --kills N     kill points per backend and mode (default 200): SQLite with a rollback
#                 journal, SQLite in WAL mode, PostgreSQL
#   --stops N     PostgreSQL server stops (pg_ctl stop -m immediate) mid-run (default 20)
#   --rounds N    concurrency rounds per backend (default 20), each 8 x upgrade head then
#                 4 upgrades + 4 downgrades, all started at the same instant
#   --seed N      the seed (default: random, printed); every part uses it
#   --only PART   run one part: sqlite-journal, sqlite-wal, pg, pgstop, concurrency, selftest
#
# PostgreSQL comes from PGHOST/PGPORT/PGUSER (tests/pg/with-pg.sh sets them); a database
# of its own is created and dropped at the end. The server stops need its data directory
# and pg_ctl: $RETORT_PG_DATA / $RETORT_PG_BINDIR, else $PGHOST/data and the running
# postmaster's binaries (with-pg.sh's layout). SQLite files go to $STRESS_WORKDIR (default
# $TMPDIR): the real disk, unlike the fast test in tests/cli/t3100-crash-safety.sh.
#
# Prints each part's figures and writes them to build/stress-summary.txt (or
# $STRESS_SUMMARY), replacing the previous "make stress:" lines. Exit status 1 when any
# part found a lie, a hang, a crash or a rerun that could not reach head (known bugs listed
# in $RETORT_STRESS_XFAIL are reported without failing; see KNOWN_BUGS in crash.py).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

kills=200 stops=20 rounds=20 seed= only=
while [ $# -gt 0 ]; do
	case $1 in
	--kills) kills=$2; shift 2 ;;
	--stops) stops=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	*) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done
[ -n "${RETORT:-}" ] || { echo "run.sh: set RETORT to the retort binary (make stress does)" >&2; exit 2; }
[ -x "$RETORT" ] || { echo "run.sh: RETORT='$RETORT' is not executable" >&2; exit 2; }
[ -n "${PGHOST:-}" ] || { echo "run.sh: PGHOST is not set: run under tests/pg/with-pg.sh" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "run.sh: python3 is required" >&2; exit 2; }
[ -n "$seed" ] || seed=$(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % 1000000000 ))

summary=${STRESS_SUMMARY:-$root/build/stress-summary.txt}
mkdir -p "$(dirname "$summary")"
if [ -f "$summary" ]; then
	grep -v '^make stress: ' "$summary" >"$summary.new"
	mv "$summary.new" "$summary"
fi

psql=$(pg_config --bindir 2>/dev/null)/psql
[ -x "$psql" ] || psql=$(command -v psql)
db=rt_stress_$$
"$psql" -X -q -d postgres -c "CREATE DATABASE \"$db\" TEMPLATE template0" || {
	echo "run.sh: cannot create database $db" >&2
	exit 1
}
cleanup() {
	"$psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "make stress: seed $seed (replay: sh tests/stress/run.sh --seed $seed), $kills kill points per backend and mode,"
echo "  $stops server stops, $rounds concurrency rounds per backend; PostgreSQL database $db"
start=$(date +%s)
failed=

part() {
	name=$1
	shift
	[ -z "$only" ] || [ "$only" = "$name" ] || return 0
	echo
	echo "== $name: $*"
	python3 "$@" --retort "$RETORT" --seed "$seed" --summary "$summary" --tag "make stress: " || failed="$failed $name"
}
pg="--pg-host $PGHOST --pg-port ${PGPORT:-5432} --pg-user ${PGUSER:-postgres} --pg-db $db"

part selftest "$here/crash.py" selftest --backend sqlite
part selftest "$here/crash.py" selftest --backend postgresql $pg --schema selftest
part sqlite-journal "$here/crash.py" crash --backend sqlite --journal delete --kills "$kills"
part sqlite-wal "$here/crash.py" crash --backend sqlite --journal wal --kills "$kills"
part pg "$here/crash.py" crash --backend postgresql --kills "$kills" $pg --schema crash
part pgstop "$here/crash.py" pgstop --stops "$stops" $pg --schema pgstop
part concurrency "$here/concurrency.py" --backend sqlite --journal delete --rounds "$rounds"
part concurrency "$here/concurrency.py" --backend sqlite --journal wal --rounds "$rounds"
part concurrency "$here/concurrency.py" --backend postgresql --rounds "$rounds" $pg --schema conc

echo
echo "== make stress: $(( $(date +%s) - start )) s, seed $seed; figures in $summary:"
grep '^make stress: ' "$summary" | sed 's/^make stress: /  /'
if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
exit 0
