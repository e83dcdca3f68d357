-- strtab.lua: string and table work for bench-run and tests/run: the Lua
-- interpreter's allocations, through code built without frame pointers
-- (Debian's lua5.4 and libc). Usage: lua5.4 strtab.lua [N]  (N rounds,
-- about 55 allocations each; the default, 92000, makes about 5 million)
local n = tonumber(arg[1]) or 92000
local words, index, total = {}, {}, 0
for i = 1, n do
    local s = string.format("key-%d-%s", i, string.rep("x", i % 17))
    local t = {i, s, {len = #s}}
    words[#words + 1] = t
    index[s] = t
    local parts = {}
    for w in s:gmatch("[^-]+") do parts[#parts + 1] = w:upper() .. i end
    total = total + #table.concat(parts, "+")
    local r = s:reverse():gsub("x", "yz"):sub(2, -2)
    local q = {}
    for j = 1, 8 do q[j] = {r, j, tostring(j * i)} end
    total = total + #q + #r
    if i % 1000 == 0 then words = {} end
end
local keys = 0
for _ in pairs(index) do keys = keys + 1 end
print(keys, total)
