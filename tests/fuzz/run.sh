#!/bin/sh
# run.sh - builds retort's libFuzzer targets and fuzzes each for a fixed budget, or
# replays the saved regression inputs.
#
#   sh tests/fuzz/run.sh [SECONDS_PER_TARGET]   fuzz every target (default 60 s each)
#   sh tests/fuzz/run.sh --replay               run each target once on
#                                               tests/fuzz/regressions/<target>/* and on
#                                               its seed corpus, without fuzzing
#   sh tests/fuzz/run.sh --build                only build
#
# Environment: FUZZ_TARGETS="header split" picks targets (default: all four);
# FUZZ_PARALLEL=N fuzzes N targets at once (default 1); CC (default clang);
# RETORT_FUZZ_SKIP=oracle,... turns contract oracles off (fuzz_common.h) to keep fuzzing
# past a bug already reported; the summary lines then say so.
#
# The targets (tests/fuzz/fuzz_<name>.c) and every lib/*.c are compiled with
# clang -fsanitize=fuzzer,address,undefined (UBSan findings abort) into build-fuzz/, and
# linked with the Makefile's LIBS. Each target fuzzes with -timeout=5 -rss_limit_mb=1024
# and its dictionary, from its seeds (tests/fuzz/corpus/<target>/) into a working
# corpus kept between runs (build-fuzz/corpus/<target>/). Crash, timeout, OOM and leak
# artifacts are copied to tests/fuzz/crashes/<target>/, and the script exits 1 when
# there is one: minimise it (./build-fuzz/fuzz_<target> -minimize_crash=1 FILE), add it
# under tests/fuzz/regressions/<target>/, and report it.
#
# Prints executions per target and writes build-fuzz/fuzz-summary.txt, one line per
# target: "target seconds executions corpus_files crashes coverage [skip=...]", and appends the same
# lines (with the date) to build-fuzz/fuzz-history.txt, whose sums are the README figures.
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 2
root=$(cd "$here/../.." && pwd) || exit 2
out=$root/build-fuzz
all_targets="header config target split"
targets=${FUZZ_TARGETS:-$all_targets}
CC=${CC:-clang}
parallel=${FUZZ_PARALLEL:-1}

mode=fuzz
seconds=60
case ${1:-} in
--replay) mode=replay ;;
--build) mode=build ;;
'') ;;
*[!0-9]*)
	echo "usage: run.sh [SECONDS_PER_TARGET | --replay | --build]" >&2
	exit 2 ;;
*) seconds=$1 ;;
esac

die() {
	echo "run.sh: $*" >&2
	exit 2
}

command -v "$CC" >/dev/null 2>&1 || die "'$CC' not found (apt-get install clang libclang-rt-dev)"
for tool in timeout find; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required"
done

# ---- build -------------------------------------------------------------------------

FLAGS="-Wall -Wextra -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
PG_INCDIR=$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
CPP="-I$PG_INCDIR -I$root/lib -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L"
# the libraries the Makefile links retort with, read from it so the two never differ
LIBS=$(sed -n 's/^LIBS *:= *//p' "$root/Makefile")
[ -n "$LIBS" ] || die "cannot read LIBS from $root/Makefile"

mkdir -p "$out/obj" || exit 2

