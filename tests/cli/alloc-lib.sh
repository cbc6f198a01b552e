# alloc-lib.sh - allocation-failure injection: what t3300-alloc-failure.sh (a sample of the
# allocation points) and tests/stress/alloc.sh (every one of them, under valgrind) share.
#
# RETORT_FAIL_ALLOC_AFTER=N makes the library's Nth allocation, and every one after it,
# fail (lib/alloc.c, cmd/main.c). For a command, N = 1, 2, ... until it succeeds, every
# run must be one of:
#   - a clean error: exit 1, the last line of stderr "error: out of memory", every other
#     line of stderr one the unhooked run prints too (progress), stdout a prefix of the
#     unhooked run's (empty where a half output would be harmful: the SQL of --sql, the
#     "created" line of revision), nothing changed that the command does not change when
#     it fails (read-only commands: no file touched; revision: no file left; upgrade: the
#     database at a consistent state, see below);
#   - a success that is indistinguishable from an unhooked run: exit 0, the same stdout and
#     stderr (durations and random ids aside), the same files and database. A success
#     whose output differs swallowed an allocation failure: BAD.
# Anything else is BAD: another exit status (2 would be out of memory reported as bad
# input, 124 a hang, 99 a valgrind error or definite leak, >128 a signal), a sanitizer
# report, a half-applied revision, a version row without its tables.
#
# upgrade head on a fresh SQLite file: after a failed run, the version rows V must be a
# state that running `retort upgrade v` for each v in V on a fresh database reaches with
# the same schema and data (sqlite3 .dump without retort's tables), the history's
# 'applied' rows name exactly the revisions of that state, no row says 'running', the
# file passes PRAGMA integrity_check, no journal is left behind; and a rerun without the
# hook reaches head with the same dump as an uninterrupted run, and `check` passes.
#
# The functions below use only RETORT, VALGRIND, ALLOC_ROOT (a scratch directory) and
# ALLOC_EXAMPLE (migrations_example/); they print nothing on success, so that parallel
# workers can call them. CLI_TESTS_DIR (tests/cli) must be set: they use state-lib.sh.
#
#	alloc_prepare KIND      template directory and unhooked reference run of KIND
#	alloc_try KIND N        one hooked run, checked; sets ALLOC_RC, ALLOC_VERDICT
#	                        ("fail" = a clean error, "ok" = a clean success, "BAD: why")
#	                        and ALLOC_DIR (kept when BAD)

. "$CLI_TESTS_DIR/state-lib.sh"

# The commands, as KIND names: check (with the database at head), upgrade-sql, history,
# upgrade-head (fresh database), revision (random id, in a scratch copy).
ALLOC_KINDS="check upgrade-sql history upgrade-head revision"

# alloc_cmdline KIND: the arguments of retort for KIND.
alloc_cmdline() {
	case $1 in
	check) echo "check" ;;
	upgrade-sql) echo "upgrade --sql base:head" ;;
	history) echo "history" ;;
	upgrade-head) echo "upgrade head" ;;
	revision) echo "revision -m x" ;;
	*) echo "alloc-lib.sh: unknown kind '$1'" >&2; return 2 ;;
	esac
}

# A hooked run may take this long (seconds) before it counts as a hang.
ALLOC_TIMEOUT=${ALLOC_TIMEOUT:-60}
[ "$VALGRIND" = 1 ] && ALLOC_TIMEOUT=${ALLOC_TIMEOUT_VALGRIND:-600}

# _al_retort ARGS...: retort, under valgrind when VALGRIND=1 (errors and definite leaks
# exit 99), bounded by a timeout (124).
_al_retort() {
	if [ "$VALGRIND" = 1 ]; then
		timeout -k 5 "$ALLOC_TIMEOUT" valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 "$RETORT" "$@"
	else
		timeout -k 5 "$ALLOC_TIMEOUT" "$RETORT" "$@"
	fi
}

# _al_norm: durations and random revision ids of `revision -m x` replaced by placeholders.
_al_norm() {
	sed -E 's/[0-9]+(\.[0-9]+)? ms/# ms/g; s/[0-9a-f]{12}_x\.sql/ID_x.sql/g'
}

# _al_tree: the checksum and the mode of every file below the current directory.
_al_tree() {
	find . -type f -exec cksum {} + | LC_ALL=C sort -k 3
	find . -type f -exec stat -c 'mode %a %n' {} + | LC_ALL=C sort -k 3
}

