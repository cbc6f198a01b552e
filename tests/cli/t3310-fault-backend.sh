#!/bin/sh
# A database call that fails (RETORT_FAULT=KIND:N[:once|:persist], lib/fault_backend.c:
# the Nth exec, query or commit, and with :persist every later one of that kind, fails
# without reaching the database) leaves the database true, and the rerun completes.
#
# For SQLite (migrations_example/, on a fresh file) and PostgreSQL (migrations_example_pg/,
# in fresh schemas of the suite's server): upgrade head, downgrade base (SQLite: from the
# stamp past its irreversible revision), and a statement-by-statement revision (added on
# top, transactional: false) upgraded and downgraded. For each, N = 1, 2, ... of each kind
# and mode until a run succeeds without meeting the fault; after each failing run:
#   - exit 1, one error line, naming the fault: "fault injected: the Nth KIND fails" (and
#     on PostgreSQL its SQLSTATE, 08006);
#   - SQLite: no journal left, PRAGMA integrity_check passes;
#   - the history rows the run wrote are the uninterrupted run's first k 'applied' rows, in
#     order, then at most one row of step k+1: 'failed' with the fault as its error, or
#     'running' for a statement-by-statement revision whose failure could not be written
#     (a :once fault in a revision's statement must leave the 'failed' row);
#   - the version rows cover exactly what the history says: the revisions before the run
#     (their ancestors and depends_on included) with those k steps applied or removed;
#   - the schema and rows are those of a fresh database upgraded to the version rows, plus,
#     for a statement-by-statement revision left part-way, exactly the statements its
#     history row says completed (a 'running' row: that many, or one more);
#   - the rerun without the fault (after `retort resolve`, for a 'running' row at a
#     statement not safe to repeat, saying what the database shows) reaches the
#     uninterrupted run's version rows, schema and rows, and `retort check` passes.
# A run that succeeds must look exactly like an uninterrupted one.
#
# The number of calls of each kind comes from RETORT_FAULT=count. `make test` tries a
# sample of N: the first FAULT_FIRST, every FAULT_STEP-th (FAULT_STEP_PG-th on PostgreSQL)
# from a seeded offset (FAULT_SEED, printed; :persist half a step further), the last
# FAULT_LAST calls, and the first N past them, which must succeed; FAULT_ALL=1 tries every N
# (tests/stress/fault.sh, `make stress-fault`).
. "$(dirname "$0")/pg-lib.sh"
. "$CLI_TESTS_DIR/state-lib.sh"

EXAMPLE=$(cd "$CLI_TESTS_DIR/../../migrations_example" && pwd) || exit 2
EXAMPLE_PG=$(cd "$CLI_TESTS_DIR/../../migrations_example_pg" && pwd) || exit 2
if [ "${FAULT_ALL:-0}" = 1 ]; then
	FAULT_FIRST=1000000 FAULT_STEP=1 FAULT_LAST=1
else
	FAULT_FIRST=${FAULT_FIRST:-1} FAULT_STEP=${FAULT_STEP:-16} FAULT_LAST=${FAULT_LAST:-1}
fi
# PostgreSQL runs cost twice SQLite's: a sparser sample
FAULT_STEP_PG=${FAULT_STEP_PG:-$((FAULT_STEP * 3 / 2))}
FAULT_SEED=${FAULT_SEED:-$(stress_seed)}
echo "# the sample's seed: FAULT_SEED=$FAULT_SEED replays it"
FIGURES=$_T_ROOT/figures
: >"$FIGURES"
SEARCH_PATH_OPT=$(urlenc "-csearch_path=")
FX_SEQ=0

# The statement-by-statement revision put on top of each example (its own file).
NOTES_REV=fa017c0de000
notes_revision() {
	cat <<EOF
/*
revision: $NOTES_REV
down_revision: $1
transactional: false
message: fault notes, statement by statement
*/

-- retort:upgrade
CREATE TABLE fault_notes (note text NOT NULL);
INSERT INTO fault_notes (note) VALUES ('one');
INSERT INTO fault_notes (note) VALUES ('two');
CREATE INDEX fault_notes_note ON fault_notes (note);

-- retort:downgrade
DROP INDEX fault_notes_note;
DELETE FROM fault_notes WHERE note = 'two';
DROP TABLE fault_notes;
EOF
}

# ------------------------------------------------------------------------------------
# The oracle: the revision graph and the statements, read from the files themselves
# ------------------------------------------------------------------------------------

