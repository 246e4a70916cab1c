-- A Bloom filter as people write one for Redis without modules: the reference that
-- bench/bloom.sh runs against pylond's BF.ADD / BF.EXISTS (via SCRIPT LOAD + EVALSHA), with the
-- same number of bits m and hash functions k.
--
--   EVALSHA <sha> 1 key item m k 1   -> 1 when a bit was clear (the item was new), else 0 (add)
--   EVALSHA <sha> 1 key item m k 0   -> 1 when every bit is set (maybe present), else 0 (exists)
--
-- The k positions come from one SHA-1 of the item by double hashing, as pylond's come from one
-- XXH3: two 32-bit halves h1, h2; position i = (h1 + i x h2) mod m; SETBIT / GETBIT each.
local sha = redis.sha1hex(ARGV[1])
local h1 = tonumber(string.sub(sha, 1, 8), 16)
local h2 = tonumber(string.sub(sha, 9, 16), 16)
local m = tonumber(ARGV[2])
local k = tonumber(ARGV[3])
if ARGV[4] == '1' then
  local new = 0
  for i = 0, k - 1 do
    if redis.call('SETBIT', KEYS[1], (h1 + i * h2) % m, 1) == 0 then new = 1 end
  end
  return new
end
for i = 0, k - 1 do
  if redis.call('GETBIT', KEYS[1], (h1 + i * h2) % m) == 0 then return 0 end
end
return 1
