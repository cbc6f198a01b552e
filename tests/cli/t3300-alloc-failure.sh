#!/bin/sh
# Allocation failures (RETORT_FAIL_ALLOC_AFTER=N: the library's Nth allocation and every
# one after it fail) end in a clean error, never a crash, a leak, a half-printed SQL script
# reported as success, a revision file left behind, or a database whose version rows lie.
# For check, upgrade --sql base:head, history (on a copy of migrations_example/), upgrade
# head (on a fresh SQLite file) and revision -m x (in a scratch copy): a sample of N, the
# first ALLOC_FIRST ones, every ALLOC_STEP-th one, and the last ALLOC_LAST before the first
# success (found by bisection). Every N, under valgrind: tests/stress/alloc.sh (make stress).
# What each run must do is written at the top of alloc-lib.sh.
. "$(dirname "$0")/lib.sh"
. "$CLI_TESTS_DIR/alloc-lib.sh"

ALLOC_EXAMPLE=$(cd "$CLI_TESTS_DIR/../../migrations_example" && pwd) || exit 2
ALLOC_ROOT=$_T_ROOT/alloc
umask 022 # new revision files must be 0644
mkdir -p "$ALLOC_ROOT" || exit 2
if [ "$VALGRIND" = 1 ]; then
	ALLOC_FIRST=${ALLOC_FIRST:-10} ALLOC_STEP=${ALLOC_STEP:-97} ALLOC_LAST=${ALLOC_LAST:-5}
else
	ALLOC_FIRST=${ALLOC_FIRST:-40} ALLOC_STEP=${ALLOC_STEP:-17} ALLOC_LAST=${ALLOC_LAST:-12}
fi
# The figures, next to the binary (build/alloc-summary-sample.txt) unless told otherwise.
ALLOC_SUMMARY=${ALLOC_SUMMARY:-$(dirname "$RETORT")/alloc-summary-sample.txt}
FIGURES=$_T_ROOT/figures
: >"$FIGURES"

# sample_kind KIND: runs the sample for KIND, then fails the case if any run was BAD,
# with the first reports. Appends "KIND runs first_clean_success clean_errors bad" to
# $FIGURES.
sample_kind() {
	_kind=$1
	alloc_prepare "$_kind" 2>"$_T_ROOT/prepare.err" ||
		fail "setup: the unhooked run of retort $(alloc_cmdline "$_kind") failed" "exit 0" "$(cat "$_T_ROOT/prepare.err")"
	_tried=0 _fails=0 _nbad=0 _seen=" " _clean_ok=
	_bad=$_T_ROOT/bad.$_kind
	: >"$_bad"
	# try N: one run (once per N); sets _last to ok (exit 0) or fail (any other exit); a
	# BAD run is recorded in $_bad
	try() {
		case $_seen in
		*" $1 "*)
			eval "_last=\$_last_$1 ALLOC_VERDICT=\$_verdict_$1"
			return 0
			;;
		esac
		_seen="$_seen$1 "
		_tried=$((_tried + 1))
		if ! alloc_try "$_kind" "$1"; then
			_nbad=$((_nbad + 1))
			[ "$_nbad" -le 6 ] && { cat "$ALLOC_DIR/REPORT"; echo; } >>"$_bad"
		fi
		if [ "$ALLOC_RC" = 0 ]; then _last=ok; else _last=fail; fi
		eval "_last_$1=\$_last _verdict_$1=\${ALLOC_VERDICT%%:*}"
		[ "$ALLOC_VERDICT" = fail ] && _fails=$((_fails + 1))
		if [ "$ALLOC_VERDICT" = ok ] && { [ -z "$_clean_ok" ] || [ "$1" -lt "$_clean_ok" ]; }; then
			_clean_ok=$1
		fi
		_asserted
	}
	# 1. the first ALLOC_FIRST points, then every ALLOC_STEP-th until a run exits 0
	_n=1 _lo=0 _hi=
	while [ -z "$_hi" ]; do
		try "$_n"
		if [ "$_last" = ok ]; then
			_hi=$_n
		else
			_lo=$_n
			if [ "$_n" -lt "$ALLOC_FIRST" ]; then _n=$((_n + 1)); else _n=$((_n + ALLOC_STEP)); fi
			[ "$_n" -le 100000 ] || fail "retort $(alloc_cmdline "$_kind") still fails with RETORT_FAIL_ALLOC_AFTER=$_n"
		fi
	done
	# 2. bisection between the last failure and the first exit 0 seen
	while [ $((_hi - _lo)) -gt 1 ]; do
		_mid=$(((_lo + _hi) / 2))
		try "$_mid"
		if [ "$_last" = ok ]; then _hi=$_mid; else _lo=$_mid; fi
	done
	# 3. the last ALLOC_LAST points before the first exit 0 (the end of a run: the summary,
	# the "created" line, closing the database), and on until two clean successes in a row
	_n=$((_hi - ALLOC_LAST))
	[ "$_n" -ge 1 ] || _n=1
	_run=0
	while [ "$_run" -lt 2 ]; do
		try "$_n"
		if [ "$_n" -ge "$_hi" ]; then
			[ "$_last" = ok ] ||
				fail "RETORT_FAIL_ALLOC_AFTER=$_n retort $(alloc_cmdline "$_kind") failed, above a success at $_hi" \
					"exit 0" "$(cat "$ALLOC_DIR/err" 2>/dev/null)"
			if [ "$ALLOC_VERDICT" = ok ]; then _run=$((_run + 1)); else _run=0; fi
		fi
		_n=$((_n + 1))
		[ "$_n" -le $((_hi + 200)) ] || fail "no clean success of retort $(alloc_cmdline "$_kind") from N=$_hi to $_n"
	done
	echo "# retort $(alloc_cmdline "$_kind"): $((_clean_ok - 1)) allocation points; $_tried runs, $_fails clean out-of-memory errors, $_nbad bad"
	echo "$_kind $_tried $_clean_ok $_fails $_nbad" >>"$FIGURES"
	RUN_CMD=
	[ "$_nbad" = 0 ] || fail "$_nbad of $_tried runs of retort $(alloc_cmdline "$_kind") misbehaved (the first ones below)" \
		"exit 1 with 'error: out of memory' and nothing half done, or exit 0 exactly as without the hook" \
		"$(cat "$_bad")"
}

