-- arm_timers.lua: arm timers outside a contact transition (idempotent by timer id).
--
-- KEYS[1] timers  KEYS[2] timer_data
-- ARGV[1] wake channel; then triples ARGV[2+3k..4+3k] = id, due ms, timer JSON

-- Wake sleeping instances only for a timer earlier than every one already armed.
local earliest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
local soonest = nil
for i = 2, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  if soonest == nil or tonumber(ARGV[i + 1]) < soonest then soonest = tonumber(ARGV[i + 1]) end
end
if soonest ~= nil and (earliest == nil or soonest < tonumber(earliest)) then
  redis.call('PUBLISH', ARGV[1], soonest)
end
return #ARGV
