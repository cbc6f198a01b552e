#!/bin/sh
# init and list-templates: creating a project from a template, refusing a non-empty
# directory, unknown templates, and the template list.
. "$(dirname "$0")/lib.sh"

test_case "init creates a project that works right away"
(
	run retort init proj
	expect_exit 0
	expect_file_exists proj/retort.yaml
	expect_file_exists proj/script.sql.tmpl
	expect_file_exists proj/README
	[ -d proj/versions ] || fail "proj/versions is not a directory"
	expect_eq "$(ls proj/versions | wc -l)" 0 "files in the new versions directory"
	cd proj
	run retort revision -m "first table"
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	# the generic template's database is app.db next to retort.yaml
	expect_file_exists app.db
	expect_eq "$(sql app.db 'SELECT count(*) FROM retort_version')" 1 "version rows"
)

test_case "init fills an existing empty directory"
(
	mkdir empty
	run retort init empty
	expect_exit 0
	expect_file_exists empty/retort.yaml
	expect_file_exists empty/versions
)

test_case "init refuses a non-empty directory and leaves it alone"
(
	mkdir taken
	echo keep >taken/notes.txt
	run retort init taken
	expect_exit 2
	expect_stderr_contains "taken"
	expect_stderr_contains "not empty"
	expect_eq "$(ls -A taken)" "notes.txt" "the directory's contents"
	expect_eq "$(cat taken/notes.txt)" "keep"
)

test_case "init refuses a directory holding only a hidden file"
(
	mkdir hidden
	: >hidden/.keep
	run retort init hidden
	expect_exit 2
	expect_file_missing hidden/retort.yaml
)

test_case "init --template postgresql writes a PostgreSQL config"
(
	run retort init --template postgresql pg
	expect_exit 0
	expect_file_exists pg/retort.yaml
	grep -q '^  url: postgresql://' pg/retort.yaml || fail "no postgresql url in pg/retort.yaml" \
		"url: postgresql://..." "$(cat pg/retort.yaml)"
	_asserted
)

test_case "init -t with an unknown template fails, lists the templates, creates nothing"
(
	run retort init -t nosuchtemplate proj
	expect_exit 2
	expect_stderr_contains "nosuchtemplate"
	expect_stderr_contains "generic"
	expect_stderr_contains "postgresql"
	expect_file_missing proj
)

test_case "init without DIR is a usage error"
(
	run retort init
	expect_exit 2
	expect_stderr_contains "DIR"
	expect_stdout_empty
)

test_case "init --help prints its usage and exits 0"
(
	run retort init --help
	expect_exit 0
	expect_stdout_contains "usage: retort init DIR"
	expect_stdout_contains "--template"
)

test_case "init --json reports the files it created"
(
	run retort --json init j
	expect_exit 0
	expect_json 'd["ok"] is True and d["template"] == "generic" and "retort.yaml" in d["files"]'
)

test_case "list-templates names each template with its description"
(
	run retort list-templates
	expect_exit 0
	expect_stdout_matches '^generic +Generic single-database project \(SQLite\)\.$'
	expect_stdout_matches '^postgresql +PostgreSQL project'
	expect_eq "$(wc -l <"$RUN_STDOUT")" 2 "lines of output"
)

test_case "list-templates --json parses"
(
	run retort --json list-templates
	expect_exit 0
	expect_json 'sorted(t["name"] for t in d) == ["generic", "postgresql"]'
)

test_case "list-templates rejects arguments"
(
	run retort list-templates extra
	expect_exit 2
	expect_stdout_empty
)

test_case "an unknown command exits 2"
(
	run retort frobnicate
	expect_exit 2
	expect_stderr_contains "frobnicate"
)

test_done
