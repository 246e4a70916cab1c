-- A token bucket as people typically write it for Redis 7: the reference that
-- bench/ratelimit.sh runs against `RL.ALLOW ... ALGO token` (via SCRIPT LOAD + EVALSHA).
--
--   EVALSHA <sha> 1 key limit period_ms burst cost
--   -> {allowed 1/0, limit (= burst), remaining, retry_after_ms (-1 when allowed), reset_after_ms}
--
-- The bucket is a hash {tokens, ts}: tokens left (a float) at ts (ms). It refills at
-- limit / period_ms tokens per ms up to burst; a new key starts full. A call takes `cost` tokens
-- if the bucket holds that many. The key is written back on every call and expires when the
-- bucket would be full again (a full bucket and a missing key are the same thing).
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local rate = limit / period -- tokens per ms

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)

local allowed = 0
local retry_after = -1
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_after = math.ceil((cost - tokens) / rate)
end
local reset_after = math.ceil((burst - tokens) / rate)

redis.call('HSET', key, 'tokens', tokens, 'ts', now)
if reset_after > 0 then
  redis.call('PEXPIRE', key, reset_after)
else
  redis.call('DEL', key)
end
return {allowed, burst, math.floor(tokens), retry_after, reset_after}
