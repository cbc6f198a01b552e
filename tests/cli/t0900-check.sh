#!/bin/sh
# check (and every command that loads the scripts): malformed headers with file and line
# and exit 2, graph problems all listed at once, bad script bodies, and the database
# against the scripts (checksum mismatch, deleted applied file).
. "$(dirname "$0")/lib.sh"

# hdr NAME LINE...: writes versions/NAME_rev.sql with a header made of LINEs (lines 2..).
hdr() {
	_f=versions/$1_rev.sql
	shift
	{
		echo "/*"
		for _l in "$@"; do printf '%s\n' "$_l"; done
		echo "*/"
		echo
		echo "-- retort:upgrade"
		echo "CREATE TABLE x (id INTEGER);"
	} >"$_f"
}

# bad_header_case NAME LINE FRAGMENT: check, upgrade and heads all exit 2 naming
# versions/NAME_rev.sql:LINE and FRAGMENT; check prints it, the others too.
bad_header_case() {
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/$1_rev.sql:$2:"
	expect_stdout_contains "$3"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/$1_rev.sql:$2:"
	expect_stderr_contains "$3"
	expect_file_missing app.db
	run retort heads
	expect_exit 2
	expect_stderr_contains "versions/$1_rev.sql:$2:"
}

test_case "a clean project and database: check exits 0"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade head
	run retort check
	expect_exit 0
	expect_stdout_not_contains "error"
	run retort --json check
	expect_exit 0
	expect_json 'd["ok"] is True and d["errors"] == 0 and d["revisions"] == 2 and d["database_checked"] is True and d["problems"] == []'
)

test_case "broken YAML: file and line"
(
	new_project
	hdr y1 "revision: y1" "down_revision: null" "message: a: b"
	bad_header_case y1 4 "invalid YAML"
)

test_case "a tab in the header YAML: file and line"
(
	new_project
	hdr y3 "revision: y3" "down_revision: null" "message: ok" "	tab: x"
	bad_header_case y3 5 "tab"
)

test_case "wrong type: message is a list"
(
	new_project
	hdr t1 "revision: t1" "down_revision: null" "message: [a, b]"
	bad_header_case t1 4 "'message'"
)

test_case "wrong type: down_revision is a mapping"
(
	new_project
	hdr t2 "revision: t2" "down_revision: {a: b}" "message: ok"
	bad_header_case t2 3 "'down_revision'"
)

test_case "wrong type: transactional is not a boolean"
(
	new_project
	hdr t3 "revision: t3" "down_revision: null" "message: ok" "transactional: maybe"
	bad_header_case t3 5 "'transactional'"
)

test_case "wrong type: revision is a list"
(
	new_project
	hdr t4 "revision: [t4]" "down_revision: null" "message: ok"
	bad_header_case t4 2 "'revision'"
)

test_case "an unknown key"
(
	new_project
	hdr k1 "revision: k1" "down_revision: null" "message: ok" "downrevision: x"
	bad_header_case k1 5 "'downrevision'"
)

test_case "missing down_revision"
(
	new_project
	hdr m1 "revision: m1" "message: no parent given"
	run retort check
	expect_exit 2
	expect_stdout_matches 'versions/m1_rev\.sql:[12]:.*down_revision'
	run retort upgrade head
	expect_exit 2
	expect_stderr_matches 'versions/m1_rev\.sql:[12]:.*down_revision'
)

test_case "missing revision"
(
	new_project
	hdr n1 "down_revision: null" "message: no id"
	run retort check
	expect_exit 2
	expect_stdout_matches "versions/n1_rev\.sql:[0-9]+:.*'revision'"
)

test_case "an invalid revision id"
(
	new_project
	hdr i1 "revision: i1-x" "down_revision: null" "message: ok"
	bad_header_case i1 2 "i1-x"
)

test_case "an id longer than 32 characters"
(
	new_project
	hdr abcdefghij0123456789abcdefghij012 "revision: abcdefghij0123456789abcdefghij012" "down_revision: null"
	bad_header_case abcdefghij0123456789abcdefghij012 2 "abcdefghij0123456789abcdefghij012"
)

test_case "ids imported from other tools (1 to 32 of [A-Za-z0-9_]) are accepted"
(
	new_project
	hdr 1 "revision: 1" "down_revision: null" "message: one"
	hdr Rev_Two_2 "revision: Rev_Two_2" "down_revision: 1" "message: two"
	hdr abcdefghij0123456789abcdefghij01 "revision: abcdefghij0123456789abcdefghij01" "down_revision: Rev_Two_2"
	sed -i 's/CREATE TABLE x/CREATE TABLE x1/' versions/1_rev.sql
	sed -i 's/CREATE TABLE x/CREATE TABLE x2/' versions/Rev_Two_2_rev.sql
	run retort check
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" abcdefghij0123456789abcdefghij01 "version rows"
)

test_case "a header that is never closed"
(
	new_project
	printf '/*\nrevision: u1\ndown_revision: null\n\n-- retort:upgrade\nSELECT 1;\n' >versions/u1_rev.sql
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/u1_rev.sql:1:"
)

test_case "a file without a header"
(
	new_project
	printf -- '-- retort:upgrade\nCREATE TABLE x (i INTEGER);\n' >versions/h1_rev.sql
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/h1_rev.sql:1:"
)

