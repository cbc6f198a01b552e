"""graph_differential.py - retort's upgrade, downgrade and stamp on random revision graphs,
compared with a model of the semantics and, when it is installed, with Alembic.

    python3 graph_differential.py RETORT WORKDIR [--seed N] [--graphs N] [--ops N] [--no-alembic]

Run by t3500-graph-differential.sh. Each graph (seeded, so a failure can be replayed) has
several roots, branches, merges and depends_on edges. A random sequence of
`upgrade TARGET`, `downgrade TARGET` and `stamp TARGET` runs three ways:

 - retort, on a real SQLite file (every revision creates and drops a table t_<id>);
 - the model below, written from the rules in README.md ("Targets", "Branches, merges and
   depends_on"); it is always run;
 - Alembic 1.8, when `import alembic, sqlalchemy` works (Debian's python3-alembic installs
   for /usr/bin/python3), on an in-memory SQLite database, with the same graph written as
   Python revision files.

After each operation the applied set (the tables), the version rows, the revisions run (in
order) and success or failure must be the same for retort and the model, exactly. Against
Alembic they must be the same except where retort deliberately differs; each such case is
recognised by an exact rule (check_alembic()), Alembic's result in it is checked, and it is
counted, never skipped:

 - order: Alembic breaks ties between independent revisions by another rule than retort
   (parents in down_revision order, then depends_on, started in id order); both orders
   must put every revision after what it needs (upgrade) or before it (downgrade);
 - `downgrade X` where X is applied only through a dependent's row and nothing above X is
   applied: Alembic refuses ("not a valid downgrade target"), retort has nothing to do;
 - `stamp X`: Alembic 1.8 replaces every row that shares a lineage with X (through
   depends_on too) by X (alembic_stamp() below follows its source), so where an applied
   revision depends on X or below it without being above X, Alembic's version table no
   longer says that the dependent is applied; retort follows the issue 7 rule and keeps
   the dependent applied;
 - a revision whose down_revision lies below another of its parents or depends_on
   targets: Alembic's version bookkeeping fails with a KeyError part-way, or leaves a row
   that is an ancestor of another row (same applied set); retort writes the heads;
 - `downgrade -1` with several version rows: Alembic warns and reverts the first row it
   reads, retort refuses; from a merge revision Alembic refuses, retort reverts the merge.

After each such difference Alembic's database is reset to retort's state, so the next
operation starts from the same place. Prints a summary (with the count of each difference)
and exits 1 on the first mismatch, with the graph, the operations so far and both results.
"""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import warnings


# ------------------------------------------------------------------------------------
# Random graphs
# ------------------------------------------------------------------------------------

class Rev:
    def __init__(self, rid, parents, deps):
        self.id = rid
        self.parents = parents  # ids, in down_revision order
        self.deps = deps        # depends_on ids


class Graph:
    def __init__(self, revs):
        self.revs = {r.id: r for r in revs}
        self.ids = sorted(self.revs)
        self.children = {i: [] for i in self.ids}
        self.dependents = {i: [] for i in self.ids}
        for r in revs:
            for p in r.parents:
                self.children[p].append(r.id)
            for d in r.deps:
                self.dependents[d].append(r.id)
        self.heads = [i for i in self.ids if not self.children[i]]

    def ancestors(self, rid):
        """rid and everything it needs, through both kinds of edge."""
        seen, todo = set(), [rid]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(self.revs[x].parents + self.revs[x].deps)
        return seen

    def descendants(self, rid):
        """rid and everything that needs it, through both kinds of edge."""
        seen, todo = set(), [rid]
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(self.children[x] + self.dependents[x])
        return seen

    def describe(self):
        return "; ".join("%s<-%s%s" % (r.id, ",".join(r.parents) or "base",
                                       " dep " + ",".join(r.deps) if r.deps else "")
                         for r in (self.revs[i] for i in self.ids))


