#!/usr/bin/env python3
"""crash.py - kills `retort upgrade head` / `retort downgrade base` with SIGKILL at random
moments and proves after each kill that the database tells the truth.

    python3 tests/stress/crash.py crash --retort ./retort --backend sqlite --journal wal --kills 200
    python3 tests/stress/crash.py crash --retort ./retort --backend postgresql --pg-db DB --kills 200
    python3 tests/stress/crash.py pgstop --retort ./retort --pg-db DB --stops 10
    python3 tests/stress/crash.py selftest --retort ./retort --backend sqlite

The history is stresslib.build_history(): 60 revisions with a branch, a merge and three
statement-by-statement revisions, each statement's effect visible in the catalog.

crash: measures an uninterrupted `upgrade head` (T_up) and `downgrade base` (T_down) and
keeps their final schemas as the reference. Then kill point groups alternate: even groups
start at base and run `upgrade head`, odd ones start at head and run `downgrade base`. Each
group kills the run - 50%: after a uniform random delay in [0, T]; 25%: right at a step
boundary, 0-3 ms after the Nth 'Running ...' line (just after the revision's BEGIN) or
'done in' line (just after its COMMIT); 25%: inside a statement-by-statement revision, at a
random point of its own measured duration - sometimes kills the rerun again from the state
it left (a chain), and after every kill that landed checks the state (stresslib.verify:
version rows vs catalog, no false success in the history, SQLite integrity_check). Then the
recovery runs to the end: the same command, or for half of the downgrade groups `upgrade
head`; a revision retort refuses to resume (documented: killed during a statement that is
not safe to repeat) is finished by hand and recorded with `retort resolve --done` or `retort stamp`, and counted. The
final schema must equal the uninterrupted run's, and the rerun must not wait for a lock
the killed run left behind. Findings that match a known retort bug carry its id (KNOWN_BUGS).

pgstop: stops the whole PostgreSQL server with `pg_ctl stop -m immediate` in the middle of
a run: retort must exit 1 with a connection-lost message, every revision it reported done
must have survived the restart (the database runs with synchronous_commit = on), the state
must verify, and the rerun must reach the reference schema.

selftest: proves the checks can fail: on a consistent database, each of a set of
deliberate lies (a version row without its effects, effects without a version row, a false
'applied' history row, rows inserted twice, a corrupted SQLite page) must be reported.

Every choice comes from --seed (printed; kill point group i uses Random("SEED:i"), so
`--only I` replays group I from its starting state). Timing still varies from run to run.
Figures go to stdout and, with --summary FILE, are appended to FILE. Exit status: 0 when
every kill point was survived, 1 when retort lied, hung, crashed or could not be brought to
head, 2 for bad usage or a broken setup.
"""

import argparse
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stresslib as sl  # noqa: E402

UP = ["-v", "upgrade", "head"]
DOWN = ["-v", "downgrade", "base"]
CONN_LOST = re.compile(r"connection to the server was lost|server closed the connection|"
                       r"terminating connection|could not connect|cannot connect|no connection to the server|"
                       r"connection.*(lost|closed|refused)", re.I)


class Findings:
    """What went wrong. A finding may carry the id of a known retort bug (see KNOWN_BUGS);
    ids listed in $RETORT_STRESS_XFAIL (comma separated) are reported but do not fail."""

    def __init__(self, limit):
        self.items, self.limit = [], limit
        self.xfail = set(x for x in os.environ.get("RETORT_STRESS_XFAIL", "").split(",") if x)

    def add(self, kind, text, bug=None):
        known = bug in self.xfail
        self.items.append((kind, text, bug, known))
        sl.log("%s [%s%s] %s" % ("KNOWN BUG" if known else "FINDING", kind, " " + bug if bug else "", text))

    def failing(self):
        return [f for f in self.items if not f[3]]

    def too_many(self):
        return len(self.failing()) >= self.limit


# Bugs the harness found and recognises (reported to the core team):
KNOWN_BUGS = {
    "first-statement": "a statement-by-statement revision killed during its FIRST statement is resumed at "
                       "that statement without the safe-to-repeat check (statement_index is still NULL), so "
                       "a completed non-idempotent first statement runs again",
    "cic-completed": "a CREATE INDEX CONCURRENTLY counts as safe to repeat, but when the killed run's build "
                     "completed on the server the rerun fails 'already exists', and so does every rerun after",
    "downgrade-stamp-hint": "the refusal for an interrupted statement-by-statement DOWNGRADE tells the user to "
                            "'retort stamp REV' (the revision being removed) instead of the revision below it",
    "if-exists-refused": "SQLite: a statement written with IF [NOT] EXISTS is refused like any other after a "
                         "kill (the SQLite splitter never marks statements safe to repeat), although the "
                         "refusal's hint says to write it that way so it can be resumed",
    "upgrade-ignores-unfinished-downgrade": "after an interrupted statement-by-statement downgrade, 'upgrade "
                                            "head' succeeds without finishing or undoing it: the version table "
                                            "says the revision is applied while part of it is gone",
}


