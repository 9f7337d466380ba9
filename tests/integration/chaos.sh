#!/usr/bin/env bash
# chaos.sh - the harness under faults: it must stay correct (no false alarm, damage still
# found) and alive (no hang, no crash) under every fault kind of scenarios/chaos-*.json.
#
#   chaos.sh BACKCHECK_BINARY SOURCE_DIR CASE [ARG]
#
# Cases:
#   matrix N/M   the Nth of M slices of the chaos scenarios, each run with both correct
#                backup models (exact, aws-window 200 ms) over three seeds: the verdict
#                is the scenario's `expect`; indeterminate operations are counted
#                (reset, blackhole, error), retries are in the history, no operation is
#                recorded twice, every fault start has its end line.
#   damage       an emulator damage model (drop) under network faults is still caught.
#   blackhole    a black-holed run ends by itself within duration + the request grace and
#                says in its log which workers it waited for.
#   windows      fault windows reach history.jsonl and the shading of report.html.
#   refuse       emulator-only faults on another target are refused, naming both.
#   inflight     the network-fault scenarios with three operations in flight per thread
#                (one curl multi event loop per thread): the matrix's assertions, one seed.
# Exit 77 = skipped.
set -u
BC=$1
SRC=$2
CASE=$3
ARG=${4:-}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bc-chaos-$CASE-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CI=1
SEEDS="11 12 13"
MODELS="exact aws-window"
PARALLEL=4 # runs mostly wait on their schedule: four at a time fit two cores

FAILS=0
fail() {
    echo "FAIL [$CASE]: $*" >&2
    FAILS=$((FAILS + 1))
}

# variant SCENARIO MODEL OUT.json: the scenario with its backup model replaced (and, with
# INFLIGHT set, that many operations in flight per thread in every workload).
variant() {
    python3 - "$1" "$2" "$3" "${INFLIGHT:-}" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["target"]["backup_model"] = sys.argv[2]
d["target"]["window_ms"] = 200
if sys.argv[4]:
    for w in d["workloads"]:
        w["inflight"] = int(sys.argv[4])
json.dump(d, open(sys.argv[3], "w"))
EOF
}

# check_run DIR KINDS EXPECT_RC RC: the assertions every chaos run must satisfy, for
# each fault kind (comma-separated) the scenario applies.
check_run() {
    local dir=$1 kinds=$2 want=$3 rc=$4
    python3 - "$dir" "$kinds" "$want" "$rc" <<'EOF'
import json, sys
d, kinds, want, rc = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
bad = []
if rc != want:
    bad.append("exit code %d, want %d" % (rc, want))
lines = []
for l in open(d + "/history.jsonl"):
    try:
        lines.append(json.loads(l))
    except ValueError:
        bad.append("torn history line")
if not lines or lines[-1].get("type") != "end":
    bad.append("history does not end with an end line (the run did not finish normally)")
ops = [l for l in lines if l.get("type") == "op"]
ids = [(o["w"], o["s"]) for o in ops]
if len(ids) != len(set(ids)):
    bad.append("an operation is recorded twice in the history")
faults = [l for l in lines if l.get("type") == "fault"]
starts = [f for f in faults if f["phase"] == "start"]
ends = [f for f in faults if f["phase"] == "end"]
for kind in kinds:
    if kind not in {f["kind"] for f in starts}:
        bad.append("no start line for fault %s" % kind)
if len(starts) != len(ends):
    bad.append("%d fault start lines but %d end lines" % (len(starts), len(ends)))
for s in starts:
    e = [x for x in ends if x["kind"] == s["kind"] and x["at_ns"] >= s["at_ns"]]
    if not e:
        bad.append("fault %s has no end after its start" % s["kind"])
try:
    r = json.load(open(d + "/results.json"))
except (OSError, ValueError) as e:
    r = None
    bad.append("no results.json: %s" % e)
if r:
    if r["history"]["ops"] != len(ops):
        bad.append("results count %d ops, the history holds %d" % (r["history"]["ops"], len(ops)))
    bk = [b for b in r["backups"] if b.get("counts")]  # null: the backup was not checked
    for kind in kinds:
        if kind in ("reset", "blackhole", "error"):
            if not bk or max(b["counts"]["indeterminate"] for b in bk) == 0:
                bad.append("no indeterminate write counted under %s" % kind)
        if kind in ("reset", "throttle", "error") and not any(o.get("tries") for o in ops):
            bad.append("no retry recorded (tries) under %s" % kind)
        if kind in ("reset", "blackhole", "partition") and not any(o["outcome"] == "info" or o.get("tries") for o in ops):
            bad.append("the network fault touched no operation")
    for b in r["backups"]:
        for f in b.get("findings", []):
            if f.get("severity") == "violation" and want == 0:
                bad.append("false alarm: %s %s" % (f["kind"], f.get("detail", "")))
    for kind in kinds:
        if kind == "backup-storm":
            ends = [f for f in faults if f["kind"] == "backup-storm" and f["phase"] == "end"]
            p = ends[0].get("params", {}) if ends else {}
            made = [b for b in r["backups"] if b["id"] in p.get("backups", [])]
            if p.get("requested") != 5 or p.get("created", 0) + p.get("refused", 0) + p.get("failed", 0) != 5:
                bad.append("storm end line does not account for 5 requests: %s" % p)
            if len(made) != p.get("created", -1):
                bad.append("%d storm backups checked, %s created" % (len(made), p.get("created")))
        if kind == "restore-collision":
            ends = [f for f in faults if f["kind"] == kind and f["phase"] == "end"]
            if not ends or "TableAlreadyExists" not in ends[0].get("params", {}).get("error", ""):
                bad.append("the collision's TableAlreadyExistsException is not recorded")
        if kind == "delete-backup-during-restore":
            ends = [f for f in faults if f["kind"] == kind and f["phase"] == "end"]
            if not ends or "outcome" not in ends[0].get("params", {}):
                bad.append("the DeleteBackup outcome is not recorded")
for b in bad:
    print("%s: %s" % (d, b))
sys.exit(1 if bad else 0)
EOF
}

