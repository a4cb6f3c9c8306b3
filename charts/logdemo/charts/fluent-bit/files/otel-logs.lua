-- fluent-bit Lua filter: one container log record in, one otel.otel_logs row out.
--
-- Called by fluent-bit as to_otel(tag, timestamp, record) with `time_as_table on`, so
-- `timestamp` is {sec = ..., nsec = ...}. The record is what tail (multiline.parser docker,
-- cri) and the kubernetes filter (merge_log on, merge_log_key log_processed, keep_log on)
-- produce:
--   { time = "...", stream = "stdout"|"stderr", _p = "F",          -- _p only for CRI
--     log = "raw line",                                            -- always
--     log_processed = { timestamp = ..., level = ..., message = ..., ... }  -- a JSON map line
--     kubernetes = { pod_name, namespace_name, pod_id, labels, host, container_name,
--                    docker_id, container_image, ... } }
--
-- Every row must be accepted by ClickHouse's JSONEachRow, because one bad row makes it
-- reject the whole batch: maps are string -> string, strings are valid UTF-8, numbers are
-- plain integers. fluent-bit's LuaJIT has no JSON library, so nested values are written
-- as JSON text by the small encoder below. Any runtime error still yields a row (see
-- to_otel at the end), so no line is lost.

local byte, find, format, sub, gsub, match =
  string.byte, string.find, string.format, string.sub, string.gsub, string.match
local concat = table.concat
-- LuaJIT's table.new pre-sizes a table (no rehash while it fills); plain {} elsewhere.
local has_new_tab, new_tab = pcall(require, "table.new")
if not has_new_tab then new_tab = function() return {} end end
local floor, huge = math.floor, math.huge
local pairs, type, tostring, pcall = pairs, type, tostring, pcall

-- The key the kubernetes filter puts a parsed JSON line under (its Merge_Log_Key).
local MERGED_KEY = "log_processed"

-- OTel severity numbers (logs data model), by upper-cased level name.
local SEVERITY = {
  TRACE = { "TRACE", 1 }, DEBUG = { "DEBUG", 5 }, INFO = { "INFO", 9 },
  NOTICE = { "INFO", 9 }, WARN = { "WARN", 13 }, WARNING = { "WARN", 13 },
  ERROR = { "ERROR", 17 }, ERR = { "ERROR", 17 }, FATAL = { "FATAL", 21 },
  CRITICAL = { "FATAL", 21 }, PANIC = { "FATAL", 21 },
}
local DEFAULT_SEVERITY = SEVERITY.INFO

-- Fields of the line that become columns rather than LogAttributes.
local COLUMN_FIELDS = {
  timestamp = true, level = true, message = true,
  trace_id = true, span_id = true, trace_flags = true,
}

-- ClickHouse DateTime64(9) holds 1900-01-01 .. 2262-04-11; outside it we use record time.
local MIN_EPOCH, MAX_EPOCH = -2208988800, 9223372036

---------------------------------------------------------------------------------------
-- UTF-8: invalid sequences become U+FFFD, so ClickHouse and every reader get valid text.

local REPLACEMENT = "\239\191\189"

local function utf8_repair(s)
  local out, n, i, len = {}, 0, 1, #s
  local start = 1
  while i <= len do
    local c = byte(s, i)
    local need, lo, hi = 0, 0x80, 0xBF
    if c < 0x80 then
      need = 0
    elseif c >= 0xC2 and c <= 0xDF then
      need = 1
    elseif c >= 0xE0 and c <= 0xEF then
      need = 2
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    elseif c >= 0xF0 and c <= 0xF4 then
      need = 3
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    else
      need = -1
    end
    local ok = need >= 0
    if ok and need > 0 then
      for k = 1, need do
        local d = byte(s, i + k)
        local l, h = 0x80, 0xBF
        if k == 1 then l, h = lo, hi end
        if not d or d < l or d > h then ok = false break end
      end
    end
    if ok then
      i = i + need + 1
    else
      n = n + 1; out[n] = sub(s, start, i - 1)
      n = n + 1; out[n] = REPLACEMENT
      i = i + 1
      start = i
    end
  end
  if start == 1 then return s end
  n = n + 1; out[n] = sub(s, start)
  return concat(out)
end

local function check_utf8(s)
  -- Most text is ASCII: one scan answers it without walking the bytes in Lua.
  if not find(s, "[\128-\255]") then return s end
  return utf8_repair(s)