def stuck_bug(hist, unfinished, err, args, before):
    """The known bug behind a rerun that failed instead of resuming or refusing, if
    recognised. unfinished/before: the unfinished revisions after/before the rerun."""
    if args[0] == "upgrade" and any(d == "downgrade" for d, _ in before.values()):
        return "upgrade-ignores-unfinished-downgrade"
    if len(unfinished) != 1 or not re.search(r"already exists|no such|does not exist", err):
        return None
    (rid, (d, k)), = unfinished.items()
    stmts = hist.by_id[rid].up if d == "upgrade" else hist.by_id[rid].down
    if k < len(stmts) and "CONCURRENTLY" in stmts[k].sql and "DROP" not in stmts[k].sql:
        return "cic-completed"
    if k == 0:
        return "first-statement"
    return None


def setup_db(a, workdir, hist_dialect):
    if hist_dialect == "sqlite":
        return sl.SqliteDB(os.path.join(workdir, "app.db"), a.journal)
    server = sl.PgServer(a.pg_host, a.pg_port, a.pg_user)
    return sl.PgDB(server, a.pg_db, a.schema)


def pg_args_ok(a):
    if not a.pg_host:
        print("crash.py: PostgreSQL needs --pg-host (or PGHOST): run under tests/pg/with-pg.sh", file=sys.stderr)
        sys.exit(2)


