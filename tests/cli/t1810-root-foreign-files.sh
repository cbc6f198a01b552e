#!/bin/sh
# As root, project files another user can change are refused (t3400 (e)), and the
# refusal names its way out: RETORT_ALLOW_FOREIGN_FILES=1 in the environment, or the
# global option --trust-files (before or after the command name), for a checkout
# bind-mounted into a container and owned by the host's user.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "FAILED: $TEST_FILE: these cases need root (they chown files to nobody)" >&2
	exit 1
fi
OTHER_UID=$(id -u nobody)

# mounted_project: a project whose every file belongs to nobody, as a bind mount shows it.
mounted_project() {
	new_project
	write_rev a1 null
	write_rev a2 a1
	chmod 664 retort.yaml versions/*.sql
	chown -R nobody .
}

test_case "refused without the override; the message says how to override it"
(
	mounted_project
	run retort upgrade head
	expect_exit 2
	expect_stderr_contains "error: refusing to use config file 'retort.yaml' as root: it is writable by its owner, uid $OTHER_UID"
	expect_stderr_contains "set RETORT_ALLOW_FOREIGN_FILES=1 or pass --trust-files."
	expect_file_missing app.db
	RETORT_ALLOW_FOREIGN_FILES=0 run retort upgrade head
	expect_exit 2
	expect_stderr_contains "refusing to use config file"
)

test_case "RETORT_ALLOW_FOREIGN_FILES=1: config, version directory and revision files are used"
(
	mounted_project
	RETORT_ALLOW_FOREIGN_FILES=1 run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
	RETORT_ALLOW_FOREIGN_FILES=1 run retort check
	expect_exit 0
	expect_stdout_equals "no problems found in 2 revisions and the database"
)

test_case "--trust-files, before or after the command name, also for world-writable files"
(
	mounted_project
	chmod 777 versions
	chmod 666 versions/a2_rev.sql
	run retort --trust-files upgrade a1
	expect_exit 0
	run retort upgrade head --trust-files
	expect_exit 0
	expect_eq "$(versions_of app.db)" a2 "version rows"
	run retort --json --trust-files current
	expect_exit 0
	expect_json 'd["heads"][0]["revision"] == "a2"'
	# without it, the same project is refused again: the option lasts one run
	run retort current
	expect_exit 2
	expect_stderr_contains "refusing to use config file 'retort.yaml' as root"
	run retort --help
	expect_stdout_contains "--trust-files"
)

test_done
