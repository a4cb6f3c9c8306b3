-- Times a fluent-bit Lua filter per record, the filter call alone (scripts/bench-lua).
--
--   luajit bench_filter.lua <filter.lua> <function> <calls> < records.jsonl
--
-- Reads records in lua_harness.lua's input format, turns each into the Lua value
-- fluent-bit would pass once, then calls the filter on them in turn, `calls` times.
-- Keep the input small (a thousand records): fluent-bit's Lua state holds one record at
-- a time, and a large live heap would bill the filter for marking it in every GC cycle.
-- The conversions fluent-bit does around the call (msgpack <-> Lua) are not counted:
-- they are fluent-bit's cost whatever the script does. Garbage collection of what the
-- filter allocates is counted. The filter is called through pcall, as fluent-bit calls
-- it (lua_pcall from C with protected_mode on), so no JIT trace spans two records.
-- Prints CPU time per record.
local cjson = require("cjson")
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local fb = require("fluentbit_values")

local filter = fb.load_filter(arg[1], arg[2])
local calls = tonumber(arg[3] or "1000000")

local tags, times, records = {}, {}, {}
for line in io.lines() do
  local input = cjson.decode(line)
  local n = #records + 1
  tags[n] = input.tag
  times[n] = { sec = input.time.sec, nsec = input.time.nsec }
  records[n] = fb.to_fluentbit(input.record)
end
local n = #records
if n == 0 then
  io.stderr:write("no records on stdin\n")
  os.exit(2)
end

-- One warm-up round lets LuaJIT compile the hot paths before timing.
local sink = 0
for i = 1, n do
  local _, code = pcall(filter, tags[i], times[i], records[i])
  sink = sink + code
end

local rounds = math.max(1, math.floor(calls / n + 0.5))
collectgarbage("collect")
local start = os.clock()
for _ = 1, rounds do
  for i = 1, n do
    local _, code = pcall(filter, tags[i], times[i], records[i])
    sink = sink + code
  end
end
local elapsed = os.clock() - start

calls = n * rounds
print(string.format("records: %d, calls: %d, cpu seconds: %.3f", n, calls, elapsed))
print(string.format("per record: %.2f microseconds (%.0f records/s on one core)",
  elapsed / calls * 1e6, calls / elapsed))
if sink ~= (calls + n) * 2 then
  io.stderr:write("the filter did not return 2 for every record\n")
  os.exit(1)
end
