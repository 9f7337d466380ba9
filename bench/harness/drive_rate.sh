#!/usr/bin/env bash
# drive_rate.sh - how fast `backcheck run` drives a target, against wrk sending the same
# PutItem requests to the same server in the same run, and what the history costs.
#
#   [ROUNDS=3] [PIN=0|1] [COMPARE=OTHER_BUILD_DIR] bench/harness/drive_rate.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#
# Starts `backcheck serve --no-auth` on a free loopback port, then
#   1. wrk -t C -c C -d S with putitem.lua (a unique key per request) -> requests/s
#   2. bench_curl_put URL S C: the same requests through libcurl's easy interface and
#      nothing else (the floor of any libcurl client) -> requests/s
#   3. backcheck run drive-insert.json --endpoint (insert, C threads, closed loop) -> ops/s
#   4. the same with one thread keeping C operations in flight ("inflight": C, the event
#      loop of harness/lanes.c: wrk's shape) -> ops/s
# ROUNDS times, interleaved, and prints each round and the medians: the ratio
# harness/wrk, the harness's CPU time per op, the history's bytes
# per op and the harness's memory per op (RSS at the end of the workload of a run twice
# as long minus a short one, over the extra ops; the server runs in its own process so
# its store is not counted).
#
# COMPARE=DIR adds, to every round, the same two `backcheck run`s (C threads; 1 thread x C
# in flight) from another build (say the commit before a change), the two builds taking
# turns at going first, and prints both and their
# ratio per round: on a machine whose speed drifts, the pairs of one round are what
# compare. Each round also prints `others`: the CPUs other processes (and the
# hypervisor's steal) took during it, so that a round disturbed by other work shows.
#
# PIN=1 (the default where there are at least 2 CPUs) runs the server on CPU 0 and the
# load generator (wrk, then backcheck) on the others, as a load generator on its own
# machine would be: otherwise the two share the cores and the rate measures how much CPU
# the client leaves to the server rather than how hard it can drive it. PIN=0 shares.
set -eu
BUILD=${1:-build}
SECS=${2:-5}
CONNS=${3:-4}
ROUNDS=${ROUNDS:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
BC=$BUILD/backcheck
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-XXXXXX")
. "$HERE/serve.sh"

ddb() { curl -s --noproxy "*" -X POST "$URL" -H 'Content-Type: application/x-amz-json-1.0' \
    -H "X-Amz-Target: DynamoDB_20120810.$1" -d "$2"; }
ddb CreateTable '{"TableName":"bench-drive-rate-wrk","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}' >/dev/null
sleep 0.5
# A 2 s warm-up (as bench/emulator/run.sh does), so that round 1's wrk does not meet a
# server whose store and allocator have not grown yet.
BENCH_RUN=0 $CLIENT_CPUS wrk -t "$CONNS" -c "$CONNS" -d 2s -s "$HERE/putitem.lua" "$URL" >/dev/null

sed "s/\"threads\": 4/\"threads\": $CONNS/" "$HERE/drive-insert.json" >"$WORK/drive.json"
sed "s/\"threads\": 4/\"threads\": 1, \"inflight\": $CONNS/" "$HERE/drive-insert.json" \
    >"$WORK/drive-lanes.json"
run() { # run DURATION [BACKCHECK [SCENARIO]] -> prints "ops rss_kb_at_workload_end history_bytes cpu_ticks"
    # RSS is sampled while the workload runs and read at its end, before the restores,
    # scans and the in-process check stage (which loads the history) add their own.
    rm -rf "$WORK/runs"
    $CLIENT_CPUS "${2:-$BC}" run "${3:-$WORK/drive.json}" --endpoint "$URL" --duration "$1" --out "$WORK/runs" \
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
# The CPU time other processes took during a round (a machine shared with other work,
# or the hypervisor's steal): every CPU's busy time (/proc/stat, steal included) minus
# the server's and minus this script's children (`times`: the clients, each waited for).
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
server_ticks() { awk '{print $14 + $15}' "/proc/$SRV/stat"; }
# `times` prints the children's user and system time on its second line; it must run
# in this shell (in a $(...) subshell it would count that subshell's children).
times_ticks() {
    awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
        n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] }
        printf "%d\n", n * hz }' "$WORK/times.txt"
}
# ROUNDS rounds of the three clients, interleaved, so that a change in the machine's
# load between them shows in every round rather than in one client's figure.
ROUND_LINES=""
for r in $(seq "$ROUNDS"); do
    times >"$WORK/times.txt"
    B0=$(busy_ticks) S0=$(server_ticks) C0=$(times_ticks) T0=$(date +%s.%N)
    BENCH_RUN=$r $CLIENT_CPUS wrk -t "$CONNS" -c "$CONNS" -d "${SECS}s" -s "$HERE/putitem.lua" \
        "$URL" >"$WORK/wrk.txt"
    times >"$WORK/times.txt"
    W1=$(times_ticks)
    WRK_RPS=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
    WRK_N=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
    NON2XX=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.txt")
    CURL_RPS=0 CURL_N=0 MULTI_RPS=0 MULTI_N=0 F1=$W1 F2=$W1
    if [ -x "$BUILD/harness/bench_curl_put" ]; then
        # The floor twice: CONNS threads blocking in curl_easy_perform (the harness's
        # shape), then one thread with CONNS handles in a multi handle (wrk's shape).
        BENCH_RUN=$r $CLIENT_CPUS "$BUILD/harness/bench_curl_put" "$URL" "$SECS" "$CONNS" >"$WORK/curl.txt"
        times >"$WORK/times.txt"
        F1=$(times_ticks)
        BENCH_RUN=$r $CLIENT_CPUS "$BUILD/harness/bench_curl_put" "$URL" "$SECS" 1 "$CONNS" >"$WORK/multi.txt"
        times >"$WORK/times.txt"
        F2=$(times_ticks)
        read -r _ CURL_N _ _ _ CURL_RPS <"$WORK/curl.txt"
        read -r _ MULTI_N _ _ _ MULTI_RPS <"$WORK/multi.txt"
    fi
    # With COMPARE, the two builds take turns at going first, so that neither always
    # runs right after the floor or right before the next round's wrk.
    OPSB=0 CPUB=0 OPSLB=0 CPULB=0
    if [ -n "${COMPARE:-}" ] && [ $((r % 2)) -eq 0 ]; then
        read -r OPSB _ _ CPUB < <(run "$SECS" "$COMPARE/backcheck")
        read -r OPSLB _ _ CPULB < <(run "$SECS" "$COMPARE/backcheck" "$WORK/drive-lanes.json")
    fi
    read -r OPS1 RSS1 HB1 CPU1 < <(run "$SECS")
    read -r OPSL _ _ CPUL < <(run "$SECS" "$BC" "$WORK/drive-lanes.json")
    if [ -n "${COMPARE:-}" ] && [ $((r % 2)) -eq 1 ]; then
        read -r OPSB _ _ CPUB < <(run "$SECS" "$COMPARE/backcheck")
        read -r OPSLB _ _ CPULB < <(run "$SECS" "$COMPARE/backcheck" "$WORK/drive-lanes.json")
    fi
    sleep 0.2 # the last client's subshell reaped, so that `times` counts it
    times >"$WORK/times.txt"
    OTHER=$(python3 -c 'import sys; b, s, c, t = map(float, sys.argv[1:5]); print("%.2f" % (max(0, b - s - c) / float(sys.argv[5]) / t))' \
        "$(($(busy_ticks) - B0))" "$(($(server_ticks) - S0))" "$(($(times_ticks) - C0))" \
        "$(python3 -c "import time; print(time.time() - $T0)")" "$(getconf CLK_TCK)")
    ROUND_LINES="$ROUND_LINES$WRK_RPS ${NON2XX:-0} $CURL_RPS $OPS1 $RSS1 $HB1 $CPU1 $OPSB $CPUB $OTHER"
    ROUND_LINES="$ROUND_LINES ${WRK_N:-0} $((W1 - C0)) $CURL_N $((F1 - W1)) $MULTI_RPS $MULTI_N $((F2 - F1))"
    ROUND_LINES="$ROUND_LINES $OPSL $CPUL $OPSLB $CPULB