def random_graph(rng):
    n = rng.randint(3, 10)
    ids = ["r%02d%s" % (i, rng.choice("abcdef")) for i in range(n)]
    revs = []
    for i, rid in enumerate(ids):
        earlier = [r.id for r in revs]
        g = Graph(revs) if revs else None
        kind = "root" if i == 0 else rng.choice(["root", "child", "child", "child", "merge"])
        parents = []
        if kind == "child":
            parents = [rng.choice(earlier)]
        elif kind == "merge":
            pairs = [(a, b) for a in earlier for b in earlier if a < b
                     and a not in g.ancestors(b) and b not in g.ancestors(a)]
            parents = list(rng.choice(pairs)) if pairs else [rng.choice(earlier)]
        deps = []
        if earlier and rng.random() < 0.35:
            below = set()
            for p in parents:
                below |= g.ancestors(p)
            choices = [e for e in earlier if e not in below]
            if choices:
                deps = [rng.choice(choices)]
        revs.append(Rev(rid, parents, deps))
    return Graph(revs)


def random_op(rng, g, applied):
    kind = rng.choice(["upgrade", "upgrade", "downgrade", "downgrade", "stamp"])
    pool = list(g.ids)
    if kind == "upgrade":
        target = rng.choice(pool + ["heads", "heads", "head"])
    elif kind == "downgrade":
        pool_applied = sorted(applied)
        target = rng.choice((pool_applied * 3 if pool_applied else []) + pool +
                            ["base", "-1", "-1"])
    else:
        target = rng.choice(pool + ["heads", "base"])
    return kind, target


# ------------------------------------------------------------------------------------
# The model: what README.md says retort does
# ------------------------------------------------------------------------------------

class Failure(Exception):
    pass


class Model:
    def __init__(self, g):
        self.g = g
        self.applied = set()
        self.tables = set()  # the revisions whose upgrade ran last (stamps run nothing)

    def rows(self, applied=None):
        a = self.applied if applied is None else applied
        return sorted(r for r in a
                      if not any(c in a for c in self.g.children[r] + self.g.dependents[r]))

    def topo(self, want):
        """retort's upgrade order: a depth-first search from each wanted revision in id
        order, emitting a revision after its wanted parents (in down_revision order) and
        depends_on targets."""
        out, done = [], set()

        def visit(x):
            done.add(x)
            r = self.g.revs[x]
            for y in r.parents + r.deps:
                if y in want and y not in done:
                    visit(y)
            out.append(x)

        for x in self.g.ids:
            if x in want and x not in done:
                visit(x)
        return out

    def targets(self, target):
        if target == "heads":
            return list(self.g.heads)
        if target == "head":
            if len(self.g.heads) != 1:
                raise Failure("several heads")
            return list(self.g.heads)
        return [target]

    def removed_by_downgrade_to(self, x):
        """Everything above x through down_revision edges, then whatever needs a removed
        revision, transitively (as a parent or through depends_on)."""
        out = set()
        for c in self.g.children[x]:
            out |= self.g.descendants(c)
        return out

    def upgrade(self, target):
        want = set()
        for t in self.targets(target):
            want |= self.g.ancestors(t)
        run = self.topo(want - self.applied)
        self.applied |= want
        return run

    def downgrade(self, target):
        if target == "base":
            gone = set(self.applied)
        elif target == "-1":
            # the last applied revision in upgrade order: with one version row, its revision
            rows = self.rows()
            if len(rows) != 1:
                raise Failure("-1 needs exactly one version row")
            gone = {rows[0]}
        else:
            if target not in self.applied:
                raise Failure("not applied")
            gone = self.removed_by_downgrade_to(target) & self.applied
        self.applied -= gone
        return list(reversed(self.topo(gone)))

    def stamp(self, target):
        if target == "base":
            self.applied = set()
            return []
        nxt = set(self.applied)
        for t in self.targets(target):
            nxt -= self.removed_by_downgrade_to(t)
        for t in self.targets(target):
            nxt |= self.g.ancestors(t)
        self.applied = nxt
        return []

    def run(self, kind, target):
        """(ok, revisions run in order); the state is unchanged on failure."""
        before = set(self.applied)
        try:
            run = getattr(self, kind)(target)
        except Failure:
            self.applied = before
            return False, []
        if kind == "upgrade":
            self.tables |= set(run)
        elif kind == "downgrade":
            self.tables -= set(run)
        return True, run


