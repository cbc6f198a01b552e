#!/bin/sh
# Security, without a database server (the PostgreSQL parts: t3410-pg-security.sh):
#  (a) no password reaches any output: all 17 commands (and the offline forms) with a
#      password, percent-encoded and with special characters, in --url, in
#      RETORT_DATABASE_URL, in DATABASE_URL, in the config's database.url (and the same
#      password as a variable the scripts use), in a libpq keyword string, in
#      ?password=, in PGPASSWORD; with -v, with --json, on failures (connection refused,
#      broken config); never in a file name, a database file or a history row either;
#      every --json output is valid JSON; and with the passwords true, e, 1, ", \ the
#      output (text and JSON) is what it is with any other password: masking rewrites
#      nothing retort prints itself;
#  (b) version_table / history_table names with quotes, spaces, semicolons, upper case,
#      $$, backslashes and non-ASCII letters: the whole loop works, online and through
#      `--sql | sqlite3`, and nothing else is created or dropped;
#  (c) retort never runs a shell with text from scripts, config, messages or $EDITOR:
#      `edit` runs the editor's argv directly, messages and variables holding $(...),
#      backticks and ; reach files and SQL literally, and no command but edit execs
#      anything (strace);
#  (d) new files: O_EXCL (strace), mode 0644 for revisions, 0600 for retort.yaml, never
#      written through a symlink planted at the target name;
#  (e) as root, a config file, a version directory or a revision file that another user
#      can change (group/other-writable, or owned by another user) is refused with exit
#      2 and a message saying why, and accepted once fixed; an unprivileged user (runuser
#      -u nobody) is not subject to the rule.
. "$(dirname "$0")/lib.sh"

# The password: characters a URL must percent-encode, a YAML-safe set otherwise.
SECRET='S3cr3t-q7@p:w/d%x!'
SECRET_ENC='S3cr3t-q7%40p%3Aw%2Fd%25x%21'
# Fragments any full or partial leak shows: the start (both forms), the tail of the raw
# form, the middle of the encoded form.
LEAK_FRAGMENTS="S3cr3t-q7 p:w/d%x %3Aw%2Fd%25x"
REFUSED="127.0.0.1:1" # nothing listens on port 1

# rev ID DOWN EXTRA UPGRADE DOWNGRADE: a revision file like write_rev's.
rev() {
	write_rev "$@"
}

# sec_project URL: a project whose database.url is URL, with the password also as the
# variable app_password; a1 <- a2, a1 <- b2 (label feat): two heads. b2 uses the variable
# (what commands show of it: a case of its own).
sec_project() {
	mkdir -p versions
	{
		echo "script_location: ."
		echo "database:"
		echo "  url: \"$1\""
		echo "variables:"
		echo "  app_password: \"$SECRET\""
	} >retort.yaml
	rev a1 null
	rev a2 a1
	rev b2 a1 "branch_labels: [feat]" "CREATE TABLE t_b2 (v text);
INSERT INTO t_b2 VALUES ('\${app_password}');" "DROP TABLE t_b2;"
	RUN_CMD=
}

# Every command, and the exit status it must have when the database refuses connections
# (commands that can do without the database say so on stderr and exit 0), and with
# --json when that differs (graph prints DOT, --sql prints SQL: --json is a usage error).
ALL_COMMANDS="version|0
help|0
help upgrade|0
list-templates|0
init newproj|0
revision -m r --head a2|0
merge -m m heads|0
heads|0
branches|0
history|0
history --verbose|0
history --indicate-current|1
show a1|0
show a2|0
graph|0|2
check --no-db|0
check|1
current|1
current --verbose|1
upgrade heads|1
upgrade head|1
upgrade nosuch|1
downgrade base|1
stamp heads|1
edit a1|0
upgrade --sql a1:a2|0|2
downgrade --sql a2:a1|0|2
stamp --sql base:a2|0|2"

