#!/usr/bin/env bash
# test_awscli.sh - the AWS CLI, unmodified, against `backcheck serve`.
#
# Drives the flows a user types by hand with --endpoint-url: table life cycle with a GSI
# and the table-exists waiter, list-tables pagination, items with condition/update
# expressions and ReturnValues, query/scan pagination, parallel scan, batch-write-item,
# transactions (a canceled one with its reasons), on-demand backups and restores, PITR,
# and SigV4 rejection (wrong secret, unknown key: refused and nothing written).
#
# Every CLI call is a fresh Python process (~0.5 s), so independent sections run side by
# side, each on its own tables, and each prints its "ok"/"not ok" lines to its own file.
#
# Usage: BACKCHECK_BIN=build/backcheck bash tests/compat/test_awscli.sh   (or BIN as $1)
# Prints the checks and a closing "N passed, N failed"; exits 77 when the CLI is absent.
set -u

BIN=${BACKCHECK_BIN:-${1:-}}
if ! command -v aws >/dev/null 2>&1; then
    echo "aws CLI not found: skipping"
    exit 77
fi
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then
    echo "backcheck binary not found (set BACKCHECK_BIN): skipping"
    exit 77
fi
# A pyenv shim costs a second process per call; run the real script when there is one.
AWS=$(command -v aws)
if command -v pyenv >/dev/null 2>&1 && real=$(pyenv which aws 2>/dev/null); then
    AWS=$real
fi

# Test-only credentials the server is started with; not secrets.
KEY=compatkey
SECRET=compat-secret
export AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_DEFAULT_OUTPUT
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --port 0: the server picks a free loopback port and prints it.
"$BIN" serve --host 127.0.0.1 --port 0 --credentials "$KEY:$SECRET" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 100); do
    PORT=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$WORK/serve.log")
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    echo "not ok - backcheck serve did not report a port:"
    cat "$WORK/serve.log"
    echo "0 passed, 1 failed"
    exit 1
fi
EP=http://127.0.0.1:$PORT

ddb() { "$AWS" dynamodb --endpoint-url "$EP" --output text "$@"; }
ddbj() { "$AWS" dynamodb --endpoint-url "$EP" --output json "$@"; }

# pyget EXPR: evaluates a Python expression over the JSON on stdin (bound to d); prints
# strings as they are and everything else as compact JSON.
pyget() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":"), sort_keys=True))
' "$1"
}

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        echo "ok - $1"
    else
        echo "not ok - $1"
        echo "    expected: $2"
        echo "    got:      $3"
    fi
}

# expect_error NAME CODE COMMAND...: the command fails with that error code. The output
# is left in LAST_ERROR.
expect_error() {
    local name=$1 code=$2
    shift 2
    local rc
    LAST_ERROR=$("$@" 2>&1)
    rc=$?
    if [ $rc -ne 0 ] && [[ $LAST_ERROR == *"($code)"* ]]; then
        echo "ok - $name"
    else
        echo "not ok - $name: expected error $code, got exit $rc:"
        echo "$LAST_ERROR" | sed 's/^/    /' | head -5
    fi
}

words() { tr -s '\t\n' '  ' | sed 's/ $//'; }

SUFFIX=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
T=compat-cli-$SUFFIX
B=$T-bk
P=$T-pitr

create_hash_table() {
    ddb create-table --table-name "$1" --attribute-definitions AttributeName=pk,AttributeType=S \
        --key-schema AttributeName=pk,KeyType=HASH --billing-mode PAY_PER_REQUEST >/dev/null
}

