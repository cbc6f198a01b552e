#!/bin/sh
# The names revision writes: letters outside ASCII survive in slugs (as UTF-8), and a
# file_template whose %(rev)s is not a whole '_'-separated part is refused when the
# config is read, so revision never writes a file that retort then rejects.
. "$(dirname "$0")/lib.sh"

test_case "non-ASCII letters stay in the slug; punctuation, symbols and emoji separate words"
(
	new_project
	run retort revision -m "Ajouter «élèves» — Größe ✓ 😀 ok" --rev-id a1
	expect_exit 0
	expect_stdout_equals "created versions/a1_ajouter_élèves_größe_ok.sql"
	expect_file_exists "versions/a1_ajouter_élèves_größe_ok.sql"
	run retort revision -m "学生表 Ελληνικά" --rev-id a2
	expect_exit 0
	expect_file_exists "versions/a2_学生表_Ελληνικά.sql"
	# the files are revisions like any other
	run retort check --no-db
	expect_exit 0
	expect_stdout_equals "no problems found in 2 revisions"
	run retort upgrade head
	expect_exit 0
)

test_case "a slug is cut at 40 bytes, never inside a character"
(
	new_project
	run retort revision -m "ééééééééééééééééééééé" --rev-id a1
	expect_exit 0
	# 21 two-byte letters: 20 fit in 40 bytes
	expect_file_exists "versions/a1_éééééééééééééééééééé.sql"
	run retort check --no-db
	expect_exit 0
)

test_case "a message of symbols only gives no slug"
(
	new_project
	run retort revision -m "✓ → ★" --rev-id a1
	expect_exit 0
	expect_file_exists versions/a1.sql
)

test_case "file_template without a whole %(rev)s part is a config error; nothing is written"
(
	new_project
	for t in '%(rev)s-%(slug)s' '%(year)d%(rev)s_%(slug)s' '%(rev)s.v1' 'v%(rev)s'; do
		write_config "file_template: '$t'"
		run retort revision -m "x"
		expect_exit 2
		expect_stderr_contains "error: retort.yaml:4: 'file_template' must have %(rev)s as a whole '_'-separated part, not '$t'"
		expect_stderr_contains "hint: A revision file's name must hold its id between '_' or at either end of the name"
		expect_eq "$(ls versions)" "" "files in versions/"
	done
	# what it accepts makes names the graph accepts
	for t in '%(year)d_%(rev)s_%(slug)s' '%(slug)s_%(rev)s' '%(rev)s'; do
		write_config "file_template: '$t'"
		run retort revision -m "with $t"
		expect_exit 0
		run retort check --no-db
		expect_exit 0
		rm -f versions/*
	done
)

test_done
