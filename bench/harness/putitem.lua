-- putitem.lua - wrk script: the same conditional PutItem the `insert` workload sends
-- (attribute_not_exists on the hash key, wid, ver, a 100-byte payload), one unique key
-- per request (and per BENCH_RUN), with the same header lines: User-Agent, X-Amz-Date
-- and a SigV4 Authorization line of the real one's length, whose signature nobody
-- checks (`backcheck serve --no-auth`). The table name, keys and write ids have the
-- harness's lengths, so each request has the harness's bytes on the wire, give or take
-- a digit of a counter; only the signing work is the harness's alone.
local counter = 0
local tid = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
  wrk.headers["User-Agent"] = "backcheck/0.1.0"
  wrk.headers["X-Amz-Date"] = os.date("!%Y%m%dT%H%M%SZ")
  wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
  wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 " ..
    "Credential=backcheck/" .. os.date("!%Y%m%d") .. "/us-east-1/dynamodb/aws4_request, " ..
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
    "Signature=" .. string.rep("0", 64)
end

local pay = string.rep("x", 100)
-- As long as the harness's table name (backcheck-<6 hex digits>-src).
local tbl = os.getenv("BENCH_TABLE") or "bench-drive-rate-wrk"
-- BENCH_RUN keeps the keys of repeated wrk runs against one table apart.
local run = os.getenv("BENCH_RUN") or "0"

function request()
  counter = counter + 1
  -- As long as the insert workload's keys (ins/<worker>/<n>) while BENCH_RUN is one digit;
  -- the run first, so that each round's keys sort after the earlier rounds' (curl_put.c).
  local key = string.format("%sw/%d/%d", run, tid, counter)
  local body = string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"%s"},"wid":{"S":"%d.%d"},"ver":{"N":"1"},' ..
    '"pay":{"S":"%s"}},"ConditionExpression":"attribute_not_exists(#h)",' ..
    '"ExpressionAttributeNames":{"#h":"pk"},"ReturnConsumedCapacity":"TOTAL"}',
    tbl, key, tid, counter, pay)
  return wrk.format(nil, "/", nil, body)
end
