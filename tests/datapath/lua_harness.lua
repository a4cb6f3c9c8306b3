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

local filter_path, fn_name = arg[1], arg[2]
if not filter_path or not fn_name then
  io.stderr:write("usage: luajit lua_harness.lua <filter.lua> <function>\n")
  os.exit(2)
end
dofile(filter_path)
local filter = _G[fn_name]
if type(filter) ~= "function" then
  io.stderr:write("the filter defines no global function " .. fn_name .. "\n")
  os.exit(2)
end

-- fluent-bit's flb_lua metatable data types.
local ARRAY, MAP = 1, 2
local ARRAY_MT, MAP_MT = { type = ARRAY }, { type = MAP }

-- JSON (decoded by cjson) -> the Lua value fluent-bit would build from msgpack.
local function to_fluentbit(v)
  if v == cjson.null then return nil end
  if type(v) ~= "table" then return v end
  if v.__empty_array__ == true and next(v, next(v)) == nil then
    return setmetatable({}, ARRAY_MT)
  end
  local n = #v
  if n > 0 then
    local out = {}
    for i = 1, n do out[i] = to_fluentbit(v[i]) end
    return setmetatable(out, ARRAY_MT)
  end
  local out = {}
  for k, x in pairs(v) do out[k] = to_fluentbit(x) end
  return setmetatable(out, MAP_MT)
end

-- fluent-bit's flb_lua_arraylength: table.maxn > 0, or keys exactly 1..n; else a map.
local function array_length(t)
  local n = table.maxn(t)
  if n > 0 then return n end
  local count, max = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k <= 0 then return -1 end
    count = count + 1
    if k > max then max = k end
  end
  if count ~= max then return -1 end
  return max
end

local function is_integer(n)
  return n == math.floor(n) and n >= -2^63 and n < 2^63
end

-- Lua value -> JSON, following fluent-bit's Lua -> msgpack rules (flb_lua_tomsgpack:
-- a table marked by metatable keeps its type, others are arrays when array_length > 0;
-- integral numbers become integers) and then msgpack -> JSON.
local encode
encode = function(v)
  local t = type(v)
  if t == "string" then return cjson.encode(v) end
  if t == "boolean" then return v and "true" or "false" end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      -- msgpack carries them; fluent-bit's JSON writer prints them as bare words,
      -- which is not JSON: keep that, so a row holding one is rejected downstream.
      return tostring(v)
    end
    if is_integer(v) then return string.format("%.0f", v) end
    return string.format("%.17g", v)
  end
  if t == "table" then
    local mt = getmetatable(v)
    local as_array
    if type(mt) == "table" and mt.type ~= nil then
      as_array = mt.type == ARRAY
    else
      as_array = array_length(v) > 0
    end
    local parts = {}
    if as_array then
      for i = 1, table.maxn(v) do parts[#parts + 1] = encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do
      parts[#parts + 1] = cjson.encode(tostring(k)) .. ":" .. encode(x)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

-- A map whose every read raises (iterating it finds nothing).
local function faulty()
  return setmetatable({}, {
    type = MAP,
    __index = function(_, key) error("injected fault reading " .. tostring(key)) end,
  })
end

local out = io.stdout
local n = 0
for line in io.lines() do
  n = n + 1
  local input = cjson.decode(line)
  local record = to_fluentbit(input.record)
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
    out:write(n, "\t0\t", encode(record), "\n")
  elseif code == 1 or code == 2 then
    if type(result) == "table" and getmetatable(result) == nil and array_length(result) > 0 then
      for i = 1, array_length(result) do out:write(n, "\t", code, "\t", encode(result[i]), "\n") end
    else
      out:write(n, "\t", code, "\t", encode(result), "\n")
    end
  else
    out:write(n, "\terror\tunknown return code ", tostring(code), "\n")
  end
end
