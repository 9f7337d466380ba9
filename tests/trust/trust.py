#!/usr/bin/env python3
"""trust.py - the trust tests of backcheck's checkers.

A checker is trusted only once a test shows that it catches every kind of damage the
embedded emulator's fault models inject, and that it raises no alarm on a correct backup.
Each case runs the real `backcheck` binary on the embedded emulator and compares what the
check stage reported (results.json) with what the emulator really did: backups.jsonl
carries the emulator's truth for every backup and point-in-time restore (the true cut per
partition and the damage each fault model did, with keys). The expectations below are
derived independently from history.jsonl and that truth, never from results.json itself.

    trust.py BACKCHECK SCENARIO_DIR fault KIND      one fault model (drop, phantom, tear-txn,
                                                    cut-early, cut-late, resurrect,
                                                    pitr-ignore-time)
    trust.py BACKCHECK SCENARIO_DIR clean [SEEDS]   no false alarm, SEEDS seeds (default 20) x
                                                    {exact, aws-window}, every workload;
                                                    also checks cut accuracy on every run
    trust.py BACKCHECK SCENARIO_DIR accuracy [SEEDS]  the inferred cut against the true cut
    trust.py BACKCHECK SCENARIO_DIR recheck         `backcheck check RUN_DIR` reproduces
                                                    results.json byte for byte (but
                                                    checked_at)
    trust.py BACKCHECK SCENARIO_DIR recheck-override  the same after `run --profile strict`

Exit 0 when every assertion held, 1 otherwise (each failure is printed with its numbers);
the run directories of a failed case are kept and their paths printed.
Standard library only.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

NS = 1_000_000_000
FINDING_KINDS = {"LOST", "FUTURE", "PHANTOM", "PHANTOM_FAIL", "RESURRECTED", "TORN_TXN",
                 "INVARIANT", "ORDER", "SCHEMA"}
VERDICT_EXIT = {"pass": 0, "fail": 1, "inconclusive": 3}


class Case:
    """Collects failures instead of stopping at the first one, so a report lists them all."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.keep = []

    def check(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            print(f"FAIL [{self.name}]: {msg}", file=sys.stderr)
        return cond

    def note(self, msg):
        print(f"[{self.name}] {msg}")


# ---------------------------------------------------------------- reading a run directory


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a torn last line of a killed run; readers skip it
    return out


class Run:
    """One run directory: results, history (ops, writes by key) and merged backups.jsonl."""

    def __init__(self, run_dir, rc=None, out=""):
        self.dir = run_dir
        self.rc = rc
        self.out = out
        with open(os.path.join(run_dir, "results.json"), encoding="utf-8") as f:
            self.results = json.load(f)
        self.meta = None
        self.ops = []
        for line in read_jsonl(os.path.join(run_dir, "history.jsonl")):
            if line.get("type") == "meta":
                self.meta = line
            elif line.get("type") == "op":
                self.ops.append(line)
        # Every id a finding may name: an op's "W.S" and every write's wid (a batch gives
        # each item its own wid).
        self.ids = set()
        self.writes = {}  # key -> [(op, write)] in the owner's sequence order
        for op in self.ops:
            self.ids.add(f"{op['w']}.{op['s']}")
            for w in op.get("writes") or []:
                self.ids.add(w["wid"])
                self.writes.setdefault(w["k"], []).append((op, w))
        for lst in self.writes.values():
            lst.sort(key=lambda ow: (ow[0]["w"], ow[0]["s"]))
        self.events = {}
        for line in read_jsonl(os.path.join(run_dir, "backups.jsonl")):
            self.events.setdefault((line.get("type"), line.get("id")), {}).update(line)

    def entries(self):
        """(entry of results.json, its merged backups.jsonl event) for backups and PITRs."""
        for b in self.results.get("backups") or []:
            yield b, self.events.get(("backup", b["id"]), {})
        for p in self.results.get("pitr") or []:
            yield p, self.events.get(("restore", p["id"]), {})

    def entry(self, ident):
        for e, ev in self.entries():
            if e["id"] == ident:
                return e, ev
        return None, None


def outcome(op, w):
    return w.get("st") or op["outcome"]


def truth_of(ev):
    return ev.get("truth") or {}


def damage_of(ev, fault):
    """Damage entries of one fault model, as (key or None, detail). A backup's truth is
    recorded with lower-case fields; a PITR's as the emulator answered (Fault, Key, Detail)."""
    out = []
    for d in truth_of(ev).get("damage") or []:
        f = d.get("fault", d.get("Fault"))
        if f != fault:
            continue
        key = d.get("key")
        if key is None and isinstance(d.get("Key"), dict):
            for av in d["Key"].values():
                key = av.get("S")
        out.append((key, d.get("detail", d.get("Detail", ""))))
    return out


# ---------------------------------------------------------------- running backcheck


def bc_run(bc, scenario, work, args=()):
    """backcheck run SCENARIO --out WORK/runs; returns the Run of the newest directory."""
    env = dict(os.environ, CI="1")
    out_dir = os.path.join(work, "runs")
    p = subprocess.run([bc, "run", scenario, "--out", out_dir, "--quiet", *args],
                       capture_output=True, text=True, env=env, timeout=300)
    with open(scenario, encoding="utf-8") as f:
        name = json.load(f).get("name") or os.path.basename(scenario)[:-5]
    latest = os.path.join(out_dir, name, "latest")
    if not os.path.islink(latest):
        raise RuntimeError(f"backcheck run {scenario} left no run directory (exit "
                           f"{p.returncode}): {p.stderr.strip()[-500:]}")
    return Run(os.path.realpath(latest), p.returncode, p.stdout + p.stderr)


def bc_check(bc, run_dir, args=()):
    env = dict(os.environ, CI="1")
    p = subprocess.run([bc, "check", run_dir, "--quiet", *args], capture_output=True,
                       text=True, env=env, timeout=300)
    return p.returncode, p.stdout + p.stderr


def recheck_copy(bc, run, profile):
    """The run re-checked under another profile, in a copy of its directory."""
    copy = run.dir + "-" + profile
    shutil.copytree(run.dir, copy)
    rc, out = bc_check(bc, copy, ["--profile", profile])
    return Run(copy, rc, out)


# ---------------------------------------------------------------- assertions shared by cases


def check_verdict(case, run, want):
    r = run.results
    case.check(r.get("verdict") == want,
               f"verdict {r.get('verdict')!r} ({r.get('verdict_reason')}), want {want!r}")
    case.check(run.rc == VERDICT_EXIT[want], f"exit code {run.rc}, want {VERDICT_EXIT[want]}")


def check_profile(case, run, want):
    g = run.results.get("guarantee") or {}
    for k, v in want.items():
        case.check(g.get(k) == v, f"guarantee.{k} = {g.get(k)!r}, want {v!r}")


def check_evidence(case, run, entry):
    """Every finding is well formed and its op ids are ops or writes of history.jsonl; its
    list was not cut (so that "names every damaged key" can be decided)."""
    case.check("findings_listed" not in entry,
               f"{entry['id']}: findings list was cut ({entry.get('findings_listed')}); the "
               f"scenario damages too much for this test")
    for f in entry.get("findings") or []:
        case.check(f.get("kind") in FINDING_KINDS, f"{entry['id']}: unknown kind {f.get('kind')}")
        case.check(f.get("severity") in ("violation", "observation"),
                   f"{entry['id']}: {f.get('kind')} has severity {f.get('severity')!r}")
        bad = [i for i in f.get("op_ids") or [] if i not in run.ids]
        case.check(not bad, f"{entry['id']}: {f['kind']} on {f.get('key')} names op ids "
                            f"{bad} that are not in history.jsonl")
        case.check(isinstance(f.get("detail"), str) and f["detail"],
                   f"{entry['id']}: {f.get('kind')} on {f.get('key')} has no detail")


def findings(entry, kind=None, severity=None):
    return [f for f in entry.get("findings") or []
            if (kind is None or f["kind"] == kind) and (severity is None or f["severity"] == severity)]


def violation_kinds(entry):
    return {f["kind"] for f in findings(entry, severity="violation")}


def last_before(run, key, t_ns, outcomes=("ok",)):
    """The latest (in key order) write on key with the given outcome that completed before
    t_ns, or None."""
    best = None
    for op, w in run.writes.get(key, []):
        if outcome(op, w) in outcomes and op["complete_ns"] < t_ns:
            best = (op, w)
    return best


def first_after(run, key, t_ns):
    """The first acknowledged write on key invoked after t_ns, or None."""
    for op, w in run.writes.get(key, []):
        if outcome(op, w) == "ok" and op["invoke_ns"] > t_ns:
            return op, w
    return None


def report_sets(case, what, required, reported, allowed):
    """required ⊆ reported ⊆ allowed, with the differences printed."""
    missed = sorted(required - reported)
    case.check(not missed, f"{what}: {len(missed)} of {len(required)} keys the truth requires "
                           f"were not reported, e.g. {missed[:8]}")
    extra = sorted(reported - allowed)
    case.check(not extra, f"{what}: {len(extra)} reported keys the truth does not explain "
                          f"(false alarms), e.g. {extra[:8]}")
    case.note(f"{what}: required {len(required)}, reported {len(reported)}, "
              f"explained {len(reported & allowed)}")


def snapshot(run, ev):
    """The restored items of a backup or PITR: key -> item (DynamoDB wire shape)."""
    path = ev.get("snapshot") or (run.events.get(("restore", ev.get("id")), {}) or {}).get(
        "snapshot")
    items = {}
    if path:
        for it in read_jsonl(os.path.join(run.dir, path)):
            pk = it.get((run.meta or {}).get("hash_key", "pk"), {}).get("S")
            if pk is not None:
                items[pk] = it
    return items


def check_invariant(case, run, entry, ev, tag):
    """A bank workload's balances, summed straight from the snapshot: when every account is
    in it and the sum is not the workload's total, an INVARIANT finding must say so (a
    violation when transactions must be atomic, an observation otherwise); when the sum
    holds, there must be none."""
    banks = [w for w in (run.meta or {}).get("workloads") or [] if w.get("type") == "bank"]
    if not banks:
        return
    items = snapshot(run, ev)
    atomic = (run.results.get("guarantee") or {}).get("atomic_txn")
    inv = findings(entry, "INVARIANT")
    broken = 0
    for w in banks:
        keys = [f"bank/{wk}/{i}" for wk in range(w["first_worker"], w["first_worker"] + w["threads"])
                for i in range(w["accounts"])]
        if not all(k in items for k in keys):
            continue
        total = sum(int(items[k]["bal"]["N"]) for k in keys)
        if total != w["bank_total"]:
            broken += 1
            case.note(f"{tag}: bank workload {w['index']} sums to {total}, not "
                      f"{w['bank_total']}: {len(inv)} INVARIANT finding(s)")
            case.check(inv, f"{tag}: bank workload {w['index']} sums to {total} in the snapshot, "
                            f"not {w['bank_total']}, and no INVARIANT finding says so")
            sev = "violation" if atomic else "observation"
            case.check(all(f["severity"] == sev for f in inv),
                       f"{tag}: INVARIANT severities {[f['severity'] for f in inv]}, want {sev}")
    case.check(broken or not inv, f"{tag}: INVARIANT reported but every bank total holds in the "
                                  f"snapshot: {[f['detail'] for f in inv][:2]}")


# ---------------------------------------------------------------- fault cases

STRICT = {"name": "strict", "before_s": 0, "after_s": 0, "atomic_txn": True}
HALF_S = {"name": "explicit", "before_s": 0.5, "after_s": 0.5}
AWS_DOC = {"name": "aws-documented", "before_s": 60, "after_s": 60, "atomic_txn": False}


def single_backup(case, run):
    b, ev = run.entry("b1")
    if not case.check(b is not None and ev, "no backup b1 in results.json/backups.jsonl"):
        return None, None
    case.check(b.get("status") == "AVAILABLE", f"b1 status {b.get('status')}")
    case.check(bool(truth_of(ev)), "backups.jsonl has no truth for b1")
    check_evidence(case, run, b)
    case.check(b.get("verdict") == "fail", f"b1 verdict {b.get('verdict')}, want fail")
    return b, ev


def fault_drop(case, bc, scn, work):
    """trust-drop: inserts and registers; trust-drop-all: every workload, two backups (both
    exact, strict); trust-drop-window: aws-window model, 0.5 s window. A dropped item is
    reported on its key whenever some acknowledged write of the key completed before
    R - before: as LOST, or as FUTURE when a later delete of the key (one that had to be
    absent) explains the absence just as well. Either way the evidence
    names the key; no other key is blamed."""
    for name, prof in (("trust-drop.json", STRICT), ("trust-drop-all.json", STRICT),
                       ("trust-drop-window.json", HALF_S)):
        run = bc_run(bc, os.path.join(scn, name), work)
        case.keep.append(run.dir)
        check_verdict(case, run, "fail")
        check_profile(case, run, prof)
        case.check(not run.results["source"].get("findings"),
                   f"{name}: the source table has findings: drop only damages backups")
        required_all = 0
        for b, ev in run.entries():
            tag = f"{name} {b['id']}"
            case.check(b.get("status") == "AVAILABLE", f"{tag}: status {b.get('status')}")
            case.check(bool(truth_of(ev)), f"{tag}: backups.jsonl has no truth")
            check_evidence(case, run, b)
            damaged = {k for k, _ in damage_of(ev, "drop")}
            if not damaged:
                continue
            case.check(b.get("verdict") == "fail", f"{tag}: verdict {b.get('verdict')}")
            kinds = violation_kinds(b)
            case.check(kinds <= {"LOST", "FUTURE", "TORN_TXN"},
                       f"{tag}: violation kinds {kinds}, want LOST (FUTURE, TORN_TXN)")
            case.check("LOST" in kinds, f"{tag}: no LOST violation")
            r_ns = b["request_ns"] - int(prof["before_s"] * NS)
            # Decidable: the key's latest write acknowledged before R - before is not a
            # delete, so the backup had to hold an item for it, and holds none.
            required = set()
            for k in damaged:
                need = last_before(run, k, r_ns)
                if need and need[1]["op"] != "delete":
                    required.add(k)
            required_all += len(required)
            named = findings(b, "LOST", "violation") + findings(b, "FUTURE", "violation")
            report_sets(case, f"{tag}: drop -> LOST", required, {f["key"] for f in named}, damaged)
            for f in findings(b, "LOST", "violation"):
                need = last_before(run, f["key"], r_ns)
                if need and "no single instant" not in f.get("detail", ""):
                    case.check(need[1]["wid"] in f["op_ids"] or len(f["op_ids"]) >= 16,
                               f"{tag}: LOST {f['key']} names {f['op_ids']}, not its "
                               f"must-present write {need[1]['wid']}")
            torn_missing = {k for f in findings(b, "TORN_TXN") for k in f.get("missing") or []}
            case.check(torn_missing <= damaged, f"{tag}: TORN_TXN lists undamaged keys as "
                                                f"missing: {sorted(torn_missing - damaged)[:8]}")
            check_invariant(case, run, b, ev, tag)
        case.check(required_all, f"{name}: no dropped key had a must-present write: the "
                                 f"fault was not observable")


def fault_phantom(case, bc, scn, work):
    run = bc_run(bc, os.path.join(scn, "trust-phantom.json"), work)
    case.keep.append(run.dir)
    check_verdict(case, run, "fail")
    check_profile(case, run, STRICT)
    b, ev = single_backup(case, run)
    if b is None:
        return
    damaged = {k for k, _ in damage_of(ev, "phantom")}
    case.check(len(damaged) == 3, f"truth lists {len(damaged)} phantoms, want 3")
    case.check(violation_kinds(b) == {"PHANTOM"},
               f"violation kinds {violation_kinds(b)}, want PHANTOM")
    ph = findings(b, "PHANTOM", "violation")
    report_sets(case, "phantom -> PHANTOM", damaged, {f["key"] for f in ph}, damaged)
    for k in damaged:
        case.check(k not in run.writes, f"phantom key {k} is in the history")
    # A value nobody wrote is a violation under every profile, however wide the window.
    again = recheck_copy(bc, run, "aws-documented")
    check_verdict(case, again, "fail")
    b2, _ = again.entry("b1")
    got = {f["key"] for f in findings(b2, "PHANTOM", "violation")}
    case.check(got == damaged, f"aws-documented: PHANTOM keys {sorted(got)}, want {sorted(damaged)}")


def fault_tear_txn(case, bc, scn, work):
    profiles = [("strict", STRICT, "violation", "fail"),
                ("explicit", dict(HALF_S, atomic_txn=True), "violation", "fail"),
                ("aws", AWS_DOC, "observation", "pass")]
    for tag, prof, sev, verdict in profiles:
        run = bc_run(bc, os.path.join(scn, f"trust-tear-txn-{tag}.json"), work)
        case.keep.append(run.dir)
        check_verdict(case, run, verdict)
        check_profile(case, run, prof)
        b, ev = run.entry("b1")
        if not case.check(b is not None and truth_of(ev), f"{tag}: no backup b1 with truth"):
            continue
        check_evidence(case, run, b)
        case.check(b.get("verdict") == verdict, f"{tag}: b1 verdict {b.get('verdict')}")
        # The truth's damage, grouped by the emulator's transaction number.
        txns = {}
        for k, detail in damage_of(ev, "tear-txn"):
            m = re.match(r"transaction (\d+):", detail)
            txns.setdefault(m.group(1) if m else detail, set()).add(k)
        case.check(txns, f"{tag}: the tear-txn fault tore nothing")
        damaged = set().union(*txns.values()) if txns else set()
        torn = findings(b, "TORN_TXN")
        case.check(all(f["severity"] == sev for f in torn),
                   f"{tag}: TORN_TXN severities {sorted({f['severity'] for f in torn})}, want {sev}")
        # Each torn transaction is reported once, its rolled-back keys listed as missing,
        # naming the transaction's write id; no TORN_TXN names an undamaged key as missing.
        matched = 0
        for tid, keys in txns.items():
            hit = [f for f in torn if keys <= set(f.get("missing") or [])]
            if case.check(len(hit) == 1, f"{tag}: emulator transaction {tid} (rolled back "
                                         f"{sorted(keys)}) is reported by {len(hit)} TORN_TXN"):
                matched += 1
                f = hit[0]
                ids = f.get("op_ids") or []
                ops = [op for op in run.ops if f"{op['w']}.{op['s']}" in ids and op.get("txn")]
                if case.check(ops, f"{tag}: TORN_TXN {f['key']} names no transaction op {ids}"):
                    wkeys = {w["k"] for w in ops[0]["writes"]}
                    listed = set(f.get("present") or []) | set(f.get("missing") or [])
                    case.check(listed <= wkeys and keys <= wkeys,
                               f"{tag}: TORN_TXN {ids} lists keys {sorted(listed - wkeys)} its "
                               f"transaction did not write")
        extra = {k for f in torn for k in f.get("missing") or []} - damaged
        case.check(not extra, f"{tag}: TORN_TXN lists undamaged keys as missing: "
                              f"{sorted(extra)[:8]}")
        check_invariant(case, run, b, ev, tag)
        case.note(f"{tag}: {len(txns)} transactions torn by the emulator, {len(torn)} "
                  f"TORN_TXN {sev}s, {matched} matched")
        if sev == "violation":
            case.check(findings(b, "TORN_TXN", "violation"), f"{tag}: no TORN_TXN violation")
            kinds = violation_kinds(b)
            case.check(kinds <= {"TORN_TXN", "LOST", "INVARIANT"}, f"{tag}: violation kinds {kinds}")
            lost_keys = {f["key"] for f in findings(b, "LOST", "violation")}
            case.check(lost_keys <= damaged, f"{tag}: LOST on undamaged keys "
                                             f"{sorted(lost_keys - damaged)[:8]}")
        else:
            case.check(findings(b, "TORN_TXN", "observation"), f"{tag}: no TORN_TXN observation")
            case.check(not findings(b, severity="violation"),
                       f"{tag}: violations {violation_kinds(b)} under aws-documented")
            s = run.results.get("summary") or {}
            case.check(s.get("violations") == 0 and s.get("observations", 0) >= len(torn),
                       f"{tag}: summary {s}")


def shifted_cut(case, bc, scn, work, early):
    name = "trust-cut-early.json" if early else "trust-cut-late.json"
    run = bc_run(bc, os.path.join(scn, name), work)
    case.keep.append(run.dir)
    check_verdict(case, run, "fail")
    check_profile(case, run, HALF_S)
    b, ev = single_backup(case, run)
    if b is None:
        return
    t = truth_of(ev)
    fault = "cut-early" if early else "cut-late"
    case.check(damage_of(ev, fault), f"truth has no {fault} damage")
    cmin, cmax = t.get("cut_min_ns"), t.get("cut_max_ns")
    r, a = b["request_ns"], b["ack_ns"]
    case.note(f"truth cut [{(cmin - r) / 1e6:+.1f}, {(cmax - r) / 1e6:+.1f}] ms from R")
    if early:
        case.check(cmax < r - int(0.5 * NS), "the shifted cut is not before R - 0.5 s")
        bound = r - int(HALF_S["before_s"] * NS)
        required, allowed = set(), set()
        for k in run.writes:
            need = last_before(run, k, bound)
            if not need:
                continue
            # Its latest must-present write was sent after every partition's cut, so the
            # backup holds an older version of the key or none: LOST. It may be LOST if it
            # was acknowledged after some partition's cut.
            if need[0]["invoke_ns"] > cmax:
                required.add(k)
            if need[0]["complete_ns"] > cmin:
                allowed.add(k)
        case.check(violation_kinds(b) == {"LOST"}, f"violation kinds {violation_kinds(b)}")
        got = {f["key"] for f in findings(b, "LOST", "violation")}
        report_sets(case, "cut-early -> LOST", required, got, allowed)
    else:
        case.check(cmin > a + int(0.5 * NS), "the shifted cut is not after A + 0.5 s")
        bound = a + int(HALF_S["after_s"] * NS)
        required, allowed = set(), set()
        for k in run.writes:
            first = first_after(run, k, bound)
            if not first:
                continue
            # Its first must-absent write was acknowledged before every partition's cut,
            # so the backup holds it or a later version: FUTURE.
            if first[0]["complete_ns"] < cmin:
                required.add(k)
            if first[0]["invoke_ns"] < cmax:
                allowed.add(k)
        case.check(violation_kinds(b) == {"FUTURE"}, f"violation kinds {violation_kinds(b)}")
        got = {f["key"] for f in findings(b, "FUTURE", "violation")}
        report_sets(case, "cut-late -> FUTURE", required, got, allowed)
    case.check(required, f"{fault}: no key was required: the fault was not observable")
    # The inferred cut follows the true (shifted) cut, not the request.
    check_accuracy(case, run, fault)


def fault_resurrect(case, bc, scn, work):
    """trust-resurrect: exact, strict; trust-resurrect-window: aws-window, 0.5 s window, and
    a PITR (held to its one-second rule). Every returned item whose key's latest write
    acknowledged before the must-present bound is a delete is RESURRECTED, naming that
    delete; no undamaged key is blamed."""
    for name, prof in (("trust-resurrect.json", STRICT), ("trust-resurrect-window.json", HALF_S)):
        run = bc_run(bc, os.path.join(scn, name), work)
        case.keep.append(run.dir)
        check_verdict(case, run, "fail")
        check_profile(case, run, prof)
        for b, ev in run.entries():
            tag = f"{name} {b['id']}"
            check_evidence(case, run, b)
            case.check(bool(truth_of(ev)), f"{tag}: no truth")
            damaged = {k for k, _ in damage_of(ev, "resurrect")}
            case.check(damaged, f"{tag}: the resurrect fault brought nothing back")
            case.check(b.get("verdict") == "fail", f"{tag}: verdict {b.get('verdict')}")
            if "pitr_time_ns" in b:
                bound = b["pitr_time_ns"] - b["pitr_time_ns"] % NS
            else:
                bound = b["request_ns"] - int(prof["before_s"] * NS)
            required = set()
            for k in damaged:
                last = last_before(run, k, bound)
                # Decidable: the key's latest must-present write is an acknowledged delete.
                if last and last[1]["op"] == "delete":
                    required.add(k)
            case.check(required, f"{tag}: no resurrected key had a must-present delete")
            res = findings(b, "RESURRECTED", "violation")
            report_sets(case, f"{tag}: resurrect -> RESURRECTED", required,
                        {f["key"] for f in res}, damaged)
            for f in res:
                last = last_before(run, f["key"], bound)
                if last:
                    case.check(last[1]["wid"] in f["op_ids"],
                               f"{tag}: RESURRECTED {f['key']} names {f['op_ids']}, not its "
                               f"delete {last[1]['wid']}")
            kinds = violation_kinds(b)
            case.check(kinds <= {"RESURRECTED", "LOST"}, f"{tag}: violation kinds {kinds}")
            lost = {f["key"] for f in findings(b, "LOST", "violation")}
            case.check(lost <= damaged, f"{tag}: LOST on keys nothing damaged: "
                                        f"{sorted(lost - damaged)[:8]}")


def fault_pitr_ignore_time(case, bc, scn, work):
    run = bc_run(bc, os.path.join(scn, "trust-pitr-ignore-time.json"), work)
    case.keep.append(run.dir)
    check_verdict(case, run, "fail")
    p, ev = run.entry("p1")
    if not case.check(p is not None and ev, "no point-in-time restore p1"):
        return
    check_evidence(case, run, p)
    case.check(p.get("verdict") == "fail", f"p1 verdict {p.get('verdict')}")
    t = truth_of(ev)
    case.check(damage_of(ev, "pitr-ignore-time"), "truth of p1 lists no pitr-ignore-time damage")
    want_ns = p["pitr_time_ns"]
    cmin = t.get("cut_min_ns")
    case.check(cmin is not None and cmin > want_ns + NS,
               f"truth cut {cmin} is not a second past the requested time {want_ns}")
    # PITR's documented granularity is one second: writes sent at or after the requested
    # time truncated to the second, plus one second, must be absent.
    bound = want_ns - want_ns % NS + NS
    required, allowed = set(), set()
    for k in run.writes:
        first = None
        for op, w in run.writes[k]:
            if outcome(op, w) == "ok" and op["invoke_ns"] >= bound:
                first = (op, w)
                break
        if not first:
            continue
        if first[0]["complete_ns"] < cmin:
            required.add(k)
        allowed.add(k)
    case.check(required, "no write must be absent from the PITR: the fault was not observable")
    kinds = violation_kinds(p)
    case.check(kinds and kinds <= {"FUTURE", "LOST"}, f"p1 violation kinds {kinds}, want FUTURE")
    got = {f["key"] for f in findings(p, "FUTURE", "violation")}
    report_sets(case, "pitr-ignore-time -> FUTURE", required, got, allowed)
    # PITR is held to its documented one-second granularity whatever the backup profile.
    again = recheck_copy(bc, run, "aws-documented")
    check_verdict(case, again, "fail")
    p2, _ = again.entry("p1")
    got2 = {f["key"] for f in findings(p2, "FUTURE", "violation")}
    case.check(got2 == got, f"aws-documented: {len(got2)} FUTURE keys in the PITR, strict {len(got)}")


FAULTS = {
    "drop": fault_drop,
    "phantom": fault_phantom,
    "tear-txn": fault_tear_txn,
    "cut-early": lambda c, bc, s, w: shifted_cut(c, bc, s, w, True),
    "cut-late": lambda c, bc, s, w: shifted_cut(c, bc, s, w, False),
    "resurrect": fault_resurrect,
    "pitr-ignore-time": fault_pitr_ignore_time,
}

# ---------------------------------------------------------------- cut accuracy


ACCURACY_NOTES = []


def window_ns(run):
    """The aws-window model's window (ns) from the run's resolved scenario, or None."""
    try:
        with open(os.path.join(run.dir, "scenario.json"), encoding="utf-8") as f:
            ms = json.load(f)["target"].get("window_ms")
    except (OSError, ValueError, KeyError):
        return None
    return int(ms) * 1000000 if ms else None


def cut_shift_ns(run):
    """How far a cut-early / cut-late fault moves every cut from the request (ns)."""
    try:
        with open(os.path.join(run.dir, "scenario.json"), encoding="utf-8") as f:
            faults = json.load(f).get("faults", [])
    except (OSError, ValueError):
        return 0
    shift = 0
    for fl in faults:
        if fl.get("kind") == "cut-early":
            shift -= int(fl.get("ms", 0)) * 1000000
        elif fl.get("kind") == "cut-late":
            shift += int(fl.get("ms", 0)) * 1000000
    return shift


def check_accuracy(case, run, label):
    """The inferred cut against the emulator's true cut, for every backup and PITR.

    lo is the invoke of a captured write (sent before it committed, at or before its
    partition's cut) and hi the completion of a missing acknowledged write (committed
    after its partition's cut). With one true instant (cut_min == cut_max) the cut must be
    "instant" and [lo, hi] must contain it. With a spread of partition cuts the fuzzy band
    [hi, lo] must lie inside the model's window around the request (what aws-window
    promises, and what the checker is asked to show). It usually lies inside
    [cut_min, cut_max] too, but need not: an absent key inserted after its partition's cut
    and deleted later reads the same as one whose delete was captured, and the checker
    takes the explanation that keeps the band narrowest (a lower bound on the skew), which
    can put one side past the truth's extreme. Such bands are counted and printed.
    Returns the number of cuts compared."""
    n = 0
    for e, ev in run.entries():
        t = truth_of(ev)
        cut = e.get("cut")
        if not t or not cut or t.get("cut_min_ns") is None:
            case.check(False, f"{label} {e['id']}: no cut or no truth to compare")
            continue
        cmin, cmax = t["cut_min_ns"], t["cut_max_ns"]
        lo, hi = cut.get("lo_ns"), cut.get("hi_ns")
        case.check(isinstance(lo, int) and isinstance(hi, int),
                   f"{label} {e['id']}: cut side unbounded (lo {lo}, hi {hi})")
        if not (isinstance(lo, int) and isinstance(hi, int)):
            continue
        n += 1
        rel = (f"lo {lo} hi {hi} kind {cut['kind']}; truth [{cmin}, {cmax}] "
               f"(lo-cut_max {(lo - cmax) / 1e3:+.3f} us, hi-cut_min {(hi - cmin) / 1e3:+.3f} us)")
        if t.get("model") == "exact" or cmin == cmax:
            case.check(cmin == cmax, f"{label} {e['id']}: exact truth is not one instant: {rel}")
            case.check(cut["kind"] == "instant", f"{label} {e['id']}: one true instant but a "
                                                 f"fuzzy cut: {rel}")
            case.check(lo <= cmin <= hi, f"{label} {e['id']}: [lo, hi] misses the true cut: {rel}")
        elif cut["kind"] == "fuzzy":
            req, w = t.get("request_ns"), window_ns(run)
            if isinstance(req, int):
                req += cut_shift_ns(run)  # the window moves with a shifted cut
            case.check(isinstance(req, int) and w is not None,
                       f"{label} {e['id']}: no request instant or window to compare: {rel}")
            if isinstance(req, int) and w is not None:
                case.check(req - w <= hi and lo <= req + w,
                           f"{label} {e['id']}: fuzzy band [hi, lo] outside the model's window "
                           f"+-{w / 1e6:g} ms around the request: {rel}")
            if not (cmin <= hi and lo <= cmax):
                ACCURACY_NOTES.append(f"{label} {e['id']}: band past the truth's extremes "
                                      f"(ambiguous absent key): {rel}")
        else:
            case.check(lo <= cmax and hi >= cmin,
                       f"{label} {e['id']}: instant [lo, hi] does not meet the truth: {rel}")
    return n


def with_model(scn_path, work, model, guarantee, tag):
    """A copy of a scenario with another cut model and guarantee."""
    with open(scn_path, encoding="utf-8") as f:
        s = json.load(f)
    s["target"]["backup_model"] = model
    if model == "aws-window":
        s["target"]["window_ms"] = 200
    else:
        s["target"].pop("window_ms", None)
    s["guarantee"] = guarantee
    path = os.path.join(work, f"{s['name']}-{tag}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(s, f, indent=1)
    return path


def check_clean(case, run, label, profile):
    r = run.results
    ok = case.check(r.get("verdict") == "pass" and run.rc == 0,
                    f"{label}: verdict {r.get('verdict')} exit {run.rc} "
                    f"({r.get('verdict_reason')}), summary {r.get('summary')}")
    if not ok:
        for e, _ in run.entries():
            for f in findings(e, severity="violation")[:5]:
                case.note(f"  {label} {e['id']} {f['kind']} {f['key']} {f['op_ids']} {f['detail']}")
        case.note(f"  {label}: kept {run.dir}")
        case.keep.append(run.dir)
    case.check(r.get("profile") == profile, f"{label}: profile {r.get('profile')}, want {profile}")
    case.check((r.get("summary") or {}).get("violations") == 0,
               f"{label}: {r.get('summary')}")
    src = r.get("source") or {}
    case.check(not src.get("findings"), f"{label}: source findings {src.get('findings')[:3]}")
    for e, ev in run.entries():
        check_evidence(case, run, e)
        check_invariant(case, run, e, ev, f"{label} {e['id']}")
        case.check(not truth_of(ev).get("damage"),
                   f"{label} {e['id']}: the correct emulator recorded damage")
    return ok


def case_clean(case, bc, scn, work, seeds):
    """No false alarm: SEEDS seeds x {exact, aws-window:200} with every workload. exact is
    held to strict and to aws-documented (the run under one, re-checked under the other,
    alternating by seed); aws-window to aws-documented (strict would rightly fail it)."""
    base = os.path.join(scn, "trust-clean.json")
    exact_strict = with_model(base, work, "exact", "strict", "exact-strict")
    exact_aws = with_model(base, work, "exact", "aws-documented", "exact-aws")
    window = with_model(base, work, "aws-window", "aws-documented", "window")
    runs = bad = cuts = observations_exact = 0
    start = time.monotonic()
    for seed in range(1, seeds + 1):
        first = "strict" if seed % 2 else "aws-documented"
        other = "aws-documented" if seed % 2 else "strict"
        run = bc_run(bc, exact_strict if seed % 2 else exact_aws, work, ["--seed", str(seed)])
        runs += 1
        label = f"seed {seed} exact/{first}"
        bad += not check_clean(case, run, label, first)
        cuts += check_accuracy(case, run, label)
        observations_exact += (run.results.get("summary") or {}).get("observations", 0)
        rc, out = bc_check(bc, run.dir, ["--profile", other])
        label = f"seed {seed} exact/{other} (re-checked)"
        bad += not check_clean(case, Run(run.dir, rc, out), label, other)
        run2 = bc_run(bc, window, work, ["--seed", str(seed)])
        runs += 1
        label = f"seed {seed} aws-window/aws-documented"
        bad += not check_clean(case, run2, label, "aws-documented")
        cuts += check_accuracy(case, run2, label)
        if not bad:
            shutil.rmtree(os.path.join(work, "runs"), ignore_errors=True)
    # The exact model never tears a transaction or breaks a total (DESIGN.md, emulator).
    case.check(observations_exact == 0,
               f"{observations_exact} observations on exact-model backups (no tearing expected)")
    case.note(f"{runs} runs ({seeds} seeds x 2 models, exact checked under 2 profiles), "
              f"{bad} not pass, {cuts} cuts compared with the truth, "
              f"{time.monotonic() - start:.0f} s")
    for n in ACCURACY_NOTES:
        case.note(n)
    ACCURACY_NOTES.clear()


def case_accuracy(case, bc, scn, work, seeds):
    base = os.path.join(scn, "trust-accuracy.json")
    total = 0
    for model, guarantee in (("exact", "strict"), ("aws-window", "aws-documented")):
        path = with_model(base, work, model, guarantee, model)
        for seed in range(1, seeds + 1):
            run = bc_run(bc, path, work, ["--seed", str(seed)])
            label = f"seed {seed} {model}"
            case.check(run.rc == 0, f"{label}: exit {run.rc} ({run.results.get('verdict_reason')})")
            n = check_accuracy(case, run, label)
            total += n
            widths = [e["cut"].get("width_ns") for e, _ in run.entries() if e.get("cut")]
            case.note(f"{label}: {n} cuts compared, widths (ms) "
                      f"{[round(w / 1e6, 2) if w is not None else None for w in widths]}")
    case.check(total >= 2 * seeds * 4, f"only {total} cuts compared")
    for n in ACCURACY_NOTES:
        case.note(n)
    ACCURACY_NOTES.clear()


# ---------------------------------------------------------------- re-checking a saved run


CHECKED_AT = re.compile(rb'"checked_at":\s*"[^"]*"')


def case_recheck(case, bc, scn, work):
    """`backcheck check RUN_DIR` on a saved run gives results.json byte for byte, apart
    from checked_at, and the same exit code: twice, and once more after a check under
    another profile; for a failing run and two passing ones."""
    for name in ("trust-drop.json", "trust-tear-txn-aws.json", "trust-clean.json"):
        path = os.path.join(scn, name)
        if name == "trust-clean.json":
            path = with_model(path, work, "aws-window", "aws-documented", "recheck")
        run = bc_run(bc, path, work)
        res = os.path.join(run.dir, "results.json")
        with open(res, "rb") as f:
            before = f.read()
        case.check(CHECKED_AT.search(before), f"{name}: results.json has no checked_at")
        time.sleep(1.1)  # a second later, so that a timestamp that leaks shows
        other = "aws-documented" if run.results.get("profile") == "strict" else "strict"
        for attempt in (1, 2, 3):
            if attempt == 3:
                # A check under another profile leaves nothing behind that the next plain
                # check (the scenario's own profile) would read.
                bc_check(bc, run.dir, ["--profile", other])
            rc, out = bc_check(bc, run.dir)
            with open(res, "rb") as f:
                after = f.read()
            case.check(rc == run.rc, f"{name}: check #{attempt} exit {rc}, run exit {run.rc}")
            a = CHECKED_AT.sub(b'"checked_at":""', before)
            b = CHECKED_AT.sub(b'"checked_at":""', after)
            if not case.check(a == b, f"{name}: check #{attempt} changed results.json"):
                al, bl = a.split(b"\n"), b.split(b"\n")
                for i, (x, y) in enumerate(zip(al, bl)):
                    if x != y:
                        case.note(f"  first difference at line {i + 1}: {x[:160]!r} -> {y[:160]!r}")
                        break
                else:
                    case.note(f"  lengths differ: {len(a)} vs {len(b)} bytes")
                case.keep.append(run.dir)
        case.note(f"{name}: verdict {run.results.get('verdict')}, exit {run.rc}, "
                  f"{len(before)} bytes reproduced")


def case_recheck_override(case, bc, scn, work):
    """`backcheck run SCENARIO --profile strict` checks under strict; the run directory must
    remember that, so that `backcheck check RUN_DIR` reproduces the same results.json (the
    command line's seed, duration and target are resolved into scenario.json the same way)."""
    run = bc_run(bc, os.path.join(scn, "trust-tear-txn-aws.json"), work, ["--profile", "strict"])
    case.keep.append(run.dir)
    case.check(run.results.get("profile") == "strict" and run.rc == 1,
               f"run --profile strict: profile {run.results.get('profile')}, exit {run.rc}")
    res = os.path.join(run.dir, "results.json")
    with open(res, "rb") as f:
        before = f.read()
    rc, _ = bc_check(bc, run.dir)
    with open(res, "rb") as f:
        after = f.read()
    again = json.loads(after)
    case.check(rc == run.rc, f"check RUN_DIR exit {rc} (verdict {again.get('verdict')}, profile "
                             f"{again.get('profile')}), the run exited {run.rc} (verdict "
                             f"{run.results.get('verdict')}, profile {run.results.get('profile')})")
    case.check(CHECKED_AT.sub(b"", before) == CHECKED_AT.sub(b"", after),
               "check RUN_DIR did not reproduce the results.json of run --profile strict")


# ---------------------------------------------------------------- main


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    bc, scn, what = argv[1], argv[2], argv[3]
    if not os.access(bc, os.X_OK):
        print(f"SKIP: {bc} is not an executable backcheck binary")
        return 77
    arg = argv[4] if len(argv) > 4 else None
    name = f"{what}{'-' + arg if arg else ''}"
    case = Case(name)
    work = tempfile.mkdtemp(prefix=f"bc-trust-{name}-")
    start = time.monotonic()
    try:
        if what == "fault":
            if arg not in FAULTS:
                print(f"unknown fault {arg} (known: {', '.join(FAULTS)})", file=sys.stderr)
                return 2
            FAULTS[arg](case, bc, scn, work)
        elif what == "clean":
            case_clean(case, bc, scn, work, int(arg or 20))
        elif what == "accuracy":
            case_accuracy(case, bc, scn, work, int(arg or 3))
        elif what == "recheck":
            case_recheck(case, bc, scn, work)
        elif what == "recheck-override":
            case_recheck_override(case, bc, scn, work)
        else:
            print(f"unknown case {what}", file=sys.stderr)
            return 2
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        case.check(False, f"{type(e).__name__}: {e}")
    took = time.monotonic() - start
    if case.failures:
        print(f"FAIL [{name}]: {len(case.failures)} assertion(s) failed in {took:.1f} s; "
              f"run directories kept under {work}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"ok [{name}] in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