"
done
read -r OPS2 RSS2 HB2 CPU2 < <(run "$((SECS * 2))")
printf '%s' "$ROUND_LINES" >"$WORK/rounds.txt"
python3 - "$WORK/rounds.txt" "$SECS" "$OPS2" "$RSS2" "$CONNS" "$(getconf CLK_TCK)" "$PIN" "$CPU2" <<'PY'
import statistics, sys
path, secs, ops2, rss2, conns, hz, pin, cpu2 = sys.argv[1:]
secs = float(secs); ops2 = int(ops2); rss2 = int(rss2); hz = int(hz); cpu2 = int(cpu2)
rounds = []
for line in open(path):
    (wrk, non2xx, curl, ops, rss, hb, cpu, opsb, cpub, other,
     wrk_n, wrk_t, curl_n, curl_t, multi, multi_n, multi_t, opsl, cpul, opslb,
     cpulb) = line.split()
    ops, opsb = int(ops), int(opsb)
    per = lambda t, n: int(t) / hz * 1e6 / int(n) if int(n) else 0
    rounds.append(dict(wrk=float(wrk), non2xx=non2xx, curl=float(curl), ops=ops, rss=int(rss),
                       hb=int(hb), rate=ops / secs, cpu_t=int(cpu), cpu_us=int(cpu) / hz * 1e6 / ops,
                       rate_b=opsb / secs, cpu_b=int(cpub) / hz * 1e6 / opsb if opsb else 0,
                       other=float(other), multi=float(multi), wrk_us=per(wrk_t, wrk_n),
                       curl_us=per(curl_t, curl_n), multi_us=per(multi_t, multi_n),
                       rate_l=int(opsl) / secs, cpu_l=per(cpul, opsl),
                       rate_lb=int(opslb) / secs, cpu_lb=per(cpulb, opslb)))
