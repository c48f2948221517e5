-- publish_roster.lua: versions are numbered 1, 2, 3 ... with no gap and no overwrite.
--
-- KEYS[1] versions HASH  KEYS[2] head STRING
-- ARGV[1] version number  ARGV[2] version JSON
--
-- Returns 1 when stored, 0 when ARGV[1] is not head + 1.

local head = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) ~= head + 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
return 1
