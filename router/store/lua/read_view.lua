-- read_view.lua: what dispatch (and intake) decide on, in one call.
--
-- KEYS[1]  dispatch_version  STRING counter bumped by writes to responders/presence/load/idle
-- KEYS[2]  roster_head       STRING newest published roster version
-- KEYS[3]  queue             ZSET ready contacts by priority/arrival score
-- KEYS[4]  contacts          HASH id -> contact record
-- KEYS[5]  responders        HASH id -> responder JSON
-- KEYS[6]  presence          HASH id -> presence
-- KEYS[7]  load              HASH "responder|channel" -> held
-- KEYS[8]  idle              ZSET responder -> last routed ms
-- KEYS[9]  arrivals          ZSET "sender key|ms|contact id" (intake only)
-- KEYS[10] seq               STRING contact sequence counter (intake only)
-- KEYS[11] responders_version  STRING counter bumped when a responder record is written
-- KEYS[12] dispatch_steps  HASH dispatch number -> what the transition to it changed in loads
--          and idle times (transition.lua)
-- ARGV[1]  the caller's version ("<dispatch>/<responders>"; "" when it holds none; "-" when it
--          wants no state): the state is returned only when it differs, and the responders'
--          records only when their own part differs
-- ARGV[2]  queue page: "always", "changed" (only with a changed state) or "none"
-- ARGV[3]  queue page size
-- ARGV[4]  "1": take a new sequence number (intake)
-- ARGV[5..] sender keys (intake): their earlier arrivals
--
-- Returns {version, roster head, queue length, changed (0: no, 1: all, 2: all but the
--          responders' records, 3: only the steps from the caller's version to this one, in
--          place of the responders' records), {responders | steps}, {presence},
--          {load}, {idle with scores}, {{id, record}, ...}, {{arrival members} per key}, seq}

local function counter(key)
  local value = redis.call('GET', key)
  if not value then
    -- Start from the clock (ms), not 0: a cache that saw this key before a flush can never
    -- meet the same number again.
    local t = redis.call('TIME')
    value = tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
    redis.call('SET', key, value)
  end
  return value
end
-- A caller this many numbers behind or fewer catches up from the steps, when they are all kept.
local CATCH_UP = 64
local held_dispatch, held_responders = string.match(ARGV[1], '^(%d*)/(.*)$')
local responders_version = counter(KEYS[11])
local dispatch = counter(KEYS[1])
local version = dispatch .. '/' .. responders_version
local changed = 0
local out = {version, redis.call('GET', KEYS[2]) or '0', redis.call('ZCARD', KEYS[3]), changed}
out[5], out[6], out[7], out[8] = {}, {}, {}, {}
if ARGV[1] ~= '-' and version ~= ARGV[1] then
  changed = responders_version == held_responders and 2 or 1
  local from, to = tonumber(held_dispatch), tonumber(dispatch)
  if changed == 2 and from and to > from and to - from <= CATCH_UP then
    local numbers = {}
    for n = from + 1, to do numbers[#numbers + 1] = n end
    local steps = redis.call('HMGET', KEYS[12], unpack(numbers))
    local whole = true
    for _, step in ipairs(steps) do
      if step == false then whole = false end
    end
    if whole then
      changed = 3
      out[5] = steps
    end
  end
  out[4] = changed
end
if changed == 1 then out[5] = redis.call('HGETALL', KEYS[5]) end
if changed == 1 or changed == 2 then
  out[6] = redis.call('HGETALL', KEYS[6])
  out[7] = redis.call('HGETALL', KEYS[7])
  out[8] = redis.call('ZRANGE', KEYS[8], 0, -1, 'WITHSCORES')
end
local pairs_out = {}
if out[3] > 0 and (ARGV[2] == 'always' or (ARGV[2] == 'changed' and changed > 0)) then
  local ids = redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[3]) - 1)
  local raws = redis.call('HMGET', KEYS[4], unpack(ids))
  for i, id in ipairs(ids) do
    if raws[i] then pairs_out[#pairs_out + 1] = {id, raws[i]} end
  end
end
out[9] = pairs_out
local found = {}
for i = 5, #ARGV do
  found[#found + 1] = redis.call('ZRANGEBYLEX', KEYS[9], '[' .. ARGV[i] .. '|', '[' .. ARGV[i] .. '|~')
end
out[10] = found
out[11] = ARGV[4] == '1' and redis.call('INCR', KEYS[10]) or 0
return out