class Harness:
    def __init__(self, a, workdir):
        self.a = a
        self.dialect = "postgresql" if a.backend == "postgresql" else "sqlite"
        self.hist = sl.build_history(self.dialect)
        self.db = setup_db(a, workdir, self.dialect)
        self.proj = os.path.join(workdir, "proj")
        self.rt = sl.Retort(os.path.abspath(a.retort), self.proj, self.db)
        self.findings = Findings(a.max_findings)
        self.settled = []
        self.kills = 0
        self.survived = 0
        self.runs = 0
        self.boundary_kills = 0
        self.ref = {}
        self.T = {}
        self.step_ms = {}
        self.inside_kills = 0
        self.deciles = [0] * 10
        self.recoveries = self.recoveries_ok = 0

    # -- setup ----------------------------------------------------------------------

    def fresh(self):
        self.db.create()
        if os.path.isdir(self.proj):
            shutil.rmtree(self.proj)
        sl.write_project(self.proj, self.hist, self.db.url())

    def calibrate(self):
        """Uninterrupted runs: durations and reference schemas."""
        self.fresh()
        all_revs = set(self.hist.order)
        for name, args, want_versions, want_objs in (
                ("up", UP, [self.hist.head], self.hist.objects_of(all_revs)),
                ("down", DOWN, [], set())):
            rc, out, err, secs = self.rt.run(args, timeout=300)
            self.step_ms[name] = step_durations(err)
            if rc != 0:
                raise SystemExit("setup: uninterrupted '%s' failed (%s):\n%s" % (" ".join(args), rc, err))
            snap = self.db.snapshot()
            problems = sl.verify(self.hist, snap)
            if snap.versions != want_versions or snap.objects != want_objs or problems:
                raise SystemExit("setup: the uninterrupted '%s' does not give the model's schema: %s\n"
                                 "missing %s\nextra %s" % (" ".join(args), problems,
                                                          sorted(want_objs - snap.objects)[:10],
                                                          sorted(snap.objects - want_objs)[:10]))
            self.ref[name] = snap.schema
            self.T[name] = secs
        # the model must not be trivially satisfied: head has every object
        sl.log("%s: uninterrupted upgrade head %.3f s, downgrade base %.3f s; %d revisions, %d objects at head"
               % (self.db.label, self.T["up"], self.T["down"], len(self.hist.order),
                  len(self.hist.objects_of(set(self.hist.order)))))

    # -- one kill --------------------------------------------------------------------

    def killed_run(self, rng, direction, where):
        args = UP if direction == "up" else DOWN
        T = self.T[direction]
        r = rng.random()
        if r < 0.5:
            delay = rng.uniform(0, T)
            how = "SIGKILL after %.4f s" % delay
            landed, rc, err = sl.kill_after_delay(self.rt, args, delay, timeout=max(60, 20 * T))
            if landed:
                self.deciles[min(9, int(10 * delay / T))] += 1
        elif r < 0.75:
            # inside a statement-by-statement revision: its own duration decides the delay
            rev = rng.choice([x.id for x in self.hist.revs if x.autocommit])
            ms = self.step_ms[direction].get(rev, 10.0)
            micro = rng.uniform(0, ms * 1.1 / 1000)
            pattern = ("-> %s(,|$)" % rev) if direction == "up" else ("^Running downgrade %s -> " % rev)
            how = "SIGKILL %.2f ms into statement-by-statement revision %s (it takes %.1f ms)" % (micro * 1000, rev, ms)
            landed, rc, err = sl.kill_at_line(self.rt, args, pattern, 1, micro, timeout=max(60, 20 * T))
            if landed:
                self.inside_kills += 1
        else:
            pattern = rng.choice([r"^Running (upgrade|downgrade) ", r"done in"])
            nth = rng.randint(1, len(self.hist.order))
            micro = rng.choice([0, 0, 0.0002, 0.001, 0.003])
            how = "SIGKILL %.1f ms after stderr line #%d matching /%s/" % (micro * 1000, nth, pattern)
            landed, rc, err = sl.kill_at_line(self.rt, args, pattern, nth, micro, timeout=max(60, 20 * T))
            if landed:
                self.boundary_kills += 1
        self.runs += 1
        desc = "%s: retort %s, %s" % (where, " ".join(args), how)
        if rc is None:
            self.findings.add("HANG", "%s: %s\nstderr:\n%s" % (desc, err, err[-2000:]))
            return False, desc
        if not landed and rc not in (0, 1, -signal.SIGKILL):
            self.findings.add("CRASH", "%s: exit status %s before the kill\nstderr:\n%s" % (desc, rc, err[-2000:]))
        return landed, desc

    def check_after_kill(self, desc):
        if not self.db.quiesce(30):
            self.findings.add("HANG", "%s: the killed run's server session was still there after 30 s" % desc)
            return False
        snap = self.db.snapshot()
        problems = sl.verify(self.hist, snap)
        if problems:
            self.findings.add("LIE", "%s\n  state: %s\n  %s" % (desc, sl.state_text(self.hist, snap),
                                                                 "\n  ".join(problems)))
            return False
        if self.a.verbose:
            sl.log("  ok: %s -> %s" % (desc, sl.state_text(self.hist, snap)))
        return True

    # -- bringing the database to the end of a command -------------------------------

    def run_to_end(self, args, where, pre, depth=0):
        """Runs 'retort ARGS' until it succeeds, settling what retort refuses the documented
        way: a statement it will not repeat is finished by hand and recorded with 'retort
        stamp'; a revision left half-done in the other direction is finished first with the
        command the refusal names. True when the command finally succeeded."""
        for attempt in range(5):
            rc, out, err, secs = self.rt.run(args, timeout=max(120, 30 * max(self.T.values())))
            if rc is None:
                self.findings.add("HANG", "%s: rerun 'retort %s' still ran after the timeout\nstderr:\n%s"
                                  % (where, " ".join(args), err[-2000:]))
                return False
            if attempt == 0 and depth == 0 and "waiting for the migration lock" in err:
                self.findings.add("STALE-LOCK", "%s: the rerun 'retort %s' waited for a migration lock after the "
                                  "killed run had ended:\n  %s" % (where, " ".join(args), err.strip()[-600:]))
            if rc == 0:
                return True
            snap = self.db.snapshot()
            ip = sl.in_progress(self.hist, snap)
            other = re.search(r"revision '([^']+)' was partly (upgrade|downgrade)d by an earlier run", err)
            if rc == 1 and other and depth == 0:
                rid, d = other.groups()
                parents = self.hist.by_id[rid].parents
                target = rid if d == "upgrade" else parents[0] if len(parents) == 1 else "base"
                if not self.run_to_end([d, target], where + " (finishing the interrupted %s of %s)" % (d, rid),
                                       snap, depth + 1):
                    return False
                self.settled.append("'retort %s' refused: %s of %s unfinished; finished it with 'retort %s %s' "
                                    "as the refusal says" % (" ".join(args), d, rid, d, target))
                continue
            documented = rc == 1 and sl.REFUSAL in err
            if not documented:
                self.findings.add("STUCK", "%s: rerun 'retort %s' exited %s instead of resuming or refusing\n"
                                  "  state: %s\n  stderr: %s" % (where, " ".join(args), rc,
                                                                sl.state_text(self.hist, snap), err.strip()[-1500:]),
                                  bug=stuck_bug(self.hist, ip, err, args, sl.in_progress(self.hist, pre)))
            elif len(ip) == 1:
                (rid, (d, k)), = ip.items()
                stmts = self.hist.by_id[rid].up if d == "upgrade" else self.hist.by_id[rid].down
                if k < len(stmts) and re.search(r"\bIF (NOT )?EXISTS\b", stmts[k].sql):
                    self.findings.add("WRONG-REFUSAL", "%s: retort refuses to resume %s of %s at statement %d "
                                      "although it is written with IF [NOT] EXISTS, as the refusal's own hint "
                                      "recommends (%s)\n  stderr: %s" % (where, d, rid, k + 1, stmts[k].sql,
                                                                          err.strip()[-600:]),
                                      bug="if-exists-refused")
            if documented and len(ip) == 1 and any(d == "downgrade" for d, _ in ip.values()):
                (rid, (d, k)), = ip.items()
                m = re.search(r"'retort stamp ([^']*)'", err)
                parents = self.hist.by_id[rid].parents
                right = parents[0] if len(parents) == 1 else "base" if not parents else None
                if m and m.group(1) == rid:
                    self.findings.add("WRONG-HINT", "%s: the refusal for the interrupted downgrade of %s says to run "
                                      "'retort stamp %s', which would record %s as applied although its downgrade "
                                      "ran (partly); the revision below it is %s\n  stderr: %s"
                                      % (where, rid, rid, rid, right, err.strip()[-800:]), bug="downgrade-stamp-hint")
            try:
                what = sl.finish_by_hand(self.hist, self.db, self.rt, snap, timeout=120)
            except (RuntimeError, subprocess.SubprocessError) as e:
                self.findings.add("STUCK", "%s: cannot settle by hand: %s" % (where, e))
                return False
            if documented:
                self.settled.append(what)
                if self.a.verbose:
                    sl.log("  settled: " + what)
        self.findings.add("STUCK", "%s: 'retort %s' did not succeed after settling 4 times" % (where, " ".join(args)))
        return False

    def complete(self, args, where, expect):
        """Brings the database to the end of args (run_to_end), then checks it against the
        uninterrupted run's. Returns True when it matches."""
        pre = self.db.snapshot()
        if not self.run_to_end(args, where, pre):
            return False
        snap = self.db.snapshot()
        problems = sl.verify(self.hist, snap)
        want_versions = [self.hist.head] if expect == "up" else []
        if snap.versions != want_versions:
            problems.append("version rows %s instead of %s" % (snap.versions, want_versions))
        if snap.schema != self.ref[expect]:
            a = set(self.ref[expect].splitlines())
            b = set(snap.schema.splitlines())
            problems.append("schema differs from the uninterrupted run's: missing %s; extra %s"
                            % (sorted(a - b)[:6], sorted(b - a)[:6]))
        if problems:
            bug = None
            unfinished = sl.in_progress(self.hist, pre)
            if args[0] == "upgrade" and any(d == "downgrade" for d, _ in unfinished.values()):
                bug = "upgrade-ignores-unfinished-downgrade"
                problems.append("before the rerun: %s; 'retort upgrade head' went on without finishing or "
                                "undoing that downgrade" % sl.state_text(self.hist, pre))
            self.findings.add("LIE", "%s: after 'retort %s' succeeded:\n  %s" % (where, " ".join(args),
                                                                               "\n  ".join(problems)), bug=bug)
            return False
        self.state = expect
        return True

    def reset_to(self, state):
        """After a finding: start over from a fresh database at state ('up': head)."""
        self.fresh()
        self.state = "down"
        if state == "up":
            self.goto("up")

    def goto(self, state):
        """Brings the database from one end to the other with an uninterrupted run."""
        if self.state == state:
            return
        args = ["upgrade", "head"] if state == "up" else ["downgrade", "base"]
        rc, out, err, _ = self.rt.run(args, timeout=300)
        if rc != 0:
            raise SystemExit("'retort %s' failed on a consistent database (%s): %s" % (" ".join(args), rc, err))
        self.state = state

    # -- groups ----------------------------------------------------------------------

    def group(self, i):
        """Kill point group i: even groups kill 'upgrade head' started at base, odd ones
        'downgrade base' started at head. After the kill(s), the recovery is the same
        command, or (half of the odd groups) 'upgrade head'."""
        rng = random.Random("%d:%d" % (self.a.seed, i))
        direction = "up" if i % 2 == 0 else "down"
        self.goto("down" if direction == "up" else "up")
        chain = 1 + (rng.random() < 0.25) + (rng.random() < 0.1)
        recover = direction if direction == "up" or rng.random() < 0.5 else "up"
        ok = True
        for c in range(chain):
            where = "seed %d group %d kill %d" % (self.a.seed, i, c + 1)
            landed, desc = self.killed_run(rng, direction, where)
            self.state = None
            if landed:
                self.kills += 1
                if self.check_after_kill(desc):
                    self.survived += 1
                else:
                    ok = False
                    break
            if self.kills >= self.a.kills:
                break
        args = ["upgrade", "head"] if recover == "up" else ["downgrade", "base"]
        if ok:
            self.recoveries += 1
            before = len(self.findings.items)
            ok = self.complete(args, "seed %d group %d (recovery: retort %s)" % (self.a.seed, i, " ".join(args)),
                               recover)
            # clean: no finding on the way (a rerun the harness had to rescue does not count)
            self.recoveries_ok += ok and len(self.findings.items) == before
        if not ok:
            self.reset_to(recover)

    def run(self):
        self.calibrate()
        t0 = time.time()
        self.state = "down"
        if self.a.only is not None:
            self.group(self.a.only)
        else:
            i = 0
            # state after calibration: base, which group 0 (an upgrade) starts from
            while self.kills < self.a.kills and i < 4 * self.a.kills and not self.findings.too_many():
                if self.a.time_limit and time.time() - t0 > self.a.time_limit:
                    sl.log("time limit of %d s reached" % self.a.time_limit)
                    break
                self.group(i)
                i += 1
        return time.time() - t0