compare = rounds[0]['rate_b'] > 0
print(f"connections            {conns}   ({'server on CPU 0, load on the others' if pin == '1' else 'server and load share the CPUs'})")
for i, r in enumerate(rounds, 1):
    floor = (f"   libcurl floor {r['curl']:6.0f} req/s ({r['curl'] / r['wrk']:.2f} of wrk),"
             f" multi {r['multi']:6.0f} ({r['multi'] / r['wrk']:.2f})" if r['curl'] > 0 else "")
    print(f"round {i}: wrk {r['wrk']:6.0f} req/s (non-2xx {r['non2xx']}){floor}"
          f"   backcheck {r['rate']:6.0f} ops/s   ratio {r['rate'] / r['wrk']:.2f}"
          f"   {r['cpu_us']:.1f} us CPU/op   others {r['other']:.2f} CPU")
    of_floor = f"   {r['rate_l'] / r['multi']:.2f} of the multi floor" if r['multi'] > 0 else ""
    print(f"         backcheck 1 thread x {conns} in flight {r['rate_l']:6.0f} ops/s"
          f"   ratio {r['rate_l'] / r['wrk']:.2f}   {r['cpu_l']:.1f} us CPU/op{of_floor}")
    if compare:
        print(f"         COMPARE build {r['rate_b']:6.0f} ops/s   ratio {r['rate_b'] / r['wrk']:.2f}"
              f"   {r['cpu_b']:.1f} us CPU/op   this build / COMPARE {r['rate'] / r['rate_b']:.2f}")
        print(f"         COMPARE 1 thread x {conns}  {r['rate_lb']:6.0f} ops/s   ratio {r['rate_lb'] / r['wrk']:.2f}"
              f"   {r['cpu_lb']:.1f} us CPU/op   this build / COMPARE {r['rate_l'] / r['rate_lb']:.2f}")
