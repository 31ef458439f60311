-- GET /crud/rdy: readiness, no authentication (the HTTP stack alone).
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "GET"
wrk.path = "/crud/rdy"
wrk.headers = common.client_headers()
done = common.done
