#!/bin/sh
# Configuration (retort.yaml) and the global options: -c, -e, --url and the URL precedence,
# -q, -v, options after the command name, script_location, version_locations,
# file_template, version_table, config errors with line numbers, --help everywhere.
. "$(dirname "$0")/lib.sh"

one_rev() {
	new_project
	write_rev a1 null
}

test_case "-c reads a config elsewhere; its relative paths resolve against its directory"
(
	one_rev
	mkdir ../elsewhere && cd ../elsewhere || fail "setup"
	run retort -c ../proj/retort.yaml upgrade head
	expect_exit 0
	expect_file_exists ../proj/app.db
	expect_file_missing app.db
	expect_eq "$(versions_of ../proj/app.db)" a1 "version rows"
	run retort --config ../proj/retort.yaml current
	expect_exit 0
	expect_stdout_contains "a1"
)

test_case "no retort.yaml: exit 2 with a hint"
(
	run retort heads
	expect_exit 2
	expect_stderr_contains "retort.yaml"
	run retort -c nosuch.yaml heads
	expect_exit 2
	expect_stderr_contains "nosuch.yaml"
)

test_case "script_location and version_locations"
(
	mkdir proj && cd proj || fail "setup"
	mkdir -p migrations/versions extra/versions
	cat >retort.yaml <<'CFG'
script_location: migrations
version_locations:
  - extra/versions
database:
  url: sqlite:///app.db
CFG
	(cd migrations && write_rev a1 null)
	(cd extra && write_rev x1 a1)
	run retort heads
	expect_exit 0
	expect_stdout_equals "x1 (head)"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(tables_of app.db)" "t_a1 t_x1" "tables"
	run retort revision -m next --rev-id n1
	expect_exit 0
	expect_file_exists migrations/versions/n1_next.sql
)

test_case "file_template with date tokens names new revision files"
(
	one_rev
	echo 'file_template: "%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s"' >>retort.yaml
	today=$(date -u +%Y%m%d)
	run retort revision -m "Dated one" --rev-id d1
	expect_exit 0
	expect_file_exists "versions/${today}_d1_dated_one.sql"
	run retort check
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" d1 "version rows"
)

test_case "version_table names the version table and its history table"
(
	one_rev
	echo "version_table: schema_version" >>retort.yaml
	run retort upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM schema_version")" a1 "rows of schema_version"
	expect_eq "$(sql app.db "SELECT count(*) FROM schema_version_history")" 1 "rows of schema_version_history"
	expect_eq "$(sql app.db "SELECT count(*) FROM sqlite_master WHERE name = 'retort_version'")" 0 "default table"
	run retort current
	expect_stdout_contains "a1"
)

test_case "an unknown key is an error naming the key and its line"
(
	one_rev
	printf 'bogus_key: 1\n' >>retort.yaml
	n=$(line_of retort.yaml bogus_key)
	run retort heads
	expect_exit 2
	expect_stderr_contains "retort.yaml:$n:"
	expect_stderr_contains "'bogus_key'"
)

test_case "an unknown key inside database: and inside an environment"
(
	one_rev
	write_config "environments:
  test:
    database:
      url: sqlite:///test.db
      colour: red"
	run retort heads
	expect_exit 2
	expect_stderr_contains "retort.yaml:8:"
	expect_stderr_contains "'colour'"
	write_config "environments:
  test:
    colour: red"
	run retort heads
	expect_exit 2
	expect_stderr_contains "retort.yaml:6:"
	expect_stderr_contains "'colour'"
)

test_case "wrong values: transaction, lock_wait, broken YAML"
(
	one_rev
	write_config "transaction: sometimes"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "retort.yaml:4:"
	expect_stderr_contains "sometimes"
	write_config "lock_wait: soon"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "retort.yaml:4:"
	write_config "variables: [unclosed"
	run retort upgrade head
	expect_exit 2
	expect_stderr_matches "retort\.yaml:[45]:"
	expect_file_missing app.db
)

test_case "-e selects an environment; an unknown one lists the defined ones"
(
	one_rev
	write_config "environments:
  test:
    database:
      url: sqlite:///test.db
  ci:
    database:
      url: sqlite:///ci.db"
	run retort -e test upgrade head
	expect_exit 0
	expect_file_exists test.db
	expect_file_missing app.db
	run retort --env ci upgrade head
	expect_exit 0
	expect_eq "$(versions_of ci.db)" a1 "version rows of ci.db"
	run retort -e nope upgrade head
	expect_exit 2
	expect_stderr_contains "nope"
	expect_stderr_contains "test"
	expect_stderr_contains "ci"
	expect_file_missing app.db
)

test_case "an environment overrides other keys too (version_table, transaction)"
(
	one_rev
	write_config "environments:
  other:
    version_table: other_version"
	run retort -e other upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT version_num FROM other_version")" a1 "rows of other_version"
)

