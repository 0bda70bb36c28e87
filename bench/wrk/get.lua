-- bench/wrk/get.lua: GET /api/v1/challenges/{id} over ids listed in BENCH_IDS_FILE; counts answers other than 200.
-- Environment: BENCH_API_KEY, BENCH_IDS_FILE.
local key = os.getenv("BENCH_API_KEY") or error("BENCH_API_KEY is not set")
local ids_file = os.getenv("BENCH_IDS_FILE") or error("BENCH_IDS_FILE is not set")
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   ids = {}
   for line in io.lines(ids_file) do
      if #line > 0 then table.insert(ids, line) end
   end
   if #ids == 0 then error("no ids in " .. ids_file) end
   wrk.headers["X-API-Key"] = key
   bad = 0
   good = 0
   first_bad = ""
   math.randomseed(os.time() + #threads)
end

function request()
   return wrk.format("GET", "/api/v1/challenges/" .. ids[math.random(#ids)])
end

function response(status, headers, body)
   if status == 200 then
      good = good + 1
   else
      bad = bad + 1
      if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
   end
end


function done(summary, latency, requests)
   local g, b = 0, 0
   for _, t in ipairs(threads) do
      g = g + t:get("good")
      b = b + t:get("bad")
      local fb = t:get("first_bad")
      if fb ~= nil and fb ~= "" then io.write("first non-200: " .. fb .. "\n") end
   end
   io.write(string.format("BENCH status_ok=%d status_other=%d socket_errors=%d\n", g, b,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
   io.write(string.format("BENCH rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f requests=%d duration_s=%.2f\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6))
end
