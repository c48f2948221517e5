-- leader.lua: take the leader lock if free, renew it if ours; never release another's.
--
-- KEYS[1] leader
-- ARGV[1] owner  ARGV[2] ttl (ms)

local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
