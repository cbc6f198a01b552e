#!/bin/sh
# Where retort keeps its tables on PostgreSQL: the default schema (the first on the
# connection's search_path), version_table_schema (created if missing), and table and
# schema names that need quoting (upper case, spaces, quotes, semicolons, a dollar-quote
# tag) through the whole loop: upgrade, current, history, check, stamp, downgrade, and
# the offline scripts run by psql.
. "$(dirname "$0")/pg-lib.sh"

two_revs() {
	pg_project "$1"
	write_rev a1 null
	write_rev a2 a1
}

# tables_like PATTERN: "schema|table" of every table in public or in a schema of this case
# whose name is LIKE PATTERN.
tables_like() {
	psql_db "SELECT n.nspname || '|' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	         WHERE c.relkind = 'r' AND c.relname LIKE '$1' AND (n.nspname = 'public' OR n.nspname LIKE '$SCHEMA%')
	         ORDER BY n.nspname || '|' || c.relname COLLATE \"C\""
}

test_case "default: the version tables go to the first schema on the search_path"
(
	pg_case
	two_revs
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT string_agg(tablename, ' ' ORDER BY tablename) FROM pg_tables WHERE schemaname = '$SCHEMA'")" \
		"retort_version retort_version_history t_a1 t_a2" "tables in the case's schema"
	expect_eq "$(psql_db "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'retort%' AND schemaname <> '$SCHEMA'")" 0 \
		"retort tables elsewhere"
	expect_eq "$(pg_versions)" a2 "version rows"
	# the columns a DBA reads
	expect_eq "$(psql_db "SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ' ' ORDER BY attnum)
	                      FROM pg_attribute WHERE attrelid = 'retort_version'::regclass AND attnum > 0")" \
		"version_num:character varying(32)" "columns of the version table"
	expect_eq "$(psql_db "SELECT string_agg(attname, ' ' ORDER BY attnum)
	                      FROM pg_attribute WHERE attrelid = 'retort_version_history'::regclass AND attnum > 0")" \
		"id revision direction status checksum started_at finished_at duration_ms retort_version statement_index error statement_checksums position" \
		"columns of the history table"
)

test_case "default without a search_path option: public"
(
	pg_case
	PGURL="postgresql:///$PG_DB?$PG_SERVER_QUERY"
	pg_project
	write_rev pub1 null "" "CREATE TABLE $SCHEMA.t_pub1 (id int);" "DROP TABLE $SCHEMA.t_pub1;"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(tables_like 'retort_version%')" "public|retort_version
public|retort_version_history" "retort's tables"
	run retort downgrade base
	expect_exit 0
	pq "DROP TABLE public.retort_version, public.retort_version_history"
)

test_case "a search_path whose schema does not exist yet: the schema is created"
(
	pg_case
	two_revs
	PGURL="postgresql:///$PG_DB?$PG_SERVER_QUERY&options=$(urlenc "-csearch_path=${SCHEMA}_new")"
	run retort --url "$PGURL" upgrade --sql base:a1
	expect_exit 0
	run retort --url "$PGURL" stamp a1
	expect_exit 0
	expect_eq "$(tables_like 'retort_version%')" "${SCHEMA}_new|retort_version
${SCHEMA}_new|retort_version_history" "retort's tables"
	expect_eq "$(pg_versions "${SCHEMA}_new\".\"retort_version")" a1 "version rows"
)

test_case "version_table_schema: created if missing, used by every command"
(
	pg_case
	two_revs "version_table_schema: ${SCHEMA}_ops"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(tables_like 'retort_version%')" "${SCHEMA}_ops|retort_version
${SCHEMA}_ops|retort_version_history" "retort's tables"
	# the revisions' own objects still follow the search_path
	expect_eq "$(pg_tables)" "t_a1 t_a2" "tables in the case's schema"
	expect_eq "$(pg_versions "${SCHEMA}_ops\".\"retort_version")" a2 "version rows"
	run retort current
	expect_exit 0
	expect_stdout_contains "a2 (head)"
	run retort history --indicate-current
	expect_exit 0
	expect_stdout_contains "a2 (head) (current)"
	run retort check
	expect_exit 0
	run retort downgrade a1
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_ops\".\"retort_version")" a1 "version rows after downgrade"
	run retort stamp head
	expect_exit 0
	expect_eq "$(pg_versions "${SCHEMA}_ops\".\"retort_version")" a2 "version rows after stamp"
	expect_eq "$(pg_history "${SCHEMA}_ops\".\"retort_version_history")" "a1 upgrade applied -
