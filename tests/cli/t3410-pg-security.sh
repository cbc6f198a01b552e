#!/bin/sh
# Security on PostgreSQL (the SQLite and server-less parts: t3400-security.sh).
#  (a) a role that logs in with a password (scram-sha-256), the password with characters
#      a URL must percent-encode: all 17 commands (and the offline forms), with the
#      password in the URL, in ?password=, in a keyword string, in PGPASSWORD, in the
#      config's database.url (and as a variable a script uses), in RETORT_DATABASE_URL,
#      DATABASE_URL and ~/.pgpass; with -v, --json and -q; and on failures (a bad target,
#      several heads, a failing statement that shows the value, connection refused, a
#      wrong password, a lock timeout, the migration lock held by another run, a
#      statement timeout): never in stdout, stderr, nor any row of the history table;
#      every --json output is valid JSON; with the passwords true, e, 1, ", \ the whole
#      loop prints what it prints with any other password (nothing of retort's own text is
#      rewritten), while a server message quoting the value is still masked inside;
#  (b) version_table_schema, version_table and history_table with quotes, spaces,
#      semicolons, a dot, upper case, $$, backslashes and non-ASCII letters: the whole loop
#      (upgrade, current, history -v, check, downgrade, stamp), the offline scripts
#      through psql, and nothing else in the database created or dropped.
. "$(dirname "$0")/pg-lib.sh"

ROLE=rt_sec_$$
SECRET="S3cr3t-$$@p:w/d%x!"
SECRET_ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$SECRET")
LEAK_FRAGMENTS="S3cr3t-$$ p:w/d%x %3Aw%2Fd%25x"

# A role that must log in with its password, as in t2000-pg-connection.sh.
password_role "$ROLE" "$SECRET"

# history_secret_free [TABLE]: no row of the history table holds the password.
history_secret_free() {
	psql_db "SELECT h::text FROM \"${1:-retort_version_history}\" h ORDER BY id" >"$_T_ROOT/history.txt" 2>&1 ||
		fail "cannot read the history table" "its rows" "$(cat "$_T_ROOT/history.txt")"
	[ -s "$_T_ROOT/history.txt" ] || fail "the history table is empty"
	no_secret "$_T_ROOT/history.txt"
}

# role_case: the case's schema, owned by the role; URLs to it with and without the password.
role_case() {
	pg_case
	pq "ALTER SCHEMA $SCHEMA OWNER TO $ROLE; GRANT CONNECT, CREATE ON DATABASE $PG_DB TO $ROLE" >/dev/null
	_opts=$(urlenc "-csearch_path=$SCHEMA")
	URL_NOPW="postgresql://$ROLE@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$_opts"
	URL_USERINFO="postgresql://$ROLE:$SECRET_ENC@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$_opts"
	URL_QUERY="$URL_NOPW&password=$SECRET_ENC"
	URL_KEYWORDS="host='$_PG_HOST' port=$_PG_PORT dbname=$PG_DB user=$ROLE password=$SECRET options='-c search_path=$SCHEMA'"
}

# sec_project URL [CONFIG LINES]: a1 <- a2, a1 <- b2 (label feat): two heads; the password
# also as the variable app_password, which b2 inserts into t_b2.
sec_project() {
	{
		echo "script_location: ."
		echo "database:"
		echo "  url: \"$1\""
		echo "variables:"
		echo "  app_password: \"$SECRET\""
		[ -n "$2" ] && printf '%s\n' "$2"
	} >retort.yaml
	mkdir -p versions
	write_rev a1 null
	write_rev a2 a1
	write_rev b2 a1 "branch_labels: [feat]" "CREATE TABLE t_b2 (v text);
INSERT INTO t_b2 VALUES ('\${app_password}');" "DROP TABLE t_b2;"
	RUN_CMD=
}

