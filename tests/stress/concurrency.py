#!/usr/bin/env python3
"""concurrency.py - several retort processes started at the same instant on one database.

    python3 tests/stress/concurrency.py --retort ./retort --backend sqlite --rounds 20
    python3 tests/stress/concurrency.py --retort ./retort --backend postgresql --pg-db DB --rounds 20

The history is stresslib.build_history() (60 revisions, a branch and a merge, three
statement-by-statement revisions). The processes are forked first and held before exec
on a pipe, then released together, so they really start at once. Each round runs:

  up8    a fresh database at base, N (default 8) x `retort --json upgrade head`: all exit
         0; exactly one of them reports the 60 steps and the others report none and say
         'nothing to do'; the history has exactly one 'upgrade applied' row per revision
         and nothing else; the version row is the head; the schema is the reference one.

  mixed  a fresh database at head, N/2 x `upgrade head` and N/2 x `downgrade TARGET`
         (targets drawn from base, alpha@base, beta@base, r20, m31, r45, -5, -20): every
         process exits 0, or 2 with a clear error saying the target no longer fits the
         database (another process moved it first), or 1 for a lock wait given up; nobody
         crashes or hangs; every step a process reports applied has exactly one history
         row, and the history has no other 'applied' rows; the end state verifies
         (stresslib.verify: version rows vs catalog, history replay, integrity_check).

Exit status 0 when every round passed, 1 otherwise; the figures go to stdout and, with
--summary FILE, are appended to FILE.
"""

import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stresslib as sl  # noqa: E402

TARGETS = ["base", "alpha@base", "beta@base", "r20", "m31", "r45", "-5", "-20"]
# what a downgrade may answer when the database moved under it (exit 2: the target does not
# fit the database any more)
STATE_ERRORS = ("is not applied", "cannot downgrade by", "nothing of branch", "ambiguous: the database has")


def start_together(rt, arglists, timeout):
    """Starts one process per argument list, each held in a tiny sh that waits for one line
    on a pipe before it execs retort, then releases them all at once. Returns
    [(args, status or None for a hang, stdout, stderr)]."""
    r, w = os.pipe()
    procs = []
    for args in arglists:
        p = subprocess.Popen(["sh", "-c", 'read _ <&%d; exec "$@"' % r, "sh"] + rt.argv(args),
                             cwd=rt.proj, env=rt.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, pass_fds=(r,))
        procs.append((args, p))
    os.close(r)
    time.sleep(0.05)  # every sh is waiting in read
    os.write(w, b"\n" * len(procs))
    os.close(w)
    deadline = time.monotonic() + timeout
    results = []
    for args, p in procs:
        try:
            out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results.append((args, p.returncode, out, err))
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            results.append((args, None, out, err))
    return results


class Round:
    def __init__(self, name):
        self.name = name
        self.problems = []

    def fail(self, msg):
        self.problems.append(msg)


def applied_steps(doc):
    return [(s["revision"], s["direction"]) for s in doc.get("steps", []) if s.get("status") == "applied"]


def parse_json(out):
    try:
        return json.loads(out)
    except ValueError:
        return None


def check_outputs(rnd, results, hist, allow_errors):
    docs = []
    for args, rc, out, err in results:
        cmd = "retort " + " ".join(args)
        if rc is None:
            rnd.fail("HANG: '%s' still ran after the timeout; stderr: %s" % (cmd, err.strip()[-500:]))
            docs.append(None)
            continue
        doc = parse_json(out)
        if doc is None:
            rnd.fail("'%s' exited %s without one JSON document on stdout: %r %s" % (cmd, rc, out[:300], err[-300:]))
        docs.append(doc)
        if rc < 0:
            rnd.fail("CRASH: '%s' died of signal %d; stderr: %s" % (cmd, -rc, err.strip()[-500:]))
        elif rc == 0:
            if doc is not None and doc.get("ok") is not True:
                rnd.fail("'%s' exited 0 with ok=%r" % (cmd, doc.get("ok")))
        elif not allow_errors:
            rnd.fail("'%s' exited %d: %s" % (cmd, rc, err.strip()[-500:]))
        else:
            msg = doc.get("error", {}).get("message", "") if doc else ""
            clear = "error:" in err and msg
            if rc == 1 and clear and "waiting for the migration lock" in msg:
                pass  # lock_wait exceeded: a clear, allowed outcome (none expected with lock_wait 120s)
            elif rc == 2 and clear and any(s in msg for s in STATE_ERRORS):
                pass
            else:
                rnd.fail("'%s' exited %d without a clear error: %s" % (cmd, rc, err.strip()[-500:]))
            if doc and applied_steps(doc) and rc != 1:
                rnd.fail("'%s' failed (exit %d) but reports steps applied: %s" % (cmd, rc, applied_steps(doc)))
    return docs