# Rebuilds the library archive when a lib/ source or header is newer than it.
build_lib() {
	lib=$out/libretort-fuzz.a
	if [ -f "$lib" ] && [ -z "$(find "$root/lib" -newer "$lib" \( -name '*.c' -o -name '*.h' \) | head -n 1)" ] &&
		[ "$lib" -nt "$here/run.sh" ]; then
		return 0
	fi
	echo "run.sh: compiling lib/*.c with $CC -fsanitize=fuzzer,address,undefined"
	rm -f "$out"/obj/*.o "$lib"
	for src in "$root"/lib/*.c; do
		obj=$out/obj/$(basename "$src" .c).o
		# shellcheck disable=SC2086
		$CC -std=c11 $FLAGS $CPP -c -o "$obj" "$src" || return 1
	done
	ar rcs "$lib" "$out"/obj/*.o
}

build_target() {
	t=$1
	bin=$out/fuzz_$t
	src=$here/fuzz_$t.c
	[ -f "$src" ] || die "no target $src"
	if [ -f "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "$here/fuzz_common.h" ] &&
		[ "$bin" -nt "$out/libretort-fuzz.a" ]; then
		return 0
	fi
	echo "run.sh: building fuzz_$t"
	# shellcheck disable=SC2086
	$CC -std=c11 $FLAGS $CPP -o "$bin" "$src" "$out/libretort-fuzz.a" $LIBS
}

build_lib || die "building the library failed"
for t in $targets; do
	build_target "$t" || die "building fuzz_$t failed"
done
[ "$mode" = build ] && exit 0

# scratch files of the targets (fuzz_config writes a retort.yaml per input): tmpfs when
# there is one, removed however the run ends
RETORT_FUZZ_TMP=$(mktemp -d /dev/shm/retort-fuzz-run.XXXXXX 2>/dev/null || mktemp -d "${TMPDIR:-/tmp}/retort-fuzz-run.XXXXXX") ||
	die "cannot create a scratch directory"
export RETORT_FUZZ_TMP
trap 'rm -rf "$RETORT_FUZZ_TMP"' EXIT
trap 'exit 130' INT TERM

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
skipped=${RETORT_FUZZ_SKIP:-}
if [ -n "$skipped" ]; then
	echo "run.sh: WARNING: oracles turned off by RETORT_FUZZ_SKIP: $skipped (for fuzzing past reported bugs only)" >&2
	export RETORT_FUZZ_SKIP
fi

dict_of() {
	case $1 in
	header | config) echo "$here/dict/yaml.dict" ;;
	split) echo "$here/dict/sql.dict" ;;
	target) echo "$here/dict/target.dict" ;;
	esac
}

maxlen_of() {
	case $1 in
	target) echo 512 ;;
	*) echo 16384 ;;
	esac
}

# ---- replay ------------------------------------------------------------------------

if [ "$mode" = replay ]; then
	failed=0 total=0
	for t in $targets; do
		bin=$out/fuzz_$t
		n=0
		for f in "$here/regressions/$t"/*; do
			[ -f "$f" ] || continue
			n=$((n + 1))
			total=$((total + 1))
			if timeout 60 "$bin" -timeout=5 -rss_limit_mb=1024 "$f" >"$out/replay.log" 2>&1; then
				echo "ok   $t/$(basename "$f")"
			else
				failed=$((failed + 1))
				echo "FAIL $t/$(basename "$f") (replay with: $bin $f)"
				grep -E 'ERROR: |oracle|runtime error|SUMMARY' "$out/replay.log" | head -n 6 | sed 's/^/     | /'
			fi
		done
		# the seeds must pass too: one run over the whole seed corpus
		if timeout 300 "$bin" -runs=0 -timeout=5 -rss_limit_mb=1024 "$here/corpus/$t" >"$out/replay.log" 2>&1; then
			echo "ok   $t: $n regression input(s), $(ls "$here/corpus/$t" | wc -l) seed(s)"
		else
			failed=$((failed + 1))
			echo "FAIL $t: a seed of tests/fuzz/corpus/$t crashes"
			grep -E 'ERROR: |oracle|runtime error|SUMMARY' "$out/replay.log" | head -n 6 | sed 's/^/     | /'
		fi
	done
	echo "replayed $total regression input(s) and the seed corpora: $failed failure(s)"
	[ $failed -eq 0 ]
	exit
fi

# ---- fuzz --------------------------------------------------------------------------

fuzz_one() {
	t=$1
	bin=$out/fuzz_$t
	work=$out/corpus/$t
	art=$out/artifacts/$t
	log=$out/fuzz-$t.log
	mkdir -p "$work" "$art" || return 2
	rm -f "$art"/*
	dict=$(dict_of "$t")
	t0=$(date +%s)
	# -max_total_time bounds the run; timeout(1) bounds libFuzzer itself
	timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
		-max_len="$(maxlen_of "$t")" -dict="$dict" -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$here/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corpus=$(find "$work" -type f | wc -l)
	crashes=$(find "$art" -type f ! -name 'slow-unit-*' | wc -l)
	[ -n "$execs" ] || execs=0
	[ -n "$cov" ] || cov=0
	if [ "$crashes" -gt 0 ]; then
		mkdir -p "$here/crashes/$t"
		for f in "$art"/*; do
			case $(basename "$f") in slow-unit-*) continue ;; esac
			cp "$f" "$here/crashes/$t/"
		done
	elif [ $rc -ne 0 ]; then
		# libFuzzer failed without an artifact (e.g. killed by timeout(1)): count it
		crashes=1
		echo "run.sh: fuzz_$t exited $rc without an artifact; see $log" >&2
	fi
	echo "$t $secs $execs $corpus $crashes $cov${skipped:+ skip=$skipped}" >"$RETORT_FUZZ_TMP/summary-$t.txt"
	printf '%-8s %6ss %12s executions %6s corpus files %3s crashes  cov %s\n' \
		"$t" "$secs" "$execs" "$corpus" "$crashes" "$cov"
	if [ "$crashes" -gt 0 ]; then
		grep -E 'ERROR: |oracle|runtime error|SUMMARY' "$log" | head -n 6 | sed 's/^/     | /'
		echo "     artifacts copied to tests/fuzz/crashes/$t/ (log: $log)"
	fi
	return 0
}

echo "run.sh: fuzzing $targets for ${seconds}s each"
running=0
for t in $targets; do
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$parallel" ]; then
		wait
		running=0
	fi
done
wait

: >"$out/fuzz-summary.txt"
found=0
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for t in $targets; do
	if [ ! -f "$RETORT_FUZZ_TMP/summary-$t.txt" ]; then
		echo "run.sh: no summary for $t" >&2
		found=1
		continue
	fi
	line=$(cat "$RETORT_FUZZ_TMP/summary-$t.txt")
	echo "$line" >>"$out/fuzz-summary.txt"
	echo "$stamp $line" >>"$out/fuzz-history.txt"
	set -- $line
	[ "$5" -gt 0 ] && found=1
done
awk '{ s += $2; e += $3; c += $5 } END { printf "total: %d s, %d executions, %d crashes\n", s, e, c }' \
	"$out/fuzz-summary.txt"
if [ $found -ne 0 ]; then
	echo "run.sh: crashes found: see tests/fuzz/crashes/" >&2
	exit 1
fi
exit 0
