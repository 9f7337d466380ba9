#!/usr/bin/env bash
# run.sh - PutItem/s of `backcheck serve --no-auth` against dynalite, moto_server and a
# no-op libmicrohttpd endpoint (the ceiling), in one run on this machine, with the same wrk
# threads, connections and duration for each. Prints a Markdown table and the ratios the
# project aims at: serve >= 5x dynalite, >= 50x moto_server, >= 40% of the no-op endpoint.
#
# Usage: bench/emulator/run.sh [BUILD_DIR] [DURATION] [CONNECTIONS] [THREADS]
#        (defaults: build 10s 32 2). BACKCHECK_BIN overrides BUILD_DIR/backcheck.
# Needs wrk, cc and libmicrohttpd's headers; dynalite is installed with npm into
# bench/.cache/dynalite on first use; moto_server is taken from PATH. A target that is not
# there gets a row saying so. Everything listens on 127.0.0.1 only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/emulator
BUILD=${1:-$ROOT/build}
DUR=${2:-10s}
CONNS=${3:-32}
THREADS=${4:-2}
BIN=${BACKCHECK_BIN:-$BUILD/backcheck}
CACHE=$ROOT/bench/.cache
DYNALITE_VERSION=4.0.0
WARMUP=2s

command -v wrk >/dev/null || { echo "run.sh: wrk not found (apt-get install wrk)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "run.sh: $BIN not found: build it (cmake --build $BUILD --target backcheck)" >&2; exit 2; }
mkdir -p "$CACHE"
WORK=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# The no-op endpoint, built from source each run (a few hundred ms).
cc -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE "$HERE/noop.c" \
    $(pkg-config --cflags --libs libmicrohttpd) -lpthread -o "$CACHE/noop"

DYNALITE=$CACHE/dynalite/node_modules/.bin/dynalite
if [ ! -x "$DYNALITE" ] && command -v npm >/dev/null; then
    echo "installing dynalite $DYNALITE_VERSION into $CACHE/dynalite" >&2
    npm install --prefix "$CACHE/dynalite" --no-audit --no-fund --loglevel=error \
        "dynalite@$DYNALITE_VERSION" >&2 || true
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME READY_REGEX COMMAND...: starts a target, waits for its "listening" line.
start() {
    local name=$1 ready=$2
    shift 2
    "$@" >"$WORK/$name.log" 2>&1 &
    PID=$!
    for _ in $(seq 300); do
        grep -Eq "$ready" "$WORK/$name.log" && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "run.sh: $name did not start:" >&2
    cat "$WORK/$name.log" >&2
    return 1
}

stop() {
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
}

declare -A RPS
ROWS=()

# measure NAME URL KIND: warm-up, then the measured wrk run; KIND "ddb" also creates the
# table first and counts the items afterwards (every acknowledged PutItem must be there).
measure() {
    local name=$1 url=$2 kind=$3 out rps reqs non2xx sockerr p50 p99 items=- missing=-
    if [ "$kind" = ddb ]; then
        python3 "$HERE/admin.py" "$url" create bench
    fi
    local probe
    probe=$(python3 "$HERE/admin.py" "$url" probe)
    case "$probe" in
        "200 "*) ;;
        *) echo "run.sh: $name answers a PutItem with: $probe" >&2; return 1 ;;
    esac
    local warm warm_reqs warm_bad
    warm=$(BENCH_RUN=warm wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/putitem.lua" "$url/")
    warm_reqs=$(awk '/requests in/ {print $1}' <<<"$warm")
    warm_bad=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$warm")
    out=$(BENCH_RUN=main wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -s "$HERE/putitem.lua" "$url/")
    echo "$out" >"$WORK/$name.wrk"
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    sockerr=$(awk -F'[ ,]+' '/Socket errors:/ {print $4+$6+$8+$10}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    if [ "$kind" = ddb ]; then
        # Every acknowledged write (warm-up, measured run, the probe) must be in the table;
        # a few more may be there, applied while wrk was closing its connections.
        items=$(python3 "$HERE/admin.py" "$url" count bench)
        missing=$((warm_reqs - ${warm_bad:-0} + reqs - ${non2xx:-0} + 1 - items))
        [ "$missing" -gt 0 ] || missing=0
    fi
    RPS[$name]=$rps
    ROWS+=("| $name | $rps | $reqs | ${non2xx:-0} | ${sockerr:-0} | $p50 | $p99 | $items | $missing |")
}

na_row() { ROWS+=("| $1 | n/a ($2) | | | | | | | |"); }

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# (d) the ceiling
if start noop 'listening on' "$CACHE/noop" 0; then
    url=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$WORK/noop.log")
    measure noop "$url" plain || na_row noop "failed"
    stop
fi

# (a) the emulator
if start serve 'listening on' "$BIN" serve --host 127.0.0.1 --port 0 --no-auth; then
    url=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$WORK/serve.log")
    measure serve "$url" ddb || na_row serve "failed"
    stop
fi

# (b) dynalite (in memory: no --path)
if [ -x "$DYNALITE" ]; then
    port=$(free_port)
    if start dynalite 'listening' "$DYNALITE" --host 127.0.0.1 --port "$port"; then
        measure dynalite "http://127.0.0.1:$port" ddb || na_row dynalite "failed"
        stop
    fi
else
    na_row dynalite "not installed"
fi

# (c) moto_server
if command -v moto_server >/dev/null; then
    port=$(free_port)
    if start moto_server 'Running on' moto_server -H 127.0.0.1 -p "$port"; then
        measure moto_server "http://127.0.0.1:$port" ddb || na_row moto_server "failed"
        stop
    fi
else
    na_row moto_server "not on PATH"
fi

ratio() { # ratio A B: A/B with 2 decimals, or n/a
    if [ -n "${RPS[$1]:-}" ] && [ -n "${RPS[$2]:-}" ] && [ "${RPS[$2]}" -gt 0 ]; then
        awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN {printf "%.2f", a / b}'
    else
        echo n/a
    fi
}
verdict() { # verdict VALUE GOAL
    [ "$1" = n/a ] && { echo "n/a"; return; }
    awk -v v="$1" -v g="$2" 'BEGIN {print (v >= g) ? "met" : "NOT met"}'
}

echo
echo "PutItem, wrk -t$THREADS -c$CONNS -d$DUR (after a $WARMUP warm-up), $(date -u +%Y-%m-%d)," \
    "$(nproc) cores, load average before: $LOAD"
echo
echo "| target | req/s | requests | non-2xx | socket errors | p50 | p99 | items after | acked but missing |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
r1=$(ratio serve dynalite)
r2=$(ratio serve moto_server)
r3=$(ratio serve noop)
echo "| ratio | measured | goal | |"
echo "|---|---|---|---|"
echo "| serve / dynalite | $r1 | >= 5 | $(verdict "$r1" 5) |"
echo "| serve / moto_server | $r2 | >= 50 | $(verdict "$r2" 50) |"
echo "| serve / noop | $r3 | >= 0.40 | $(verdict "$r3" 0.40) |"
