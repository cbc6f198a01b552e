#!/bin/sh
# Runs the PostgreSQL example project from start to finish against a throwaway server:
#   RETORT=/abs/path/to/retort sh tests/pg/with-pg.sh sh migrations_example_pg/run-example.sh
# (`make example PG=1` does exactly that). with-pg.sh exports PGHOST, PGPORT, PGUSER and
# PGDATABASE; with PGHOST already set, the server it names is used instead. The script
# creates two fresh databases (online and offline), works from any directory (every
# command gets -c with the path of retort.yaml and --url with the database), drops both
# databases at the end, and stops with a non-zero exit code on any unexpected result.
set -eu

: "${RETORT:?set RETORT to the retort binary, e.g. RETORT=\$PWD/retort}"
[ -x "$RETORT" ] || { echo "run-example.sh: error: RETORT=$RETORT is not an executable file" >&2; exit 1; }
[ -n "${PGHOST:-}" ] || {
	echo "run-example.sh: error: PGHOST is not set; run it under a throwaway server:" >&2
	echo "  RETORT=\$PWD/retort sh tests/pg/with-pg.sh sh migrations_example_pg/run-example.sh" >&2
	exit 1
}
# PostgreSQL's own psql: Debian's /usr/bin/psql is a Perl wrapper around it.
psql_bin=
if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/psql" ]; then
	psql_bin=$(pg_config --bindir)/psql
elif command -v psql >/dev/null 2>&1; then
	psql_bin=$(command -v psql)
else
	echo "run-example.sh: error: psql is missing; run as root:" >&2
	echo "  apt-get install -y postgresql-client" >&2
	exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
cfg=$here/retort.yaml
db=retort_example_$$            # upgraded and downgraded by retort
offline_db=retort_example_offline_$$ # filled by piping the offline script into psql
# libpq takes the host, port and user from PGHOST, PGPORT and PGUSER.
url="postgresql:///$db"
head=4c9d2e8f1a37
index_rev=c1d8b3e6f402          # CREATE INDEX CONCURRENTLY: runs outside a transaction

tmp=$(mktemp -d "${TMPDIR:-/tmp}/retort-example-pg.XXXXXX")
cleanup() {
	status=$?
	trap - EXIT INT TERM
	"$psql_bin" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS $offline_db WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf "$tmp"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() { printf '\nrun-example.sh: UNEXPECTED: %s\n' "$*" >&2; exit 1; }
section() { printf '\n== %s\n' "$*"; }
note() { for line; do if [ -n "$line" ]; then printf '   %s\n' "$line"; else echo; fi; done; }

# run ARGS...: print "+ retort ARGS", then run retort with the example's config and URL.
run() {
	printf '\n+ retort %s\n' "$*"
	"$RETORT" -c "$cfg" --url "$url" "$@" 2>&1 || die "retort $* failed with exit code $?"
}

# q DB SQL: one query, unaligned, tuples only, stopping at the first error.
q() { "$psql_bin" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# The version rows (one per line) and the number of history rows of database $1.
versions() { q "$1" 'SELECT version_num FROM retort.retort_version ORDER BY version_num;'; }
history_rows() { q "$1" 'SELECT count(*) FROM retort.retort_version_history;'; }

# catalog DB: a normalised description of the schemas public and retort, from the
# catalog: relations, columns (type, NOT NULL, default), constraints, indexes (with
# indisvalid), views, functions, triggers and enum types, one per line, sorted.
catalog() {
	q "$1" "
	WITH n AS (SELECT oid FROM pg_namespace WHERE nspname IN ('public', 'retort'))
	SELECT line FROM (
	  SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text AS line
	    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM n) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
	  UNION ALL
	  SELECT 'column ' || c.oid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	         || CASE WHEN a.attnotnull THEN ' not-null' ELSE '' END
	         || coalesce(' default=' || pg_get_expr(d.adbin, d.adrelid), '')
	         || CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END
	    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
	    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	   WHERE c.relnamespace IN (SELECT oid FROM n) AND c.relkind IN ('r', 'p', 'v')
	     AND a.attnum > 0 AND NOT a.attisdropped
	  UNION ALL
	  SELECT 'constraint ' || k.conrelid::regclass || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
	    FROM pg_constraint k WHERE k.connamespace IN (SELECT oid FROM n) AND k.conrelid <> 0
	  UNION ALL
	  SELECT 'index ' || i.indexrelid::regclass || ' valid=' || i.indisvalid || ' ' || pg_get_indexdef(i.indexrelid)
	    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace IN (SELECT oid FROM n)
	  UNION ALL
	  SELECT 'view ' || c.oid::regclass || ' ' || regexp_replace(pg_get_viewdef(c.oid), '\s+', ' ', 'g')
	    FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM n) AND c.relkind = 'v'
	  UNION ALL
	  SELECT 'function ' || regexp_replace(pg_get_functiondef(p.oid), '\s+', ' ', 'g')
	    FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM n)
	  UNION ALL
	  SELECT 'trigger ' || pg_get_triggerdef(t.oid)
	    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	   WHERE c.relnamespace IN (SELECT oid FROM n) AND NOT t.tgisinternal
	  UNION ALL
	  SELECT 'type ' || t.typname || ' ' || (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
	                                         FROM pg_enum e WHERE e.enumtypid = t.oid)
	    FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM n) AND t.typtype = 'e'
	) x ORDER BY line COLLATE \"C\""
}