# run_one SCENARIO MODEL SEED: one run in its own output directory; prints nothing,
# records failures in $WORK/failures.
run_one() {
    local scn=$1 model=$2 seed=$3
    local kinds want base out rc dir
    base=$(basename "$scn" .json)
    kinds=$(python3 -c 'import json,sys; print(",".join(f["kind"] for f in json.load(open(sys.argv[1])).get("faults", [])))' "$scn")
    out=$WORK/$base-$model-$seed
    mkdir -p "$out"
    variant "$scn" "$model" "$out/scenario.json"
    want=$(python3 -c 'import json,sys; print({"pass":0,"fail":1,"inconclusive":3}[json.load(open(sys.argv[1])).get("expect","pass")])' "$scn")
    timeout 120 "$BC" run "$out/scenario.json" --seed "$seed" --out "$out/runs" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    dir=$(cd "$out/runs/$base/latest" 2>/dev/null && pwd -P)
    if [ -z "$dir" ]; then
        echo "$base $model seed $seed: no run directory (exit $rc): $(tail -3 "$out/stderr")" >>"$WORK/failures"
        return
    fi
    if ! check_run "$dir" "$kinds" "$want" "$rc" >"$out/check" 2>&1; then
        { echo "$base $model seed $seed:"; cat "$out/check"; tail -5 "$dir/log.txt"; } >>"$WORK/failures"
    else
        rm -rf "$out"
    fi
}

# spawn SCENARIO MODEL SEED: run_one in the background, at most PARALLEL at a time.
spawn() {
    run_one "$@" &
    runs=$((runs + 1))
    while [ "$(jobs -rp | wc -l)" -ge $PARALLEL ]; do sleep 0.2; done
}

# reap WHAT: waits for the spawned runs and reports those that broke a guarantee.
reap() {
    wait
    if [ -s "$WORK/failures" ]; then
        cat "$WORK/failures" >&2
        fail "$(grep -c 'seed' "$WORK/failures") of $runs runs$1 broke a guarantee"
    fi
}

case "$CASE" in
matrix)
    slice=${ARG%/*}
    slices=${ARG#*/}
    mapfile -t all < <(ls "$SRC"/scenarios/chaos-*.json | sort)
    [ ${#all[@]} -ge 16 ] || fail "only ${#all[@]} chaos scenarios"
    n=0
    runs=0
    t0=$(date +%s)
    for scn in "${all[@]}"; do
        n=$((n + 1))
        [ $(((n - 1) % slices + 1)) -eq "$slice" ] || continue
        # Inconclusive ones once (their outcome does not depend on the model or the seed).
        if grep -q '"expect": "inconclusive"' "$scn"; then combos="exact:11"; else
            combos=""
            for m in $MODELS; do for s in $SEEDS; do combos="$combos $m:$s"; done; done
        fi
        for c in $combos; do
            spawn "$scn" "${c%:*}" "${c#*:}"
        done
    done
    reap ""
    echo "matrix $ARG: $runs runs in $(($(date +%s) - t0)) s"
    ;;
inflight)
    # Faults on the connections (resets, black holes, errors, latency, partitions,
    # throttling) reach each in-flight operation through the multi handle just as they
    # reach a blocking one: indeterminate operations stay indeterminate, nothing is
    # recorded twice, and the verdicts are the scenarios' own.
    export INFLIGHT=3
    runs=0
    t0=$(date +%s)
    for k in reset reset-all-workloads blackhole error latency partition throttle bandwidth; do
        scn="$SRC/scenarios/chaos-$k.json"
        [ -f "$scn" ] || { fail "no scenario chaos-$k.json"; continue; }
        for m in $MODELS; do
            spawn "$scn" "$m" 11
        done
    done
    reap " with inflight 3"
    echo "inflight: $runs runs in $(($(date +%s) - t0)) s"
    ;;
damage)
    # drop under an explicit 0.5 s window (drops of must-present items are LOST) while the
    # workers' connections are reset and delayed: the damage is still found.
    python3 - "$SRC/scenarios/chaos-reset.json" "$WORK/damage.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["name"] = "chaos-damage"