a2 upgrade applied -
a2 downgrade applied -
a2 stamp applied -" "history rows"
)

# Names a careless tool would break on (the schema's name is the case's own).
odd_schema() { ODD_SCHEMA="Ops Schema; \"q\" $SCHEMA"; }
ODD_TABLE='Ver "sions"; DROP TABLE canary; --'
ODD_HISTORY="Hist.Tab 'x' ; --"
odd_config() {
	cat <<EOF
version_table_schema: '$(echo "$1" | sed "s/'/''/g")'
version_table: '$(echo "$2" | sed "s/'/''/g")'
history_table: '$(echo "$3" | sed "s/'/''/g")'
EOF
}

# odd_rows SCHEMA TABLE: the version rows of that table, quoted right.
odd_rows() {
	_qs=$(echo "$1" | sed 's/"/""/g')
	_qt=$(echo "$2" | sed 's/"/""/g')
	psql_db "SELECT string_agg(version_num, ' ' ORDER BY version_num COLLATE \"C\") FROM \"$_qs\".\"$_qt\""
}
odd_history() {
	_qs=$(echo "$1" | sed 's/"/""/g')
	_qt=$(echo "$2" | sed 's/"/""/g')
	psql_db "SELECT string_agg(revision || ' ' || direction || ' ' || status, ', ' ORDER BY id) FROM \"$_qs\".\"$_qt\""
}

test_case "table and schema names with upper case, spaces, quotes and semicolons: the whole loop"
(
	pg_case
	odd_schema
	two_revs "$(odd_config "$ODD_SCHEMA" "$ODD_TABLE" "$ODD_HISTORY")"
	pq "CREATE TABLE canary (x int)"
	run retort upgrade a1
	expect_exit 0
	run retort upgrade head
	expect_exit 0
	expect_eq "$(psql_db "SELECT string_agg(relname, '|' ORDER BY relname COLLATE \"C\") FROM pg_class
	                      WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = '$(echo "$ODD_SCHEMA" | sed "s/'/''/g")')
	                        AND relkind = 'r'")" "$ODD_HISTORY|$ODD_TABLE" "tables in the odd schema"
	expect_eq "$(odd_rows "$ODD_SCHEMA" "$ODD_TABLE")" a2 "version rows"
	expect_eq "$(pg_tables)" "canary t_a1 t_a2" "tables in the case's schema"
	run retort current --verbose
	expect_exit 0
	expect_stdout_contains "upgrade   applied"
	run retort history --verbose --indicate-current
	expect_exit 0
	expect_stdout_contains "Rev: a2 (head) (current)"
	run retort check
	expect_exit 0
	run retort downgrade -1
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA" "$ODD_TABLE")" a1 "version rows after downgrade -1"
	run retort stamp head
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA" "$ODD_TABLE")" a2 "version rows after stamp"
	run retort stamp --purge a1
	expect_exit 0
	run retort downgrade base
	expect_exit 0
	expect_eq "$(odd_rows "$ODD_SCHEMA" "$ODD_TABLE")" "" "version rows after downgrade base"
	expect_eq "$(odd_history "$ODD_SCHEMA" "$ODD_HISTORY")" \
		"a1 upgrade applied, a2 upgrade applied, a2 downgrade applied, a2 stamp applied, a1 stamp applied, a1 downgrade applied" \
		"history rows"
	expect_eq "$(pg_tables)" "canary" "tables in the case's schema"
)

test_case "odd names: the offline scripts run with psql and leave the same rows"
(
	pg_case
	pq "CREATE SCHEMA ${SCHEMA}_off"
	odd_schema
	two_revs "$(odd_config "$ODD_SCHEMA" "$ODD_TABLE" "$ODD_HISTORY")"
	run retort upgrade head
	expect_exit 0
	# the same project with another schema for the offline copy
	sed "s/^version_table_schema: .*/version_table_schema: 'Off; \"line\" $SCHEMA'/" retort.yaml >offline.yaml
	run retort -c offline.yaml upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows 'Off; "line" '"$SCHEMA" "$ODD_TABLE")" "$(odd_rows "$ODD_SCHEMA" "$ODD_TABLE")" "version rows, offline vs online"
	expect_eq "$(odd_history 'Off; "line" '"$SCHEMA" "$ODD_HISTORY")" "$(odd_history "$ODD_SCHEMA" "$ODD_HISTORY")" "history rows"
	run retort -c offline.yaml downgrade --sql head:base
	expect_exit 0
	cp "$RUN_STDOUT" down.sql
	run psql_file down.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows 'Off; "line" '"$SCHEMA" "$ODD_TABLE")" "" "version rows after the offline downgrade"
	expect_eq "$(pg_tables "${SCHEMA}_off")" "" "tables left by the offline downgrade"
	run retort -c offline.yaml stamp --sql base:a2
	expect_exit 0
	cp "$RUN_STDOUT" stamp.sql
	run psql_file stamp.sql "${SCHEMA}_off"
	expect_exit 0
	expect_eq "$(odd_rows 'Off; "line" '"$SCHEMA" "$ODD_TABLE")" a2 "version rows after the offline stamp"
)

