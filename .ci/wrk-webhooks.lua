-- wrk script for `.ci/bench ingest`: replays presigned webhook requests written by
-- `addon-lifecycle-bench sign --out DIR` (one file per wrk thread) and reports accepted events/s.
-- Usage: wrk -t2 -c64 -d10s --latency -s .ci/wrk-webhooks.lua URL -- DIR
local threads = {}

function setup(thread)
    thread:set("index", #threads)
    table.insert(threads, thread)
end

function init(args)
    local file = assert(io.open(args[1] .. "/requests-" .. index .. ".txt", "rb"))
    local data = file:read("*a")
    file:close()
    requests, position = {}, 1
    while position <= #data do
        local newline = data:find("\n", position, true)
        local length = tonumber(data:sub(position, newline - 1))
        requests[#requests + 1] = data:sub(newline + 1, newline + length)
        position = newline + length + 1
    end
    nextRequest, statuses = 0, {}
end

-- Past the end, requests repeat: the server answers those 200 (duplicate), not 202.
function request()
    nextRequest = nextRequest % #requests + 1
    return requests[nextRequest]
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
    io.write(string.format("ingest (wrk): %d requests in %.1fs, errors: connect %d read %d write %d timeout %d\n",
        summary.requests, seconds, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
    io.write(string.format("accepted (202, durably committed): %.0f events/s\n", (counts[202] or 0) / seconds))
    io.write(string.format("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", latency:percentile(50) / 1000,
        latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
    io.write("statuses: " .. table.concat(line, " ") .. "\n")
end
