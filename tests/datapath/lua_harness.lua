-- Runs a fluent-bit Lua filter the way fluent-bit's filter_lua does, outside fluent-bit.
--
--   luajit lua_harness.lua <filter.lua> <function> < records.jsonl > rows.tsv
--
-- Input, one JSON object per line: {"tag": ..., "time": {"sec": .., "nsec": ..},
-- "record": {...}, "fault": "<key>"?}. The record is turned into the Lua value fluent-bit
-- would pass (maps and arrays carry fluent-bit's {type = 2 | 1} metatable, nulls are nil,
-- an empty array is written {"__empty_array__": true} since JSON decoders cannot tell
-- it from an empty map), then `<function>(tag, {sec=, nsec=}, record)` is called with
-- `time_as_table on`. `fault` names a map in the record that is replaced by one whose every
-- read raises ("" for the record itself): a runtime error inside the filter, on demand.
--
-- Output, one line per emitted record: "<input line number>\t<code>\t<record as JSON>",
-- the JSON as the http output writes it with `format json_lines`, `json_date_key false`.
-- A dropped record (-1) gives "<n>\t-1\t"; a filter that raises gives "<n>\terror\t<msg>".
local cjson = require("cjson")
package.path = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local fb = require("fluentbit_values")

local filter = fb.load_filter(arg[1], arg[2])

-- A map whose every read raises (iterating it finds nothing).
local function faulty()
  return setmetatable({}, {
    type = fb.MAP,
    __index = function(_, key) error("injected fault reading " .. tostring(key)) end,
  })
end

local out = io.stdout
local n = 0
for line in io.lines() do
  n = n + 1
  local input = cjson.decode(line)
  local record = fb.to_fluentbit(input.record)
  if input.fault ~= nil then
    if input.fault == "" then
      record = faulty()
    else
      record[input.fault] = faulty()
    end
  end
  local ts = { sec = input.time.sec, nsec = input.time.nsec }
  local ok, code, _, result = pcall(filter, input.tag, ts, record)
  if not ok then
    out:write(n, "\terror\t", (tostring(code):gsub("[\t\n]", " ")), "\n")
  elseif code == -1 then
    out:write(n, "\t-1\t\n")
  elseif code == 0 then
    out:write(n, "\t0\t", fb.encode(record), "\n")
  elseif code == 1 or code == 2 then
    if type(result) == "table" and getmetatable(result) == nil and fb.array_length(result) > 0 then
      for i = 1, fb.array_length(result) do out:write(n, "\t", code, "\t", fb.encode(result[i]), "\n") end
    else
      out:write(n, "\t", code, "\t", fb.encode(result), "\n")
    end
  else
    out:write(n, "\terror\tunknown return code ", tostring(code), "\n")
  end
end
