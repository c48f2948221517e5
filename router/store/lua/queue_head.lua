-- queue_head.lua: the first contacts of the ready queue, with their records, in one call.
--
-- KEYS[1] queue     ZSET ready contacts by priority/arrival score
-- KEYS[2] contacts  HASH id -> contact record
-- ARGV[1] lower score bound ("-inf", or "(score" to start after a page)
-- ARGV[2] how many
-- Returns {{id, record}, ...} in serving order; ids without a record are skipped.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
if #ids == 0 then
  return out
end
local raws = redis.call('HMGET', KEYS[2], unpack(ids))
for i, id in ipairs(ids) do
  if raws[i] then
    out[#out + 1] = {id, raws[i]}
  end
end
return out
