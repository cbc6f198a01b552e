#!/bin/sh
# ${name} variables: from the config, from -x (which wins), from an environment; an
# undefined one is an error naming file and line before anything runs; $$ and other $
# uses are left alone; comments are not substituted; offline output is substituted too.
. "$(dirname "$0")/lib.sh"

up_sql=$(cat <<'SQL'
CREATE TABLE t (k TEXT, v TEXT);
INSERT INTO t VALUES ('owner', '${owner}');
INSERT INTO t VALUES ('days', '${retention_days}');
INSERT INTO t VALUES ('dollar', 'cost: $5, $$, $owner, $ {owner}');
SQL
)

vars_project() {
	new_project
	grep -v '^variables:' retort.yaml >retort.yaml.new && mv retort.yaml.new retort.yaml
	cat >>retort.yaml <<'CFG'
variables:
  owner: app_owner
  retention_days: 30
environments:
  prod:
    variables:
      retention_days: 365
CFG
	write_rev r1 null "" "$up_sql" "DROP TABLE t;"
}

value_of() { sql "${2:-app.db}" "SELECT v FROM t WHERE k = '$1'"; }

test_case "variables from the config are substituted"
(
	vars_project
	run retort upgrade head
	expect_exit 0
	expect_eq "$(value_of owner)" app_owner "owner"
	expect_eq "$(value_of days)" 30 "retention_days"
)

test_case "\$\$ and other \$ uses are left alone"
(
	vars_project
	run_ok retort upgrade head
	expect_eq "$(value_of dollar)" 'cost: $5, $$, $owner, $ {owner}' "dollar signs"
)

test_case "-x overrides the config, and can be repeated"
(
	vars_project
	run retort -x owner=someone -x retention_days=7 upgrade head
	expect_exit 0
	expect_eq "$(value_of owner)" someone "owner"
	expect_eq "$(value_of days)" 7 "retention_days"
)

test_case "--var is -x; a value may hold '=' and ';'"
(
	vars_project
	run retort --var "owner=a=b;c" upgrade head
	expect_exit 0
	expect_eq "$(value_of owner)" "a=b;c" "owner"
	expect_eq "$(sql app.db "SELECT count(*) FROM t")" 3 "rows (the ';' must not split the statement)"
)

test_case "an environment's variables merge over the top level; -x still wins"
(
	vars_project
	run retort -e prod upgrade head
	expect_exit 0
	expect_eq "$(value_of days)" 365 "retention_days"
	expect_eq "$(value_of owner)" app_owner "owner"
	run_ok retort downgrade base
	run retort -e prod -x retention_days=1 upgrade head
	expect_exit 0
	expect_eq "$(value_of days)" 1 "retention_days"
)

test_case "an undefined variable: file and line, exit 2, nothing applied"
(
	vars_project
	write_rev r2 r1 "" "INSERT INTO t VALUES ('x', 'fine');
INSERT INTO t VALUES ('y', '\${not_defined}');"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r2_rev.sql:10:"
	expect_stderr_contains "not_defined"
	expect_eq "$(versions_of app.db)" "" "version rows"
	expect_eq "$(tables_of app.db)" "" "tables"
	run retort -x not_defined=ok upgrade head
	expect_exit 0
	expect_eq "$(value_of y)" ok "y"
)

test_case "an undefined variable in a downgrade section"
(
	vars_project
	write_rev r2 r1 "" "SELECT 1;" "DELETE FROM t WHERE k = '\${gone}';"
	run_ok retort -x gone=x upgrade head
	run retort downgrade base
	expect_exit 2
	expect_stderr_contains "versions/r2_rev.sql:$(line_of versions/r2_rev.sql 'gone'):"
	expect_eq "$(versions_of app.db)" r2 "version rows"
)

test_case "check reports an undefined variable with file and line, and -x satisfies it"
(
	vars_project
	write_rev r2 r1 "" "SELECT '\${not_defined}';"
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/r2_rev.sql:9:"
	expect_stdout_contains "not_defined"
	run retort -x not_defined=1 check
	expect_exit 0
)

test_case "variables in comments are not substituted"
(
	vars_project
	write_rev r2 r1 "" "-- uses \${not_defined} in a comment
/* and \${also_not_defined} here */
SELECT 1;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" r2 "version rows"
)