end

-- Short strings repeat from line to line (keys, words, stream names): a table lookup is
-- cheaper than scanning them again. Bounded, and only short strings are kept.
local clean_cache, clean_cache_size = {}, 0
local CLEAN_CACHE_MAX, CLEAN_CACHE_LEN = 4096, 64

local function clean(s)
  local cached = clean_cache[s]
  if cached then return cached end
  local out = check_utf8(s)
  if #s <= CLEAN_CACHE_LEN then
    if clean_cache_size >= CLEAN_CACHE_MAX then clean_cache, clean_cache_size = {}, 0 end
    clean_cache[s] = out
    clean_cache_size = clean_cache_size + 1
  end
  return out
end

---------------------------------------------------------------------------------------
-- Values to text.

local function number_text(v)
  if v ~= v then return "NaN" end
  if v == huge then return "Infinity" end
  if v == -huge then return "-Infinity" end
  if v == floor(v) then
    -- Lua writes integers exactly up to 1e14, and concatenation is far cheaper than
    -- format (LuaJIT compiles it).
    if v > -1e14 and v < 1e14 then return "" .. v end
    if v > -1e21 and v < 1e21 then return format("%.0f", v) end
  end
  -- Shortest form that reads back as the same double.
  for _, f in ipairs({ "%.15g", "%.16g" }) do
    local s = format(f, v)
    if tonumber(s) == v then return s end
  end
  return format("%.17g", v)
end

-- fluent-bit marks tables that came from msgpack with a metatable {type = 1 (array) or
-- 2 (map)}; tables without it are arrays when their keys are exactly 1..n.
local ARRAY_TYPE = 1

local function is_array(t)
  local mt = getmetatable(t)
  if type(mt) == "table" and mt.type ~= nil then return mt.type == ARRAY_TYPE end
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k <= 0 or k ~= floor(k) then return false end
    n = n + 1
  end
  return n > 0 and n == table.maxn(t)
end

local ESCAPES = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function escape_char(c)
  return ESCAPES[c] or format("\\u%04x", byte(c))
end

local function json_string(s)
  return '"' .. gsub(clean(s), '[%c"\\]', escape_char) .. '"'
end

local json_value

local function json_table(t, depth)
  if depth > 32 then return '"[nested too deep]"' end
  local parts, n = {}, 0
  if is_array(t) then
    for i = 1, table.maxn(t) do
      n = n + 1; parts[n] = json_value(t[i], depth + 1)
    end
    return "[" .. concat(parts, ",") .. "]"
  end
  for k, v in pairs(t) do
    n = n + 1
    parts[n] = json_string(type(k) == "string" and k or tostring(k)) .. ":" .. json_value(v, depth + 1)
  end
  return "{" .. concat(parts, ",") .. "}"
end

-- JSON text of any value fluent-bit can hand us (nil and flb.null, a light userdata,
-- are JSON null; NaN and infinities, which JSON lacks, become strings).
json_value = function(v, depth)
  local t = type(v)
  if t == "string" then return json_string(v) end
  if t == "number" then
    if v ~= v or v == huge or v == -huge then return '"' .. number_text(v) .. '"' end
    return number_text(v)
  end
  if t == "boolean" then return v and "true" or "false" end
  if t == "table" then return json_table(v, depth or 0) end
  return "null"
end

-- Attribute value: strings as they are, scalars as their JSON text, nested values as JSON.
local function text(v)
  local t = type(v)
  if t == "string" then return clean(v) end
  if t == "number" then return number_text(v) end
  if t == "boolean" then return v and "true" or "false" end
  if t == "table" then return json_table(v, 0) end
  return "null"
end

---------------------------------------------------------------------------------------
-- Time.

-- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- "YYYY-MM-DD hh:mm:ss.nnnnnnnnn" in UTC: the form every ClickHouse version parses.
local function format_time(sec, nsec)
  local days = floor(sec / 86400)
  local rem = sec - days * 86400
  local y, m, d = civil_from_days(days)
  local hh = floor(rem / 3600)
  local mm = floor((rem - hh * 3600) / 60)
  local ss = rem - hh * 3600 - mm * 60
  return format("%04d-%02d-%02d %02d:%02d:%02d.%09d", y, m, d, hh, mm, ss, nsec)
end

