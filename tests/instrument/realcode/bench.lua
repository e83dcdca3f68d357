-- Workload for tests/instrument/realcode.sh: calls, closures, strings,
-- tables and sorting, about a second of the plain interpreter.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local function words(n)
  local t = {}
  for i = 1, n do t[#t + 1] = string.format("w%05d", (i * 7919) % n) end
  return table.concat(t, " ")
end

local function count(text)
  local c = {}
  for w in text:gmatch("%S+") do c[w] = (c[w] or 0) + 1 end
  local keys = {}
  for k in pairs(c) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return c[a] > c[b] or (c[a] == c[b] and a < b) end)
  return #keys
end

local function objects(n)
  local sum = 0
  for i = 1, n do
    local p = setmetatable({x = i, y = -i}, {__index = function(_, k) return k end})
    sum = sum + p.x + #p.z
  end
  return sum
end

local total = fib(27)
for _ = 1, 4 do total = total + count(words(60000)) end
total = total + objects(300000)
print(total)