# fx_edges VERSIONS_DIR: "REV PARENT" for each down_revision and depends_on of each header.
fx_edges() {
	for _f in "$1"/*.sql; do
		awk '/^\*\// { exit }
		     /^revision:/ { rev = $2 }
		     /^(down_revision|depends_on):/ {
		         line = $0; sub(/^[a-z_]+:[ \t]*/, "", line); sub(/[ \t]+#.*/, "", line)
		         gsub(/[][,"\047]/, " ", line)
		         n = split(line, a, " ")
		         for (i = 1; i <= n; i++) if (a[i] != "null") dep[++nd] = a[i]
		     }
		     END { for (i = 1; i <= nd; i++) print rev, dep[i] }' "$_f"
	done
}

# fx_closure EDGES V...: the revisions V stand for (each with its ancestors and what it
# depends on), sorted, one line.
fx_closure() {
	_e=$1
	shift
	awk -v start="$*" '{ up[$1] = up[$1] " " $2 }
	     END {
	         n = split(start, todo, " ")
	         while (n > 0) {
	             r = todo[n--]
	             if (r in seen) continue
	             seen[r] = 1
	             m = split(up[r], p, " ")
	             for (i = 1; i <= m; i++) todo[++n] = p[i]
	         }
	         for (r in seen) print r
	     }' "$_e" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# fx_statements FILE DIRECTION J: the first J statements of FILE's DIRECTION section, as
# written (comments dropped; each statement ends with ';' at the end of a line).
fx_statements() {
	awk -v want="$2" -v j="$3" '
	     /^-- retort:/ { sec = $2; sub(/^retort:/, "", sec); next }
	     sec != want || /^[ \t]*--/ || /^[ \t]*$/ { next }
	     n < j { print; if ($0 ~ /;[ \t]*$/) n++ }' "$1"
}

# ------------------------------------------------------------------------------------
# The backends: a fresh start state, what the database holds, reference states
# ------------------------------------------------------------------------------------

# fx_pg_project SCHEMA: retort.yaml for the PostgreSQL example in SCHEMA, retort's tables
# in SCHEMA_r, the example's other settings unchanged.
fx_pg_project() {
	{
		echo "script_location: ."
		echo "database:"
		echo "  url: \"postgresql:///$PG_DB?$PG_SERVER_QUERY&options=$SEARCH_PATH_OPT$1\""
		echo "version_table_schema: $1_r"
		sed -n '/^postgresql:/,$p' "$EXAMPLE_PG/retort.yaml"
	} >retort.yaml
}

# fx_pg_schema [PREFIX]: a new schema (and its _r twin for retort's tables); sets FX_SCHEMA.
fx_pg_schema() {
	FX_SEQ=$((FX_SEQ + 1))
	FX_SCHEMA=${1:-fx}${_NCASES}_$FX_SEQ
	psql_db "DROP SCHEMA IF EXISTS $FX_SCHEMA CASCADE; DROP SCHEMA IF EXISTS ${FX_SCHEMA}_r CASCADE;
	         CREATE SCHEMA $FX_SCHEMA" >/dev/null 2>&1 || fail "setup: cannot create schema $FX_SCHEMA"
}

fx_pg_drop() {
	psql_db "DROP SCHEMA IF EXISTS $1 CASCADE; DROP SCHEMA IF EXISTS $1_r CASCADE" >/dev/null 2>&1
}

# fx_pg_objects SCHEMA: the catalog of SCHEMA (pg_catalog_of), then every table's rows
# without their "id" (identity sequences do not roll back, so a rerun numbers anew).
fx_pg_objects() {
	pg_catalog_of "$1"
	psql_db "SELECT 'SELECT ''== ' || relname || ''' UNION ALL (SELECT (to_jsonb(t) - ''id'')::text FROM \"$1\".\"'
	                || relname || '\" t ORDER BY 1);'
	         FROM pg_class WHERE relnamespace = '\"$1\"'::regnamespace AND relkind = 'r'
	         ORDER BY relname COLLATE \"C\"" "$1" >"$FX_WORK/rows.sql"
	[ -s "$FX_WORK/rows.sql" ] && psql_file "$FX_WORK/rows.sql" "$1" -q -At
	return 0
}

# fx_db: what fx_objects and state_rerun take for the database of the current try.
fx_db() {
	if [ "$FX_BACKEND" = sqlite ]; then echo example.db; else echo "$FX_SCHEMA"; fi
}

fx_objects() {
	if [ "$FX_BACKEND" = sqlite ]; then state_sqlite_objects "$1"; else fx_pg_objects "$1"; fi
}

# fx_sql SQL: one query on retort's tables of the current try, rows on lines.
fx_sql() {
	if [ "$FX_BACKEND" = sqlite ]; then
		[ -f example.db ] && sqlite3 -batch example.db "$1" 2>/dev/null
	else
		psql_db "$1" "${FX_SCHEMA}_r" 2>/dev/null
	fi
	return 0
}

fx_versions() {
	fx_sql "SELECT version_num FROM retort_version ORDER BY 1" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

fx_max_id() {
	_m=$(fx_sql "SELECT max(id) FROM retort_version_history")
	echo "${_m:-0}"
}

# fx_history_since ID: "REV DIRECTION STATUS STATEMENT_INDEX ERROR" of each history row
# after ID, oldest first; ERROR is "fault" when the row's error names the injected fault.
fx_history_since() {
	fx_sql "SELECT revision || ' ' || direction || ' ' || status || ' ' || coalesce(statement_index, -1) || ' ' ||
	               CASE WHEN error IS NULL THEN '-' WHEN error LIKE '%fault injected: the %' THEN 'fault' ELSE 'other' END
	        FROM retort_version_history WHERE id > $1 ORDER BY id"
}

# fx_fresh DIR: the scenario's start state in DIR (the current directory afterwards).
fx_fresh() {
	rm -rf "$1"
	cp -R "$FX_TMPL" "$1" && cd "$1" || fail "setup: cannot copy $FX_TMPL"
	if [ "$FX_BACKEND" = pg ]; then
		fx_pg_schema
		fx_pg_project "$FX_SCHEMA"
		for _s in $FX_SETUP; do
			"$RETORT" -q $(echo "$_s" | tr , ' ') >/dev/null 2>&1 || fail "setup: retort $_s failed in $FX_SCHEMA"
		done
	fi
}

# fx_reference PARTIAL V...: the objects of a fresh database upgraded to each of V in turn,
# then given the SQL in file PARTIAL (or nothing: -); cached per V and PARTIAL.
fx_reference() {
	_p=$1
	shift
	if [ "$FX_BACKEND" = sqlite ] && [ "$_p" = - ]; then
		state_sqlite_ref state_sqlite_objects "$FX_BASE" example.db "$FX_WORK/state" "$@"
		return
	fi
	_key=$(echo "$FX_BACKEND $* $( [ "$_p" = - ] || cksum <"$_p")" | cksum | tr ' ' _)
	_c=$FX_WORK/ref.$_key
	if [ ! -f "$_c" ]; then
		(
			fx_fresh_base "$FX_WORK/ref.dir"
			for _v in "$@"; do
				"$RETORT" -q upgrade "$_v" || exit 1
			done
			if [ "$_p" != - ] && [ "$FX_BACKEND" = sqlite ]; then
				sqlite3 -bail -batch example.db <"$_p" || exit 1
			elif [ "$_p" != - ]; then
				psql_file "$_p" "$FX_SCHEMA" -q >/dev/null || exit 1
			fi
			fx_objects "$(fx_db)" >"$_c.tmp"
			[ "$FX_BACKEND" = pg ] && fx_pg_drop "$FX_SCHEMA"
			exit 0
		) >"$_c.err" 2>&1 || { cat "$_c.err"; return 1; }
		mv "$_c.tmp" "$_c"
	fi
	cat "$_c"
}

# fx_fresh_base DIR: like fx_fresh, from nothing (the project without a database).
fx_fresh_base() {
	rm -rf "$1"
	cp -R "$FX_BASE" "$1" && cd "$1" || exit 1
	if [ "$FX_BACKEND" = pg ]; then
		fx_pg_schema ref
		fx_pg_project "$FX_SCHEMA"
	fi
}

# ------------------------------------------------------------------------------------
# A scenario: a start state, a command, and its uninterrupted run
# ------------------------------------------------------------------------------------

# fx_scenario BACKEND NAME NOTES SETUP ARGS: sets up the scenario NAME in $FX_WORK: the
# project (the example of BACKEND, plus the notes revision when NOTES is 1), the start
# state (SETUP: retort commands, words joined by commas, run from nothing), the command
# (ARGS) and the reference: its uninterrupted run's output, version rows, history rows
# (ref.steps: "REV DIRECTION STATEMENT_INDEX", -1 for a transactional step) and objects,
# and the calls of each kind it makes (calls: "KIND COUNT", from RETORT_FAULT=count, whose
# run must leave the same database).
fx_scenario() {
	FX_BACKEND=$1 FX_NAME=$2 FX_ARGS=$5
	FX_WORK=$_T_ROOT/$2
	FX_BASE=$FX_WORK/base FX_TMPL=$FX_WORK/tmpl FX_SETUP=
	_ex=$EXAMPLE
	[ "$1" = pg ] && _ex=$EXAMPLE_PG
	rm -rf "$FX_WORK"
	mkdir -p "$FX_BASE" && cp -R "$_ex/retort.yaml" "$_ex/versions" "$FX_BASE/" || fail "setup: cannot copy $_ex"
	if [ "$3" = 1 ]; then
		_head=$(cd "$FX_BASE" && "$RETORT" -q heads | sed 's/ .*//')
		notes_revision "$_head" >"$FX_BASE/versions/${NOTES_REV}_fault_notes.sql"
	fi
	cp -R "$FX_BASE" "$FX_TMPL" || fail "setup: cannot copy the project"
	if [ "$1" = sqlite ]; then
		for _s in $4; do
			(cd "$FX_TMPL" && "$RETORT" -q $(echo "$_s" | tr , ' ')) || fail "setup: retort $_s failed"
		done
	else
		FX_SETUP=$4
	fi
	fx_edges "$FX_BASE/versions" >"$FX_WORK/edges"
	(
		fx_fresh "$FX_WORK/ref.run"
		_pre=$(fx_max_id)
		fx_closure "$FX_WORK/edges" $(fx_versions) >"$FX_WORK/pre.closure"
		echo "$_pre" >"$FX_WORK/pre.id"
		"$RETORT" -q $FX_ARGS >"$FX_WORK/ref.out" 2>"$FX_WORK/ref.err" ||
			{ echo "the uninterrupted run of retort $FX_ARGS failed: $(cat "$FX_WORK/ref.err")"; exit 1; }
		fx_versions >"$FX_WORK/ref.versions"
		fx_history_since "$_pre" | awk '{ print $1, $2, $4 }' >"$FX_WORK/ref.steps"
		fx_objects "$(fx_db)" >"$FX_WORK/ref.objects"
		[ "$FX_BACKEND" = pg ] && fx_pg_drop "$FX_SCHEMA"
		# how many calls of each kind the command makes, and the wrapper changes nothing
		fx_fresh "$FX_WORK/count.run"
		(RETORT_FAULT=count && export RETORT_FAULT && "$RETORT" -v $FX_ARGS) >/dev/null 2>"$FX_WORK/count.err" ||
			{ echo "retort $FX_ARGS with RETORT_FAULT=count failed: $(cat "$FX_WORK/count.err")"; exit 1; }
		sed -n 's/^fault calls: exec \([0-9]*\), query \([0-9]*\), commit \([0-9]*\)$/exec \1\nquery \2\ncommit \3/p' \
			"$FX_WORK/count.err" >"$FX_WORK/calls"
		[ "$(wc -l <"$FX_WORK/calls")" = 3 ] || { echo "no call counts from RETORT_FAULT=count: $(cat "$FX_WORK/count.err")"; exit 1; }
		[ "$(fx_versions)" = "$(cat "$FX_WORK/ref.versions")" ] && fx_objects "$(fx_db)" | cmp -s - "$FX_WORK/ref.objects" ||
			{ echo "with RETORT_FAULT=count, retort $FX_ARGS left another database"; exit 1; }
		[ "$FX_BACKEND" = pg ] && fx_pg_drop "$FX_SCHEMA"
		exit 0
	) >"$FX_WORK/prepare.err" 2>&1 || fail "setup: $(cat "$FX_WORK/prepare.err")"
	[ -s "$FX_WORK/ref.steps" ] || fail "setup: the uninterrupted run of retort $FX_ARGS wrote no history"
	: >"$FX_WORK/bad"
}

# ------------------------------------------------------------------------------------
# One run with a fault, and its verdict
# ------------------------------------------------------------------------------------

fx_bad() {
	FX_VERDICT="BAD: $*"
}

ordinal() {
	case $1 in
	*1[123]) echo "${1}th" ;;
	*1) echo "${1}st" ;;
	*2) echo "${1}nd" ;;
	*3) echo "${1}rd" ;;
	*) echo "${1}th" ;;
	esac
}

