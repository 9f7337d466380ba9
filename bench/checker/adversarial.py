#!/usr/bin/env python3
"""adversarial.py - small run directories built to reach the check stage's rare paths,
for compare.sh: keys written by several workers with write ids out of order, reused
write ids, transactions sharing a write id across keys, indeterminate and failed writes,
instants that tie (ms granularity), strict and aws-documented profiles, and snapshots
that capture a random version of each key (or none). A change to how the checker stores
or walks the history must give byte-identical results.json on all of them.

    bench/checker/adversarial.py OUT_DIR [COUNT] [FIRST_SEED]
    OLD=... NEW=... bench/checker/compare.sh OUT_DIR/*

The histories are in the journal's exact line format (docs/formats.md), with a few lines
in another member order so that the general path is mixed in.
"""
import json
import os
import random
import sys

T0 = 1700000000000000000
MS = 1000000


def op_line(rng, w, s, writes, invoke, complete, outcome, txn):
    ws = []
    for k, wid, kind, ver, st in writes:
        m = '{"k":"%s","wid":"%s","op":"%s"' % (k, wid, kind)
        if kind == "update":
            m += ',"ver":%d' % ver
        if st:
            m += ',"st":"%s"' % st
        ws.append(m + "}")
    line = ('{"type":"op","w":%d,"s":%d,"wl":"register","wi":0,"f":"%s","intended_ns":%d,'
            '"invoke_ns":%d,"complete_ns":%d,"mono_ns":%d,"outcome":"%s","err":%s,'
            '"attempts":1,"wcu":%d,"rcu":0%s,"writes":[%s]}') % (
                w, s, "txn" if txn else "update", invoke, invoke, complete, complete - invoke,
                outcome, "null" if outcome == "ok" else '"InternalServerError"', len(writes),
                ',"txn":true' if txn else "", ",".join(ws))
    if rng.random() < 0.05:  # another member order: the general path reads it
        line = json.dumps(json.loads(line), sort_keys=True)
    return line


def make(out, seed):
    rng = random.Random(seed)
    workers = rng.randint(1, 4)
    nkeys = rng.randint(1, 30)
    keys = ["reg/%d/%d" % (rng.randrange(workers), n) for n in range(nkeys)]
    keys += ["shared/0/%d" % n for n in range(rng.randint(0, 5))]
    seq = [0] * workers
    lines, by_key = [], {}
    t = T0
    for _ in range(rng.randint(1, 200)):
        w = rng.randrange(workers)
        seq[w] += 1
        s = seq[w]
        t += rng.choice([0, 0, MS, 2 * MS, 50 * MS])
        invoke = t
        complete = invoke + rng.choice([0, MS, 3 * MS, 400 * MS])
        outcome = rng.choices(["ok", "fail", "info"], [8, 1, 2])[0]
        txn = rng.random() < 0.3
        n = rng.randint(2, 4) if txn else rng.choice([1, 1, 1, 2])
        wid_s = s if rng.random() > 0.1 else max(1, s - rng.randint(1, 3))  # reused or older
        writes = []
        for k in rng.sample(keys, min(n, len(keys))):
            kind = rng.choices(["update", "put", "delete"], [6, 2, 1])[0]
            ver = len(by_key.get(k, [])) + 1
            st = rng.choice([None, None, None, "ok", "info", "fail"]) if txn else None
            wid = "%d.%d" % (w, wid_s)
            writes.append((k, wid, kind, ver, st))
            by_key.setdefault(k, []).append((wid, kind, ver))
        lines.append(op_line(rng, w, s, writes, invoke, complete, outcome, txn))
    end = t + 10 * MS
    req = T0 + rng.randint(0, max(1, (t - T0) // MS)) * MS
    ack = req + rng.choice([0, MS, 5 * MS])
    guarantee = rng.choice(["aws-documented", "strict", "strict"])
    os.makedirs(os.path.join(out, "snapshots"), exist_ok=True)
    with open(os.path.join(out, "scenario.json"), "w") as f:
        json.dump({"name": "adv-%d" % seed, "seed": seed, "guarantee": guarantee,
                   "table": {"hash_key": "pk"}}, f)
    with open(os.path.join(out, "history.jsonl"), "w") as f:
        f.write(json.dumps({"type": "meta", "format": 1, "run_id": "adv", "scenario": "adv",
                            "seed": seed, "table": "adv-src", "hash_key": "pk",
                            "start_ns": T0, "target": {"kind": "embedded"},
                            "workloads": [{"index": 0, "type": "register",
                                           "threads": workers, "first_worker": 0,
                                           "item_bytes": 16}]}) + "\n")
        for line in lines:
            f.write(line + "\n")
        f.write('{"type":"end","end_ns":%d}\n' % end)
    with open(os.path.join(out, "backups.jsonl"), "w") as f:
        f.write(json.dumps({"type": "backup", "id": "b1", "arn": "arn:adv", "request_ns": req,
                            "ack_ns": ack, "creation_time_ns": req, "status": "AVAILABLE",
                            "available_ns": ack + MS, "size_bytes": 100}) + "\n")
        f.write(json.dumps({"type": "restore", "id": "b1", "kind": "backup", "backup": "b1",
                            "requested_ns": end, "active_ns": end + MS, "status": "ACTIVE",
                            "snapshot": "snapshots/b1.jsonl"}) + "\n")
    with open(os.path.join(out, "snapshots", "b1.jsonl"), "w") as f:
        for k, ws in sorted(by_key.items()):
            if rng.random() < 0.2:
                continue
            wid, kind, ver = rng.choice(ws)
            f.write(json.dumps({"pk": {"S": k}, "wid": {"S": wid}, "ver": {"N": str(ver)}},
                               separators=(",", ":")) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: adversarial.py OUT_DIR [COUNT] [FIRST_SEED]")
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    for seed in range(first, first + count):
        make(os.path.join(out, "adv-%d" % seed), seed)


if __name__ == "__main__":
    main()
