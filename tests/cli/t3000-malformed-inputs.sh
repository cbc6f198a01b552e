#!/bin/sh
# The malformed-input corpus (tests/malformed/, see its README.md): every case runs retort
# on a small project holding the hostile input, under a timeout, and must exit with the
# exact status the case expects (2 for bad input) and print every stderr fragment it
# lists (file and line included), with no crash (status above 128, a sanitizer or
# valgrind report), no hang, and no file of the project created or changed: no database
# file appears, and a database migrated beforehand keeps every byte.
#
# MALFORMED=NAME,NAME runs only the cases whose directory name contains one of the NAMEs.
. "$(dirname "$0")/lib.sh"

MALFORMED_DIR=$(cd "$CLI_TESTS_DIR/../malformed" && pwd) || {
	echo "t3000: no tests/malformed directory" >&2
	exit 2
}

# The project every case starts from: two revisions, a1 and a2 on top of it.
base_project() {
	mkdir -p proj/versions || fail "setup: mkdir proj"
	cat >proj/retort.yaml <<'CFG'
script_location: .
database:
  url: sqlite:///app.db
CFG
	cat >proj/versions/a1_base.sql <<'SQL'
/*
revision: a1
down_revision: null
message: base one
*/

-- retort:upgrade
CREATE TABLE t_a1 (id INTEGER PRIMARY KEY);

-- retort:downgrade
DROP TABLE t_a1;
SQL
	cat >proj/versions/a2_base.sql <<'SQL'
/*
revision: a2
down_revision: a1
message: base two
*/

-- retort:upgrade
CREATE TABLE t_a2 (id INTEGER PRIMARY KEY);

-- retort:downgrade
DROP TABLE t_a2;
SQL
}

# snapshot: every entry under the current directory with its type, size and mtime (ns),
# and the checksum of each database file.
snapshot() {
	find . -mindepth 1 -printf '%p %y %s %T@\n' 2>/dev/null | LC_ALL=C sort
	find . -name '*.db*' -type f -exec md5sum {} + 2>/dev/null | LC_ALL=C sort
}

is_root() { [ "$(id -u)" = 0 ]; }

# run_case DIR: one case of the corpus (see tests/malformed/README.md for the files).
run_case() {
	c=$1
	[ -f "$c/expected" ] || fail "case has no 'expected' file"
	want_exit=$(head -n 1 "$c/expected")
	case $want_exit in '' | *[!0-9]*) fail "line 1 of $c/expected is not an exit status" ;; esac
	limit=30
	[ -f "$c/timeout" ] && limit=$(cat "$c/timeout")
	[ "$VALGRIND" = 1 ] && limit=$((limit * 20))
	user=
	[ -f "$c/user" ] && user=$(cat "$c/user")
	if [ -f "$c/requires" ] && grep -qx root "$c/requires" && ! is_root; then
		echo "# skipped: needs root"
		expect_eq skipped skipped
		return 0
	fi
	if [ -n "$user" ] && { ! is_root || ! command -v runuser >/dev/null 2>&1; }; then
		echo "# skipped: needs root and runuser to run as $user"
		expect_eq skipped skipped
		return 0
	fi

	base_project
	[ -d "$c/pre" ] && { cp -R "$c/pre/." proj/ || fail "setup: copying pre/"; }
	cd proj || fail "setup: cd proj"
	if [ -f "$c/premigrate" ]; then
		run timeout -k 5 "$limit" "$RETORT" upgrade "$(cat "$c/premigrate")"
		[ "$RUN_EXIT" = 0 ] || fail "setup: upgrading to $(cat "$c/premigrate") failed"
		RUN_CMD=
	fi
	[ -d "$c/project" ] && { cp -R "$c/project/." . || fail "setup: copying project/"; }
	if [ -f "$c/setup.sh" ]; then
		CASE_DIR=$c sh "$c/setup.sh" >"$_T_ROOT/.setup.log" 2>&1 ||
			fail "setup: setup.sh failed: $(tail -n 5 "$_T_ROOT/.setup.log")"
	fi
	if [ -n "$user" ]; then
		# the user needs to reach the project: give it a world-readable home of its own
		home=$(mktemp -d "${TMPDIR:-/tmp}/retort-malformed.XXXXXX") || fail "setup: mktemp"
		trap 'rm -rf "$home"' EXIT
		chmod 755 "$home" && cp -a . "$home/" || fail "setup: copying for $user"
		[ -f "$c/setup-user.sh" ] && { (cd "$home" && sh "$c/setup-user.sh") || fail "setup: setup-user.sh"; }
		cd "$home" || fail "setup: cd $home"
	fi

	# the command line: one argument per line; @file:NAME is the content of project file NAME
	set --
	if [ -f "$c/args" ]; then
		while IFS= read -r a || [ -n "$a" ]; do
			case $a in
			@file:*) a=$(cat "${a#@file:}") ;;
			esac
			set -- "$@" "$a"
		done <"$c/args"
	else
		set -- upgrade head
	fi
	if [ -f "$c/env" ]; then
		while IFS= read -r kv || [ -n "$kv" ]; do
			[ -n "$kv" ] && export "${kv%%=*}=${kv#*=}"
		done <"$c/env"
	fi

	project=$(pwd)
	before=$(snapshot)
	if [ -n "$user" ]; then
		run timeout -k 5 "$limit" runuser -u "$user" -- "$RETORT" "$@" </dev/null
	elif [ "$VALGRIND" = 1 ]; then
		run timeout -k 5 "$limit" valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 "$RETORT" "$@" </dev/null
	else
		run timeout -k 5 "$limit" "$RETORT" "$@" </dev/null
	fi
	after=$(snapshot)

	case $RUN_EXIT in
	124 | 137) fail "hang: killed after ${limit}s" ;;
	esac
	if grep -E -q 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall)' \
		"$RUN_STDERR"; then
		fail "a sanitizer or valgrind report"
	fi
	if [ "$RUN_EXIT" -gt 128 ] && [ "$RUN_EXIT" != "$want_exit" ]; then
		fail "crash: killed by signal $((RUN_EXIT - 128))"
	fi
	expect_exit "$want_exit"
	tail -n +2 "$c/expected" | while IFS= read -r frag || [ -n "$frag" ]; do
		[ -n "$frag" ] || continue
		frag=$(printf '%s' "$frag" | sed "s|@PROJECT@|$project|g")
		case $frag in
		!*) expect_output_not_contains "${frag#!}" ;;
		stdout:*) expect_stdout_contains "${frag#stdout:}" ;;
		*) expect_stderr_contains "$frag" ;;
		esac
	done || exit 1
	[ "$before" = "$after" ] || fail "retort created or changed files in the project" \
		"$before" "$after"
}

for c in "$MALFORMED_DIR"/*/; do
	c=${c%/}
	name=$(basename "$c")
	if [ -n "${MALFORMED:-}" ]; then
		keep=
		for m in $(echo "$MALFORMED" | tr ',' ' '); do
			case $name in *"$m"*) keep=1 ;; esac
		done
		[ -n "$keep" ] || continue
	fi
	about=$(head -n 1 "$c/about" 2>/dev/null)
	test_case "$name: ${about:-(no about file)}"
	(
		run_case "$c"
	)
done

test_case "the corpus holds at least 60 cases, each with an about and an expected file"
(
	n=0
	for c in "$MALFORMED_DIR"/*/; do
		expect_file_exists "$c/about"
		expect_file_exists "$c/expected"
		n=$((n + 1))
	done
	[ "$n" -ge 60 ] || fail "only $n cases" "60 or more" "$n"
)

test_done
