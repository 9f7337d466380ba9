#!/usr/bin/env bash
# it.sh - integration tests that drive the built backcheck binary end to end on the
# embedded emulator (and on moto_server for the compat case).
#
#   it.sh BACKCHECK_BINARY SOURCE_DIR CASE [ARG]
#
# Each case runs a short scenario from tests/integration/scenarios in a fresh temporary
# directory and asserts what a user would see: the exit code (0 pass, 1 fail, 2 error,
# 3 inconclusive), the run directory's files, and the messages. Exit 77 = skipped.
set -u
BC=$1
SRC=$2
CASE=$3
ARG=${4:-}
SCN=$SRC/tests/integration/scenarios
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bc-it-$CASE-XXXXXX")
SERVER_PID=
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    SERVER_PID=
}
trap 'stop_server; rm -rf "$WORK"' EXIT
export CI=1 # plain log lines, no progress line rewriting

fail() {
    echo "FAIL [$CASE]: $*" >&2
    [ -n "${RUN_DIR:-}" ] && [ -f "$RUN_DIR/log.txt" ] && tail -20 "$RUN_DIR/log.txt" >&2
    # A failed run against a started target: its own log says why (the trap deletes it).
    if [ -n "${RUN_DIR:-}" ] && [ -s "$RUN_DIR/moto.log" ]; then
        echo "--- $RUN_DIR/moto.log (last 40 lines)" >&2
        tail -40 "$RUN_DIR/moto.log" >&2
    fi
    exit 1
}

expect_rc() { # expect_rc WANT GOT WHAT
    [ "$1" = "$2" ] || fail "$3: exit code $2, want $1"
}

# The newest run directory of scenario $1 under $WORK/runs.
run_dir() {
    local d="$WORK/runs/$1/latest"
    [ -L "$d" ] || fail "no latest link for $1"
    RUN_DIR=$(cd "$d" && pwd -P)
}

# `backcheck serve --port 0` in the background; sets SERVER_PID and URL from the
# "listening on" line it prints.
start_serve() {
    "$BC" serve --host 127.0.0.1 --port 0 "$@" >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    local port=
    for _ in $(seq 100); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/serve.log")
        [ -n "$port" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$port" ] || fail "backcheck serve printed no port: $(cat "$WORK/serve.log")"
    URL=http://127.0.0.1:$port
}

# ddb OPERATION JSON: one signed request to $URL with curl (the credentials `backcheck
# serve` accepts by default; test values, not secrets).
ddb() {
    curl -sS --noproxy "*" --fail-with-body --aws-sigv4 "aws:amz:us-east-1:dynamodb" \
        --user backcheck:backcheck-secret -H "X-Amz-Target: DynamoDB_20120810.$1" \
        -H 'Content-Type: application/x-amz-json-1.0' -d "$2" "$URL/"
}

# Sorted table names / backup names on $URL, one line.
table_names() {
    ddb ListTables '{}' | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin)["TableNames"])))'
}
backup_names() {
    ddb ListBackups '{}' |
        python3 -c 'import json,sys; print(" ".join(sorted(b["BackupName"] for b in json.load(sys.stdin)["BackupSummaries"])))'
}

