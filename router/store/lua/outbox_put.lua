-- outbox_put.lua: queue (or re-queue) one outgoing message; a grouped one waits its turn.
--
-- KEYS[1] due      ZSET id -> due ms (only messages that may be sent now or later)
-- KEYS[2] data     HASH id -> sealed message
-- KEYS[3] groups   HASH id -> "due ms|group"
-- KEYS[4] waiting  ZSET (by member) "group|id", a group's messages in id order
-- ARGV[1] id    ARGV[2] due ms    ARGV[3] sealed message    ARGV[4] group ("" for none)

local id, due, group = ARGV[1], ARGV[2], ARGV[4]
redis.call('HSET', KEYS[2], id, ARGV[3])
if group == '' then
  redis.call('ZADD', KEYS[1], due, id)
  return 1
end
if redis.call('HEXISTS', KEYS[3], id) == 1 then
  -- Re-queued (a retry): still first of its group, due again later.
  redis.call('HSET', KEYS[3], id, due .. '|' .. group)
  if redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], due, id)
  end
  return 1
end
local ahead = redis.call('ZRANGEBYLEX', KEYS[4], '[' .. group .. '|', '[' .. group .. '|\255', 'LIMIT', 0, 1)
redis.call('HSET', KEYS[3], id, due .. '|' .. group)
redis.call('ZADD', KEYS[4], 0, group .. '|' .. id)
if #ahead == 0 then
  redis.call('ZADD', KEYS[1], due, id)
end
return 1