test_case "offline output is substituted, and an undefined variable fails it"
(
	vars_project
	run retort -x owner=offline_owner upgrade --sql head
	expect_exit 0
	expect_stdout_contains "'offline_owner'"
	expect_stdout_not_contains '${owner}'
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail offline.db <up.sql
	expect_exit 0
	expect_eq "$(value_of owner offline.db)" offline_owner "owner"
	write_rev r2 r1 "" "SELECT '\${not_defined}';"
	run retort upgrade --sql head
	expect_exit 2
	expect_stderr_contains "versions/r2_rev.sql:9:"
)

test_case "-x without = or with a bad name is bad usage"
(
	vars_project
	run retort -x owner upgrade head
	expect_exit 2
	expect_stderr_contains "owner"
	run retort -x "1bad=x" upgrade head
	expect_exit 2
	expect_file_missing app.db
)

EVIL="x'); CREATE TABLE injected(i int); --"

inject_project() {
	new_project
	write_rev r1 null "" "CREATE TABLE t (k TEXT, v TEXT);
INSERT INTO t VALUES ('role', '\${role}');" "DROP TABLE t;"
}

test_case "a value that would add a statement is refused, online and offline, before anything runs"
(
	inject_project
	run retort -x "role=$EVIL" upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:10: a variable's value turns this statement into 2 statements"
	expect_stderr_contains '${NAME:literal}'
	expect_eq "$(tables_of app.db)" "" "tables"
	run retort -x "role=$EVIL" upgrade --sql head
	expect_exit 2
	expect_stdout_empty
	expect_stderr_contains "turns this statement into 2 statements"
	run retort -x "role=$EVIL" check
	expect_exit 2
	expect_stdout_contains "versions/r1_rev.sql:10: a variable's value turns this statement into 2 statements"
)

test_case "a value that opens a string it does not close is refused"
(
	inject_project
	run retort -x "role=it's" upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:10: a variable's value breaks this statement: unterminated"
	expect_eq "$(tables_of app.db)" "" "tables"
)

test_case "\${name:literal} and \${name:ident} quote the value"
(
	new_project
	write_rev r1 null "" "CREATE TABLE \${tbl:ident} (v TEXT);
INSERT INTO \${tbl:ident} VALUES (\${role:literal});" "DROP TABLE \${tbl:ident};"
	run retort -x "role=$EVIL" -x 'tbl=odd "name"' upgrade head
	expect_exit 0
	expect_eq "$(sql app.db 'SELECT v FROM "odd ""name"""')" "$EVIL" "the value, stored as it is"
	expect_eq "$(tables_of app.db)" 'odd "name"' "tables"
	run retort -x "role=$EVIL" -x 'tbl=odd "name"' upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 offline.db <up.sql
	expect_exit 0
	expect_eq "$(sql offline.db 'SELECT v FROM "odd ""name"""')" "$EVIL" "the value, offline"
	expect_eq "$(tables_of offline.db)" 'odd "name"' "tables, offline"
)

test_case "an unknown form is an error naming file and line"
(
	new_project
	write_rev r1 null "" "SELECT '\${role:quoted}';"
	run retort -x role=a upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:9: unknown variable form '\${role:quoted}'"
)

test_case "stamp never binds a script: an undefined variable in one it does not run is no error"
(
	new_project
	write_rev r1 null
	write_rev r2 r1 "" "GRANT SELECT ON t_r1 TO \${reader};" "REVOKE SELECT ON t_r1 FROM \${reader};"
	run retort stamp head
	expect_exit 0
	expect_eq "$(versions_of app.db)" r2 "version rows"
	expect_eq "$(sql app.db "SELECT checksum FROM retort_version_history WHERE revision = 'r2'")" \
		"$(sha256sum versions/r2_rev.sql | cut -d' ' -f1)" "the stamp row's checksum"
)

test_case "only the section that runs is bound: a downgrade ignores an undefined variable of the upgrade"
(
	new_project
	write_rev r1 null "" "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('\${only_at_upgrade}');" "DROP TABLE t;"
	run retort -x only_at_upgrade=x upgrade head
	expect_exit 0
	run retort downgrade base
	expect_exit 0
	expect_eq "$(tables_of app.db)" "" "tables"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/r1_rev.sql:9: undefined variable '\${only_at_upgrade}'"
)

test_done
