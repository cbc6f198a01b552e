#!/bin/sh
# COPY ... FROM stdin with its data in the revision, as pg_dump writes it: the splitter
# keeps the data lines (with ';', quotes, tabs, backslash escapes and \N) with their
# statement up to the line "\.", online they go through the COPY protocol, offline the
# script carries them unchanged for psql, and both give the same rows. A bad data row is
# reported at its own line; COPY TO STDOUT and data without its "\." are errors.
. "$(dirname "$0")/pg-lib.sh"

tab=$(printf '\t')

# copy_rev ID DOWN: a revision loading t from COPY data (the data is on lines 9-13).
copy_rev() {
	cat >"versions/${1}_rev.sql" <<SQL
/*
revision: $1
down_revision: $2
*/
-- retort:upgrade
CREATE TABLE t (id int PRIMARY KEY, note text, extra text);

COPY t (id, note, extra) FROM stdin;
1${tab}semi; colon${tab}it's
2${tab}\\N${tab}tab\\there
3${tab}"double" and 'single'${tab}back\\\\slash
4${tab}-- not a comment${tab}/* nor this */
5${tab}\$\$ not a dollar quote${tab}end;
\\.

INSERT INTO t VALUES (6, 'after the data', NULL);
-- retort:downgrade
DROP TABLE t;
SQL
}

rows() { pq "SELECT id || '|' || coalesce(note, '<null>') || '|' || coalesce(extra, '<null>') FROM t ORDER BY id"; }

expected_rows() {
	printf '%s\n' "1|semi; colon|it's" "2|<null>|tab${tab}here" "3|\"double\" and 'single'|back\\slash" \
		"4|-- not a comment|/* nor this */" "5|\$\$ not a dollar quote|end;" "6|after the data|<null>"
}

test_case "online: the data goes through the COPY protocol and round-trips exactly"
(
	pg_case
	pg_project
	copy_rev a1 null
	run retort upgrade head
	expect_exit 0
	expect_eq "$(rows)" "$(expected_rows)" "rows"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(pg_tables)" "" "tables"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(rows)" "$(expected_rows)" "rows after a round trip"
)

test_case "offline: the script carries the data for psql and gives the same rows"
(
	pg_case
	pg_project
	copy_rev a1 null
	run retort upgrade --sql head
	expect_exit 0
	expect_stdout_contains "COPY t (id, note, extra) FROM stdin;"
	expect_stdout_contains "2${tab}\\N${tab}tab\\there"
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql
	expect_exit 0
	expect_eq "$(rows)" "$(expected_rows)" "rows"
	expect_eq "$(pg_versions)" a1 "version rows"
	run retort check
	expect_exit 0
)

test_case "a bad data row fails at its own line, and nothing is kept"
(
	pg_case
	pg_project
	copy_rev a1 null
	sed -i 's/^3\t/x\t/' versions/a1_rev.sql
	run retort upgrade head
	expect_exit 1
	expect_stderr_contains "versions/a1_rev.sql:11: invalid input syntax for type integer"
	expect_eq "$(pg_tables)" "" "tables"
)

test_case "data without its closing line is an error naming the COPY's line"
(
	pg_case
	pg_project
	copy_rev a1 null
	sed -i '/^\\\.$/d' versions/a1_rev.sql
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:8: unterminated COPY data"
	expect_stderr_contains 'a line holding only \.'
	run retort upgrade --sql head
	expect_exit 2
	expect_stdout_empty
)

test_case "COPY TO STDOUT is refused, and so is text after COPY ... FROM stdin; on its line"
(
	pg_case
	pg_project
	write_rev a1 null "" "CREATE TABLE t (id int);
COPY t TO STDOUT;"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:10: COPY ... TO STDOUT in a revision: nothing would read its output"
	write_rev a1 null "" "CREATE TABLE t (id int);
COPY t FROM stdin; SELECT 1;
1
\\.
"
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "versions/a1_rev.sql:10: text after 'COPY ... FROM stdin;' on the same line"
	expect_eq "$(pg_tables)" "" "tables"
)

test_case "a pg_dump data section loads online and offline alike"
(
	pg_case
	pg_project
	pq "CREATE TABLE src (id int, body text, n numeric)" >/dev/null
	pq "INSERT INTO src SELECT g, 'row ' || g || E';\t''q''\\\\x', g * 1.5 FROM generate_series(1, 2000) g" >/dev/null
	PGOPTIONS="-c search_path=$SCHEMA" "$(dirname "$PSQL")/pg_dump" -h "$_PG_HOST" -p "$_PG_PORT" -U "$_PG_USER" \
		--data-only --table="$SCHEMA.src" "$PG_DB" >dump.sql || fail "pg_dump failed"
	pq "ALTER TABLE src RENAME TO orig" >/dev/null
	if grep -q '^\\restrict' dump.sql; then
		# newer pg_dump: its \restrict line is named in the error's hint
		{ printf '/*\nrevision: d0\ndown_revision: null\n*/\n-- retort:upgrade\n'; cat dump.sql; } >versions/d0_rev.sql
		run retort upgrade --sql head
		expect_exit 2
		expect_stderr_contains "pg_dump (since 17.6, 16.10, 15.14) writes \\restrict"
		rm versions/d0_rev.sql
	fi
	{
		printf '/*\nrevision: d1\ndown_revision: null\n*/\n-- retort:upgrade\n'
		echo "CREATE TABLE $SCHEMA.src (id int, body text, n numeric);"
		grep -v '^SET \|^SELECT pg_catalog.set_config\|^--\|^\\restrict\|^\\unrestrict' dump.sql
		printf -- '-- retort:downgrade\nDROP TABLE %s.src;\n' "$SCHEMA"
	} >versions/d1_rev.sql
	run retort upgrade head
	expect_exit 0
	expect_eq "$(pq "SELECT count(*) FROM (SELECT * FROM orig EXCEPT SELECT * FROM src) d")" 0 "rows missing"
	expect_eq "$(pq "SELECT count(*) FROM src")" 2000 "rows"
	run retort downgrade base
	expect_exit 0
	run retort upgrade --sql head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql
	expect_exit 0
	expect_eq "$(pq "SELECT count(*) FROM (SELECT * FROM orig EXCEPT SELECT * FROM src) d")" 0 "rows missing, offline"
)

test_done