# fx_history_verdict ROWS: "ok K STATUS INDEX" (K applied steps, then the last row's
# status and statement index, or "none -1") when the rows the run wrote (file ROWS, from
# fx_history_since) are the uninterrupted run's first K steps and at most one row of the
# next; otherwise "bad: why".
fx_history_verdict() {
	awk 'NR == FNR { step[++ns] = $1 " " $2; sidx[ns] = $3; next }
	     { row[++nr] = $0; rd[nr] = $1 " " $2; st[nr] = $3; ix[nr] = $4; er[nr] = $5 }
	     END {
	         for (k = 0; k < nr && st[k + 1] == "applied"; k++)
	             if (k + 1 > ns || rd[k + 1] != step[k + 1]) {
	                 print "bad: history row " k + 1 " (" row[k + 1] ") is not step " k + 1 " of the uninterrupted run (" step[k + 1] ")"
	                 exit
	             }
	         if (nr == k) { print "ok " k " none -1"; exit }
	         t = k + 1
	         if (nr > t) { print "bad: " nr - k " history rows after the " k " applied ones: " row[t] "; " row[t + 1]; exit }
	         if (t > ns || rd[t] != step[t]) { print "bad: the last history row (" row[t] ") is not the next step (" step[t] ")"; exit }
	         if (st[t] == "failed" && er[t] != "fault") { print "bad: the failed row (" row[t] ") does not record the fault"; exit }
	         if (st[t] == "running" && sidx[t] == -1) { print "bad: a running row (" row[t] ") of a transactional revision"; exit }
	         if (st[t] != "failed" && st[t] != "running") { print "bad: a history row in state " st[t] ": " row[t]; exit }
	         print "ok " k " " st[t] " " ix[t]
	     }' "$FX_WORK/ref.steps" "$1"
}