first_type() { head -n1 "$1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["type"])'; }
last_type() { tail -n1 "$1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["type"])'; }

check_complete_run_dir() {
    for f in scenario.json history.jsonl backups.jsonl results.json report.html report.md \
             junit.xml log.txt snapshots/source.jsonl; do
        [ -s "$RUN_DIR/$f" ] || fail "run directory lacks $f"
    done
    [ "$(first_type "$RUN_DIR/history.jsonl")" = meta ] || fail "history does not start with meta"
    [ "$(last_type "$RUN_DIR/history.jsonl")" = end ] || fail "history does not end with end"
    grep -q '"seed":' "$RUN_DIR/scenario.json" || fail "resolved scenario has no seed"
    # Instants are integers in the files (no exponent notation).
    if grep -Eq '"[a-z_]+_ns":[0-9.]+e\+' "$RUN_DIR/history.jsonl" "$RUN_DIR/backups.jsonl"; then
        fail "an instant was written as a floating-point number"
    fi
}

# run_passing SCENARIO_FILE NAME WHAT [OPTION...]: runs it, which must pass and leave a
# complete run directory (RUN_DIR).
run_passing() {
    local file=$1 name=$2 what=$3
    shift 3
    "$BC" run "$file" --out "$WORK/runs" "$@" >"$WORK/out" 2>"$WORK/err"
    local rc=$?
    run_dir "$name"
    expect_rc 0 $rc "$what"
    check_complete_run_dir
}

case "$CASE" in
quick)
    # With prices of its own (--pricing), which the run directory keeps and costs are in.
    sed 's/"as_of": "[0-9-]*"/"as_of": "2031-01-02"/' "$SRC/reports/pricing.json" \
        >"$WORK/prices.json"
    run_passing "$SCN/it-quick.json" it-quick "run it-quick" --pricing "$WORK/prices.json"
    cmp -s "$WORK/prices.json" "$RUN_DIR/pricing.json" || fail "--pricing: the file is not kept"
    python3 -c 'import json, sys; p = json.load(open(sys.argv[1]))["costs"]["pricing"]
assert (p["as_of"], p["source"]) == ("2031-01-02", "pricing.json"), p' \
        "$RUN_DIR/results.json" || fail "--pricing: costs not at its prices"
    for id in b1 b2 p1; do
        [ -s "$RUN_DIR/snapshots/$id.jsonl" ] || fail "no snapshot for $id"
    done
    grep -q '"truth"' "$RUN_DIR/backups.jsonl" || fail "no emulator truth recorded"
    grep -q 'it-quick: pass' "$WORK/out" || fail "no verdict line on stdout"
    # Every later stage can be re-run alone and agrees.
    "$BC" check "$RUN_DIR" >/dev/null
    expect_rc 0 $? "check RUN_DIR"
    grep -q '"as_of":[[:space:]]*"2031-01-02"' "$RUN_DIR/results.json" ||
        fail "check RUN_DIR: not at the prices the run was given"
    "$BC" report "$RUN_DIR" --format json --output "$WORK/r.json"
    expect_rc 0 $? "report --format json"
    python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["verdict"]=="pass"' \
        "$WORK/r.json" || fail "report json verdict"
    ;;
workload)
    WL=$ARG
    case $WL in
    large) RATE=10 EXTRA=', "item_bytes": 50000' ;;
    batch) RATE=20 EXTRA=', "batch_items": 10' ;;
    txn | bank) RATE=60 EXTRA='' ;;
    *) RATE=150 EXTRA='' ;;
    esac
    sed -e "s/@WL@/$WL/g" -e "s/@RATE@/$RATE/" -e "s/@EXTRA@/$EXTRA/" \
        "$SCN/it-workload.json.in" >"$WORK/wl.json"
    "$BC" run "$WORK/wl.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    run_dir "it-wl-$WL"
    expect_rc 0 $rc "run workload $WL"
    check_complete_run_dir
    n=$(grep -c "\"wl\":\"$WL\"" "$RUN_DIR/history.jsonl")
    [ "$n" -gt 10 ] || fail "only $n $WL operations recorded"
    ;;
inflight)
    # Several operations in flight on one thread: every workload passes, each in-flight
    # slot is a worker of its own in the meta line, and the slots of one thread really
    # overlap (impossible for one blocking thread).
    run_passing "$SCN/it-inflight.json" it-inflight "run with inflight > 1"
    grep -q "23 workers on 9 threads" "$RUN_DIR/log.txt" || fail "no workers/threads line in log.txt"
    python3 - "$RUN_DIR/history.jsonl" <<'PY' || fail "in-flight workers or overlap"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
meta = lines[0]
first = 0
for w in meta["workloads"]:
    assert w["workers"] == w["threads"] * w["inflight"], w
    assert w["first_worker"] == first, w
    first += w["workers"]
ops = [o for o in lines if o.get("type") == "op"]
assert {o["w"] for o in ops} == set(range(first)), "a worker recorded no operation"
# The insert workload: one thread, four slots, closed loop. Its slots overlap in time.
ins = meta["workloads"][0]
assert ins["type"] == "insert" and ins["threads"] == 1 and ins["inflight"] == 4
ev = []
for o in ops:
    if o["wi"] == 0 and o["outcome"] == "ok":
        ev.append((o["invoke_ns"], 1))
        ev.append((o["complete_ns"], -1))
ev.sort(key=lambda e: (e[0], e[1]))
cur = peak = 0
for _, d in ev:
    cur += d
    peak = max(peak, cur)
assert peak >= 3, "insert slots never overlapped: peak %d" % peak
print("in-flight peak", peak)
PY
    ;;
