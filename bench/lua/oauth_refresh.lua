-- W2 (OpenID Connect): POST grant_type=refresh_token with client_secret_basic, for Portico's
-- /oauth2/token and node-oidc-provider's /token alike. Single-use tokens from the file
-- BENCH_POOL (at most BENCH_POOL_MAX of them, default 5,000); each response's new refresh
-- token joins the back of the queue (rotation chains), so every token is sent once and a small
-- pool lasts the whole run.
local max = tonumber(os.getenv("BENCH_POOL_MAX") or "5000")
local queue, head, tail = {}, 1, 0
for line in io.lines(os.getenv("BENCH_POOL")) do
  if #line > 0 and tail < max then tail = tail + 1; queue[tail] = line end
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local path = os.getenv("BENCH_PATH")
request = function()
  local t = "exhausted"
  if head <= tail then t = queue[head]; queue[head] = nil; head = head + 1 end
  return wrk.format(nil, path, nil, "grant_type=refresh_token&refresh_token=" .. t)
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then tail = tail + 1; queue[tail] = t end
end