# fx_expected_closure K: the revisions the version rows must cover after the first K
# steps of the uninterrupted run.
fx_expected_closure() {
	{
		tr ' ' '\n' <"$FX_WORK/pre.closure"
		echo
		head -n "$1" "$FX_WORK/ref.steps" | awk '{ print ($2 == "downgrade" ? "-" : "+") $1 }'
	} | awk '/^-/ { delete s[substr($0, 2)]; next }
	         /^\+/ { s[substr($0, 2)] = 1; next }
	         NF { s[$0] = 1 }
	         END { for (r in s) print r }' | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# fx_partial_matches T J V...: the objects are those of a fresh database at V plus the
# first J statements of step T (a statement-by-statement revision left part-way).
fx_partial_matches() {
	_pm_t=$1 _pm_j=$2
	shift 2
	_pm_rev=$(sed -n "${_pm_t}p" "$FX_WORK/ref.steps" | awk '{ print $1 }')
	_pm_dir=$(sed -n "${_pm_t}p" "$FX_WORK/ref.steps" | awk '{ print $2 }')
	_pm_file=-
	if [ "$_pm_j" -gt 0 ]; then
		_pm_file=$FX_WORK/partial.$_pm_rev.$_pm_dir.$_pm_j.sql
		fx_statements "$(ls "$FX_BASE"/versions/"$_pm_rev"_*.sql)" "$_pm_dir" "$_pm_j" >"$_pm_file"
	fi
	fx_reference "$_pm_file" "$@" >"$FX_WORK/expected.objects" || return 1
	cmp -s "$FX_WORK/expected.objects" "$FX_WORK/try.objects"
}

# fx_check_failure KIND N: the checks of a run that exited 1 (see the top of the file).
fx_check_failure() {
	_cf_want="fault injected: the $(ordinal "$2") $1 fails"
	[ "$FX_BACKEND" = pg ] && _cf_want="$_cf_want (08006)" # connection_failure, see fault_backend.c
	_cf_nerr=$(grep -c '^error: ' "$FX_WORK/try.err")
	[ "$_cf_nerr" = 1 ] || { fx_bad "exit 1 with $_cf_nerr error lines"; return; }
	grep '^error: ' "$FX_WORK/try.err" | grep -q -F -e "$_cf_want" ||
		{ fx_bad "exit 1, but the error does not say '$_cf_want'"; return; }
	if [ "$FX_BACKEND" = sqlite ]; then
		_cf_why=$(state_sqlite_sound example.db) || { fx_bad "$_cf_why"; return; }
	fi
	_cf_v=$(fx_versions)
	fx_history_since "$(cat "$FX_WORK/pre.id")" >"$FX_WORK/try.rows"
	_cf_hv=$(fx_history_verdict "$FX_WORK/try.rows")
	case $_cf_hv in ok*) ;; *) fx_bad "${_cf_hv#bad: }"; return ;; esac
	set -- $_cf_hv
	_cf_k=$2 _cf_st=$3 _cf_ix=$4
	# a :once fault in a revision's statement leaves a connection that can record it
	if [ "$FX_MODE" = once ] && [ "$_cf_st" != failed ] && grep -q '^error: versions/' "$FX_WORK/try.err"; then
		fx_bad "a revision's statement failed once, but no history row says so"
		return
	fi
	_cf_got=$(fx_closure "$FX_WORK/edges" $_cf_v)
	_cf_exp=$(fx_expected_closure "$_cf_k")
	[ "$_cf_got" = "$_cf_exp" ] ||
		{ fx_bad "the history says $_cf_k steps completed, but the version rows '$_cf_v' stand for '$_cf_got', not '$_cf_exp'"; return; }
	fx_objects "$(fx_db)" >"$FX_WORK/try.objects"
	_cf_t=$((_cf_k + 1))
	FX_TRUTH=-1
	if [ "$_cf_st" != none ] && [ "$_cf_ix" -ge 0 ]; then
		# a statement-by-statement revision left part-way: _cf_ix statements completed, or
		# (a 'running' row, whose failure could not be recorded) maybe one more
		if fx_partial_matches "$_cf_t" "$_cf_ix" $_cf_v; then
			FX_TRUTH=$_cf_ix
		elif [ "$_cf_st" = running ] && fx_partial_matches "$_cf_t" $((_cf_ix + 1)) $_cf_v; then
			FX_TRUTH=$((_cf_ix + 1))
		else
			fx_bad "the history says statement $_cf_ix of step $_cf_t ($_cf_st), but the database is not the one it describes: $(diff "$FX_WORK/expected.objects" "$FX_WORK/try.objects" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
			return
		fi
	elif ! fx_reference - $_cf_v >"$FX_WORK/expected.objects"; then
		fx_bad "cannot build the reference state '$_cf_v'"
		return
	elif ! cmp -s "$FX_WORK/expected.objects" "$FX_WORK/try.objects"; then
		fx_bad "the database at version rows '$_cf_v' is not what upgrading to them gives: $(diff "$FX_WORK/expected.objects" "$FX_WORK/try.objects" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
		return
	fi
	fx_check_rerun "$_cf_t" "$_cf_st"
}

