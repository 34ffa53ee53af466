-- W6b: block then unblock, over the practice's active accesses (one connection: in order).
local ids = {}
for line in io.lines(os.getenv("BENCH_DATA") .. "/access_ids.txt") do ids[#ids + 1] = line end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
wrk.headers["Content-Type"] = "application/json"
local i = 0
request = function()
  local id = ids[(math.floor(i / 2) % #ids) + 1]
  local action = (i % 2 == 0) and "block" or "unblock"
  i = i + 1
  return wrk.format(nil, "/api/v1/practice/access/" .. id .. "/" .. action, nil, "{}")
end
