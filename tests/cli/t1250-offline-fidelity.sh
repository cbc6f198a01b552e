#!/bin/sh
# Offline fidelity: `upgrade --sql base:head | sqlite3 -bail NEWDB` must leave NEWDB exactly
# as `retort upgrade head` leaves another database (schema without retort's tables, data,
# version rows, history rows), and the same for `downgrade --sql`, in both transaction
# modes. And the guard: a script generated for A:B run against a database at C fails,
# names both revisions, and leaves the database byte-for-byte unchanged.
#
# The project is migrations_example/ when it exists, else a branchy history built here
# (two roots, a branch label, a merge, depends_on, triggers, views, indexes, data with
# semicolons in strings, a ${variable}, an irreversible root).
. "$(dirname "$0")/lib.sh"

EXAMPLE=$CLI_TESTS_DIR/../../migrations_example

build_history() {
	new_project
	grep -v '^variables:' retort.yaml >retort.yaml.new && mv retort.yaml.new retort.yaml
	cat >>retort.yaml <<'CFG'
variables:
  note: "from the config; with a semicolon"
CFG
	# b0: irreversible root
	write_rev b0 null "message: accounts" \
		"CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO accounts (id, name) VALUES (1, 'alice; the first'), (2, 'bob''s -- not a comment');" NONE
	write_rev b1 b0 "message: users, with semicolons in strings and identifiers" \
		"CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    \"odd;name\" TEXT DEFAULT 'x;y',
    note TEXT CHECK (note <> ';')
);
INSERT INTO users (id, \"odd;name\", note) VALUES (1, 'a;b', '/* not a comment */');" \
		"DROP TABLE users;"
	write_rev b2 b1 "message: a trigger with BEGIN ... END" \
		"CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER users_ins AFTER INSERT ON users
BEGIN
    INSERT INTO events (what) VALUES ('user; added');
    UPDATE accounts SET name = name || ';' WHERE id = 1;
END;
INSERT INTO users (id, note) VALUES (2, 'fires the trigger');" \
		"DROP TRIGGER users_ins;
DELETE FROM users WHERE id = 2;
UPDATE accounts SET name = 'alice; the first' WHERE id = 1;
DROP TABLE events;"
	write_rev f1 b2 "branch_labels: [billing]" \
		"CREATE TABLE invoices (id INTEGER PRIMARY KEY, account INTEGER REFERENCES accounts (id), total REAL);" \
		"DROP TABLE invoices;"
	write_rev f2 f1 "" \
		"CREATE INDEX invoices_account ON invoices (account);
INSERT INTO invoices VALUES (1, 1, 9.5), (2, 2, 0.25);" \
		"DROP INDEX invoices_account;
DELETE FROM invoices;"
	write_rev x1 null "branch_labels: [audit]" \
		"CREATE TABLE audit_log (id INTEGER PRIMARY KEY, entry TEXT);" \
		"DROP TABLE audit_log;"
	write_rev g1 b2 "" \
		"CREATE VIEW user_names AS SELECT id, \"odd;name\" AS n FROM users WHERE note IS NOT ';';" \
		"DROP VIEW user_names;"
	write_rev g2 g1 "depends_on: [x1]" \
		"INSERT INTO audit_log (entry) VALUES ('\${note}');" \
		"DELETE FROM audit_log WHERE entry = '\${note}';"
	write_rev m1 "[f2, g2]" "message: merge billing and reporting" "" ""
	write_rev h1 m1 "" \
		"ALTER TABLE accounts ADD COLUMN email TEXT;
UPDATE accounts SET email = name || '@example.com';" \
		"ALTER TABLE accounts DROP COLUMN email;"
}