# fx_check_rerun T STATUS: the rerun without the fault completes (after a resolve saying
# what the database shows, when a 'running' row makes it refuse) and leaves what an
# uninterrupted run leaves.
fx_check_rerun() {
	if [ "$2" = running ]; then
		if ! "$RETORT" -q $FX_ARGS >"$FX_WORK/rerun.out" 2>"$FX_WORK/rerun.err"; then
			grep -q 'was interrupted during this statement' "$FX_WORK/rerun.err" ||
				{ fx_bad "the rerun after a running row failed: $(head -n 2 "$FX_WORK/rerun.err" | tr '\n' ' ')"; return; }
			_cr_rev=$(sed -n "${1}p" "$FX_WORK/ref.steps" | awk '{ print $1 }')
			_cr_n=$(sed -n "${1}p" "$FX_WORK/ref.steps" | awk '{ print $3 }')
			if [ "$FX_TRUTH" -ge "$_cr_n" ]; then _cr_how=--done; else _cr_how="--retry-from $((FX_TRUTH + 1))"; fi
			"$RETORT" -q resolve "$_cr_rev" $_cr_how -m "t3310: the database shows $FX_TRUTH statements" \
				>"$FX_WORK/resolve.out" 2>&1 ||
				{ fx_bad "retort resolve $_cr_rev $_cr_how failed: $(head -n 2 "$FX_WORK/resolve.out" | tr '\n' ' ')"; return; }
		fi
	fi
	_cr_why=$(state_rerun "$FX_WORK/ref.objects" fx_objects "$(fx_db)" $FX_ARGS) || { fx_bad "$_cr_why"; return; }
	[ "$(fx_versions)" = "$(cat "$FX_WORK/ref.versions")" ] ||
		fx_bad "after the rerun the version rows are '$(fx_versions)', not '$(cat "$FX_WORK/ref.versions")'"
}