printf 'retort example: the database of a small online shop (PostgreSQL), with a branch,\n'
printf 'a merge, a CONCURRENTLY index, a PL/pgSQL trigger and lock timeouts (see README.md).\n'
printf 'Each "+ retort ..." line below runs: %s -c %s --url %s ...\n' "$RETORT" "$cfg" "$url"
printf 'Server: %s, port %s\n' "$PGHOST" "${PGPORT:-5432}"

section "Start from an empty database"
printf '\n+ CREATE DATABASE %s TEMPLATE template0\n' "$db"
q postgres "CREATE DATABASE $db TEMPLATE template0"
q postgres "CREATE DATABASE $offline_db TEMPLATE template0"
run check

section "Upgrade to the newest revision, and look around"
run upgrade head
run history
run current --verbose
run heads
run branches
[ "$(versions "$db")" = "$head" ] || die "after upgrade head, the version rows are '$(versions "$db")', expected $head"
[ "$(q "$db" "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_customer_placed'::regclass")" = t ] ||
	die "the index built CONCURRENTLY is missing or INVALID"
[ "$(q "$db" "SELECT statement_index FROM retort.retort_version_history WHERE revision = '$index_rev'")" = 1 ] ||
	die "revision $index_rev did not run statement by statement"
note "" "Revision $index_rev (CREATE INDEX CONCURRENTLY) ran outside a transaction block, statement" \
     "by statement; its history row records how far it got (statement_index 1 of 1)."

section "Use it: a customer orders; the PL/pgSQL trigger keeps the order's total"
demo_sql="INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada Lovelace');
INSERT INTO orders (customer_id) SELECT id FROM customers WHERE email = 'ada@example.com';
INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price_cents)
    SELECT o.id, p.id, p.id, 2, p.price_cents FROM orders o, products p WHERE p.sku IN ('MUG-01', 'TEE-02');
UPDATE orders SET status = 'paid';
SELECT id, status, total_cents FROM orders;
SELECT email, tier, orders, spent_cents FROM customer_order_summary;"
printf '\n+ psql %s <<EOF\n%s\nEOF\n' "$db" "$demo_sql"
printf '%s\n' "$demo_sql" | "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$db" || die "the demo statements failed"
[ "$(q "$db" 'SELECT total_cents FROM orders')" = 7400 ] || die "the trigger did not compute the order's total (2 x 12.00 + 2 x 25.00)"