# every_command [ENV=VALUE...] -- [GLOBAL OPTIONS...]: each command of ALL_COMMANDS, in a
# fresh copy of the project in ./tmpl, with the settings given, with -v, with -v --json
# and with -q: none may show the password; each exits as listed.
every_command() {
	(
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			export "${1%%=*}=${1#*=}"
			shift
		done
		[ "$1" = -- ] && shift
		EDITOR=true
		export EDITOR
		set -f
		printf '%s\n' "$ALL_COMMANDS" >"$_T_ROOT/commands"
		while IFS= read -r _line; do
			_c=${_line%%|*}
			_want=${_line#*|}
			_want_json=${_want#*|}
			_want=${_want%%|*}
			for _mode in $OUTPUT_MODES; do
				rm -rf w
				cp -R tmpl w && cd w || fail "setup: cannot copy the project"
				# shellcheck disable=SC2086
				secret_run "$_mode" "$_want" "$_want_json" "$@" $_c
				# nothing written anywhere holds it either (but the config, which does)
				no_secret $(find . -type f ! -path ./retort.yaml)
				if find . | grep -q -F -e "S3cr3t"; then
					fail "a file name holds the password" "no such file" "$(find . | grep -F S3cr3t)"
				fi
				cd ..
			done
		done <"$_T_ROOT/commands"
	) || exit 1
}

PGURL_USERINFO="postgresql://app:$SECRET_ENC@$REFUSED/app?connect_timeout=2"
PGURL_QUERY="postgresql://app@$REFUSED/app?password=$SECRET_ENC&connect_timeout=2"
PGURL_NOPW="postgresql://app@$REFUSED/app?connect_timeout=2"
PG_KEYWORDS="host=127.0.0.1 port=1 dbname=app user=app password=$SECRET connect_timeout=2"

test_case "(a) the password in --url (percent-encoded): every command, -v, --json, -q"
(
	mkdir tmpl && cd tmpl && sec_project "sqlite:///unused.db" && cd .. || exit 1
	every_command -- --url "$PGURL_USERINFO"
)

test_case "(a) the password in RETORT_DATABASE_URL and in DATABASE_URL"
(
	mkdir tmpl && cd tmpl && sec_project "sqlite:///unused.db" && cd .. || exit 1
	every_command "RETORT_DATABASE_URL=$PGURL_USERINFO" --
	every_command "DATABASE_URL=$PGURL_QUERY" --
)

test_case "(a) the password in the config's database.url and in a variable"
(
	mkdir tmpl && cd tmpl && sec_project "$PGURL_USERINFO" && cd .. || exit 1
	every_command --
)

test_case "(a) the password as ?password= and in a libpq keyword string"
(
	mkdir tmpl && cd tmpl && sec_project "sqlite:///unused.db" && cd .. || exit 1
	every_command -- --url "$PGURL_QUERY"
	every_command -- --url "$PG_KEYWORDS"
)

test_case "(a) the password in PGPASSWORD, with a URL without one"
(
	mkdir tmpl && cd tmpl && sec_project "$PGURL_NOPW" && cd .. || exit 1
	every_command "PGPASSWORD=$SECRET" --
)

test_case "(a) the password in an environment's URL, selected with -e"
(
	mkdir tmpl && cd tmpl && sec_project "sqlite:///unused.db" || exit 1
	cat >>retort.yaml <<EOF
environments:
  prod:
    database:
      url: "$PGURL_USERINFO"
EOF
	cd .. || exit 1
	every_command -- -e prod
)

test_case "(a) broken configs that hold the password: the errors never show it"
(
	_asserted
	for cfg in \
		"database:
  url: $PGURL_USERINFO
  : : broken [" \
		"database:
  url: $PGURL_USERINFO
  uri: $PGURL_USERINFO" \
		"database:
  url: postgresq://app:$SECRET_ENC@$REFUSED/app" \
		"database:
  url: [$PGURL_USERINFO]" \
		"database:
  url: \"$PGURL_USERINFO" \
		"database:
	url: $PGURL_USERINFO" \
		"database:
  url: $PGURL_NOPW
  password: $SECRET" \
		"environments:
  prod:
    database:
      url: $PGURL_USERINFO
      lock_wait: never"; do
		printf '%s\n' "$cfg" >retort.yaml
		mkdir -p versions
		for mode in "" "-v" "--json"; do
			for c in current "upgrade head" check "upgrade --sql base:head" "-e prod current"; do
				# shellcheck disable=SC2086
				run retort $mode $c
				no_secret
				case $RUN_EXIT in 0 | 1 | 2) ;; *) fail "exit $RUN_EXIT" "0, 1 or 2" "$RUN_EXIT" ;; esac
			done
		done
	done
)

test_case "(a) SQLite runs while PGPASSWORD, DATABASE_URL and another environment hold the password: no output, file or history row has it"
(
	new_project
	write_config "environments:
  prod:
    database:
      url: \"$PGURL_USERINFO\""
	write_rev a1 null
	write_rev a2 a1 "" "INSERT INTO no_such_table VALUES (1);" ""
	export PGPASSWORD="$SECRET" DATABASE_URL="$PGURL_USERINFO"
	for mode in "-v" "-v --json"; do
		for c in "upgrade a1" "upgrade head" "current --verbose" "history --verbose" "check" "stamp a2" \
			"downgrade base" "stamp --purge a1"; do
			# shellcheck disable=SC2086
			run retort $mode --url sqlite:///app.db $c
			no_secret
		done
	done
	run retort --url sqlite:///app.db upgrade head
	expect_exit 1
	expect_stderr_contains "no such table: no_such_table"
	# a2 failed three times; a1's downgrade once (after 'stamp a2' and 'downgrade base' its
	# table was already gone)
	expect_eq "$(sql app.db "SELECT group_concat(revision || ' ' || direction, ', ') FROM
	                         (SELECT * FROM retort_version_history WHERE status = 'failed' ORDER BY id)")" \
		"a2 upgrade, a2 upgrade, a1 downgrade, a2 upgrade" "failed runs recorded"
	no_secret app.db
	sql app.db "SELECT h.* FROM retort_version_history h" >history.txt
	no_secret history.txt
)

test_case "(a) a SQLite URL with ?password=: no message shows any part of the password"
(
	new_project
	write_rev a1 null
	for mode in "" "-v" "--json"; do
		# shellcheck disable=SC2086
		run retort $mode --url "sqlite:///app.db?password=$SECRET_ENC" upgrade head
		no_secret
	done
)

test_case "(a) a SQLite URL with ?password=: the password becomes no file name"
(
	new_project
	write_rev a1 null
	# a password without '/': nothing stops retort from creating a file
	run retort -v --url "sqlite:///app.db?password=S3cr3t-q7plain" upgrade head
	expect_output_not_contains "S3cr3t-q7plain"
	_asserted
	if find . | grep -q -F -e "S3cr3t" -e "password"; then
		fail "a file is named after the URL's query string (the password)" "no such file" "$(find . | grep -F -e S3cr3t -e password)"
	fi
)

# Where a script uses the password as a variable (b2), commands that show statements must
# mask it like any other: `show -v` for every source of the password; and `--sql`, whose
# output is SQL, must neither print it nor print '****' in its place (a script that would
# silently differ from the online run): it has to refuse.
test_case "(a) a variable holding the password: show -v shows the statement as written, never the value, whatever the password's source"
(
	mkdir p && cd p && sec_project "sqlite:///unused.db" || exit 1
	for src in "--url=$PGURL_USERINFO" "--url=$PGURL_QUERY" "--url=$PG_KEYWORDS" "RETORT_DATABASE_URL=$PGURL_USERINFO" \
		"DATABASE_URL=$PGURL_USERINFO" "PGPASSWORD=$SECRET"; do
		case $src in
		--url=*) run retort -v --url "${src#--url=}" show b2 ;;
		PGPASSWORD=*) PGPASSWORD=$SECRET run retort -v --url "$PGURL_NOPW" show b2 ;;
		*) env "$src" "$RETORT" -v show b2 >"$RUN_STDOUT" 2>"$RUN_STDERR"; RUN_EXIT=$?; RUN_CMD="$src retort -v show b2" ;;
		esac
		expect_exit 0
		expect_stdout_contains "INSERT INTO t_b2 VALUES ('\${app_password}')"
		no_secret
	done
)

