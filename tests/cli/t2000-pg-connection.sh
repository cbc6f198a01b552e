#!/bin/sh
# PostgreSQL connections: postgresql:// and postgres:// URLs and libpq keyword strings go
# to libpq unchanged (so PGSERVICE, PGPASSWORD, ~/.pgpass work), the URL's precedence,
# real password authentication (a role of our own with scram-sha-256), the password
# never printed nor stored (-v, --json, failures, the history table), application_name
# in pg_stat_activity ('retort' unless the URL or PGAPPNAME names one), and connection
# failures.
. "$(dirname "$0")/pg-lib.sh"

# A role that must log in with a password (pg-lib.sh: password_role).
ROLE=rt_pw_$$
SECRET="Pw-$$-s3cr3t_x"
password_role "$ROLE" "$SECRET"

two_revs() {
	pg_project "$1"
	write_rev a1 null
	write_rev a2 a1
}

# A schema of the case owned by the password role.
role_case() {
	pg_case
	pq "ALTER SCHEMA $SCHEMA OWNER TO $ROLE; GRANT CONNECT ON DATABASE $PG_DB TO $ROLE" >/dev/null
	ROLE_URL="postgresql://$ROLE@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$(urlenc "-csearch_path=$SCHEMA")"
}

# no_secret [FILE...]: the password appears in none of the files (default: the last run's
# stdout and stderr).
no_secret() {
	_asserted
	[ $# -gt 0 ] || set -- "$RUN_STDOUT" "$RUN_STDERR"
	if grep -q -F -e "$SECRET" "$@"; then
		fail "the password appears in the output" "no '$SECRET'" "$(grep -F -e "$SECRET" "$@")"
	fi
}

# history_text: every history row, every column, as text.
history_text() {
	psql_db "SELECT h::text FROM retort_version_history h ORDER BY id"
}

test_case "a postgresql:// URL with host and port in the query string"
(
	pg_case
	two_revs
	url="postgresql:///$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&user=$_PG_USER&options=$(urlenc "-csearch_path=$SCHEMA")"
	run retort --url "$url" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(pg_tables)" "t_a1 t_a2" "tables"
	run retort --url "$url" current
	expect_exit 0
	expect_stdout_contains "a2 (head)"
)

test_case "a postgres:// URL with user, host and port"
(
	pg_case
	two_revs
	run retort --url "postgres://$_PG_USER@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$(urlenc "-csearch_path=$SCHEMA")" upgrade a1
	expect_exit 0
	expect_eq "$(pg_versions)" a1 "version rows"
)

test_case "a libpq keyword string, quoted values included"
(
	pg_case
	two_revs
	run retort --url "host='$_PG_HOST' port=$_PG_PORT dbname=$PG_DB user=$_PG_USER options='-c search_path=$SCHEMA'" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(pg_tables)" "t_a1 t_a2" "tables"
)

test_case "URL precedence: --url, RETORT_DATABASE_URL, DATABASE_URL, database.url"
(
	pg_case
	for s in s_cfg s_env s_renv s_opt; do pq "CREATE SCHEMA ${SCHEMA}_$s"; done
	url_of() { echo "postgresql:///$PG_DB?$PG_SERVER_QUERY&options=$(urlenc "-csearch_path=${SCHEMA}_$1")"; }
	PGURL=$(url_of s_cfg)
	pg_project
	write_rev a1 null
	run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_s_cfg\".\"retort_version")" a1 "rows via database.url"
	DATABASE_URL=$(url_of s_env) run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_s_env\".\"retort_version")" a1 "rows via DATABASE_URL"
	DATABASE_URL=$(url_of s_env) RETORT_DATABASE_URL=$(url_of s_renv) run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_s_renv\".\"retort_version")" a1 "rows via RETORT_DATABASE_URL"
	DATABASE_URL=$(url_of s_env) RETORT_DATABASE_URL=$(url_of s_renv) run retort --url "$(url_of s_opt)" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_s_opt\".\"retort_version")" a1 "rows via --url"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_tables WHERE tablename = 'retort_version' AND schemaname LIKE '${SCHEMA}_s_%'")" 4 "version tables"
)

test_case "PGSERVICE and a service file: --url postgresql:// takes everything from libpq"
(
	pg_case
	two_revs
	cat >services.conf <<EOF
[rtsvc]
host=$_PG_HOST
port=$_PG_PORT
dbname=$PG_DB
user=$_PG_USER
options=-csearch_path=$SCHEMA
EOF
	PGSERVICEFILE=$PWD/services.conf PGSERVICE=rtsvc run retort --url "postgresql://" upgrade a1
	expect_exit 0
	expect_eq "$(pg_versions)" a1 "version rows after the PGSERVICE run"
	# service= in a keyword string, the file found as ~/.pg_service.conf
	cp services.conf .pg_service.conf
	HOME=$PWD run retort --url "service=rtsvc" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows after the service= run"
)

