#!/usr/bin/env python3
"""check_iam_policy.py - docs/iam-policy.json must allow every DynamoDB operation backcheck
calls against a real target (the operation names in harness/, workloads/, ddb/scan.c and
ddb/wait.c) and nothing it does not need: each action in the policy is either called or
listed below with the reason AWS requires it. Tables and backups are scoped to
backcheck-*; only the List operations (which IAM cannot scope) get "*"."""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("BACKCHECK_SOURCE_DIR") or os.path.abspath(os.path.join(HERE, "..", ".."))

# Every DynamoDB API operation (service model 2012-08-10) a string literal could name.
DDB_OPS = set("""BatchExecuteStatement BatchGetItem BatchWriteItem CreateBackup CreateGlobalTable
CreateTable DeleteBackup DeleteItem DeleteResourcePolicy DeleteTable DescribeBackup
DescribeContinuousBackups DescribeContributorInsights DescribeEndpoints DescribeExport
DescribeGlobalTable DescribeGlobalTableSettings DescribeImport DescribeKinesisStreamingDestination
DescribeLimits DescribeTable DescribeTableReplicaAutoScaling DescribeTimeToLive
DisableKinesisStreamingDestination EnableKinesisStreamingDestination ExecuteStatement
ExecuteTransaction ExportTableToPointInTime GetItem GetResourcePolicy ImportTable ListBackups
ListContributorInsights ListExports ListGlobalTables ListImports ListTables ListTagsOfResource
PutItem PutResourcePolicy Query RestoreTableFromBackup RestoreTableToPointInTime Scan TagResource
TransactGetItems TransactWriteItems UntagResource UpdateContinuousBackups
UpdateContributorInsights UpdateGlobalTable UpdateGlobalTableSettings UpdateItem
UpdateKinesisStreamingDestination UpdateTable UpdateTableReplicaAutoScaling
UpdateTimeToLive""".split())

# IAM has no action for the transaction APIs: it authorizes each item action inside.
IMPLIES = {"TransactWriteItems": ["PutItem", "UpdateItem", "DeleteItem"],
           "TransactGetItems": ["GetItem"]}
# Actions AWS requires although backcheck never names them as an operation.
REQUIRED_BY_AWS = {
    "TagResource": "CreateTable with Tags (the run tags every table for cleanup)",
    "Query": "restores write the restored table with the caller's item permissions, Query included",
}
LIST_OPS = {"ListTables", "ListBackups"}  # no resource-level permissions in IAM

files = [f for d in ("harness", "workloads") for f in glob.glob(os.path.join(SRC, d, "*.c"))]
files += [os.path.join(SRC, "ddb", "scan.c"), os.path.join(SRC, "ddb", "wait.c")]
called = {}
for f in files:
    if not os.path.exists(f):
        continue
    for m in re.finditer(r'"([A-Z][A-Za-z]+)"', open(f).read()):
        if m.group(1) in DDB_OPS:
            called.setdefault(m.group(1), os.path.relpath(f, SRC))

needed = set()
for op in called:
    needed.update(IMPLIES.get(op, [op]))

policy = json.load(open(os.path.join(SRC, "docs", "iam-policy.json")))
failures = []
allowed = {}
for st in policy["Statement"]:
    if st.get("Effect") != "Allow":
        failures.append("statement %s is not an Allow" % st.get("Sid"))
    res = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
    for a in st["Action"]:
        if not a.startswith("dynamodb:") or "*" in a:
            failures.append("%s: actions must be named one by one (dynamodb:Name)" % a)
            continue
        allowed.setdefault(a[len("dynamodb:"):], []).extend(res)
    for r in res:
        if r == "*":
            bad = [a for a in st["Action"] if a[len("dynamodb:"):] not in LIST_OPS]
            if bad:
                failures.append("Resource \"*\" for %s: only %s may be unscoped" % (bad, sorted(LIST_OPS)))
        elif not r.startswith("arn:aws:dynamodb:*:*:table/backcheck-*"):
            failures.append("resource %s is not scoped to backcheck-* tables" % r)

for op in sorted(needed):
    if op not in allowed:
        failures.append("backcheck calls %s (%s) but the policy does not allow dynamodb:%s"
                        % (op, called.get(op, "via a transaction"), op))
for op in sorted(allowed):
    if op not in needed and op not in REQUIRED_BY_AWS:
        failures.append("the policy allows dynamodb:%s, which backcheck never calls" % op)
for op in ("DescribeBackup", "DeleteBackup"):
    if op in allowed and not any("/backup/" in r for r in allowed[op]):
        failures.append("%s must be allowed on backup ARNs (table/backcheck-*/backup/*)" % op)

print("operations backcheck calls: %s" % ", ".join(sorted(called)))
for f in failures:
    print("FAIL:", f)
if not failures:
    print("PASS: docs/iam-policy.json allows exactly what backcheck needs")
sys.exit(1 if failures else 0)