# The commands, in an order that starts and ends at base, each with its exit status (and
# the one with --json when that differs: graph prints DOT, --sql prints SQL).
SEQUENCE="version|0
help|0
help upgrade|0
list-templates|0
heads|0
branches|0
history|0
show a1|0
graph|0|2
check --no-db|0
current|0
upgrade a1|0
upgrade head|2
upgrade nosuch|2
upgrade heads|0
current --verbose|0
history --verbose --indicate-current|0
graph|0|2
check|0
stamp a1|0
stamp heads|0
downgrade a1|0
downgrade base|0
edit a1|0
upgrade --sql a1:a2|0|2
downgrade --sql a2:a1|0|2
stamp --sql base:a2|0|2"
# Commands that write files, run in a scratch copy of the project.
WRITERS="init newproj|0|0
revision -m r --head a2|0|0
merge -m m heads|0|0"

# every_command [ENV=VALUE...] -- [GLOBAL OPTIONS...]: SEQUENCE then WRITERS with -v, with
# -v --json and with -q, with these settings; no output shows the password, each exits as
# listed; then the history table holds it in no row.
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
		for _mode in $OUTPUT_MODES; do
			printf '%s\n%s\n' "$SEQUENCE" "$WRITERS" >"$_T_ROOT/commands"
			while IFS= read -r _line; do
				_c=${_line%%|*}
				_want=${_line#*|}
				_want_json=${_want#*|}
				_want=${_want%%|*}
				_scratch=
				case "
$WRITERS
" in *"
$_line
"*) _scratch=1 ;; esac
				if [ -n "$_scratch" ]; then
					_home=$PWD
					rm -rf "$_home/scratch" && mkdir "$_home/scratch" &&
						cp -R retort.yaml versions "$_home/scratch/" && cd "$_home/scratch" ||
						fail "setup: cannot copy the project"
				fi
				# shellcheck disable=SC2086
				secret_run "$_mode" "$_want" "$_want_json" "$@" $_c
				if [ -n "$_scratch" ]; then cd "$_home" || fail "cd back"; fi
			done <"$_T_ROOT/commands"
		done
		history_secret_free
	) || exit 1
}

test_case "(a) the variable holding the password has its real value online"
(
	role_case
	sec_project "$URL_USERINFO"
	run retort upgrade heads
	expect_exit 0
	no_secret
	expect_eq "$(psql_db "SELECT v FROM t_b2")" "$SECRET" "the value b2 inserted"
	history_secret_free
)

test_case "(a) the password in the URL, percent-encoded: every command, -v, --json, -q, and the history"
(
	role_case
	sec_project "sqlite:///unused.db"
	every_command -- --url "$URL_USERINFO"
)

test_case "(a) the password as ?password= and in a keyword string"
(
	role_case
	sec_project "sqlite:///unused.db"
	every_command -- --url "$URL_QUERY"
	every_command -- --url "$URL_KEYWORDS"
)

test_case "(a) the password in PGPASSWORD"
(
	role_case
	sec_project "$URL_NOPW"
	every_command "PGPASSWORD=$SECRET" --
)

test_case "(a) the password in the config's database.url, in RETORT_DATABASE_URL, in DATABASE_URL"
(
	role_case
	sec_project "$URL_USERINFO"
	every_command --
	sec_project "sqlite:///unused.db"
	every_command "RETORT_DATABASE_URL=$URL_USERINFO" --
	every_command "DATABASE_URL=$URL_QUERY" --
)

test_case "(a) the password in ~/.pgpass"
(
	role_case
	sec_project "$URL_NOPW"
	# .pgpass fields escape ':' and '\'
	printf '*:*:*:%s:%s\n' "$ROLE" "$(printf '%s' "$SECRET" | sed 's/[\\:]/\\&/g')" >.pgpass
	chmod 600 .pgpass
	every_command "HOME=$PWD" --
)

