#!/bin/sh
# run-all.sh - runs retort's CLI integration tests: every tests/cli/t[0-9]*.sh, sorted.
#
#   RETORT=/path/to/retort [VALGRIND=1] sh tests/cli/run-all.sh [FILTER...]
#
# Each test file runs with `sh` in a fresh directory made by mktemp -d (its "trash"
# directory), which is removed when the file passes and kept, with its log printed, when
# it fails. A FILTER (e.g. t0300, or upgrade) runs only the files whose name contains it.
# Prints one line per file, then a summary; exits 1 when any file failed.
# `make cli` runs this with RETORT pointing at the freshly built binary.

here=$(cd "$(dirname "$0")" && pwd) || exit 2

if [ -z "$RETORT" ]; then
	echo "run-all.sh: set RETORT to the retort binary (make cli does)" >&2
	exit 2
fi
case $RETORT in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
if [ ! -x "$RETORT" ]; then
	echo "run-all.sh: RETORT='$RETORT' is not an executable file" >&2
	exit 2
fi
for tool in sqlite3 python3 mktemp timeout; do
	command -v "$tool" >/dev/null 2>&1 || { echo "run-all.sh: '$tool' is required" >&2; exit 2; }
done
if [ "$VALGRIND" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
	echo "run-all.sh: VALGRIND=1 but valgrind is not installed" >&2
	exit 2
fi
export RETORT VALGRIND
export CLI_TESTS_DIR="$here"

# A file may take this long before it is killed and counted as failed.
per_file_timeout=${CLI_TIMEOUT:-300}
[ "$VALGRIND" = 1 ] && per_file_timeout=${CLI_TIMEOUT:-1800}

matches() {
	[ $# -eq 1 ] && return 0
	name=$1
	shift
	for f in "$@"; do
		case $name in *"$f"*) return 0 ;; esac
	done
	return 1
}

files=0 failed_files=0 cases=0 failed_cases=0 failed_names=
start=$(date +%s)
for t in "$here"/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	matches "$name" "$@" || continue
	files=$((files + 1))
	trash=$(mktemp -d "${TMPDIR:-/tmp}/retort-cli.$name.XXXXXX") || exit 2
	mkdir "$trash/t"
	t0=$(date +%s)
	(cd "$trash/t" && CLI_TRASH="$trash/t" timeout "$per_file_timeout" sh "$t") >"$trash/log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	n=$(grep -c '^ok [0-9]\|^not ok [0-9]' "$trash/log")
	nfail=$(grep -c '^not ok [0-9]' "$trash/log")
	cases=$((cases + n))
	failed_cases=$((failed_cases + nfail))
	if [ $rc -eq 0 ] && grep -q '^# test_done' "$trash/log" && [ "$nfail" -eq 0 ]; then
		printf 'ok   %-44s %3d cases  %3ds\n' "$name" "$n" "$secs"
		rm -rf "$trash"
	else
		failed_files=$((failed_files + 1))
		failed_names="$failed_names $name"
		why=
		[ $rc -eq 124 ] && why=" (killed after ${per_file_timeout}s)"
		grep -q '^# test_done' "$trash/log" || why="$why (stopped before test_done)"
		printf 'FAIL %-44s %3d cases, %d failed%s; kept in %s\n' "$name" "$n" "$nfail" "$why" "$trash"
		sed -n 's/^not ok [0-9]* - \(.*\) # [0-9]* ms$/       not ok: \1/p' "$trash/log"
		echo "     --- log ($trash/log) ---"
		grep -v "^ok [0-9]\|^# case " "$trash/log" | sed 's/^/     | /'
		echo "     ---"
	fi
done
if [ $files -eq 0 ]; then
	echo "run-all.sh: no test file matches: $*" >&2
	exit 2
fi
total=$(( $(date +%s) - start ))
printf '\n%d files, %d test cases, %d failed cases, %d failed files (%ds)%s\n' \
	"$files" "$cases" "$failed_cases" "$failed_files" "$total" \
	"$([ "$VALGRIND" = 1 ] && echo ', under valgrind')"
if [ $failed_files -ne 0 ]; then
	echo "failed:$failed_names"
	exit 1
fi
exit 0