def history_matches_outputs(rnd, snap, docs, base_rows):
    """Every step a process reported applied has its history row, and no other history row
    says 'applied'."""
    rows = [(r[1], r[2]) for r in snap.history[base_rows:] if r[3] == "applied"]
    reported = []
    for d in docs:
        if d:
            reported += applied_steps(d)
    if collections.Counter(rows) != collections.Counter(reported):
        c_rows, c_rep = collections.Counter(rows), collections.Counter(reported)
        rnd.fail("LIE: history 'applied' rows and the steps the processes reported differ: only in the history %s; "
                 "only reported %s" % (sorted((c_rows - c_rep).elements())[:8], sorted((c_rep - c_rows).elements())[:8]))


def run_up8(rt, db, hist, n, ref_schema, timeout, doctor=False):
    rnd = Round("up%d" % n)
    db.create()
    results = start_together(rt, [["--json", "upgrade", "head"]] * n, timeout)
    if doctor:  # --self-test: as if one revision had been applied twice
        db.execute("INSERT INTO %s (revision, direction, status, started_at, retort_version) "
                   "VALUES ('r05', 'upgrade', 'applied', 'x', 'x')" % sl.HISTORY_TABLE)
    docs = check_outputs(rnd, results, hist, allow_errors=False)
    counts = sorted(len(applied_steps(d)) if d else -1 for d in docs)
    want = [0] * (n - 1) + [len(hist.order)]
    if counts != want:
        rnd.fail("steps per process %s, expected %s (one process applies everything)" % (counts, want))
    # the others found the database at head when they got the lock: nothing to do
    idle = [d for d in docs if d and not d.get("steps")]
    nothing = sum(d.get("heads_before") == [hist.head] and d.get("heads_after") == [hist.head] for d in idle)
    if nothing != n - 1:
        rnd.fail("%d of the %d idle processes found the database at %s (heads_before = heads_after)"
                 % (nothing, n - 1, hist.head))
    waited = sum("waiting for the migration lock" in e for (_, _, _, e) in results)
    snap = db.snapshot()
    rows = [(r[1], r[2], r[3]) for r in snap.history]
    want_rows = [(x, "upgrade", "applied") for x in hist.order]
    if sorted(rows) != sorted(want_rows):
        c = collections.Counter(rows)
        rnd.fail("history rows: %d, expected exactly one 'upgrade applied' per revision; twice: %s; other: %s"
                 % (len(rows), [k for k, v in c.items() if v > 1][:5], [k for k in c if k not in set(want_rows)][:5]))
    history_matches_outputs(rnd, snap, docs, 0)
    if snap.versions != [hist.head]:
        rnd.fail("version rows %s, expected [%s]" % (snap.versions, hist.head))
    for p in sl.verify(hist, snap):
        rnd.fail("LIE: " + p)
    if snap.schema != ref_schema:
        rnd.fail("schema differs from an uninterrupted run's")
    rnd.detail = "%d processes, %d said they waited for the lock, %d found nothing to do" % (n, waited, nothing)
    return rnd