_norm() {
	sed -E 's/[0-9]+(\.[0-9]+)? ms/# ms/g'
}

# fx_try KIND N MODE: one run of the scenario's command with RETORT_FAULT=KIND:N:MODE, in
# a fresh start state, checked. Sets FX_RC and FX_VERDICT (ok: exit 0 exactly as the
# uninterrupted run; fail: a failure that left everything true; BAD: why); a BAD run's
# report goes to $FX_WORK/bad.
fx_try() {
	FX_VERDICT='' FX_RC='' FX_MODE=$3
	fx_fresh "$FX_WORK/try"
	(RETORT_FAULT=$1:$2:$3 && export RETORT_FAULT && retort -q $FX_ARGS) >"$FX_WORK/try.out" 2>"$FX_WORK/try.err"
	FX_RC=$?
	if grep -q -E -e '^==[0-9]+==' -e 'Sanitizer' -e 'runtime error:' "$FX_WORK/try.err"; then
		fx_bad "a sanitizer or valgrind report (exit $FX_RC)"
	else
		case $FX_RC in
		0)
			if ! _norm <"$FX_WORK/try.out" | cmp -s - "$FX_WORK/ref.out" ||
				! _norm <"$FX_WORK/try.err" | cmp -s - "$FX_WORK/ref.err"; then
				fx_bad "exit 0, but the output differs from the uninterrupted run's"
			elif [ "$(fx_versions)" != "$(cat "$FX_WORK/ref.versions")" ]; then
				fx_bad "exit 0, but the version rows are '$(fx_versions)'"
			elif ! fx_objects "$(fx_db)" | cmp -s - "$FX_WORK/ref.objects"; then
				fx_bad "exit 0, but the database differs from the uninterrupted run's"
			else
				FX_VERDICT=ok
			fi
			;;
		1)
			FX_VERDICT=fail
			fx_check_failure "$1" "$2"
			;;
		124 | 137) fx_bad "hung (exit $FX_RC)" ;;
		*) fx_bad "exit $FX_RC" ;;
		esac
	fi
	[ "$FX_BACKEND" = pg ] && fx_pg_drop "$FX_SCHEMA"
	cd "$FX_WORK" || exit 2
	case $FX_VERDICT in
	BAD*)
		{
			echo "RETORT_FAULT=$1:$2:$3 retort -q $FX_ARGS ($FX_NAME): $FX_VERDICT"
			sed 's/^/    | /' "$FX_WORK/try.err" | head -n 8
		} >>"$FX_WORK/bad"
		return 1
		;;
	esac
	return 0
}

# ------------------------------------------------------------------------------------
# The loop over N
# ------------------------------------------------------------------------------------

# fx_try_once KIND N MODE: fx_try, at most once per KIND, N and MODE of the scenario; sets
# FX_LAST to ok (exit 0) or fail, and counts runs and BAD ones in FX_TRIED and FX_NBAD.
fx_try_once() {
	case $FX_SEEN in *" $1:$2:$3="*)
		FX_LAST=$(echo "$FX_SEEN" | sed -E "s/.* $1:$2:$3=([a-z]+) .*/\1/")
		return
		;;
	esac
	FX_TRIED=$((FX_TRIED + 1))
	fx_try "$1" "$2" "$3" || FX_NBAD=$((FX_NBAD + 1))
	if [ "$FX_RC" = 0 ]; then FX_LAST=ok; else FX_LAST=fail; fi
	FX_SEEN="$FX_SEEN$1:$2:$3=$FX_LAST "
	_asserted
}