# _al_dump DB: a description of DB that two equal databases share: the version rows, the
# revisions the history says were applied, history rows in any state other than applied
# or failed, then every object but retort's tables, and the rows of every other table
# (state-lib.sh). Nothing for a database that does not exist. (Two sqlite3 calls: this
# runs a lot.)
_al_dump() {
	[ -f "$1" ] || return 0
	{
		if [ -n "$(sqlite3 -batch "$1" "SELECT 1 FROM sqlite_master WHERE name = 'retort_version_history'")" ]; then
			echo "SELECT 'version ' || version_num FROM retort_version ORDER BY 1;"
			echo "SELECT 'applied ' || revision FROM retort_version_history
			      WHERE status = 'applied' AND direction = 'upgrade' ORDER BY 1;"
			echo "SELECT 'history row in state ' || status || ': ' || revision FROM retort_version_history
			      WHERE status NOT IN ('applied', 'failed') ORDER BY 1;"
		fi
		state_sqlite_objects_sql "$1"
	} | sqlite3 -batch "$1"
}

# alloc_prepare KIND: $ALLOC_ROOT/KIND.tmpl (the project every run starts from) and the
# unhooked run's output in $ALLOC_ROOT/KIND.ref.{out,err} (normalised), plus for
# upgrade-head the dump of the database at head, for revision the new file. Returns 1
# (with a message on stderr) when the unhooked run fails.
alloc_prepare() {
	_k=$1
	_t=$ALLOC_ROOT/$_k.tmpl
	_r=$ALLOC_ROOT/$_k.ref
	rm -rf "$_t" "$_r"
	mkdir -p "$_t" "$_r" || return 1
	cp "$ALLOC_EXAMPLE/retort.yaml" "$_t/" && cp -R "$ALLOC_EXAMPLE/versions" "$_t/" || return 1
	rm -f "$_t"/*.db
	if [ "$_k" = check ]; then
		(cd "$_t" && "$RETORT" -q upgrade head) || { echo "alloc_prepare: upgrade head failed" >&2; return 1; }
	fi
	cp -R "$_t" "$_r/p" || return 1
	(cd "$_r/p" && "$RETORT" $(alloc_cmdline "$_k") >../out 2>../err)
	_rc=$?
	if [ "$_rc" != 0 ]; then
		echo "alloc_prepare: the unhooked run of retort $(alloc_cmdline "$_k") failed (exit $_rc):" >&2
		cat "$_r/err" >&2
		return 1
	fi
	_al_norm <"$_r/out" >"$_r.out"
	_al_norm <"$_r/err" >"$_r.err"
	case $_k in
	upgrade-head)
		_al_dump "$_r/p/example.db" >"$_r.dump"
		;;
	revision)
		_f=$(cd "$_r/p" && ls versions/*_x.sql 2>/dev/null)
		[ -n "$_f" ] || { echo "alloc_prepare: revision wrote no file" >&2; return 1; }
		sed -E 's/^revision: .*/revision: ID/; s/^create_date: .*/create_date: DATE/' "$_r/p/$_f" >"$_r.file"
		;;
	esac
	return 0
}

# _al_state_ref V...: the dump of a fresh database upgraded to each of V in turn (cached).
_al_state_ref() {
	state_sqlite_ref _al_dump "$ALLOC_ROOT/upgrade-head.tmpl" example.db "$ALLOC_ROOT/state" "$@"
}

# _al_report_signature FILE: the first valgrind or sanitizer complaint in FILE and the
# first frames of its stack in retort's own code (allocator wrappers left out), on one line.
_al_report_signature() {
	_what=$(grep -m 1 -E 'definitely lost|Invalid (read|write|free)|uninitialised|Mismatched|ERROR: [A-Za-z]+Sanitizer|runtime error' "$1" |
		sed -E 's/^==[0-9]+== *//; s/ in loss record.*//; s/^[0-9,]+ (\([^)]*\) )?bytes in [0-9,]+ blocks are //')
	_where=$(grep -E '(at|by) 0x[0-9A-Fa-f]+: [A-Za-z_0-9]+ \([a-z_0-9]+\.c:[0-9]+\)|#[0-9]+ 0x[0-9a-f]+ in [A-Za-z_0-9]+ (lib|cmd)/' "$1" |
		grep -v -E ' (rt_malloc|rt_calloc|rt_realloc|rt_grow_array|rt_strdup|rt_strndup) ' |
		sed -E 's/.*(at|by) 0x[0-9A-Fa-f]+: ([A-Za-z_0-9]+) \(([^)]*)\).*/\2 (\3)/; s/.*#[0-9]+ 0x[0-9a-f]+ in ([A-Za-z_0-9]+) ((lib|cmd)\/[^ ]*).*/\1 (\2)/' |
		head -n 3 | tr '\n' '<' | sed 's/<$//; s/</ < /g')
	echo "$_what at $_where"
}