sigkill)
    "$BC" run "$SCN/it-long.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    # Wait for the first backup to be AVAILABLE, then kill without warning.
    for _ in $(seq 100); do
        d="$WORK/runs/it-long/latest"
        [ -f "$d/backups.jsonl" ] && grep -q AVAILABLE "$d/backups.jsonl" && break
        sleep 0.1
    done
    sleep 0.5
    kill -KILL $pid
    wait $pid 2>/dev/null
    run_dir it-long
    [ "$(first_type "$RUN_DIR/history.jsonl")" = meta ] || fail "killed run has no meta line"
    grep -q '"type":"end"' "$RUN_DIR/history.jsonl" && fail "killed run has an end line"
    nops=$(grep -c '"type":"op"' "$RUN_DIR/history.jsonl")
    [ "$nops" -gt 100 ] || fail "killed run kept only $nops ops"
    "$BC" check "$RUN_DIR" >"$WORK/check" 2>&1
    rc=$?
    # Nothing was restored: the check reads the history and says it proved nothing.
    expect_rc 3 $rc "check of a killed run"
    [ -s "$RUN_DIR/results.json" ] || fail "check wrote no results.json"
    ;;
sigint)
    "$BC" run "$SCN/it-long.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    sleep 2.5
    kill -INT $pid
    start=$(date +%s)
    wait $pid
    rc=$?
    took=$(($(date +%s) - start))
    run_dir it-long
    [ $took -le 15 ] || fail "took $took s to stop after SIGINT"
    expect_rc 3 $rc "run interrupted by SIGINT"
    grep -q '"type":"interrupted"' "$RUN_DIR/history.jsonl" || fail "no interrupted line"
    grep -q '"reason":"interrupted"' "$RUN_DIR/history.jsonl" || fail "end line not interrupted"
    [ -s "$RUN_DIR/results.json" ] || fail "interrupted run was not checked"
    [ "$(last_type "$RUN_DIR/history.jsonl")" = end ] || fail "history does not end with end"
    ;;
stall)
    start=$(date +%s)
    "$BC" run "$SCN/it-stall.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    took=$(($(date +%s) - start))
    run_dir it-stall
    expect_rc 3 $rc "backup stalled past its deadline"
    [ $took -le 20 ] || fail "took $took s"
    grep -q '"status":"TIMEOUT"' "$RUN_DIR/backups.jsonl" || fail "backup not recorded TIMEOUT"
    ;;
torn)
    "$BC" run "$SCN/it-torn.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    run_dir it-torn
    expect_rc 1 $rc "torn transactions under strict"
    grep -q TORN_TXN "$RUN_DIR/results.json" || fail "no TORN_TXN finding"
    # The same run checked under aws-documented: torn transactions are observations.
    "$BC" check "$RUN_DIR" --profile aws-documented >/dev/null
    rc=$?
    [ $rc -ne 1 ] || fail "aws-documented profile failed a torn transaction"
    ;;
serve-verbose)
    # serve --verbose: a line a request with the client, operation, status, error type
    # and time; none without it.
    command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
    start_serve --verbose
    ddb ListTables '{}' >/dev/null || fail "ListTables"
    ddb DescribeTable '{"TableName":"missing"}' >/dev/null 2>&1
    curl -sS --noproxy "*" -H "X-Amz-Target: DynamoDB_20120810.ListTables" \
        -H 'Content-Type: application/x-amz-json-1.0' -d '{}' "$URL/" >/dev/null
    for _ in $(seq 50); do [ "$(grep -c ' ms$' "$WORK/serve.log")" -ge 3 ] && break; sleep 0.1; done
    grep -Eq '^127\.0\.0\.1:[0-9]+ ListTables 200 [0-9.]+ ms$' "$WORK/serve.log" ||
        fail "no line for ListTables: $(cat "$WORK/serve.log")"
    grep -Eq '^127\.0\.0\.1:[0-9]+ DescribeTable 400 ResourceNotFoundException [0-9.]+ ms$' \
        "$WORK/serve.log" || fail "no line for the failed DescribeTable: $(cat "$WORK/serve.log")"
    grep -Eq '^127\.0\.0\.1:[0-9]+ ListTables 400 MissingAuthenticationTokenException [0-9.]+ ms$' \
        "$WORK/serve.log" || fail "no line for the unsigned request: $(cat "$WORK/serve.log")"
    grep -q 'backcheck-secret' "$WORK/serve.log" && fail "a secret in the request log"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null
    start_serve
    ddb ListTables '{}' >/dev/null || fail "ListTables"
    grep -q ' ms$' "$WORK/serve.log" && fail "a request line without --verbose"
    ;;
