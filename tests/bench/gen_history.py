#!/usr/bin/env python3
"""gen_history.py - writes a synthetic retort project for benchmarks.

    python3 tests/bench/gen_history.py DIR -n N [--branches B] [--url URL] [--labels]

DIR must not exist or be empty. It receives retort.yaml and versions/ with N revision
files in retort's exact format (templates/script.sql.tmpl): a YAML header inside a block
comment, then `-- retort:upgrade` and `-- retort:downgrade` sections.

Shape of the history:
  - linear (--branches 0, the default): r1 <- r2 <- ... <- rN, one base, one head.
  - --branches B: a linear prefix, then B segments. Each segment forks a branch off the
    current trunk tip, continues the trunk alongside it, and ends with a merge revision
    whose down_revision is the YAML list [trunk tip, branch tip] and whose sections are
    empty (a valid no-op). The whole graph still has one base and one head.
    With --labels the first revision of each branch carries branch_labels: [bK].

Each non-merge revision changes the schema a little, cycling per chain (trunk or branch)
through: create a table; create an index on it; create another table; drop the index.
So the schema grows by two tables per four revisions, and every statement is valid in
both SQLite and PostgreSQL. Object names carry the revision's sequence number, so they
never clash between branches. Every downgrade reverses its upgrade exactly.

Ids are 12 lowercase hex digits derived from the sequence number and --seed, so the
same arguments always produce the same project (file for file).
"""
import argparse
import hashlib
import os
import sys

HEADER = """/*
revision: {rev}
down_revision: {down}
branch_labels: {labels}
depends_on: null
message: {msg}
create_date: 2026-01-01T00:00:00Z
*/

-- retort:upgrade
{up}
-- retort:downgrade
{down_sql}"""


def rev_id(seed, seq):
    return hashlib.sha1(f"{seed}:{seq}".encode()).hexdigest()[:12]


class Chain:
    """Per-chain state: position in the 4-step cycle and the objects it may use."""

    def __init__(self):
        self.pos = 0
        self.table = None   # table created at step 0, indexed at step 1
        self.index = None   # index created at step 1, dropped at step 3


def table_ddl(name):
    return f"CREATE TABLE {name} (id integer PRIMARY KEY, name text NOT NULL, created_at text);\n"


def next_change(chain, seq):
    """(upgrade SQL, downgrade SQL, message) for revision seq on chain."""
    step = chain.pos % 4
    chain.pos += 1
    if step == 0:
        t = f"t_{seq:06d}"
        chain.table = t
        return table_ddl(t), f"DROP TABLE {t};\n", f"create table {t}"
    if step == 1:
        ix = f"ix_{seq:06d}"
        chain.index = ix
        return (f"CREATE INDEX {ix} ON {chain.table} (name);\n", f"DROP INDEX {ix};\n",
                f"index {chain.table}.name")
    if step == 2:
        t = f"t_{seq:06d}"
        return table_ddl(t), f"DROP TABLE {t};\n", f"create table {t}"
    ix = chain.index
    return (f"DROP INDEX {ix};\n", f"CREATE INDEX {ix} ON {chain.table} (name);\n",
            f"drop index {ix}")


def yaml_list(items):
    if not items:
        return "null"
    if len(items) == 1:
        return items[0]
    return "[" + ", ".join(items) + "]"


class Writer:
    def __init__(self, versions, seed):
        self.versions = versions
        self.seed = seed
        self.seq = 0
        self.heads = set()

    def add(self, parents, chain, labels=()):
        self.seq += 1
        rid = rev_id(self.seed, self.seq)
        if chain is None:  # merge: empty sections
            up = down_sql = ""
            msg = "merge " + " ".join(parents)
        else:
            up, down_sql, msg = next_change(chain, self.seq)
        text = HEADER.format(rev=rid, down=yaml_list(parents), labels=yaml_list(list(labels)),
                             msg=msg, up=up, down_sql=down_sql)
        slug = msg.replace(" ", "_").replace(".", "_")[:40]
        with open(os.path.join(self.versions, f"{rid}_{slug}.sql"), "w") as f:
            f.write(text)
        for p in parents:
            self.heads.discard(p)
        self.heads.add(rid)
        return rid


def generate(d, n, branches, url, labels, seed):
    if os.path.exists(d) and os.listdir(d):
        sys.exit(f"gen_history.py: {d} is not empty")
    versions = os.path.join(d, "versions")
    os.makedirs(versions, exist_ok=True)
    with open(os.path.join(d, "retort.yaml"), "w") as f:
        f.write(f"script_location: .\ndatabase:\n  url: {url}\n")

    w = Writer(versions, seed)
    trunk = Chain()
    tip = []  # the trunk tip as a parent list ([] for the first revision)
    if branches <= 0:
        for _ in range(n):
            tip = [w.add(tip, trunk)]
        return w

    seg = n // branches
    if seg < 3:
        sys.exit("gen_history.py: need at least 3 revisions per branch (fork, trunk, merge)")
    prefix = n - seg * branches
    if prefix == 0:  # the first fork needs a revision to fork from
        prefix = 1
    for _ in range(prefix):
        tip = [w.add(tip, trunk)]
    left = n - prefix
    for b in range(branches):
        size = seg if b < branches - 1 else left
        left -= size
        body = size - 1              # all but the merge
        blen = body // 2             # revisions on the branch
        tlen = body - blen           # revisions on the trunk alongside it
        fork = tip
        br = Chain()
        btip = fork
        for i in range(blen):
            btip = [w.add(btip, br, labels=[f"b{b + 1}"] if labels and i == 0 else ())]
        for _ in range(tlen):
            tip = [w.add(tip, trunk)]
        tip = [w.add(tip + btip, None)]
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("-n", type=int, required=True, help="number of revisions")
    ap.add_argument("--branches", type=int, default=0, help="branches forked and merged back")
    ap.add_argument("--url", default="sqlite:///app.db", help="database.url in retort.yaml")
    ap.add_argument("--labels", action="store_true", help="a branch label on each branch")
    ap.add_argument("--seed", default="retort-bench")
    a = ap.parse_args()
    w = generate(a.dir, a.n, a.branches, a.url, a.labels, a.seed)
    if w.seq != a.n or len(w.heads) != 1:
        sys.exit(f"gen_history.py: internal error: {w.seq} revisions, {len(w.heads)} heads")
    print(sorted(w.heads)[0])


if __name__ == "__main__":
    main()
