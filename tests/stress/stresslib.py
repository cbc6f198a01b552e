"""stresslib.py - what retort's crash and concurrency harnesses share (python3 stdlib only).

The model. A generated history of 60 revisions (a main line r01..r20, a branch point at r20,
two branches a21..a30 (label alpha) and b21..b30 (label beta), the merge m31, and r32..r50)
whose every statement's effect is visible in the catalog: it creates or drops a table t_X
(with ROWS rows inserted), a column c_X or an index i_X. Objects are strings:

    "table t_r01"   "column t_r01.c_r03"   "index i_r04"   "rows t_r01=2000"
    "invalid-index i_b25a"  (PostgreSQL: an index whose pg_index.indisvalid is false)

so the schema each applied set must have is the union of its revisions' objects. Three
revisions run statement by statement (outside a transaction): r10 (transactional: false, a
mix of CREATE TABLE, INSERT, an index build - CREATE INDEX CONCURRENTLY on PostgreSQL - and
ALTER TABLE), b25 (two index builds; on PostgreSQL both CONCURRENTLY, so non-transactional
without any header) and r40 (transactional: false, every statement IF [NOT] EXISTS).

The checks (verify()), after every kill:
  - the version rows are the heads of the applied set they imply (no row an ancestor of
    another, no unknown id);
  - replaying the history table's 'applied' rows (upgrade adds, downgrade removes, a stamp
    sets the closure of its heads) gives exactly that applied set: no false success, no
    missing record, no revision applied twice or removed while absent;
  - the catalog holds exactly the objects of the applied set, except for a
    statement-by-statement revision whose latest history row says running/failed at
    statement k (k statements completed): the effects of its first k statements must be
    there, those of statement k+1 may be (it may have completed, or, PostgreSQL, left an
    INVALID index), the rest must not;
  - an INVALID index anywhere else is a problem; SQLite: PRAGMA integrity_check says ok.
"""

import json
import os
import random
import re
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse

ROWS = 2000
VERSION_TABLE = "retort_version"
HISTORY_TABLE = "retort_version_history"
REFUSAL = "is not safe to run twice"


def log(msg):
    print(msg, flush=True)


def now():
    return time.monotonic()


# ------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------

class Stmt:
    def __init__(self, sql, adds=(), removes=()):
        self.sql = sql
        self.adds = set(adds)        # upgrade statements: objects they create
        self.removes = set(removes)  # downgrade statements: objects they remove


class Rev:
    def __init__(self, rid, parents, up, down, header="", labels=(), autocommit=False, message=""):
        self.id = rid
        self.parents = list(parents)
        self.up = up
        self.down = down
        self.header = header
        self.labels = list(labels)
        self.autocommit = autocommit  # runs statement by statement outside a transaction
        for st in down:  # downgrade statements are written Stmt(sql, objects): what they remove
            if st.adds and not st.removes:
                st.removes, st.adds = st.adds, set()
        self.message = message or rid

    def objects(self):
        objs = set()
        for s in self.up:
            objs |= s.adds
        return objs


class History:
    def __init__(self, dialect, revs):
        self.dialect = dialect
        self.revs = revs
        self.by_id = {r.id: r for r in revs}
        self.order = [r.id for r in revs]  # a topological order (creation order)
        children = {r.id: [] for r in revs}
        for r in revs:
            for p in r.parents:
                children[p].append(r.id)
        self.children = children
        self.heads = [r.id for r in revs if not children[r.id]]
        self._anc = {}

    def ancestors(self, rid):
        """rid and every revision below it."""
        if rid not in self._anc:
            seen, todo = set(), [rid]
            while todo:
                x = todo.pop()
                if x in seen:
                    continue
                seen.add(x)
                todo.extend(self.by_id[x].parents)
            self._anc[rid] = frozenset(seen)
        return self._anc[rid]

    def closure(self, ids):
        s = set()
        for i in ids:
            s |= self.ancestors(i)
        return s

    def heads_of(self, applied):
        return sorted(x for x in applied
                      if not any(c in applied for c in self.children[x]))

    def objects_of(self, applied):
        objs = set()
        for x in applied:
            objs |= self.by_id[x].objects()
        return objs

    @property
    def head(self):
        assert len(self.heads) == 1
        return self.heads[0]


