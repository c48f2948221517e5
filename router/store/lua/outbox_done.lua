-- outbox_done.lua: a message sent or given up leaves; the next of its group falls due.
--
-- KEYS as outbox_put.lua.    ARGV[1] id
-- Returns 1 when another message of the group fell due, else 0.

local id = ARGV[1]
redis.call('ZREM', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
local entry = redis.call('HGET', KEYS[3], id)
if not entry then
  return 0
end
redis.call('HDEL', KEYS[3], id)
local group = string.sub(entry, string.find(entry, '|', 1, true) + 1)
redis.call('ZREM', KEYS[4], group .. '|' .. id)
local nxt = redis.call('ZRANGEBYLEX', KEYS[4], '[' .. group .. '|', '[' .. group .. '|\255', 'LIMIT', 0, 1)
if #nxt == 0 then
  return 0
end
local next_id = string.sub(nxt[1], #group + 2)
local next_entry = redis.call('HGET', KEYS[3], next_id)
redis.call('ZADD', KEYS[1], string.sub(next_entry, 1, string.find(next_entry, '|', 1, true) - 1), next_id)
return 1