section "Downgrade to base: every revision has a downgrade section"
run downgrade base
[ -z "$(versions "$db")" ] || die "after downgrade base, version rows remain: $(versions "$db")"
left=$(q "$db" "SELECT string_agg(oid::regclass::text, ' ') FROM pg_class
                WHERE relnamespace = 'public'::regnamespace")
[ -z "$left" ] || die "after downgrade base, these objects remain in public: $left"
catalog "$db" >"$tmp/online-base.catalog"
note "" "The database is at base: no version rows; only retort's own tables are left, in the" \
     "schema 'retort' (version_table_schema in retort.yaml)."
run current --verbose

section "Upgrade again"
run upgrade head
run current

section "Offline mode: the same upgrade as an SQL script, run by psql"
printf '\n+ retort upgrade --sql base:head | psql -v ON_ERROR_STOP=1 -d %s\n' "$offline_db"
"$RETORT" -c "$cfg" upgrade --sql base:head >"$tmp/upgrade.sql" || die "retort upgrade --sql exited with $?"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$offline_db" -f "$tmp/upgrade.sql" >"$tmp/psql.out" 2>&1 ||
	{ cat "$tmp/psql.out"; die "psql failed on the offline script"; }
note "$(grep -c '^-- Running upgrade' "$tmp/upgrade.sql") revisions in $(wc -l <"$tmp/upgrade.sql") lines of SQL; it begins with:"
sed -n '1,7s/^/     /p' "$tmp/upgrade.sql"
note "and runs $index_rev outside any transaction block:"
sed -n "/^-- Running upgrade .* -> $index_rev/,/^COMMIT;\$/s/^/     /p" "$tmp/upgrade.sql" | head -n 8

printf '\n+ compare %s and %s through the catalog\n' "$db" "$offline_db"
catalog "$db" >"$tmp/online.catalog"
catalog "$offline_db" >"$tmp/offline.catalog"
diff -u "$tmp/online.catalog" "$tmp/offline.catalog" || die "the schemas differ (diff above)"
note "same schema: $(wc -l <"$tmp/online.catalog") catalog lines (tables, columns, constraints, indexes, views, functions, triggers, types)"
versions "$db" >"$tmp/online.versions"
versions "$offline_db" >"$tmp/offline.versions"
diff -u "$tmp/online.versions" "$tmp/offline.versions" || die "the version rows differ (diff above)"
note "same version rows: $(paste -sd ' ' "$tmp/online.versions")"

section "Offline mode: the downgrade to base as an SQL script"
printf '\n+ retort downgrade --sql head:base | psql -v ON_ERROR_STOP=1 -d %s\n' "$offline_db"
"$RETORT" -c "$cfg" downgrade --sql head:base >"$tmp/downgrade.sql" || die "retort downgrade --sql exited with $?"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$offline_db" -f "$tmp/downgrade.sql" >"$tmp/psql.out" 2>&1 ||
	{ cat "$tmp/psql.out"; die "psql failed on the offline downgrade script"; }
catalog "$offline_db" >"$tmp/offline-base.catalog"
diff -u "$tmp/online-base.catalog" "$tmp/offline-base.catalog" || die "the schemas at base differ (diff above)"
[ -z "$(versions "$offline_db")" ] || die "the offline downgrade left version rows: $(versions "$offline_db")"
note "same schema at base as the online downgrade: $(wc -l <"$tmp/offline-base.catalog") catalog lines (retort's tables)"

section "The offline script refuses a database that is not where it starts"
printf '\n+ psql -v ON_ERROR_STOP=1 -d %s -f upgrade-from-base.sql    (%s is at %s)\n' "$db" "$db" "$head"
catalog "$db" >"$tmp/before.catalog"
before_history=$(history_rows "$db")
if "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$tmp/upgrade.sql" >"$tmp/guard.out" 2>&1; then
	die "the script for base:head ran against a database at $head"
fi
sed 's/^/   /' "$tmp/guard.out"
grep -q "expects the database at base, but it is at $head" "$tmp/guard.out" || die "the guard's message does not name both revisions"
catalog "$db" >"$tmp/after.catalog"
diff -u "$tmp/before.catalog" "$tmp/after.catalog" || die "the refused script changed the schema"
[ "$(history_rows "$db")" = "$before_history" ] || die "the refused script wrote to the history table"
note "" "^ psql stopped at the guard, before changing anything."

printf '\noffline scripts and online runs agree\n'
printf '\nexample finished (the databases %s and %s are dropped on exit).\n' "$db" "$offline_db"
