"""admin.py - set-up and check-up calls of bench/emulator/run.sh, with the same fixed,
unverified SigV4 headers as putitem.lua (so that dynalite and moto_server accept them).

  admin.py URL create TABLE   create TABLE (hash key pk:S, on demand), wait until ACTIVE
  admin.py URL count TABLE    print how many items TABLE holds (paged Scan, Select COUNT)
  admin.py URL probe          print the HTTP status and body of one PutItem to "bench"

Plain http.client: no proxy from the environment, loopback only.
"""

import http.client
import json
import sys
import time
import urllib.parse

HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Date": "20240101T000000Z",
    "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, "
                     "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                     "Signature=" + "0" * 64,
}


def call(url, op, body):
    u = urllib.parse.urlparse(url)
    if u.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"admin.py: {url} is not loopback")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("POST", "/", body=json.dumps(body),
                 headers=dict(HEADERS, **{"X-Amz-Target": "DynamoDB_20120810." + op}))
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def main():
    url, cmd = sys.argv[1], sys.argv[2]
    if cmd == "create":
        table = sys.argv[3]
        status, data = call(url, "CreateTable", {
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"})
        if status != 200:
            raise SystemExit(f"CreateTable: {status} {data[:300]!r}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, data = call(url, "DescribeTable", {"TableName": table})
            if status == 200 and json.loads(data)["Table"]["TableStatus"] == "ACTIVE":
                return
            time.sleep(0.05)
        raise SystemExit(f"table {table} never ACTIVE: {status} {data[:300]!r}")
    elif cmd == "count":
        table, total, start = sys.argv[3], 0, None
        while True:
            req = {"TableName": table, "Select": "COUNT"}
            if start:
                req["ExclusiveStartKey"] = start
            status, data = call(url, "Scan", req)
            if status != 200:
                raise SystemExit(f"Scan: {status} {data[:300]!r}")
            page = json.loads(data)
            total += page["Count"]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        print(total)
    elif cmd == "probe":
        status, data = call(url, "PutItem", {"TableName": "bench",
                                             "Item": {"pk": {"S": "probe"}}})
        print(status, data.decode(errors="replace")[:200])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
