#!/bin/sh
# Offline mode: upgrade --sql [FROM:]TO, downgrade --sql FROM:TO print SQL without
# connecting; the script's structure (version table creation from base, comments naming
# each revision, version table updates, transaction statements per mode); it runs with
# sqlite3 -bail. (t1250 compares offline and online results on a branchy history.)
. "$(dirname "$0")/lib.sh"

linear() {
	new_project
	write_rev a1 null "message: first table"
	write_rev a2 a1 "message: second table"
	write_rev a3 a2 "message: third table"
}

# count_lines PATTERN: lines of stdout matching the ERE.
count_lines() { grep -E -c -e "$1" "$RUN_STDOUT"; }

test_case "upgrade --sql prints SQL and never touches the database"
(
	linear
	run retort upgrade --sql head
	expect_exit 0
	expect_file_missing app.db
	expect_stdout_contains 'CREATE TABLE IF NOT EXISTS "retort_version"'
	expect_stdout_contains "CREATE TABLE t_a1 (id INTEGER PRIMARY KEY);"
	expect_stdout_contains "CREATE TABLE t_a3 (id INTEGER PRIMARY KEY);"
	expect_stdout_contains "a1"
	expect_stdout_contains "first table"
	expect_stdout_contains "versions/a2_rev.sql"
	expect_stderr_not_contains "error"
)

test_case "upgrade --sql does not connect: an unreachable database URL is fine"
(
	linear
	run retort --url "postgresql://app@127.0.0.1:1/app" upgrade --sql head
	expect_exit 0
	expect_stdout_contains "CREATE TABLE t_a1"
)

test_case "the script runs with sqlite3 -bail and gives what upgrade gives"
(
	linear
	run retort upgrade --sql head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail offline.db <up.sql
	expect_exit 0
	run_ok retort upgrade head
	expect_eq "$(schema_of offline.db)" "$(schema_of app.db)" "schema"
	expect_eq "$(versions_of offline.db)" a3 "version rows"
	expect_eq "$(history_of offline.db)" "$(history_of app.db)" "history rows"
)

test_case "per-revision mode: one BEGIN/COMMIT per revision, the version update inside it"
(
	linear
	run retort upgrade --sql head
	expect_exit 0
	# the version table creation has its own transaction, then one per revision
	expect_eq "$(count_lines '^BEGIN')" 4 "BEGIN statements"
	expect_eq "$(count_lines '^COMMIT')" 4 "COMMIT statements"
	# inside a2's transaction: its statement and the version update a1 -> a2
	awk '/^-- .*a1 -> a2/ { on = 1 } on && /^COMMIT/ { print; exit } on { print }' "$RUN_STDOUT" >a2.part
	grep -q '^BEGIN' a2.part || fail "no BEGIN in a2's part" "BEGIN" "$(cat a2.part)"
	grep -q 'CREATE TABLE t_a2' a2.part || fail "no a2 statement in its part" "CREATE TABLE t_a2" "$(cat a2.part)"
	grep -q "'a2'" a2.part || fail "no version update to a2 in its part" "... 'a2' ..." "$(cat a2.part)"
	_asserted
)

test_case "transaction: all: the revisions share one BEGIN ... COMMIT"
(
	linear
	echo "transaction: all" >>retort.yaml
	run retort upgrade --sql a1:head
	expect_exit 0
	expect_eq "$(count_lines '^BEGIN')" 1 "BEGIN statements"
	expect_eq "$(count_lines '^COMMIT')" 1 "COMMIT statements"
	cp "$RUN_STDOUT" up.sql
	run_ok retort upgrade a1
	cp app.db offline.db
	run sqlite3 -bail offline.db <up.sql
	expect_exit 0
	expect_eq "$(versions_of offline.db)" a3 "version rows"
	expect_eq "$(tables_of offline.db)" "t_a1 t_a2 t_a3" "tables"
)

