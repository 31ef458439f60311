-- findOne({id, owner}): GET /crud/s/post/one?options={}&query={"id":…,"owner":…}
-- on a post the token's user owns (200 bytes of content).
-- Env: BENCH_TOKEN, BENCH_USER_ID, BENCH_POST_ID.
local common = dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local query = '{"id":' .. common.json_string(common.env("BENCH_POST_ID")) ..
  ',"owner":' .. common.json_string(common.env("BENCH_USER_ID")) .. '}'
wrk.method = "GET"
wrk.path = "/crud/s/post/one?options=" .. common.query_json("{}") ..
  "&query=" .. common.query_json(query)
wrk.headers = common.client_headers({
  ["Authorization"] = "Bearer " .. common.env("BENCH_TOKEN"),
})
done = common.done