test_case "URL precedence: --url > RETORT_DATABASE_URL > DATABASE_URL > config"
(
	one_rev
	RETORT_DATABASE_URL=sqlite:///retort_env.db DATABASE_URL=sqlite:///db_env.db \
		run retort --url sqlite:///flag.db upgrade head
	expect_exit 0
	expect_file_exists flag.db
	expect_eq "$(ls ./*.db)" "./flag.db" "database files"
	RETORT_DATABASE_URL=sqlite:///retort_env.db DATABASE_URL=sqlite:///db_env.db \
		run retort upgrade head
	expect_exit 0
	expect_file_exists retort_env.db
	expect_file_missing db_env.db
	expect_file_missing app.db
	DATABASE_URL=sqlite:///db_env.db run retort upgrade head
	expect_exit 0
	expect_file_exists db_env.db
	expect_file_missing app.db
	run retort upgrade head
	expect_exit 0
	expect_file_exists app.db
)

test_case "URL precedence with -e: the environment variables still win over the environment"
(
	one_rev
	write_config "environments:
  test:
    database:
      url: sqlite:///test.db"
	DATABASE_URL=sqlite:///db_env.db run retort -e test upgrade head
	expect_exit 0
	expect_file_exists db_env.db
	expect_file_missing test.db
	run retort -e test --url sqlite:///flag.db upgrade head
	expect_exit 0
	expect_file_exists flag.db
	expect_file_missing test.db
)

test_case "-v names the URL's source"
(
	one_rev
	run retort -v --url sqlite:///flag.db current
	expect_exit 0
	expect_stderr_contains "sqlite:///flag.db"
	expect_stderr_contains "--url"
	RETORT_DATABASE_URL=sqlite:///env.db run retort -v current
	expect_exit 0
	expect_stderr_contains "RETORT_DATABASE_URL"
)

test_case "a relative --url is relative to the current directory"
(
	one_rev
	mkdir sub && cd sub || fail "setup"
	run retort -c ../retort.yaml --url sqlite:///here.db upgrade head
	expect_exit 0
	expect_file_exists here.db
	expect_file_missing ../here.db
)

test_case "sqlite:////absolute and sqlite::memory:"
(
	one_rev
	abs=$(pwd)/abs.db
	run retort --url "sqlite:///$abs" upgrade head
	expect_exit 0
	expect_eq "$(versions_of "$abs")" a1 "version rows of the absolute path"
	run retort --url sqlite::memory: upgrade head
	expect_exit 0
	expect_stderr_contains "a1"
	expect_file_missing app.db
)

test_case "an invalid URL scheme is bad input"
(
	one_rev
	run retort --url mysql://localhost/x upgrade head
	expect_exit 2
	expect_stderr_contains "mysql"
)

test_case "-q silences progress, not errors"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort -q upgrade head
	expect_exit 0
	expect_stdout_empty
	expect_stderr_empty
	run retort --quiet downgrade base
	expect_exit 0
	expect_stdout_empty
	expect_stderr_empty
	run retort -q stamp head
	expect_exit 0
	expect_stderr_empty
	write_rev a3 a2 "" "INSERT INTO nosuch VALUES (1);"
	run retort -q upgrade head
	expect_exit 1
	expect_stderr_contains "no such table: nosuch"
	expect_stderr_not_contains "Running upgrade"
)

test_case "without -q, upgrade reports each revision"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort upgrade head
	expect_exit 0
	expect_stderr_contains "Running upgrade <base> -> a1"
	expect_stderr_contains "Running upgrade a1 -> a2"
)

test_case "global options also work after the command name"
(
	one_rev
	run retort upgrade head -q --url sqlite:///late.db
	expect_exit 0
	expect_file_exists late.db
	expect_stderr_empty
	run retort current --json --url sqlite:///late.db
	expect_exit 0
	expect_json '[h["revision"] for h in d["heads"]] == ["a1"]'
)

test_case "every command has --help (exit 0, usage on stdout), the same as help CMD"
(
	for c in init list-templates revision merge upgrade downgrade current history heads branches show stamp edit check graph; do
		run retort "$c" --help
		expect_exit 0
		expect_stdout_contains "usage: retort $c"
		cp "$RUN_STDOUT" a.txt
		run retort help "$c"
		expect_exit 0
		expect_stdout_equals a.txt
		run retort "$c" -h
		expect_exit 0
		expect_stdout_equals a.txt
	done
	run retort --help
	expect_exit 0
	expect_stdout_contains "usage: retort"
)

test_case "version"
(
	run retort version
	expect_exit 0
	expect_stdout_contains "0.1.0"
)

test_case "an unknown option is bad usage"
(
	one_rev
	run retort upgrade head --frobnicate
	expect_exit 2
	expect_stderr_contains "--frobnicate"
	run retort --frobnicate heads
	expect_exit 2
	expect_file_missing app.db
)

test_done
