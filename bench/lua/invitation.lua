-- W5: invitation lookup, a different pending link each time.
local tokens = {}
for line in io.lines(os.getenv("BENCH_DATA") .. "/invitations.txt") do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/invitations/" .. tokens[(i % #tokens) + 1])
end