test_case "(a) a variable holding the password: show -v shows the statement as written, never the value, whatever the password's source"
(
	role_case
	sec_project "$URL_NOPW"
	run retort -v --url "$URL_USERINFO" show b2
	expect_exit 0
	expect_stdout_contains "INSERT INTO t_b2 VALUES ('\${app_password}')"
	no_secret
	run retort -v --url "$URL_KEYWORDS" show b2
	expect_exit 0
	no_secret
	PGPASSWORD=$SECRET run retort -v show b2
	expect_exit 0
	no_secret
	expect_stdout_contains "INSERT INTO t_b2 VALUES ('\${app_password}')"
	printf '*:*:*:%s:%s\n' "$ROLE" "$(printf '%s' "$SECRET" | sed 's/[\\:]/\\&/g')" >.pgpass
	chmod 600 .pgpass
	HOME=$PWD run retort -v show b2
	expect_exit 0
	no_secret
)

test_case "(a) upgrade --sql through a script using the password as a variable: never the password, never '****' as SQL"
(
	role_case
	sec_project "$URL_USERINFO"
	run retort upgrade --sql a1:b2
	no_secret
	expect_stdout_not_contains "****"
	expect_exit 2
	expect_stderr_contains "app_password"
	PGPASSWORD=$SECRET run retort --url "$URL_NOPW" upgrade --sql a1:b2
	no_secret
	expect_exit 2
)

test_case "(a) failures: a statement showing the value, a wrong password, connection refused; never printed nor stored"
(
	role_case
	sec_project "$URL_USERINFO"
	write_rev x3 a2 "" "SELECT '\${app_password}'::integer;" ""
	run_ok retort upgrade a2
	for mode in "" "-v" "-v --json"; do
		# shellcheck disable=SC2086
		run retort $mode upgrade x3
		expect_exit 1
		no_secret
		expect_stderr_contains 'invalid input syntax for type integer: "****"'
		# shellcheck disable=SC2086
		PGPASSWORD=$SECRET run retort $mode --url "$URL_NOPW" upgrade x3
		expect_exit 1
		no_secret
		# shellcheck disable=SC2086
		run retort $mode current --verbose
		expect_exit 0
		no_secret
		# a wrong password (the right one as a prefix): masked too
		# shellcheck disable=SC2086
		run retort $mode --url "postgresql://$ROLE:${SECRET_ENC}zz@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT" current
		expect_exit 1
		no_secret
		expect_stderr_contains "password authentication failed"
		# nobody listens on port 1
		# shellcheck disable=SC2086
		run retort $mode --url "postgresql://$ROLE:$SECRET_ENC@127.0.0.1:1/$PG_DB?connect_timeout=3" upgrade heads
		expect_exit 1
		no_secret
		# shellcheck disable=SC2086
		PGPASSWORD=$SECRET run retort $mode --url "host=127.0.0.1 port=1 dbname=$PG_DB user=$ROLE connect_timeout=3" current
		expect_exit 1
		no_secret
	done
	run retort --json upgrade x3
	expect_json 'd["ok"] is False and "****" in d["error"]["message"]'
	history_secret_free
	expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE revision = 'x3' AND status = 'failed'
	                      AND error LIKE '%\"****\"%'")" 7 "failed runs of x3 recorded with the value masked"
)

test_case "(a) failures: a lock timeout and a statement timeout on statements holding the value"
(
	role_case
	sec_project "$URL_USERINFO" "postgresql:
  lock_timeout: 200ms
  lock_retries: 1
  statement_timeout: $(slow 1)s"
	pq "CREATE TABLE held (id int); ALTER TABLE held OWNER TO $ROLE"
	write_rev l3 a2 "" "ALTER TABLE held ADD COLUMN note text DEFAULT '\${app_password}';" "ALTER TABLE held DROP COLUMN note;"
	write_rev s4 l3 "" "SELECT pg_sleep($(slow 3)), '\${app_password}';" ""
	run_ok retort upgrade a2
	session_bg holder "BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($(slow 20)); COMMIT;"
	lock_holder_ready held AccessExclusiveLock
	for mode in "-v" "-v --json"; do
		# shellcheck disable=SC2086
		run retort $mode upgrade l3
		expect_exit 1
		no_secret
		expect_stderr_contains "lock timeout"
	done
	psql_db "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'retort-tests-other'" >/dev/null
	run retort upgrade l3
	expect_exit 0
	no_secret
	for mode in "-v" "-v --json"; do
		# shellcheck disable=SC2086
		run retort $mode upgrade s4
		expect_exit 1
		no_secret
		expect_stderr_contains "statement timeout"
	done
	history_secret_free
)

