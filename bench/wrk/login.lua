-- login({email, password}): PATCH /crud/s/user/cmd/login over a pool of accounts
-- <BENCH_LOGIN_PREFIX><i>@bench.test, i = 0 … BENCH_LOGIN_COUNT-1.
-- eicrud (and ferrocrud) answer 425 to a second attempt on one e-mail within
-- 600 ms, so each wrk thread rotates over its own share of the pool (thread t
-- takes accounts t, t+T, t+2T, …): one e-mail comes back every ≈ COUNT requests.
-- Env: BENCH_LOGIN_PREFIX, BENCH_LOGIN_COUNT, BENCH_PASSWORD, BENCH_THREADS.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local prefix = common.env("BENCH_LOGIN_PREFIX")
local count = tonumber(common.env("BENCH_LOGIN_COUNT"))
local threads = tonumber(common.env("BENCH_THREADS"))
local password = common.json_string(common.env("BENCH_PASSWORD"))
local headers = common.client_headers({ ["Content-Type"] = "application/json" })

-- main state: number the threads as wrk creates them
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

-- thread state
local bodies = {}
local n = 0
function init(args)
  local id = tonumber(thread_id) or 0
  for i = id, count - 1, threads do
    bodies[#bodies + 1] = '{"email":' .. common.json_string(prefix .. i .. "@bench.test") ..
      ',"password":' .. password .. '}'
  end
  if #bodies == 0 then
    error("bench: no login accounts for thread " .. id)
  end
end

function request()
  n = n + 1
  return wrk.format("PATCH", "/crud/s/user/cmd/login", headers, bodies[(n - 1) % #bodies + 1])
end

done = common.done
