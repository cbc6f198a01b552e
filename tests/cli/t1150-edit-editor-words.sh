#!/bin/sh
# edit splits $VISUAL / $EDITOR into words as a shell would - blanks, '...', "...",
# backslashes - but runs no shell and expands nothing; an unclosed quote is a usage
# error naming the variable.
. "$(dirname "$0")/lib.sh"

# An editor whose path has a space: records its arguments, one per line, in
# $HOME/editor.args.
mkdir -p "$HOME/my tools"
cat >"$HOME/my tools/rec" <<'ED'
#!/bin/sh
printf '%s\n' "$@" >"$HOME/editor.args"
ED
chmod +x "$HOME/my tools/rec"

project() {
	new_project
	write_rev a1 null
	FILE=$(pwd)/versions/a1_rev.sql
}

test_case "quotes and backslashes group words; the file comes last"
(
	project
	EDITOR="'$HOME/my tools/rec' --wait \"a b\" 'c  d' e\\ f \"q\\\"x\" '' \"\$HOME\"" run retort edit a1
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "--wait
a b
c  d
e f
q\"x

\$HOME
$FILE" "the editor's arguments"
	VISUAL="\"$HOME/my tools/rec\"" EDITOR=false run retort edit a1
	expect_exit 0
	expect_eq "$(cat "$HOME/editor.args")" "$FILE" "the arguments from \$VISUAL"
)

test_case "sh -c '...' as the editor: the script is one word, the file its argument"
(
	project
	EDITOR="sh -c 'printf \"%s|%s\\n\" \"\$0\" \"\$1\" >\"\$HOME/sh.out\"' myeditor" run retort edit a1
	expect_exit 0
	expect_eq "$(cat "$HOME/sh.out")" "myeditor|$FILE" "what the shell script saw"
)

test_case "nothing is expanded: \$VAR, ~ and * stay as written"
(
	project
	EDITOR='$HOME/x ~ *' run retort edit a1
	expect_exit 1
	expect_stderr_contains "error: cannot run the editor '\$HOME/x': No such file or directory"
)

test_case "an unclosed quote, a blank value: usage errors naming the variable"
(
	project
	EDITOR="vi 'oops" run retort edit a1
	expect_exit 2
	expect_stderr_contains "error: cannot split \$EDITOR into words: a quote is not closed"
	expect_stderr_contains "hint: Close the quote"
	VISUAL='"vi' run retort edit a1
	expect_exit 2
	expect_stderr_contains "error: cannot split \$VISUAL into words: a quote is not closed"
	EDITOR="   " run retort edit a1
	expect_exit 2
	expect_stderr_contains "error: \$EDITOR is blank"
)

test_done
