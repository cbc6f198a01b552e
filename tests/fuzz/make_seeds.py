#!/usr/bin/env python3
"""make_seeds.py - (re)writes the seed corpora of retort's fuzz targets, tests/fuzz/corpus/.

    python3 tests/fuzz/make_seeds.py

Seeds come from what the project already holds, so the fuzzers start from inputs retort
really sees: the example projects' revisions and configs, the templates, the test
fixtures, the string literals of the unit tests (check_header.c, check_config.c,
check_split.c, check_script.c, check_vars.c), the malformed-input corpus
(tests/malformed/), and a few hand-written inputs listed below. Each seed is named after
where it came from plus a short hash, so rerunning the script gives the same files; old
seeds of these names are replaced, other files in the corpus directories are left alone.
"""
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def c_string_literals(path):
    """The string literals of a C file, adjacent ones joined, escapes decoded."""
    src = read(path).decode("utf-8", "replace")
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    out = []
    lit = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
    pos, current, last_end = 0, None, -1
    for m in lit.finditer(src):
        between = src[last_end:m.start()] if last_end >= 0 else "x"
        if current is not None and between.strip() == "":
            current += m.group(1)
        else:
            if current is not None:
                out.append(current)
            current = m.group(1)
        last_end = m.end()
    if current is not None:
        out.append(current)
    result = []
    for s in out:
        try:
            b = decode_c(s)
        except ValueError:
            continue
        result.append(b)
    return result


def decode_c(s):
    out = bytearray()
    i = 0
    simple = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, '"': 34, "'": 39, "f": 12, "v": 11, "a": 7, "b": 8}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        i += 1
        if i >= len(s):
            raise ValueError("dangling backslash")
        c = s[i]
        if c == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 1:])
            if not m:
                raise ValueError("bad \\x")
            out.append(int(m.group(0), 16))
            i += 1 + len(m.group(0))
        elif c in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += len(m.group(0))
        elif c in simple:
            out.append(simple[c])
            i += 1
        else:
            raise ValueError("unknown escape")
    return bytes(out)


def files_under(rel, suffixes):
    base = os.path.join(ROOT, rel)
    found = []
    for dirpath, _, names in os.walk(base):
        for n in sorted(names):
            if n.endswith(suffixes):
                found.append(os.path.join(dirpath, n))
    return sorted(found)


HAND = {
    "header": [
        b"/*\nrevision: a1\ndown_revision: null\n*/\n",
        b"/*\nrevision: m1\ndown_revision: [a1, b2]\nbranch_labels: [billing]\ndepends_on: c3\n"
        b"message: \"merge: two\"\ncreate_date: 2026-01-01T00:00:00Z\ntransactional: false\n*/\n",
        b"\xef\xbb\xbf\r\n/*\r\nrevision: a1\r\ndown_revision: ~\r\n*/\r\n",
        b"/*\nrevision: a1\ndown_revision:\n  - b1\n  - c2\nmessage: |\n  multi\n  line\n*/\n",
        b"/*\nrevision: '000123'\ndown_revision: 1e10\nmessage: 'it''s'\n*/",
        b"/*\nrevision: a1\ndown_revision: null\nmessage: &x a\nbranch_labels: *x\n*/\n",
    ],
    "config": [
        b"script_location: .\ndatabase:\n  url: sqlite:///app.db\n",
        b"database:\n  url: \"postgresql://u:pw@h/db?sslmode=require\"\nenvironments:\n  test:\n"
        b"    database:\n      url: sqlite:///test.db\n  production:\n    lock_wait: 2min\n",
        b"version_locations: [a, b, ../c]\nfile_template: \"%(epoch)d_%(rev)s\"\nvariables: {a: 1, b: two}\n",
        b"sqlite:\n  busy_timeout: 250ms\npostgresql:\n  lock_timeout: 1h\n  statement_timeout: 0\n  lock_retries: 2147483647\n",
        b"environments:\n  test:\n    variables:\n      app_role: x\n    version_table: v\n",
        b"database: {url: 'host=/tmp dbname=app password=pw'}\ntransaction: all\n",
    ],
    "target": [
        b"head", b"heads", b"base", b"a1b2", b"a1b2c3", b"billing", b"billing@head",
        b"billing@base", b"billing@+1", b"billing@-1", b"audit.v2-x@head", b"reports@+2",
        b"+1", b"-1", b"+3", b"-2", b"b0+1", b"m1-2", b"a1b2c3+2", b"c1-1", b"r0+1",
        b"base:head", b"a1b2c3:heads", b"current:", b":b1", b"current:current", b"b0:m2",
        b"r0,billing@head:heads", b"a1b2d4,r0:x1", b"heads:base", b"m2:a1b2",
        b"x1@head", b"a1b2c3@head", b"billing@+0", b"b0-99999999999", b"-1000000001",
    ],
    "split": [
        b"CREATE TABLE t (a int);\nINSERT INTO t VALUES ('a;b');\n",
        b"CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET a = 1;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\n",
        b"CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;\nSELECT $$a;b$$;\n",
        b"/* outer /* inner */ still */ SELECT 1;\n-- c;\nSELECT E'\\';', \"x;y\", [a;b], `c;d`;\n",
        b"/*\nrevision: a1\ndown_revision: null\n*/\n-- retort:upgrade\nCREATE TABLE ${schema}.t (r text DEFAULT '${role}');\n"
        b"-- retort:downgrade\nDROP TABLE ${schema}.t;\n",
        b"/*\nrevision: a1\ndown_revision: null\n*/\n-- retort:upgrade\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
        b"VACUUM;\nBEGIN;\n",
        b"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));\nfoo bar;\n) SELECT 1;\n",
    ],
}