med = lambda k: statistics.median(x[k] for x in rounds)
ratios = [x['rate'] / x['wrk'] for x in rounds]
print(f"wrk PutItem            {med('wrk'):10.0f} req/s   (median of {len(rounds)})")
if med('curl') > 0:
    print(f"libcurl floor          {med('curl'):10.0f} req/s   (bench_curl_put, {conns} threads blocking, median)")
    print(f"libcurl multi floor    {med('multi'):10.0f} req/s   (bench_curl_put, 1 thread, {conns} handles, median)")
print(f"backcheck insert       {med('rate'):10.0f} ops/s   (median; journaled)")
print(f"ratio harness/wrk      {statistics.median(ratios):10.2f}   (median; range {min(ratios):.2f}-{max(ratios):.2f})")
lr = [x['rate_l'] / x['wrk'] for x in rounds]
print(f"backcheck, 1 thread    {med('rate_l'):10.0f} ops/s   ({conns} in flight, median; ratio {statistics.median(lr):.2f},"
      f" range {min(lr):.2f}-{max(lr):.2f}; {med('cpu_l'):.1f} us CPU/op)")
lf = [x['rate_l'] / x['multi'] for x in rounds if x['multi'] > 0]
if lf:
    # The harness against libcurl alone in the same shape (one thread, CONNS transfers):
    # what signing, parsing and journaling cost on top of libcurl's own per-request work.
    print(f"1 thread / multi floor {statistics.median(lf):10.2f}   (median of the rounds; range {min(lf):.2f}-{max(lf):.2f})")
print(f"harness CPU per op     {med('cpu_us'):10.1f} us   (user+system of the whole process to the end of the workload, median)")
cpus = f"wrk {med('wrk_us'):.1f}"
if med('curl') > 0:
    cpus += f", libcurl floor {med('curl_us'):.1f}, multi floor {med('multi_us'):.1f}"
print(f"client CPU per request {cpus} us   (user+system over requests, medians)")
if compare:
    rb = [x['rate_b'] / x['wrk'] for x in rounds]
    pair = [x['rate'] / x['rate_b'] for x in rounds]
    print(f"COMPARE build          {med('rate_b'):10.0f} ops/s   ratio {statistics.median(rb):.2f} (range {min(rb):.2f}-{max(rb):.2f}),"
          f" {med('cpu_b'):.1f} us CPU/op (medians)")
    print(f"this build / COMPARE   {statistics.median(pair):10.2f}   (median of the rounds' pairs; range {min(pair):.2f}-{max(pair):.2f})")
    rlb = [x['rate_lb'] / x['wrk'] for x in rounds]
    pairl = [x['rate_l'] / x['rate_lb'] for x in rounds]
    print(f"COMPARE, 1 thread      {med('rate_lb'):10.0f} ops/s   ratio {statistics.median(rlb):.2f} (range {min(rlb):.2f}-{max(rlb):.2f}),"
          f" {med('cpu_lb'):.1f} us CPU/op (medians)")
    print(f"this build / COMPARE   {statistics.median(pairl):10.2f}   (1 thread x {conns}: median of the pairs; range {min(pairl):.2f}-{max(pairl):.2f})")
last = rounds[-1]
extra = ops2 - last['ops']
if extra > 0:
    # The long run's CPU minus the last short run's, over the extra ops: what an op costs
    # once the process has started and set up (one pair, so it varies more).
    print(f"harness marginal CPU   {(cpu2 - last['cpu_t']) / hz * 1e6 / extra:10.1f} us/op"
          f"   ({2 * secs:.0f} s run minus the last {secs:.0f} s run)")
print(f"history bytes per op   {last['hb'] / last['ops']:10.1f}")
print(f"harness memory per op  {max(0, rss2 - last['rss']) * 1024 / extra if extra > 0 else 0:10.1f} bytes"
      f"   (RSS {last['rss']} KB at {last['ops']} ops, {rss2} KB at {ops2} ops)")
PY
