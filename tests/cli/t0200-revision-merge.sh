#!/bin/sh
# revision and merge: the files they write (name, header, sections), parents, branch
# labels, depends_on, --rev-id, --splice, and that an existing file is never overwritten.
. "$(dirname "$0")/lib.sh"

# header_value FILE KEY: the value after "KEY: " in FILE's header.
header_value() { sed -n "s/^$2: //p" "$1" | head -n 1; }

test_case "the first revision gets a random 12-hex id, a slug, and down_revision null"
(
	new_project
	run retort revision -m "Add Users table!"
	expect_exit 0
	f=$(ls versions)
	expect_eq "$(echo "$f" | wc -l)" 1 "number of files in versions/"
	echo "$f" | grep -Eq '^[0-9a-f]{12}_add_users_table\.sql$' ||
		fail "file name is not <12 hex>_<slug>.sql" "<12 hex>_add_users_table.sql" "$f"
	id=${f%%_*}
	expect_stdout_contains "versions/$f"
	expect_eq "$(header_value "versions/$f" revision)" "$id" "revision: in the header"
	expect_eq "$(header_value "versions/$f" down_revision)" "null" "down_revision: in the header"
	head -n 1 "versions/$f" | grep -qx '/\*' || fail "the file does not start with /*" "/*" "$(head -n 1 "versions/$f")"
	grep -qx -- '-- retort:upgrade' "versions/$f" || fail "no upgrade marker" "-- retort:upgrade" "$(cat "versions/$f")"
	grep -qx -- '-- retort:downgrade' "versions/$f" || fail "no downgrade marker" "-- retort:downgrade" "$(cat "versions/$f")"
	grep -q '^create_date: 20[0-9][0-9]-[01][0-9]-[0-3][0-9]T' "versions/$f" ||
		fail "no ISO create_date" "create_date: YYYY-MM-DDT..." "$(cat "versions/$f")"
	# the whole file is valid SQL: sqlite3 runs it as a no-op
	run sqlite3 -bail scratch.db <"versions/$f"
	expect_exit 0
)

test_case "revision builds on the single head; two random ids differ"
(
	new_project
	run_ok retort revision -m one
	a=$(ls versions | cut -d_ -f1)
	run_ok retort revision -m two
	b=$(ls versions | grep -v "^$a" | cut -d_ -f1)
	[ -n "$b" ] && [ "$a" != "$b" ] || fail "second revision has no new id" "two ids" "$(ls versions)"
	expect_eq "$(header_value versions/${b}_two.sql down_revision)" "$a" "parent of the second revision"
	run retort heads
	expect_exit 0
	expect_stdout_contains "$b (head)"
	expect_stdout_not_contains "$a"
)

test_case "--rev-id names the file and the revision"
(
	new_project
	run retort revision -m "custom id" --rev-id Imported_0001
	expect_exit 0
	expect_file_exists versions/Imported_0001_custom_id.sql
	expect_eq "$(header_value versions/Imported_0001_custom_id.sql revision)" Imported_0001
	run retort show Imported_0001
	expect_exit 0
)

test_case "--rev-id of an existing revision fails and never overwrites its file"
(
	new_project
	run_ok retort revision -m original --rev-id abc123
	echo "-- my edits" >>versions/abc123_original.sql
	before=$(cksum <versions/abc123_original.sql)
	run retort revision -m original --rev-id abc123
	expect_exit 2
	expect_stderr_contains "abc123"
	expect_eq "$(cksum <versions/abc123_original.sql)" "$before" "the existing file"
	expect_eq "$(ls versions)" "abc123_original.sql" "files in versions/"
	# a different message, same id: still refused
	run retort revision -m other --rev-id abc123
	expect_exit 2
	expect_eq "$(ls versions)" "abc123_original.sql" "files in versions/"
)

test_case "an existing file at the path revision would write is never overwritten"
(
	new_project
	run_ok retort revision -m base --rev-id r0
	# a file named like the next revision, but holding another (valid) revision
	write_rev other r0 "message: squatter"
	mv versions/other_rev.sql versions/nx1_next.sql
	before=$(cksum <versions/nx1_next.sql)
	run retort revision -m next --rev-id nx1 --head r0 --splice
	[ "$RUN_EXIT" -ne 0 ] || fail "revision overwrote or accepted a clash" "non-zero exit" "exit 0"
	expect_eq "$(cksum <versions/nx1_next.sql)" "$before" "the existing file"
)

test_case "something already at the new file's path (a directory) is refused, never replaced"
(
	new_project
	write_rev r0 null
	mkdir versions/nx2_next.sql
	: >versions/nx2_next.sql/keep
	run retort revision -m next --rev-id nx2
	expect_exit 2
	expect_stderr_contains "nx2_next.sql"
	expect_file_exists versions/nx2_next.sql/keep
)

test_case "a dangling symlink at the new file's path is never written through"
(
	new_project
	write_rev r0 null
	ln -s ../target.sql versions/nx1_next.sql
	run retort revision -m next --rev-id nx1
	[ "$RUN_EXIT" -ne 0 ] || fail "revision wrote through a symlink" "non-zero exit" "exit 0"
	_asserted
	expect_file_missing target.sql
)