local NINE_ZEROS = "000000000"

-- Parses an RFC 3339 time (also with a space for T, a lowercase z, or no zone, read as
-- UTC) into epoch seconds and nanoseconds; nil when it is not one.
local function parse_rfc3339(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se, dot, frac, zone =
    match(s, "^(%d%d%d%d)-(%d%d)-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?)(%d*)(.-)%s*$")
  if not y or (dot == "") ~= (frac == "") then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or se > 60 then return nil end
  local offset = 0
  if zone ~= "" and zone ~= "Z" and zone ~= "z" then
    local sign, oh, om = match(zone, "^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 60 + tonumber(om)) * 60
    if sign == "-" then offset = -offset end
  end
  local days = days_from_civil(y, mo, d)
  -- A day that does not exist (Feb 30) would silently roll over: refuse it instead.
  local cy, cm, cd = civil_from_days(days)
  if cy ~= y or cm ~= mo or cd ~= d then return nil end
  local sec = days * 86400 + h * 3600 + mi * 60 + se - offset
  if sec < MIN_EPOCH or sec >= MAX_EPOCH then return nil end
  local nsec = 0
  if frac ~= "" then nsec = tonumber(sub(frac .. NINE_ZEROS, 1, 9)) end
  return sec, nsec
end

-- The common case, "YYYY-MM-DDThh:mm:ss[.f{1,9}]Z" with a day that exists in every month:
-- the row's text is cut from the line's, no arithmetic. nil sends it to the full parser.
-- Byte loops rather than patterns: LuaJIT compiles them.
local TIME_SHAPE = "dddd-dd-ddTdd:dd:dd" -- d: a digit; anything else: itself
local D = byte("d")

local function fast_time(s)
  if type(s) ~= "string" then return nil end
  local len = #s
  if len < 20 or len > 30 or byte(s, len) ~= 90 then return nil end -- 'Z'
  for i = 1, 19 do
    local b, want = byte(s, i), byte(TIME_SHAPE, i)
    if want == D then
      if b < 48 or b > 57 then return nil end
    elseif b ~= want then
      return nil
    end
  end
  if len > 20 then
    if byte(s, 20) ~= 46 or len == 21 then return nil end -- '.'
    for i = 21, len - 1 do
      local b = byte(s, i)
      if b < 48 or b > 57 then return nil end
    end
  end
  local y1, y2, y3, y4, _, mo1, mo2, _, d1, d2, _, h1, h2, _, mi1, _, _, s1 = byte(s, 1, 18)
  local year = y1 * 1000 + y2 * 100 + y3 * 10 + y4 - 53328 -- 53328 = 48 * 1111
  local month = mo1 * 10 + mo2 - 528                         -- 528 = 48 * 11
  local day = d1 * 10 + d2 - 528
  if year < 1900 or year > 2261 or month < 1 or month > 12 or day < 1 or day > 28
      or h1 * 10 + h2 - 528 > 23 or mi1 > 53 or s1 > 53 then -- 53: '5'
    return nil
  end
  if len == 20 then return sub(s, 1, 10) .. " " .. sub(s, 12, 19) .. "." .. NINE_ZEROS end
  return sub(s, 1, 10) .. " " .. sub(s, 12, len - 1) .. sub(NINE_ZEROS, len - 20)
end

-- The record time fluent-bit passes: {sec, nsec} with time_as_table, a float without.
local function record_time(ts)
  local sec, nsec = 0, 0
  if type(ts) == "table" then
    sec, nsec = tonumber(ts.sec) or 0, tonumber(ts.nsec) or 0
  elseif type(ts) == "number" then
    sec = floor(ts)
    nsec = floor((ts - sec) * 1e9 + 0.5)
  end
  if sec ~= sec or sec < MIN_EPOCH or sec >= MAX_EPOCH then sec = 0 end
  if nsec ~= nsec or nsec < 0 or nsec > 999999999 then nsec = 0 end
  return floor(sec), floor(nsec)
end

---------------------------------------------------------------------------------------
-- Kubernetes resource attributes.

-- Without metadata the tail tag still names the file: <pod>_<namespace>_<container>-<id>.log
local function from_tag(tag)
  if type(tag) ~= "string" then return nil end
  local file = match(tag, "containers%.(.+)$") or tag
  local pod, ns, container, id = match(file, "^([^_]+)_([^_]+)_(.+)%-(%x+)%.log$")
  if not pod then return nil end
  return { pod_name = pod, namespace_name = ns, container_name = container, docker_id = id }
end

-- Deployment pods are <deployment>-<pod-template-hash>-<suffix>.
local function deployment_of(pod, labels)
  local hash = labels and labels["pod-template-hash"]
  if type(pod) ~= "string" or type(hash) ~= "string" or hash == "" then return nil end
  local suffix_at = find(pod, "-" .. hash .. "-", 1, true)
  if not suffix_at or suffix_at < 2 then return nil end
  return sub(pod, 1, suffix_at - 1)
end

local INSTANCE_KEY = "k8s.pod.label.app.kubernetes.io/instance"

local function put(map, key, value)
  if type(value) == "string" and value ~= "" then map[key] = clean(value) end
end

local function resource_of(k8s, tag)
  if type(k8s) ~= "table" then k8s = from_tag(tag) or {} end
  local labels = type(k8s.labels) == "table" and k8s.labels or nil
  local service = labels and (labels["app.kubernetes.io/name"] or labels["app"])
  if type(service) ~= "string" or service == "" then service = k8s.container_name end
  if type(service) ~= "string" then service = "" end
  service = clean(service)

  local res = {}
  put(res, "service.name", service)
  put(res, "k8s.namespace.name", k8s.namespace_name)
  put(res, "k8s.pod.name", k8s.pod_name)
  put(res, "k8s.pod.uid", k8s.pod_id)
  put(res, "k8s.container.name", k8s.container_name)
  put(res, "k8s.node.name", k8s.host)
  put(res, "k8s.deployment.name", deployment_of(k8s.pod_name, labels))
  put(res, "container.id", k8s.docker_id)
  put(res, "container.image.name", k8s.container_image)
  -- OTel's k8s.pod.label.<key>, for the one label that tells releases apart: the pipeline
  -- check counts only its own release's emitter (namespace and instance).
  put(res, INSTANCE_KEY, labels and labels["app.kubernetes.io/instance"])
  return res, service
end

---------------------------------------------------------------------------------------
-- The row.

local function severity_of(level)
  if level == nil then return DEFAULT_SEVERITY[1], DEFAULT_SEVERITY[2] end
  local known = SEVERITY[level]
  if known then return known[1], known[2] end
  local name = text(level)
  known = SEVERITY[string.upper(name)]
  if known then return known[1], known[2] end
  -- Unknown levels keep their text, with SeverityNumber 0 (UNSPECIFIED in OTel).
  return name, 0
end

local function hex_id(v, len)
  if type(v) ~= "string" or #v ~= len or find(v, "[^%x]") then return "" end
  return string.lower(v)
end

local function trace_flags(v)
  local n = tonumber(v)
  if not n or n ~= n or n < 0 or n > 255 then return 0 end
  return floor(n)
end

-- The line's own fields: the kubernetes filter's merged map, else nil for a raw line.
-- (With Merge_Log but no Merge_Log_Key the fields sit at the top level instead.)
local RECORD_KEYS = { time = true, stream = true, _p = true, log = true, kubernetes = true }

-- fluent-bit's JSON reader stops after the first value and ignores what follows, so
-- `{"a":1} some text` arrives merged as {a = 1} with the text gone. A line whose last
-- non-blank byte is not `}` therefore had something after its object: keep it as text.
local function ends_as_object(raw)
  local i = #raw
  local b = byte(raw, i)
  while b == 10 or b == 13 or b == 32 or b == 9 do
    i = i - 1
    b = byte(raw, i)
  end
  return b == 125 -- '}'
end

local function line_fields(record)
  local merged = record[MERGED_KEY]
  if type(merged) == "table" and not is_array(merged) then
    local raw = record.log
    if type(raw) ~= "string" or ends_as_object(raw) then return merged end
    return nil
  end
  if record.log ~= nil then return nil end
  local fields, any = {}, false
  for k, v in pairs(record) do
    if not RECORD_KEYS[k] and k ~= MERGED_KEY then fields[k] = v; any = true end
  end
  return any and fields or nil
end

-- docker's json-file keeps the newline that ended the line (CRI does not): drop it, so
-- the Body is the same on either runtime.
local function strip_newline(s)
  if byte(s, -1) == 10 then return sub(s, 1, -2) end
  return s
end

-- A container's metadata is the same on each of its lines: build its resource once.
-- Keyed by tag (one per container log file) and pod uid, so metadata that arrives late
-- replaces the tag-only guess. Bounded; the kubernetes filter caches pods the same way.
local resource_cache, resource_cache_size = {}, 0
local RESOURCE_CACHE_MAX = 1024

local function cached_resource(k8s, tag)
  local key = tostring(tag)
  local uid = type(k8s) == "table" and k8s.pod_id or false
  local entry = resource_cache[key]
  if entry and entry[1] == uid then return entry[2], entry[3] end
  local resource, service = resource_of(k8s, tag)
  if resource_cache_size >= RESOURCE_CACHE_MAX then resource_cache, resource_cache_size = {}, 0 end
  resource_cache[key] = { uid, resource, service }
  resource_cache_size = resource_cache_size + 1
  return resource, service
end

local function build_row(tag, timestamp, record)
  local resource, service = cached_resource(record.kubernetes, tag)
  local attrs = new_tab(0, 8)
  local stream = record.stream
  local fields = line_fields(record)
  local time_text, sec, nsec, body, sev_text, sev_num, scope
  local trace_id, span_id, flags = "", "", 0

  if fields then
    time_text = fast_time(fields.timestamp)
    if not time_text then sec, nsec = parse_rfc3339(fields.timestamp) end
    sev_text, sev_num = severity_of(fields.level)
    local message = fields.message
    if message == nil then body = json_table(fields, 0) else body = text(message) end
    scope = fields.target
    if fields.trace_id ~= nil then trace_id = hex_id(fields.trace_id, 32) end
    if fields.span_id ~= nil then span_id = hex_id(fields.span_id, 16) end
    if fields.trace_flags ~= nil then flags = trace_flags(fields.trace_flags) end
    for k, v in pairs(fields) do
      if not COLUMN_FIELDS[k] then attrs[text(k)] = text(v) end
    end
  else
    local raw = record.log
    if raw == nil then raw = "" end
    body = type(raw) == "string" and clean(strip_newline(raw)) or text(raw)
    sev_text, sev_num = DEFAULT_SEVERITY[1], DEFAULT_SEVERITY[2]
  end
  if type(stream) == "string" and stream ~= "" then attrs["log.iostream"] = clean(stream) end
  if not time_text then
    if not sec then sec, nsec = record_time(timestamp) end
    time_text = format_time(sec, nsec)
  end

  return {
    Timestamp = time_text,
    TraceId = trace_id,
    SpanId = span_id,
    TraceFlags = flags,
    SeverityText = sev_text,
    SeverityNumber = sev_num,
    ServiceName = service,
    Body = body,
    ResourceAttributes = resource,
    ScopeName = scope ~= nil and text(scope) or "",
    LogAttributes = attrs,
  }
end

-- A row that cannot fail: used when build_row raised, so the line still arrives.
local function fallback_row(tag, timestamp, record, err)
  local ok, body = pcall(function()
    if type(record) == "table" and type(record.log) == "string" then return clean(record.log) end
    return json_value(record, 0)
  end)
  if not ok or type(body) ~= "string" then body = "" end
  local ok_time, sec, nsec = pcall(record_time, timestamp)
  if not ok_time then sec, nsec = 0, 0 end
  -- The tag alone still names the pod and container.
  local ok_res, resource, service = pcall(resource_of, nil, tag)
  if not ok_res then resource, service = {}, "" end
  return {
    Timestamp = format_time(sec, nsec),
    TraceId = "", SpanId = "", TraceFlags = 0,
    SeverityText = DEFAULT_SEVERITY[1], SeverityNumber = DEFAULT_SEVERITY[2],
    ServiceName = service,
    Body = body,
    ResourceAttributes = resource,
    ScopeName = "",
    LogAttributes = {
      ["logdemo.filter.error"] = clean(tostring(err)),
      ["fluent-bit.tag"] = type(tag) == "string" and clean(tag) or "",
    },
  }
end

-- Entry point named in fluent-bit.yaml. Returns 2: the record changed, its time did not
-- (the row carries its own Timestamp; json_date_key is off in the output).
function to_otel(tag, timestamp, record)
  local ok, row = pcall(build_row, tag, timestamp, record)
  if not ok then row = fallback_row(tag, timestamp, record, row) end
  return 2, timestamp, row
end