test_case "(a) upgrade --sql through a script using the password as a variable: never the password, never '****' as SQL"
(
	mkdir p && cd p && sec_project "$PGURL_USERINFO" || exit 1
	for range in a1:b2 base:heads; do
		run retort upgrade --sql "$range"
		no_secret
		expect_stdout_not_contains "****"
		expect_exit 2
		expect_stderr_contains "app_password"
	done
	PGPASSWORD=$SECRET run retort --url "$PGURL_NOPW" upgrade --sql a1:b2
	no_secret
	expect_exit 2
)

# Passwords that once corrupted output, when masking replaced their text everywhere: a
# JSON literal, a letter found in every other word, a digit, and JSON's metacharacters;
# then the realistic one. One per line; the first is the reference.
SHORT_PASSWORDS="$SECRET
true
e
1
\"
\\"
# What is compared: commands that need no database and the ones that fail to connect,
# with -v and --json, and the offline forms.
SHORT_COMMANDS="heads
branches
history
history --verbose
show a1
show -v b2
graph
check --no-db
check
current --verbose
upgrade head
stamp heads
upgrade --sql a1:a2
upgrade --sql base:heads
downgrade --sql a2:a1
stamp --sql base:a2
revision -m r --head a2 --rev-id r1
merge -m m heads --rev-id m1"

# short_password_outputs PASSWORD DIR: every command of SHORT_COMMANDS, with -v and with
# -v --json, with PASSWORD in --url and as the variable app_password; each --json run
# prints valid JSON; the normalized outputs go to DIR (absolute), one file per run.
short_password_outputs() {
	_pw_enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")
	rm -rf p && mkdir p && cd p || fail "setup: cannot make the project"
	sec_project "sqlite:///unused.db"
	sed -i '/app_password/d' retort.yaml
	printf "  app_password: '%s'\n" "$(printf '%s' "$1" | sed "s/'/''/g")" >>retort.yaml
	mkdir -p "$2"
	_n=0
	printf '%s\n' "$SHORT_COMMANDS" >"$_T_ROOT/short-commands"
	while IFS= read -r _c; do
		for _mode in "-v" "-v --json"; do
			_n=$((_n + 1))
			# the writers run in a copy, so that every run sees the same project
			case $_c in revision* | merge*)
				rm -rf ../w && cp -R . ../w && cd ../w || fail "setup: cannot copy the project" ;;
			esac
			# shellcheck disable=SC2086
			run retort $_mode --url "postgresql://app:$_pw_enc@$REFUSED/app?connect_timeout=2" $_c
			case $_mode in *--json) expect_json ;; esac
			{ echo "retort $_mode $_c: exit $RUN_EXIT"; normalized_output; } >"$2/$_n"
			cd ../p || fail "cd back"
		done
	done <"$_T_ROOT/short-commands"
	cd .. || fail "cd back"
}

