-- bench/wrk/create.lua: POST /api/v1/challenges with a realistic body; counts answers other than 201.
-- Environment: BENCH_API_KEY.
local key = os.getenv("BENCH_API_KEY") or error("BENCH_API_KEY is not set")
local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   wrk.method = "POST"
   wrk.path = "/api/v1/challenges"
   wrk.headers["X-API-Key"] = key
   wrk.headers["Content-Type"] = "application/json"
   bad = 0
   good = 0
   first_bad = ""
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"target_user_email":"user%d.t%d@example.com","context":"Access request for the production billing database (ticket INC-%d, requested by the on-call engineer)"}',
      counter, tid, 100000 + counter)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   if status == 201 then
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
      if fb ~= nil and fb ~= "" then io.write("first non-201: " .. fb .. "\n") end
   end
   io.write(string.format("BENCH status_ok=%d status_other=%d socket_errors=%d\n", g, b,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status))
   io.write(string.format("BENCH rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f requests=%d duration_s=%.2f\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6))
end
