-- wrk script for `.ci/bench read`: GET state?asOf= and allowances?country=JP&at= in turn, for
-- random subscriptions of the run that `addon-lifecycle-bench read-data` stored.
-- Usage: wrk -t2 -c32 -d10s --latency -s .ci/wrk-read.lua URL -- RUN SUBSCRIPTIONS TOKEN
local threads = {}

function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

function init(args)
    run, subscriptions, token = args[1], tonumber(args[2]), args[3]
    math.randomseed(os.time() + index * 7919)
    counter, statuses = 0, {}
    -- Instants within the data's December and January, so every stage of the lifecycle is asked about.
    instants = {"2025-12-15T00:00:00Z", "2025-12-20T12:00:00Z", "2025-12-28T00:00:00Z", "2026-01-10T00:00:00Z", "2026-02-01T00:00:00Z"}
end

function request()
    counter = counter + 1
    local sub = "sub_" .. run .. "_" .. math.random(0, subscriptions - 1)
    local at = instants[math.random(#instants)]
    local path
    if counter % 2 == 0 then
        path = "/projects/bench/subscriptions/" .. sub .. "/state?asOf=" .. at
    else
        path = "/projects/bench/subscriptions/" .. sub .. "/allowances?country=JP&at=" .. at
    end
    return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

function response(status)
    statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency)
    local counts = {}
    for _, thread in ipairs(threads) do
        for status, count in pairs(thread:get("statuses")) do
            counts[status] = (counts[status] or 0) + count
        end
    end
    local seconds = summary.duration / 1e6
    local line = {}
    for status, count in pairs(counts) do line[#line + 1] = status .. "=" .. count end
    table.sort(line)
    io.write(string.format("read (wrk): %d requests in %.1fs, errors: connect %d read %d write %d timeout %d\n",
        summary.requests, seconds, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
    io.write(string.format("answered 200: %.0f requests/s\n", (counts[200] or 0) / seconds))
    io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", latency:percentile(50) / 1000,
        latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
    io.write("statuses: " .. table.concat(line, " ") .. "\n")
end
