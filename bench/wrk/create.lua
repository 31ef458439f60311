-- create({owner, title, content}): POST /crud/s/post/one, a new post on every request.
-- Env: BENCH_TOKEN, BENCH_USER_ID.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = "/crud/s/post/one"
wrk.headers = common.client_headers({
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. common.env("BENCH_TOKEN"),
})
wrk.body = '{"owner":' .. common.json_string(common.env("BENCH_USER_ID")) ..
  ',"title":"load post","content":"' .. string.rep("y", 200) .. '"}'
done = common.done
