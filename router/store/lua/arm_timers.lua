-- arm_timers.lua: arm timers outside a contact transition (idempotent by timer id).
--
-- KEYS[1] timers  KEYS[2] timer_data
-- ARGV[1] wake channel; then triples ARGV[2+3k..4+3k] = id, due ms, timer JSON

for i = 2, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
if #ARGV > 1 then redis.call('PUBLISH', ARGV[1], ARGV[3]) end
return #ARGV