# fx_sample KIND MODE OFFSET: N = 1 to FAULT_FIRST, then FAULT_FIRST + OFFSET + k FAULT_STEP,
# then the last FAULT_LAST calls: each must fail; N = FX_CALLS + 1 (with :once) must succeed.
fx_sample() {
	_fs_n=1
	while [ "$_fs_n" -le "$FX_CALLS" ]; do
		fx_try_once "$1" "$_fs_n" "$2"
		[ "$FX_LAST" = fail ] || fail "RETORT_FAULT=$1:$_fs_n:$2 retort $FX_ARGS succeeded, below the first success at $((FX_CALLS + 1))"
		if [ "$_fs_n" -lt "$FAULT_FIRST" ]; then
			_fs_n=$((_fs_n + 1))
		elif [ "$_fs_n" -eq "$FAULT_FIRST" ]; then
			_fs_n=$((FAULT_FIRST + $3))
			[ "$_fs_n" -gt "$FAULT_FIRST" ] || _fs_n=$((_fs_n + FAULT_STEP))
		else
			_fs_n=$((_fs_n + FAULT_STEP))
		fi
		# the last calls come next anyway
		[ "$_fs_n" -le $((FX_CALLS - FAULT_LAST)) ] || break
	done
	_fs_n=$((FX_CALLS - FAULT_LAST + 1))
	[ "$_fs_n" -ge 1 ] || _fs_n=1
	# N = FX_CALLS + 1 meets no fault whatever the mode: tried once
	while [ "$_fs_n" -le "$FX_CALLS" ] || { [ "$_fs_n" -eq $((FX_CALLS + 1)) ] && [ "$2" = once ]; }; do
		fx_try_once "$1" "$_fs_n" "$2"
		if [ "$_fs_n" -le "$FX_CALLS" ]; then
			[ "$FX_LAST" = fail ] || fail "RETORT_FAULT=$1:$_fs_n:$2 retort $FX_ARGS succeeded, below the first success at $((FX_CALLS + 1))"
		else
			[ "$FX_LAST" = ok ] || fail "RETORT_FAULT=$1:$_fs_n:$2 retort $FX_ARGS failed, though :once succeeds there"
		fi
		_fs_n=$((_fs_n + 1))
	done
}

# fx_all_faults: every kind and mode of the current scenario (the :persist sample shifted
# by half a step from the :once one); appends "SCENARIO KIND calls runs bad" to $FIGURES
# and fails the case on a BAD run.
fx_all_faults() {
	_af_step=$FAULT_STEP
	[ "$FX_BACKEND" = pg ] && FAULT_STEP=$FAULT_STEP_PG
	for _af_kind in exec query commit; do
		FX_SEEN=" " FX_TRIED=0 FX_NBAD=0
		FX_CALLS=$(sed -n "s/^$_af_kind //p" "$FX_WORK/calls")
		fx_sample "$_af_kind" once $((FAULT_SEED % FAULT_STEP))
		fx_sample "$_af_kind" persist $(((FAULT_SEED + FAULT_STEP / 2) % FAULT_STEP))
		echo "$FX_NAME $_af_kind $FX_CALLS $FX_TRIED $FX_NBAD" >>"$FIGURES"
		echo "# $FX_NAME: $FX_CALLS $_af_kind calls; $FX_TRIED runs with RETORT_FAULT=$_af_kind:N:once or :persist, $FX_NBAD bad"
	done
	FAULT_STEP=$_af_step
	RUN_CMD=
	[ ! -s "$FX_WORK/bad" ] || fail "runs of retort $FX_ARGS ($FX_NAME) misbehaved (the first ones below)" \
		"exit 1 with the fault named and the database true, or exit 0 as without the fault" \
		"$(head -n 60 "$FX_WORK/bad")"
}

# ------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------

test_case "the hook: a malformed RETORT_FAULT is bad usage; a fault names itself; a large N or count changes nothing"
(
	new_project
	write_rev a1 null
	for _spec in bogus exec exec:0 exec:-1 exec:x exec:3x exec:3:sometimes query:99999999999999999999 read:1; do
		RETORT_FAULT=$_spec run retort upgrade head
		expect_exit 2
		expect_stderr_contains "error: RETORT_FAULT: invalid fault '$_spec': expected KIND:N, KIND:N:once, KIND:N:persist or count"
		expect_stderr_contains "hint: KIND is exec, query or commit"
		expect_file_missing app.db
	done
	RETORT_FAULT=query:1 run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: fault injected: the 1st query fails"
	expect_stderr_contains "hint: A test hook (the fault backend) failed this call on purpose"
	RETORT_FAULT=exec:1000:persist run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a1"
	# count: nothing fails; -v says how many calls of each kind ran (a downgrade commits once)
	RETORT_FAULT=count run retort -v downgrade base
	expect_exit 0
	expect_stderr_matches '^fault calls: exec [1-9][0-9]*, query [1-9][0-9]*, commit 1$'
	expect_eq "$(versions_of app.db)" ""
	RETORT_FAULT=count run retort upgrade head
	expect_exit 0
	expect_stderr_not_contains "fault calls"
	RETORT_FAULT='' run retort current
	expect_exit 0
)