test_case "(a) failures: the migration lock held by another run (lock_wait)"
(
	role_case
	sec_project "$URL_USERINFO" "lock_wait: 300ms"
	write_rev z3 a2 "" "SELECT pg_sleep($(slow 4));" ""
	retort_bg first upgrade z3
	first=$BG_PID
	pg_wait_for 10 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	                AND query LIKE 'SELECT pg_sleep($(slow 4))%'" 1 "the first run's pg_sleep"
	for mode in "-v" "-v --json"; do
		# shellcheck disable=SC2086
		run retort $mode upgrade z3
		expect_exit 1
		no_secret
		grep -qi lock "$RUN_STDERR" || fail "the message does not mention the lock" "...lock..." "$(cat "$RUN_STDERR")"
		_asserted
		# shellcheck disable=SC2086
		PGPASSWORD=$SECRET run retort $mode --url "$URL_NOPW" downgrade base
		expect_exit 1
		no_secret
	done
	wait_bg 60 "$first"
	expect_eq "$(cat first.rc)" 0 "exit status of the first run"
	no_secret first.out first.err
	history_secret_free
)

# Passwords that once corrupted output, when masking replaced their text everywhere: a
# JSON literal, a letter found in every other word, a digit, JSON's metacharacters; the
# realistic one first, as the reference. One per line.
SHORT_PASSWORDS="$SECRET
true
e
1
\"
\\"
SHORT_SEQUENCE="heads
history
show -v b2
current
upgrade a1
upgrade heads
current --verbose
history --verbose --indicate-current
graph
check
stamp a1
stamp heads
downgrade a1
upgrade --sql a1:a2
upgrade --sql base:heads
revision -m r --head a2 --rev-id r1
merge -m m heads --rev-id m1
downgrade base"

# short_password_outputs PASSWORD DIR: the role's password becomes PASSWORD (in the URL
# and as the variable app_password), the case's schema starts empty, and SHORT_SEQUENCE
# runs with -v then -v --json; each --json run prints valid JSON; the normalized outputs
# go to DIR (absolute), one file per run.
short_password_outputs() {
	psql_admin "SET password_encryption = 'scram-sha-256'; ALTER ROLE $ROLE PASSWORD '$(printf '%s' "$1" | sed "s/'/''/g")'" >/dev/null ||
		fail "setup: cannot set the role's password"
	pq "DROP SCHEMA $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA AUTHORIZATION $ROLE" >/dev/null
	_pw_enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1")
	rm -rf p && mkdir p && cd p || fail "setup: cannot make the project"
	sec_project "postgresql://$ROLE:$_pw_enc@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$_opts"
	sed -i '/app_password/d' retort.yaml
	printf "  app_password: '%s'\n" "$(printf '%s' "$1" | sed "s/'/''/g")" >>retort.yaml
	mkdir -p "$2"
	_n=0
	printf '%s\n' "$SHORT_SEQUENCE" >"$_T_ROOT/short-sequence"
	while IFS= read -r _c; do
		for _mode in "-v" "-v --json"; do
			_n=$((_n + 1))
			case $_c in revision* | merge*)
				rm -rf ../w && cp -R . ../w && cd ../w || fail "setup: cannot copy the project" ;;
			esac
			# shellcheck disable=SC2086
			run retort $_mode $_c
			case $_mode in *--json) expect_json ;; esac
			{ echo "retort $_mode $_c: exit $RUN_EXIT"; normalized_output; } >"$2/$_n"
			cd ../p || fail "cd back"
		done
	done <"$_T_ROOT/short-sequence"
	cd .. || fail "cd back"
}

