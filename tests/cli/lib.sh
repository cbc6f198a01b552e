# lib.sh - helpers for retort's CLI integration tests, sourced by every tests/cli/tNNNN-*.sh.
#
# A test file is a sequence of test cases, each a `test_case` line followed by a subshell,
# and ends with test_done:
#
#	. "$(dirname "$0")/lib.sh"
#
#	test_case "upgrade head applies every revision"
#	(
#		new_project
#		write_rev a1 null
#		run retort upgrade head
#		expect_exit 0
#		expect_eq "$(versions_of app.db)" "a1"
#	)
#
#	test_done
#
# Each case starts in a new empty directory of its own. The first failing assertion of a
# case prints a report (file, case, the command, expected and actual, stdout and stderr) and
# ends that case; the next case still runs. A case that asserts nothing fails. test_done
# prints "# test_done" and exits 1 when any case failed.
#
# run-all.sh runs each file in a fresh trash directory; a file can also run on its own:
#	RETORT=$PWD/retort sh tests/cli/t0300-upgrade-targets.sh
#
# Only POSIX sh, coreutils, sqlite3 and python3 (for JSON) are used.

if [ -z "$RETORT" ]; then
	echo "lib.sh: set RETORT to the retort binary" >&2
	exit 2
fi
case $RETORT in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
CLI_TESTS_DIR=${CLI_TESTS_DIR:-$(cd "$(dirname "$0")" && pwd)}
TEST_FILE=$(basename "$0")

if [ -z "$CLI_TRASH" ]; then
	# Run on its own: make our own trash directory, removed when everything passed.
	CLI_TRASH=$(mktemp -d "${TMPDIR:-/tmp}/retort-cli.XXXXXX") || exit 2
	_CLI_OWN_TRASH=1
fi
cd "$CLI_TRASH" || exit 2
_T_ROOT=$CLI_TRASH

# A predictable environment: nothing from the caller leaks into retort.
unset RETORT_DATABASE_URL DATABASE_URL VISUAL EDITOR RETORT_TEMPLATE_DIR PGPASSWORD PGHOST \
	PGPORT PGUSER PGDATABASE PGSERVICE CDPATH RETORT_FAULT
HOME=$_T_ROOT
LC_ALL=C
TZ=UTC
NO_COLOR=1
export HOME LC_ALL TZ NO_COLOR

RUN_STDOUT=$_T_ROOT/.run.stdout
RUN_STDERR=$_T_ROOT/.run.stderr
RUN_EXIT=
RUN_CMD=
_ASSERTS=$_T_ROOT/.asserts
_CASE=
_NCASES=0
_NFAILED=0
: >"$RUN_STDOUT"
: >"$RUN_STDERR"

# ------------------------------------------------------------------------------------
# Running retort
# ------------------------------------------------------------------------------------

# retort ARGS...: the binary under test, under valgrind when VALGRIND=1 (a memory error or
# a definite leak then exits 99).
retort() {
	if [ "$VALGRIND" = 1 ]; then
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$RETORT" "$@"
	else
		"$RETORT" "$@"
	fi
}

# run CMD ARGS...: runs a command (usually `retort ...`), keeping its stdout in
# $RUN_STDOUT, its stderr in $RUN_STDERR and its exit status in $RUN_EXIT. Redirect stdin
# on the call if needed: run sqlite3 -bail new.db <script.sql
run() {
	RUN_CMD=
	for _a in "$@"; do
		case $_a in
		'' | *[!A-Za-z0-9_@%+=:,./-]*)
			_a="'$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'" ;;
		esac
		RUN_CMD="${RUN_CMD:+$RUN_CMD }$_a"
	done
	"$@" >"$RUN_STDOUT" 2>"$RUN_STDERR"
	RUN_EXIT=$?
	return 0
}

# run_ok CMD ARGS...: run, and fail the case unless it exits 0 (for setup steps).
run_ok() {
	run "$@"
	expect_exit 0
}

# ------------------------------------------------------------------------------------
# Assertions
# ------------------------------------------------------------------------------------

_asserted() { printf . >>"$_ASSERTS"; }

_indent() { sed 's/^/    | /' "$@"; }

