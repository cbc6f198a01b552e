#!/bin/sh
# A database call that fails (RETORT_FAULT=KIND:N[:once|:persist], lib/fault_backend.c:
# the Nth exec, query or commit, and with :persist every later one of that kind, fails
# without reaching the database) ends in a clean error and leaves the database true.
. "$(dirname "$0")/lib.sh"

ordinal() {
	case $1 in
	*1[123]) echo "${1}th" ;;
	*1) echo "${1}st" ;;
	*2) echo "${1}nd" ;;
	*3) echo "${1}rd" ;;
	*) echo "${1}th" ;;
	esac
}

test_case "the hook: a malformed RETORT_FAULT is bad usage; a fault names itself; a large N or count changes nothing"
(
	new_project
	write_rev a1 null
	for _spec in bogus exec exec:0 exec:-1 exec:x exec:3x exec:3:sometimes query:99999999999999999999 read:1; do
		RETORT_FAULT=$_spec run retort upgrade head
		expect_exit 2
		expect_stderr_contains "error: RETORT_FAULT: invalid fault '$_spec': expected KIND:N, KIND:N:once, KIND:N:persist or count"
		expect_stderr_contains "hint: KIND is exec, query or commit"
		expect_file_missing app.db
	done
	RETORT_FAULT=query:1 run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: fault injected: the 1st query fails"
	expect_stderr_contains "hint: A test hook (the fault backend) failed this call on purpose"
	RETORT_FAULT=exec:1000:persist run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a1"
	# count: nothing fails; -v says how many calls of each kind ran (a downgrade commits once)
	RETORT_FAULT=count run retort -v downgrade base
	expect_exit 0
	expect_stderr_matches '^fault calls: exec [1-9][0-9]*, query [1-9][0-9]*, commit 1$'
	expect_eq "$(versions_of app.db)" ""
	RETORT_FAULT=count run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "fault calls"
	RETORT_FAULT= run retort current
	expect_exit 0
)

test_case "a COMMIT that fails: the revision is rolled back and its failure recorded; a fault in a revision names its file and line"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	# the 1st COMMIT creates retort's tables: nothing is left of them
	RETORT_FAULT=commit:1:persist run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: fault injected: the 1st commit fails"
	expect_eq "$(sql app.db "SELECT count(*) FROM sqlite_master" 2>/dev/null || echo 0)" 0
	rm -f app.db
	# the 2nd is a1's: SQLite keeps a transaction whose COMMIT failed open; the runner must
	# roll it back before it records the failure, or the record is lost with it
	for _mode in once persist; do
		rm -f app.db
		RETORT_FAULT=commit:2:$_mode run retort upgrade head
		expect_exit 1
		expect_stderr_contains "error: fault injected: the 2nd commit fails"
		expect_eq "$(versions_of app.db)" ""
		expect_eq "$(tables_of app.db)" ""
		expect_eq "$(history_of app.db)" "a1 upgrade failed"
	done
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a2"
	run retort downgrade base
	expect_exit 0
	# each statement of the run: find a1's CREATE TABLE by the location in the message
	_n=1
	while :; do
		RETORT_FAULT=exec:$_n:once run retort -q upgrade head
		[ "$RUN_EXIT" = 0 ] && fail "no exec fault reached a1's statement"
		grep -q "^error: versions/a1_rev.sql:[0-9]*: fault injected: the $(ordinal $_n) exec fails" "$RUN_STDERR" && break
		_n=$((_n + 1))
	done
	_asserted
	expect_eq "$(tables_of app.db)" ""
)

test_case "a statement-by-statement revision whose progress could not be recorded: the failed row counts the statement that ran"
(
	new_project
	write_rev b1 null "transactional: false" \
		"CREATE TABLE n (note TEXT);
INSERT INTO n VALUES ('one');
INSERT INTO n VALUES ('two');" "DROP TABLE n;"
	_line=$(grep -n "VALUES ('one')" versions/b1_rev.sql | cut -d: -f1)
	# the exec of the first INSERT, found by the location the fault reports; the next
	# exec records its progress
	_n=1
	while :; do
		RETORT_FAULT=exec:$_n:once run retort -q upgrade head
		[ "$RUN_EXIT" = 0 ] && fail "no exec fault reached the first INSERT"
		rm -f app.db
		grep -q "^error: versions/b1_rev.sql:$_line: fault injected" "$RUN_STDERR" && break
		_n=$((_n + 1))
	done
	RETORT_FAULT=exec:$((_n + 1)):once run retort -q upgrade head
	expect_exit 1
	expect_stderr_contains "fault injected: the $(ordinal $((_n + 1))) exec fails"
	expect_eq "$(sql app.db "SELECT note FROM n")" "one"
	expect_eq "$(sql app.db "SELECT status || ' ' || statement_index FROM retort_version_history")" "failed 2"
	run retort -q upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT note FROM n ORDER BY rowid" | tr '\n' ' ')" "one two "
	expect_eq "$(versions_of app.db)" "b1"
)

test_done