verbose)
    # --verbose: a line for each of the run's own requests (tables, backups and their
    # polls, restores), and for each worker request that was retried or failed, with
    # its attempts; none for the workers' plain successes. No credential in any line.
    sed -e 's/"name": "chaos-throttle"/"name": "it-verbose"/' -e 's/"duration_s": 3/"duration_s": 2/' \
        -e 's/"at_s": 2$/"at_s": 1.5/' "$SRC/scenarios/chaos-throttle.json" >"$WORK/verbose.json"
    AWS_ACCESS_KEY_ID=AKIDVERBOSETEST AWS_SECRET_ACCESS_KEY=verbose-secret-value \
        "$BC" run "$WORK/verbose.json" --verbose --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    run_dir it-verbose
    expect_rc 0 $rc "run --verbose"
    for op in CreateTable CreateBackup DescribeBackup RestoreTableFromBackup DeleteTable; do
        grep -q "debug: $op: HTTP 200 in [0-9.]* ms\$" "$WORK/err" ||
            fail "--verbose: no line for $op: $(grep -c debug "$WORK/err") debug lines"
    done
    grep -Eq 'debug: worker [0-9]+ (PutItem|UpdateItem|DeleteItem): .*: attempt 1: throttled \(HTTP 400\), [0-9.]+ ms backoff; attempt 2: ' \
        "$WORK/err" || fail "--verbose: no retried worker request: $(grep worker "$WORK/err" | head -3)"
    grep -Eq 'debug: worker [0-9]+ [A-Za-z]+: HTTP 200 in [0-9.]+ ms$' "$WORK/err" &&
        fail "--verbose: a worker's plain success was logged"
    grep -q 'verbose-secret-value\|AKIDVERBOSETEST' "$WORK/err" "$RUN_DIR/log.txt" &&
        fail "--verbose: a credential was printed"
    grep -q ' debug CreateBackup: HTTP 200 in' "$RUN_DIR/log.txt" || fail "--verbose: not in log.txt"
    ;;
bad-field)
    "$BC" run "$SCN/it-bad-field.json" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    expect_rc 2 $rc "bad scenario field"
    grep -q 'workloads\[0\]\.rate: expected a positive number' "$WORK/err" ||
        fail "error does not name the field: $(cat "$WORK/err")"
    [ -e "$WORK/runs" ] && fail "a bad scenario created a run directory"
    ;;