_al_bad() {
	ALLOC_VERDICT="BAD: $*"
}

# alloc_try KIND N: see the top of the file. The run happens in $ALLOC_ROOT/KIND.N/p (its
# output beside it), removed unless the verdict is BAD; then $ALLOC_DIR/REPORT says all.
# Returns 0 unless BAD.
alloc_try() {
	_k=$1
	_n=$2
	ALLOC_DIR=$ALLOC_ROOT/$_k.$_n
	ALLOC_VERDICT=
	ALLOC_RC=
	rm -rf "$ALLOC_DIR"
	mkdir -p "$ALLOC_DIR" && cp -R "$ALLOC_ROOT/$_k.tmpl" "$ALLOC_DIR/p" ||
		{ _al_bad "cannot copy the template"; return 1; }
	_al_check "$_k" "$_n"
	cd "$ALLOC_ROOT" || return 1
	if [ "${ALLOC_VERDICT#BAD}" = "$ALLOC_VERDICT" ]; then
		rm -rf "$ALLOC_DIR"
		return 0
	fi
	{
		echo "reproduce: cd $ALLOC_DIR/p && RETORT_FAIL_ALLOC_AFTER=$_n retort $(alloc_cmdline "$_k")"
		echo "  (a fresh copy of the project: $ALLOC_ROOT/$_k.tmpl)"
		echo "$ALLOC_VERDICT"
		echo "exit status: $ALLOC_RC"
		echo "stdout:"
		head -c 3000 "$ALLOC_DIR/out" | sed 's/^/    | /'
		echo "stderr:"
		head -c 3000 "$ALLOC_DIR/err" | sed 's/^/    | /'
	} >"$ALLOC_DIR/REPORT"
	return 1
}