# fail MSG [EXPECTED ACTUAL]: reports the failure and ends the test case.
fail() {
	: >"$_T_ROOT/.case_failed"
	{
		echo "FAILED: $TEST_FILE: case \"$_CASE\": $1"
		if [ $# -ge 3 ]; then
			echo "  expected:"
			printf '%s\n' "$2" | _indent
			echo "  actual:"
			printf '%s\n' "$3" | _indent
		fi
		if [ -n "$RUN_CMD" ]; then
			echo "  last command: $RUN_CMD"
			echo "  (in $(pwd))"
			echo "  exit status: $RUN_EXIT"
			echo "  stdout:"
			head -c 6000 "$RUN_STDOUT" | _indent
			echo "  stderr:"
			head -c 6000 "$RUN_STDERR" | _indent
		fi
	} >&2
	exit 1
}

# expect_exit N: the last run exited with status N.
expect_exit() {
	_asserted
	[ "$RUN_EXIT" = "$1" ] || fail "wrong exit status" "exit $1" "exit $RUN_EXIT"
}

_contains() { grep -F -q -e "$2" "$1"; }

expect_stdout_contains() {
	_asserted
	_contains "$RUN_STDOUT" "$1" || fail "stdout does not contain the text" "$1" "(see stdout)"
}
expect_stderr_contains() {
	_asserted
	_contains "$RUN_STDERR" "$1" || fail "stderr does not contain the text" "$1" "(see stderr)"
}
expect_stdout_not_contains() {
	_asserted
	_contains "$RUN_STDOUT" "$1" && fail "stdout contains text it must not" "no '$1'" "(see stdout)"
	return 0
}
expect_stderr_not_contains() {
	_asserted
	_contains "$RUN_STDERR" "$1" && fail "stderr contains text it must not" "no '$1'" "(see stderr)"
	return 0
}
# expect_output_not_contains TEXT: neither stdout nor stderr holds TEXT.
expect_output_not_contains() {
	expect_stdout_not_contains "$1"
	expect_stderr_not_contains "$1"
}
# expect_stdout_matches ERE / expect_stderr_matches ERE: some line matches (grep -E).
expect_stdout_matches() {
	_asserted
	grep -E -q -e "$1" "$RUN_STDOUT" || fail "no line of stdout matches /$1/" "$1" "(see stdout)"
}
expect_stderr_matches() {
	_asserted
	grep -E -q -e "$1" "$RUN_STDERR" || fail "no line of stderr matches /$1/" "$1" "(see stderr)"
}
# expect_stdout_empty / expect_stderr_empty
expect_stdout_empty() {
	_asserted
	[ -s "$RUN_STDOUT" ] && fail "stdout is not empty" "(nothing)" "$(head -c 2000 "$RUN_STDOUT")"
	return 0
}
expect_stderr_empty() {
	_asserted
	[ -s "$RUN_STDERR" ] && fail "stderr is not empty" "(nothing)" "$(head -c 2000 "$RUN_STDERR")"
	return 0
}

# expect_stdout_equals FILE_OR_TEXT: stdout is exactly the file's bytes, or TEXT plus a newline.
expect_stdout_equals() {
	_asserted
	if [ -f "$1" ]; then
		cmp -s "$1" "$RUN_STDOUT" || fail "stdout differs from $1" "$(cat "$1")" "$(cat "$RUN_STDOUT")"
	else
		printf '%s\n' "$1" >"$_T_ROOT/.expected"
		cmp -s "$_T_ROOT/.expected" "$RUN_STDOUT" ||
			fail "stdout differs" "$1" "$(cat "$RUN_STDOUT")"
	fi
}

# expect_eq ACTUAL EXPECTED [WHAT]: two strings are equal.
expect_eq() {
	_asserted
	[ "$1" = "$2" ] || fail "${3:-values differ}" "$2" "$1"
}

# expect_order LIST A B...: the words A, B, ... all occur in the space-separated LIST, in
# that order (other words may come between them).
expect_order() {
	_asserted
	_list=$1
	shift
	_rest=" $_list "
	for _w in "$@"; do
		case $_rest in
		*" $_w "*) _rest=" ${_rest#*" $_w "}" ;;
		*) fail "'$*' are not all in this order" "$* (in this order)" "$_list" ;;
		esac
	done
}

# expect_files_equal A B [WHAT]: two files have the same bytes.
expect_files_equal() {
	_asserted
	cmp -s "$1" "$2" || fail "${3:-files differ}: $1 vs $2" "$(head -c 3000 "$1")" \
		"$(diff "$1" "$2" | head -c 3000)"
}

expect_file_exists() {
	_asserted
	[ -e "$1" ] || fail "file '$1' does not exist" "$1 exists" "$(ls -la "$(dirname "$1")" 2>&1)"
}
expect_file_missing() {
	_asserted
	[ -e "$1" ] && fail "file '$1' exists" "no $1" "$(ls -la "$1" 2>&1)"
	return 0
}