def _sql(dialect, what, **kw):
    pg = dialect == "postgresql"
    t = kw.get("t")
    if what == "create":
        return ("CREATE TABLE %s (id integer PRIMARY KEY, v integer)" if pg else
                "CREATE TABLE %s (id INTEGER PRIMARY KEY, v INTEGER)") % t
    if what == "fill":
        if pg:
            return "INSERT INTO %s (id, v) SELECT g, g %% 97 FROM generate_series(1, %d) g" % (t, ROWS)
        return ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
                "INSERT INTO %s (id, v) SELECT x, x %% 97 FROM c" % (ROWS, t))
    raise ValueError(what)


def build_history(dialect):
    """The 60 revisions, parents before children."""
    pg = dialect == "postgresql"
    revs = []

    def table_rev(rid, parents, **kw):
        t = "t_" + rid
        return Rev(rid, parents,
                   [Stmt(_sql(dialect, "create", t=t), ["table " + t]),
                    Stmt(_sql(dialect, "fill", t=t), ["rows %s=%d" % (t, ROWS)])],
                   [Stmt("DROP TABLE " + t, ["table " + t, "rows %s=%d" % (t, ROWS)])],
                   message="create " + t, **kw)

    def combo_rev(rid, parents, anchor, **kw):
        t, c, i = "t_" + rid, "c_" + rid, "i_" + rid
        objs_t = ["table " + t, "rows %s=%d" % (t, ROWS)]
        return Rev(rid, parents,
                   [Stmt(_sql(dialect, "create", t=t), ["table " + t]),
                    Stmt(_sql(dialect, "fill", t=t), ["rows %s=%d" % (t, ROWS)]),
                    Stmt("CREATE INDEX %s ON %s (v)" % (i, t), ["index " + i]),
                    Stmt("ALTER TABLE %s ADD COLUMN %s integer" % (anchor, c), ["column %s.%s" % (anchor, c)])],
                   [Stmt("ALTER TABLE %s DROP COLUMN %s" % (anchor, c), ["column %s.%s" % (anchor, c)]),
                    Stmt("DROP INDEX " + i, ["index " + i]),
                    Stmt("DROP TABLE " + t, objs_t)],
                   message="table, index and a column on " + anchor, **kw)

    def column_rev(rid, parents, anchor, **kw):
        c = "c_" + rid
        return Rev(rid, parents,
                   [Stmt("ALTER TABLE %s ADD COLUMN %s integer" % (anchor, c), ["column %s.%s" % (anchor, c)])],
                   [Stmt("ALTER TABLE %s DROP COLUMN %s" % (anchor, c), ["column %s.%s" % (anchor, c)])],
                   message="add %s.%s" % (anchor, c), **kw)

    def index_rev(rid, parents, anchor, **kw):
        i = "i_" + rid
        return Rev(rid, parents,
                   [Stmt("CREATE INDEX %s ON %s (v)" % (i, anchor), ["index " + i])],
                   [Stmt("DROP INDEX " + i, ["index " + i])],
                   message="index %s on %s" % (i, anchor), **kw)

    def r10(rid, parents):
        t, c, i = "t_" + rid, "c_" + rid, "i_" + rid
        cic = "CREATE INDEX CONCURRENTLY" if pg else "CREATE INDEX IF NOT EXISTS"
        dic = "DROP INDEX CONCURRENTLY IF EXISTS" if pg else "DROP INDEX IF EXISTS"
        return Rev(rid, parents,
                   [Stmt(_sql(dialect, "create", t=t), ["table " + t]),
                    Stmt(_sql(dialect, "fill", t=t), ["rows %s=%d" % (t, ROWS)]),
                    Stmt("%s %s ON %s (v)" % (cic, i, t), ["index " + i]),
                    Stmt("ALTER TABLE %s ADD COLUMN %s integer" % (t, c), ["column %s.%s" % (t, c)])],
                   [Stmt("%s %s" % (dic, i), ["index " + i]),
                    Stmt("ALTER TABLE %s DROP COLUMN %s" % (t, c), ["column %s.%s" % (t, c)]),
                    Stmt("DROP TABLE " + t, ["table " + t, "rows %s=%d" % (t, ROWS)])],
                   header="transactional: false", autocommit=True,
                   message="statement by statement: table, rows, index, column")

    def b25(rid, parents, anchor):
        a, b = "i_%sa" % rid, "i_%sb" % rid
        if pg:
            up = [Stmt("CREATE INDEX CONCURRENTLY %s ON %s (v)" % (a, anchor), ["index " + a]),
                  Stmt("CREATE INDEX CONCURRENTLY %s ON %s (id, v)" % (b, anchor), ["index " + b])]
            down = [Stmt("DROP INDEX CONCURRENTLY " + b, ["index " + b]),
                    Stmt("DROP INDEX CONCURRENTLY " + a, ["index " + a])]
            header = ""
        else:
            up = [Stmt("CREATE INDEX %s ON %s (v)" % (a, anchor), ["index " + a]),
                  Stmt("CREATE INDEX IF NOT EXISTS %s ON %s (id, v)" % (b, anchor), ["index " + b])]
            down = [Stmt("DROP INDEX " + b, ["index " + b]),
                    Stmt("DROP INDEX IF EXISTS " + a, ["index " + a])]
            header = "transactional: false"
        return Rev(rid, parents, up, down, header=header, autocommit=True,
                   message="two index builds, statement by statement")

    def r40(rid, parents):
        t, i = "t_" + rid, "i_" + rid
        cic = "CREATE INDEX CONCURRENTLY IF NOT EXISTS" if pg else "CREATE INDEX IF NOT EXISTS"
        dic = "DROP INDEX CONCURRENTLY IF EXISTS" if pg else "DROP INDEX IF EXISTS"
        create = _sql(dialect, "create", t=t).replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
        return Rev(rid, parents,
                   [Stmt(create, ["table " + t]),
                    Stmt("%s %s ON %s (v)" % (cic, i, t), ["index " + i])],
                   [Stmt("%s %s" % (dic, i), ["index " + i]),
                    Stmt("DROP TABLE IF EXISTS " + t, ["table " + t])],
                   header="transactional: false", autocommit=True,
                   message="statement by statement, every statement IF [NOT] EXISTS")

    def line(ids, first_parents, anchor, label=None, specials=None):
        parents = first_parents
        for n, rid in enumerate(ids):
            kw = {"labels": [label]} if label and n == 0 else {}
            if specials and rid in specials:
                rev = specials[rid](rid, parents, anchor)
            elif anchor is None or n % 4 == 0:
                rev = table_rev(rid, parents, **kw)
            elif n % 4 == 1:
                rev = combo_rev(rid, parents, anchor, **kw)
            elif n % 4 == 2:
                rev = column_rev(rid, parents, anchor, **kw)
            else:
                rev = index_rev(rid, parents, anchor, **kw)
            if "table t_%s" % rid in rev.objects():
                anchor = "t_" + rid
            revs.append(rev)
            parents = [rid]
        return parents, anchor

    main1 = ["r%02d" % n for n in range(1, 21)]
    p, anc = line(main1, [], None, specials={"r10": lambda rid, ps, a: r10(rid, ps)})
    pa, _ = line(["a%02d" % n for n in range(21, 31)], p, anc, label="alpha")
    pb, _ = line(["b%02d" % n for n in range(21, 31)], p, anc, label="beta",
                 specials={"b25": lambda rid, ps, a: b25(rid, ps, a)})
    revs.append(Rev("m31", [pa[0], pb[0]], [], [], message="merge alpha and beta"))
    line(["r%02d" % n for n in range(32, 51)], ["m31"], anc,
         specials={"r40": lambda rid, ps, a: r40(rid, ps)})
    return History(dialect, revs)