test_case "check lists every malformed header at once"
(
	new_project
	hdr y1 "revision: y1" "down_revision: null" "message: a: b"
	hdr t1 "revision: t1" "down_revision: null" "message: [a, b]"
	hdr k1 "revision: k1" "down_revision: null" "message: ok" "colour: red"
	hdr i1 "revision: i1-x" "down_revision: null" "message: ok"
	hdr m1 "revision: m1" "message: ok"
	hdr ok1 "revision: ok1" "down_revision: null" "message: fine"
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/y1_rev.sql:4:"
	expect_stdout_contains "versions/t1_rev.sql:4:"
	expect_stdout_contains "versions/k1_rev.sql:5:"
	expect_stdout_contains "versions/i1_rev.sql:2:"
	expect_stdout_contains "versions/m1_rev.sql:"
	expect_stdout_not_contains "ok1_rev.sql"
	expect_stdout_contains "5 errors"
	run retort --json check
	expect_exit 2
	expect_json 'd["ok"] is False and d["errors"] == 5 and len([p for p in d["problems"] if p["severity"] == "error"]) == 5 and all(p["file"] and p["line"] for p in d["problems"])'
)

test_case "check lists every graph problem at once: cycle, missing parent, missing depends_on, duplicate id, duplicate label, file name"
(
	new_project
	write_rev a1 null
	write_rev c1 c2
	write_rev c2 c1
	write_rev m1 nothere
	write_rev d1 a1 "depends_on: [ghost]"
	write_rev d2 a1
	cp versions/d2_rev.sql versions/d2_copy.sql
	write_rev l1 a1 "branch_labels: [same]"
	write_rev l2 a1 "branch_labels: [same]"
	write_rev n1 a1
	mv versions/n1_rev.sql versions/wrongname_rev.sql
	run retort check
	expect_exit 2
	expect_stdout_contains "cycle"
	expect_stdout_matches "versions/c[12]_rev\.sql"
	expect_stdout_contains "versions/m1_rev.sql"
	expect_stdout_contains "nothere"
	expect_stdout_contains "versions/d1_rev.sql"
	expect_stdout_contains "ghost"
	expect_stdout_contains "d2_copy.sql"
	expect_stdout_contains "'same'"
	expect_stdout_contains "versions/wrongname_rev.sql"
	expect_stdout_contains "6 errors"
	run retort --json check
	expect_exit 2
	expect_json 'd["errors"] == 6 and len(d["problems"]) == 6 and all(p["file"] for p in d["problems"])'
	# every other command refuses the graph, naming the first problem's file
	run retort upgrade heads
	expect_exit 2
	expect_stderr_contains "versions/"
	expect_file_missing app.db
)

test_case "a missing parent alone"
(
	new_project
	write_rev a1 null
	write_rev b1 a0
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/b1_rev.sql:3:"
	expect_stdout_contains "'a0'"
	expect_stdout_contains "1 error"
)

test_case "a revision that is its own parent"
(
	new_project
	write_rev s1 s1
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/s1_rev.sql:3:"
	expect_stdout_contains "'s1'"
)

test_case "a cycle through depends_on"
(
	new_project
	write_rev a1 null "depends_on: [b1]"
	write_rev b1 a1
	run retort check
	expect_exit 2
	expect_stdout_contains "cycle"
)

test_case "bad script bodies: unterminated string and comment, undefined variable, each with file and line"
(
	new_project
	write_rev a1 null "" "CREATE TABLE x (v TEXT DEFAULT 'unterminated);"
	write_rev a2 a1 "" "CREATE TABLE y (v TEXT DEFAULT '\${missing_var}');"
	write_rev a3 a2 "" "CREATE TABLE z (v TEXT);
/* unclosed comment"
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/a1_rev.sql:9:"
	expect_stdout_contains "versions/a2_rev.sql:9:"
	expect_stdout_contains "missing_var"
	expect_stdout_contains "versions/a3_rev.sql:10:"
	expect_stdout_contains "3 errors"
)

test_case "checksum mismatch after editing an applied revision"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	run_ok retort upgrade head
	old=$(sha256sum versions/a2_rev.sql | cut -c1-12)
	echo "-- an innocent edit" >>versions/a2_rev.sql
	new=$(sha256sum versions/a2_rev.sql | cut -c1-12)
	run retort check
	expect_exit 2
	expect_stdout_contains "versions/a2_rev.sql"
	expect_stdout_contains "'a2'"
	expect_stdout_contains "$old"
	expect_stdout_contains "$new"
	expect_stdout_not_contains "a1_rev.sql"
	run retort --json check
	expect_exit 2
	expect_json '[p["kind"] for p in d["problems"]] == ["checksum-mismatch"] and d["problems"][0]["file"].endswith("versions/a2_rev.sql")'
	# --no-db looks at the scripts only
	run retort check --no-db
	expect_exit 0
)

test_case "an edited revision that is not applied is no problem"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade a1
	echo "-- edit" >>versions/a2_rev.sql
	run retort check
	expect_exit 0
)

test_case "a deleted applied revision file is reported"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	run_ok retort upgrade a2
	run_ok retort stamp a2
	# a2 is applied and not the head of the graph; delete a1 (applied, an ancestor)
	sed -i 's/^down_revision: a1$/down_revision: null/' versions/a2_rev.sql
	rm versions/a1_rev.sql
	run retort check
	expect_exit 2
	expect_stdout_contains "'a1'"
	expect_stdout_contains "no revision file"
)

test_case "a deleted applied head file and an edited one are both reported"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	run_ok retort upgrade head
	echo "-- edit" >>versions/a2_rev.sql
	rm versions/a3_rev.sql
	run retort check
	expect_exit 2
	expect_stdout_contains "'a3'"
	expect_stdout_contains "changed after it was applied"
	expect_stdout_contains "versions/a2_rev.sql"
	run retort --json check
	expect_exit 2
	expect_json '"checksum-mismatch" in [p["kind"] for p in d["problems"]] and "missing-file" in [p["kind"] for p in d["problems"]]'
)

test_case "check without a database file does not create one"
(
	new_project
	write_rev a1 null
	run retort check
	expect_exit 0
	expect_file_missing app.db
)

test_done
