#!/bin/sh
# alloc.sh - allocation-failure injection at EVERY allocation point, under valgrind.
#
#   RETORT=$PWD/build/retort sh tests/stress/alloc.sh [KIND...]
#
# For each command (KIND: check, upgrade-sql, history, upgrade-head, revision; default
# all), runs it on a copy of migrations_example/ with RETORT_FAIL_ALLOC_AFTER=N for
# N = 1, 2, ... until it succeeds cleanly twice in a row, each run under
#   valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99
# and checks each run as tests/cli/alloc-lib.sh says (a clean "out of memory" exit 1 and
# nothing half done, or an exit 0 indistinguishable from an unhooked run; never a crash,
# a hang, a valgrind error, a definite leak, a half-printed script, a lying database).
# tests/cli/t3300-alloc-failure.sh runs the same checks on a sample of N in `make test`.
#
# Environment:
#   VALGRIND=0     no valgrind (e.g. for a SANITIZE=1 build: sanitizer reports are caught too)
#   JOBS=N         runs in parallel (default: the number of CPUs)
#   ALLOC_SUMMARY  where the figures go (default: alloc-summary.txt next to $RETORT,
#                  i.e. build/alloc-summary.txt)
#   KEEP=1         keep the scratch directory even when everything passed
#
# Prints a line per command and a table of figures; writes the table to ALLOC_SUMMARY;
# exits 1 when any run misbehaved (its report, with the command that reproduces it, is
# printed and kept in the scratch directory).

me=alloc.sh
here=$(cd "$(dirname "$0")" && pwd) || exit 2
top=$(cd "$here/../.." && pwd) || exit 2

if [ -z "${RETORT:-}" ]; then
	echo "$me: set RETORT to the retort binary, e.g. RETORT=\$PWD/build/retort" >&2
	exit 2
fi
case $RETORT in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
VALGRIND=${VALGRIND:-1}
ALLOC_EXAMPLE=$top/migrations_example
CLI_TESTS_DIR=$top/tests/cli
export RETORT VALGRIND ALLOC_EXAMPLE CLI_TESTS_DIR

# A predictable environment, as tests/cli/lib.sh makes it.
unset RETORT_DATABASE_URL DATABASE_URL VISUAL EDITOR PGPASSWORD PGHOST PGPORT PGUSER \
	PGDATABASE PGSERVICE CDPATH RETORT_FAIL_ALLOC_AFTER RETORT_FAULT
LC_ALL=C
TZ=UTC
NO_COLOR=1
export LC_ALL TZ NO_COLOR
umask 022 # new revision files must be 0644

# --one KIND N: a worker (run by xargs): one checked run, its verdict in res/KIND/N.
if [ "${1:-}" = --one ]; then
	. "$top/tests/cli/alloc-lib.sh"
	alloc_try "$2" "$3"
	echo "$ALLOC_RC ${ALLOC_VERDICT%%:*}" >"$ALLOC_ROOT/res/$2/$3.tmp" &&
		mv "$ALLOC_ROOT/res/$2/$3.tmp" "$ALLOC_ROOT/res/$2/$3"
	[ -f "$ALLOC_DIR/REPORT" ] && cp "$ALLOC_DIR/REPORT" "$ALLOC_ROOT/bad/$2.$3"
	exit 0
fi

[ -x "$RETORT" ] || { echo "$me: RETORT=$RETORT is not an executable file" >&2; exit 2; }
for tool in sqlite3 timeout xargs; do
	command -v "$tool" >/dev/null 2>&1 || { echo "$me: '$tool' is required" >&2; exit 2; }