test_case "(a) passwords true, e, 1, \", \\: every --json output is valid JSON, text output is the same as with any other password"
(
	printf '%s\n' "$SHORT_PASSWORDS" >short-passwords
	_ref=
	while IFS= read -r pw; do
		_this="$(pwd)/out.$(printf '%s' "$pw" | od -An -tx1 | tr -d ' \n')"
		short_password_outputs "$pw" "$_this"
		if [ -z "$_ref" ]; then
			_ref=$_this
			continue
		fi
		_asserted
		diff -r "$_ref" "$_this" >diff.txt || fail "with the password '$pw' the output differs from the realistic password's" \
			"the same output" "$(head -c 4000 diff.txt)"
	done <short-passwords
	# the comparison compares something: JSON literals, ids and the masked URL are there
	grep -q '"is_head": true' "$_ref"/* || fail "no is_head in the reference outputs"
	grep -q "postgresql://app:\*\*\*\*@$REFUSED/app" "$_ref"/* || fail "no masked URL in the reference outputs"
	grep -q "INSERT INTO t_b2 VALUES ('\${app_password}')" "$_ref"/* || fail "show -v does not show the statement as written"
)

# ------------------------------------------------------------------------------------
# (b) identifiers from the config
# ------------------------------------------------------------------------------------

# Names a careless tool breaks on: quotes of both kinds, spaces, semicolons, a comment,
# upper case, $$, a dollar-quote tag, backslashes, brackets, backticks, non-ASCII letters.
ODD_VERSION='My "Ver" Tab; DROP TABLE canary; -- it'"'"'s $$ a\b É✓'
ODD_HISTORY='Hist `x` [y] $tag$ \\ ; '"'"')-- Ñ'

odd_config() {
	write_config "version_table: '$(printf '%s' "$ODD_VERSION" | sed "s/'/''/g")'
history_table: '$(printf '%s' "$ODD_HISTORY" | sed "s/'/''/g")'"
}

# qi NAME: NAME as an SQL quoted identifier.
qi() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

# objects DB: every object of DB, "type name", sorted.
objects() {
	sql "$1" "SELECT type || ' ' || name FROM sqlite_master ORDER BY 1"
}

test_case "(b) odd version and history table names: upgrade, current, history -v, downgrade, stamp, check"
(
	new_project
	odd_config
	write_rev a1 null
	write_rev a2 a1
	sql app.db "CREATE TABLE canary (x int); INSERT INTO canary VALUES (42)"
	run retort upgrade a1
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM $(qi "$ODD_VERSION")")" a2 "version rows"
	expect_eq "$(objects app.db)" "index sqlite_autoindex_$(printf '%s' "$ODD_VERSION")_1
table $ODD_HISTORY
table $ODD_VERSION
table canary
table sqlite_sequence
table t_a1
table t_a2" "every object in the database"
	expect_eq "$(sql app.db "SELECT x FROM canary")" 42 "the canary's row"
	run retort current
	expect_exit 0
	expect_stdout_equals "a2 (head)"
	run retort history --verbose --indicate-current
	expect_exit 0
	expect_stdout_contains "Rev: a2 (head) (current)"
	expect_stdout_contains "upgrade   applied"
	run retort check
	expect_exit 0
	run retort downgrade -1
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM $(qi "$ODD_VERSION")")" a1 "version rows after downgrade -1"
	run retort stamp head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM $(qi "$ODD_VERSION")")" a2 "version rows after stamp head"
	run retort stamp --purge a1
	expect_exit 0
	run retort downgrade base
	expect_exit 0
	expect_eq "$(sql app.db "SELECT count(*) FROM $(qi "$ODD_VERSION")")" 0 "version rows at base"
	expect_eq "$(sql app.db "SELECT group_concat(revision || ' ' || direction || ' ' || status, ', ') FROM
	                         (SELECT * FROM $(qi "$ODD_HISTORY") ORDER BY id)")" \
		"a1 upgrade applied, a2 upgrade applied, a2 downgrade applied, a2 stamp applied, a1 stamp applied, a1 downgrade applied" \
		"history rows"
	expect_eq "$(objects app.db)" "index sqlite_autoindex_$(printf '%s' "$ODD_VERSION")_1
table $ODD_HISTORY
table $ODD_VERSION
table canary
table sqlite_sequence" "every object at base"
	expect_eq "$(sql app.db "SELECT x FROM canary")" 42 "the canary's row"
)

test_case "(b) odd names: the offline scripts run with sqlite3 -bail and leave what the online run leaves"
(
	new_project
	odd_config
	write_rev a1 null
	write_rev a2 a1
	sql app.db "CREATE TABLE canary (x int)"
	sql off.db "CREATE TABLE canary (x int)"
	run_ok retort upgrade head
	run_ok retort upgrade --sql base:head
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail off.db <up.sql
	expect_exit 0
	expect_eq "$(objects off.db)" "$(objects app.db)" "objects, offline vs online"
	expect_eq "$(sql off.db "SELECT version_num FROM $(qi "$ODD_VERSION")")" a2 "offline version rows"
	expect_eq "$(sql off.db "SELECT revision || ' ' || direction || ' ' || status FROM $(qi "$ODD_HISTORY") ORDER BY id" | tr '\n' ,)" \
		"a1 upgrade applied,a2 upgrade applied," "offline history rows"
	# the guard names the table too: the script refuses a second run
	run sqlite3 -bail off.db <up.sql
	[ "$RUN_EXIT" != 0 ] || fail "the offline script ran twice" "a guard failure" "exit 0"
	_asserted
	expect_eq "$(sql off.db "SELECT count(*) FROM $(qi "$ODD_VERSION")")" 1 "version rows after the refused rerun"
	run_ok retort downgrade --sql head:base
	cp "$RUN_STDOUT" down.sql
	run sqlite3 -bail off.db <down.sql
	expect_exit 0
	expect_eq "$(objects off.db)" "index sqlite_autoindex_$(printf '%s' "$ODD_VERSION")_1
table $ODD_HISTORY
table $ODD_VERSION
table canary
table sqlite_sequence" "objects after the offline downgrade"
	run_ok retort stamp --sql base:a1
	cp "$RUN_STDOUT" stamp.sql
	run sqlite3 -bail off.db <stamp.sql
	expect_exit 0
	expect_eq "$(sql off.db "SELECT version_num FROM $(qi "$ODD_VERSION")")" a1 "version rows after the offline stamp"
)

test_case "(b) upper-case names are not confused with the default lower-case tables"
(
	new_project
	write_config "version_table: RETORT_Version_X"
	write_rev a1 null
	sql app.db "CREATE TABLE retort_version (version_num text); INSERT INTO retort_version VALUES ('zzz')"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM \"RETORT_Version_X\"")" a1 "rows of RETORT_Version_X"
	expect_eq "$(sql app.db "SELECT version_num FROM retort_version")" zzz "the other table is untouched"
	expect_eq "$(sql app.db "SELECT count(*) FROM \"RETORT_Version_X_history\"")" 1 "rows of the default history table name"
)

# ------------------------------------------------------------------------------------
# (c) no shell
# ------------------------------------------------------------------------------------

# PWNED: the file an injected command would create.
PWNED=${TMPDIR:-/tmp}/retort-pwned.$$
rm -f "$PWNED" "$PWNED".*

# no_pwned: no injected command ran.
no_pwned() {
	_asserted
	for _p in "$PWNED" "$PWNED".*; do
		[ -e "$_p" ] && { rm -f "$PWNED" "$PWNED".*; fail "an injected command ran: $_p exists"; }
	done
	return 0
}

test_case "(c) edit runs the editor's words directly: \$(...), backticks, ; and | stay text"
(
	new_project
	write_rev a1 null
	EDITOR="echo \$(touch $PWNED.1) \`touch $PWNED.2\` ; touch $PWNED.3 | x" run retort edit a1
	expect_exit 0
	no_pwned
	expect_stdout_equals "\$(touch $PWNED.1) \`touch $PWNED.2\` ; touch $PWNED.3 | x $(pwd)/versions/a1_rev.sql"
	VISUAL="echo \$(touch $PWNED.4)" EDITOR=false run retort edit a1
	expect_exit 0
	no_pwned
	expect_stdout_equals "\$(touch $PWNED.4) $(pwd)/versions/a1_rev.sql"
	# a first word with shell syntax is a program name, not a command line
	EDITOR="true;touch $PWNED.5" run retort edit a1
	expect_exit 1
	expect_stderr_contains "cannot run the editor 'true;touch"
	no_pwned
	EDITOR="\$(touch $PWNED.6)" run retort edit a1
	expect_exit 1
	no_pwned
)

INJECT="\$(touch $PWNED.m) \`touch $PWNED.b\`; touch $PWNED.s && echo \"q\" \\ | cat"
export INJECT

test_case "(c) a revision message with \$(...), backticks and ; reaches the file literally"
(
	new_project
	run retort revision -m "$INJECT" --rev-id inj1
	expect_exit 0
	no_pwned
	f=$(ls versions/inj1_*.sql)
	[ -n "$f" ] || fail "no file for inj1" "versions/inj1_*.sql" "$(ls versions)"
	case $f in *[!A-Za-z0-9_./]*) fail "the file name holds more than [A-Za-z0-9_]" "a slug" "$f" ;; esac
	_asserted
	run retort --json show inj1
	expect_exit 0
	expect_json "d['message'] == __import__('os').environ['INJECT']"
	run retort history
	expect_exit 0
	expect_stdout_equals "<base> -> inj1 (head), $INJECT"
	run_ok retort revision -m other --rev-id other1 --head base
	run retort merge -m "$INJECT" --rev-id inj2 heads
	expect_exit 0
	run retort --json show inj2
	expect_json "d['message'] == __import__('os').environ['INJECT']"
	no_pwned
)

test_case "(c) a message that closes the header comment cannot add SQL"
(
	new_project
	sql app.db "CREATE TABLE canary (x int)"
	run retort revision -m 'x */ DROP TABLE canary; /* y' --rev-id inj3
	if [ "$RUN_EXIT" = 0 ]; then
		run retort --json show inj3
		expect_exit 0
		expect_json "d['message'] == 'x */ DROP TABLE canary; /* y' and d['upgrade_statements'] == 0"
		run retort upgrade head
		expect_exit 0
	else
		# refused: then the message must say it is the message's fault
		expect_exit 2
		expect_stderr_contains "message"
		expect_stderr_not_contains "template"
		expect_file_missing "versions/inj3_x_drop_table_canary_y.sql"
	fi
	expect_eq "$(sql app.db "SELECT count(*) FROM sqlite_master WHERE name = 'canary'")" 1 "the canary table"
)

test_case "(c) variables holding \$(...), backticks and ; reach the SQL literally, online and offline"
(
	new_project
	write_config "variables:
  v1: '$(printf '%s' "$INJECT" | sed "s/'/''/g")'"
	write_rev a1 null "" "CREATE TABLE t (a text, b text);
INSERT INTO t VALUES ('\${v1}', '\${v2}');" "DROP TABLE t;"
	run retort -x "v2=$INJECT" upgrade head
	expect_exit 0
	no_pwned
	expect_eq "$(sql app.db "SELECT a FROM t")" "$INJECT" "the config variable's value in the row"
	expect_eq "$(sql app.db "SELECT b FROM t")" "$INJECT" "the -x variable's value in the row"
	run retort -x "v2=$INJECT" upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail off.db <up.sql
	expect_exit 0
	no_pwned
	expect_eq "$(sql off.db "SELECT a || '|' || b FROM t")" "$INJECT|$INJECT" "the row, offline"
)

# no_leak_check_under_ptrace: LeakSanitizer cannot run under strace (ptrace); in a
# SANITIZE=1 build the traced runs check everything but leaks, which the other cases check.
no_leak_check_under_ptrace() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	export ASAN_OPTIONS
}

test_case "(c) no command but edit runs another program (strace: one execve)"
(
	command -v strace >/dev/null 2>&1 ||
		fail "strace is required for this test (apt-get install -y strace)"
	no_leak_check_under_ptrace
	new_project
	write_config "variables:
  v1: '\$(touch $PWNED.v)'"
	write_rev a1 null "" "CREATE TABLE t (a text); INSERT INTO t VALUES ('\${v1}');" "DROP TABLE t;"
	write_rev b1 null "branch_labels: [other]" "" ""
	for c in "version" "help" "list-templates" "init newproj" "revision -m \$(id) --head a1" "heads" "branches" \
		"history --verbose" "show a1" "graph" "check" "current --verbose" "upgrade heads" \
		"downgrade base" "stamp heads" "upgrade --sql base:a1" "merge -m \`id\` heads"; do
		# shellcheck disable=SC2086
		run strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -e signal=none -o trace.txt "$RETORT" $c
		expect_exit 0
		expect_eq "$(grep -c 'execve(' trace.txt)" 1 "execve calls of 'retort $c'"
		expect_eq "$(grep -c -E '(^|[^a-z_])(fork|vfork|clone|clone3)\(' trace.txt)" 0 "processes started by 'retort $c'"
	done
	EDITOR="true \$(touch $PWNED.e)" run strace -f -qq -e trace=execve -e signal=none -o trace.txt "$RETORT" edit a1
	expect_exit 0
	# execvp tries each directory of PATH: count the calls that succeeded
	expect_eq "$(grep -c 'execve(.*= 0$' trace.txt)" 2 "successful execve calls of 'retort edit' (retort, then the editor)"
	grep -q 'execve("[^"]*/true", \["true", "\$(touch' trace.txt ||
		fail "the editor was not executed directly" 'execve(".../true", ["true", "$(touch ...' "$(cat trace.txt)"
	grep -q -E 'execve\("[^"]*/(sh|bash|dash)"' trace.txt && fail "a shell was executed" "no shell" "$(cat trace.txt)"
	no_pwned
)

# ------------------------------------------------------------------------------------
# (d) new files
# ------------------------------------------------------------------------------------

# mode FILE: its permission bits in octal (stat -c %a).
mode() { stat -c %a "$1"; }

test_case "(d) init: retort.yaml 0600, other files 0644, directories 0755 (umask 022)"
(
	umask 022
	run retort init p
	expect_exit 0
	expect_eq "$(mode p/retort.yaml)" 600 "mode of retort.yaml"
	expect_eq "$(mode p/README)" 644 "mode of README"
	expect_eq "$(mode p/script.sql.tmpl)" 644 "mode of script.sql.tmpl"
	expect_eq "$(mode p/versions)" 755 "mode of versions/"
	run retort init q --template postgresql
	expect_exit 0
	expect_eq "$(mode q/retort.yaml)" 600 "mode of the postgresql template's retort.yaml"
)

test_case "(d) umask 000 widens nothing: retort.yaml 0600, revisions 0644; umask 077 is respected"
(
	(umask 000 && retort init p >/dev/null 2>&1)
	expect_eq "$(mode p/retort.yaml)" 600 "mode of retort.yaml under umask 000"
	expect_eq "$(mode p/README)" 644 "mode of README under umask 000"
	cd p || fail "cd p"
	(umask 000 && retort revision -m one --rev-id r1 >/dev/null 2>&1)
	expect_eq "$(mode versions/r1_one.sql)" 644 "mode of a revision under umask 000"
	(umask 000 && retort revision -m two --rev-id r2 --head base >/dev/null 2>&1 &&
		retort merge -m join --rev-id m2 heads >/dev/null 2>&1)
	expect_eq "$(mode versions/m2_join.sql)" 644 "mode of a merge revision under umask 000"
	(umask 077 && retort revision -m three --rev-id r3 >/dev/null 2>&1)
	expect_eq "$(mode versions/r3_three.sql)" 600 "mode of a revision under umask 077"
	cd .. && (umask 077 && retort init q >/dev/null 2>&1)
	expect_eq "$(mode q/retort.yaml)" 600 "mode of retort.yaml under umask 077"
	expect_eq "$(mode q/README)" 600 "mode of README under umask 077"
)

test_case "(d) every new file is created with O_CREAT|O_EXCL (strace)"
(
	command -v strace >/dev/null 2>&1 ||
		fail "strace is required for this test (apt-get install -y strace)"
	no_leak_check_under_ptrace
	run strace -f -qq -e trace=open,openat,creat -e signal=none -o trace.txt "$RETORT" init p
	expect_exit 0
	for f in retort.yaml README script.sql.tmpl; do
		grep -E "\"([^\"]*/)?p/$f\", O_WRONLY\|O_CREAT\|O_EXCL" trace.txt >/dev/null ||
			fail "p/$f was not created with O_CREAT|O_EXCL" "O_WRONLY|O_CREAT|O_EXCL" "$(grep -F "$f" trace.txt)"
		_asserted
	done
	grep -E 'O_CREAT' trace.txt | grep -v -E 'O_EXCL|\.db|/dev/' >creat.txt
	[ -s creat.txt ] && fail "files opened with O_CREAT but without O_EXCL" "none" "$(cat creat.txt)"
	cd p || fail "cd p"
	run strace -f -qq -e trace=open,openat,creat -e signal=none -o ../trace2.txt "$RETORT" revision -m one --rev-id r1
	expect_exit 0
	grep -E '"[^"]*versions/r1_one\.sql", O_WRONLY\|O_CREAT\|O_EXCL[^)]*, 0644\)' ../trace2.txt >/dev/null ||
		fail "the revision was not created with O_CREAT|O_EXCL, 0644" "O_WRONLY|O_CREAT|O_EXCL..., 0644" "$(grep r1_one ../trace2.txt)"
	run_ok retort revision -m two --rev-id r2 --head base
	run strace -f -qq -e trace=open,openat,creat -e signal=none -o ../trace3.txt "$RETORT" merge -m m --rev-id m1 heads
	expect_exit 0
	grep -E '"[^"]*versions/m1_m\.sql", O_WRONLY\|O_CREAT\|O_EXCL[^)]*, 0644\)' ../trace3.txt >/dev/null ||
		fail "the merge was not created with O_CREAT|O_EXCL, 0644" "O_WRONLY|O_CREAT|O_EXCL..., 0644" "$(grep m1_m ../trace3.txt)"
)

# victim ID DOWN: a valid revision file outside versions/, for a symlink to point at (its
# id is the last part of the link's name, so the graph accepts the link and the new
# revision's name is taken).
victim() {
	printf '/*\nrevision: %s\ndown_revision: %s\nmessage: precious\n*/\n-- retort:upgrade\n-- retort:downgrade\n' "$1" "$2" >"victim_$1.txt"
	chmod 600 "victim_$1.txt"
	cp "victim_$1.txt" "victim_$1.orig"
}

test_case "(d) a symlink planted at the new revision's name is never followed"
(
	new_project
	write_rev r0 null
	victim slug r0
	ln -s "$(pwd)/victim_slug.txt" versions/X_slug.sql
	run retort revision -m slug --rev-id X
	expect_exit 2
	expect_stderr_contains "refusing to overwrite"
	expect_stderr_contains "X_slug.sql"
	expect_files_equal victim_slug.txt victim_slug.orig "the symlink's target"
	expect_eq "$(mode victim_slug.txt)" 600 "the target's mode"
	[ -L versions/X_slug.sql ] || fail "the symlink was replaced"
	_asserted
	# a dangling symlink: its target is not created
	ln -s "$(pwd)/victim_new.txt" versions/Y_slug2.sql
	run retort revision -m slug2 --rev-id Y
	expect_exit 2
	expect_file_missing victim_new.txt
	rm versions/Y_slug2.sql
	# merge
	write_rev r1 null
	victim join r1
	ln -s "$(pwd)/victim_join.txt" versions/M_join.sql
	run retort merge -m join --rev-id M heads
	expect_exit 2
	expect_stderr_contains "refusing to overwrite"
	expect_files_equal victim_join.txt victim_join.orig "the symlink's target after merge"
	# init: a directory holding only a planted retort.yaml is not empty
	mkdir newp
	ln -s "$(pwd)/victim_slug.txt" newp/retort.yaml
	run retort init newp
	expect_exit 2
	expect_files_equal victim_slug.txt victim_slug.orig "the symlink's target after init"
)

# ------------------------------------------------------------------------------------
# (e) files other users can change, as root
# ------------------------------------------------------------------------------------

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1
# A user and a group that are not root's.
OTHER_USER=nobody
OTHER_GROUP=$(id -gn nobody 2>/dev/null || echo nogroup)
OTHER_UID=$(id -u nobody 2>/dev/null)
OTHER_GID=$(getent group "$OTHER_GROUP" | cut -d: -f3)

root_project() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	chmod 644 retort.yaml
	chmod 755 versions
}

