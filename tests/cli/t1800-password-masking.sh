#!/bin/sh
# A password in a database URL never appears in any output: every command, every source
# of the URL (--url, RETORT_DATABASE_URL, DATABASE_URL, the config, an environment), -v,
# --json, connection errors; and SQLite runs (-v) with a password elsewhere in the config.
. "$(dirname "$0")/lib.sh"

SECRET=hunter2-secret
PGURL="postgresql://app:$SECRET@127.0.0.1:1/app"
PGURL_QUERY="postgresql://app@127.0.0.1:1/app?password=$SECRET&connect_timeout=2"

project() {
	new_project
	write_rev a1 null
	write_rev a2 a1
}

# every_command [ENV=VALUE...] -- [GLOBAL OPTIONS...]: runs each of $COMMANDS with these
# settings, with -v and with -v --json; none may print the secret, and each --json run
# prints one valid JSON document.
ALL_COMMANDS="current|current --verbose|upgrade head|downgrade base|stamp head|history --verbose|history -r current:|check|graph|heads --verbose|show a1|upgrade --sql head|downgrade --sql a2:base"
SOME_COMMANDS="current --verbose|upgrade head|history --verbose|check|graph"
COMMANDS=$SOME_COMMANDS
every_command() {
	(
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			export "${1%%=*}=${1#*=}"
			shift
		done
		[ "$1" = -- ] && shift
		IFS='|'
		set -f
		for _c in $COMMANDS; do
			IFS=' '
			for _mode in "-v" "-v --json"; do
				run retort $_mode "$@" $_c
				no_secret
				case $_mode in *--json) expect_json ;; esac
			done
			IFS='|'
		done
	) || exit 1
}

test_case "--url with a password: no command prints it"
(
	project
	COMMANDS=$ALL_COMMANDS
	every_command -- --url "$PGURL"
)

test_case "the connection error shows the URL masked"
(
	project
	run retort --url "$PGURL" current
	expect_exit 1
	no_secret
	expect_stderr_contains "postgresql://app:****@127.0.0.1:1/app"
	run retort -v --url "$PGURL" upgrade head
	expect_exit 1
	no_secret
	expect_stderr_contains "****"
)

test_case "a one-letter password: the URL shows it masked, and no other text is rewritten"
(
	project
	run retort --url "postgresql://app:u@127.0.0.1:1/app" current
	expect_exit 1
	expect_stderr_contains "cannot connect to 'postgresql://app:****@127.0.0.1:1/app': "
	expect_stderr_contains "Connection refused"
	expect_stderr_not_contains "****sed"
	run retort --url "postgresql://app:e@127.0.0.1:1/app" -v heads
	expect_exit 0
	expect_stdout_equals "a2 (head)"
	expect_stderr_contains "database: postgresql://app:****@127.0.0.1:1/app (from --url)"
	expect_stderr_contains "config: "
	run retort --url "postgresql://app:false@127.0.0.1:1/app" --json current
	expect_exit 1
	expect_json 'd["ok"] is False and d["error"]["code"] == "database"'
)

test_case "RETORT_DATABASE_URL with a password"
(
	project
	every_command "RETORT_DATABASE_URL=$PGURL" --
)

test_case "DATABASE_URL with a password"
(
	project
	every_command "DATABASE_URL=$PGURL" --
)

test_case "database.url in the config with a password"
(
	project
	write_config
	sed -i "s|url: .*|url: \"$PGURL\"|" retort.yaml
	every_command --
)

test_case "an environment's URL with a password, selected with -e"
(
	project
	write_config "environments:
  prod:
    database:
      url: \"$PGURL\""
	every_command -- -e prod
)

test_case "a password given as ?password= in the URL"
(
	project
	every_command -- --url "$PGURL_QUERY"
)

test_case "SQLite with -v while another environment holds a password"
(
	project
	write_config "environments:
  prod:
    database:
      url: \"$PGURL\""
	for c in "upgrade head" "current" "history --verbose" "check" "downgrade base" "stamp head"; do
		run retort -v $c
		expect_exit 0
		no_secret
		run retort -v --json $c
		expect_exit 0
		no_secret
	done
)

test_case "SQLite with -v while RETORT_DATABASE_URL holds a password and --url wins"
(
	project
	RETORT_DATABASE_URL=$PGURL run retort -v --url sqlite:///app.db upgrade head
	expect_exit 0
	no_secret
	RETORT_DATABASE_URL=$PGURL run retort -v --url sqlite:///app.db current --verbose
	expect_exit 0
	no_secret
)

test_case "a SQLite URL with a password in the user info is masked (-v)"
(
	project
	run retort -v --url "sqlite://app:$SECRET@/app.db" current
	no_secret
	run retort -v --url "sqlite://app:$SECRET@/app.db" upgrade head
	no_secret
	run retort --json --url "sqlite://app:$SECRET@/app.db" upgrade head
	no_secret
)

test_case "a SQLite URL with ?password= is masked (-v)"
(
	project
	run retort -v --url "sqlite:///app.db?password=$SECRET" upgrade head
	no_secret
	run retort -v --url "sqlite:///app.db?password=$SECRET" current --verbose
	no_secret
	run retort -v --json --url "sqlite:///app.db?password=$SECRET" history --verbose
	no_secret
)

test_case "the password is not stored in the database either"
(
	project
	RETORT_DATABASE_URL=$PGURL run retort -v --url sqlite:///app.db upgrade head
	expect_exit 0
	if grep -a -q -F "$SECRET" app.db; then fail "app.db contains the password"; fi
	_asserted
)

test_done