test_case "FROM:TO starting above base does not create the version table"
(
	linear
	run retort upgrade --sql a1:a3
	expect_exit 0
	expect_stdout_not_contains 'CREATE TABLE IF NOT EXISTS "retort_version"'
	expect_stdout_not_contains "CREATE TABLE t_a1"
	expect_stdout_contains "CREATE TABLE t_a2"
	expect_stdout_contains "CREATE TABLE t_a3"
)

test_case "a non-transactional revision is not wrapped in BEGIN/COMMIT"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "transactional: false" "CREATE TABLE nt (id INTEGER);"
	run retort upgrade --sql a1:a2
	expect_exit 0
	awk '/^-- .*a1 -> a2/ { on = 1 } on' "$RUN_STDOUT" >a2.part
	line_create=$(grep -n 'CREATE TABLE nt' a2.part | cut -d: -f1)
	line_begin=$(grep -n '^BEGIN' a2.part | head -n 1 | cut -d: -f1)
	[ -n "$line_create" ] || fail "no CREATE TABLE nt" "CREATE TABLE nt" "$(cat a2.part)"
	if [ -n "$line_begin" ] && [ "$line_begin" -lt "$line_create" ]; then
		# a BEGIN before the statement must be committed before it
		sed -n "${line_begin},${line_create}p" a2.part | grep -q '^COMMIT' ||
			fail "the non-transactional statement runs inside BEGIN" "no open BEGIN" "$(cat a2.part)"
	fi
	_asserted
	cp "$RUN_STDOUT" up.sql
	run_ok retort upgrade a1
	run sqlite3 -bail app.db <up.sql
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
)

test_case "downgrade --sql FROM:TO runs and gives what downgrade gives"
(
	linear
	run_ok retort upgrade head
	cp app.db offline.db
	run retort downgrade --sql head:a1
	expect_exit 0
	expect_stdout_contains "DROP TABLE t_a3;"
	expect_stdout_contains "DROP TABLE t_a2;"
	expect_stdout_not_contains "DROP TABLE t_a1;"
	cp "$RUN_STDOUT" down.sql
	run sqlite3 -bail offline.db <down.sql
	expect_exit 0
	run_ok retort downgrade a1
	expect_eq "$(schema_of offline.db)" "$(schema_of app.db)" "schema"
	expect_eq "$(versions_of offline.db)" a1 "version rows"
)

test_case "downgrade --sql needs FROM:TO"
(
	linear
	run retort downgrade --sql base
	expect_exit 2
	expect_stderr_contains "FROM:TO"
	expect_stdout_empty
)

test_case "downgrade --sql through an irreversible revision fails and prints nothing"
(
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" NONE
	write_rev a3 a2
	run retort downgrade --sql a3:base
	expect_exit 2
	expect_stderr_contains "'a2'"
	expect_stdout_not_contains "DROP"
	run retort downgrade --sql a3:a2
	expect_exit 0
	expect_stdout_contains "DROP TABLE t_a3;"
)

test_case "upgrade --sql of an unknown or ambiguous target fails with exit 2"
(
	new_project
	write_rev ab1 null
	write_rev ab2 ab1
	run retort upgrade --sql nosuch
	expect_exit 2
	expect_stderr_contains "nosuch"
	run retort upgrade --sql a:ab2
	expect_exit 2
	expect_stderr_contains "ab1"
	expect_stdout_empty
)

test_case "upgrade --sql heads with two branches runs in sqlite3"
(
	new_project
	write_rev a1 null
	write_rev b1 a1 "branch_labels: [feat]"
	write_rev c1 a1
	run retort upgrade --sql heads
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run sqlite3 -bail offline.db <up.sql
	expect_exit 0
	expect_eq "$(versions_of offline.db)" "b1 c1" "version rows"
)

test_case "-q keeps the SQL on stdout"
(
	linear
	run retort -q upgrade --sql head
	expect_exit 0
	expect_stdout_contains "CREATE TABLE t_a2"
	expect_stderr_empty
)

test_done