# ---- table life cycle, items, query/scan, batches, transactions on $T ------------------
section_main() {
    local out token
    out=$(ddb create-table --table-name "$T" \
        --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
        AttributeName=g,AttributeType=S \
        --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
        --global-secondary-indexes \
        'IndexName=by-g,KeySchema=[{AttributeName=g,KeyType=HASH},{AttributeName=sk,KeyType=RANGE}],Projection={ProjectionType=ALL}' \
        --billing-mode PAY_PER_REQUEST --query TableDescription.TableName)
    check "create-table with hash+range and a GSI" "$T" "$out"
    ddb wait table-exists --table-name "$T"
    check "wait table-exists" 0 $?
    out=$(ddbj describe-table --table-name "$T" | pyget \
        '[d["Table"]["TableStatus"], [(k["AttributeName"], k["KeyType"]) for k in d["Table"]["KeySchema"]],
          [(g["IndexName"], g["IndexStatus"]) for g in d["Table"]["GlobalSecondaryIndexes"]]]')
    check "describe-table: status, key schema, GSI" \
        '["ACTIVE",[["pk","HASH"],["sk","RANGE"]],[["by-g","ACTIVE"]]]' "$out"
    expect_error "create-table twice: ResourceInUseException" ResourceInUseException \
        create_hash_table "$T"

    # -- items
    local K='{"pk":{"S":"item"},"sk":{"N":"1"}}'
    ddb put-item --table-name "$T" \
        --item '{"pk":{"S":"item"},"sk":{"N":"1"},"n":{"N":"1"},"tags":{"SS":["a","b"]}}'
    check "put-item" 0 $?
    check "get-item" '{"n":{"N":"1"},"pk":{"S":"item"},"sk":{"N":"1"},"tags":{"SS":["a","b"]}}' \
        "$(ddbj get-item --table-name "$T" --key "$K" --consistent-read | pyget 'd["Item"]')"
    expect_error "put-item attribute_not_exists over an item: ConditionalCheckFailedException" \
        ConditionalCheckFailedException ddb put-item --table-name "$T" \
        --item '{"pk":{"S":"item"},"sk":{"N":"1"},"n":{"N":"100"}}' \
        --condition-expression 'attribute_not_exists(pk)'
    # The condition n = 1 succeeding also shows the failed put wrote nothing.
    out=$(ddbj update-item --table-name "$T" --key "$K" \
        --update-expression 'SET n = n + :d, #s = :s REMOVE tags' --condition-expression 'n = :one' \
        --expression-attribute-names '{"#s":"status"}' \
        --expression-attribute-values '{":d":{"N":"1"},":one":{"N":"1"},":s":{"S":"done"}}' \
        --return-values UPDATED_NEW | pyget 'd["Attributes"]')
    check "update-item with condition: UPDATED_NEW" '{"n":{"N":"2"},"status":{"S":"done"}}' "$out"
    expect_error "update-item failing condition" ConditionalCheckFailedException \
        ddb update-item --table-name "$T" --key "$K" --update-expression 'SET n = :z' \
        --condition-expression 'n = :one' --expression-attribute-values '{":z":{"N":"0"},":one":{"N":"1"}}'
    check "update-item UPDATED_OLD" '{"n":{"N":"2"}}' "$(ddbj update-item --table-name "$T" --key "$K" \
        --update-expression 'ADD n :d' --expression-attribute-values '{":d":{"N":"5"}}' \
        --return-values UPDATED_OLD | pyget 'd["Attributes"]')"
    check "put-item ALL_OLD" '{"n":{"N":"7"},"pk":{"S":"item"},"sk":{"N":"1"},"status":{"S":"done"}}' \
        "$(ddbj put-item --table-name "$T" --item '{"pk":{"S":"item"},"sk":{"N":"1"},"n":{"N":"0"}}' \
        --return-values ALL_OLD | pyget 'd["Attributes"]')"
    check "delete-item ALL_OLD" "0" "$(ddb delete-item --table-name "$T" --key "$K" \
        --return-values ALL_OLD --query Attributes.n.N)"
    check "get-item after delete: no Item" "None" \
        "$(ddb get-item --table-name "$T" --key "$K" --consistent-read --query Item)"

    # -- batch-write-item, query and scan pagination
    python3 - "$T" "$WORK/batch.json" <<'EOF'
import json, sys
t, path = sys.argv[1], sys.argv[2]
reqs = [{"PutRequest": {"Item": {"pk": {"S": "q"}, "sk": {"N": str(i)},
                                 "g": {"S": "even" if i % 2 == 0 else "odd"}}}}
        for i in range(25)]
json.dump({t: reqs}, open(path, "w"))
EOF
    check "batch-write-item 25 puts: UnprocessedItems is empty" "{}" \
        "$(ddbj batch-write-item --request-items "file://$WORK/batch.json" | pyget 'd["UnprocessedItems"]')"
    out=$(ddb query --table-name "$T" --key-condition-expression 'pk = :p' \
        --expression-attribute-values '{":p":{"S":"q"}}' --page-size 4 --query 'Items[].sk.N' | words)
    check "query --page-size 4: every item in sort-key order" "$(seq -s ' ' 0 24)" "$out"
    local qargs=(--table-name "$T" --key-condition-expression 'pk = :p AND sk BETWEEN :a AND :b'
        --expression-attribute-values '{":p":{"S":"q"},":a":{"N":"5"},":b":{"N":"14"}}'
        --no-scan-index-forward --page-size 2)
    out=$(ddbj query "${qargs[@]}" --max-items 3)
    check "query descending --max-items 3" '["14","13","12"]' \
        "$(printf '%s' "$out" | pyget '[i["sk"]["N"] for i in d["Items"]]')"
    token=$(printf '%s' "$out" | pyget 'd.get("NextToken", "")')
    check "query --starting-token resumes" "11 10 9 8 7 6 5" \
        "$(ddb query "${qargs[@]}" --starting-token "$token" --query 'Items[].sk.N' | words)"
    check "query the GSI" 13 "$(ddb query --table-name "$T" --index-name by-g \
        --key-condition-expression 'g = :g' --expression-attribute-values '{":g":{"S":"even"}}' \
        --select COUNT --query Count)"
    # --query applies to each page; add the pages up.
    check "scan --page-size 7: four pages, every item" "4 25" \
        "$(ddb scan --table-name "$T" --page-size 7 --query 'length(Items)' | awk '{n++; s+=$1} END {print n, s}')"
    check "scan with filter: Count and ScannedCount" "12 25" "$(ddb scan --table-name "$T" \
        --filter-expression 'g = :g' --expression-attribute-values '{":g":{"S":"odd"}}' \
        --query '[Count,ScannedCount]' | tr '\t' ' ')"
    : >"$WORK/segments"
    for seg in 0 1 2; do
        ddb scan --table-name "$T" --segment $seg --total-segments 3 --page-size 5 \
            --query 'Items[].[pk.S,sk.N]' >>"$WORK/segments"
    done
    check "parallel scan: 3 segments cover every item once" "25 25" \
        "$(wc -l <"$WORK/segments" | tr -d ' ') $(sort -u "$WORK/segments" | wc -l | tr -d ' ')"
    expect_error "scan with Segment >= TotalSegments: ValidationException" ValidationException \
        ddb scan --table-name "$T" --segment 3 --total-segments 3

    # -- transactions
    cat >"$WORK/txn-ok.json" <<EOF
[{"Put":{"TableName":"$T","Item":{"pk":{"S":"acct"},"sk":{"N":"1"},"bal":{"N":"100"}},
  "ConditionExpression":"attribute_not_exists(pk)"}},
 {"Update":{"TableName":"$T","Key":{"pk":{"S":"q"},"sk":{"N":"0"}},
  "UpdateExpression":"SET touched = :t","ExpressionAttributeValues":{":t":{"BOOL":true}}}}]
EOF
    ddb transact-write-items --transact-items "file://$WORK/txn-ok.json" >/dev/null
    check "transact-write-items success" 0 $?
    cat >"$WORK/txn-bad.json" <<EOF
[{"Put":{"TableName":"$T","Item":{"pk":{"S":"never"},"sk":{"N":"1"}}}},
 {"ConditionCheck":{"TableName":"$T","Key":{"pk":{"S":"acct"},"sk":{"N":"1"}},
  "ConditionExpression":"bal > :x","ExpressionAttributeValues":{":x":{"N":"1000"}}}}]
EOF
    expect_error "canceled transaction: TransactionCanceledException" TransactionCanceledException \
        ddb transact-write-items --transact-items "file://$WORK/txn-bad.json"
    check "cancellation reasons in the message" yes \
        "$([[ $LAST_ERROR == *"[None, ConditionalCheckFailed]"* ]] && echo yes || echo "no: $LAST_ERROR")"
    # One consistent scan shows both effects of the first and none of the second.
    out=$(ddbj scan --table-name "$T" --consistent-read --filter-expression 'pk <> :q OR sk = :z' \
        --expression-attribute-values '{":q":{"S":"q"},":z":{"N":"0"}}' | pyget \
        'sorted((i["pk"]["S"], i.get("bal", i.get("touched"))) for i in d["Items"])')
    check "transactions: the first applied whole, the canceled one not at all" \
        '[["acct",{"N":"100"}],["q",{"BOOL":true}]]' "$out"
}

