-- W2: refresh with rotation. Each response's new refresh token goes back into the pool, so
-- every token is used exactly once.
-- BENCH_POOL_FROM / BENCH_POOL_TO pick a slice of refresh.txt, so runs never share a token.
local from = tonumber(os.getenv("BENCH_POOL_FROM") or "0")
local to = tonumber(os.getenv("BENCH_POOL_TO") or "1000000000")
local pool, n = {}, 0
for line in io.lines(os.getenv("BENCH_DATA") .. "/refresh.txt") do
  if n >= from and n < to then pool[#pool + 1] = line end
  n = n + 1
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local t = table.remove(pool)
  if t == nil then t = "exhausted" end
  return wrk.format(nil, "/api/v1/token/refresh", nil, '{"refresh_token":"' .. t .. '"}')
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then table.insert(pool, 1, t) end
end
