-- Shared by the scenario scripts (loaded with dofile from $BENCH_LUA_DIR):
-- the headers @eicrud/client (axios) puts on every request, the query-string
-- encoding axios uses, and the one-line summary the harness (bench/bench.py) parses.
local M = {}

-- A required environment variable (the harness passes ids, tokens and account names).
function M.env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error("bench: environment variable " .. name .. " is not set")
  end
  return v
end

-- Headers of the Node @eicrud/client 0.9.7 (axios 1.x), as recorded in
-- reference/eicrud-wire.md; `Host` and `Content-Length` are added by wrk.
function M.client_headers(extra)
  local h = {
    ["Accept"] = "application/json, text/plain, */*",
    ["User-Agent"] = "axios/1.21.1",
    ["Accept-Encoding"] = "gzip, compress, deflate, br",
    ["Connection"] = "keep-alive",
  }
  for k, v in pairs(extra or {}) do
    h[k] = v
  end
  return h
end

-- JSON text in a query string, as axios sends it: like encodeURIComponent,
-- but ':' and ',' are left as they are.
function M.query_json(s)
  return (s:gsub("[^%w%-_%.!~%*'%(%):,]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- A JSON string literal for simple values (ids, e-mails, passwords).
function M.json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

-- Called once by wrk after the run: one machine-readable line.
-- errors.status counts answers with a status >= 400 (wrk's rule); the
-- harness checks the exact status of each scenario once before the run.
function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end

return M
