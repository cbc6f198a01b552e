#!/bin/sh
# bench.sh - retort's benchmark, run by `make bench` (RETORT=path/to/retort sh tests/bench/bench.sh).
#
# The measuring is done by bench.py next to this file (python3 from the standard library
# only); see its header for what is measured and how. Arguments are passed on:
#   --strict        exit 1 when a target is missed (default: report FAIL, exit 0)
#   --runs N        timed runs per figure (default 5)
#   --skip-pg       leave out the PostgreSQL figures
# The table goes to stdout, progress to stderr, the figures to build/bench.json.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null 2>&1 || { echo "bench.sh: python3 is required (apt-get install python3)" >&2; exit 1; }
exec python3 "$here/bench.py" "$@"