# setup_project WHICH MODE: the example (WHICH=example) or the built history (built) in the
# current directory, with transaction: MODE.
setup_project() {
	if [ "$1" = example ]; then
		cp -R "$EXAMPLE" ex || fail "setup: cannot copy $EXAMPLE"
		cd ex || fail "setup: cd ex"
		rm -f ./*.db ./*.db-journal ./*.db-wal ./*.db-shm
		DATA=counts
	else
		build_history
		DATA=rows
	fi
	shift
	grep -v '^transaction:' retort.yaml >retort.yaml.new && mv retort.yaml.new retort.yaml
	echo "transaction: $1" >>retort.yaml
	# the upgrade target: head, or heads when the graph has several
	run_ok retort --json heads
	if [ "$(json_value 'len(d)')" = 1 ]; then TOP=head; else TOP=heads; fi
	# the downgrade target: base, or the newest irreversible revision
	LOW=base
	run_ok retort --json history
	for id in $(json_value '[r["revision"] for r in d]'); do
		run_ok retort --json show "$id"
		if [ "$(json_value 'd["irreversible"]')" = true ]; then
			LOW=$id
			break
		fi
	done
	RUN_CMD=
}

# counts_of DB: "table rows" per table (the example's data holds timestamps of the run).
counts_of() {
	for _t in $(tables_of "$1"); do
		echo "$_t $(sql "$1" "SELECT count(*) FROM \"$_t\"")"
	done
}

# same_db A B WHAT: schema, data (rows, or row counts for the example), version rows and
# history rows of A and B are equal.
same_db() {
	expect_eq "$(schema_of "$1")" "$(schema_of "$2")" "$3: schema"
	if [ "$DATA" = rows ]; then
		expect_eq "$(data_of "$1")" "$(data_of "$2")" "$3: data"
	else
		expect_eq "$(counts_of "$1")" "$(counts_of "$2")" "$3: rows per table"
	fi
	expect_eq "$(versions_of "$1")" "$(versions_of "$2")" "$3: version rows"
	expect_eq "$(history_of "$1")" "$(history_of "$2")" "$3: history rows"
	[ -n "$(versions_of "$1")$(history_of "$1")" ] || fail "$3: nothing to compare (no version or history rows)"
}

# offline FILE ARGS...: retort ARGS > FILE, which must succeed.
offline() {
	_out=$1
	shift
	run retort "$@"
	expect_exit 0
	cp "$RUN_STDOUT" "$_out"
}

# apply FILE DB: sqlite3 -bail DB < FILE, which must succeed.
apply() {
	run sqlite3 -bail "$2" <"$1"
	expect_exit 0
}

fidelity() {
	setup_project "$1" "$2"
	online="--url sqlite:///online.db"
	# upgrade from base
	run retort $online upgrade $TOP
	expect_exit 0
	offline up.sql upgrade --sql "base:$TOP"
	apply up.sql offline.db
	same_db online.db offline.db "after upgrade $TOP"
	[ -n "$(schema_of online.db)" ] || fail "the upgrade created nothing"
	# downgrade, stopping at the irreversible revision if there is one
	run retort $online downgrade $LOW
	expect_exit 0
	offline down.sql downgrade --sql "$TOP:$LOW"
	apply down.sql offline.db
	same_db online.db offline.db "after downgrade to $LOW"
	# and up again from there, when the database is at one revision (or base): an offline
	# range starts at one revision
	from=$(versions_of online.db)
	case $from in *" "*) return 0 ;; esac
	run retort $online upgrade $TOP
	expect_exit 0
	offline up2.sql upgrade --sql "${from:-base}:$TOP"
	apply up2.sql offline.db
	same_db online.db offline.db "after upgrading again from ${from:-base}"
}

test_case "built history: offline = online, transaction: per-revision"
(
	fidelity built per-revision
)

test_case "built history: offline = online, transaction: all"
(
	fidelity built all
)

if [ -f "$EXAMPLE/retort.yaml" ]; then
	test_case "migrations_example: offline = online, transaction: per-revision"
	(
		fidelity example per-revision
	)

	test_case "migrations_example: offline = online, transaction: all"
	(
		fidelity example all
	)
else
	echo "# note: no migrations_example/ here; the built history stands in for it"
fi

test_case "built history: the irreversible root stays, every branch is reverted"
(
	setup_project built per-revision
	# x1 is only a depends_on target: as in Alembic it stays the head of its own stream
	expect_eq "$TOP" heads "upgrade target"
	expect_eq "$LOW" b0 "downgrade target"
	run_ok retort upgrade heads
	expect_eq "$(versions_of app.db)" h1 "version rows at heads (h1 implies x1)"
	expect_eq "$(sql app.db "SELECT name FROM accounts WHERE id = 1")" "alice; the first;" "trigger effect"
	expect_eq "$(sql app.db "SELECT entry FROM audit_log")" "from the config; with a semicolon" "variable"
	expect_eq "$(sql app.db "SELECT \"odd;name\" || '|' || note FROM users WHERE id = 1")" "a;b|/* not a comment */" "strings"
	run_ok retort downgrade b0
	expect_eq "$(versions_of app.db)" "b0 x1" "version rows after downgrade to b0"
	expect_eq "$(tables_of app.db)" "accounts audit_log" "tables after downgrade"
)

