#!/bin/sh
# check analyses every statement as upgrade does, and reports every problem of a file,
# not only the first: undefined variables, client commands, COPY without its data, and on
# PostgreSQL the syntax errors PostgreSQL's own parser (libpg_query) finds, with a caret
# under the offending token.
. "$(dirname "$0")/lib.sh"

pg_offline_project() {
	new_project
	sed -i 's|url: .*|url: "postgresql://app@127.0.0.1:1/app"|' retort.yaml
}

test_case "every problem of a PostgreSQL revision, each with its line; a syntax error with a caret"
(
	pg_offline_project
	write_rev a1 null "" "CREATE TABLE accounts (id int);
INSERT INTO accounts VALUES (\${nope});
\\connect other
;
ALTER TABEL accounts
    ADD COLUMN email text;
COPY accounts TO STDOUT;
CREATE TABLE fine (id int);"
	run retort check --no-db
	expect_exit 2
	expect_stdout_contains "error: versions/a1_rev.sql:10: undefined variable '\${nope}'"
	expect_stdout_contains "error: versions/a1_rev.sql:11: psql meta-command '\\connect' in a revision"
	expect_stdout_contains "error: versions/a1_rev.sql:13: syntax error at or near \"TABEL\" (42601)"
	expect_stdout_contains "LINE 13: ALTER TABEL accounts"
	expect_stdout_matches "^ +\\^$"
	expect_stdout_contains "error: versions/a1_rev.sql:15: COPY ... TO STDOUT in a revision"
	expect_stdout_contains "4 errors"
	run retort --json check --no-db
	expect_exit 2
	expect_json 'sorted((p["line"], p["kind"]) for p in d["problems"]) == [(10, "bad-statement"), (11, "bad-statement"), (13, "syntax-error"), (15, "bad-statement")]'
	expect_json '[p["context"] for p in d["problems"] if p["kind"] == "syntax-error"] == ["LINE 13: ALTER TABEL accounts\n               ^"]'
)

test_case "a syntax error on the second line of a statement: the statement's line, the token's line"
(
	pg_offline_project
	write_rev a1 null "" "SELECT 1
  FROM pg_class WHER true;"
	run retort check --no-db
	expect_exit 2
	expect_stdout_contains "error: versions/a1_rev.sql:9: syntax error at or near \"true\" (42601)"
	expect_stdout_contains "LINE 10:   FROM pg_class WHER true"
)

test_case "every SQLite statement problem of a file is reported"
(
	new_project
	write_rev a1 null "" "PRAGMA foreign_keys = ON;
CREATE TABLE t (id INTEGER);
PRAGMA busy_timeout = 5;
ATTACH 'x.db' AS x;
SELECT '\${missing}';"
	run retort check --no-db
	expect_exit 2
	expect_stdout_contains "versions/a1_rev.sql:9: PRAGMA foreign_keys does nothing inside a transaction"
	expect_stdout_contains "versions/a1_rev.sql:11: PRAGMA busy_timeout is retort's own setting"
	expect_stdout_contains "versions/a1_rev.sql:12: ATTACH in a revision"
	expect_stdout_contains "versions/a1_rev.sql:13: undefined variable '\${missing}'"
)

test_done
