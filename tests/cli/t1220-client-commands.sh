#!/bin/sh
# Commands of the databases' own clients in revisions: psql's backslash meta-commands and
# sqlite3's dot-commands are errors naming file and line in check, upgrade and upgrade
# --sql, because the offline script's client would obey them while the online run cannot.
# A backslash inside a string, a comment or a dollar quote is just text.
. "$(dirname "$0")/lib.sh"

# pg_offline_project: a project whose URL names PostgreSQL (never reached: only --sql and
# check --no-db run here).
pg_offline_project() {
	new_project
	write_config "" 
	sed -i 's|url: .*|url: "postgresql://app@127.0.0.1:1/app"|' retort.yaml
}

# expect_refused CMD...: CMD exits 2, prints nothing on stdout (offline: no script), and
# names the file and line ($LINE) and $WHAT.
expect_refused_everywhere() {
	run retort upgrade --sql head
	expect_exit 2
	expect_stdout_empty
	expect_stderr_contains "versions/a2_rev.sql:$LINE: $WHAT"
	expect_stderr_contains "hint: $HINT"
	run retort check --no-db
	expect_exit 2
	expect_stdout_contains "versions/a2_rev.sql:$LINE: $WHAT"
}

for cmd in 'connect other_db' 'i other.sql' 'set ON_ERROR_STOP off' 'gexec' '!rm -rf /'; do
	test_case "psql '\\$cmd' is refused, with file and line"
	(
		pg_offline_project
		write_rev a1 null
		write_rev a2 a1 "" "CREATE TABLE t2 (id int);
SELECT 1
\\$cmd
;
CREATE TABLE t3 (id int);"
		LINE=11
		word=${cmd%% *}
		[ "$word" = '!rm' ] && word='!'
		WHAT="psql meta-command '\\$word' in a revision"
		HINT="Revisions hold SQL only: psql would obey the command"
		expect_refused_everywhere
	)
done

test_case "psql \\copy gets a message of its own"
(
	pg_offline_project
	write_rev a1 null
	write_rev a2 a1 "" "\\copy t FROM 'data.csv' CSV"
	LINE=9
	WHAT="'\\copy' is a psql command, not SQL: retort cannot run it"
	HINT="Put the data in the revision after 'COPY table (columns) FROM stdin;'"
	expect_refused_everywhere
)

test_case "backslashes in strings, E'' strings, comments and dollar quotes are fine"
(
	pg_offline_project
	write_rev a1 null "" "CREATE TABLE t (s text DEFAULT 'a\\b', e text DEFAULT E'x\\\\y\\'z');
-- a comment with \\connect in it
/* and \\i here */
CREATE FUNCTION f() RETURNS text LANGUAGE sql AS \$\$ SELECT '\\gexec' \$\$;
COMMENT ON TABLE t IS \$q\$\\set x\$q\$;"
	run retort upgrade --sql head
	expect_exit 0
	expect_stdout_contains "DEFAULT E'x\\\\y\\'z'"
	run retort check --no-db
	expect_exit 0
)

test_case "a variable's value cannot bring a meta-command in"
(
	pg_offline_project
	write_rev a1 null "" "SELECT \${v};"
	run retort -x 'v=1 \gexec' upgrade --sql head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:9: psql meta-command '\\gexec' in a revision"
)

for cmd in 'open other.db' 'read more.sql' 'shell touch pwned' 'bail off'; do
	test_case "sqlite3 '.$cmd' is refused online, offline and in check"
	(
		new_project
		write_rev a1 null
		write_rev a2 a1 "" "CREATE TABLE t2 (id INTEGER);
.$cmd
CREATE TABLE t3 (id INTEGER);"
		LINE=10
		WHAT="sqlite3 dot-command '.${cmd%% *}' in a revision"
		HINT="Revisions hold SQL only: sqlite3 would obey the command"
		expect_refused_everywhere
		run retort upgrade head
		expect_exit 2
		expect_stderr_contains "versions/a2_rev.sql:$LINE: $WHAT"
		expect_eq "$(tables_of app.db)" "" "tables"
		expect_file_missing pwned
	)
done

test_case "a '.' inside a statement or a string is no dot-command"
(
	new_project
	write_rev a1 null "" "CREATE TABLE t (id INTEGER);
SELECT t
.id FROM t;
INSERT INTO t SELECT length('
.open x') FROM t;"
	run retort upgrade head
	expect_exit 0
	run retort check --no-db
	expect_exit 0
)

test_done
