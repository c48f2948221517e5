-- claim_timers.lua: lease, don't pop. Due timers are pushed to the lease's end, so a
-- timer held by an instance that dies comes due again and another instance fires it.
--
-- KEYS[1] timers      ZSET timer id -> due ms
-- KEYS[2] timer_data  HASH timer id -> timer JSON
-- ARGV[1] now (ms)    ARGV[2] lease end (ms)    ARGV[3] most to claim
--
-- Returns the JSON of every claimed timer, earliest first.

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(out, data)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
