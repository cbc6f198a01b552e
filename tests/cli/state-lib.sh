# state-lib.sh - what a SQLite database must look like after a run that failed part-way:
# the checks the allocation-failure tests (alloc-lib.sh) and the fault-injection tests
# (t3310-fault-backend.sh) share. Sourced; uses only RETORT; prints nothing on success.
#
#	state_sqlite_objects_sql DB   the SQL that describes DB's objects and rows (for sqlite3)
#	state_sqlite_objects DB       that description
#	state_sqlite_sound DB         no journal left, PRAGMA integrity_check passes
#	state_sqlite_ref DUMP TMPL DBFILE CACHE V...
#	                              DUMP of a fresh database upgraded to each V in turn
#	state_rerun REF DUMP DB ARGS...
#	                              retort ARGS without hooks succeeds, DUMP DB equals REF,
#	                              and `retort check` passes

# state_sqlite_objects_sql DB: SQL (for `sqlite3 DB`) printing every object of DB but
# retort's tables (type, name, table, SQL), the sequences but the history's, and the rows
# of every other table as INSERT statements: what two databases built by the same
# statements share, whatever their history says. Nothing for a database that does not exist.
state_sqlite_objects_sql() {
	[ -f "$1" ] || return 0
	echo "SELECT type || ' ' || name || ' on ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_master
	      WHERE tbl_name NOT IN ('retort_version', 'retort_version_history', 'sqlite_sequence')
	      ORDER BY type, name;"
	sqlite3 -batch "$1" "SELECT 'SELECT ''sequence '' || name || '' '' || seq FROM sqlite_sequence
	                            WHERE name <> ''retort_version_history'' ORDER BY name;'
	                     FROM sqlite_master WHERE name = 'sqlite_sequence'
	                     UNION ALL
	                     SELECT '.mode insert ' || name || char(10) || 'SELECT * FROM \"' || name || '\" ORDER BY rowid;'
	                       || char(10) || '.mode list'
	                     FROM (SELECT name FROM sqlite_master WHERE type = 'table'
	                           AND name NOT IN ('retort_version', 'retort_version_history')
	                           AND name NOT LIKE 'sqlite_%' ORDER BY name)"
}

# state_sqlite_objects DB: what state_sqlite_objects_sql describes.
state_sqlite_objects() {
	[ -f "$1" ] || return 0
	state_sqlite_objects_sql "$1" | sqlite3 -batch "$1"
}

# state_sqlite_sound DB: no rollback journal or WAL is left next to DB, and DB (when it
# exists) passes PRAGMA integrity_check; otherwise prints why and returns 1.
state_sqlite_sound() {
	if ls "$1-journal" "$1-wal" >/dev/null 2>&1; then
		echo "a journal was left next to the database: $(ls "$1"-* | tr '\n' ' ')"
		return 1
	fi
	[ -f "$1" ] || return 0
	_ss_ic=$(sqlite3 -batch "$1" "PRAGMA integrity_check" 2>&1)
	[ "$_ss_ic" = ok ] || { echo "PRAGMA integrity_check: $_ss_ic"; return 1; }
}

# state_sqlite_ref DUMP TMPL DBFILE CACHE V...: the output of DUMP (a function taking a
# database file) for a copy of the project TMPL (without DBFILE yet) upgraded to each of
# V in turn; cached in CACHE.<V...>.dump. Returns 1 (saying why in CACHE.<V...>.err) when
# an upgrade fails.
state_sqlite_ref() {
	_sr_dump=$1 _sr_tmpl=$2 _sr_db=$3 _sr_cache=$4
	shift 4
	_sr_key=$(echo "$*" | tr ' ' '_')
	_sr_c=$_sr_cache.${_sr_key:-base}
	if [ ! -f "$_sr_c.dump" ]; then
		rm -rf "$_sr_c.$$"
		cp -R "$_sr_tmpl" "$_sr_c.$$" || return 1
		(
			cd "$_sr_c.$$" || exit 1
			for _sr_v in "$@"; do
				"$RETORT" -q upgrade "$_sr_v" || exit 1
			done
			"$_sr_dump" "$_sr_db" >dump
		) 2>"$_sr_c.err" || { echo "could not build the reference state '$*'" >>"$_sr_c.err"; return 1; }
		mv -f "$_sr_c.$$/dump" "$_sr_c.dump"
		rm -rf "$_sr_c.$$"
	fi
	cat "$_sr_c.dump"
}

# state_rerun REF DUMP DB ARGS...: in the current directory (a project), `retort -q ARGS`
# without any test hook exits 0, then `DUMP DB` prints what file REF holds (an
# uninterrupted run's), then `retort -q check` passes; otherwise prints why, returns 1.
state_rerun() {
	_st_ref=$1 _st_dump=$2 _st_db=$3
	shift 3
	_st_out=$(env -u RETORT_FAULT -u RETORT_FAIL_ALLOC_AFTER "$RETORT" -q "$@" 2>&1)
	_st_rc=$?
	[ "$_st_rc" = 0 ] || { echo "the rerun without the hook exited $_st_rc: $(echo "$_st_out" | head -n 3 | tr '\n' ' ')"; return 1; }
	if ! "$_st_dump" "$_st_db" | cmp -s - "$_st_ref"; then
		echo "after the rerun the database differs from an uninterrupted run's: $("$_st_dump" "$_st_db" | diff "$_st_ref" - | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
		return 1
	fi
	_st_out=$(env -u RETORT_FAULT -u RETORT_FAIL_ALLOC_AFTER "$RETORT" -q check 2>&1)
	_st_rc=$?
	[ "$_st_rc" = 0 ] || { echo "check after the rerun exited $_st_rc: $(echo "$_st_out" | head -n 3 | tr '\n' ' ')"; return 1; }
}