# expect_json [PYEXPR]: stdout is one JSON document; PYEXPR (python, the document bound
# to d) must be true.
expect_json() {
	_asserted
	_jout=$(python3 - "$RUN_STDOUT" "${1:-True}" <<'PY' 2>&1
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("not valid JSON: %s" % e)
    sys.exit(1)
try:
    ok = eval(sys.argv[2], {"d": d})
except Exception as e:
    print("evaluating %s: %s: %s" % (sys.argv[2], type(e).__name__, e))
    sys.exit(1)
if not ok:
    print("false: %s" % sys.argv[2])
    sys.exit(1)
PY
)
	[ $? -eq 0 ] || fail "JSON check failed: $_jout" "${1:-valid JSON}" "$(head -c 3000 "$RUN_STDOUT")"
}

# json_value PYEXPR: prints the value of PYEXPR on stdout's JSON (d); lists joined by spaces.
json_value() {
	python3 - "$RUN_STDOUT" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
if isinstance(v, (list, tuple)):
    print(" ".join(str(x) for x in v))
elif v is None:
    print("null")
elif isinstance(v, bool):
    print("true" if v else "false")
else:
    print(v)
PY
}

# ------------------------------------------------------------------------------------
# Projects and revision files
# ------------------------------------------------------------------------------------

# new_project [NAME]: `retort init NAME` (default proj) in the current directory, points
# database.url at NAME/app.db, and cd's into NAME. Sets DB to the database's absolute path.
new_project() {
	_np=${1:-proj}
	run retort init "$_np"
	[ "$RUN_EXIT" = 0 ] || fail "setup: retort init $_np failed"
	[ -f "$_np/retort.yaml" ] || fail "setup: retort init $_np wrote no retort.yaml"
	sed 's|^\(  *\)url:.*|\1url: sqlite:///app.db|' "$_np/retort.yaml" >"$_np/retort.yaml.new" &&
		mv "$_np/retort.yaml.new" "$_np/retort.yaml"
	grep -q '^  *url: sqlite:///app.db$' "$_np/retort.yaml" ||
		fail "setup: cannot set database.url in $_np/retort.yaml"
	cd "$_np" || fail "setup: cannot cd into $_np"
	mkdir -p versions
	DB=$(pwd)/app.db
	RUN_CMD=
}

# write_config [LINES]: replaces retort.yaml with a minimal config for app.db plus LINES.
write_config() {
	{
		echo "script_location: ."
		echo "database:"
		echo "  url: sqlite:///app.db"
		[ -n "$1" ] && printf '%s\n' "$1"
	} >retort.yaml
}

# write_rev ID DOWN [EXTRA_HEADER_LINES] [UPGRADE_SQL] [DOWNGRADE_SQL]
# Writes versions/ID_rev.sql. DOWN is written as is after "down_revision: " (null, an id,
# or a YAML list). EXTRA_HEADER_LINES go into the header (a message: line there replaces
# the default "message: rev ID"). UPGRADE_SQL defaults to creating table t_ID,
# DOWNGRADE_SQL to dropping it; DOWNGRADE_SQL "NONE" leaves out the downgrade section
# (an irreversible revision). Layout (line numbers for a header without extra lines):
#	1 /*  2 revision:  3 down_revision:  4 message:  5 create_date:  6 */  7 (blank)
#	8 -- retort:upgrade  9.. upgrade SQL, a blank line, -- retort:downgrade, downgrade SQL
write_rev() {
	_id=$1
	_down=$2
	_extra=${3:-}
	if [ $# -ge 4 ]; then _up=$4; else _up="CREATE TABLE t_$_id (id INTEGER PRIMARY KEY);"; fi
	if [ $# -ge 5 ]; then _dn=$5; else _dn="DROP TABLE t_$_id;"; fi
	mkdir -p versions
	{
		echo "/*"
		echo "revision: $_id"
		echo "down_revision: $_down"
		case $_extra in
		*message:*) ;;
		*) echo "message: rev $_id" ;;
		esac
		echo "create_date: 2026-01-01T00:00:00Z"
		if [ -n "$_extra" ]; then printf '%s\n' "$_extra"; fi
		echo "*/"
		echo
		echo "-- retort:upgrade"
		if [ -n "$_up" ]; then printf '%s\n' "$_up"; fi
		if [ "$_dn" != NONE ]; then
			echo
			echo "-- retort:downgrade"
			if [ -n "$_dn" ]; then printf '%s\n' "$_dn"; fi
		fi
	} >"versions/${_id}_rev.sql" || fail "setup: cannot write versions/${_id}_rev.sql"
}