# ---- on-demand backup and restore on $B ------------------------------------------------
section_backup() {
    local arn status out
    create_hash_table "$B"
    ddb wait table-exists --table-name "$B"
    echo "{\"$B\":[$(for i in 1 2 3 4 5; do printf '{"PutRequest":{"Item":{"pk":{"S":"b%s"}}}},' $i; done | sed 's/,$//')]}" \
        >"$WORK/bk.json"
    ddb batch-write-item --request-items "file://$WORK/bk.json" >/dev/null
    arn=$(ddb create-backup --table-name "$B" --backup-name cli-backup --query BackupDetails.BackupArn)
    check "create-backup returns an ARN" yes "$([[ $arn == arn:aws:dynamodb:* ]] && echo yes || echo "$arn")"
    # Written after the backup request: not in it (the default cut model is exact).
    ddb put-item --table-name "$B" --item '{"pk":{"S":"after-backup"}}'
    for _ in $(seq 50); do
        out=$(ddbj describe-backup --backup-arn "$arn" | pyget \
            '[d["BackupDescription"]["BackupDetails"]["BackupStatus"], d["BackupDescription"]["SourceTableDetails"]["TableName"]]')
        [[ $out == *CREATING* ]] || break
        sleep 0.1
    done
    check "describe-backup: AVAILABLE, source table" "[\"AVAILABLE\",\"$B\"]" "$out"
    check "list-backups --table-name" "[[\"$arn\",\"cli-backup\",\"AVAILABLE\"]]" \
        "$(ddbj list-backups --table-name "$B" | pyget \
        '[[s["BackupArn"], s["BackupName"], s["BackupStatus"]] for s in d["BackupSummaries"]]')"
    check "restore-table-from-backup" "$B-restored" "$(ddb restore-table-from-backup \
        --target-table-name "$B-restored" --backup-arn "$arn" --query TableDescription.TableName)"
    ddb wait table-exists --table-name "$B-restored"
    check "restored table holds exactly the items before the backup" "b1 b2 b3 b4 b5" \
        "$(ddb scan --table-name "$B-restored" --consistent-read --query 'Items[].pk.S' | words | tr ' ' '\n' | sort | words)"
    check "delete-backup: DELETED" DELETED \
        "$(ddb delete-backup --backup-arn "$arn" --query BackupDescription.BackupDetails.BackupStatus)"
    expect_error "describe-backup after delete: BackupNotFoundException" BackupNotFoundException \
        ddb describe-backup --backup-arn "$arn"
}

