#!/usr/bin/env python3
"""worked_example.py BACKCHECK - the worked example of docs/checkers.md is checked, not
just written: this script reads the history table and the expected results from the page
itself (between the `worked-example:*` markers), builds that history as a run directory
in the formats of docs/formats.md, runs `BACKCHECK check RUN_DIR` under each profile the
page shows, and compares the verdicts, exit codes, counts, cuts and findings with what the
page says. Any difference fails. The results.json files it produces are kept (under
$BACKCHECK_BINARY_DIR/docs-worked-example/) for the results schema test."""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BACKCHECK_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(os.environ.get("BACKCHECK_BINARY_DIR") or "/tmp", "docs-worked-example")
PAGE = os.path.join(SRC, "docs", "checkers.md")

R = 1764000000000000000          # 2025-11-24T16:00:00Z: the backup request instant
MS = 1000000
A = R + 200 * MS                 # acknowledged 200 ms later
SEED = 7


def section(text, name):
    m = re.search(r"<!-- worked-example:%s -->\n(.*?)<!-- /worked-example:%s -->" % (name, name),
                  text, re.S)
    if not m:
        sys.exit("FAIL: docs/checkers.md has no worked-example:%s section" % name)
    return m.group(1)


def parse_history(block):
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 7 or not cells[0].startswith("w") or not cells[0][1:].isdigit():
            continue
        name, key, wid, inv, cmp, b1, b2 = cells[:7]
        rows.append({"name": name, "key": key.strip("`"), "wid": wid.strip("`"),
                     "invoke_ms": float(inv.replace("−", "-").replace("+", "")),
                     "complete_ms": float(cmp.replace("−", "-").replace("+", "")),
                     "b1": b1.startswith("yes"), "b2": b2.startswith("yes")})
    return rows


def parse_expected(block):
    m = re.search(r"```json\n(.*?)```", block, re.S)
    if not m:
        sys.exit("FAIL: the worked-example:expected section holds no json block")
    return json.loads(m.group(1))


def ns(ms):
    return R + int(round(ms * MS))


def build(rows, d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "snapshots"))
    scenario = {"name": "worked-example", "seed": SEED, "duration_s": 300,
                "target": {"kind": "embedded"},
                "table": {"hash_key": "pk", "range_key": None, "billing": "PAY_PER_REQUEST",
                          "gsi": []},
                "workloads": [{"type": "insert", "threads": 2}],
                "guarantee": "aws-documented"}
    json.dump(scenario, open(os.path.join(d, "scenario.json"), "w"), indent=2)
    start = ns(-125000)
    with open(os.path.join(d, "history.jsonl"), "w") as h:
        h.write(json.dumps({"type": "meta", "format": 1, "backcheck_version": "0.1.0",
                            "run_id": "doc", "scenario": "worked-example", "seed": SEED,
                            "table": "backcheck-doc-src", "hash_key": "pk", "start_ns": start,
                            "target": {"kind": "embedded"},
                            "workloads": [{"index": 0, "type": "insert", "threads": 2,
                                           "first_worker": 0, "item_bytes": 0}]}) + "\n")
        events = []
        for r in rows:
            w, s = (int(x) for x in r["wid"].split("."))
            events.append((ns(r["complete_ms"]), {
                "type": "op", "w": w, "s": s, "wl": "insert", "wi": 0, "f": "put",
                "intended_ns": ns(r["invoke_ms"]), "invoke_ns": ns(r["invoke_ms"]),
                "complete_ns": ns(r["complete_ms"]),
                "mono_ns": ns(r["complete_ms"]) - ns(r["invoke_ms"]),
                "outcome": "ok", "err": None, "attempts": 1, "wcu": 1, "rcu": 0,
                "writes": [{"k": r["key"], "wid": r["wid"], "op": "put", "ver": 1}]}))
        events.append((R, {"type": "backup", "id": "b1", "event": "requested",
                           "request_ns": R, "ack_ns": A}))
        events.append((R, {"type": "backup", "id": "b2", "event": "requested",
                           "request_ns": R, "ack_ns": A}))
        for _, e in sorted(events, key=lambda x: x[0]):
            h.write(json.dumps(e) + "\n")
        h.write(json.dumps({"type": "end", "end_ns": ns(95000), "reason": "completed",
                            "ops": len(rows)}) + "\n")
    with open(os.path.join(d, "backups.jsonl"), "w") as b:
        for bid in ("b1", "b2"):
            b.write(json.dumps({"type": "backup", "id": bid, "name": "backcheck-doc-" + bid,
                                "arn": "arn:aws:dynamodb:us-east-1:000000000000:table/"
                                       "backcheck-doc-src/backup/0176400000000" + bid[1] + "-doc",
                                "request_ns": R, "ack_ns": A, "creation_time_ns": R,
                                "status": "CREATING"}) + "\n")
            b.write(json.dumps({"type": "backup", "id": bid, "status": "AVAILABLE",
                                "available_ns": A + 500 * MS, "size_bytes": 800}) + "\n")
            items = [r for r in rows if r[bid]]
            b.write(json.dumps({"type": "restore", "id": bid, "kind": "backup", "backup": bid,
                                "table": "backcheck-doc-r-" + bid, "requested_ns": A + 600 * MS,
                                "active_ns": A + 900 * MS, "status": "ACTIVE",
                                "items": len(items), "scan_s": 0.01, "scan_rcu": 0.5,
                                "snapshot": "snapshots/%s.jsonl" % bid}) + "\n")
            with open(os.path.join(d, "snapshots", bid + ".jsonl"), "w") as s:
                for r in items:
                    s.write(json.dumps({"pk": {"S": r["key"]}, "wid": {"S": r["wid"]},
                                        "ver": {"N": "1"}}) + "\n")
        b.write(json.dumps({"type": "source", "id": "source", "table": "backcheck-doc-src",
                            "items": len(rows), "snapshot": "snapshots/source.jsonl"}) + "\n")
    with open(os.path.join(d, "snapshots", "source.jsonl"), "w") as s:
        for r in rows:
            s.write(json.dumps({"pk": {"S": r["key"]}, "wid": {"S": r["wid"]},
                                "ver": {"N": "1"}}) + "\n")