def name_for(prefix, data):
    return "%s-%s" % (prefix, hashlib.sha1(data).hexdigest()[:10])


def main():
    seeds = {t: {} for t in ("header", "config", "target", "split")}

    def add(target, prefix, data):
        if data and len(data) <= 65536:
            seeds[target][name_for(prefix, data)] = data

    # revision files: whole files for the header and the splitter
    for path in (files_under("migrations_example/versions", ".sql")
                 + files_under("migrations_example_pg/versions", ".sql")
                 + files_under("tests/fixtures/scripts", ".sql")
                 + files_under("templates", ".tmpl")):
        data = read(path)
        add("header", "file", data)
        add("split", "file", data)
    # configs
    for path in (files_under("tests/fixtures/config", ".yaml")
                 + [os.path.join(ROOT, p) for p in ("migrations_example/retort.yaml",
                                                     "migrations_example_pg/retort.yaml",
                                                     "templates/generic/retort.yaml",
                                                     "templates/postgresql/retort.yaml")]):
        if os.path.exists(path):
            add("config", "file", read(path))
    # unit-test literals
    unit = os.path.join(ROOT, "tests/unit")
    for lit in c_string_literals(os.path.join(unit, "check_header.c")):
        if b"revision" in lit or lit.startswith(b"/*"):
            add("header", "unit", lit)
    for lit in c_string_literals(os.path.join(unit, "check_config.c")):
        if b":" in lit and len(lit) >= 8 and b"\n" in lit:
            add("config", "unit", lit)
    for name in ("check_split.c", "check_script.c", "check_vars.c"):
        for lit in c_string_literals(os.path.join(unit, name)):
            if len(lit) >= 6 and (b";" in lit or b"retort:" in lit or b"${" in lit or b"$$" in lit):
                add("split", "unit", lit)
    # the malformed-input corpus
    mal = os.path.join(ROOT, "tests/malformed")
    if os.path.isdir(mal):
        for dirpath, _, names in os.walk(mal):
            for n in sorted(names):
                path = os.path.join(dirpath, n)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                data = read(path)
                if n.endswith(".sql"):
                    add("header", "malformed", data)
                    add("split", "malformed", data)
                elif n.endswith(".yaml"):
                    add("config", "malformed", data)
                elif n == "target":
                    add("target", "malformed", data.rstrip(b"\n"))
    for target, items in HAND.items():
        for data in items:
            add(target, "hand", data)

    for target, items in seeds.items():
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            if re.match(r"^(file|unit|malformed|hand)-[0-9a-f]{10}$", old):
                os.unlink(os.path.join(d, old))
        for name, data in sorted(items.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print("%-7s %4d seeds" % (target, len(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