cli)
    "$BC" --help >/dev/null || fail "--help"
    "$BC" --version | grep -q '^backcheck [0-9]' || fail "--version"
    "$BC" --help | grep -q '^examples:' || fail "--help has no examples"
    for c in run check report compare serve cleanup scenarios; do
        "$BC" $c --help >"$WORK/help" || fail "$c --help"
        grep -q '^examples:' "$WORK/help" || fail "$c --help has no examples"
        # Every option is explained on its own line.
        if grep -E '^  --[a-z-]+( [A-Z:.]+)? *$' "$WORK/help"; then
            fail "$c --help: an option without an explanation"
        fi
        # Fits an 80-column terminal (serve's option list is the emulator's own).
        [ $c = serve ] || ! awk 'length > 80 {print; bad=1} END {exit !bad}' "$WORK/help" ||
            fail "$c --help: a line wider than 80 columns"
        "$BC" $c --bogus 2>"$WORK/err" >/dev/null
        expect_rc 2 $? "$c --bogus"
        [ "$(wc -l <"$WORK/err")" = 1 ] || fail "$c --bogus: not a one-line error: $(cat "$WORK/err")"
        grep -q -- '--bogus' "$WORK/err" || fail "$c --bogus: the option is not named"
    done
    "$BC" compare 2>"$WORK/err"
    expect_rc 2 $? "compare without runs"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "compare without runs: $(cat "$WORK/err")"
    "$BC" run "$SCN/it-quick.json" --bogus 2>"$WORK/err"
    expect_rc 2 $? "unknown flag"
    [ "$(wc -l <"$WORK/err")" = 1 ] || fail "unknown flag: not a one-line error"
    grep -q -- '--bogus' "$WORK/err" || fail "unknown flag not named"
    "$BC" run 2>/dev/null
    expect_rc 2 $? "missing scenario"
    "$BC" check 2>/dev/null
    expect_rc 2 $? "missing run dir"
    "$BC" frobnicate 2>/dev/null
    expect_rc 2 $? "unknown command"
    "$BC" run "$SCN/it-quick.json" --target aws --out "$WORK/runs" 2>"$WORK/err"
    expect_rc 2 $? "aws without --allow-aws"
    grep -q -- '--allow-aws' "$WORK/err" || fail "aws refusal does not say why"
    # Over the budget: the estimate is printed and the run refused before anything is
    # sent (to a dead loopback port, should it ever be).
    AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=not-a-secret AWS_REGION=us-east-1 \
        AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 \
        "$BC" run "$SCN/it-quick.json" --target aws --allow-aws --max-usd 0.0001 \
        --out "$WORK/runs" 2>"$WORK/err"
    expect_rc 2 $? "aws over its budget"
    grep -q 'estimated cost on AWS: \$0\.[0-9]* (budget \$0\.0001)$' "$WORK/err" ||
        fail "aws over budget: no estimate: $(cat "$WORK/err")"
    grep -q 'is above the budget \$0\.0001 (budget.max_usd or --max-usd)' "$WORK/err" ||
        fail "aws over budget: refusal does not say why: $(cat "$WORK/err")"
    # --dry-run: the resolved scenario on stdout; nothing sent, no run directory.
    "$BC" run "$SCN/it-quick.json" --dry-run --seed 9 --duration 2.5 --out "$WORK/dry" \
        >"$WORK/out" 2>"$WORK/err"
    expect_rc 0 $? "run --dry-run"
    [ -e "$WORK/dry" ] && fail "--dry-run made a run directory"
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
assert (d["seed"], d["duration_s"], d["name"]) == (9, 2.5, "it-quick"), d' "$WORK/out" ||
        fail "--dry-run: not the resolved scenario: $(head -c 300 "$WORK/out")"
    grep -q 'nothing was sent' "$WORK/err" || fail "--dry-run does not say so: $(cat "$WORK/err")"
    # ... and for AWS (no --allow-aws needed) the estimate, at the prices of --pricing
    # for a region the built-in prices do not cover, refused without.
    sed 's/"us-east-1"/"eu-west-1"/' "$SRC/reports/pricing.json" >"$WORK/eu-prices.json"
    aws_env() {
        AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=not-a-secret AWS_REGION=eu-west-1 \
            AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:9 "$@"
    }
    aws_env "$BC" run "$SCN/it-quick.json" --target aws --dry-run --out "$WORK/dry" \
        >/dev/null 2>"$WORK/err"
    expect_rc 2 $? "aws --dry-run in a region without built-in prices"
    grep -q 'give --pricing FILE with eu-west-1.s prices' "$WORK/err" ||
        fail "no hint at --pricing: $(cat "$WORK/err")"
    aws_env "$BC" run "$SCN/it-quick.json" --target aws --dry-run --pricing "$WORK/eu-prices.json" \
        --out "$WORK/dry" >/dev/null 2>"$WORK/err"
    expect_rc 0 $? "aws --dry-run --pricing"
    grep -q 'aws estimate (eu-west-1 prices as of ' "$WORK/err" ||
        fail "aws --dry-run: no estimate: $(cat "$WORK/err")"
    [ -e "$WORK/dry" ] && fail "aws --dry-run made a run directory"
    "$BC" run "$SCN/it-quick.json" --dry-run --pricing "$WORK/no-such-prices.json" 2>"$WORK/err"
    expect_rc 2 $? "--pricing with a missing file"
    grep -q -- '--pricing: .*no-such-prices.json' "$WORK/err" || fail "--pricing: $(cat "$WORK/err")"
    "$BC" scenarios --dir "$SRC/scenarios" >"$WORK/list" || fail "scenarios"
    grep -q '^quick ' "$WORK/list" || fail "scenarios does not list quick"
    grep -q 'invalid' "$WORK/list" && fail "a ready scenario is invalid: $(grep invalid "$WORK/list")"
    ;;
compat-moto)
    # On PATH is not enough: a pyenv shim is there for every Python but runs moto_server
    # only for the one that has it (and exits 127 for the others). Run it to know.
    if ! command -v moto_server >/dev/null 2>&1; then
        echo "SKIP: moto_server is not on PATH (pip install 'moto[server]')"
        exit 77
    fi
    if ! timeout 30 moto_server -h >"$WORK/probe" 2>&1; then
        echo "SKIP: moto_server not usable: $(grep -E 'rror|not found' "$WORK/probe" | tail -n1)"
        exit 77
    fi
    "$BC" run "$SCN/it-compat.json" --target moto --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ $rc = 2 ] && grep -q 'moto_server not usable' "$WORK/err"; then
        echo "SKIP: $(grep -m1 'moto_server not usable' "$WORK/err")"
        exit 77
    fi
    run_dir it-compat
    cat "$WORK/out"
    expect_rc 0 $rc "it-compat against moto_server"
    check_complete_run_dir
    ;;
