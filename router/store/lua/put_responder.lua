-- put_responder.lua: create or replace a responder; a new one starts available and idle.
--
-- KEYS[1] responders  KEYS[2] presence  KEYS[3] idle  KEYS[4] dispatch_version  KEYS[5] responders_version (both bumped)
-- ARGV[1] responder id  ARGV[2] responder JSON  ARGV[3] now (ms)
--
-- Returns 1 when created, 0 when replaced.

local created = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[4])
redis.call('INCR', KEYS[5])
if created then
  redis.call('HSET', KEYS[2], ARGV[1], 'available')
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
  return 1
end
return 0