# refused WHAT PATH WHY: the last run was refused as root with the message about PATH.
refused() {
	expect_exit 2
	expect_stderr_contains "refusing to use $1 '$2' as root: it is writable by $3"
	expect_stderr_contains "chmod go-w"
	expect_stdout_empty
}

test_case "(e) as root: a config file writable by others, by a group, or owned by another user is refused, then accepted"
(
	[ "$IS_ROOT" = 1 ] || { echo "# not root: this case checks that nothing is refused"; }
	root_project
	run_ok retort upgrade a1
	chmod o+w retort.yaml
	run retort upgrade head
	if [ "$IS_ROOT" = 0 ]; then expect_exit 0; exit 0; fi
	refused "config file" retort.yaml "every user"
	expect_eq "$(versions_of app.db)" a1 "version rows after the refusal"
	run retort --json current
	expect_exit 2
	expect_json "d['ok'] is False and 'writable by every user' in d['error']['message'] and d['error']['file'] == 'retort.yaml'"
	chmod o-w retort.yaml
	chmod g+w retort.yaml
	chgrp "$OTHER_GROUP" retort.yaml
	run retort upgrade head
	refused "config file" retort.yaml "the members of group $OTHER_GID"
	chgrp root retort.yaml
	run retort current
	expect_exit 0
	chmod g-w retort.yaml
	chown "$OTHER_USER" retort.yaml
	run retort upgrade head
	refused "config file" retort.yaml "its owner, uid $OTHER_UID"
	# the owner can always chmod u+w: read-only does not make another user's file safe
	chmod 444 retort.yaml
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "refusing to use config file 'retort.yaml' as root"
	chown root retort.yaml
	chmod 644 retort.yaml
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows once fixed"
	# -c elsewhere
	cp retort.yaml ../other.yaml
	sed -i 's|sqlite:///app.db|sqlite:///proj/app.db|; s|^script_location: .*|script_location: proj|' ../other.yaml
	chmod 646 ../other.yaml
	run retort -c ../other.yaml current
	expect_exit 2
	expect_stderr_contains "refusing to use config file"
	expect_stderr_contains "other.yaml"
)