test_case "libpq variables: PGHOST, PGPORT, PGDATABASE, PGUSER, PGOPTIONS with an empty URL"
(
	pg_case
	two_revs
	PGHOST=$_PG_HOST PGPORT=$_PG_PORT PGDATABASE=$PG_DB PGUSER=$_PG_USER PGOPTIONS="-c search_path=$SCHEMA" \
		run retort --url "postgresql://" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_case "password authentication: refused without a password, accepted with PGPASSWORD"
(
	role_case
	two_revs
	run retort --url "$ROLE_URL" upgrade head
	expect_exit 1
	expect_stderr_contains "no password supplied"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_tables WHERE schemaname = '$SCHEMA'")" 0 "tables in the schema"
	PGPASSWORD=$SECRET run retort --url "$ROLE_URL" upgrade head
	expect_exit 0
	no_secret
	expect_eq "$(pg_versions)" a2 "version rows"
	expect_eq "$(psql_db "SELECT tableowner FROM pg_tables WHERE schemaname = '$SCHEMA' AND tablename = 'retort_version'")" \
		"$ROLE" "owner of the version table (retort logged in as the role)"
	PGPASSWORD=wrong-$SECRET run retort --url "$ROLE_URL" current
	expect_exit 1
	expect_stderr_contains "password authentication failed for user \"$ROLE\""
	no_secret
)

test_case "password authentication with ~/.pgpass"
(
	role_case
	two_revs
	printf '*:*:%s:%s:%s\n' "$PG_DB" "$ROLE" "$SECRET" >.pgpass
	chmod 600 .pgpass
	HOME=$PWD run retort -v --url "$ROLE_URL" upgrade head
	expect_exit 0
	no_secret
	expect_eq "$(pg_versions)" a2 "version rows"
	HOME=$PWD run retort -v --url "$ROLE_URL" current --verbose
	expect_exit 0
	no_secret
	expect_stdout_contains "a2"
)

# leak_project: a1 fine, a2 fails with the password inside the server's message.
leak_project() {
	pg_project "$1"
	write_rev a1 null
	write_rev a2 a1 "" "SELECT '$SECRET'::integer;" ""
}

# every_way: runs commands that print, succeed and fail, with -v and --json; none may show
# the password, and the history table may not hold it.
every_way() {
	for mode in "-v" "-v --json"; do
		for c in "upgrade a1" "upgrade head" "current" "current --verbose" "history --verbose" "check" \
			"heads" "stamp a1" "downgrade base"; do
			run retort $mode "$@" $c
			no_secret
			case $c in
			"upgrade head") expect_exit 1 ;;
			check) ;;
			*) expect_exit 0 ;;
			esac
		done
	done
	run retort -v "$@" graph
	expect_exit 0
	no_secret
	# offline scripts (a1 holds no secret; a2's own SQL is printed as written)
	run retort -v "$@" upgrade --sql base:a1
	expect_exit 0
	no_secret
	expect_stdout_contains "CREATE TABLE t_a1"
	run retort -v "$@" stamp --sql a1:base
	expect_exit 0
	no_secret
	run retort "$@" upgrade head
	expect_exit 1
	expect_stderr_contains "invalid input syntax for type integer: \"****\""
	no_secret
	history_text >history.txt
	[ -s history.txt ] || fail "no history rows"
	grep -q "a2,upgrade,failed" history.txt || fail "no failed run of a2 in the history" "a2,upgrade,failed" "$(cat history.txt)"
	_asserted
	no_secret history.txt
	grep -q -F '"****"' history.txt || fail "the history's error does not show the masked value" '"****"' "$(cat history.txt)"
	_asserted
}

test_case "the password in --url is never printed nor stored"
(
	role_case
	leak_project
	every_way --url "postgresql://$ROLE:$SECRET@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$(urlenc "-csearch_path=$SCHEMA")"
)

test_case "the password in ?password= and in a keyword string is never printed nor stored"
(
	role_case
	leak_project
	every_way --url "$ROLE_URL&password=$SECRET"
	pq "DROP TABLE retort_version, retort_version_history, t_a1"
	every_way --url "host='$_PG_HOST' port=$_PG_PORT dbname=$PG_DB user=$ROLE password=$SECRET options='-c search_path=$SCHEMA'"
)

test_case "the password in retort.yaml is never printed nor stored"
(
	role_case
	PGURL="postgresql://$ROLE:$SECRET@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT&options=$(urlenc "-csearch_path=$SCHEMA")"
	leak_project
	every_way
)

