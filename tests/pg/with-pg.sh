#!/bin/sh
# with-pg.sh - runs a command with a throwaway PostgreSQL server.
#
#   sh tests/pg/with-pg.sh CMD [ARGS...]
#
# When PGHOST is already set, the server it names is used and CMD simply runs. Otherwise
# this script creates a private temporary directory, initdb's a cluster in it (trust
# authentication, fsync off) and starts it on a port of its own, listening only on a unix
# socket in that directory. As root, the server runs as the unprivileged `postgres` user
# (PostgreSQL refuses to run as root). CMD then runs with PGHOST, PGPORT, PGUSER=postgres
# and PGDATABASE=postgres exported; afterwards the server is stopped and the directory
# removed, also when CMD fails or the script is interrupted. The exit status is CMD's.
# Without PostgreSQL server binaries the script fails (exit 1): a test run that cannot
# reach a server must never count as a pass.
#
# Environment: PG_BINDIR overrides where initdb and pg_ctl are looked for.

set -u

me=with-pg.sh

die() {
	echo "$me: error: $*" >&2
	exit 1
}

[ $# -gt 0 ] || { echo "usage: sh tests/pg/with-pg.sh CMD [ARGS...]" >&2; exit 2; }

if [ -n "${PGHOST:-}" ]; then
	exec "$@"
fi

# The directory holding initdb and pg_ctl: $PG_BINDIR, pg_config --bindir, or the newest
# /usr/lib/postgresql/N/bin.
find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] && { echo "$PG_BINDIR"; return 0; }
		return 1
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null) || d=
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	fi
	best=
	bestv=0
	for d in /usr/lib/postgresql/*/bin; do
		if [ ! -x "$d/initdb" ] || [ ! -x "$d/pg_ctl" ]; then
			continue
		fi
		v=${d#/usr/lib/postgresql/}
		v=${v%/bin}
		v=${v%%.*}
		case $v in '' | *[!0-9]*) continue ;; esac
		if [ "$v" -gt "$bestv" ]; then
			best=$d
			bestv=$v
		fi
	done
	[ -n "$best" ] || return 1
	echo "$best"
}

bindir=$(find_bindir) ||
	die "no PostgreSQL server binaries (initdb, pg_ctl) found via PG_BINDIR, pg_config --bindir or /usr/lib/postgresql/*/bin; install the server (apt-get install postgresql) or set PGHOST to use a running one"

if [ "$(id -u)" = 0 ]; then
	as_root=1
	id postgres >/dev/null 2>&1 ||
		die "running as root, but there is no 'postgres' user to run the server as"
	runuser=$(command -v runuser) || runuser=
	for r in /usr/sbin/runuser /sbin/runuser; do
		[ -n "$runuser" ] || [ ! -x "$r" ] || runuser=$r
	done
	[ -n "$runuser" ] || die "running as root, but runuser is missing (package util-linux)"
	base=/tmp # reachable by the postgres user, and short enough for a socket path
else
	as_root=0
	base=${TMPDIR:-/tmp}
fi

dir=$(mktemp -d "$base/retort-pg.XXXXXX") || die "cannot create a temporary directory in $base"
# A unix socket path is limited to about 107 bytes; "/.s.PGSQL.NNNNN.lock" needs 20 of them.
if [ ${#dir} -gt 80 ]; then
	rmdir "$dir"
	dir=$(mktemp -d /tmp/retort-pg.XXXXXX) || die "cannot create a temporary directory in /tmp"
fi
data=$dir/data
log=$dir/server.log
started=0

# Runs a server command as the server's user, from the temp dir (the postgres user may
# not be allowed into the current directory).
as_server() {
	if [ "$as_root" = 1 ]; then
		(cd "$dir" && "$runuser" -u postgres -- "$@")
	else
		(cd "$dir" && "$@")
	fi
}

cleanup() {
	status=$?
	trap - EXIT INT TERM HUP
	if [ "$started" = 1 ] || [ -f "$data/postmaster.pid" ]; then
		as_server "$bindir/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
			as_server "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	fi
	rm -rf "$dir"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

show_log() {
	echo "$me: last lines of $1:" >&2
	tail -n 30 "$1" 2>/dev/null | sed 's/^/  /' >&2
}

[ "$as_root" = 0 ] || chown postgres:postgres "$dir" || die "cannot hand $dir to the postgres user"
chmod 700 "$dir"

# initdb: C.UTF-8 when the system has it, else C.
initdb_ok=0
for loc in C.UTF-8 C; do
	if as_server "$bindir/initdb" -D "$data" -A trust -N -U postgres -E UTF8 --locale="$loc" \
		>"$dir/initdb.log" 2>&1; then
		initdb_ok=1
		break
	fi
	as_server rm -rf "$data"
done
if [ "$initdb_ok" = 0 ]; then
	show_log "$dir/initdb.log"
	die "initdb failed"
fi

cat >>"$data/postgresql.conf" <<EOF

# with-pg.sh: a throwaway test server
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
synchronous_commit = off
max_connections = 100
EOF

# A port nobody else's server announces, neither in the usual socket directories nor on
# localhost; ours listens only in its private directory, so the pick is rarely contested.
random_port() {
	n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + n % 20001))
}
port_free() {
	for sockdir in /tmp /var/run/postgresql /run/postgresql; do
		[ -e "$sockdir/.s.PGSQL.$1" ] && return 1
	done
	isready=$bindir/pg_isready
	[ -x "$isready" ] || isready=$(command -v pg_isready) || return 0
	# 2: no response, so nothing listens there
	"$isready" -q -h 127.0.0.1 -p "$1" -t 2 >/dev/null 2>&1
	[ $? = 2 ]
}

attempt=0
while [ "$started" = 0 ]; do
	attempt=$((attempt + 1))
	if [ "$attempt" -gt 3 ]; then
		sed 's/^/  /' "$dir/pg_ctl.log" >&2
		show_log "$log"
		die "the server did not start (tried 3 ports)"
	fi
	port=$(random_port)
	tries=0
	while ! port_free "$port"; do
		tries=$((tries + 1))
		[ "$tries" -lt 50 ] || die "no free port found between 20000 and 40000"
		port=$(random_port)
	done
	if as_server "$bindir/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start \
		>"$dir/pg_ctl.log" 2>&1; then
		started=1
	else
		# pg_ctl -w may have given up on a server that is still starting: stop it.
		as_server "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
		echo "$me: the server did not start on port $port" >&2
	fi
done

PGHOST=$dir
PGPORT=$port
PGUSER=postgres
PGDATABASE=postgres
# for tests that stop and restart the server (tests/stress/crash.py pgstop)
RETORT_PG_DATA=$data
RETORT_PG_BINDIR=$bindir
RETORT_PG_LOG=$log
export PGHOST PGPORT PGUSER PGDATABASE RETORT_PG_DATA RETORT_PG_BINDIR RETORT_PG_LOG
unset PGPASSWORD PGSERVICE PGHOSTADDR PGSSLMODE PGOPTIONS PGAPPNAME 2>/dev/null || true

"$@"
