-- release_leader.lua: let go of a lock if this owner holds it; never another's.
--
-- KEYS[1] the lock  ARGV[1] owner
-- Returns 1 when it was held by the owner and is now free, else 0.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