def step_durations(err):
    """{revision: ms} from the -v output of a run ('Running ... -> X' then 'done in N ms')."""
    out, cur = {}, None
    for line in err.splitlines():
        m = re.match(r"Running (upgrade|downgrade) (.*?) -> ([^,]*)", line)
        if m:
            cur = m.group(3).strip() if m.group(1) == "upgrade" else m.group(2).strip()
            continue
        m = re.search(r"done in ([0-9.]+) ms", line)
        if m and cur:
            out[cur] = float(m.group(1))
            cur = None
    return out


def cmd_crash(a):
    if a.backend == "postgresql":
        pg_args_ok(a)
    workdir = tempfile.mkdtemp(prefix="retort-crash.", dir=a.workdir)
    h = Harness(a, workdir)
    label = h.db.label
    sl.log("crash: %s, seed %d, %d kill points wanted (replay: --seed %d)" % (label, a.seed, a.kills, a.seed))
    secs = h.run()
    nf = len(h.findings.failing())
    nk = len(h.findings.items) - nf
    line = ("crash %-24s seed %-10d kill points %4d, survived %4d (%d at step boundaries, %d inside "
            "statement-by-statement revisions), runs %d, clean recoveries %d of %d, "
            "settled by hand + resolve or stamp %d, findings %d%s, %.0f s" %
            (label, a.seed, h.kills, h.survived, h.boundary_kills, h.inside_kills, h.runs, h.recoveries_ok,
             h.recoveries, len(h.settled), nf,
             " (+%d known bugs: %s)" % (nk, ",".join(sorted(set(f[2] for f in h.findings.items if f[3])))) if nk else "",
             secs))
    sl.log(line)
    sl.log("  delay kills by tenth of T (the uninterrupted run's duration): %s" % " ".join(map(str, h.deciles)))
    for s in sorted(set(h.settled)):
        sl.log("  settled (documented refusal): %s (x%d)" % (s, h.settled.count(s)))
    sl.write_summary(a.summary, [a.tag + line])
    ok = nf == 0 and (h.kills >= a.kills or a.only is not None)
    if h.kills < a.kills and a.only is None:
        sl.log("FAILED: only %d kill points landed (wanted %d)" % (h.kills, a.kills))
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        sl.log("kept %s" % workdir)
    return 0 if ok else 1


