#!/usr/bin/env bash
# drive_rate.sh - how fast `backcheck run` drives a target, against wrk sending the same
# PutItem requests to the same server in the same run, and what the history costs.
#
#   bench/harness/drive_rate.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#
# Starts `backcheck serve --no-auth` on a free loopback port, then
#   1. wrk -t C -c C -d S with putitem.lua (a unique key per request) -> requests/s
#   2. bench_curl_put URL S C: the same requests through libcurl's easy interface and
#      nothing else (the floor of any libcurl client) -> requests/s
#   3. backcheck run drive-insert.json --endpoint (insert, C threads, closed loop) -> ops/s
# and prints the ratio harness/wrk, the harness's CPU time per op, the history's bytes
# per op and the harness's memory per op (RSS at the end of the workload of a run twice
# as long minus a short one, over the extra ops; the server runs in its own process so
# its store is not counted).
#
# PIN=1 (the default where there are at least 2 CPUs) runs the server on CPU 0 and the
# load generator (wrk, then backcheck) on the others, as a load generator on its own
# machine would be: otherwise the two share the cores and the rate measures how much CPU
# the client leaves to the server rather than how hard it can drive it. PIN=0 shares.
set -eu
BUILD=${1:-build}
SECS=${2:-5}
CONNS=${3:-4}
NCPU=$(nproc)
PIN=${PIN:-$([ "$NCPU" -ge 2 ] && echo 1 || echo 0)}
if [ "$PIN" = 1 ]; then
    SERVER_CPUS="taskset -c 0"
    CLIENT_CPUS="taskset -c 1-$((NCPU - 1))"
else
    SERVER_CPUS=""
    CLIENT_CPUS=""
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BC=$BUILD/backcheck
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-XXXXXX")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$SERVER_CPUS "$BC" serve --no-auth --port "$PORT" --quiet &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$WORK"' EXIT
URL=http://127.0.0.1:$PORT
for _ in $(seq 50); do curl -s -o /dev/null "$URL" && break; sleep 0.1; done

ddb() { curl -s -X POST "$URL" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: DynamoDB_20120810.$1" -d "$2"; }
ddb CreateTable '{"TableName":"bench","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}' >/dev/null
sleep 0.5

$CLIENT_CPUS wrk -t "$CONNS" -c "$CONNS" -d "${SECS}s" -s "$HERE/putitem.lua" "$URL" >"$WORK/wrk.txt"
WRK_RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
CURL_RPS=0
if [ -x "$BUILD/harness/bench_curl_put" ]; then
    CURL_RPS=$($CLIENT_CPUS "$BUILD/harness/bench_curl_put" "$URL" "$SECS" "$CONNS" | awk '{print $NF}')
fi

sed "s/\"threads\": 4/\"threads\": $CONNS/" "$HERE/drive-insert.json" >"$WORK/drive.json"
run() { # run DURATION -> prints "ops rss_kb_at_workload_end history_bytes cpu_ticks"
    # RSS is sampled while the workload runs and read at its end, before the restores,
    # scans and the in-process check stage (which loads the history) add their own.
    rm -rf "$WORK/runs"
    $CLIENT_CPUS "$BC" run "$WORK/drive.json" --endpoint "$URL" --duration "$1" --out "$WORK/runs" \
        >/dev/null 2>&1 &
    local pid=$! rss=0 cpu=0 d
    while kill -0 $pid 2>/dev/null; do
        d="$WORK/runs/bench-drive/latest"
        if [ -f "$d/log.txt" ] && grep -q "workload done" "$d/log.txt"; then break; fi
        rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || echo "$rss")
        cpu=$(awk '{print $14 + $15}' /proc/$pid/stat 2>/dev/null || echo "$cpu")
        sleep 0.1
    done
    wait $pid || true
    d=$(cd "$WORK/runs/bench-drive/latest" && pwd -P)
    local ops
    ops=$(grep -c '"type":"op"' "$d/history.jsonl")
    echo "$ops $rss $(stat -c %s "$d/history.jsonl") $cpu"
}
read -r OPS1 RSS1 HB1 CPU1 < <(run "$SECS")
read -r OPS2 RSS2 HB2 CPU2 < <(run "$((SECS * 2))")
python3 - "$WRK_RPS" "$SECS" "$OPS1" "$RSS1" "$HB1" "$OPS2" "$RSS2" "$HB2" "$CONNS" "${NON2XX:-0}" \
    "$CPU1" "$(getconf CLK_TCK)" "$PIN" "$CURL_RPS" <<'PY'
import sys
wrk, secs, ops1, rss1, hb1, ops2, rss2, hb2, conns, non2xx, cpu1, hz, pin, curl_rps = sys.argv[1:]
curl_rps = float(curl_rps)
wrk = float(wrk); secs = float(secs)
ops1, rss1, hb1, ops2, rss2, hb2 = map(int, (ops1, rss1, hb1, ops2, rss2, hb2))
rate = ops1 / secs
print(f"connections            {conns}   ({'server on CPU 0, load on the others' if pin == '1' else 'server and load share the CPUs'})")
print(f"wrk PutItem            {wrk:10.0f} req/s   (non-2xx: {non2xx})")
if curl_rps > 0:
    print(f"libcurl floor          {curl_rps:10.0f} req/s   (bench_curl_put: {curl_rps / wrk:.2f} of wrk)")
print(f"backcheck insert       {rate:10.0f} ops/s   ({ops1} ops in {secs:g} s, journaled)")
print(f"ratio harness/wrk      {rate / wrk:10.2f}")
print(f"harness CPU per op     {int(cpu1) / int(hz) * 1e6 / ops1:10.1f} us   (user+system, whole process)")
print(f"history bytes per op   {hb1 / ops1:10.1f}")
extra = ops2 - ops1
print(f"harness memory per op  {max(0, rss2 - rss1) * 1024 / extra if extra > 0 else 0:10.1f} bytes"
      f"   (RSS {rss1} KB at {ops1} ops, {rss2} KB at {ops2} ops)")
PY