# ------------------------------------------------------------------------------------
# retort on SQLite
# ------------------------------------------------------------------------------------

def tables_of(conn):
    return sorted(r[0][2:] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'"))


class Retort:
    def __init__(self, binary, workdir, g):
        self.binary = binary
        self.dir = workdir
        os.makedirs(os.path.join(workdir, "versions"))
        with open(os.path.join(workdir, "retort.yaml"), "w") as f:
            f.write("script_location: .\ndatabase:\n  url: sqlite:///app.db\n")
        for r in g.revs.values():
            down = "null" if not r.parents else r.parents[0] if len(r.parents) == 1 \
                else "[%s]" % ", ".join(r.parents)
            with open(os.path.join(workdir, "versions", "%s_rev.sql" % r.id), "w") as f:
                f.write("/*\nrevision: %s\ndown_revision: %s\n" % (r.id, down))
                if r.deps:
                    f.write("depends_on: [%s]\n" % ", ".join(r.deps))
                f.write("message: rev %s\n*/\n\n-- retort:upgrade\n"
                        "CREATE TABLE IF NOT EXISTS t_%s (id INTEGER);\n\n"
                        "-- retort:downgrade\nDROP TABLE IF EXISTS t_%s;\n" % (r.id, r.id, r.id))

    def run(self, kind, target):
        p = subprocess.run([self.binary, "--json", "-q", kind, target], cwd=self.dir,
                           capture_output=True, text=True)
        doc = json.loads(p.stdout)
        if p.returncode != 0:
            if p.returncode != 2 or doc.get("ok") is not False:
                raise SystemExit("retort %s %s: exit %d\n%s%s" % (kind, target, p.returncode,
                                                                p.stdout, p.stderr))
            return False, []
        return True, [s["revision"] for s in doc["steps"] if s["revision"]]

    def state(self):
        path = os.path.join(self.dir, "app.db")
        if not os.path.exists(path):
            return [], []
        conn = sqlite3.connect(path)
        try:
            have = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'retort_version'")
            rows = sorted(r[0] for r in conn.execute("SELECT version_num FROM retort_version")) \
                if have.fetchone()[0] else []
            return tables_of(conn), rows
        finally:
            conn.close()


# ------------------------------------------------------------------------------------
# Alembic on an in-memory SQLite database
# ------------------------------------------------------------------------------------

class Alembic:
    def __init__(self, workdir, g):
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        import sqlalchemy

        os.makedirs(os.path.join(workdir, "versions"))
        for r in g.revs.values():
            down = None if not r.parents else r.parents[0] if len(r.parents) == 1 \
                else tuple(r.parents)
            with open(os.path.join(workdir, "versions", "%s_rev.py" % r.id), "w") as f:
                f.write("from alembic import op\nrevision = %r\ndown_revision = %r\n"
                        "branch_labels = None\ndepends_on = %r\n\n"
                        "def upgrade():\n    op.execute('CREATE TABLE IF NOT EXISTS t_%s (id INTEGER)')\n"
                        "    op.execute(\"INSERT INTO runlog (rev) VALUES ('%s')\")\n\n"
                        "def downgrade():\n    op.execute('DROP TABLE IF EXISTS t_%s')\n"
                        "    op.execute(\"INSERT INTO runlog (rev) VALUES ('%s')\")\n"
                        % (r.id, down, tuple(r.deps) if r.deps else None,
                           r.id, r.id, r.id, r.id))
        self.cfg = Config()
        self.cfg.set_main_option("script_location", workdir)
        self.script = ScriptDirectory.from_config(self.cfg)
        self.engine = sqlalchemy.create_engine("sqlite://")
        self.conn = self.engine.connect()
        self.conn.exec_driver_sql("CREATE TABLE runlog (n INTEGER PRIMARY KEY, rev TEXT)")
        self.logged = 0
        self.error = None

    def close(self):
        self.conn.close()
        self.engine.dispose()

    def _fn(self, kind, target):
        s = self.script
        if kind == "upgrade":
            return lambda rev, ctx: s._upgrade_revs(target, rev)
        if kind == "downgrade":
            return lambda rev, ctx: s._downgrade_revs(target, rev)
        return lambda rev, ctx: s._stamp_revs((target,), rev)

    def run(self, kind, target):
        from alembic.runtime.environment import EnvironmentContext
        self.error = None
        # a failed run may leave log rows behind (pysqlite commits before DDL)
        self.logged = self.conn.exec_driver_sql("SELECT coalesce(max(n), 0) FROM runlog").scalar()
        from alembic.util import CommandError

        try:
            with EnvironmentContext(self.cfg, self.script, fn=self._fn(kind, target),
                                    destination_rev=target) as env:
                env.configure(connection=self.conn)
                with env.begin_transaction():
                    env.run_migrations()
        except (CommandError, KeyError, AssertionError) as e:
            self.error = "%s: %s" % (type(e).__name__, e)
            if self.conn.in_transaction():
                self.conn.rollback()
            return False, []
        if self.conn.in_transaction():
            self.conn.commit()
        rows = [r[0] for r in self.conn.exec_driver_sql(
            "SELECT rev FROM runlog WHERE n > %d ORDER BY n" % self.logged)]
        return True, rows

    def rows_in_read_order(self):
        """The version rows in the order Alembic's get_current_heads() reads them."""
        have = self.conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").scalar()
        return [r[0] for r in self.conn.exec_driver_sql(
            "SELECT version_num FROM alembic_version")] if have else []

    def state(self):
        tables = sorted(r[0][2:] for r in self.conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'"))
        have = self.conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").scalar()
        rows = sorted(r[0] for r in self.conn.exec_driver_sql(
            "SELECT version_num FROM alembic_version")) if have else []
        return tables, rows


# ------------------------------------------------------------------------------------
# Comparing
# ------------------------------------------------------------------------------------

def valid_order(g, order, kind):
    """Every revision of order comes after (upgrade) or before (downgrade) the revisions
    of order it needs."""
    seq = order if kind == "upgrade" else list(reversed(order))
    pos = {x: i for i, x in enumerate(seq)}
    return len(pos) == len(seq) and all(
        pos[y] < pos[x] for x in seq for y in g.revs[x].parents + g.revs[x].deps if y in pos)


def alembic_stamp(g, rows, target, real_heads):
    """The version rows after Alembic 1.8's `stamp target` from rows (in the order Alembic
    reads them), as its source does it (ScriptDirectory._stamp_revs, then StampStep and
    HeadMaintainer.update_to_step); None where that code fails (a KeyError or an
    assertion). Every row that shares a lineage with a destination (through depends_on
    too) is replaced by it: that is where it differs from retort."""
    if target == "base":
        return []
    dests = list(real_heads) if target == "heads" else [target]
    filtered = []
    for d in dests:
        for h in rows:
            if (h in g.ancestors(d) or h in g.descendants(d)) and h not in filtered:
                filtered.append(h)
    cur = set(rows)
    for d in dests:
        if d in filtered:
            continue
        down = bool(g.descendants(d) & set(filtered))
        up = bool(g.ancestors(d) & set(filtered))
        if down and up:
            return None
        frm, is_up, move = (filtered, not down, False) if down or up else ([], True, True)
        if is_up and (move or set(frm) - cur) and d not in cur:
            cur.add(d)
            continue
        if not frm or d in cur or any(x not in cur for x in frm):
            return None
        cur -= set(frm)
        cur.add(d)
    return sorted(cur)


def redundant_edge(g, rid):
    """1 when one of rid's parents or depends_on targets lies below another of them."""
    r = g.revs[rid]
    preds = r.parents + r.deps
    return any(p != q and p in g.ancestors(q) for p in preds for q in preds)


def check_minus_one(g, before, got):
    """Alembic's `downgrade -1` walks one step down the down_revision of the first version
    row it reads (warning when there are several) and downgrades to there, which removes
    that row's revision and what needs it; it refuses at a merge. retort refuses -1 when
    there are several rows. None when retort and Alembic agree."""
    ok_a, _, tables_a, rows_a = got
    row = before["rows_read"][0]
    if len(g.revs[row].parents) > 1:
        unchanged = tables_a == before["tables"] and rows_a == before["rows"]
        return "downgrade-minus-1-from-a-merge" if not ok_a and unchanged else \
            ["Alembic was expected to refuse -1 from the merge %s" % row]
    if len(before["rows"]) == 1:
        return None
    gone = g.descendants(row) & before["applied"]
    closure = set()
    for r in rows_a:
        closure |= g.ancestors(r)
    if ok_a and tables_a == sorted(set(before["tables"]) - gone) and \
            closure == before["applied"] - gone:
        return "downgrade-minus-1-from-several-rows"
    return ["Alembic's -1 was expected to remove %s" % sorted(gone)]


def check_alembic(g, kind, target, before, model, want, got, real_heads, error):
    """None when Alembic gives what retort gives, else the name of the documented
    difference that Alembic's result matches exactly; a list of problems otherwise."""
    ok_w, order_w, tables_w, rows_w = want
    ok_a, order_a, tables_a, rows_a = got
    unchanged = tables_a == before["tables"] and rows_a == before["rows"]
    if kind == "stamp":
        expect = alembic_stamp(g, before["rows_read"], target, real_heads)
        if expect is None:
            return "stamp-fails-in-alembic" if not ok_a and unchanged else \
                ["Alembic's stamp was expected to fail"]
        if not ok_a or rows_a != expect or tables_a != tables_w:
            return ["Alembic's stamp was expected to give the rows %s" % expect]
        return None if expect == rows_w else "stamp-replaces-rows-of-dependents"
    if kind == "downgrade" and target == "-1" and before["rows"]:
        verdict = check_minus_one(g, before, got)
        if verdict:
            return verdict
    if kind == "downgrade" and target != "base" and target in before["applied"] and \
            not (model.removed_by_downgrade_to(target) & before["applied"]) and \
            target not in before["rows"]:
        return "downgrade-to-revision-implied-by-a-dependent" if not ok_a and unchanged \
            else ["Alembic was expected to refuse downgrade %s" % target]
    shaky = [r for r in order_w if redundant_edge(g, r)]
    if ok_w and not ok_a and shaky and error.startswith("KeyError"):
        return "alembic-fails-on-a-redundant-edge"
    problems = []
    if ok_a != ok_w or tables_a != tables_w:
        problems.append("success %s vs %s, applied %s vs %s" % (ok_w, ok_a, tables_w, tables_a))
    if sorted(order_a) != sorted(order_w) or not valid_order(g, order_a, kind):
        problems.append("revisions run: %s vs %s" % (order_w, order_a))
    redundant = False
    if rows_a != rows_w:
        closure = set()
        for r in rows_a:
            closure |= g.ancestors(r)
        tops = sorted(r for r in rows_a if not any(r in g.ancestors(o) for o in rows_a if o != r))
        redundant = closure == set(model.applied) and tops == rows_w and bool(shaky)
        if not redundant:
            problems.append("version rows: %s vs %s" % (rows_w, rows_a))
    if problems:
        return problems
    if redundant:
        return "alembic-keeps-a-row-below-another-row"
    return "order-tie-break" if order_a != order_w else None


def compare(want, got):
    (ok_w, order_w, tables_w, rows_w), (ok_g, order_g, tables_g, rows_g) = want, got
    problems = []
    if ok_w != ok_g:
        problems.append("success: %s vs %s" % (ok_w, ok_g))
    if tables_w != tables_g:
        problems.append("applied: %s vs %s" % (tables_w, tables_g))
    if rows_w != rows_g:
        problems.append("version rows: %s vs %s" % (rows_w, rows_g))
    if order_w != order_g:
        problems.append("revisions run: %s vs %s" % (order_w, order_g))
    return problems


def fail(g, history, what, problems):
    print("MISMATCH (%s) in graph: %s" % (what, g.describe()))
    for h in history:
        print("  " + h)
    for p in problems:
        print("  -> " + p)
    sys.exit(1)


def run_graph(binary, workdir, seed, nops, with_alembic, counts):
    rng = random.Random(seed)
    g = random_graph(rng)
    model = Model(g)
    retort = Retort(binary, os.path.join(workdir, "retort"), g)
    alembic = Alembic(os.path.join(workdir, "alembic"), g) if with_alembic else None
    history = ["seed %d" % seed]
    try:
        for _ in range(nops):
            kind, target = random_op(rng, g, model.applied)
            before = {"applied": set(model.applied), "tables": sorted(model.tables),
                      "rows": model.rows()}
            if alembic:
                before["rows_read"] = alembic.rows_in_read_order()
            ok_m, order_m = model.run(kind, target)
            want = (ok_m, order_m, sorted(model.tables), model.rows())
            ok_r, order_r = retort.run(kind, target)
            got = (ok_r, order_r) + retort.state()
            history.append("%s %s -> %s: ran %s, rows %s" % (
                kind, target, "ok" if ok_m else "refused", " ".join(order_m) or "nothing",
                " ".join(want[3]) or "none"))
            problems = compare(want, got)
            if problems:
                fail(g, history, "retort vs the model", problems)
            counts["ops"] += 1
            if not alembic:
                continue
            ok_a, order_a = alembic.run(kind, target)
            got_a = (ok_a, order_a) + alembic.state()
            verdict = check_alembic(g, kind, target, before, model, want, got_a,
                                    alembic.script.revision_map._real_heads, alembic.error or "")
            if isinstance(verdict, list):
                fail(g, history, "Alembic vs retort", verdict + [
                    "Alembic: ok %s, ran %s, applied %s, rows %s" % got_a,
                    "Alembic's error: %s" % alembic.error])
            name = verdict or "same result"
            counts[name] = counts.get(name, 0) + 1
            if verdict and verdict != "order-tie-break":
                alembic_resync(alembic, model)  # go on from retort's state
    finally:
        if alembic:
            alembic.close()


def alembic_resync(alembic, model):
    """Makes Alembic's database hold what the model says (tables and rows)."""
    tables, _ = alembic.state()
    for t in tables:
        if t not in model.tables:
            alembic.conn.exec_driver_sql("DROP TABLE t_%s" % t)
    for t in model.tables:
        if t not in tables:
            alembic.conn.exec_driver_sql("CREATE TABLE t_%s (id INTEGER)" % t)
    alembic.conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version "
                                 "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    alembic.conn.exec_driver_sql("DELETE FROM alembic_version")
    for r in model.rows():
        alembic.conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('%s')" % r)
    if alembic.conn.in_transaction():
        alembic.conn.commit()


def main(argv):
    import argparse
    os.environ["SQLALCHEMY_SILENCE_UBER_WARNING"] = "1"
    warnings.simplefilter("ignore")  # SQLAlchemy 2.0 notices, Alembic's "-1 is ambiguous"
    ap = argparse.ArgumentParser()
    ap.add_argument("retort")
    ap.add_argument("workdir")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--graphs", type=int, default=40)
    ap.add_argument("--ops", type=int, default=10)
    ap.add_argument("--no-alembic", action="store_true")
    a = ap.parse_args(argv)
    with_alembic = False
    if not a.no_alembic:
        try:
            import alembic  # noqa: F401
            import sqlalchemy  # noqa: F401
            with_alembic = True
        except ImportError:
            pass
    if with_alembic:
        print("comparing retort with the model and with Alembic")
    elif a.no_alembic:
        print("comparing retort with the model only (--no-alembic)")
    else:
        print("comparing retort with the model only: Alembic is not installed for %s "
              "(apt-get install python3-alembic python3-sqlalchemy)" % sys.executable)
    counts = {"ops": 0}
    for i in range(a.graphs):
        d = os.path.join(a.workdir, "g%03d" % i)
        if os.path.exists(d):
            shutil.rmtree(d)
        run_graph(a.retort, d, a.seed * 100003 + i, a.ops, with_alembic, counts)
        shutil.rmtree(d)
    print("%d graphs, %d operations: retort and the model agree on every one" %
          (a.graphs, counts["ops"]))
    if with_alembic:
        extra = ", ".join("%s %d" % (k, v) for k, v in sorted(counts.items())
                          if k not in ("ops", "same result"))
        print("Alembic %s: the same result on %d operations; documented differences: %s" %
              (__import__("alembic").__version__, counts.get("same result", 0), extra or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
