-- claim_leased.lua: lease, don't pop (timers and the outbox). Due ids are pushed to the
-- lease's end, so a timer or message held by an instance that dies comes due again and
-- another instance fires or sends it.
--
-- KEYS[1] due    ZSET id -> due ms
-- KEYS[2] data   HASH id -> payload
-- ARGV[1] now (ms)    ARGV[2] lease end (ms)    ARGV[3] most to claim
--
-- Returns id1, payload1, id2, payload2, ... earliest first.

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    table.insert(out, id)
    table.insert(out, data)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
