#!/bin/sh
# Checksums of applied revisions: a downgrade through a revision whose file changed since
# it was applied stops before anything runs, unless --allow-changed (then a notice and
# --json say so); line endings alone (CRLF vs LF, git's autocrlf) are no change, also for
# checksums an older retort recorded of the raw bytes.
. "$(dirname "$0")/lib.sh"

project() {
	new_project
	write_rev a1 null
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" "DROP TABLE t_a2;"
	run_ok retort upgrade head
}

test_case "a downgrade through an edited revision is refused before anything runs"
(
	project
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" "DROP TABLE t_a2; DROP TABLE t_a1;"
	cp app.db before.db
	run retort downgrade base
	expect_exit 1
	expect_stderr_contains "versions/a2_rev.sql: revision 'a2' changed since it was applied (sha256 "
	expect_stderr_contains "its downgrade section may not undo what its upgrade did"
	expect_stderr_contains "--allow-changed"
	expect_eq "$(versions_of app.db)" a2 "version rows"
	expect_eq "$(history_of app.db)" "$(history_of before.db)" "history rows"
	run retort --json downgrade base
	expect_exit 1
	expect_json 'd["ok"] is False and "changed since it was applied" in d["error"]["message"]'
)

test_case "--allow-changed runs it, with a notice, and --json marks the step"
(
	project
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" "DROP TABLE t_a2; -- edited"
	run retort --json downgrade a1 --allow-changed
	expect_exit 0
	expect_json '[(s["revision"], s["changed_since_applied"]) for s in d["steps"]] == [("a2", True)]'
	expect_eq "$(versions_of app.db)" a1 "version rows"
	run_ok retort upgrade head
	run retort downgrade a1
	expect_exit 0
	run_ok retort upgrade head
	write_rev a2 a1 "" "CREATE TABLE t_a2 (id INTEGER);" "DROP TABLE t_a2; -- edited again"
	run retort downgrade a1 --allow-changed
	expect_exit 0
	expect_stderr_contains "notice: revision 'a2' changed since it was applied; running its downgrade as the file is now (--allow-changed)"
)

test_case "CRLF line endings alone are no change"
(
	project
	sed 's/$/\r/' versions/a2_rev.sql >a2.crlf && mv a2.crlf versions/a2_rev.sql
	run retort check
	expect_exit 0
	expect_stdout_not_contains "changed after it was applied"
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(versions_of app.db)" a1 "version rows"
	# applied from the CRLF file, checked against the LF one: the same
	run_ok retort upgrade head
	sed 's/\r$//' versions/a2_rev.sql >a2.lf && mv a2.lf versions/a2_rev.sql
	run retort check
	expect_exit 0
)

test_case "a raw checksum an older retort recorded of a CRLF file still matches"
(
	project
	sed 's/$/\r/' versions/a2_rev.sql >a2.crlf && mv a2.crlf versions/a2_rev.sql
	raw=$(sha256sum versions/a2_rev.sql | cut -d' ' -f1)
	sql app.db "UPDATE retort_version_history SET checksum = '$raw' WHERE revision = 'a2'"
	run retort check
	expect_exit 0
	run retort downgrade a1
	expect_exit 0
)

test_done
