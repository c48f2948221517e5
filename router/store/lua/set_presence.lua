-- set_presence.lua: a responder becoming available counts as idle from now.
--
-- KEYS[1] presence  KEYS[2] idle  KEYS[3] dispatch_version (bumped)
-- ARGV[1] responder id  ARGV[2] status  ARGV[3] now (ms)

local previous = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[3])
if ARGV[2] == 'available' and previous ~= 'available' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