def write_project(proj, hist, url):
    os.makedirs(os.path.join(proj, "versions"), exist_ok=True)
    with open(os.path.join(proj, "retort.yaml"), "w") as f:
        f.write("script_location: .\ndatabase:\n  url: %s\nlock_wait: 120s\n" % json.dumps(url))
    for r in hist.revs:
        if not r.parents:
            down = "null"
        elif len(r.parents) == 1:
            down = r.parents[0]
        else:
            down = "[%s]" % ", ".join(r.parents)
        lines = ["/*", "revision: " + r.id, "down_revision: " + down, "message: " + json.dumps(r.message),
                 "create_date: 2026-01-01T00:00:00Z"]
        if r.labels:
            lines.append("branch_labels: [%s]" % ", ".join(r.labels))
        if r.header:
            lines.append(r.header)
        lines += ["*/", "", "-- retort:upgrade"]
        lines += [s.sql + ";" for s in r.up]
        lines += ["", "-- retort:downgrade"]
        lines += [s.sql + ";" for s in r.down]
        with open(os.path.join(proj, "versions", "%s_%s.sql" % (r.id, r.id)), "w") as f:
            f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------------------------
# Databases: snapshots through the catalog, and statements run by hand
# ------------------------------------------------------------------------------------

class Snapshot:
    def __init__(self):
        self.objects = set()
        self.versions = []
        self.history = []       # (id, revision, direction, status, statement_index or None)
        self.integrity = "ok"
        self.schema = ""        # a normalised description of the whole schema
        self.journal_mode = None


