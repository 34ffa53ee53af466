-- GET one path with a bearer token (W3: the patient API with an access token).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
