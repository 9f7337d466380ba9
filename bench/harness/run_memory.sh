#!/usr/bin/env bash
# run_memory.sh - the peak memory of a whole `backcheck run` of about OPS operations, and
# of `backcheck check` and `backcheck report --format html` over its directory afterwards.
#
#   bench/harness/run_memory.sh [BUILD_DIR] [OPS]        (defaults: build 1000000)
#
# Starts `backcheck serve --no-auth` on a free loopback port (its own process, so the
# store's memory is not counted), measures the insert workload's rate (one thread, 8 in
# flight: a new key per operation, the history's largest shape per op) in a 2 s run, then
# runs it 1.5 times as long as that rate needs for OPS operations (the backups slow it),
# with two backups (at a third and two thirds of the run), each restored and scanned, and
# the source table scanned at the end. Peak RSS (`/usr/bin/time -f %M`) covers the whole
# process: workload, backups, restores, scans, the check stage and the three reports. Prints the operations done, the history's bytes per
# op, and each command's peak RSS and its bytes per op.
set -eu
BUILD=${1:-build}
OPS=${2:-1000000}
BC=$BUILD/backcheck
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bc-runmem-XXXXXX")
. "$HERE/serve.sh"

scenario() { # scenario DURATION_S [BACKUPS]
    local d=$1 backups="[]" restores="[]"
    if [ "${2:-}" = backups ]; then
        backups=$(python3 -c "d=$d; print('[{\"at_s\": %.1f}, {\"at_s\": %.1f}]' % (d / 3, 2 * d / 3))")
        restores='[{"from": "each-backup"}]'
    fi
    sed -e 's/"threads": 4/"threads": 1, "inflight": 8/' \
        -e "s/\"duration_s\": 5/\"duration_s\": $d/" \
        -e "s/\"backups\": \[\]/\"backups\": $backups, \"restores\": $restores/" \
        "$HERE/drive-insert.json"
}
ops_of() { grep -c '"type":"op"' "$1/history.jsonl"; }

scenario 2 >"$WORK/probe.json"
$CLIENT_CPUS "$BC" run "$WORK/probe.json" --endpoint "$URL" --out "$WORK/probe" >/dev/null 2>&1 || true
PROBE_OPS=$(ops_of "$(cd "$WORK/probe/bench-drive/latest" && pwd -P)")
SECS=$(python3 -c "import math; print(max(3, math.ceil($OPS / ($PROBE_OPS / 2.0) * 1.5)))")
echo "probe: $PROBE_OPS ops in 2 s; running $SECS s for $OPS ops"

scenario "$SECS" backups >"$WORK/run.json"
$CLIENT_CPUS /usr/bin/time -f "%M %e" -o "$WORK/run.time" "$BC" run "$WORK/run.json" \
    --endpoint "$URL" --out "$WORK/runs" >"$WORK/run.log" 2>&1 || true
D=$(cd "$WORK/runs/bench-drive/latest" && pwd -P)
N=$(ops_of "$D")
HB=$(stat -c %s "$D/history.jsonl")
/usr/bin/time -f "%M %e" -o "$WORK/check.time" "$BC" check "$D" --quiet >/dev/null 2>&1 || true
/usr/bin/time -f "%M %e" -o "$WORK/report.time" "$BC" report "$D" --format html \
    --output "$WORK/report.html" >/dev/null 2>&1 || true
grep -E "verdict|inconclusive|pass|fail" "$WORK/run.log" | tail -1
[ "$N" -ge "$OPS" ] || echo "note: $N operations, fewer than the $OPS asked for (the target was slower than the probe)"
line() { # line LABEL TIMEFILE
    read -r kb secs <"$2"
    printf '%-31s %7.1f MB peak RSS   %6.1f bytes/op   %6.1f s\n' "$1" "$(echo "$kb / 1024" | bc -l)" \
        "$(echo "$kb * 1024 / $N" | bc -l)" "$secs"
}
printf 'operations                    %8d   (history %.1f bytes/op on disk)\n' "$N" \
    "$(echo "$HB / $N" | bc -l)"
line "backcheck run (whole)" "$WORK/run.time"
line "backcheck check" "$WORK/check.time"
line "backcheck report --format html" "$WORK/report.time"
