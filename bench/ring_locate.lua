-- Consistent hashing as people write it for Redis without modules: the reference that
-- bench/bloom.sh runs against pylond's RING.LOCATE. The ring is a sorted set of points (score:
-- the point's 32-bit hash; member: "<node>#<i>"), 160 per node as ketama places them; a key
-- goes to the first point at or after its hash, wrapping to the first point.
--
--   EVALSHA <sha> 1 ring key   -> the node's name
local h = tonumber(string.sub(redis.sha1hex(ARGV[1]), 1, 8), 16)
local p = redis.call('ZRANGEBYSCORE', KEYS[1], h, '+inf', 'LIMIT', 0, 1)
if #p == 0 then p = redis.call('ZRANGE', KEYS[1], 0, 0) end
return string.match(p[1], '^(.*)#')