test_case "a COMMIT that fails: the revision is rolled back and its failure recorded; a fault in a revision names its file and line"
(
	new_project
	write_rev a1 null
	write_rev a2 a1
	# the 1st COMMIT creates retort's tables: nothing is left of them
	RETORT_FAULT=commit:1:persist run retort upgrade head
	expect_exit 1
	expect_stderr_contains "error: fault injected: the 1st commit fails"
	expect_eq "$(sql app.db "SELECT count(*) FROM sqlite_master" 2>/dev/null || echo 0)" 0
	rm -f app.db
	# the 2nd is a1's: SQLite keeps a transaction whose COMMIT failed open; the runner must
	# roll it back before it records the failure, or the record is lost with it
	for _mode in once persist; do
		rm -f app.db
		RETORT_FAULT=commit:2:$_mode run retort upgrade head
		expect_exit 1
		expect_stderr_contains "error: fault injected: the 2nd commit fails"
		expect_eq "$(versions_of app.db)" ""
		expect_eq "$(tables_of app.db)" ""
		expect_eq "$(history_of app.db)" "a1 upgrade failed"
	done
	run retort upgrade head
	expect_exit 0
	expect_eq "$(versions_of app.db)" "a2"
	run retort downgrade base
	expect_exit 0
	# each statement of the run: find a1's CREATE TABLE by the location in the message
	_n=1
	while :; do
		RETORT_FAULT=exec:$_n:once run retort -q upgrade head
		[ "$RUN_EXIT" = 0 ] && fail "no exec fault reached a1's statement"
		grep -q "^error: versions/a1_rev.sql:[0-9]*: fault injected: the $(ordinal $_n) exec fails" "$RUN_STDERR" && break
		_n=$((_n + 1))
	done
	_asserted
	expect_eq "$(tables_of app.db)" ""
)

test_case "a statement-by-statement revision whose progress could not be recorded: the failed row counts the statement that ran"
(
	new_project
	write_rev b1 null "transactional: false" \
		"CREATE TABLE n (note TEXT);
INSERT INTO n VALUES ('one');
INSERT INTO n VALUES ('two');" "DROP TABLE n;"
	_line=$(grep -n "VALUES ('one')" versions/b1_rev.sql | cut -d: -f1)
	# the exec of the first INSERT, found by the location the fault reports; the next
	# exec records its progress
	_n=1
	while :; do
		RETORT_FAULT=exec:$_n:once run retort -q upgrade head
		[ "$RUN_EXIT" = 0 ] && fail "no exec fault reached the first INSERT"
		rm -f app.db
		grep -q "^error: versions/b1_rev.sql:$_line: fault injected" "$RUN_STDERR" && break
		_n=$((_n + 1))
	done
	RETORT_FAULT=exec:$((_n + 1)):once run retort -q upgrade head
	expect_exit 1
	expect_stderr_contains "fault injected: the $(ordinal $((_n + 1))) exec fails"
	expect_eq "$(sql app.db "SELECT note FROM n")" "one"
	expect_eq "$(sql app.db "SELECT status || ' ' || statement_index FROM retort_version_history")" "failed 2"
	run retort -q upgrade head
	expect_exit 0
	expect_eq "$(sql app.db "SELECT note FROM n ORDER BY rowid" | tr '\n' ' ')" "one two "
	expect_eq "$(versions_of app.db)" "b1"
)

test_case "SQLite, upgrade head on a fresh database"
(
	fx_scenario sqlite sqlite-upgrade 0 "" "upgrade head"
	fx_all_faults
)

test_case "SQLite, downgrade base (from the stamp past the irreversible revision)"
(
	fx_scenario sqlite sqlite-downgrade 0 "upgrade,head downgrade,1f212ac0761b stamp,003d21d206de" "downgrade base"
	fx_all_faults
)

test_case "SQLite, a statement-by-statement revision: upgrade, then downgrade"
(
	fx_scenario sqlite sqlite-notes-up 1 "upgrade,efcd9f544633" "upgrade head"
	fx_all_faults
	fx_scenario sqlite sqlite-notes-down 1 "upgrade,head" "downgrade efcd9f544633"
	fx_all_faults
)

test_case "PostgreSQL, upgrade head in a fresh schema"
(
	pg_case
	fx_scenario pg pg-upgrade 0 "" "upgrade head"
	fx_all_faults
)

test_case "PostgreSQL, downgrade base"
(
	pg_case
	fx_scenario pg pg-downgrade 0 "upgrade,head" "downgrade base"
	fx_all_faults
)

test_case "PostgreSQL, a statement-by-statement revision: upgrade, then downgrade"
(
	pg_case
	fx_scenario pg pg-notes-up 1 "upgrade,4c9d2e8f1a37" "upgrade head"
	fx_all_faults
	fx_scenario pg pg-notes-down 1 "upgrade,head" "downgrade 4c9d2e8f1a37"
	fx_all_faults
)

test_case "the figures"
(
	_asserted
	[ -s "$FIGURES" ] || fail "no figures were recorded"
	printf '# %-18s %-6s %6s %6s %4s\n' scenario kind calls runs bad
	while read -r _s _k _c _t _b; do
		printf '# %-18s %-6s %6s %6s %4s\n' "$_s" "$_k" "$_c" "$_t" "$_b"
	done <"$FIGURES"
)

test_done