# ---- point-in-time recovery on $P, then signatures --------------------------------------
section_pitr() {
    local when
    create_hash_table "$P"
    ddb wait table-exists --table-name "$P"
    check "update-continuous-backups: ENABLED" ENABLED "$(ddb update-continuous-backups --table-name "$P" \
        --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true \
        --query ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus)"
    ddb put-item --table-name "$P" --item '{"pk":{"S":"before"}}'
    # A whole second strictly between the two writes.
    sleep "$(python3 -c 'import time; print(1.2 - time.time() % 1.0)')"
    when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    sleep 0.3
    ddb put-item --table-name "$P" --item '{"pk":{"S":"after"}}'
    ddb restore-table-to-point-in-time --source-table-name "$P" --target-table-name "$P-at" \
        --restore-date-time "$when" >/dev/null
    check "restore-table-to-point-in-time --restore-date-time" 0 $?
    ddb restore-table-to-point-in-time --source-table-name "$P" --target-table-name "$P-latest" \
        --use-latest-restorable-time >/dev/null
    check "restore-table-to-point-in-time --use-latest-restorable-time" 0 $?
    ddb wait table-exists --table-name "$P-at"
    check "PITR restore holds only the earlier write" before \
        "$(ddb scan --table-name "$P-at" --consistent-read --query 'Items[].pk.S')"
    ddb wait table-exists --table-name "$P-latest"
    check "PITR latest restore holds both" "after before" \
        "$(ddb scan --table-name "$P-latest" --consistent-read --query 'Items[].pk.S' | words | tr ' ' '\n' | sort | words)"

    expect_error "wrong secret: InvalidSignatureException" InvalidSignatureException \
        env AWS_SECRET_ACCESS_KEY=wrong-secret "$AWS" dynamodb --endpoint-url "$EP" put-item \
        --table-name "$P" --item '{"pk":{"S":"forged"}}'
    expect_error "unknown key: UnrecognizedClientException" UnrecognizedClientException \
        env AWS_ACCESS_KEY_ID=AKIDUNKNOWN "$AWS" dynamodb --endpoint-url "$EP" put-item \
        --table-name "$P" --item '{"pk":{"S":"forged"}}'
    check "rejected requests wrote nothing" None \
        "$(ddb get-item --table-name "$P" --key '{"pk":{"S":"forged"}}' --consistent-read --query Item)"
}