# rev_file ID: the path of the file write_rev wrote for ID.
rev_file() { echo "versions/${1}_rev.sql"; }

# line_of FILE TEXT: the number of the first line of FILE containing TEXT.
line_of() {
	grep -n -F -e "$2" "$1" | head -n 1 | cut -d: -f1
}

# ------------------------------------------------------------------------------------
# Looking into SQLite databases
# ------------------------------------------------------------------------------------

# sql DB QUERY: runs QUERY with the sqlite3 shell (list mode, '|' between columns).
sql() {
	sqlite3 -batch -cmd '.timeout 5000' "$1" "$2"
}

# VERSION_TABLE names retort's version table (its history table is ${VERSION_TABLE}_history).
VERSION_TABLE=retort_version

# versions_of DB: the version rows, sorted, on one line separated by spaces ("" for none).
versions_of() {
	[ -f "$1" ] || return 0
	sql "$1" "SELECT version_num FROM \"$VERSION_TABLE\" ORDER BY 1" 2>/dev/null | tr '\n' ' ' |
		sed 's/ $//'
}

# history_of DB: the history rows, oldest first: "revision direction status" per line.
history_of() {
	sql "$1" "SELECT revision || ' ' || direction || ' ' || status FROM \"${VERSION_TABLE}_history\" ORDER BY id"
}

# tables_of DB: the tables other than retort's and SQLite's own, sorted, space separated.
tables_of() {
	[ -f "$1" ] || return 0
	sql "$1" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
	          AND name NOT IN ('$VERSION_TABLE', '${VERSION_TABLE}_history') ORDER BY 1" | tr '\n' ' ' |
		sed 's/ $//'
}

# schema_of DB: the schema without retort's tables and SQLite's internal ones, one object
# per line, sorted, whitespace runs squeezed to one space.
schema_of() {
	sql "$1" "SELECT type || ' ' || name || ': ' ||
	                 replace(replace(replace(sql, char(13), ' '), char(10), ' '), char(9), ' ')
	          FROM sqlite_master
	          WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
	            AND tbl_name NOT IN ('$VERSION_TABLE', '${VERSION_TABLE}_history')
	          ORDER BY type, name" | sed 's/  */ /g; s/ *$//'
}

# data_of DB: the rows of every table schema_of lists, as INSERT statements.
data_of() {
	for _t in $(tables_of "$1"); do
		sqlite3 -batch "$1" ".mode insert $_t" "SELECT * FROM \"$_t\" ORDER BY 1"
	done
}

# dump_of DB: sqlite3's .dump of the whole database.
dump_of() {
	sqlite3 -batch "$1" .dump
}

# ------------------------------------------------------------------------------------
# Test cases
# ------------------------------------------------------------------------------------

_close_case() {
	[ -n "$_CASE" ] || return 0
	# fail() leaves a mark, in case the subshell's status was lost (e.g. inside an if)
	[ -f "$_T_ROOT/.case_failed" ] && set -- 1
	if [ "$1" -eq 0 ] && [ ! -s "$_ASSERTS" ]; then
		echo "FAILED: $TEST_FILE: case \"$_CASE\": the case asserted nothing" >&2
		set -- 1
	fi
	_ms=$(( $(date +%s%N) / 1000000 - _CASE_T0 ))
	if [ "$1" -eq 0 ]; then
		echo "ok $_NCASES - $_CASE # ${_ms} ms"
	else
		_NFAILED=$((_NFAILED + 1))
		echo "not ok $_NCASES - $_CASE # ${_ms} ms"
	fi
	_CASE=
}

# test_case NAME: ends the previous case (its subshell's status is $?) and starts a new
# one in a new empty directory.
test_case() {
	_close_case $?
	_NCASES=$((_NCASES + 1))
	_CASE=$1
	_CASE_T0=$(( $(date +%s%N) / 1000000 ))
	: >"$_ASSERTS"
	rm -f "$_T_ROOT/.case_failed"
	RUN_CMD=
	_dir=$_T_ROOT/case$(printf '%02d' $_NCASES)
	mkdir "$_dir" && cd "$_dir" || exit 2
	echo "# case $_NCASES: $_CASE ($_dir)"
}