test_case "(a) passwords true, e, 1, \", \\ online: every --json output is valid JSON, the output is the same as with any other password"
(
	role_case
	printf '%s\n' "$SHORT_PASSWORDS" >short-passwords
	_ref=
	while IFS= read -r pw; do
		_this="$(pwd)/out.$(printf '%s' "$pw" | od -An -tx1 | tr -d ' \n')"
		short_password_outputs "$pw" "$_this"
		_rows=$(psql_db "SELECT string_agg(revision || ' ' || direction || ' ' || status, ', ' ORDER BY id)
		                 FROM retort_version_history")
		if [ -z "$_ref" ]; then
			_ref=$_this
			_ref_rows=$_rows
			expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE direction = 'upgrade'")" 3 \
				"upgrade runs with the reference password"
			continue
		fi
		expect_eq "$_rows" "$_ref_rows" "history rows with the password '$pw'"
		_asserted
		diff -r "$_ref" "$_this" >diff.txt || fail "with the password '$pw' the output differs from the realistic password's" \
			"the same output" "$(head -c 4000 diff.txt)"
	done <short-passwords
	# the comparison compares something: runs, JSON literals and the masked URL are there
	grep -q '"is_current": true' "$_ref"/* || fail "no is_current in the reference outputs"
	grep -q 'Running upgrade a1 -> b2' "$_ref"/* || fail "no upgrade in the reference outputs"
	grep -q "postgresql://$ROLE:\*\*\*\*@/$PG_DB" "$_ref"/* || fail "no masked URL in the reference outputs"
)

test_case "(a) passwords true, e and \\: a server message quoting the value is still masked inside"
(
	role_case
	for pw in true e '\'; do
		psql_admin "SET password_encryption = 'scram-sha-256'; ALTER ROLE $ROLE PASSWORD '$pw'" >/dev/null ||
			fail "setup: cannot set the role's password"
		pq "DROP SCHEMA $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA AUTHORIZATION $ROLE" >/dev/null
		rm -rf p && mkdir p && cd p || fail "setup"
		sec_project "postgresql://$ROLE:$(urlenc "$pw")@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$_opts"
		sed -i '/app_password/d' retort.yaml
		printf "  app_password: '%s'\n" "$pw" >>retort.yaml
		write_rev x3 a2 "" "SELECT '\${app_password}'::integer;" ""
		for mode in "" "--json"; do
			# shellcheck disable=SC2086
			run retort $mode upgrade x3
			expect_exit 1
			expect_stderr_contains 'error: versions/x3_rev.sql:9: invalid input syntax for type integer: "****" (22P02)'
			expect_stderr_contains "LINE 9: SELECT '****'::integer"
			case $mode in --json) expect_json 'd["ok"] is False and d["error"]["message"].endswith("/versions/x3_rev.sql:9: invalid input syntax for type integer: \"****\" (22P02)")' ;; esac
		done
		expect_eq "$(psql_db "SELECT count(*) FROM retort_version_history WHERE revision = 'x3' AND error LIKE '%\"****\"%'")" 2 \
			"failed runs of x3 recorded masked (password '$pw')"
		cd .. || fail "cd back"
	done
)

# ------------------------------------------------------------------------------------
# (b) identifiers from the config
# ------------------------------------------------------------------------------------

# odd_names: names a careless tool breaks on, the schema's unique to the case. Each under
# PostgreSQL's 63 bytes.
odd_names() {
	ODD_SCHEMA="Ops.\"S\" ;\$\$ \\ É✓ $SCHEMA"
	ODD_TABLE='Ver "T"; DROP TABLE canary; -- $$ \x É'
	ODD_HISTORY="H \$tag\$ \\\\ ;')-- Ñ✓"
}
yaml_sq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }
sq() { printf '%s' "$1" | sed "s/'/''/g"; }
dq() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

odd_config() {
	printf 'version_table_schema: %s\nversion_table: %s\nhistory_table: %s\n' \
		"$(yaml_sq "$1")" "$(yaml_sq "$ODD_TABLE")" "$(yaml_sq "$ODD_HISTORY")"
}
odd_project() {
	pg_project "$(odd_config "$1")"
	write_rev a1 null
	write_rev a2 a1
}

# odd_rows SCHEMA: the version rows, space separated.
odd_rows() {
	pq "SELECT coalesce(string_agg(version_num, ' ' ORDER BY version_num COLLATE \"C\"), '')
	         FROM $(dq "$1").$(dq "$ODD_TABLE")"
}
odd_history() {
	pq "SELECT string_agg(revision || ' ' || direction || ' ' || status, ', ' ORDER BY id)
	         FROM $(dq "$1").$(dq "$ODD_HISTORY")"
}

# expect_same_catalog ACTUAL EXPECTED WHAT: two listings are equal; the failure shows the diff.
expect_same_catalog() {
	_asserted
	[ "$1" = "$2" ] || fail "$3 differs (< expected, > actual)" "no difference" \
		"$(printf '%s\n' "$2" >"$_T_ROOT/exp.txt"; printf '%s\n' "$1" >"$_T_ROOT/act.txt"; diff "$_T_ROOT/exp.txt" "$_T_ROOT/act.txt")"
}

# plus_tables SCHEMA LIST: LIST (lines) with what write_rev's a1 and a2 create in SCHEMA
# (tables t_a1, t_a2 and their primary keys), sorted.
plus_tables() {
	printf '%s\n' "$2" "relation $1.t_a1 r" "relation $1.t_a1_pkey i" "relation $1.t_a2 r" "relation $1.t_a2_pkey i" |
		grep -v '^$' | LC_ALL=C sort
}

# catalog_outside SCHEMA: every schema of the database, and every relation, function and
# type outside SCHEMA and the system schemas ("kind schema.name"), sorted.
catalog_outside() {
	pq "SELECT line FROM (
	           SELECT 'schema ' || nspname AS line FROM pg_namespace
	            WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
	           UNION ALL
	           SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text
	             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	            WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND n.nspname <> '$(sq "$1")'
	           UNION ALL
	           SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	            WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
	           UNION ALL
	           SELECT 'type ' || n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
	            WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' AND n.nspname <> '$(sq "$1")'
	              AND t.typrelid = 0 AND t.typcategory <> 'A'
	         ) x ORDER BY line COLLATE \"C\""
}

# tables_in SCHEMA: the tables and views of SCHEMA, and any other relation that is not an
# index or a sequence of one of its tables, "name kind", sorted.
tables_in() {
	pq "SELECT c.relname || ' ' || c.relkind::text FROM pg_class c
	          WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = '$(sq "$1")')
	            AND (c.relkind IN ('r', 'p', 'v', 'm', 'f')
	                 OR (c.relkind = 'i' AND NOT EXISTS (SELECT 1 FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
	                                                      WHERE x.indexrelid = c.oid AND t.relnamespace = c.relnamespace))
	                 OR (c.relkind NOT IN ('i') AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
	                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
	                                   AND t.relnamespace = c.relnamespace AND t.relkind = 'r')))
	          ORDER BY (c.relname || ' ' || c.relkind::text) COLLATE \"C\""
}

test_case "(b) odd schema, version and history table names: the whole loop, and nothing else created or dropped"
(
	pg_case
	odd_names
	odd_project "$ODD_SCHEMA"
	pq "CREATE TABLE canary (x int); INSERT INTO canary VALUES (42)"
	before=$(catalog_outside "$ODD_SCHEMA")
	run retort upgrade a1
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA")" a2 "version rows"
	expect_eq "$(tables_in "$ODD_SCHEMA")" "$ODD_HISTORY r
$ODD_TABLE r" "tables in the odd schema"
	expect_same_catalog "$(catalog_outside "$ODD_SCHEMA" | grep -v -x -F "schema $ODD_SCHEMA")" \
		"$(plus_tables "$SCHEMA" "$before")" \
		"everything outside the odd schema, after upgrade head"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_namespace WHERE nspname = '$(sq "$ODD_SCHEMA")'")" 1 "the odd schema exists once"
	expect_eq "$(psql_db "SELECT x FROM canary")" 42 "the canary's row"
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
	expect_eq "$(odd_rows "$ODD_SCHEMA")" a1 "version rows after downgrade -1"
	run retort stamp head
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA")" a2 "version rows after stamp head"
	run retort stamp --purge a1
	expect_exit 0
	run retort downgrade base
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA")" "" "version rows at base"
	expect_eq "$(odd_history "$ODD_SCHEMA")" \
		"a1 upgrade applied, a2 upgrade applied, a2 downgrade applied, a2 stamp applied, a1 stamp applied, a1 downgrade applied" \
		"history rows"
	expect_same_catalog "$(catalog_outside "$ODD_SCHEMA" | grep -v -x -F "schema $ODD_SCHEMA")" "$before" "everything outside the odd schema, at base"
	expect_eq "$(tables_in "$ODD_SCHEMA")" "$ODD_HISTORY r
$ODD_TABLE r" "tables in the odd schema at base"
	expect_eq "$(psql_db "SELECT x FROM canary")" 42 "the canary's row"
)

test_case "(b) odd names: the offline scripts through psql leave what the online run leaves"
(
	pg_case
	odd_names
	ODD_OFF="Off.\"S\" ;\$\$ \\ É✓ $SCHEMA"
	odd_project "$ODD_SCHEMA"
	pq "CREATE SCHEMA ${SCHEMA}_off; CREATE TABLE canary (x int)"
	run_ok retort upgrade head
	before=$(catalog_outside "$ODD_OFF")
	{
		grep -v -e '^version_table' -e '^history_table' retort.yaml
		odd_config "$ODD_OFF"
	} >offline.yaml
	run retort -c offline.yaml upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_OFF")" "$(odd_rows "$ODD_SCHEMA")" "version rows, offline vs online"
	expect_eq "$(odd_history "$ODD_OFF")" "$(odd_history "$ODD_SCHEMA")" "history rows, offline vs online"
	expect_eq "$(tables_in "$ODD_OFF")" "$(tables_in "$ODD_SCHEMA")" "tables of the offline version schema"
	expect_same_catalog "$(catalog_outside "$ODD_OFF" | grep -v -x -F "schema $ODD_OFF")" \
		"$(plus_tables "${SCHEMA}_off" "$before")" \
		"everything outside the offline version schema"
	# the guard: a second run of the same script changes nothing
	run psql_file up.sql "${SCHEMA}_off"
	[ "$RUN_EXIT" != 0 ] || fail "the offline script ran twice" "a guard failure" "exit 0"
	_asserted
	expect_eq "$(odd_rows "$ODD_OFF")" a2 "version rows after the refused rerun"
	run retort -c offline.yaml downgrade --sql head:base
	expect_exit 0
	cp "$RUN_STDOUT" down.sql
	run psql_file down.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_OFF")" "" "version rows after the offline downgrade"
	expect_eq "$(pg_tables "${SCHEMA}_off")" "" "tables left by the offline downgrade"
	run retort -c offline.yaml stamp --sql base:a2
	expect_exit 0
	cp "$RUN_STDOUT" stamp.sql
	run psql_file stamp.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_OFF")" a2 "version rows after the offline stamp"
	expect_eq "$(psql_db "SELECT count(*) FROM canary")" 0 "the canary table is still there"
)

test_case "(b) version_table_schema holding a dot is one schema, not schema.table"
(
	pg_case
	pg_project "version_table_schema: 'public.$SCHEMA'"
	write_rev a1 null
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT count(*) FROM pg_namespace WHERE nspname = 'public.$SCHEMA'")" 1 "the schema named with a dot"
	expect_eq "$(psql_db "SELECT version_num FROM \"public.$SCHEMA\".retort_version")" a1 "version rows"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'retort%'")" 0 \
		"retort tables in public"
)

test_done
