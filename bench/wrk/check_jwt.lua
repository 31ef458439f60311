-- checkJwt(): PATCH /crud/s/user/cmd/check_jwt, body {}, a valid Bearer token.
-- Env: BENCH_TOKEN.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "PATCH"
wrk.path = "/crud/s/user/cmd/check_jwt"
wrk.headers = common.client_headers({
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. common.env("BENCH_TOKEN"),
})
wrk.body = "{}"
done = common.done