def run_mixed(rt, db, hist, n, rng, ref_schema, timeout):
    rnd = Round("mixed")
    db.create()
    rc, out, err, _ = rt.run(["upgrade", "head"], timeout)
    if rc != 0:
        rnd.fail("setup: upgrade head failed: " + err)
        return rnd
    base_rows = len(db.snapshot().history)
    arglists = [["--json", "upgrade", "head"] for _ in range(n // 2)]
    arglists += [["--json", "downgrade", rng.choice(TARGETS)] for _ in range(n - n // 2)]
    rng.shuffle(arglists)
    results = start_together(rt, arglists, timeout)
    docs = check_outputs(rnd, results, hist, allow_errors=True)
    snap = db.snapshot()
    for p in sl.verify(hist, snap):
        rnd.fail("LIE: " + p)
    if sl.in_progress(hist, snap):
        rnd.fail("unfinished statement-by-statement revisions after the runs: %s" % sl.in_progress(hist, snap))
    history_matches_outputs(rnd, snap, docs, base_rows)
    exits = collections.Counter(str(r[1]) for r in results)
    rnd.detail = "%s -> %s; exits %s" % (
        ", ".join(" ".join(a[1:]) for a in arglists), " ".join(snap.versions) or "base",
        " ".join("%s:%d" % kv for kv in sorted(exits.items())))
    rnd.exits = exits
    rnd.errors = [next((ln for ln in r[3].splitlines() if ln.startswith("error:")), "") for r in results if r[1]]
    return rnd


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--retort", default=os.environ.get("RETORT", "./retort"))
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--journal", choices=["delete", "wal"], default="delete")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of each scenario")
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--timeout", type=int, default=180, help="seconds a round may take")
    ap.add_argument("--workdir", default=os.environ.get("STRESS_WORKDIR"),
                    help="where temporary directories go (default $STRESS_WORKDIR, else $TMPDIR)")
    ap.add_argument("--tag", default="", help="prefix of the summary line (e.g. 'make test: ')")
    ap.add_argument("--summary", default=None)
    ap.add_argument("--pg-host", default=os.environ.get("PGHOST"))
    ap.add_argument("--pg-port", default=os.environ.get("PGPORT", "5432"))
    ap.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    ap.add_argument("--pg-db", default=os.environ.get("PGDATABASE", "postgres"))
    ap.add_argument("--schema", default="conc")
    ap.add_argument("--self-test", action="store_true",
                    help="doctor the history after the first up8 run: the round must fail")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "big") % 1000000000
    if a.backend == "postgresql" and not a.pg_host:
        print("concurrency.py: PostgreSQL needs --pg-host (or PGHOST)", file=sys.stderr)
        return 2
    dialect = a.backend
    hist = sl.build_history(dialect)
    workdir = tempfile.mkdtemp(prefix="retort-conc.", dir=a.workdir)
    if dialect == "sqlite":
        db = sl.SqliteDB(os.path.join(workdir, "app.db"), a.journal)
    else:
        db = sl.PgDB(sl.PgServer(a.pg_host, a.pg_port, a.pg_user), a.pg_db, a.schema)
    proj = os.path.join(workdir, "proj")
    sl.write_project(proj, hist, db.url())
    rt = sl.Retort(os.path.abspath(a.retort), proj, db)
    # the reference schema: an uninterrupted run
    db.create()
    rc, out, err, _ = rt.run(["upgrade", "head"], a.timeout)
    if rc != 0:
        print("setup: upgrade head failed: " + err, file=sys.stderr)
        return 2
    ref = db.snapshot().schema
    label = db.label
    sl.log("concurrency: %s, seed %d, %d rounds of up%d and mixed" % (label, a.seed, a.rounds, a.procs, ))
    t0 = time.time()
    failed = 0
    done = collections.Counter()
    exits = collections.Counter()
    errors = collections.Counter()
    for i in range(a.rounds):
        rng = random.Random("%d:%d" % (a.seed, i))
        rounds = [run_up8(rt, db, hist, a.procs, ref, a.timeout, doctor=a.self_test)]
        if not a.self_test:
            rounds.append(run_mixed(rt, db, hist, a.procs, rng, ref, a.timeout))
        for rnd in rounds:
            done[rnd.name] += 1
            if hasattr(rnd, "exits"):
                exits.update(rnd.exits)
                errors.update(e for e in rnd.errors if e)
            if rnd.problems:
                failed += 1
                sl.log("FAILED round %d %s (seed %d): %s\n  %s" % (i, rnd.name, a.seed, getattr(rnd, "detail", ""),
                                                                 "\n  ".join(rnd.problems)))
            elif a.verbose:
                sl.log("ok round %d %s: %s" % (i, rnd.name, rnd.detail))
    secs = time.time() - t0
    line = ("concurrency %-18s seed %-10d rounds %d x (up%d + mixed %d/%d): %d runs of %d processes, %d failed; "
            "mixed exits %s; %.0f s" % (label, a.seed, a.rounds, a.procs, a.procs // 2, a.procs - a.procs // 2,
                                       sum(done.values()), a.procs, failed,
                                       " ".join("%s:%d" % kv for kv in sorted(exits.items())), secs))
    sl.log(line)
    for e, c in errors.most_common():
        sl.log("  mixed-run error (x%d): %s" % (c, e))
    if not a.self_test:
        sl.write_summary(a.summary, [a.tag + line])
    if failed == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        sl.log("kept %s" % workdir)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
