-- W6a: practice API reads: a patient by id and a search page, alternately.
local ids = {}
for line in io.lines(os.getenv("BENCH_DATA") .. "/patient_ids.txt") do ids[#ids + 1] = line end
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
local i = 0
request = function()
  i = i + 1
  if i % 2 == 0 then
    return wrk.format("GET", "/api/v1/practice/patients?limit=20&name=bench" .. (i % 997))
  end
  return wrk.format("GET", "/api/v1/practice/patients/" .. ids[(i % #ids) + 1])
end
