-- wrk script for `npm run bench:apiserver`: ConfigMap creates or updates with a bearer token.
-- wrk ARGS: MODE (create|update) TOKEN NAMESPACE RV_FILE
--   create: POSTs ConfigMaps with names unique per thread; at the end writes "name resourceVersion"
--           lines of everything created to RV_FILE.
--   update: reads RV_FILE and PUTs each object in turn with its current resourceVersion (taken
--           from the previous response for that object), round and round until time is up.
-- A C load generator costs far less CPU per request than one in Node, which matters when it
-- shares the machine's two cores with the server under test.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode, token, namespace, rv_file = args[1], args[2], args[3], args[4]
  path = "/api/v1/namespaces/" .. namespace .. "/configmaps"
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json", ["Authorization"] = "Bearer " .. token }
  counter = 0
  rvs = {}        -- name -> latest resourceVersion seen
  failures = 0
  if mode == "update" then
    -- Each thread updates the objects it created (run both modes with the same thread count).
    names = {}
    local mine = "cm-" .. tid .. "-"
    for line in io.lines(rv_file) do
      local name, rv = line:match("^(%S+) (%d+)$")
      if name and name:sub(1, #mine) == mine then
        names[#names + 1] = name
        rvs[name] = rv
      end
    end
  end
end

function request()
  counter = counter + 1
  if mode == "create" then
    local name = "cm-" .. tid .. "-" .. counter
    return wrk.format("POST", path, headers, '{"metadata":{"name":"' .. name .. '"},"data":{"index":"' .. counter .. '"}}')
  end
  local name = names[(counter - 1) % #names + 1]
  return wrk.format("PUT", path .. "/" .. name, headers,
    '{"metadata":{"name":"' .. name .. '","resourceVersion":"' .. rvs[name] .. '"},"data":{"index":"' .. counter .. '","updated":"yes"}}')
end

function response(status, hdrs, body)
  if status >= 300 then
    failures = failures + 1
    if failures <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n") end
    return
  end
  -- metadata.name is the first "name" in a ConfigMap's JSON (apiVersion, kind, then metadata).
  local name = body:match('"name":"([^"]+)"')
  local rv = body:match('"resourceVersion":"(%d+)"')
  if name and rv then rvs[name] = rv end
end

function done(summary, latency, requests)
  -- done() runs in wrk's main Lua state, which init() never saw: read the threads' settings.
  local failed = 0
  if threads[1]:get("mode") == "create" then
    local out = assert(io.open(threads[1]:get("rv_file"), "w"))
    for _, thread in ipairs(threads) do
      failed = failed + thread:get("failures")
      for name, rv in pairs(thread:get("rvs")) do out:write(name, " ", rv, "\n") end
    end
    out:close()
  else
    for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
  end
  io.write(string.format('{"requests":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,"failed":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    failed, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