done
if [ "$VALGRIND" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
	echo "$me: valgrind is required (apt-get install -y valgrind), or run with VALGRIND=0" >&2
	exit 2
fi
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
ALLOC_SUMMARY=${ALLOC_SUMMARY:-$(dirname "$RETORT")/alloc-summary.txt}

. "$top/tests/cli/alloc-lib.sh"
[ $# -gt 0 ] && ALLOC_KINDS=$*

ALLOC_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/retort-alloc.XXXXXX") || exit 2
export ALLOC_ROOT
mkdir -p "$ALLOC_ROOT/bad"
trap 'exit 130' INT
trap 'exit 143' TERM

# result KIND N: the worker's "RC VERDICT" for N, or nothing yet.
result() { cat "$ALLOC_ROOT/res/$1/$2" 2>/dev/null; }

# batch KIND FROM TO: runs N = FROM..TO on JOBS workers.
batch() {
	seq "$2" "$3" | xargs -P "$JOBS" -I N sh "$0" --one "$1" N
}

t_start=$(date +%s)
figures=$ALLOC_ROOT/figures
: >"$figures"
status=0
echo "$me: $RETORT, $( [ "$VALGRIND" = 1 ] && echo "under valgrind" || echo "without valgrind"), $JOBS jobs, scratch $ALLOC_ROOT"
for kind in $ALLOC_KINDS; do
	alloc_cmdline "$kind" >/dev/null || exit 2
	t0=$(date +%s)
	mkdir -p "$ALLOC_ROOT/res/$kind"
	if ! alloc_prepare "$kind"; then
		echo "FAIL retort $(alloc_cmdline "$kind"): the unhooked run failed"
		status=1
		continue
	fi
	# Batches of N until the first exit 0 (S), then on until two clean successes in a
	# row (C, C+1): every N below is checked.
	size=$((JOBS * 8))
	from=1 first_exit0= clean=
	while [ -z "$clean" ]; do
		to=$((from + size - 1))
		batch "$kind" "$from" "$to"
		n=$from
		while [ "$n" -le "$to" ]; do
			r=$(result "$kind" "$n")
			[ -n "$r" ] || { echo "$me: no result for $kind N=$n (a worker died)"; status=1; }
			case $r in
			"0 "*) [ -n "$first_exit0" ] || first_exit0=$n ;;
			esac
			if [ -z "$clean" ] && [ "$r" = "0 ok" ] && [ "$(result "$kind" $((n + 1)))" = "0 ok" ]; then
				clean=$n
			fi
			n=$((n + 1))
		done
		from=$((to + 1))
		if [ "$from" -gt 200000 ]; then
			echo "FAIL retort $(alloc_cmdline "$kind"): no clean success up to N=$from"
			status=1
			break
		fi
	done
	[ -n "$clean" ] || continue
	tried=$((from - 1))
	fails=0 bads=0 n=1
	while [ "$n" -le "$tried" ]; do
		case $(result "$kind" "$n") in
		"1 fail") fails=$((fails + 1)) ;;
		*BAD*) bads=$((bads + 1)) ;;
		esac
		n=$((n + 1))
	done
	secs=$(( $(date +%s) - t0 ))
	echo "$kind $((clean - 1)) $tried $fails $bads $first_exit0 $secs" >>"$figures"
	if [ "$bads" -eq 0 ]; then
		printf 'ok   retort %-26s %5d allocation points, %5d runs, %5d clean errors  %5ds\n' \
			"$(alloc_cmdline "$kind")" $((clean - 1)) "$tried" "$fails" "$secs"
	else
		status=1
		printf 'FAIL retort %-26s %5d allocation points, %5d runs, %5d clean errors, %d BAD  %5ds\n' \
			"$(alloc_cmdline "$kind")" $((clean - 1)) "$tried" "$fails" "$bads" "$secs"
		ls "$ALLOC_ROOT/bad" | grep "^$kind\." | sort -t. -k2 -n | head -n 5 | while read -r f; do
			sed 's/^/     | /' "$ALLOC_ROOT/bad/$f"
			echo "     ---"
		done
		# one line per distinct reason, with how many N and the first one
		for f in $(ls "$ALLOC_ROOT/bad" | grep "^$kind\." | sort -t. -k2 -n); do
			echo "${f#"$kind".} $(sed -n 's/^BAD: //p' "$ALLOC_ROOT/bad/$f" | sed -E 's/[0-9a-f]{12}_x/ID_x/g')"
		done | awk '{ n = $1; $1 = ""; if (!($0 in c)) { first[$0] = n; order[++k] = $0 } c[$0]++ }
		            END { for (i = 1; i <= k; i++) printf "     %d run(s), first N=%s:%s\n", c[order[i]], first[order[i]], order[i] }'
	fi
done
total=$(( $(date +%s) - t_start ))

{
	echo "# retort allocation-failure injection: every allocation point (tests/stress/alloc.sh)"
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), retort $("$RETORT" version 2>/dev/null | sed 's/^retort //'), $( [ "$VALGRIND" = 1 ] && valgrind --version || echo "no valgrind"), $JOBS jobs, ${total}s"
	echo "# reproduce: make stress   (or: RETORT=\$PWD/build/retort sh tests/stress/alloc.sh)"
	printf '%-28s %8s %8s %13s %5s %8s\n' command points runs clean-errors bad seconds
	sum_p=0 sum_r=0 sum_f=0 sum_b=0
	while read -r k points tried fails bads first secs; do
		printf '%-28s %8s %8s %13s %5s %8s\n' "$(alloc_cmdline "$k")" "$points" "$tried" "$fails" "$bads" "$secs"
		sum_p=$((sum_p + points)) sum_r=$((sum_r + tried)) sum_f=$((sum_f + fails)) sum_b=$((sum_b + bads))
	done <"$figures"
	printf '%-28s %8s %8s %13s %5s %8s\n' total "$sum_p" "$sum_r" "$sum_f" "$sum_b" "$total"
} >"$ALLOC_ROOT/summary"
echo
cat "$ALLOC_ROOT/summary"
if cp "$ALLOC_ROOT/summary" "$ALLOC_SUMMARY" 2>/dev/null; then
	echo "(written to $ALLOC_SUMMARY)"
else
	echo "$me: could not write $ALLOC_SUMMARY" >&2
fi
if [ "$status" = 0 ] && [ "${KEEP:-}" != 1 ]; then
	rm -rf "$ALLOC_ROOT"
else
	echo "kept $ALLOC_ROOT"
fi
exit "$status"