test_case "(e) as root: a version directory writable by others, by a group, sticky or owned by another user is refused, then accepted"
(
	root_project
	for how in "chmod 777" "chmod 1777" "chmod 775:chgrp $OTHER_GROUP" "chown $OTHER_USER" "chown $OTHER_USER:chmod 555"; do
		chmod 755 versions
		chown root:root versions
		IFS=:
		for step in $how; do
			IFS=' '
			$step versions || fail "setup: $step versions"
		done
		IFS=' '
		run retort upgrade head
		if [ "$IS_ROOT" = 0 ]; then expect_exit 0; continue; fi
		expect_exit 2
		expect_stderr_contains "refusing to use version directory 'versions' as root: it is writable by"
		expect_stderr_contains "chmod go-w"
		expect_eq "$(versions_of app.db)" "" "version rows after the refusal ($how)"
		run retort heads
		expect_exit 2
	done
	chmod 755 versions
	chown root:root versions
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows once fixed"
)

test_case "(e) as root: an extra version location writable by others is refused"
(
	root_project
	mkdir extra
	write_rev e1 a2
	mv versions/e1_rev.sql extra/
	echo "version_locations: [extra]" >>retort.yaml
	run_ok retort heads
	chmod 777 extra
	run retort upgrade head
	[ "$IS_ROOT" = 1 ] || { expect_exit 0; exit 0; }
	expect_exit 2
	expect_stderr_contains "refusing to use version directory 'extra' as root: it is writable by every user"
	chmod 755 extra
	run retort upgrade head
	expect_exit 0
)

