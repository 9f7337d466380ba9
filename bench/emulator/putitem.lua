-- putitem.lua - wrk script for bench/emulator/run.sh: one PutItem per request, each with
-- a key no other request uses (run name from BENCH_RUN + thread number + counter, so a
-- warm-up run and the measured run write different items), a 100-byte payload.
--
-- Requests carry a fixed, unverifiable SigV4 Authorization header and X-Amz-Date: dynalite
-- refuses a request without them (MissingAuthenticationTokenException) and moto_server
-- routes by the service named in the credential scope, but neither checks the signature;
-- `backcheck serve --no-auth` ignores it. So every target gets byte-identical requests.
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
  wrk.headers["X-Amz-Date"] = "20240101T000000Z"
  wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 " ..
    "Credential=bench/20240101/us-east-1/dynamodb/aws4_request, " ..
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
    "Signature=0000000000000000000000000000000000000000000000000000000000000000"
end

local pay = string.rep("x", 100)
local tbl = os.getenv("BENCH_TABLE") or "bench"
local run = os.getenv("BENCH_RUN") or "run"

function request()
  counter = counter + 1
  local body = string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"%s/%d/%d"},"n":{"N":"%d"},"pay":{"S":"%s"}}}',
    tbl, run, tid, counter, counter, pay)
  return wrk.format(nil, "/", nil, body)
end
