-- W1: 80% right password, 10% wrong password, 10% unknown username.
local users = {}
for line in io.lines(os.getenv("BENCH_DATA") .. "/usernames.txt") do users[#users + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local r = i % 10
  local user, password = users[(i % #users) + 1], "bench password that is long enough"
  if r == 8 then password = "wrong password, long enough to count" end
  if r == 9 then user = "nobody" .. i end
  -- Logins come from many clients: a different address per request (the server trusts
  -- X-Forwarded-For from loopback in the bench), so per-IP throttling does not turn the
  -- measurement into a measurement of 429s. Per-account throttling still applies.
  wrk.headers["X-Forwarded-For"] = "10." .. (i % 250) .. "." .. (math.floor(i / 250) % 250) .. ".1"
  return wrk.format(nil, "/api/v1/login", nil,
    '{"username":"' .. user .. '","password":"' .. password .. '"}')
end
