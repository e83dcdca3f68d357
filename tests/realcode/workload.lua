-- The lua5.4 workload of tests/realcode: a little of everything the
-- interpreter does (calls, tables, sorting, strings, patterns, closures,
-- coroutines, the garbage collector, a parse of generated code), with a
-- deterministic output.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local t = {}
for i = 1, 20000 do t[i] = (i * 7919) % 10007 end
table.sort(t)

local parts = {}
for i = 1, 3000 do parts[#parts + 1] = string.format("%d:%s", i, string.rep("x", i % 13)) end
local s = table.concat(parts, ",")
local count = 0
for _ in s:gmatch("%d+") do count = count + 1 end

local co = coroutine.wrap(function() for i = 1, 2000 do coroutine.yield(i) end end)
local sum = 0
for _ = 1, 2000 do sum = sum + co() end

local src = {}
for i = 1, 150 do src[#src + 1] = string.format("local v%d = %d * 2 + (%d // 3)", i, i, i) end
src[#src + 1] = "return v150"
local chunk = assert(load(table.concat(src, "\n")))

local words = {}
for w in ("the quick brown fox jumps over the lazy dog "):rep(200):gmatch("%a+") do
    words[w] = (words[w] or 0) + 1
end
local keys = {}
for k in pairs(words) do keys[#keys + 1] = k end
table.sort(keys)
collectgarbage()
print(fib(20), t[1], t[#t], #s, count, sum, chunk(), #keys, words.the)