class SqliteDB:
    dialect = "sqlite"

    def __init__(self, path, journal_mode="delete"):
        self.path = path
        self.journal_mode = journal_mode
        self.label = "sqlite/" + ("wal" if journal_mode == "wal" else "rollback-journal")

    def url(self):
        return "sqlite:///" + self.path  # absolute path: sqlite:////abs

    def create(self):
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(self.path + suffix):
                os.unlink(self.path + suffix)
        con = sqlite3.connect(self.path, isolation_level=None)
        mode = con.execute("PRAGMA journal_mode=%s" % self.journal_mode).fetchone()[0]
        con.close()
        if mode.lower() != self.journal_mode:
            raise RuntimeError("cannot set journal_mode=%s (got %s)" % (self.journal_mode, mode))

    def _connect(self):
        return sqlite3.connect("file:%s?mode=rw" % urllib.parse.quote(self.path), uri=True,
                               isolation_level=None, timeout=30)

    def quiesce(self, timeout=30):
        return True

    def snapshot(self):
        snap = Snapshot()
        if not os.path.exists(self.path):
            return snap
        try:
            con = self._connect()
        except sqlite3.DatabaseError as e:
            snap.integrity = "cannot open: %s" % e
            return snap
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
            snap.integrity = "; ".join(str(r[0]) for r in rows)
            snap.journal_mode = con.execute("PRAGMA journal_mode").fetchone()[0].lower()
            names = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            schema = []
            for t in names:
                if t.startswith("sqlite_") or t in (VERSION_TABLE, HISTORY_TABLE):
                    continue
                if t.startswith("t_"):
                    snap.objects.add("table " + t)
                    n = con.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0]
                    if n:
                        snap.objects.add("rows %s=%d" % (t, n))
                for col in con.execute('PRAGMA table_info("%s")' % t):
                    schema.append("column %s %s %s notnull=%s default=%s pk=%s #%s" %
                                  (t, col[1], col[2], col[3], col[4], col[5], col[0]))
                    if col[1].startswith("c_"):
                        snap.objects.add("column %s.%s" % (t, col[1]))
            for name, tbl, sql in con.execute(
                    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"):
                if tbl in (VERSION_TABLE, HISTORY_TABLE):
                    continue
                if name.startswith("i_"):
                    snap.objects.add("index " + name)
                schema.append("index %s on %s: %s" % (name, tbl, re.sub(r"\s+", " ", sql or "")))
            for kind, name in con.execute(
                    "SELECT type, name FROM sqlite_master WHERE type NOT IN ('table', 'index') ORDER BY name"):
                schema.append("%s %s" % (kind, name))
            snap.schema = "\n".join(sorted(schema))
            if VERSION_TABLE in names:
                snap.versions = sorted(r[0] for r in con.execute(
                    'SELECT version_num FROM "%s"' % VERSION_TABLE))
            if HISTORY_TABLE in names:
                snap.history = [tuple(r) for r in con.execute(
                    'SELECT id, revision, direction, status, statement_index FROM "%s" ORDER BY id'
                    % HISTORY_TABLE)]
        except sqlite3.DatabaseError as e:
            snap.integrity = "unreadable: %s" % e
        finally:
            con.close()
        return snap

    def execute(self, sql):
        con = self._connect()
        try:
            con.execute(sql)
        finally:
            con.close()

    def describe(self):
        return "SQLite file %s (journal_mode %s)" % (self.path, self.journal_mode)


def find_psql():
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        if d and os.access(os.path.join(d, "psql"), os.X_OK):
            return os.path.join(d, "psql")
    except OSError:
        pass
    for d in sorted(os.listdir("/usr/lib/postgresql")) if os.path.isdir("/usr/lib/postgresql") else []:
        p = "/usr/lib/postgresql/%s/bin/psql" % d
        if os.access(p, os.X_OK):
            return p
    return shutil.which("psql")


class PgServer:
    """Where the server is, and (for stop/start) its data directory and binaries."""

    def __init__(self, host, port, user):
        self.host, self.port, self.user = host, str(port), user
        self.psql = find_psql()
        if not self.psql:
            raise RuntimeError("no psql found")

    def env(self, dbname, schema=None, app="retort-stress"):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        e.update(PGHOST=self.host, PGPORT=self.port, PGUSER=self.user, PGDATABASE=dbname,
                 PGAPPNAME=app)
        if schema:
            e["PGOPTIONS"] = "-c search_path=%s" % schema
        return e

    def psql_run(self, dbname, sql, schema=None, stdin=None, check=True, timeout=60):
        cmd = [self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-F", "|"]
        if stdin is None:
            cmd += ["-c", sql]
        else:
            cmd += ["-f", "-"]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                           env=self.env(dbname, schema), timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed (%s): %s\n%s" % (p.returncode, sql or stdin[:300], p.stderr))
        return p

    def url(self, dbname, schema):
        q = urllib.parse.urlencode({"host": self.host, "port": self.port, "user": self.user,
                                    "options": "-csearch_path=%s" % schema})
        return "postgresql:///%s?%s" % (dbname, q)


_PG_SNAPSHOT = r"""
SELECT to_regclass('"@S@".retort_version') IS NOT NULL AS hv,
       to_regclass('"@S@".retort_version_history') IS NOT NULL AS hh \gset
WITH n AS (SELECT oid FROM pg_namespace WHERE nspname = '@S@')
SELECT line FROM (
  SELECT 'O|table ' || c.relname AS line FROM pg_class c
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind = 'r' AND c.relname LIKE 't\_%'
  UNION ALL
  SELECT 'O|column ' || c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attname LIKE 'c\_%'
  UNION ALL
  SELECT 'O|' || CASE WHEN i.indisvalid THEN 'index ' ELSE 'invalid-index ' END || ic.relname
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
   WHERE ic.relnamespace = (SELECT oid FROM n) AND ic.relname LIKE 'i\_%'
  UNION ALL
  SELECT 'O|rows ' || c.relname || '=' || x.n FROM pg_class c,
         LATERAL (SELECT (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
                  '@S@', c.relname), false, true, '')))[1]::text AS n) x
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind = 'r' AND c.relname LIKE 't\_%' AND x.n <> '0'
  UNION ALL
  SELECT 'S|relation ' || c.relname || ' kind=' || c.relkind::text FROM pg_class c
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
     AND c.relname NOT IN ('retort_version', 'retort_version_history', 'retort_version_history_id_seq')
  UNION ALL
  SELECT 'S|column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not-null' ELSE '' END
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
     AND c.relname NOT IN ('retort_version', 'retort_version_history')
  UNION ALL
  SELECT 'S|index ' || ic.relname || ' valid=' || i.indisvalid || ' ready=' || i.indisready || ' '
         || regexp_replace(pg_get_indexdef(i.indexrelid), '"?@S@"?\.', '@.', 'g')
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
   WHERE ic.relnamespace = (SELECT oid FROM n)
     AND t.relname NOT IN ('retort_version', 'retort_version_history')
  UNION ALL
  SELECT 'S|constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
   WHERE c.relnamespace = (SELECT oid FROM n) AND c.relname NOT IN ('retort_version', 'retort_version_history')
) x ORDER BY line COLLATE "C";
\if :hv
SELECT 'V|' || version_num FROM "@S@".retort_version;
\endif
\if :hh
SELECT 'H|' || id || '|' || revision || '|' || direction || '|' || status || '|' || coalesce(statement_index::text, '')
  FROM "@S@".retort_version_history ORDER BY id;
\endif
"""


class PgDB:
    dialect = "postgresql"

    def __init__(self, server, dbname, schema):
        self.server, self.dbname, self.schema = server, dbname, schema
        self.label = "postgresql"

    def url(self):
        return self.server.url(self.dbname, self.schema)

    def create(self):
        self.server.psql_run(self.dbname, 'DROP SCHEMA IF EXISTS "%s" CASCADE; CREATE SCHEMA "%s"'
                             % (self.schema, self.schema))

    def retort_backends(self):
        p = self.server.psql_run(self.dbname, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND application_name = 'retort'", check=False)
        return int(p.stdout.strip()) if p.returncode == 0 and p.stdout.strip().isdigit() else -1

    def quiesce(self, timeout=30):
        """Waits until no retort session is left on the server (a killed client's backend
        finishes or notices the client is gone: client_connection_check_interval)."""
        deadline = now() + timeout
        while now() < deadline:
            if self.retort_backends() == 0:
                return True
            time.sleep(0.02)
        return False

    def snapshot(self):
        snap = Snapshot()
        p = self.server.psql_run(self.dbname, None, stdin=_PG_SNAPSHOT.replace("@S@", self.schema))
        schema = []
        for line in p.stdout.splitlines():
            kind, _, rest = line.partition("|")
            if kind == "O":
                snap.objects.add(rest)
            elif kind == "S":
                schema.append(rest)
            elif kind == "V":
                snap.versions.append(rest)
            elif kind == "H":
                hid, rev, d, st, idx = rest.split("|")
                snap.history.append((int(hid), rev, d, st, int(idx) if idx != "" else None))
        snap.versions.sort()
        snap.schema = "\n".join(schema)
        return snap

    def execute(self, sql):
        self.server.psql_run(self.dbname, sql, schema=self.schema)

    def describe(self):
        return "PostgreSQL database %s schema %s (server %s port %s)" % (
            self.dbname, self.schema, self.server.host, self.server.port)


# ------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------

def in_progress(hist, snap):
    """Statement-by-statement revisions whose latest history row is running/failed:
    {rev: (direction, k)} with k the number of statements that completed."""
    latest = {}
    for row in snap.history:
        if row[2] == "stamp" and row[3] == "applied":
            latest = {}  # a stamp records the truth: earlier unfinished runs are settled
        latest[row[1]] = row
    out = {}
    for rid, (_, _, d, st, idx) in latest.items():
        r = hist.by_id.get(rid)
        if r and r.autocommit and st in ("running", "failed") and d in ("upgrade", "downgrade"):
            out[rid] = (d, idx if idx and idx > 0 else 0)
    return out


def replay_history(hist, snap, problems):
    applied = set()
    i, rows = 0, snap.history
    while i < len(rows):
        hid, rid, d, st, _ = rows[i]
        if st != "applied":
            i += 1
            continue
        if d == "stamp":
            group = []
            while i < len(rows) and rows[i][2] == "stamp" and rows[i][3] == "applied":
                group.append(rows[i][1])
                i += 1
            applied = hist.closure(g for g in group if g != "<base>")
            continue
        if rid not in hist.by_id:
            problems.append("history row %d names unknown revision %s" % (hid, rid))
        elif d == "upgrade":
            if rid in applied:
                problems.append("history row %d: upgrade of %s recorded 'applied' while it was already applied" % (hid, rid))
            missing = set(hist.by_id[rid].parents) - applied
            if missing:
                problems.append("history row %d: upgrade of %s recorded before its parents %s" % (hid, rid, sorted(missing)))
            applied.add(rid)
        elif d == "downgrade":
            if rid not in applied:
                problems.append("history row %d: downgrade of %s recorded 'applied' while it was not applied" % (hid, rid))
            applied.discard(rid)
        i += 1
    return applied


def verify(hist, snap, context=""):
    """Every problem found in a snapshot (an empty list: consistent)."""
    problems = []
    if snap.integrity != "ok":
        problems.append("PRAGMA integrity_check: " + snap.integrity)
    unknown = [v for v in snap.versions if v not in hist.by_id]
    if unknown:
        problems.append("version rows name unknown revisions: %s" % unknown)
        return problems
    applied = hist.closure(snap.versions)
    if hist.heads_of(applied) != sorted(snap.versions):
        problems.append("version rows %s are not the heads of what they imply (%s)" %
                        (snap.versions, hist.heads_of(applied)))
    replayed = replay_history(hist, snap, problems)
    if replayed != applied:
        problems.append("history 'applied' rows say %s applied, the version rows say %s "
                        "(history only: %s; version rows only: %s)" % (
                            len(replayed), len(applied), sorted(replayed - applied)[:8],
                            sorted(applied - replayed)[:8]))
    required = hist.objects_of(applied)
    optional = set()
    for rid, (d, k) in in_progress(hist, snap).items():
        r = hist.by_id[rid]
        if d == "upgrade":
            if rid in applied:
                problems.append("%s is applied but its latest history row is an unfinished upgrade" % rid)
                continue
            for s in r.up[:k]:
                required |= s.adds
            if k < len(r.up):
                optional |= r.up[k].adds
        else:
            if rid not in applied:
                problems.append("%s is not applied but its latest history row is an unfinished downgrade" % rid)
                continue
            for s in r.down[:k]:
                required -= s.removes
            if k < len(r.down):
                required -= r.down[k].removes
                optional |= r.down[k].removes
    optional |= {"invalid-" + o for o in optional if o.startswith("index ")}
    missing = required - snap.objects
    extra = snap.objects - required - optional
    if missing:
        problems.append("missing from the catalog: %s" % ", ".join(sorted(missing)))
    if extra:
        problems.append("in the catalog but not applied: %s" % ", ".join(sorted(extra)))
    if problems and context:
        problems.insert(0, context)
    return problems


def state_text(hist, snap):
    ip = in_progress(hist, snap)
    return "version rows %s; %d history rows%s" % (
        " ".join(snap.versions) or "(none)", len(snap.history),
        "; unfinished: " + ", ".join("%s %s after statement %d" % (r, d, k) for r, (d, k) in sorted(ip.items()))
        if ip else "")


# ------------------------------------------------------------------------------------
# Running retort
# ------------------------------------------------------------------------------------

class Retort:
    def __init__(self, binary, proj, db):
        self.binary, self.proj, self.db = binary, proj, db
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("PG") and k not in ("RETORT_DATABASE_URL", "DATABASE_URL")}
        self.env["LC_ALL"] = "C"

    def argv(self, args):
        return [self.binary] + list(args)

    def run(self, args, timeout):
        """Runs to the end: (exit status, stdout, stderr, seconds); status None when it
        had to be killed after timeout (a hang)."""
        t0 = now()
        p = subprocess.Popen(self.argv(args), cwd=self.proj, env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            out, err = p.communicate(timeout=timeout)
            return p.returncode, out, err, now() - t0
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            return None, out, err, now() - t0

    def start(self, args, stderr_pipe=False):
        errf = subprocess.PIPE if stderr_pipe else open(os.path.join(self.proj, ".run.err"), "w+")
        p = subprocess.Popen(self.argv(args), cwd=self.proj, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=errf, text=not stderr_pipe)
        p._errfile = None if stderr_pipe else errf
        return p


def kill_after_delay(rt, args, delay, timeout):
    """Starts retort, SIGKILLs it after delay seconds. Returns (landed, exit status, stderr)."""
    p = rt.start(args)
    time.sleep(delay)
    landed = p.poll() is None
    if landed:
        p.send_signal(signal.SIGKILL)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        p._errfile.close()
        return False, None, "hang: still running after %g s" % timeout
    p._errfile.seek(0)
    err = p._errfile.read()
    p._errfile.close()
    return landed and p.returncode == -signal.SIGKILL, p.returncode, err


def kill_at_line(rt, args, pattern, nth, micro, timeout):
    """Starts retort, SIGKILLs it micro seconds after the nth stderr line matching pattern
    (a step boundary: with -v, 'Running ...' comes right after the revision's BEGIN, 'done
    in' right after its COMMIT). Returns (landed, exit status, stderr)."""
    p = rt.start(args, stderr_pipe=True)
    fd = p.stderr.fileno()
    sel = selectors.DefaultSelector()
    sel.register(fd, selectors.EVENT_READ)
    data, scanned, seen, fired, eof = b"", 0, 0, False, False
    deadline = now() + timeout
    while not fired and not eof and now() < deadline:
        if not sel.select(timeout=max(0.0, deadline - now())):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            eof = True
            break
        data += chunk
        while not fired:
            nl = data.find(b"\n", scanned)
            if nl < 0:
                break
            line = data[scanned:nl].decode(errors="replace")
            scanned = nl + 1
            if re.search(pattern, line):
                seen += 1
                fired = seen == nth
    sel.close()
    landed = False
    if fired:
        if micro > 0:
            time.sleep(micro)
        landed = p.poll() is None
        if landed:
            p.send_signal(signal.SIGKILL)
    elif not eof and p.poll() is None:
        p.kill()
        p.wait()
        return False, None, "hang: still running after %g s" % timeout
    try:
        rest, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        rest, _ = p.communicate()
        return False, None, "hang: did not exit %g s after SIGKILL" % timeout
    err = (data + (rest or b"")).decode(errors="replace")
    return landed and p.returncode == -signal.SIGKILL, p.returncode, err


# ------------------------------------------------------------------------------------
# Finishing an interrupted statement-by-statement revision by hand (the documented way)
# ------------------------------------------------------------------------------------

def finish_by_hand(hist, db, rt, snap, timeout):
    """For the unfinished statement-by-statement revision: runs what is left of it by hand
    (the uncertain statement only when its effect is missing) and records it with
    `retort resolve --done` or `retort stamp`. Returns a description, or raises RuntimeError."""
    ip = in_progress(hist, snap)
    if len(ip) != 1:
        raise RuntimeError("expected one unfinished revision to settle, found %s" % ip)
    (rid, (d, k)), = ip.items()
    r = hist.by_id[rid]
    stmts = r.up if d == "upgrade" else r.down
    ran = []
    for j in range(k, len(stmts)):
        s = stmts[j]
        if j == k:
            if d == "upgrade" and s.adds and s.adds <= snap.objects:
                continue
            if d == "downgrade" and s.removes and not (s.removes & snap.objects) and \
                    not any("invalid-" + o in snap.objects for o in s.removes):
                continue
            for o in s.adds | s.removes:  # an INVALID index of a killed build: drop it first
                if o.startswith("index ") and "invalid-" + o in snap.objects:
                    db.execute("DROP INDEX CONCURRENTLY IF EXISTS %s" % o.split()[1])
        db.execute(s.sql)
        ran.append(j + 1)
    # half of the settlements go through `retort resolve --done`, the others through `stamp`
    if k % 2 == 0 or (d == "downgrade" and len(r.parents) > 1):
        args = ["resolve", rid, "--done"]
    elif d == "upgrade":
        args = ["stamp", rid]
    else:
        args = ["stamp", r.parents[0] if r.parents else "base"]
    rc, out, err, _ = rt.run(args, timeout)
    if rc != 0:
        raise RuntimeError("retort %s failed (%s): %s" % (" ".join(args), rc, err.strip()))
    return "%s of %s stopped after statement %d: ran statement(s) %s by hand, then 'retort %s'" % (
        d, rid, k, ",".join(map(str, ran)) or "(none)", " ".join(args))


def write_summary(path, lines):
    if not path:
        return
    d = os.path.dirname(path)
    if d:
        os.makedirs(d, exist_ok=True)
    with open(path, "a") as f:
        for ln in lines:
            f.write(ln + "\n")