cleanup)
    # Leftovers of a --keep run on a live endpoint: listed without --yes (nothing deleted),
    # deleted with --yes, and only those: another table and its backup survive.
    command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
    start_serve
    # No credentials anywhere: a run and a cleanup against a loopback endpoint use the
    # ones `backcheck serve` accepts by default.
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
        AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    ddb CreateTable '{"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}' >/dev/null ||
        fail "CreateTable orders"
    for _ in $(seq 100); do
        ddb DescribeTable '{"TableName":"orders"}' | grep -q '"TableStatus":"ACTIVE"' && break
        sleep 0.1
    done
    ddb CreateBackup '{"TableName":"orders","BackupName":"orders-nightly"}' >/dev/null ||
        fail "CreateBackup orders"
    "$BC" run "$SCN/it-compat.json" --endpoint "$URL" --keep --out "$WORK/runs" \
        >"$WORK/out" 2>"$WORK/err"
    rc=$?
    run_dir it-compat
    expect_rc 0 $rc "run --keep against backcheck serve"
    id=${RUN_DIR##*-}
    want_tables="backcheck-$id-r-b1 backcheck-$id-src orders"
    want_backups="backcheck-$id-b1 orders-nightly"
    [ "$(table_names)" = "$want_tables" ] || fail "after --keep: tables $(table_names)"
    [ "$(backup_names)" = "$want_backups" ] || fail "after --keep: backups $(backup_names)"
    RUN_DIR=
    # Without --yes: listed, nothing deleted.
    "$BC" cleanup --endpoint "$URL" >"$WORK/list" 2>"$WORK/err"
    expect_rc 0 $? "cleanup without --yes"
    grep -q "^backup backcheck-$id-b1 arn:.* (would delete)\$" "$WORK/list" ||
        fail "backup not listed: $(cat "$WORK/list" "$WORK/err")"
    grep -q "^table backcheck-$id-src (would delete)\$" "$WORK/list" || fail "source not listed"
    grep -q "^table backcheck-$id-r-b1 (would delete)\$" "$WORK/list" || fail "restore not listed"
    grep -q "orders" "$WORK/list" && fail "a table not made by backcheck was listed"
    grep -q '^3 found; run again with --yes' "$WORK/list" || fail "no count: $(cat "$WORK/list")"
    [ "$(table_names)" = "$want_tables" ] || fail "cleanup without --yes deleted a table"
    [ "$(backup_names)" = "$want_backups" ] || fail "cleanup without --yes deleted a backup"
    # Wrong credentials: the listing fails, exit 2, and it does not claim nothing is left.
    AWS_ACCESS_KEY_ID=nobody AWS_SECRET_ACCESS_KEY=wrong "$BC" cleanup --endpoint "$URL" --yes \
        >"$WORK/list" 2>"$WORK/err"
    expect_rc 2 $? "cleanup refused by the endpoint"
    grep -q 'ListTables: UnrecognizedClientException' "$WORK/err" ||
        fail "refusal not reported: $(cat "$WORK/err")"
    grep -q 'nothing named' "$WORK/list" && fail "a failed listing said nothing was left"
    [ "$(table_names)" = "$want_tables" ] || fail "a refused cleanup changed the tables"
    # --yes: exactly the backcheck-* tables and backups go.
    "$BC" cleanup --endpoint "$URL" --yes >"$WORK/list" 2>"$WORK/err"
    expect_rc 0 $? "cleanup --yes: $(cat "$WORK/err")"
    grep -q '^3 deleted$' "$WORK/list" || fail "cleanup --yes: $(cat "$WORK/list")"
    [ "$(table_names)" = "orders" ] || fail "after --yes: tables $(table_names)"
    [ "$(backup_names)" = "orders-nightly" ] || fail "after --yes: backups $(backup_names)"
    "$BC" cleanup --endpoint "$URL" >"$WORK/list"
    expect_rc 0 $? "cleanup of a clean endpoint"
    grep -qx 'nothing named backcheck-\*' "$WORK/list" || fail "second cleanup: $(cat "$WORK/list")"
    ;;
compat-dynalite)
    # A target without on-demand backups (dynalite has no CreateBackup): the run ends with
    # exit 2 and names the missing operation, and still removes the table it made.
    CACHE=$ARG
    command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed (dynalite needs it)"; exit 77; }
    command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
    DYN=
    for d in "$SRC/bench/.cache/dynalite" "$CACHE/dynalite"; do
        [ -x "$d/node_modules/.bin/dynalite" ] && DYN=$d/node_modules/.bin/dynalite && break
    done
    if [ -z "$DYN" ]; then
        command -v npm >/dev/null 2>&1 || { echo "SKIP: dynalite is not installed and npm is absent"; exit 77; }
        mkdir -p "$CACHE/dynalite"
        if ! timeout 300 npm install --prefix "$CACHE/dynalite" --no-audit --no-fund dynalite \
            >"$WORK/npm.log" 2>&1 || [ ! -x "$CACHE/dynalite/node_modules/.bin/dynalite" ]; then
            echo "SKIP: npm install dynalite failed: $(tail -n3 "$WORK/npm.log" | tr '\n' ' ')"
            exit 77
        fi
        DYN=$CACHE/dynalite/node_modules/.bin/dynalite
    fi
    # A free loopback port (bind 0, close); started again on another if it is taken first.
    for _ in 1 2 3; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        "$DYN" --host 127.0.0.1 --port "$port" --createTableMs 0 --deleteTableMs 0 \
            --updateTableMs 0 >"$WORK/dynalite.log" 2>&1 &
        SERVER_PID=$!
        URL=http://127.0.0.1:$port
        for _ in $(seq 100); do
            curl -s --noproxy "*" -o /dev/null "$URL/" && break
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$SERVER_PID" 2>/dev/null && break
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    done
    [ -n "$SERVER_PID" ] || fail "dynalite did not start: $(cat "$WORK/dynalite.log")"
    curl -s --noproxy "*" -o /dev/null "$URL/" || fail "dynalite does not answer on $URL"
    "$BC" run "$SCN/it-compat.json" --endpoint "$URL" --out "$WORK/runs" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    run_dir it-compat
    expect_rc 2 $rc "a run with backups against dynalite"
    grep -q '^backcheck: error: the target does not implement CreateBackup' "$WORK/err" ||
        fail "the error does not name CreateBackup: $(cat "$WORK/err")"
    [ "$(grep -c 'CreateBackup' "$WORK/err")" = 1 ] || fail "the error is not said once: $(cat "$WORK/err")"
    grep -q 'pass\|fail' "$WORK/out" && fail "a verdict was printed: $(cat "$WORK/out")"
    [ -z "$(table_names)" ] || fail "the run left tables: $(table_names)"
    ;;
