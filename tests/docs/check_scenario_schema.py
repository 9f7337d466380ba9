#!/usr/bin/env python3
"""check_scenario_schema.py SC_TABLES - docs/schema/scenario.schema.json must
  1. be exactly what gen_scenario_schema.py builds from the loader's tables;
  2. accept every bundled scenario (scenarios/*.json), which the loader must accept too;
  3. agree with the real loader (sc_tables --load) on a corpus of valid and invalid
     scenarios: a scenario the schema accepts but backcheck rejects, or the reverse, fails.
Needs python3-jsonschema (Debian); run with /usr/bin/python3."""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BACKCHECK_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
try:
    import jsonschema
except ImportError:
    print("FAIL: the Python module jsonschema is missing: apt-get install python3-jsonschema "
          "(the test runs /usr/bin/python3, not a pyenv/venv interpreter)")
    sys.exit(1)

tool = sys.argv[1]
failures = []

gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_scenario_schema.py"), tool, "--check"],
                     capture_output=True, text=True, env=dict(os.environ, BACKCHECK_SOURCE_DIR=SRC))
print(gen.stdout.strip())
if gen.returncode:
    failures.append("schema is stale (see diff above)")

schema = json.load(open(os.path.join(SRC, "docs", "schema", "scenario.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def loader_accepts(doc, label="case"):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, label + ".json")
        with open(p, "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        r = subprocess.run([tool, "--load", p], capture_output=True, text=True)
        return r.returncode == 0, r.stdout.strip()


def schema_errors(doc):
    return [e.message for e in validator.iter_errors(doc)]


bundled = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.json")))
for path in bundled:
    doc = json.load(open(path))
    errs = schema_errors(doc)
    ok, msg = loader_accepts(open(path).read(), os.path.basename(path)[:-5])
    name = os.path.relpath(path, SRC)
    if errs:
        failures.append("%s: rejected by the schema: %s" % (name, errs[0]))
    if not ok:
        failures.append("%s: rejected by the loader: %s" % (name, msg))
print("bundled scenarios: %d checked" % len(bundled))

BASE = {"workloads": [{"type": "insert"}]}


def case(**kw):
    d = copy.deepcopy(BASE)
    d.update(kw)
    return d


def with_workload(**kw):
    return {"workloads": [dict({"type": "insert"}, **kw)]}


corpus = [
    ("minimal", BASE, True),
    ("full example of scenarios.md", {
        "name": "my-first", "description": "d", "seed": 42, "duration_s": 10,
        "target": {"kind": "embedded", "backup_model": "aws-window", "window_ms": 200},
        "table": {"hash_key": "pk", "billing": "PAY_PER_REQUEST"},
        "workloads": [{"type": "insert", "threads": 2, "rate": 500},
                      {"type": "register", "threads": 2,
                       "keys": {"dist": "zipf", "count": 1000, "theta": 0.99}}],
        "backups": [{"at_s": 3}, {"every_s": 2, "count": 2, "at_s": 5}],
        "restores": [{"from": "each-backup"}],
        "faults": [{"kind": "latency", "at_s": 2, "for_s": 3, "ms": 20}],
        "guarantee": "aws-documented"}, True),
    ("unknown top-level field", case(foo=1), False),
    ("unknown workload field", with_workload(speed=3), False),
    ("rate as a string", with_workload(rate="fast"), False),
    ("rate zero", with_workload(rate=0), False),
    ("threads zero", with_workload(threads=0), False),
    ("threads 257", with_workload(threads=257), False),
    ("threads fractional", with_workload(threads=1.5), False),
    ("inflight 8", with_workload(inflight=8), True),
    ("inflight zero", with_workload(inflight=0), False),
    ("inflight 257", with_workload(inflight=257), False),
    ("bad key distribution", with_workload(keys={"dist": "pareto"}), False),
    ("hotspot keys", with_workload(keys={"dist": "hotspot", "hot_fraction": 0.1, "hot_prob": 0.9}), True),
    ("no workloads", {"duration_s": 5}, False),
    ("empty workloads", {"workloads": []}, False),
    ("backup at_s", case(backups=[{"at_s": 1}]), True),
    ("backup every/count", case(backups=[{"every_s": 2, "count": 3}]), True),
    ("backup at/every/count", case(backups=[{"at_s": 1, "every_s": 2, "count": 3}]), True),
    ("backup after_ops", case(backups=[{"after_ops": 100}]), True),
    ("backup burst", case(backups=[{"burst": 3, "at_s": 2}]), True),
    ("backup every_s alone", case(backups=[{"every_s": 2}]), False),
    ("backup burst without at_s", case(backups=[{"burst": 3}]), False),
    ("backup burst 51", case(backups=[{"burst": 51, "at_s": 1}]), False),
    ("backup empty object", case(backups=[{}]), False),
    ("restore one backup", case(backups=[{"at_s": 1}], restores=[{"from": "b1"}]), True),
    ("restore pitr", case(restores=[{"pitr_at_s": 2}]), True),
    ("restore both shapes", case(restores=[{"from": "each-backup", "pitr_at_s": 2}]), False),
    ("restore bad from", case(restores=[{"from": "all"}]), False),
    ("fault drop fraction", case(faults=[{"kind": "drop", "fraction": 0.01}]), True),
    ("fault drop with ms", case(faults=[{"kind": "drop", "ms": 5}]), False),
    ("fault unknown kind", case(faults=[{"kind": "meteor"}]), False),
    ("fault server-latency ops", case(faults=[{"kind": "server-latency", "ms": 5, "jitter_ms": 2, "ops": "PutItem"}]), True),
    ("fault network latency ops", case(faults=[{"kind": "latency", "ms": 5, "ops": "PutItem"}]), False),
    ("fault error after", case(faults=[{"kind": "error", "fraction": 0.1, "after": True}]), True),
    ("fault delete-source without at_s", case(faults=[{"kind": "delete-source"}]), False),
    ("fault delete-source at_s", case(faults=[{"kind": "delete-source", "at_s": 5}]), True),
    ("fault fraction 2", case(faults=[{"kind": "drop", "fraction": 2}]), False),
    ("guarantee strict", case(guarantee="strict"), True),
    ("guarantee unknown name", case(guarantee="linearizable"), False),
    ("guarantee explicit", case(guarantee={"before_s": 5, "after_s": 5, "atomic_txn": True}), True),
    ("guarantee explicit unknown member", case(guarantee={"before_s": 5, "single_cut": True}), False),
    ("budget", case(budget={"max_usd": 2.5}), True),
    ("budget negative", case(budget={"max_usd": -1}), False),
    ("name with a space", case(name="my run"), False),
    ("name with a slash", case(name="../x"), False),
    ("seed negative", case(seed=-1), False),
    ("seed 2^53", case(seed=2 ** 53), False),
    ("expect", case(expect="fail"), True),
    ("expect bad", case(expect="maybe"), False),
    ("target aws", case(target={"kind": "aws", "region": "eu-west-1"}), True),
    ("target bad kind", case(target={"kind": "gcp"}), False),
    ("window_ms too large", case(target={"window_ms": 600001}), False),
    ("range_key set", case(table={"range_key": "sk"}), False),
    ("range_key null", case(table={"range_key": None}), True),
    ("gsi", case(table={"gsi": [{"name": "by_x", "hash_key": "x"}]}), True),
    ("gsi without hash_key", case(table={"gsi": [{"name": "by_x"}]}), False),
    ("billing provisioned", case(table={"billing": "PROVISIONED", "read_capacity": 5, "write_capacity": 5}), True),
    ("billing bad", case(table={"billing": "ON_DEMAND"}), False),
    ("duration zero", case(duration_s=0), False),
    ("item_bytes too large", with_workload(item_bytes=500000), False),
    ("txn sizes", {"workloads": [{"type": "txn", "txn_min": 2, "txn_max": 5}]}, True),
    ("txn_max 101", {"workloads": [{"type": "txn", "txn_max": 101}]}, False),
    ("batch_items 26", {"workloads": [{"type": "batch", "batch_items": 26}]}, False),
]

agree = 0
for name, doc, expect_ok in corpus:
    s_ok = not schema_errors(doc)
    l_ok, msg = loader_accepts(doc)
    if s_ok != l_ok:
        failures.append("%s: schema %s but the loader %s (%s)" % (
            name, "accepts" if s_ok else "rejects", "accepts" if l_ok else "rejects", msg))
    elif s_ok != expect_ok:
        failures.append("%s: both %s, expected %s" % (
            name, "accept" if s_ok else "reject", "accept" if expect_ok else "reject"))
    else:
        agree += 1
print("corpus: %d of %d scenarios judged alike by the schema and the loader" % (agree, len(corpus)))

for f in failures:
    print("FAIL:", f)
if not failures:
    print("PASS")
sys.exit(1 if failures else 0)
