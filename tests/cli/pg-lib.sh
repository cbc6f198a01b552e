# pg-lib.sh - helpers for retort's PostgreSQL CLI tests (tests/cli/t2NNN-pg-*.sh), on
# top of lib.sh. A PostgreSQL test file sources this file instead of lib.sh:
#
#	. "$(dirname "$0")/pg-lib.sh"
#
#	test_case "upgrade head applies every revision"
#	(
#		pg_project
#		write_rev a1 null
#		run retort upgrade head
#		expect_exit 0
#		expect_eq "$(pg_versions)" "a1"
#	)
#
#	test_done
#
# The server is the one tests/pg/with-pg.sh started (make cli runs the suite under it):
# its PGHOST, PGPORT and PGUSER are read here, before lib.sh removes every PG* variable
# from the environment, so that retort only ever sees the URL a test gives it. Without
# PGHOST the file FAILS: a PostgreSQL test that cannot reach a server is no pass.
#
# Each file gets a database of its own (CREATE DATABASE ... TEMPLATE template0, dropped
# WITH (FORCE) when the file ends), and each test case a schema of its own in it
# (pg_case): the case's URL sets search_path to that schema, so retort's tables, the
# revisions' objects and the migration lock (keyed on the version table's qualified
# name) never meet another case's. One database per file, not per case: see
# ../shared/BENCHMARKING.md on what mass drops do to this disk.
#
# Everything that waits is bounded: retort runs under timeout(1), polls give up after a
# number of seconds, and when a case ends (passing or failing) its background processes
# are killed and every other session on the file's database is terminated.

_PG_HOST=${PGHOST:-}
_PG_PORT=${PGPORT:-5432}
_PG_USER=${PGUSER:-postgres}

. "$(dirname "$0")/lib.sh"

if [ -z "$_PG_HOST" ]; then
	echo "FAILED: $TEST_FILE: PGHOST is not set; PostgreSQL tests need a server:" >&2
	echo "  run them with: make cli T=-pg-   (or: RETORT=\$PWD/retort sh tests/pg/with-pg.sh sh tests/cli/run-all.sh -pg-)" >&2
	[ -n "$_CLI_OWN_TRASH" ] && rm -rf "$_T_ROOT"
	exit 1
fi

# PostgreSQL's own psql: Debian's /usr/bin/psql is a Perl wrapper that costs ~18 ms a call.
PSQL=
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir 2>/dev/null)/psql" ]; then
	PSQL=$(pg_config --bindir)/psql