progress-tty)
    # On a terminal the progress line is rewritten in place (phase, ops/s, backups) and
    # log lines never land on it; with CI set the same run prints plain lines only.
    # script(1) from util-linux gives the run a pseudo-terminal.
    if ! script -q -e -c true /dev/null >/dev/null 2>&1; then
        echo "SKIP: script(1) from util-linux is not installed"
        exit 77
    fi
    cmd="$BC run $SCN/it-compat.json --duration 2 --out $WORK/runs"
    env -u CI script -q -e -c "$cmd" /dev/null >"$WORK/tty.out" 2>&1 </dev/null
    expect_rc 0 $? "run on a terminal"
    python3 - "$WORK/tty.out" <<'PY' || fail "progress line on a terminal (output in $WORK/tty.out above)"
import re, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8", "replace").replace("\r\n", "\n")
# What the terminal shows: each carriage return goes back to the start of the line,
# and later characters overwrite earlier ones.
def render(line):
    cells, col = [], 0
    for ch in line:
        if ch == "\r":
            col = 0
            continue
        if col < len(cells):
            cells[col] = ch
        else:
            cells.append(ch)
        col += 1
    return "".join(cells).rstrip()
shown = [render(l) for l in raw.split("\n")]
pat = r"\[(\w+)\s*\]\s+[0-9.]+s\s+([0-9]+) ops/s\s+[0-9]+ ops\s+backups ([0-9])/1\s+errors [0-9]+"
drawn = re.findall(pat, raw)
bad = []
if "\r" not in raw:
    bad.append("no line was rewritten in place")
if not any(ph == "workload" and int(rate) > 0 for ph, rate, _ in drawn):
    bad.append("no workload progress with a positive ops/s")
# The count of backups done must reach 1/1 on some progress line. (Which phase draws it
# depends on timing: a restore that takes less than one refresh is never drawn.)
if not any(b == "1" for _, _, b in drawn):
    bad.append("no progress line with backups 1/1")