_al_check() {
	_k=$1
	_n=$2
	_ref=$ALLOC_ROOT/$_k.ref
	_d=$ALLOC_DIR
	cd "$_d/p" || { _al_bad "cannot cd"; return; }
	_al_tree >"$_d/tree.before"
	RETORT_FAIL_ALLOC_AFTER=$_n _al_retort $(alloc_cmdline "$_k") >"$_d/out" 2>"$_d/err"
	ALLOC_RC=$?

	# never a crash, a hang, a sanitizer or valgrind report, another exit status
	if grep -q -E -e '^==[0-9]+==' -e 'Sanitizer' -e 'runtime error:' "$_d/err"; then
		_al_bad "a sanitizer or valgrind report on stderr (exit $ALLOC_RC): $(_al_report_signature "$_d/err")"
		return
	fi
	case $ALLOC_RC in
	0 | 1) ;;
	2) _al_bad "exit 2: out of memory reported as bad usage or bad input"; return ;;
	99) _al_bad "exit 99: valgrind found a memory error or a definite leak"; return ;;
	124 | 137) _al_bad "exit $ALLOC_RC: hung (killed after ${ALLOC_TIMEOUT}s)"; return ;;
	*)
		if [ "$ALLOC_RC" -gt 128 ]; then
			_al_bad "killed by signal $((ALLOC_RC - 128)) (exit $ALLOC_RC)"
		else
			_al_bad "exit $ALLOC_RC"
		fi
		return
		;;
	esac
	_al_norm <"$_d/out" >"$_d/out.norm"
	_al_norm <"$_d/err" >"$_d/err.norm"

	if [ "$ALLOC_RC" = 0 ]; then
		if ! cmp -s "$_d/out.norm" "$_ref.out"; then
			_al_bad "exit 0, but stdout differs from the unhooked run's, so an allocation failure was swallowed: $(diff "$_ref.out" "$_d/out.norm" | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
			return
		fi
		if ! cmp -s "$_d/err.norm" "$_ref.err"; then
			_al_bad "exit 0, but stderr differs from the unhooked run's, so an allocation failure was swallowed: $(diff "$_ref.err" "$_d/err.norm" | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
			return
		fi
		ALLOC_VERDICT=ok
	else
		if [ "$(tail -n 1 "$_d/err")" != "error: out of memory" ]; then
			_al_bad "exit 1, but the last line of stderr is not 'error: out of memory'"
			return
		fi
		_odd=$(grep -v -x -F -e "error: out of memory" "$_d/err.norm" | grep -v -x -F -f "$_ref.err")
		if [ -n "$_odd" ]; then
			_al_bad "exit 1, and stderr has lines an unhooked run does not print: $(echo "$_odd" | head -n 3 | tr '\n' ' ')"
			return
		fi
		case $_k in
		upgrade-sql | revision | upgrade-head)
			if [ -s "$_d/out" ]; then
				_al_bad "exit 1, but stdout is not empty (a half-printed result)"
				return
			fi
			;;
		*)
			_len=$(wc -c <"$_d/out.norm")
			if [ "$_len" -gt 0 ] && ! head -c "$_len" "$_ref.out" | cmp -s - "$_d/out.norm"; then
				_al_bad "exit 1, and stdout is not a prefix of the unhooked run's"
				return
			fi
			;;
		esac
		ALLOC_VERDICT=fail
	fi

	_al_tree >"$_d/tree.after"
	case $_k in
	check | history | upgrade-sql)
		# read-only: not one file changed
		if ! cmp -s "$_d/tree.before" "$_d/tree.after"; then
			_al_bad "exit $ALLOC_RC, and files changed: $(diff "$_d/tree.before" "$_d/tree.after" | grep '^[<>]' | head -n 3 | tr '\n' ' ')"
			return
		fi
		;;
	revision)
		_new=$(diff "$_d/tree.before" "$_d/tree.after" | sed -n 's/^> .* //p' | sort -u)
		_gone=$(diff "$_d/tree.before" "$_d/tree.after" | sed -n 's/^< .* //p' | sort -u)
		if [ -n "$_gone" ]; then
			_al_bad "exit $ALLOC_RC, and existing files changed or vanished: $(echo "$_gone" | tr '\n' ' ')"
			return
		fi
		if [ "$ALLOC_RC" = 1 ]; then
			if [ -n "$_new" ]; then
				_al_bad "exit 1 (out of memory), but the new revision file was left behind: $(echo "$_new" | tr '\n' ' ')"
				return
			fi
		else
			case $_new in
			./versions/*_x.sql) ;;
			*) _al_bad "exit 0, but the new files are: $(echo "$_new" | tr '\n' ' ')"; return ;;
			esac
			if [ "$(stat -c %a "$_new")" != 644 ]; then
				_al_bad "the new revision file has mode $(stat -c %a "$_new"), not 644"
				return
			fi
			if ! sed -E 's/^revision: .*/revision: ID/; s/^create_date: .*/create_date: DATE/' "$_new" |
				cmp -s - "$_ref.file"; then
				_al_bad "exit 0, but the new file differs from the unhooked run's"
				return
			fi
		fi
		;;
	upgrade-head)
		_al_check_db
		;;
	esac
}

# The database after a hooked upgrade head (current directory: the project), then a rerun.
_al_check_db() {
	_d=$ALLOC_DIR
	_why=$(state_sqlite_sound example.db) || { _al_bad "exit $ALLOC_RC, and $_why"; return; }
	_al_dump example.db >"$_d/state.dump"
	if [ "$ALLOC_RC" = 0 ]; then
		cmp -s "$_d/state.dump" "$ALLOC_ROOT/upgrade-head.ref.dump" ||
			{ _al_bad "exit 0, but the database differs from an unhooked run's"; return; }
		return
	fi
	# the state after the failure: some revisions applied, each one completely
	_vs=$(sed -n 's/^version //p' "$_d/state.dump" | tr '\n' ' ' | sed 's/ $//')
	if [ -f example.db ] && sqlite3 -batch example.db "SELECT 1 FROM retort_version" >/dev/null 2>&1; then
		# shellcheck disable=SC2086
		_al_state_ref $_vs >"$_d/state.expected" ||
			{ _al_bad "the version rows '$_vs' are not a state upgrades reach"; return; }
		if ! cmp -s "$_d/state.dump" "$_d/state.expected"; then
			_al_bad "the database at version rows '$_vs' is not what upgrading to them gives: $(diff "$_d/state.expected" "$_d/state.dump" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
			return
		fi
	elif [ -f example.db ] && [ -n "$(sqlite3 -batch example.db "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")" ]; then
		# no version table: nothing else may exist either
		_al_bad "no version table, but the database holds: $(sqlite3 -batch example.db "SELECT name FROM sqlite_master" | tr '\n' ' ')"
		return
	fi
	# the rerun completes and leaves what an uninterrupted run leaves
	_why=$(state_rerun "$ALLOC_ROOT/upgrade-head.ref.dump" _al_dump example.db upgrade head) ||
		{ _al_bad "$_why"; return; }
}