fi
if [ -z "$PSQL" ]; then
	for _d in /usr/lib/postgresql/*/bin; do
		[ -x "$_d/psql" ] && PSQL=$_d/psql
	done
fi
[ -n "$PSQL" ] || PSQL=$(command -v psql) || {
	echo "FAILED: $TEST_FILE: no psql found" >&2
	exit 1
}

# SLOW scales every time limit and every sleep that must outlast a retort start: 1, or
# 10 under valgrind.
SLOW=1
[ "$VALGRIND" = 1 ] && SLOW=10

# slow SECONDS: SECONDS times SLOW (for pg_sleep in revisions).
slow() {
	awk -v s="$1" -v f="$SLOW" 'BEGIN { print s * f }'
}

# within MS LIMIT WHAT: MS (a measured duration) is below LIMIT milliseconds times SLOW.
within() {
	_asserted
	[ "$1" -lt $(( $2 * SLOW )) ] || fail "$3 took $1 ms" "< $(( $2 * SLOW )) ms" "$1 ms"
}

# retort runs under timeout(1): a hung run ends (status 124) instead of hanging the suite.
PG_TIMEOUT=${PG_TIMEOUT:-60}
[ "$VALGRIND" = 1 ] && PG_TIMEOUT=600
retort() {
	if [ "$VALGRIND" = 1 ]; then
		timeout -k 5 "$PG_TIMEOUT" valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 "$RETORT" "$@"
	else
		timeout -k 5 "$PG_TIMEOUT" "$RETORT" "$@"
	fi
}

# A database name unique to this file and this run.
PG_DB=rt_$(echo "${TEST_FILE%.sh}" | tr -c 'A-Za-z0-9\n' '_' | tr 'A-Z' 'a-z')_$$

# psql_admin SQL: runs SQL as the server's user on the maintenance database.
psql_admin() {
	PGOPTIONS='' PGAPPNAME=retort-tests "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h "$_PG_HOST" \
		-p "$_PG_PORT" -U "$_PG_USER" -d postgres -c "$1"
}

_pg_drop_db() {
	_st=$?
	trap - EXIT INT TERM HUP
	psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
	exit $_st
}

psql_admin "CREATE DATABASE \"$PG_DB\" TEMPLATE template0" >/dev/null || {
	echo "FAILED: $TEST_FILE: cannot create database $PG_DB on the server at $_PG_HOST port $_PG_PORT" >&2
	exit 1
}
trap _pg_drop_db EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# urlenc TEXT: TEXT percent-encoded for a URL's query string.
urlenc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="/"))' "$1"
}

# The parts of a URL every test builds on.
PG_HOST_Q=$(urlenc "$_PG_HOST")
PG_SERVER_QUERY="host=$PG_HOST_Q&port=$_PG_PORT&user=$_PG_USER"

# ------------------------------------------------------------------------------------
# Test cases: a schema each
# ------------------------------------------------------------------------------------

# pg_case [SCHEMA]: call first in a case's subshell. Creates the case's schema (default
# c<case number>), sets SCHEMA, and PGURL: a postgresql:// URL for the file's database
# whose search_path is that schema. Background processes started with bg_track, and
# every other session on the database, end with the case.
pg_case() {
	SCHEMA=${1:-c$(printf '%02d' "$_NCASES")}
	BG_PIDS=
	trap _pg_case_cleanup EXIT
	psql_db "CREATE SCHEMA \"$SCHEMA\"" >/dev/null || fail "setup: cannot create schema $SCHEMA"
	PGURL="postgresql:///$PG_DB?$PG_SERVER_QUERY&options=$(urlenc "-csearch_path=$SCHEMA")"
	RUN_CMD=
}

# bg_track PID: PID is killed when the case ends (and the sessions of whatever it started
# are terminated on the server, so a leftover client fails at once).
bg_track() {
	BG_PIDS="$BG_PIDS $1"
}

_pg_case_cleanup() {
	_st=$?
	for _p in $BG_PIDS; do
		kill -KILL "$_p" 2>/dev/null
	done
	# a killed client leaves its backend running its statement: end those too
	psql_admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	            WHERE datname = '$PG_DB' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	exit $_st
}

# psql_db SQL [SCHEMA]: runs SQL on the file's database with search_path = SCHEMA (default
# the case's), unaligned, tuples only, stopping at the first error; application_name
# 'retort-tests', so tests can tell their own sessions from retort's.
psql_db() {
	PGOPTIONS="-c search_path=${2:-${SCHEMA:-public}}" PGAPPNAME=retort-tests "$PSQL" -X -q -At \
		-v ON_ERROR_STOP=1 -h "$_PG_HOST" -p "$_PG_PORT" -U "$_PG_USER" -d "$PG_DB" -c "$1"
}

# pq SQL: psql_db whose failure fails the case (for setup and inspection).
pq() {
	_pq_out=$(psql_db "$@" 2>&1) || fail "psql failed: $1" "success" "$_pq_out"
	[ -z "$_pq_out" ] || printf '%s\n' "$_pq_out"
}

# psql_file FILE [SCHEMA] [PSQL OPTIONS...]: runs FILE with psql -v ON_ERROR_STOP=1 -f, as a
# DBA would run an offline script (search_path = SCHEMA, default the case's); for `run`.
psql_file() {
	_pf=$1
	_ps=${2:-$SCHEMA}
	shift
	[ $# -gt 0 ] && shift
	PGOPTIONS="-c search_path=$_ps" PGAPPNAME=retort-tests "$PSQL" -X -v ON_ERROR_STOP=1 \
		-h "$_PG_HOST" -p "$_PG_PORT" -U "$_PG_USER" -d "$PG_DB" "$@" -f "$_pf"
}

# pg_project [CONFIG LINES]: a project in the current directory (retort.yaml, versions/)
# whose database.url is $PGURL, plus CONFIG LINES.
pg_project() {
	{
		echo "script_location: ."
		echo "database:"
		echo "  url: \"$PGURL\""
		[ -n "$1" ] && printf '%s\n' "$1"
	} >retort.yaml
	mkdir -p versions
	RUN_CMD=
}

# ------------------------------------------------------------------------------------
# Looking into the database
# ------------------------------------------------------------------------------------

# pg_versions [TABLE]: the version rows of the case's schema, sorted, space separated.
pg_versions() {
	psql_db "SELECT version_num FROM \"${1:-$VERSION_TABLE}\" ORDER BY version_num COLLATE \"C\"" 2>/dev/null |
		tr '\n' ' ' | sed 's/ $//'
}

# pg_history [TABLE]: "revision direction status statement_index" per history row, oldest
# first ('-' for a NULL statement_index).
pg_history() {
	psql_db "SELECT revision || ' ' || direction || ' ' || status || ' ' || coalesce(statement_index::text, '-')
	         FROM \"${1:-${VERSION_TABLE}_history}\" ORDER BY id"
}

# pg_tables [SCHEMA]: the tables of SCHEMA (default the case's) other than retort's, sorted.
pg_tables() {
	psql_db "SELECT relname FROM pg_class
	         WHERE relnamespace = '\"${1:-$SCHEMA}\"'::regnamespace AND relkind IN ('r', 'p')
	           AND relname NOT IN ('$VERSION_TABLE', '${VERSION_TABLE}_history')
	         ORDER BY relname COLLATE \"C\"" | tr '\n' ' ' | sed 's/ $//'
}

# pg_catalog_of SCHEMA: a normalised description of everything in SCHEMA, read from the
# catalog: relations with their kind, columns (type, NOT NULL, default, identity,
# generated), constraints, indexes (definition, valid, unique), partitions, views,
# functions, triggers, sequences and enum types; one line each, sorted, with the schema's
# name replaced by "@", so two schemas built the same way describe the same.
pg_catalog_of() {
	psql_db "
	WITH n AS (SELECT oid FROM pg_namespace WHERE nspname = '$1')
	SELECT line FROM (
	  SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text
	         || coalesce(' partition-of=' || (SELECT p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
	                                          WHERE i.inhrelid = c.oid), '')
	         || coalesce(' bound=' || pg_get_expr(c.relpartbound, c.oid), '')
	         || coalesce(' partkey=' || pg_get_partkeydef(c.oid), '') AS line
	    FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind IN ('r','p','v','m','f','S')
	  UNION ALL
	  SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	         || CASE WHEN a.attnotnull THEN ' not-null' ELSE '' END
	         || coalesce(' default=' || pg_get_expr(d.adbin, d.adrelid), '')
	         || CASE WHEN a.attidentity <> '' THEN ' identity=' || a.attidentity::text ELSE '' END
	         || CASE WHEN a.attgenerated <> '' THEN ' generated=' || a.attgenerated::text ELSE '' END
	         || ' #' || a.attnum
	    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind IN ('r','p','v','m','f')
	     AND a.attnum > 0 AND NOT a.attisdropped
	  UNION ALL
	  SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
	         || CASE WHEN k.convalidated THEN '' ELSE ' not-validated' END
	    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
	   WHERE c.relnamespace = (SELECT oid FROM n)
	  UNION ALL
	  SELECT 'index ' || ic.relname || ' valid=' || i.indisvalid || ' ready=' || i.indisready
	         || ' unique=' || i.indisunique || ' primary=' || i.indisprimary || ' ' || pg_get_indexdef(i.indexrelid)
	    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
	   WHERE ic.relnamespace = (SELECT oid FROM n)
	  UNION ALL
	  SELECT 'view ' || c.relname || ' ' || regexp_replace(pg_get_viewdef(c.oid), '\s+', ' ', 'g')
	    FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind IN ('v', 'm')
	  UNION ALL
	  SELECT 'function ' || regexp_replace(pg_get_functiondef(p.oid), '\s+', ' ', 'g')
	    FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM n) AND p.prokind IN ('f', 'p')
	  UNION ALL
	  SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
	    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	   WHERE c.relnamespace = (SELECT oid FROM n) AND NOT t.tgisinternal
	  UNION ALL
	  SELECT 'type ' || t.typname || ' ' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
	                                                  FROM pg_enum e WHERE e.enumtypid = t.oid), t.typtype::text)
	    FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM n) AND t.typtype IN ('e', 'd', 'r')
	  UNION ALL
	  SELECT 'comment ' || c.relname || ' ' || d.description
	    FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
	   WHERE c.relnamespace = (SELECT oid FROM n)
	) x ORDER BY line COLLATE \"C\"" "$1" | sed "s/\"$1\"\./@./g; s/\b$1\./@./g"
}

# pg_rows_of SCHEMA TABLE...: the rows of each table (every column as text), sorted.
pg_rows_of() {
	_s=$1
	shift
	for _t in "$@"; do
		echo "== $_t"
		psql_db "SELECT t::text FROM \"$_s\".\"$_t\" t ORDER BY t::text COLLATE \"C\"" "$_s"
	done
}

# pg_wait_for SECONDS SQL EXPECTED [WHAT]: polls SQL until it prints EXPECTED, for at most
# SECONDS (times SLOW); fails the case otherwise.
pg_wait_for() {
	_deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 * SLOW ))
	while :; do
		_got=$(psql_db "$2" 2>&1)
		[ "$_got" = "$3" ] && return 0
		[ "$(( $(date +%s%N) / 1000000 ))" -lt "$_deadline" ] ||
			fail "timed out after $1 s waiting for ${4:-a condition}" "$3" "$_got"
		sleep 0.05
	done
}

# wait_file_contains SECONDS FILE TEXT [PID]: waits until FILE contains TEXT, failing
# after SECONDS or when process PID has ended first.
wait_file_contains() {
	_deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 * SLOW ))
	while ! grep -q -F -e "$3" "$2" 2>/dev/null; do
		if [ -n "$4" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -q -F -e "$3" "$2" 2>/dev/null && return 0
			fail "the process ended before '$3' appeared in $2" "$3" "$(cat "$2" 2>/dev/null)"
		fi
		[ "$(( $(date +%s%N) / 1000000 ))" -lt "$_deadline" ] ||
			fail "timed out after $1 s waiting for '$3' in $2" "$3" "$(cat "$2" 2>/dev/null)"
		sleep 0.05
	done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# retort_bg NAME ARGS...: starts retort ARGS in the background; stdout/stderr in
# NAME.out/NAME.err, exit status in NAME.rc, end time (ms) in NAME.end. Sets BG_PID.
retort_bg() {
	_n=$1
	shift
	(
		retort "$@" >"$_n.out" 2>"$_n.err"
		echo $? >"$_n.rc"
		now_ms >"$_n.end"
	) &
	BG_PID=$!
	bg_track "$BG_PID"
}

# retort_bg_exec NAME ARGS...: like retort_bg, but the background process IS retort, so
# that signals sent to BG_PID reach it; no NAME.rc (use wait_bg).
retort_bg_exec() {
	_n=$1
	shift
	if [ "$VALGRIND" = 1 ]; then
		(exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
			"$RETORT" "$@" >"$_n.out" 2>"$_n.err") &
	else
		(exec "$RETORT" "$@" >"$_n.out" 2>"$_n.err") &
	fi
	BG_PID=$!
	bg_track "$BG_PID"
}

# wait_bg SECONDS PID: waits for background process PID, at most SECONDS (then kills it
# and fails the case); sets BG_RC to its exit status.
wait_bg() {
	_deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 * SLOW ))
	while kill -0 "$2" 2>/dev/null; do
		if [ "$(( $(date +%s%N) / 1000000 ))" -ge "$_deadline" ]; then
			kill -KILL "$2" 2>/dev/null
			wait "$2" 2>/dev/null
			fail "process $2 still ran after $1 s (killed)"
		fi
		sleep 0.02
	done
	wait "$2"
	BG_RC=$?
}

# session_bg NAME SQL: a psql session ("the other session", application_name
# 'retort-tests-other') running SQL in the background (output in NAME.out/NAME.err);
# sets BG_PID. Its backend is terminated when the case ends.
session_bg() {
	_n=$1
	(
		PGOPTIONS="-c search_path=$SCHEMA" PGAPPNAME=retort-tests-other exec "$PSQL" -X -q -At \
			-v ON_ERROR_STOP=1 -h "$_PG_HOST" -p "$_PG_PORT" -U "$_PG_USER" -d "$PG_DB" -c "$2" \
			>"$_n.out" 2>"$_n.err"
	) &
	BG_PID=$!
	bg_track "$BG_PID"
}

# lock_holder_ready TABLE MODE: waits (10 s at most) until the other session holds MODE
# (e.g. AccessExclusiveLock) on the case's TABLE.
lock_holder_ready() {
	pg_wait_for 10 "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
	                WHERE a.application_name = 'retort-tests-other' AND l.granted AND l.mode = '$2'
	                  AND l.relation = '\"$SCHEMA\".\"$1\"'::regclass" 1 "the other session's lock on $1"
}

# password_role ROLE SECRET: creates ROLE, which must log in with password SECRET
# (scram-sha-256): its lines go first in pg_hba.conf (first match wins, so every other
# session keeps its authentication). The file is put back as it was, and ROLE and the
# file's database dropped, when the test file ends; the original is kept in a variable,
# not a file, so whatever happens to the trash directory it is restored.
password_role() {
	HBA=$(psql_admin "SHOW hba_file")
	HBA_ORIG=$(cat "$HBA" 2>/dev/null)
	if [ -z "$HBA_ORIG" ] || [ ! -w "$HBA" ]; then
		echo "FAILED: $TEST_FILE: cannot read or write pg_hba.conf ($HBA); these tests need the throwaway server of tests/pg/with-pg.sh" >&2
		exit 1
	fi
	_PW_ROLE=$1
	trap _restore_hba EXIT
	printf 'local all %s scram-sha-256\nhost all %s 127.0.0.1/32 scram-sha-256\n%s\n' "$1" "$1" "$HBA_ORIG" >"$HBA"
	psql_admin "SET password_encryption = 'scram-sha-256'; CREATE ROLE $1 LOGIN PASSWORD '$2'; SELECT pg_reload_conf()" >/dev/null || exit 1
}

_restore_hba() {
	_st=$?
	trap - EXIT INT TERM HUP
	printf '%s\n' "$HBA_ORIG" >"$HBA"
	psql_admin "SELECT pg_reload_conf()" >/dev/null 2>&1
	psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1
	psql_admin "DROP ROLE IF EXISTS $_PW_ROLE" >/dev/null 2>&1
	exit $_st
}

# advisory_locks: how many advisory locks are granted on the database.
advisory_locks() {
	psql_db "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
	         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
}
