-- Helpers before every case of lua_libs_cases.txt (one chunk with the case, here and in Redis's
-- EVAL): they render what a case returns as printable text, so that Redis's answer and Pylon's
-- compare as strings. Locals only: Redis refuses new globals in scripts.
local function pack(...) return {n = select('#', ...), ...} end
local show
-- Strings quoted, their non-printable bytes as \xNN; numbers with 17 digits; tables as their
-- sorted key=value pairs (so that a map's iteration order does not matter).
show = function(v)
  local t = type(v)
  if t == 'string' then
    return (string.gsub(string.format('%q', v), '[^\32-\126]',
                        function(c) return string.format('\\x%02x', c:byte()) end))
  elseif t == 'number' then
    return string.format('%.17g', v)
  elseif t == 'table' then
    local items = {}
    for k, x in pairs(v) do items[#items + 1] = '[' .. show(k) .. ']=' .. show(x) end
    table.sort(items)
    return '{' .. table.concat(items, ',') .. '}'
  end
  return tostring(v)
end
local function show_list(r, from)
  local out = {}
  for i = from, r.n do out[#out + 1] = show(r[i]) end
  return table.concat(out, ' ')
end
-- Every value given, rendered and separated by spaces.
local function shows(...) return show_list(pack(...), 1) end
-- Calls f(...): its results rendered, or "error: " and its message.
local function try(f, ...)
  local r = pack(pcall(f, ...))
  if r[1] then return show_list(r, 2) end
  return 'error: ' .. show(r[2])
end
-- The bytes of s in hex, for packed output.
local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', c:byte()) end)) end
