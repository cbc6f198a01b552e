#!/bin/sh
# Runs the example project from start to finish; `make example` calls it as
#   RETORT=/abs/path/to/retort sh migrations_example/run-example.sh
# It works from any directory: every command gets -c with the path of retort.yaml.
# It stops with a non-zero exit code on any unexpected result.
set -eu

: "${RETORT:?set RETORT to the retort binary, e.g. RETORT=\$PWD/retort}"
[ -x "$RETORT" ] || { echo "run-example.sh: error: RETORT=$RETORT is not an executable file" >&2; exit 1; }
command -v sqlite3 >/dev/null 2>&1 || {
	echo "run-example.sh: error: the sqlite3 command-line shell is missing; run as root:" >&2
	echo "  apt-get install -y sqlite3" >&2
	exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
cfg=$here/retort.yaml
db=$here/example.db                   # database.url in retort.yaml: sqlite:///example.db
offline_db=$here/example-offline.db   # filled by the offline script
irreversible=1f212ac0761b             # normalise customer emails: no downgrade section

tmp=$(mktemp -d "${TMPDIR:-/tmp}/retort-example.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { printf '\nrun-example.sh: UNEXPECTED: %s\n' "$*" >&2; exit 1; }
section() { printf '\n== %s\n' "$*"; }
note() { for line; do if [ -n "$line" ]; then printf '   %s\n' "$line"; else echo; fi; done; }

# run ARGS...: print "+ retort ARGS", then run retort with the example's config.
run() {
	printf '\n+ retort %s\n' "$*"
	"$RETORT" -c "$cfg" "$@" 2>&1 || die "retort $* failed with exit code $?"
}

# The schema, the version rows (one per line, none at base) and the number of history
# rows of database $1, for comparisons.
schema() { sqlite3 "$1" .schema; }
versions() { sqlite3 "$1" 'SELECT version_num FROM retort_version ORDER BY version_num;'; }
history_rows() { sqlite3 "$1" 'SELECT count(*) FROM retort_version_history;'; }

printf 'retort example: the database of a small subscription-billing app (SQLite),\n'
printf 'with a branch, a merge, a depends_on and an irreversible revision (see README.md).\n'
printf 'Each "+ retort ..." line below runs: %s -c %s ...\n' "$RETORT" "$cfg"

section "Start from an empty database"
printf '\n+ rm -f %s %s\n' "$(basename "$db")" "$(basename "$offline_db")"
rm -f "$db" "$db-journal" "$db-wal" "$db-shm" \
      "$offline_db" "$offline_db-journal" "$offline_db-wal" "$offline_db-shm"
run check --no-db

section "Upgrade to the newest revision, and look around"
run upgrade head
run history
run current --verbose
run heads
run branches

section "Use it: a customer subscribes and pays; the triggers write the audit log"
demo_sql="INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada Lovelace');
INSERT INTO subscriptions (customer_id, plan_code) VALUES (1, 'pro');
UPDATE subscriptions SET status = 'active' WHERE id = 1;
INSERT INTO invoices (number, customer_id, subscription_id, status, currency)
    VALUES ('INV-0001', 1, 1, 'open', 'EUR');
INSERT INTO invoice_lines (invoice_id, description, unit_price_cents) VALUES (1, 'Pro, March', 2900);
UPDATE invoices SET status = 'paid' WHERE id = 1;
SELECT entity, entity_id, action, detail FROM audit_log ORDER BY id;
SELECT number, customer_email, status, total_cents FROM invoice_totals;"
printf '\n+ sqlite3 %s <<EOF\n%s\nEOF\n' "$(basename "$db")" "$demo_sql"
printf '%s\n' "$demo_sql" | sqlite3 -bail -header -column "$db" || die "the demo statements failed"

section "Downgrade to base: refused, because of an irreversible revision"
before_versions=$(versions "$db")
before_schema=$(schema "$db")
before_history=$(history_rows "$db")
printf '\n+ retort downgrade base\n'
set +e
"$RETORT" -c "$cfg" downgrade base >"$tmp/out" 2>&1
rc=$?
set -e
cat "$tmp/out"
[ "$rc" -eq 2 ] || die "downgrade base exited with $rc; expected 2 (irreversible revision)"
grep -q "$irreversible" "$tmp/out" || die "the error does not name revision $irreversible"
[ "$(versions "$db")" = "$before_versions" ] || die "the failed downgrade changed the version rows"
[ "$(schema "$db")" = "$before_schema" ] || die "the failed downgrade changed the schema"
[ "$(history_rows "$db")" = "$before_history" ] || die "the failed downgrade wrote to the history table"
note "" \
     "^ exit code 2, as expected: revision $irreversible (normalise customer emails) has no" \
     "  downgrade section, so retort refused before running anything; the database is unchanged:"
run current

section "The way out: downgrade to it, stamp past it, then downgrade the rest"
run downgrade "$irreversible"
note "" \
     "Revision $irreversible lower-cased every email and kept no copy of the old spelling." \
     "Stamping its parent ($irreversible-1) moves the version row below it without running" \
     "anything: its data change stays, which every older revision accepts."
run stamp "$irreversible-1"
[ "$(versions "$db")" = 003d21d206de ] || die "after the stamp, the version rows are '$(versions "$db")', expected 003d21d206de"
run downgrade base
[ -z "$(versions "$db")" ] || die "after downgrade base, version rows remain: $(versions "$db")"
left=$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
        WHERE name NOT LIKE 'retort\_version%' ESCAPE '\' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
        ORDER BY name);")
[ -z "$left" ] || die "after downgrade base, these objects remain: $left"
note "" "The database is at base: no version rows, only retort's own tables are left."

section "Upgrade again"
run upgrade head
run current

section "Offline mode: the same upgrade as an SQL script, run by sqlite3"
printf '\n+ retort upgrade --sql base:head | sqlite3 -bail %s\n' "$(basename "$offline_db")"
{ "$RETORT" -c "$cfg" upgrade --sql base:head; echo $? >"$tmp/sql-rc"; } | tee "$tmp/upgrade.sql" |
	sqlite3 -bail "$offline_db" || die "sqlite3 failed on the offline script"
[ "$(cat "$tmp/sql-rc")" = 0 ] || die "retort upgrade --sql exited with $(cat "$tmp/sql-rc")"
note "$(grep -c '^-- Running upgrade' "$tmp/upgrade.sql") revisions in $(wc -l <"$tmp/upgrade.sql") lines of SQL; it begins with:"
sed -n '1,3s/^/     /p' "$tmp/upgrade.sql"

printf '\n+ sqlite3 %s .schema    (and the same for %s)\n' "$(basename "$db")" "$(basename "$offline_db")"
schema "$db" >"$tmp/online.schema"
schema "$offline_db" >"$tmp/offline.schema"
diff -u "$tmp/online.schema" "$tmp/offline.schema" || die "the schemas differ (diff above)"
note "same schema: $(grep -c '^CREATE' "$tmp/online.schema") CREATE statements"
printf '\n+ sqlite3 %s "SELECT version_num FROM retort_version"    (and the same for %s)\n' \
	"$(basename "$db")" "$(basename "$offline_db")"
versions "$db" >"$tmp/online.versions"
versions "$offline_db" >"$tmp/offline.versions"
diff -u "$tmp/online.versions" "$tmp/offline.versions" || die "the version rows differ (diff above)"
[ -s "$tmp/online.versions" ] || die "no version rows after upgrade head"
note "same version rows: $(paste -sd ' ' "$tmp/online.versions")"

printf '\noffline script and online run agree\n'
printf '\nexample finished: %s and %s are left for you to explore.\n' "$db" "$offline_db"