# guard_case SCRIPT_ARGS... : the database app.db is somewhere the script does not expect;
# running the script fails, names $EXPECTED and $FOUND, and changes nothing.
guard_fails() {
	_script=$1
	before_dump=$(dump_of app.db)
	before_sum=$(cksum <app.db)
	run sqlite3 -bail app.db <"$_script"
	[ "$RUN_EXIT" -ne 0 ] || fail "the script ran against a database at the wrong revision" "non-zero exit" "exit 0"
	_asserted
	cat "$RUN_STDOUT" "$RUN_STDERR" >guard.out
	grep -q -F -e "$EXPECTED" guard.out || fail "the failure does not name the expected revision" "$EXPECTED" "$(cat guard.out)"
	grep -q -F -e "$FOUND" guard.out || fail "the failure does not name the found revision" "$FOUND" "$(cat guard.out)"
	_asserted
	expect_eq "$(dump_of app.db)" "$before_dump" ".dump of the database"
	expect_eq "$(cksum <app.db)" "$before_sum" "the database file's bytes"
}

test_case "guard: an upgrade script for b1:f2 against a database at b2 changes nothing"
(
	build_history
	run_ok retort upgrade b2
	offline up.sql upgrade --sql b1:f2
	EXPECTED="b1" FOUND="b2" guard_fails up.sql
	expect_eq "$(versions_of app.db)" b2 "version rows"
)

test_case "guard: an upgrade script for b1:f2 against a database at b0 changes nothing"
(
	build_history
	run_ok retort upgrade b0
	offline up.sql upgrade --sql b1:f2
	EXPECTED="b1" FOUND="b0" guard_fails up.sql
)

test_case "guard: a script from base against a migrated database changes nothing"
(
	build_history
	run_ok retort upgrade b1
	offline up.sql upgrade --sql base:b2
	EXPECTED="base" FOUND="b1" guard_fails up.sql
)

test_case "guard: a downgrade script for h1:b0 against a database at f2 + g2 changes nothing"
(
	build_history
	run_ok retort upgrade f2
	run_ok retort upgrade g2
	offline down.sql downgrade --sql h1:b0
	EXPECTED="h1" FOUND="f2" guard_fails down.sql
)

test_case "guard: transaction: all behaves the same"
(
	build_history
	echo "transaction: all" >>retort.yaml
	run_ok retort upgrade b2
	offline up.sql upgrade --sql b1:h1
	EXPECTED="b1" FOUND="b2" guard_fails up.sql
)

test_case "guard: a database without retort's tables is at base"
(
	build_history
	offline up.sql upgrade --sql b0:b2
	sqlite3 app.db "CREATE TABLE unrelated (x INTEGER)"
	EXPECTED="b0" FOUND="base" guard_fails up.sql
)

test_case "guard: a downgrade script against a database without retort's tables"
(
	build_history
	offline down.sql downgrade --sql b2:b1
	sqlite3 app.db "CREATE TABLE unrelated (x INTEGER)"
	EXPECTED="b2" FOUND="base" guard_fails down.sql
)

test_case "a script applied twice: the second run fails and changes nothing"
(
	build_history
	offline up.sql upgrade --sql b0:b2
	run_ok retort upgrade b0
	apply up.sql app.db
	expect_eq "$(versions_of app.db)" b2 "version rows"
	EXPECTED="b0" FOUND="b2" guard_fails up.sql
)

test_done
