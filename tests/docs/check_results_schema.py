#!/usr/bin/env python3
"""check_results_schema.py [BACKCHECK] - docs/schema/results.schema.json must describe
what backcheck really writes:
  1. a results.json produced now by `backcheck run scenarios/quick.json --out TMP`;
  2. every results.json found under the build tree (integration runs, the worked example);
  3. and it must reject broken results (a mutation corpus), so this test can fail.
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
BIN = os.environ.get("BACKCHECK_BINARY_DIR") or ""
try:
    import jsonschema
except ImportError:
    print("FAIL: the Python module jsonschema is missing: apt-get install python3-jsonschema "
          "(the test runs /usr/bin/python3, not a pyenv/venv interpreter)")
    sys.exit(1)

schema = json.load(open(os.path.join(SRC, "docs", "schema", "results.schema.json")))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
failures = []


def errors(doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message[:200])
            for e in validator.iter_errors(doc)]


checked = []
bc = sys.argv[1] if len(sys.argv) > 1 else ""
tmp = tempfile.mkdtemp(prefix="bc-docs-results-")
if bc and os.access(bc, os.X_OK):
    p = subprocess.run([bc, "run", os.path.join(SRC, "scenarios", "quick.json"), "--out", tmp,
                        "--quiet"], capture_output=True, text=True, timeout=240, cwd=tmp)
    produced = glob.glob(os.path.join(tmp, "quick", "latest", "results.json"))
    if p.returncode == 2 or not produced:
        failures.append("backcheck run scenarios/quick.json (exit %d) left no results.json: %s"
                        % (p.returncode, p.stderr[-500:]))
    checked += produced
else:
    print("note: no backcheck binary in this build; validating the results found in the tree")

if BIN:
    checked += [f for f in glob.glob(os.path.join(BIN, "**", "results.json"), recursive=True)
                if not f.startswith(tmp)]
if not checked:
    print("SKIP: no results.json to validate (no backcheck binary, no runs in the build tree)")
    sys.exit(77)

sample = None
for path in sorted(set(checked)):
    try:
        doc = json.load(open(path))
    except ValueError as e:
        failures.append("%s: not JSON: %s" % (path, e))
        continue
    errs = errors(doc)
    for e in errs[:5]:
        failures.append("%s: %s" % (path, e))
    if not errs and doc.get("backups") and sample is None:
        sample = doc
print("results.json validated: %d" % len(set(checked)))

# The schema must reject what a reader could not use.
if sample:
    def mut(fn):
        d = copy.deepcopy(sample)
        fn(d)
        return d
    bad = {
        "no verdict": mut(lambda d: d.pop("verdict")),
        "verdict 'ok'": mut(lambda d: d.__setitem__("verdict", "ok")),
        "unknown finding kind": mut(lambda d: d["backups"][0]["findings"].append(
            {"kind": "MISSING", "severity": "violation", "key": "k", "op_ids": [], "detail": ""})),
        "severity 'error'": mut(lambda d: d["backups"][0]["findings"].append(
            {"kind": "LOST", "severity": "error", "key": "k", "op_ids": [], "detail": ""})),
        "op id not W.S": mut(lambda d: d["backups"][0]["findings"].append(
            {"kind": "LOST", "severity": "violation", "key": "k", "op_ids": ["x"], "detail": ""})),
        "cut kind 'exact'": mut(lambda d: d["backups"][0]["cut"].__setitem__("kind", "exact")),
        "counts without lost": mut(lambda d: d["backups"][0]["counts"].pop("lost")),
        "exercised missing": mut(lambda d: d["backups"][0].pop("exercised")),
        "request_ns a string": mut(lambda d: d["backups"][0].__setitem__("request_ns", "now")),
        "results_format 2": mut(lambda d: d.__setitem__("results_format", 2)),
        "profile unknown": mut(lambda d: d.__setitem__("profile", "linearizable")),
    }
    for name, doc in bad.items():
        if not errors(doc):
            failures.append("the schema accepts a broken results.json (%s)" % name)
    print("mutations rejected: %d of %d" % (len(bad) - sum(1 for d in bad.values() if not errors(d)), len(bad)))
else:
    failures.append("no valid results.json with backups to mutate")

subprocess.run(["rm", "-rf", tmp])
for f in failures:
    print("FAIL:", f)
if not failures:
    print("PASS")
sys.exit(1 if failures else 0)
