-- bench/wrk/slack_command.lua: signed Slack `/challenge` slash commands, each sent once.
-- Environment: BENCH_SLACK_PATH (/slack/<tenant>/<instance>/events), BENCH_SLACK_REQUESTS (file prefix:
-- thread t reads PREFIX.t, lines "<timestamp> TAB <signature> TAB <form body>" written by
-- bench/tools/slack_requests.pl). The server refuses a signature it has seen, so a thread that has
-- sent all of its lines counts that ("exhausted") and sends its last line again, which the server
-- refuses: the run then fails instead of measuring replays.
-- Good answer: 200 with the "Challenge sent" ephemeral (the challenge is committed before it).
local path = os.getenv("BENCH_SLACK_PATH") or error("BENCH_SLACK_PATH is not set")
local prefix = os.getenv("BENCH_SLACK_REQUESTS") or error("BENCH_SLACK_REQUESTS is not set")
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   lines = {}
   for line in io.lines(prefix .. "." .. tid) do lines[#lines + 1] = line end
   if #lines == 0 then error("no requests in " .. prefix .. "." .. tid) end
   next_line = 0
   exhausted = 0
   good = 0
   bad = 0
   first_bad = ""
   headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
end

function request()
   next_line = next_line + 1
   local line = lines[next_line]
   if line == nil then
      exhausted = exhausted + 1
      line = lines[#lines]
   end
   local ts, sig, body = string.match(line, "^(%d+)\t(%S+)\t(.*)$")
   headers["X-Slack-Request-Timestamp"] = ts
   headers["X-Slack-Signature"] = sig
   return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
   if status == 200 and body and string.find(body, "Challenge sent", 1, true) then
      good = good + 1
   else
      bad = bad + 1
      if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
   end
end

function done(summary, latency, requests)
   local g, b, e = 0, 0, 0
   for _, t in ipairs(threads) do
      g = g + t:get("good")
      b = b + t:get("bad")
      e = e + t:get("exhausted")
      local fb = t:get("first_bad")
      if fb ~= nil and fb ~= "" then io.write("first bad answer: " .. fb .. "\n") end
   end
   io.write(string.format("BENCH status_ok=%d status_other=%d socket_errors=%d exhausted=%d\n", g, b,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status, e))
   io.write(string.format("BENCH rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f requests=%d duration_s=%.2f\n",
      summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6))
end
