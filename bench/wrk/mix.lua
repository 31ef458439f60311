-- A mix of the scenario scripts, optionally paced (bench/soak.py drives it).
-- Each scenario script of this directory is loaded as it is, in an environment of
-- its own where os.getenv(NAME) reads <name>__NAME (so that two scenarios can each
-- have their BENCH_TOKEN) and `wrk` is a table of its own: its requests are then
-- formatted from what it set (check_jwt, find_one, create), or asked of its own
-- request() (login, with its setup() and init()). Each request picks a scenario at
-- random by weight. A scenario with a request() of its own (login: a rotation over
-- accounts, each e-mail throttled to one login per 600 ms) continues where the
-- previous run of this script left it: each run prints, per thread, how far it went
-- (MIX_SENT) and answers other than 2xx by status (MIX_STATUS), and bench/soak.py
-- passes the former on to the next run.
-- Env: BENCH_MIX  name:script:weight,… (e.g. check_jwt:check_jwt.lua:50,login:login.lua:0.5)
--      BENCH_RATE requests per second of the whole run (0 or unset: as fast as it goes)
--      BENCH_THREADS wrk's thread count (the rate is split between the threads)
--      <name>__<VAR> what the scenario script <name> reads as <VAR>.
--      BENCH_CONTINUE_<name>_<thread> requests of <name>'s rotation already sent by that thread
local dir = os.getenv("BENCH_LUA_DIR")
local common = dofile(dir .. "/common.lua")
local real_getenv = os.getenv

-- Loads a scenario script in an environment of its own; answers that environment.
local function load_scenario(name, script)
  local env = setmetatable({}, { __index = _G })
  env.os = setmetatable({
    getenv = function(var)
      return real_getenv(name .. "__" .. var) or real_getenv(var)
    end,
  }, { __index = os })
  env.wrk = setmetatable({}, { __index = wrk })
  env.dofile = function(path)
    local chunk = assert(loadfile(path))
    setfenv(chunk, env)
    return chunk()
  end
  env.dofile(dir .. "/" .. script)
  return env
end

local scenarios = {}
local total = 0
for name, script, weight in string.gmatch(common.env("BENCH_MIX"), "([%w_]+):([%w_%.]+):([%d%.]+)") do
  total = total + tonumber(weight)
  scenarios[#scenarios + 1] = { name = name, env = load_scenario(name, script), upto = total }
end
if #scenarios == 0 then
  error("bench: BENCH_MIX names no scenario")
end

-- main state: each scenario numbers the threads as it would alone
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
  for _, s in ipairs(scenarios) do
    local own = rawget(s.env, "setup") -- not this script's, through _G
    if own then
      own(thread)
    end
  end
end

-- thread state
function init(args)
  math.randomseed(os.time() + (tonumber(thread_id) or 0) * 7919)
  for _, s in ipairs(scenarios) do
    local own_init = rawget(s.env, "init")
    if own_init then
      own_init(args)
    end
    s.request = rawget(s.env, "request")
    if s.request then
      local id = tonumber(thread_id) or 0
      local skip = tonumber(real_getenv("BENCH_CONTINUE_" .. s.name .. "_" .. id) or "0") or 0
      for _ = 1, skip do
        s.request()
      end
      _G["sent_" .. s.name] = skip
    else
      local w = s.env.wrk
      s.fixed = wrk.format(rawget(w, "method"), rawget(w, "path"), rawget(w, "headers"), rawget(w, "body"))
    end
  end
end

local function send(s)
  if s.fixed then
    return s.fixed
  end
  _G["sent_" .. s.name] = _G["sent_" .. s.name] + 1
  return s.request()
end

function request()
  local x = math.random() * total
  for _, s in ipairs(scenarios) do
    if x < s.upto then
      return send(s)
    end
  end
  return send(scenarios[#scenarios])
end

-- thread state: answers other than 2xx, by status ("425:2,500:1")
local other = {}
function response(status, headers, body)
  if status < 200 or status > 299 then
    other[status] = (other[status] or 0) + 1
    local parts = {}
    for code, count in pairs(other) do
      parts[#parts + 1] = code .. ":" .. count
    end
    statuses = table.concat(parts, ",")
  end
end

-- Pacing: each thread hands out send times `interval` ms apart to its connections
-- as they become free (wrk calls delay() before each request and starts the
-- request's latency clock only when it is sent); a thread that fell behind
-- catches up at most one second's worth at once.
local rate = tonumber(os.getenv("BENCH_RATE") or "0") or 0
if rate > 0 then
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *ts);
  ]])
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 * tonumber(common.env("BENCH_THREADS")) / rate
  local next_send = nil
  function delay()
    local now = now_ms()
    if next_send == nil or next_send < now - 1000 then
      next_send = now
    end
    next_send = next_send + interval
    local wait = next_send - now
    return wait > 0 and wait or 0
  end
end

function done(summary, latency, requests)
  for index, thread in ipairs(threads) do
    for _, s in ipairs(scenarios) do
      local sent = thread:get("sent_" .. s.name)
      if sent then
        io.write(string.format("MIX_SENT %s %d %d\n", s.name, index - 1, sent))
      end
    end
    io.write(string.format("MIX_STATUS %d %s\n", index - 1, thread:get("statuses") or ""))
  end
  common.done(summary, latency, requests)
end
