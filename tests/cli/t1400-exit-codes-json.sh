#!/bin/sh
# Exit codes (0 success, 1 migration or database error, 2 bad usage or bad input) across
# commands, and --json: every document parses, upgrade/downgrade give a record per
# revision with its duration, errors are JSON too.
. "$(dirname "$0")/lib.sh"

project() {
	new_project
	write_rev a1 null
	write_rev a2 a1
}

test_case "exit 0 for successful commands"
(
	project
	for args in "heads" "branches" "history" "current" "check" "show a1" "graph" \
		"upgrade head" "current" "downgrade base" "stamp head" "stamp base" \
		"upgrade --sql head" "list-templates" "version"; do
		run retort $args
		expect_exit 0
	done
)

test_case "exit 1: a failing statement"
(
	project
	write_rev a3 a2 "" "INSERT INTO nosuch VALUES (1);"
	run retort upgrade head
	expect_exit 1
)

test_case "exit 1: a database that cannot be opened or is not a database"
(
	project
	mkdir dir.db
	run retort --url sqlite:///dir.db upgrade head
	expect_exit 1
	expect_stderr_contains "dir.db"
	run retort --url sqlite:///nodir/x.db upgrade head
	expect_exit 1
	expect_stderr_contains "nodir"
	echo "this is not a database" >garbage.db
	run retort --url sqlite:///garbage.db upgrade head
	expect_exit 1
	expect_stderr_contains "not a database"
	run retort --url sqlite:///garbage.db current
	expect_exit 1
	expect_eq "$(cat garbage.db)" "this is not a database" "the garbage file"
)

test_case "exit 1: an unreachable PostgreSQL server"
(
	project
	run retort --url "postgresql://app@127.0.0.1:1/app" current
	expect_exit 1
	expect_stderr_contains "127.0.0.1"
	run retort --url "postgresql://app@127.0.0.1:1/app" upgrade head
	expect_exit 1
)

test_case "exit 2: bad usage"
(
	project
	for args in "nosuchcommand" "upgrade" "downgrade" "show" "stamp" "init" "merge" \
		"revision" "upgrade head --nosuchoption" "history -r" "upgrade head extra"; do
		run retort $args
		expect_exit 2
		[ -s "$RUN_STDERR" ] || fail "no message on stderr for: retort $args"
	done
	expect_file_missing app.db
)

test_case "exit 2: bad input (unknown, ambiguous target, multiple heads, bad script, bad config)"
(
	project
	run retort upgrade nosuch
	expect_exit 2
	run retort upgrade a
	expect_exit 2
	write_rev b2 a1
	run retort upgrade head
	expect_exit 2
	rm versions/b2_rev.sql
	write_rev a3 a2 "colour: red"
	run retort upgrade head
	expect_exit 2
	run retort check
	expect_exit 2
	rm versions/a3_rev.sql
	echo "nonsense_key: 1" >>retort.yaml
	run retort upgrade head
	expect_exit 2
)

test_case "--json upgrade: a record per revision applied, with its duration"
(
	project
	run retort --json upgrade head
	expect_exit 0
	expect_json 'd["ok"] is True and [s["revision"] for s in d["steps"]] == ["a1", "a2"] and all(s["direction"] == "upgrade" and s["status"] == "applied" and isinstance(s["duration_ms"], (int, float)) and s["duration_ms"] >= 0 for s in d["steps"]) and d["heads_before"] == [] and d["heads_after"] == ["a2"]'
	expect_stderr_not_contains "{"
)

test_case "--json downgrade: a record per revision, newest first"
(
	project
	run_ok retort upgrade head
	run retort --json downgrade base
	expect_exit 0
	expect_json '[s["revision"] for s in d["steps"]] == ["a2", "a1"] and all(s["direction"] == "downgrade" and isinstance(s["duration_ms"], (int, float)) for s in d["steps"]) and d["heads_after"] == []'
)

test_case "--json upgrade with nothing to do"
(
	project
	run_ok retort upgrade head
	run retort --json upgrade head
	expect_exit 0
	expect_json 'd["ok"] is True and d["steps"] == [] and d["heads_after"] == ["a2"]'
)

test_case "--json output of every read command parses"
(
	project
	write_rev b2 a1 "branch_labels: [side]"
	run_ok retort upgrade heads
	run retort --json current
	expect_exit 0
	expect_json 'sorted(h["revision"] for h in d["heads"]) == ["a2", "b2"]'
	run retort --json history
	expect_exit 0
	expect_json 'len(d) == 3'
	run retort --json heads
	expect_exit 0
	expect_json 'sorted(h["revision"] for h in d) == ["a2", "b2"]'
	run retort --json branches
	expect_exit 0
	expect_json '[b["revision"] for b in d] == ["a1"]'
	run retort --json show b2
	expect_exit 0
	expect_json 'd["revision"] == "b2" and d["branch_labels"] == ["side"]'
	run retort --json check
	expect_exit 0
	expect_json 'd["ok"] is True'
)

test_case "--json errors are JSON documents on stdout, with the exit code unchanged"
(
	project
	write_rev b2 a1
	run retort --json upgrade head
	expect_exit 2
	expect_json 'd["ok"] is False and "a2" in d["error"]["message"] and "b2" in d["error"]["message"]'
	run retort --json show nosuch
	expect_exit 2
	expect_json 'd["ok"] is False'
	echo "not a database" >garbage.db
	run retort --json --url sqlite:///garbage.db current
	expect_exit 1
	expect_json 'd["ok"] is False'
	# a missing file reads as an empty database for read-only commands
	run retort --json --url sqlite:///nodir/x.db current
	expect_exit 0
	expect_json 'd["heads"] == []'
)

test_case "--json with -q still prints the document"
(
	project
	run retort --json -q upgrade head
	expect_exit 0
	expect_json 'len(d["steps"]) == 2'
	expect_stderr_empty
)

test_done