test_case "the library counts allocations: the hook makes a tiny command fail and a large N changes nothing"
(
	new_project
	write_rev a1 null
	RETORT_FAIL_ALLOC_AFTER=1 run retort history
	expect_exit 1
	expect_stdout_empty
	expect_stderr_contains "error: out of memory"
	RETORT_FAIL_ALLOC_AFTER=1000000 run retort history
	expect_exit 0
	expect_stdout_equals "<base> -> a1 (head), rev a1"
	RETORT_FAIL_ALLOC_AFTER=0 run retort history
	expect_exit 0
	expect_stdout_equals "<base> -> a1 (head), rev a1"
)

test_case "check (the database at head): every allocation failure is a clean error"
(
	sample_kind check
)

test_case "upgrade --sql base:head: every allocation failure is a clean error, never half a script"
(
	sample_kind upgrade-sql
)

test_case "history: every allocation failure is a clean error"
(
	sample_kind history
)

test_case "upgrade head on a fresh SQLite file: clean errors, consistent states, the rerun reaches head"
(
	sample_kind upgrade-head
)

test_case "revision -m x: a clean error and no file, or the file and exit 0"
(
	sample_kind revision
)

test_case "the figures"
(
	_asserted
	[ -s "$FIGURES" ] || fail "no figures were recorded"
	{
		echo "# retort allocation-failure injection, a sample ($TEST_FILE; every point: tests/stress/alloc.sh)"
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $( [ "$VALGRIND" = 1 ] && echo "under valgrind")"
		printf '%-28s %8s %8s %13s %5s\n' command points tried clean-errors bad
		while read -r k tried first fails nbad; do
			printf '%-28s %8s %8s %13s %5s\n' "$(alloc_cmdline "$k")" $((first - 1)) "$tried" "$fails" "$nbad"
		done <"$FIGURES"
	} >"$_T_ROOT/summary"
	sed 's/^/# /' "$_T_ROOT/summary"
	cp "$_T_ROOT/summary" "$ALLOC_SUMMARY" 2>/dev/null || echo "# (could not write $ALLOC_SUMMARY)"
)

test_done