test_case "(e) as root: a revision file another user can change is refused"
(
	root_project
	chmod 666 versions/a2_rev.sql
	run retort upgrade head
	[ "$IS_ROOT" = 1 ] || { expect_exit 0; exit 0; }
	expect_exit 2
	expect_stderr_contains "a2_rev.sql"
	expect_stderr_contains "as root: it is writable by every user"
	expect_eq "$(versions_of app.db)" "" "version rows after the refusal"
	chmod 644 versions/a2_rev.sql
	chown "$OTHER_USER" versions/a2_rev.sql
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "a2_rev.sql"
	chown root versions/a2_rev.sql
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows once fixed"
)

test_case "(e) an unprivileged user is not subject to the rule: group/other-writable files work"
(
	[ "$IS_ROOT" = 1 ] || { _asserted; echo "# not root: nothing to compare"; exit 0; }
	command -v runuser >/dev/null 2>&1 || fail "runuser is required (util-linux)"
	# a directory the unprivileged user can reach (the trash directory is root's, 0700)
	NB=$(mktemp -d "${TMPDIR:-/tmp}/retort-nobody.XXXXXX") || fail "setup: mktemp"
	trap 'rm -rf "$NB"' EXIT
	chmod 755 "$NB"
	cp "$(cd "$CLI_TESTS_DIR/../.." && pwd)/migrations_example/retort.yaml" "$NB/" &&
		cp -R "$(cd "$CLI_TESTS_DIR/../.." && pwd)/migrations_example/versions" "$NB/" || fail "setup: copy"
	chown -R "$OTHER_USER" "$NB"
	chmod 666 "$NB/retort.yaml"
	chmod 777 "$NB/versions"
	chmod 666 "$NB"/versions/*.sql
	as_nobody() { (cd "$NB" && runuser -u "$OTHER_USER" -- "$RETORT" "$@"); }
	run as_nobody upgrade head
	expect_exit 0
	expect_stderr_not_contains "refusing"
	run as_nobody current
	expect_exit 0
	expect_stdout_equals "efcd9f544633 (audit, invoicing) (head)"
	run as_nobody check
	expect_exit 0
	# and root refuses the very same project
	run sh -c "cd '$NB' && '$RETORT' current"
	expect_exit 2
	expect_stderr_contains "refusing to use config file 'retort.yaml' as root: it is writable by every user"
)

rm -f "$PWNED" "$PWNED".*
test_done