test_case "--rev-id with invalid characters or too long is a usage error"
(
	new_project
	run retort revision -m x --rev-id 'bad-id'
	expect_exit 2
	expect_stderr_contains "bad-id"
	run retort revision -m x --rev-id 0123456789abcdef0123456789abcdef0
	expect_exit 2
	run retort revision -m x --rev-id 0123456789abcdef0123456789abcdef
	expect_exit 0
	expect_file_exists versions/0123456789abcdef0123456789abcdef_x.sql
	expect_eq "$(ls versions | wc -l)" 1 "files in versions/"
)

test_case "revision without -m is a usage error and writes nothing"
(
	new_project
	run retort revision --rev-id zz
	expect_exit 2
	expect_stderr_contains "-m"
	expect_eq "$(ls versions | wc -l)" 0 "files in versions/"
)

test_case "with two heads, revision needs --head and lists the heads"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	run retort revision -m next
	expect_exit 2
	expect_stderr_contains "b1"
	expect_stderr_contains "c1"
	expect_stderr_contains "--head"
	run retort revision -m next --head c1 --rev-id n1
	expect_exit 0
	expect_eq "$(header_value versions/n1_next.sql down_revision)" c1
)

test_case "--head base starts a new root"
(
	new_project
	write_rev a1 null
	run retort revision -m "second root" --head base --rev-id r2
	expect_exit 0
	expect_eq "$(header_value versions/r2_second_root.sql down_revision)" null
	run retort heads
	expect_stdout_contains "a1"
	expect_stdout_contains "r2"
)

test_case "--head of a non-head needs --splice, which starts a branch"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	run retort revision -m branch --head a1 --rev-id s1
	expect_exit 2
	expect_stderr_contains "a1"
	expect_stderr_contains "--splice"
	expect_file_missing versions/s1_branch.sql
	run retort revision -m branch --head a1 --splice --rev-id s1
	expect_exit 0
	expect_eq "$(header_value versions/s1_branch.sql down_revision)" a1
	run retort branches
	expect_exit 0
	expect_stdout_contains "a1"
)

test_case "--head accepts a unique prefix and LABEL@head"
(
	new_project
	write_rev aaa111 null
	write_rev bbb222 aaa111 "branch_labels: [feat]"
	write_rev ccc333 bbb222
	run retort revision -m p --head ccc --rev-id p1
	expect_exit 0
	expect_eq "$(header_value versions/p1_p.sql down_revision)" ccc333
	run retort revision -m q --head feat@head --rev-id q1
	expect_exit 0
	expect_eq "$(header_value versions/q1_q.sql down_revision)" p1
)

test_case "--branch-label writes branch_labels, and a label in use is refused"
(
	new_project
	write_rev a1 null
	run retort revision -m feature --head base --branch-label billing --rev-id b1
	expect_exit 0
	expect_eq "$(header_value versions/b1_feature.sql branch_labels)" "[billing]"
	run retort heads
	expect_stdout_contains "b1 (billing)"
	run retort revision -m again --head a1 --branch-label billing --rev-id b2
	expect_exit 2
	expect_stderr_contains "billing"
	expect_file_missing versions/b2_again.sql
)

test_case "--depends-on writes depends_on; an unknown target is refused"
(
	new_project
	write_rev a1 null
	write_rev o1 null "branch_labels: [other]"
	run retort revision -m dep --head a1 --depends-on o1 --rev-id d1
	expect_exit 0
	expect_eq "$(header_value versions/d1_dep.sql depends_on)" "[o1]"
	run retort revision -m dep2 --head d1 --depends-on nosuchrev --rev-id d2
	expect_exit 2
	expect_stderr_contains "nosuchrev"
	expect_file_missing versions/d2_dep2.sql
)

test_case "merge heads joins every head into an empty revision"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	run retort merge -m "join them" heads --rev-id m1
	expect_exit 0
	expect_file_exists versions/m1_join_them.sql
	expect_eq "$(header_value versions/m1_join_them.sql down_revision)" "[b1, c1]"
	run retort heads
	expect_exit 0
	expect_eq "$(grep -c . "$RUN_STDOUT")" 1 "number of heads after the merge"
	expect_stdout_contains "m1"
	# the merge is a valid no-op for upgrade and downgrade
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" m1 "version rows"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(versions_of app.db)" "" "version rows"
)

test_case "merge of named revisions"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	write_rev d1 a1
	run retort merge -m "two of three" b1 c1 --rev-id m2
	expect_exit 0
	expect_eq "$(header_value versions/m2_two_of_three.sql down_revision)" "[b1, c1]"
	run retort heads
	expect_stdout_contains "d1"
	expect_stdout_contains "m2"
	expect_stdout_not_contains "b1"
)

test_case "merge needs two revisions and a message"
(
	new_project
	write_rev a1 null
	write_rev b1 a1
	write_rev c1 a1
	run retort merge -m x b1
	expect_exit 2
	run retort merge b1 c1
	expect_exit 2
	expect_stderr_contains "-m"
	expect_eq "$(ls versions | wc -l)" 3 "files in versions/"
)

test_case "revision --json reports the new file"
(
	new_project
	write_rev a1 null
	run retort --json revision -m j --rev-id j1
	expect_exit 0
	expect_json 'd["revision"] == "j1" and d["down_revisions"] == ["a1"] and d["path"].endswith("versions/j1_j.sql")'
)

test_case "revision refuses to add to a broken graph"
(
	new_project
	write_rev a1 missing_parent
	run retort revision -m x --rev-id x1
	expect_exit 2
	expect_stderr_contains "missing_parent"
	expect_file_missing versions/x1_x.sql
)

test_done