test_case "a version table named with the offline script's dollar-quote tag"
(
	pg_case
	two_revs "version_table: 'v\$retort\$x'
history_table: 'h\$retort\$'"
	run retort upgrade --sql base:head
	expect_exit 0
	cp "$RUN_STDOUT" up.sql
	run psql_file up.sql
	expect_exit 0
	expect_eq "$(pg_versions 'v$retort$x')" a2 "version rows"
	run retort upgrade head
	expect_exit 0
	run retort current
	expect_exit 0
	expect_stdout_contains "a2 (head)"
)

test_case "init --template postgresql: a project that works against the server"
(
	pg_case
	run retort init proj --template postgresql
	expect_exit 0
	cd proj || fail "setup: cd proj"
	run retort revision -m "create things" --rev-id t1
	expect_exit 0
	sed 's/^-- retort:upgrade$/-- retort:upgrade\nCREATE TABLE things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);/;
	     s/^-- retort:downgrade$/-- retort:downgrade\nDROP TABLE things;/' versions/t1_create_things.sql >t1.sql &&
		mv t1.sql versions/t1_create_things.sql
	run retort check --no-db
	expect_exit 0
	RETORT_DATABASE_URL=$PGURL run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions)" t1 "version rows"
	expect_eq "$(pg_tables)" things "tables"
	RETORT_DATABASE_URL=$PGURL run retort downgrade base
	expect_exit 0
	expect_eq "$(pg_tables)" "" "tables after downgrade"
)

test_case "two version tables in one schema: two independent projects"
(
	pg_case
	mkdir one two
	(cd one && pg_project "version_table: one_version" && write_rev a1 null && write_rev a2 a1)
	(cd two && pg_project "version_table: two_version" && write_rev b1 null)
	cd one && run retort upgrade head
	expect_exit 0
	cd ../two && run retort upgrade head
	expect_exit 0
	expect_eq "$(pg_versions one_version)" a2 "rows of one"
	expect_eq "$(pg_versions two_version)" b1 "rows of two"
	run retort downgrade base
	expect_exit 0
	expect_eq "$(pg_versions one_version)" a2 "rows of one after two went to base"
	expect_eq "$(pg_tables)" "one_version one_version_history t_a1 t_a2 two_version two_version_history" "tables"
)

test_case "a history table made by retort 0.1 gets the statement_checksums column on the next run"
(
	pg_case
	pg_project
	write_rev a1 null
	pq "CREATE TABLE retort_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT retort_version_pkc PRIMARY KEY (version_num));
	    CREATE TABLE retort_version_history (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	      revision VARCHAR(32) NOT NULL, direction VARCHAR(10) NOT NULL, status VARCHAR(10) NOT NULL,
	      checksum CHAR(64), started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), finished_at TIMESTAMPTZ,
	      duration_ms DOUBLE PRECISION, retort_version VARCHAR(32) NOT NULL, statement_index INTEGER, error TEXT);
	    INSERT INTO retort_version_history (revision, direction, status, retort_version) VALUES ('x', 'stamp', 'applied', '0.1.0')" >/dev/null
	run retort history
	expect_exit 0
	run retort current
	expect_exit 0
	expect_eq "$(pq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'retort_version_history'::regclass AND attname = 'statement_checksums'")" 0 \
		"read-only commands change nothing"
	run retort upgrade head
	expect_exit 0
	expect_eq "$(pq "SELECT count(*) FROM pg_attribute WHERE attrelid = 'retort_version_history'::regclass AND attname = 'statement_checksums'")" 1 \
		"the column"
	expect_eq "$(pg_versions)" a1 "version rows"
)

test_done