# ------------------------------------------------------------------------------------
# The server stopped mid-run
# ------------------------------------------------------------------------------------

class ServerControl:
    """pg_ctl stop -m immediate / start for the throwaway server of tests/pg/with-pg.sh.
    The data directory comes from $RETORT_PG_DATA, else $PGHOST/data (with-pg.sh's layout);
    the binaries from $RETORT_PG_BINDIR, else the running postmaster's executable."""

    def __init__(self, host, port):
        self.port = str(port)
        self.data = os.environ.get("RETORT_PG_DATA") or os.path.join(host, "data")
        pidfile = os.path.join(self.data, "postmaster.pid")
        if not os.path.isfile(pidfile):
            raise SystemExit("pgstop: no postmaster.pid in %s: set RETORT_PG_DATA to the server's data "
                             "directory (tests/pg/with-pg.sh exports it)" % self.data)
        bindir = os.environ.get("RETORT_PG_BINDIR")
        if not bindir:
            with open(pidfile) as f:
                pid = f.readline().strip()
            bindir = os.path.dirname(os.path.realpath("/proc/%s/exe" % pid))
        self.pg_ctl = os.path.join(bindir, "pg_ctl")
        if not os.access(self.pg_ctl, os.X_OK):
            raise SystemExit("pgstop: no pg_ctl in %s (set RETORT_PG_BINDIR)" % bindir)
        self.log = os.environ.get("RETORT_PG_LOG") or os.path.join(os.path.dirname(self.data), "server.log")
        owner = os.stat(self.data).st_uid
        self.prefix = []
        if os.geteuid() == 0 and owner != 0:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            self.prefix = [runuser, "-u", pwd.getpwuid(owner).pw_name, "--"]
        elif os.geteuid() != owner:
            raise SystemExit("pgstop: the data directory belongs to uid %d, not us" % owner)

    def ctl(self, *args):
        return subprocess.run(self.prefix + [self.pg_ctl, "-D", self.data] + list(args),
                              cwd=os.path.dirname(self.data), capture_output=True, text=True, timeout=120)

    def stop_immediate(self):
        p = self.ctl("-m", "immediate", "-w", "-t", "60", "stop")
        if p.returncode != 0:
            raise RuntimeError("pg_ctl stop -m immediate failed: " + p.stderr)

    def start(self):
        p = self.ctl("-l", self.log, "-o", "-p %s" % self.port, "-w", "-t", "60", "start")
        if p.returncode != 0:
            raise RuntimeError("pg_ctl start failed: %s %s" % (p.stdout, p.stderr))