for l in shown:
    if "ops/s" in l and "backcheck:" in l:
        bad.append("a log line shares a line with the progress line: " + repr(l))
    if "ops/s" in l and not re.fullmatch(pat + r"(  deadline [0-9.]+s)?", l):
        bad.append("a garbled progress line: " + repr(l))
if not any(l.startswith("it-compat: pass") for l in shown):
    bad.append("no verdict line")
if not any(l.startswith("backcheck: info: source table") for l in shown):
    bad.append("log lines are not shown")
for b in bad:
    print(b, file=sys.stderr)
if bad:
    sys.stdout.write(raw)
sys.exit(1 if bad else 0)
PY
    # CI set: nothing is rewritten in place; the progress is a log line of its own (one
    # every 5 s, so this run lasts 6 s).
    cmd="$BC run $SCN/it-compat.json --duration 6 --out $WORK/runs"
    CI=1 script -q -e -c "$cmd" /dev/null >"$WORK/ci.out" 2>&1 </dev/null
    expect_rc 0 $? "run on a terminal with CI=1"
    sed 's/\r$//' "$WORK/ci.out" >"$WORK/ci.txt"
    grep -q $'\r' "$WORK/ci.txt" && fail "CI=1: a line was rewritten in place: $(cat -A "$WORK/ci.txt")"
    grep -Eq '^backcheck: info: \[workload\] +[0-9.]+s +[0-9]+ ops/s .*backups [01]/1' "$WORK/ci.txt" ||
        fail "CI=1: no plain progress line: $(cat "$WORK/ci.txt")"
    grep -q '^it-compat: pass' "$WORK/ci.txt" || fail "CI=1: no verdict line"
    # `scenarios` on a terminal wraps each description to 80 columns under its own
    # column; piped, one line a scenario. The same words either way.
    script -q -e -c "$BC scenarios --dir $SRC/scenarios" /dev/null >"$WORK/sc.tty" 2>&1 </dev/null
    expect_rc 0 $? "scenarios on a terminal"
    "$BC" scenarios --dir "$SRC/scenarios" >"$WORK/sc.pipe" || fail "scenarios piped"
    python3 - "$WORK/sc.tty" "$WORK/sc.pipe" <<'PY' || fail "scenarios on a terminal: $(cat "$WORK/sc.tty")"
import sys
tty = open(sys.argv[1]).read().replace("\r\n", "\n").splitlines()
pipe = open(sys.argv[2]).read().splitlines()
assert all(len(l) <= 80 for l in tty), [l for l in tty if len(l) > 80]
assert any(len(l) > 80 for l in pipe), "piped lines were wrapped"
assert tty[0].startswith("all-workloads ") and tty[1].startswith(" " * 21), tty[:2]
assert " ".join(" ".join(tty).split()) == " ".join(" ".join(pipe).split())
PY
    ;;
moto-unusable)
    # A moto_server that is on PATH but does not run (a version manager's shim for a
    # Python without moto): the run refuses at once, with the reason.
    mkdir -p "$WORK/bin"
    cat >"$WORK/bin/moto_server" <<'SHIM'
#!/bin/sh
echo "pyenv: moto_server: command not found" >&2
echo "" >&2
echo "The \`moto_server' command exists in these Python versions:" >&2
echo "  3.11.7" >&2
exit 127
SHIM
    chmod +x "$WORK/bin/moto_server"
    PATH="$WORK/bin:$PATH" "$BC" run "$SCN/it-compat.json" --target moto --out "$WORK/runs" \
        >"$WORK/out" 2>"$WORK/err"
    rc=$?
    expect_rc 2 $rc "moto_server that exits 127"
    grep -q 'moto_server not usable: .*exited 127 (pyenv: moto_server: command not found)' \
        "$WORK/err" || fail "no reason given: $(cat "$WORK/err")"
    # Not on PATH at all: the message says how to install it.
    mkdir -p "$WORK/empty"
    ln -s "$(command -v sh)" "$WORK/empty/sh"
    PATH="$WORK/empty" "$BC" run "$SCN/it-compat.json" --target moto --out "$WORK/runs" \
        >"$WORK/out" 2>"$WORK/err"
    expect_rc 2 $? "moto_server not on PATH"
    grep -q "moto_server is not on PATH (pip install 'moto\[server\]')" "$WORK/err" ||
        fail "not-on-PATH message: $(cat "$WORK/err")"
    ;;
*)
    echo "unknown case $CASE" >&2
    exit 2
    ;;
esac
echo "ok [$CASE${ARG:+ $ARG}]"
exit 0
