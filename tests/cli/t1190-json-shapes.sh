#!/bin/sh
# The JSON shapes the README documents: every step of upgrade, downgrade and stamp has
# the same keys (a stamp step's revision, down_revisions and message are null; from/to
# are the version rows each step removes and writes), and "history" is an array of runs
# wherever it appears (current: the last run; history -v: every run).
. "$(dirname "$0")/lib.sh"

STEP_KEYS='["revision", "direction", "from", "to", "down_revisions", "message", "duration_ms", "status", "changed_since_applied"]'

test_case "upgrade, downgrade and stamp steps have the documented keys, in order"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort --json upgrade head
	expect_exit 0
	expect_json "all(list(s) == $STEP_KEYS for s in d['steps'])"
	expect_json '([(s["revision"], s["from"], s["to"], s["down_revisions"]) for s in d["steps"]] ==
	             [("a1", [], ["a1"], []), ("a2", ["a1"], ["a2"], ["a1"])])'
	run retort --json downgrade a1
	expect_exit 0
	expect_json "all(list(s) == $STEP_KEYS for s in d['steps'])"
	expect_json '[(s["revision"], s["direction"], s["from"], s["to"]) for s in d["steps"]] == [("a2", "downgrade", ["a2"], ["a1"])]'
	run retort --json stamp a2
	expect_exit 0
	expect_json "all(list(s) == $STEP_KEYS for s in d['steps'])"
	expect_json '(len(d["steps"]) == 1 and d["steps"][0]["direction"] == "stamp" and d["steps"][0]["revision"] is None
	             and d["steps"][0]["down_revisions"] is None and d["steps"][0]["message"] is None
	             and d["steps"][0]["from"] == ["a1"] and d["steps"][0]["to"] == ["a2"] and d["steps"][0]["status"] == "applied")'
)

test_case "\"history\" is an array of runs in current and in history -v"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run_ok retort upgrade a1
	run_ok retort downgrade base
	run_ok retort upgrade head
	run retort --json current
	expect_exit 0
	expect_json 'isinstance(d["heads"][0]["history"], list) and [(h["revision"], h["direction"]) for h in d["heads"][0]["history"]] == [("a2", "upgrade")]'
	run retort --json history --verbose
	expect_exit 0
	expect_json 'all(isinstance(r["history"], list) for r in d)'
	expect_json '[h["direction"] for r in d if r["revision"] == "a1" for h in r["history"]] == ["upgrade", "downgrade", "upgrade"]'
	# the same keys for a run in both
	run retort --json current
	keys_current=$(json_value 'sorted(d["heads"][0]["history"][0])')
	run retort --json history --verbose
	expect_eq "$(json_value 'sorted(d[0]["history"][0])')" "$keys_current" "the keys of a run"
)

test_done