def known_failures(h):
    return sum(1 for f in h.findings.items if f[3])


def reported_done(err, direction):
    """Revisions whose step retort reported done (-v: 'Running ... -> X' then 'done in')."""
    done, cur = set(), None
    for line in err.splitlines():
        m = re.match(r"Running (upgrade|downgrade) (.*?) -> ([^,]*)", line)
        if m:
            cur = m.group(3).strip() if m.group(1) == "upgrade" else m.group(2).strip()
        elif "done in" in line and cur:
            done.add(cur)
            cur = None
    return done


def cmd_pgstop(a):
    pg_args_ok(a)
    a.backend = "postgresql"
    ctl = ServerControl(a.pg_host, a.pg_port)
    workdir = tempfile.mkdtemp(prefix="retort-pgstop.", dir=a.workdir)
    h = Harness(a, workdir)
    # acknowledged commits must survive the crash: the test server runs with
    # synchronous_commit = off, which may lose the last ones
    h.db.server.psql_run(a.pg_db, 'ALTER DATABASE "%s" SET synchronous_commit = on' % a.pg_db)
    h.calibrate()
    h.state = "down"
    sl.log("pgstop: seed %d, %d server stops wanted, data directory %s" % (a.seed, a.stops, ctl.data))
    stops = survived = 0
    messages = []
    t0 = time.time()
    i = 0
    while stops < a.stops and i < 4 * a.stops and not h.findings.too_many():
        rng = random.Random("%d:stop:%d" % (a.seed, i))
        direction = "up" if i % 2 == 0 else "down"
        args = UP if direction == "up" else DOWN
        where = "seed %d stop %d" % (a.seed, i)
        i += 1
        h.goto("down" if direction == "up" else "up")
        delay = rng.uniform(0.1, 0.9) * h.T[direction]
        p = h.rt.start(args)
        time.sleep(delay)
        if p.poll() is not None:
            p.wait()
            p._errfile.close()
            h.complete(args[1:], where, direction)
            continue
        h.state = None
        ctl.stop_immediate()
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        p._errfile.seek(0)
        err = p._errfile.read()
        p._errfile.close()
        ctl.start()
        stops += 1
        desc = "%s: retort %s, pg_ctl stop -m immediate after %.3f s" % (where, " ".join(args), delay)
        ok = counted = True
        if rc is None:
            h.findings.add("HANG", "%s: retort still ran 60 s after the server stopped\n%s" % (desc, err[-1500:]))
            ok = False
        elif rc != 1 or not CONN_LOST.search(err):
            last = [ln for ln in err.splitlines() if ln.startswith("error:")]
            if rc == 0 and not last:
                sl.log("  %s: retort finished before the stop took effect (not counted)" % desc)
                stops -= 1
                counted = False
            else:
                h.findings.add("ERROR-MESSAGE", "%s: exit %s, expected 1 with a connection-lost message:\n%s"
                               % (desc, rc, err.strip()[-1500:]))
                ok = False
        if rc == 1:
            messages.append(next((ln for ln in err.splitlines() if ln.startswith("error:")), "(no error line)"))
        h.db.quiesce(30)
        snap = h.db.snapshot()
        problems = sl.verify(h.hist, snap)
        applied = h.hist.closure(snap.versions)
        done = reported_done(err, direction)
        if direction == "up" and done - applied:
            problems.append("retort reported %s done, but after the restart they are not applied"
                            % sorted(done - applied))
        if direction == "down" and done & applied:
            problems.append("retort reported the downgrade of %s done, but after the restart they are applied"
                            % sorted(done & applied))
        if problems:
            h.findings.add("LIE", "%s\n  state: %s\n  %s" % (desc, sl.state_text(h.hist, snap), "\n  ".join(problems)))
            ok = False
        if ok and h.complete(args[1:], where, direction):
            survived += counted
            sl.log("  ok: %s: exit %s, %s; %d reported done; rerun completed" % (
                desc, rc, sl.state_text(h.hist, snap), len(done)))
        else:
            h.reset_to(direction)
    secs = time.time() - t0
    nf = len(h.findings.failing())
    line = ("pgstop %-23s seed %-10d server stops %4d, survived %4d, settled by hand + resolve or stamp %d, findings %d, %.0f s"
            % ("postgresql", a.seed, stops, survived, len(h.settled), nf, secs))
    sl.log(line)
    for m in sorted(set(messages)):
        sl.log("  retort said: %s (x%d)" % (m, messages.count(m)))
    sl.write_summary(a.summary, [a.tag + line])
    ok = nf == 0 and stops >= a.stops and survived + known_failures(h) >= stops
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        sl.log("kept %s" % workdir)
    return 0 if ok else 1


