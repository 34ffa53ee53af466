-- W3: RFC 7662 introspection of a live access token by a confidential client (basic auth).
wrk.method = "POST"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BENCH_BASIC")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. os.getenv("BENCH_TOKEN")
