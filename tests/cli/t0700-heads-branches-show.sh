#!/bin/sh
# heads, branches and show: text, --verbose and --json output, and lookups by id, prefix,
# label and head.
. "$(dirname "$0")/lib.sh"

#   r1 -> r2 -+-> f1 (feat) -> f2
#             +-> g1
graph() {
	new_project
	write_rev r1 null
	write_rev r2 r1 "message: the trunk" "CREATE TABLE a (x INTEGER);
CREATE TABLE b (y TEXT);
INSERT INTO b VALUES ('one; two');" NONE
	write_rev f1 r2 "branch_labels: [feat]"
	write_rev f2 f1
	write_rev g1 r2
}

test_case "heads of a linear history"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort heads
	expect_exit 0
	expect_stdout_equals "a2 (head)"
)

test_case "heads of a branchy history, with labels"
(
	graph
	run retort heads
	expect_exit 0
	cat >expected <<'OUT'
f2 (feat) (head)
g1 (head)
OUT
	expect_stdout_equals expected
)

test_case "heads of an empty project prints nothing"
(
	new_project
	run retort heads
	expect_exit 0
	expect_stdout_empty
)

test_case "heads --verbose prints a block per head"
(
	graph
	run retort heads --verbose
	expect_exit 0
	expect_stdout_contains "Rev: f2 (feat) (head)"
	expect_stdout_contains "Rev: g1 (head)"
	expect_stdout_contains "Parent: f1"
	expect_stdout_contains "versions/g1_rev.sql"
)

test_case "heads --json"
(
	graph
	run retort --json heads
	expect_exit 0
	expect_json 'sorted(h["revision"] for h in d) == ["f2", "g1"] and all(h["is_head"] for h in d)'
)

test_case "a depends_on target on another branch stays a head (branches stay independent, as in Alembic)"
(
	new_project
	write_rev x1 null "branch_labels: [extra]"
	write_rev a1 null
	write_rev a2 a1 "depends_on: [x1]"
	run retort heads
	expect_exit 0
	expect_stdout_contains "a2"
	expect_stdout_contains "x1"
)

test_case "branches lists each branch point and its children"
(
	graph
	run retort branches
	expect_exit 0
	cat >expected <<'OUT'
r2 (branchpoint), the trunk
    -> f1 (feat), rev f1
    -> g1 (head), rev g1
OUT
	expect_stdout_equals expected
)

test_case "branches of a linear history prints nothing"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort branches
	expect_exit 0
	expect_stdout_empty
)

test_case "branches --verbose and --json"
(
	graph
	run retort branches --verbose
	expect_exit 0
	expect_stdout_contains "Rev: r2 (branchpoint)"
	expect_stdout_contains "Branches into: f1, g1"
	run retort --json branches
	expect_exit 0
	expect_json '[b["revision"] for b in d] == ["r2"] and sorted(c["revision"] for c in d[0]["children"]) == ["f1", "g1"]'
)

test_case "show prints the header, the sections and the checksum"
(
	graph
	sum=$(sha256sum versions/r2_rev.sql | cut -d' ' -f1)
	run retort show r2
	expect_exit 0
	expect_stdout_contains "Rev: r2 (branchpoint)"
	expect_stdout_contains "Parent: r1"
	expect_stdout_contains "versions/r2_rev.sql"
	expect_stdout_contains "the trunk"
	expect_stdout_contains "Upgrade: 3 statements (line $(line_of versions/r2_rev.sql "-- retort:upgrade"))"
	expect_stdout_contains "Downgrade: none (irreversible)"
	expect_stdout_contains "$sum"
)

test_case "show by prefix, by label, and head"
(
	new_project
	write_rev abc111 null
	write_rev abd222 abc111 "branch_labels: [feat]"
	write_rev xyz333 abd222
	run retort show abc
	expect_exit 0
	expect_stdout_contains "Rev: abc111"
	run retort show feat
	expect_exit 0
	expect_stdout_contains "Rev: abd222"
	run retort show head
	expect_exit 0
	expect_stdout_contains "Rev: xyz333"
)

test_case "show of an ambiguous prefix lists the candidates"
(
	new_project
	write_rev abc111 null
	write_rev abd222 abc111
	run retort show ab
	expect_exit 2
	expect_stderr_contains "abc111"
	expect_stderr_contains "abd222"
	expect_stdout_empty
)

test_case "show of an unknown revision, of head with two heads, and without REV"
(
	graph
	run retort show nosuch
	expect_exit 2
	expect_stderr_contains "nosuch"
	run retort show head
	expect_exit 2
	expect_stderr_contains "f2"
	expect_stderr_contains "g1"
	run retort show
	expect_exit 2
	expect_stderr_contains "REV"
)

test_case "show --json"
(
	graph
	sum=$(sha256sum versions/r2_rev.sql | cut -d' ' -f1)
	run retort --json show r2
	expect_exit 0
	expect_json "d['revision'] == 'r2' and d['checksum'] == '$sum' and d['upgrade_statements'] == 3 and d['irreversible'] is True and d['down_revisions'] == ['r1'] and d['is_branch_point'] is True"
	run retort --json show f1
	expect_exit 0
	expect_json "d['branch_labels'] == ['feat'] and d['downgrade_statements'] == 1 and d['irreversible'] is False"
)

test_done