# ------------------------------------------------------------------------------------
# The checks can fail
# ------------------------------------------------------------------------------------

def cmd_selftest(a):
    if a.backend == "postgresql":
        pg_args_ok(a)
    workdir = tempfile.mkdtemp(prefix="retort-selftest.", dir=a.workdir)
    h = Harness(a, workdir)
    h.fresh()
    rc, out, err, _ = h.rt.run(["upgrade", "r20"], timeout=300)
    if rc != 0:
        raise SystemExit("selftest: upgrade r20 failed: " + err)
    base = h.db.snapshot()
    if sl.verify(h.hist, base):
        raise SystemExit("selftest: the consistent database fails the checks: %s" % sl.verify(h.hist, base))
    vt, ht = sl.VERSION_TABLE, sl.HISTORY_TABLE
    lies = [
        ("a version row without its revision's effects",
         ["UPDATE %s SET version_num = 'a21'" % vt], ["UPDATE %s SET version_num = 'r20'" % vt],
         "missing from the catalog: rows t_a21=2000, table t_a21"),
        ("effects without a version row",
         ["UPDATE %s SET version_num = 'r19'" % vt], ["UPDATE %s SET version_num = 'r20'" % vt],
         "in the catalog but not applied: index i_r20"),
        ("an index of an applied revision dropped",
         ["DROP INDEX i_r20"], [h.hist.by_id["r20"].up[0].sql],
         "missing from the catalog: index i_r20"),
        ("a false 'applied' history row",
         ["INSERT INTO %s (revision, direction, status, started_at, retort_version) "
          "VALUES ('a21', 'upgrade', 'applied', '2026-01-01', 'x')" % ht],
         ["DELETE FROM %s WHERE revision = 'a21'" % ht],
         "history 'applied' rows say 21 applied, the version rows say 20"),
        ("a successful run recorded as failed",
         ["UPDATE %s SET status = 'failed' WHERE revision = 'r05'" % ht],
         ["UPDATE %s SET status = 'applied' WHERE revision = 'r05'" % ht],
         "history 'applied' rows say 19 applied, the version rows say 20"),
        ("rows inserted twice",
         ["INSERT INTO t_r01 (id, v) SELECT id + 100000, v FROM t_r01"], ["DELETE FROM t_r01 WHERE id > 100000"],
         "rows t_r01=4000"),
        ("a half-applied statement-by-statement revision without its history row",
         [h.hist.by_id["a21"].up[0].sql], ["DROP TABLE t_a21"],
         "in the catalog but not applied: table t_a21"),
    ]
    if h.dialect == "postgresql":
        lies.append(("an index of an applied revision left INVALID",
                     ["UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'i_r20'::regclass"],
                     ["UPDATE pg_index SET indisvalid = true WHERE indexrelid = 'i_r20'::regclass"],
                     "missing from the catalog: index i_r20; in the catalog but not applied: invalid-index i_r20"))
        # the history table has a generated id: no started_at text
        for n, l in enumerate(lies):
            lies[n] = (l[0], [s.replace(", started_at", "").replace("'2026-01-01', ", "") for s in l[1]],
                       [s.replace(", started_at", "").replace("'2026-01-01', ", "") for s in l[2]], l[3])
    failures = 0
    for what, tamper, undo, expect in lies:
        for s in tamper:
            h.db.execute(s)
        problems = sl.verify(h.hist, h.db.snapshot())
        for s in undo:
            h.db.execute(s)
        text = "; ".join(problems)
        if expect in text:
            sl.log("ok: detected %s: %s" % (what, text))
        else:
            failures += 1
            sl.log("FAILED: %s was not reported as expected (%r); got: %s" % (what, expect, text or "(nothing)"))
        again = sl.verify(h.hist, h.db.snapshot())
        if again:
            raise SystemExit("selftest: undoing '%s' left %s" % (what, again))
    if h.dialect == "sqlite":
        # a page of the history table overwritten: integrity_check must say so
        con = __import__("sqlite3").connect(h.db.path)
        page = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (sl.HISTORY_TABLE,)).fetchone()[0]
        psize = con.execute("PRAGMA page_size").fetchone()[0]
        con.close()
        with open(h.db.path, "r+b") as f:
            f.seek((page - 1) * psize + 8)
            f.write(b"\xff" * 64)
        try:
            problems = sl.verify(h.hist, h.db.snapshot())
        except Exception as e:  # a corrupt file may not even be readable
            problems = ["unreadable: %s" % e]
        text = "; ".join(problems)
        if "integrity_check" in text or "malformed" in text or "unreadable" in text:
            sl.log("ok: detected a corrupted page: %s" % text[:300])
        else:
            failures += 1
            sl.log("FAILED: a corrupted page was not reported; got: %s" % (text or "(nothing)"))
    n = len(lies) + (h.dialect == "sqlite")
    line = "selftest %s: %d of %d deliberate lies detected" % (h.db.label, n - failures, n)
    sl.log(line)
    sl.write_summary(a.summary, [a.tag + line])
    shutil.rmtree(workdir, ignore_errors=True)
    return 0 if failures == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["crash", "pgstop", "selftest"])
    ap.add_argument("--retort", default=os.environ.get("RETORT", "./retort"))
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--journal", choices=["delete", "wal"], default="delete",
                    help="SQLite journal mode (delete: rollback journal)")
    ap.add_argument("--kills", type=int, default=200, help="kill points wanted (crash)")
    ap.add_argument("--stops", type=int, default=5, help="server stops wanted (pgstop)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--only", type=int, default=None, help="replay only kill point group I")
    ap.add_argument("--time-limit", type=int, default=0, help="stop after this many seconds (0: none)")
    ap.add_argument("--max-findings", type=int, default=10)
    ap.add_argument("--workdir", default=os.environ.get("STRESS_WORKDIR"),
                    help="where temporary directories go (default $STRESS_WORKDIR, else $TMPDIR)")
    ap.add_argument("--summary", default=None, help="append the figures to this file")
    ap.add_argument("--tag", default="", help="prefix of the summary line (e.g. 'make test: ')")
    ap.add_argument("--pg-host", default=os.environ.get("PGHOST"))
    ap.add_argument("--pg-port", default=os.environ.get("PGPORT", "5432"))
    ap.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    ap.add_argument("--pg-db", default=os.environ.get("PGDATABASE", "postgres"))
    ap.add_argument("--schema", default="crash")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "big") % 1000000000
    if not os.access(a.retort, os.X_OK):
        print("crash.py: %s is not executable (--retort or $RETORT)" % a.retort, file=sys.stderr)
        return 2
    return {"crash": cmd_crash, "pgstop": cmd_pgstop, "selftest": cmd_selftest}[a.command](a)


if __name__ == "__main__":
    sys.exit(main())