test_case "the password in PGPASSWORD is never printed nor stored"
(
	role_case
	leak_project
	PGPASSWORD=$SECRET
	export PGPASSWORD
	every_way --url "$ROLE_URL"
)

test_case "the password from ~/.pgpass is never printed nor stored"
(
	role_case
	leak_project
	printf '*:*:*:%s:%s\n' "$ROLE" "$SECRET" >.pgpass
	chmod 600 .pgpass
	HOME=$PWD
	export HOME
	every_way --url "$ROLE_URL"
)

test_case "a wrong password in the URL: exit 1, masked"
(
	role_case
	two_revs
	for mode in "" "-v" "--json"; do
		run retort $mode --url "postgresql://$ROLE:$SECRET-no@/$PG_DB?host=$PG_HOST_Q&port=$_PG_PORT" upgrade head
		expect_exit 1
		no_secret
		expect_output_not_contains "$SECRET-no"
	done
	expect_json 'd["ok"] is False and "password authentication failed" in d["error"]["message"] and "****" in d["error"]["message"]'
)

test_case "application_name in pg_stat_activity: 'retort' by default; the URL's, else PGAPPNAME's, when given"
(
	pg_case
	pg_project
	write_rev a1 null "" "SELECT pg_sleep($(slow 0.8));" ""
	write_rev a2 a1 "" "SELECT pg_sleep($(slow 0.8));" ""
	write_rev a3 a2 "" "SELECT pg_sleep($(slow 0.8));" ""
	retort_bg a upgrade a1
	a=$BG_PID
	pg_wait_for 10 "SELECT string_agg(application_name, ',') FROM pg_stat_activity
	                WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep($(slow 0.8))%'" retort \
		"a session running the revision's pg_sleep"
	wait_bg 30 "$a"
	expect_eq "$(cat a.rc)" 0 "exit status of the run"
	PGAPPNAME=someone-else retort_bg b --url "$PGURL&application_name=deploy-job" upgrade a2
	b=$BG_PID
	pg_wait_for 10 "SELECT string_agg(application_name, ',') FROM pg_stat_activity
	                WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep($(slow 0.8))%'" deploy-job \
		"the session of the run whose URL names an application_name"
	wait_bg 30 "$b"
	expect_eq "$(cat b.rc)" 0 "exit status of the second run"
	PGAPPNAME=someone-else retort_bg c upgrade a3
	c=$BG_PID
	pg_wait_for 10 "SELECT string_agg(application_name, ',') FROM pg_stat_activity
	                WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep($(slow 0.8))%'" someone-else \
		"the session of the run under PGAPPNAME"
	wait_bg 30 "$c"
	expect_eq "$(cat c.rc)" 0 "exit status of the third run"
	expect_eq "$(pg_versions)" a3 "version rows"
)

test_case "URL parameters reach libpq unchanged: target_session_attrs, connect_timeout, sslmode"
(
	pg_case
	two_revs
	# libpq itself refuses a read-write server when asked for a read-only session
	run retort --url "postgresql:///$PG_DB?$PG_SERVER_QUERY&target_session_attrs=read-only&options=$(urlenc "-csearch_path=$SCHEMA")" upgrade head
	expect_exit 1
	expect_stderr_contains "session is not read-only"
	run retort --url "host='$_PG_HOST' port=$_PG_PORT dbname=$PG_DB user=$_PG_USER target_session_attrs=standby" current
	expect_exit 1
	expect_stderr_contains "server is not in hot standby mode"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_tables WHERE schemaname = '$SCHEMA'")" 0 "tables in the schema"
	run retort --url "postgresql:///$PG_DB?$PG_SERVER_QUERY&target_session_attrs=read-write&connect_timeout=5&sslmode=prefer&options=$(urlenc "-csearch_path=$SCHEMA")" upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" a2 "version rows"
)

test_case "no server there: exit 1, the URL masked, no version table anywhere"
(
	pg_case
	two_revs
	run retort --url "postgresql://$ROLE:$SECRET@127.0.0.1:1/$PG_DB?connect_timeout=3" upgrade head
	expect_exit 1
	no_secret
	expect_stderr_contains "cannot connect to 'postgresql://$ROLE:****@127.0.0.1:1/$PG_DB?connect_timeout=3'"
	run retort --json --url "host=/nonexistent-dir port=$_PG_PORT dbname=$PG_DB" current
	expect_exit 1
	expect_json 'd["ok"] is False and "/nonexistent-dir" in d["error"]["message"]'
)

test_case "a database that does not exist: exit 1, the server's message"
(
	pg_case
	two_revs
	run retort --url "postgresql:///no_such_db_$$?$PG_SERVER_QUERY" upgrade head
	expect_exit 1
	expect_stderr_contains "database \"no_such_db_$$\" does not exist"
)

test_done
