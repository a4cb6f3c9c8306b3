-- fluent-bit's conversions between its records and Lua values, for running a fluent-bit
-- Lua filter outside fluent-bit (the data-path tests and scripts/bench-lua).
local cjson = require("cjson")

local M = {}

-- fluent-bit's flb_lua metatable data types.
local ARRAY, MAP = 1, 2
local ARRAY_MT, MAP_MT = { type = ARRAY }, { type = MAP }

-- JSON (decoded by cjson) -> the Lua value fluent-bit would build from msgpack.
function M.to_fluentbit(v)
  if v == cjson.null then return nil end
  if type(v) ~= "table" then return v end
  if v.__empty_array__ == true and next(v, next(v)) == nil then
    return setmetatable({}, ARRAY_MT)
  end
  local n = #v
  if n > 0 then
    local out = {}
    for i = 1, n do out[i] = M.to_fluentbit(v[i]) end
    return setmetatable(out, ARRAY_MT)
  end
  local out = {}
  for k, x in pairs(v) do out[k] = M.to_fluentbit(x) end
  return setmetatable(out, MAP_MT)
end

-- fluent-bit's flb_lua_arraylength: table.maxn > 0, or keys exactly 1..n; else a map.
function M.array_length(t)
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
function M.encode(v)
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
      as_array = M.array_length(v) > 0
    end
    local parts = {}
    if as_array then
      for i = 1, table.maxn(v) do parts[#parts + 1] = M.encode(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do
      parts[#parts + 1] = cjson.encode(tostring(k)) .. ":" .. M.encode(x)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

M.MAP = MAP

-- Loads a filter script as fluent-bit does (one Lua state, the script run once) and
-- returns its entry function; exits with a clear message if it is not there.
function M.load_filter(path, name)
  if not path or not name then
    io.stderr:write("usage: luajit " .. arg[0] .. " <filter.lua> <function> ...\n")
    os.exit(2)
  end
  dofile(path)
  local fn = _G[name]
  if type(fn) ~= "function" then
    io.stderr:write(path .. " defines no global function " .. name .. "\n")
    os.exit(2)
  end
  return fn
end

return M