# test_done: ends the last case, prints the summary, exits 1 when a case failed.
test_done() {
	_close_case $?
	cd "$_T_ROOT" || exit 2
	echo "# test_done: $TEST_FILE: $_NCASES cases, $_NFAILED failed"
	if [ "$_NFAILED" -ne 0 ]; then
		[ -n "$_CLI_OWN_TRASH" ] && echo "# kept $_T_ROOT"
		exit 1
	fi
	[ -n "$_CLI_OWN_TRASH" ] && rm -rf "$_T_ROOT"
	exit 0
}

# no_secret [FILE...]: no fragment of the password in the files (default: the last run's
# stdout and stderr). The fragments: $LEAK_FRAGMENTS, else the whole $SECRET.
no_secret() {
	_asserted
	[ $# -gt 0 ] || set -- "$RUN_STDOUT" "$RUN_STDERR"
	for _frag in ${LEAK_FRAGMENTS:-"$SECRET"}; do
		if grep -a -q -F -e "$_frag" "$@"; then
			fail "the password appears (as '$_frag')" "no '$_frag'" "$(grep -a -F -e "$_frag" "$@" | head -n 5)"
		fi
	done
}

# The output modes the password tests try (commas for spaces): -v, -v --json and -q;
# under valgrind -v only, to stay within run-all.sh's time limit.
OUTPUT_MODES="-v -v,--json -q"
[ "$VALGRIND" = 1 ] && OUTPUT_MODES="-v"

# secret_run MODE EXIT EXIT_JSON ARGS...: retort ARGS in MODE (one of $OUTPUT_MODES); it
# shows no password (no_secret) and exits with EXIT, or EXIT_JSON under --json, where
# whatever it prints on stdout is one valid JSON document (help prints text; edit nothing).
secret_run() {
	_sr_mode=$(echo "$1" | tr , ' ')
	_sr_want=$2
	_sr_want_json=$3
	shift 3
	# shellcheck disable=SC2086
	run retort $_sr_mode "$@"
	no_secret
	case $_sr_mode in
	*--json*)
		expect_exit "$_sr_want_json"
		case " $* " in
		*" help "*) ;;
		*) [ ! -s "$RUN_STDOUT" ] || expect_json ;;
		esac ;;
	*) expect_exit "$_sr_want" ;;
	esac
}

# normalized_output: the last run's stdout and stderr with what differs from one run to
# the next made constant: durations, timestamps, and the text libpq or the server gave
# after "cannot connect to 'URL': " (which may quote the password, masked inside). A
# JSON stdout is parsed and printed again with the same done to its strings and to its
# duration_ms, started_at and finished_at values. Two runs that differ only in their
# password must print the same.
normalized_output() {
	python3 - "$RUN_STDOUT" "$RUN_STDERR" <<'PY'
import json, re, sys
def norm(t):
    t = re.sub(r"(cannot connect to '[^']*': ).*", r"\1<server message>", t)
    t = re.sub(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?", "<time>", t)
    return re.sub(r" *[0-9]+(\.[0-9]+)? ms\b", " N ms", t)
def walk(v, key=None):
    if key in ("duration_ms", "started_at", "finished_at") and v is not None:
        return "<varies>"
    if isinstance(v, dict):
        return {k: walk(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [walk(x) for x in v]
    return norm(v) if isinstance(v, str) else v
out = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    out = json.dumps(walk(json.loads(out)), indent=1)
except ValueError:
    out = norm(out)
print("stdout:\n" + out + "\nstderr:\n" + norm(open(sys.argv[2], encoding="utf-8", errors="replace").read()))
PY
}

# The fast stress tests (t3100, t3200): their seed ($STRESS_SEED, else random; below
# 10^9 as tests/stress/ takes it), and their summary file (build/stress-summary.txt, or
# $STRESS_SUMMARY), where each run replaces its own lines.
stress_seed() {
	_seed=${STRESS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
	echo $((_seed % 1000000000))
}
STRESS_SUMMARY_FILE=${STRESS_SUMMARY:-$CLI_TESTS_DIR/../../build/stress-summary.txt}

# stress_summary_drop REGEX: removes the summary's lines matching REGEX (a run's old figures).
stress_summary_drop() {
	mkdir -p "$(dirname "$STRESS_SUMMARY_FILE")"
	if [ -f "$STRESS_SUMMARY_FILE" ]; then
		grep -v -E "$1" "$STRESS_SUMMARY_FILE" >"$STRESS_SUMMARY_FILE.new"
		mv "$STRESS_SUMMARY_FILE.new" "$STRESS_SUMMARY_FILE"
	fi
}
