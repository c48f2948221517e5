-- claim_timers.lua: a timer batch and everything deciding it needs, in one call.
-- Claims as claim_leased.lua does (lease, don't pop), then reads the records of the contacts
-- the claimed timers concern, the earliest timer left and the roster head.
--
-- KEYS[1] timers (ZSET id -> due ms)   KEYS[2] timer data (HASH)
-- KEYS[3] contacts (HASH)               KEYS[4] roster head version (STRING)
-- ARGV[1] now (ms)    ARGV[2] lease end (ms)    ARGV[3] most to claim
--
-- Returns {{id1, timer1, ...}, {contact id, record, ...}, earliest due ms or "", head or ""}.

local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed, wanted, seen = {}, {}, {}
for _, id in ipairs(ids) do
  local data = redis.call('HGET', KEYS[2], id)
  if data then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    claimed[#claimed + 1] = id
    claimed[#claimed + 1] = data
    local cid = cjson.decode(data)['contact_id']
    if type(cid) == 'string' and not seen[cid] then
      seen[cid] = true
      wanted[#wanted + 1] = cid
    end
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
local records = {}
if #wanted > 0 then
  local raws = redis.call('HMGET', KEYS[3], unpack(wanted))
  for i, cid in ipairs(wanted) do
    if raws[i] then
      records[#records + 1] = cid
      records[#records + 1] = raws[i]
    end
  end
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {claimed, records, head[2] or '', redis.call('GET', KEYS[4]) or ''}