def compare(profile, want, got, rc, failures):
    def fail(msg):
        failures.append("%s: %s" % (profile, msg))
    if got.get("verdict") != want["verdict"]:
        fail("verdict %s, the page says %s" % (got.get("verdict"), want["verdict"]))
    if rc != want["exit"]:
        fail("exit code %d, the page says %d" % (rc, want["exit"]))
    backups = {b["id"]: b for b in got.get("backups", [])}
    for bid, wb in want["backups"].items():
        gb = backups.get(bid)
        if gb is None:
            fail("%s missing from results.json" % bid)
            continue
        if gb.get("verdict") != wb["verdict"]:
            fail("%s verdict %s, the page says %s" % (bid, gb.get("verdict"), wb["verdict"]))
        for k, v in wb["counts"].items():
            if gb["counts"].get(k) != v:
                fail("%s counts.%s = %s, the page says %s" % (bid, k, gb["counts"].get(k), v))
        for k, v in wb["cut"].items():
            if k.endswith("_ms_from_R"):  # lo_ms_from_R = (cut.lo_ns - R) / 1e6
                g = gb["cut"].get(k[:2] + "_ns")
                g = None if g is None else (g - R) / MS
            else:
                g = gb["cut"].get(k)
            if g != v:
                fail("%s cut.%s = %s, the page says %s" % (bid, k, g, v))
        if gb.get("exercised") != wb["exercised"]:
            fail("%s exercised %s, the page says %s" % (bid, gb.get("exercised"), wb["exercised"]))
        kinds = {}
        for f in gb.get("findings", []):
            key = "%s/%s/%s" % (f["kind"], f["severity"], f.get("key"))
            kinds[key] = kinds.get(key, 0) + 1
        if kinds != wb["findings"]:
            fail("%s findings %s, the page says %s" % (bid, kinds, wb["findings"]))


def main():
    bc = sys.argv[1] if len(sys.argv) > 1 else ""
    if not bc or not os.access(bc, os.X_OK):
        print("SKIP: no backcheck binary in this build")
        sys.exit(77)
    text = open(PAGE).read()
    rows = parse_history(section(text, "history"))
    if len(rows) != 8:
        sys.exit("FAIL: expected 8 writes in the page's history table, found %d" % len(rows))
    expected = parse_expected(section(text, "expected"))
    failures = []
    for profile, want in expected.items():
        d = os.path.join(OUT, profile)
        build(rows, d)
        cmd = [bc, "check", d, "--quiet"]
        if profile != "aws-documented":
            cmd += ["--profile", profile]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode == 2:
            failures.append("%s: backcheck check could not check: %s" % (profile, p.stderr))
            continue
        got = json.load(open(os.path.join(d, "results.json")))
        compare(profile, want, got, p.returncode, failures)
        print("%s: %s (exit %d)" % (profile, got.get("verdict"), p.returncode))
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("PASS: the worked example of docs/checkers.md is what backcheck computes")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
