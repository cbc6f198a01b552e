#!/bin/sh
# edit: opens the revision's file in $VISUAL, else $EDITOR; lookups by id, prefix, label
# and head; errors for unknown revisions and failing editors.
. "$(dirname "$0")/lib.sh"

# A fake editor: records its arguments in $HOME/editor.args and appends a line to the
# file it was given last.
make_editor() {
	cat >"$HOME/fake-editor" <<'ED'
#!/bin/sh
printf '%s\n' "$@" >"$HOME/editor.args"
for last in "$@"; do :; done
echo "-- edited by the fake editor" >>"$last"
ED
	chmod +x "$HOME/fake-editor"
}
make_editor

project() {
	new_project
	write_rev abc111 null
	write_rev abd222 abc111 "branch_labels: [feat]"
	write_rev xyz333 abd222
}

test_case "edit REV runs \$EDITOR on the revision's file"
(
	project
	EDITOR=$HOME/fake-editor run retort edit abc111
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$(pwd)/versions/abc111_rev.sql" "editor arguments"
	expect_eq "$(tail -n 1 versions/abc111_rev.sql)" "-- edited by the fake editor" "last line of the file"
)

test_case "edit accepts a prefix, a branch label and head"
(
	project
	EDITOR=$HOME/fake-editor run retort edit xy
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$(pwd)/versions/xyz333_rev.sql"
	EDITOR=$HOME/fake-editor run retort edit feat
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$(pwd)/versions/abd222_rev.sql"
	EDITOR=$HOME/fake-editor run retort edit head
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$(pwd)/versions/xyz333_rev.sql"
)

test_case "\$VISUAL wins over \$EDITOR"
(
	project
	VISUAL=$HOME/fake-editor EDITOR=false run retort edit abc111
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$(pwd)/versions/abc111_rev.sql"
)

test_case "an editor command with arguments"
(
	project
	EDITOR="$HOME/fake-editor --wait" run retort edit abc111
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args" | tr '\n' ' ')" "--wait $(pwd)/versions/abc111_rev.sql " "editor arguments"
)

test_case "edit of an unknown or ambiguous revision fails with exit 2 and runs no editor"
(
	project
	rm -f "$HOME/editor.args"
	EDITOR=$HOME/fake-editor run retort edit nosuch
	expect_exit 2
	expect_stderr_contains "nosuch"
	EDITOR=$HOME/fake-editor run retort edit ab
	expect_exit 2
	expect_stderr_contains "abc111"
	expect_stderr_contains "abd222"
	EDITOR=$HOME/fake-editor run retort edit
	expect_exit 2
	expect_file_missing "$HOME/editor.args"
)

test_case "a failing or missing editor is an error"
(
	project
	EDITOR=false run retort edit abc111
	[ "$RUN_EXIT" -ne 0 ] || fail "a failing editor reported success" "non-zero exit" "exit 0"
	expect_stderr_contains "false"
	EDITOR=/nonexistent/editor run retort edit abc111
	[ "$RUN_EXIT" -ne 0 ] || fail "a missing editor reported success" "non-zero exit" "exit 0"
	expect_stderr_contains "/nonexistent/editor"
)

test_done
