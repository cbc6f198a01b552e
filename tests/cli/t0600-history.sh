#!/bin/sh
# history: the full list newest first, -r ranges A:B, A:, :B with `current` on either side,
# --indicate-current, --verbose (with the runs from the history table), --json.
. "$(dirname "$0")/lib.sh"

linear5() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	write_rev a3 a2
	write_rev a4 a3
	write_rev a5 a4
}

# ids_of_history: the revision ids of `history` stdout, in order, space separated.
ids_of_history() {
	sed -n 's/^.* -> \([A-Za-z0-9_]*\).*$/\1/p' "$RUN_STDOUT" | tr '\n' ' ' | sed 's/ $//'
}

test_case "history lists every revision newest first, in Alembic's format"
(
	linear5
	run retort history
	expect_exit 0
	cat >expected <<'OUT'
a4 -> a5 (head), rev a5
a3 -> a4, rev a4
a2 -> a3, rev a3
a1 -> a2, rev a2
<base> -> a1, rev a1
OUT
	expect_stdout_equals expected
)

test_case "history works without a database and creates none"
(
	linear5
	run retort history
	expect_exit 0
	expect_file_missing app.db
)

test_case "-r A:B includes both ends"
(
	linear5
	run retort history -r a2:a4
	expect_exit 0
	expect_eq "$(ids_of_history)" "a4 a3 a2" "revisions listed"
)

test_case "-r A: runs from A to the heads"
(
	linear5
	run retort history -r a3:
	expect_exit 0
	expect_eq "$(ids_of_history)" "a5 a4 a3" "revisions listed"
)

test_case "-r :B runs from base to B"
(
	linear5
	run retort history -r :a2
	expect_exit 0
	expect_eq "$(ids_of_history)" "a2 a1" "revisions listed"
)

test_case "-r base:B and A:head"
(
	linear5
	run retort history -r base:a2
	expect_exit 0
	expect_eq "$(ids_of_history)" "a2 a1" "revisions listed"
	run retort history -r a4:head
	expect_exit 0
	expect_eq "$(ids_of_history)" "a5 a4" "revisions listed"
)

test_case "-r current: and :current"
(
	linear5
	run_ok retort upgrade a3
	run retort history -r current:
	expect_exit 0
	expect_eq "$(ids_of_history)" "a5 a4 a3" "revisions listed for current:"
	run retort history -r :current
	expect_exit 0
	expect_eq "$(ids_of_history)" "a3 a2 a1" "revisions listed for :current"
	run retort history -r a2:current
	expect_exit 0
	expect_eq "$(ids_of_history)" "a3 a2" "revisions listed for a2:current"
	run retort history -r current:a4
	expect_exit 0
	expect_eq "$(ids_of_history)" "a4 a3" "revisions listed for current:a4"
)

test_case "-r current: on an empty database lists everything"
(
	linear5
	run retort history -r current:
	expect_exit 0
	expect_eq "$(ids_of_history)" "a5 a4 a3 a2 a1" "revisions listed"
)

test_case "-r with prefixes and a branch label"
(
	new_project
	write_rev aaa1 null
	write_rev bbb2 aaa1
	write_rev ccc3 bbb2 "branch_labels: [feat]"
	write_rev ddd4 ccc3
	run retort history -r bb:feat@head
	expect_exit 0
	expect_eq "$(ids_of_history)" "ddd4 ccc3 bbb2" "revisions listed"
)

test_case "-r with an unknown or ambiguous revision fails with exit 2"
(
	new_project
	write_rev ab1 null
	write_rev ab2 ab1
	run retort history -r nope:
	expect_exit 2
	expect_stderr_contains "nope"
	run retort history -r a:
	expect_exit 2
	expect_stderr_contains "ab1"
	expect_stderr_contains "ab2"
)

test_case "history of a branchy graph: every revision after its descendants"
(
	new_project
	write_rev r1 null
	write_rev r2 r1
	write_rev f1 r2 "branch_labels: [feat]"
	write_rev f2 f1
	write_rev g1 r2
	write_rev m1 "[f2, g1]"
	run retort history
	expect_exit 0
	ids=$(ids_of_history)
	expect_eq "$(echo "$ids" | wc -w)" 6 "revisions listed"
	expect_order "$ids" m1 f2 f1 r2 r1
	expect_order "$ids" m1 g1 r2
	expect_stdout_contains "r2 -> f1 (feat), rev f1"
	expect_stdout_matches '^\(f2, g1\) -> m1 .*\(head\) \(mergepoint\), rev m1$'
	expect_stdout_matches '^r1 -> r2 \(branchpoint\), rev r2$'
)

test_case "--indicate-current marks the current revision"
(
	linear5
	run_ok retort upgrade a2
	run retort history --indicate-current
	expect_exit 0
	expect_stdout_contains "a1 -> a2 (current), rev a2"
	expect_eq "$(grep -c '(current)' "$RUN_STDOUT")" 1 "lines marked current"
	run retort history -i
	expect_exit 0
	expect_stdout_contains "a1 -> a2 (current), rev a2"
)

test_case "--verbose shows each revision's block and its runs"
(
	new_project
	write_rev a1 null "message: first"
	write_rev a2 a1 "message: second"
	run_ok retort upgrade head
	run_ok retort downgrade a1
	sum=$(sha256sum versions/a2_rev.sql | cut -c1-12)
	run retort history --verbose
	expect_exit 0
	expect_stdout_contains "Rev: a2"
	expect_stdout_contains "Parent: a1"
	expect_stdout_contains "versions/a2_rev.sql"
	expect_stdout_contains "second"
	expect_stdout_contains "$sum"
	expect_eq "$(grep -c 'downgrade' "$RUN_STDOUT")" 1 "downgrade runs shown"
	expect_eq "$(grep -c 'upgrade  *applied' "$RUN_STDOUT")" 2 "upgrade runs shown"
)

test_case "the history table records direction, checksum, times, duration and retort's version"
(
	new_project
	write_rev a1 null
	run_ok retort upgrade head
	run_ok retort downgrade base
	run_ok retort stamp a1
	sum=$(sha256sum versions/a1_rev.sql | cut -d' ' -f1)
	expect_eq "$(sql app.db "SELECT revision, direction, status, checksum, retort_version FROM retort_version_history ORDER BY id")" \
		"a1|upgrade|applied|$sum|0.1.0
a1|downgrade|applied|$sum|0.1.0
a1|stamp|applied|$sum|0.1.0" "history rows"
	expect_eq "$(sql app.db "SELECT count(*) FROM retort_version_history
	                         WHERE started_at GLOB '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:*'
	                           AND finished_at >= started_at AND duration_ms >= 0")" 3 "rows with sane times and durations"
)

test_case "history --json lists revisions newest first"
(
	linear5
	run_ok retort upgrade a2
	run retort --json history
	expect_exit 0
	expect_json '[r["revision"] for r in d] == ["a5", "a4", "a3", "a2", "a1"] and d[0]["is_head"] is True and d[4]["down_revisions"] == []'
	run retort --json history -r a2:a3
	expect_exit 0
	expect_json '[r["revision"] for r in d] == ["a3", "a2"]'
	run retort --json history --verbose
	expect_exit 0
	expect_json '[r["revision"] for r in d if r.get("is_current")] == ["a2"] and [h["direction"] for h in d[3]["history"]] == ["upgrade"]'
)

test_case "history with a broken graph fails with exit 2 naming the file"
(
	linear5
	write_rev b1 nosuchparent
	run retort history
	expect_exit 2
	expect_stderr_contains "b1_rev.sql"
	expect_stderr_contains "nosuchparent"
)

test_done
