-- putitem.lua - wrk script: the same conditional PutItem the `insert` workload sends
-- (attribute_not_exists on the hash key, wid, ver, a 100-byte payload), one unique key
-- per request (and per BENCH_RUN), unsigned (for `backcheck serve --no-auth`).
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
  wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
end

local pay = string.rep("x", 100)
local tbl = os.getenv("BENCH_TABLE") or "bench"
-- BENCH_RUN keeps the keys of repeated wrk runs against one table apart.
local run = os.getenv("BENCH_RUN") or "0"

function request()
  counter = counter + 1
  local key = string.format("wrk/%s/%d/%d", run, tid, counter)
  local body = string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"%s"},"wid":{"S":"%d.%d"},"ver":{"N":"1"},' ..
    '"pay":{"S":"%s"}},"ConditionExpression":"attribute_not_exists(#h)",' ..
    '"ExpressionAttributeNames":{"#h":"pk"},"ReturnConsumedCapacity":"TOTAL"}',
    tbl, key, tid, counter, pay)
  return wrk.format(nil, "/", nil, body)
end