d["duration_s"] = 4
d["backups"] = [{"at_s": 3}]
d["faults"] = [{"kind": "drop", "fraction": 0.05},
               {"kind": "reset", "at_s": 0.5, "for_s": 3, "fraction": 0.3},
               {"kind": "latency", "at_s": 1, "for_s": 2, "ms": 20, "jitter_ms": 10}]
d["guarantee"] = {"before_s": 0.5, "after_s": 0.5, "atomic_txn": False}
d["target"]["backup_model"] = "exact"
d.pop("expect", None)
json.dump(d, open(sys.argv[2], "w"))
EOF
    for seed in 21 22; do
        "$BC" run "$WORK/damage.json" --seed $seed --out "$WORK/runs-$seed" >"$WORK/out" 2>"$WORK/err"
        rc=$?
        [ $rc -eq 1 ] || fail "seed $seed: drop under network faults: exit $rc, want 1 (fail)"
        dir="$WORK/runs-$seed/chaos-damage/latest"
        python3 - "$dir" <<'EOF' || fail "seed $seed: no LOST finding naming a dropped key"
import json, sys
d = sys.argv[1]
r = json.load(open(d + "/results.json"))
lost = {f["key"] for b in r["backups"] for f in b.get("findings", []) if f["kind"] == "LOST"}
dropped = set()
for l in open(d + "/backups.jsonl"):
    e = json.loads(l)
    for x in e.get("truth", {}).get("damage", []):
        dropped.add(x.get("key"))
# Every LOST key was really dropped by the emulator (no false alarm), and some were found.
assert lost, "no LOST finding"
assert lost <= dropped, "LOST keys the emulator did not drop: %s" % sorted(lost - dropped)[:5]
r2 = [l for l in open(d + "/history.jsonl") if '"tries"' in l]
assert r2, "no retries: the reset fault did not act"
EOF
    done
    ;;
blackhole)
    # Black hole from 1.5 s to the end of a 3 s run; 1 s deadline a try, 3 tries: the
    # workers stop at most ~4.3 s after the end; restores and checks add a little.
    start=$(date +%s.%N)
    timeout 60 "$BC" run "$SRC/scenarios/chaos-blackhole.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    took=$(python3 -c "import sys; print('%.1f' % ($(date +%s.%N) - $start))")
    [ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "blackhole run exited $rc (want 0 or 3): $(tail -3 "$WORK/err")"
    python3 -c "import sys; sys.exit(0 if $took < 3 + 4.3 + 4 else 1)" ||
        fail "blackhole run took $took s, more than duration + grace + 4 s"
    log="$WORK/runs/chaos-blackhole/latest/log.txt"
    grep -q "still waiting on a request" "$log" || fail "the log does not say which workers it waited for"
    grep -q "workers stopped" "$log" || fail "the log does not say when the workers stopped"
    h="$WORK/runs/chaos-blackhole/latest/history.jsonl"
    n=$(grep -c '"outcome":"info"' "$h")
    [ "$n" -gt 0 ] || fail "no operation ended indeterminate in the black hole"
    grep '"outcome":"info"' "$h" | grep -q '"attempts":3' || fail "black-holed operations were not retried up to 3 attempts"
    echo "blackhole: exit $rc after $took s, $n indeterminate operations"
    ;;
windows)
    "$BC" run "$SRC/scenarios/chaos-latency.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ $rc -eq 0 ] || fail "chaos-latency exited $rc"
    d="$WORK/runs/chaos-latency/latest"
    grep -q '"type":"fault","kind":"latency","phase":"start"' "$d/history.jsonl" || fail "no fault start line"
    grep -q '"type":"fault","kind":"latency","phase":"end"' "$d/history.jsonl" || fail "no fault end line"
    # reports/html.c shades each fault window with a <rect class="fault">.
    grep -q '<rect class="fault"' "$d/report.html" || fail "report.html does not shade the fault window"
    grep -q 'fault: latency' "$d/report.html" || fail "report.html does not name the fault"
    # The window in the history is the one asked for: at_s 0.5, for_s 2.
    python3 - "$d/history.jsonl" <<'EOF' || fail "the fault window is not 2 s long"
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
f = [l for l in L if l["type"] == "fault"]
w = (f[1]["at_ns"] - f[0]["at_ns"]) / 1e9
assert 1.95 < w < 2.2, w
EOF
    ;;
refuse)
    for k in throttle server-latency backup-fail; do
        "$BC" run "$SRC/scenarios/chaos-$k.json" --endpoint http://127.0.0.1:9 --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
        rc=$?
        [ $rc -eq 2 ] || fail "$k on an endpoint target: exit $rc, want 2"
        grep -q "\"$k\"" "$WORK/err" && grep -q "target endpoint" "$WORK/err" ||
            fail "$k on an endpoint target: the message does not name the fault and the target: $(cat "$WORK/err")"
    done
    ;;
*)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
[ $FAILS -eq 0 ] || exit 1
echo "PASS [$CASE]"