section_main >"$WORK/main.out" 2>&1 &
main_pid=$!
section_backup >"$WORK/backup.out" 2>&1 &
backup_pid=$!
section_pitr >"$WORK/pitr.out" 2>&1
wait $main_pid $backup_pid
cat "$WORK/main.out" "$WORK/backup.out" "$WORK/pitr.out" >"$WORK/all.out"

# ---- list-tables pagination and deletion, once every table exists ------------------------
{
    ALL=("$T" "$B" "$B-restored" "$P" "$P-at" "$P-latest")
    # --page-size 1: the CLI follows LastEvaluatedTableName one table at a time.
    check "list-tables --page-size 1 lists each table once" 6 \
        "$(ddbj list-tables --page-size 1 | pyget "len([n for n in d['TableNames'] if n.startswith('$T')])")"
    first=$(ddbj list-tables --max-items 2)
    token=$(printf '%s' "$first" | pyget 'd.get("NextToken", "")')
    rest=$(ddbj list-tables --starting-token "$token")
    printf '%s' "$first" >"$WORK/l1"
    printf '%s' "$rest" >"$WORK/l2"
    check "list-tables --max-items 2, then --starting-token: every table once, in order" ok \
        "$(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))["TableNames"]
b = json.load(open(sys.argv[2]))["TableNames"]
names = a + b
mine = [n for n in names if n.startswith(sys.argv[3])]
ok = len(a) == 2 and len(names) == len(set(names)) and names == sorted(names) and len(mine) == 6
print("ok" if ok else f"pages {a} + {b}")' "$WORK/l1" "$WORK/l2" "$T")"
    for t in "${ALL[@]}"; do
        ddb delete-table --table-name "$t" >/dev/null || echo "not ok - delete-table $t"
    done
    ddb wait table-not-exists --table-name "$T"
    check "wait table-not-exists" 0 $?
    check "list-tables after delete" 0 \
        "$(ddbj list-tables | pyget "len([n for n in d['TableNames'] if n.startswith('$T')])")"
    expect_error "describe-table after delete: ResourceNotFoundException" ResourceNotFoundException \
        ddb describe-table --table-name "$T"

    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    check "backcheck serve exits 0 on SIGTERM" 0 $?
    SERVER_PID=
} >>"$WORK/all.out" 2>&1

cat "$WORK/all.out"
PASS=$(grep -c '^ok - ' "$WORK/all.out")
FAIL=$(grep -c '^not ok - ' "$WORK/all.out")
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
