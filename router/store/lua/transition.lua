-- transition.lua: apply one contact transition atomically, or nothing at all.
--
-- KEYS[1]  contacts    HASH id -> contact JSON
-- KEYS[2]  revs        HASH id -> revision
-- KEYS[3]  queue       ZSET ready contacts by priority/arrival score
-- KEYS[4]  open        ZSET open contacts by arrival ms
-- KEYS[5]  offers      HASH offer id -> offer JSON
-- KEYS[6]  pending     ZSET pending offer ids by expiry ms
-- KEYS[7]  load        HASH "responder|channel" -> held
-- KEYS[8]  presence    HASH responder -> presence
-- KEYS[9]  idle        ZSET responder -> last routed ms
-- KEYS[10] timers      ZSET timer id -> due ms
-- KEYS[11] timer_data  HASH timer id -> timer JSON
-- KEYS[12] events      STREAM
-- KEYS[13] senders     HASH keyed sender hash -> open contact id
-- KEYS[14] arrivals    ZSET "sender key|ms|contact id" (score 0, by member): repeat contacts
-- KEYS[15] contact_offers  SET every offer id made for this contact (forgotten with it)
-- KEYS[16] dispatch_version  STRING bumped when loads or idle times change (dispatch's cache)
-- KEYS[17] responders_version  STRING bumped when a responder record is written
-- KEYS[18] roster_head  STRING newest published roster version
-- KEYS[19] dispatch_steps  HASH dispatch number -> the loads and idle times that write changed
--          (the newest 256: a reader holding the state a few numbers behind catches up from
--          them, read_view.lua; router/store/seen.py)
-- KEYS[20] seq         STRING contact sequence counter (read_view.lua takes from it too)
-- ARGV[1]  JSON payload (router/store/redis_transition.py: args); every score is a string
-- ARGV[2]  wake channel name (published to when a timer is armed earlier than any other)
-- ARGV[3]  the contact's record as stored, or its new head when p.append names the batches to
--          append to the stored record's tail (router/store/tails.py); then each offer's,
--          timer's and event's JSON, which the payload names by ARGV index (o.json, t.json, events)
--
-- Returns {"ok", rev, state version, roster head, seq} or {"conflict", reason}; on conflict nothing was
-- written. With p.view (a write decided on a guess, router/changing.py) a conflict also carries
-- what contact_view.lua reads of the contact, as it stands: {"conflict", reason, record or "",
-- {offer JSON, ...}, listed}; so the guess costs no read of its own, and a write that landed
-- carries no record back. The state version ("<dispatch>/<responders>", as read_view.lua makes it; "" before
-- the first read made the counters) and the roster head are as this write left them: a dispatch
-- pass that found nobody free in that very state need not read it again (router/dispatching.py).
-- seq is the sequence number the write gave a new contact (p.assign_seq), else 0.

local p = cjson.decode(ARGV[1])
local id = p.id

--#include _record.lua

local function refused(reason)
  if not p.view then return {'conflict', reason} end
  -- The contact with its offers as contact_view.lua reads them (_record.lua).
  local raw, others, listed = with_offers(redis.call('HGET', KEYS[1], id), KEYS[5])
  return {'conflict', reason, raw, others, listed}
end

-- guards -------------------------------------------------------------------
local current = redis.call('HGET', KEYS[2], id)
if p.expect_rev == false then
  if current then return refused('exists') end
else
  if (not current) or tonumber(current) ~= tonumber(p.expect_rev) then
    return refused('stale')
  end
end
for _, l in ipairs(p.loads) do
  if tonumber(l.delta) > 0 then
    local held = tonumber(redis.call('HGET', KEYS[7], l.field) or '0')
    if held + tonumber(l.delta) > tonumber(l.cap) then return refused('capacity') end
  end
end
for _, rid in ipairs(p.require_available) do
  if redis.call('HGET', KEYS[8], rid) ~= 'available' then return refused('unavailable') end
end
-- Intake that offers in its own write does so only when nobody is waiting ahead of it.
if p.queue_empty and redis.call('ZCARD', KEYS[3]) > 0 then return refused('queue') end
-- Intake in one round trip wrote what it guessed rather than read it (router/receiving.py):
-- the newest roster, the responders' records its offer was chosen from, no earlier arrival.
if p.expect_head ~= false and (redis.call('GET', KEYS[18]) or '0') ~= p.expect_head then
  return refused('roster')
end
if p.expect_responders ~= false and redis.call('GET', KEYS[17]) ~= p.expect_responders then
  return refused('responders')
end
-- A timer fired on what this instance wrote (router/timers.py): still armed, and due (nobody
-- claimed it: a claim pushes its score to the lease's end) or leased by this instance's claim
-- sent just before in the same round trip.
if p.expect_due ~= false then
  local due = tonumber(redis.call('ZSCORE', KEYS[10], p.expect_due.id) or '-1')
  local e = p.expect_due
  if due < 0 or (due > tonumber(e.by) and due ~= tonumber(e.leased)) then return refused('timer') end
end
-- An append goes onto the record of the revision checked above, written in this form.
local stored = nil
if p.append ~= false then
  stored = redis.call('HGET', KEYS[1], id)
  if (not stored) or string.sub(stored, 1, 2) ~= '3|' then return refused('stale') end
end
if p.first_since ~= false then
  for _, key in ipairs(p.first_since.keys) do
    local lo, hi = '[' .. key .. '|' .. p.first_since.since, '[' .. key .. '|~'
    if #redis.call('ZRANGEBYLEX', KEYS[14], lo, hi, 'LIMIT', 0, 1) > 0 then
      return refused('arrivals')
    end
  end
end

-- numbering a new contact: its seq in the record (written as -1) and in its queue score ----
local record, enqueue, seq = ARGV[3], p.enqueue, 0
if p.assign_seq then
  seq = redis.call('INCR', KEYS[20])
  local at = string.find(record, '"seq":-1,', 1, true)
  if not at then return redis.error_reply('transition.lua: no seq to assign in the record') end
  record = string.sub(record, 1, at + 5) .. string.format('%d', seq) .. string.sub(record, at + 8)
  if enqueue ~= false then enqueue = string.format('%.17g', tonumber(enqueue) + seq) end
end

-- the record: whole, or the new head, the tail stored (from its first batch mark, RS or US)
-- and the new batches
if stored then
  local tail = tail_at(stored, 1)
  record = record .. (tail and string.sub(stored, tail) or '') .. ARGV[p.append]
end

-- writes -------------------------------------------------------------------
local rev = tonumber(p.rev)
redis.call('HSET', KEYS[2], id, rev)
redis.call('HSET', KEYS[1], id, record)
if p.dequeue then redis.call('ZREM', KEYS[3], id) end
if enqueue ~= false then redis.call('ZADD', KEYS[3], enqueue, id) end
if p.open ~= false then
  redis.call('ZADD', KEYS[4], p.open, id)
  if p.sender_key ~= false then redis.call('HSET', KEYS[13], p.sender_key, id) end
else
  redis.call('ZREM', KEYS[4], id)
  if p.sender_key ~= false and redis.call('HGET', KEYS[13], p.sender_key) == id then
    redis.call('HDEL', KEYS[13], p.sender_key)
  end
end
for _, o in ipairs(p.offers) do
  redis.call('HSET', KEYS[5], o.id, ARGV[o.json])
  redis.call('SADD', KEYS[15], o.id)
  if o.pending ~= false then
    redis.call('ZADD', KEYS[6], o.pending, o.id)
  else
    redis.call('ZREM', KEYS[6], o.id)
  end
end
for _, l in ipairs(p.loads) do
  local held = redis.call('HINCRBY', KEYS[7], l.field, l.delta)
  if held <= 0 then redis.call('HDEL', KEYS[7], l.field) end
end
for _, i in ipairs(p.idle) do redis.call('ZADD', KEYS[9], i.ms, i.rid) end
if #p.loads > 0 or #p.idle > 0 then
  local number = redis.call('INCR', KEYS[16])
  redis.call('HSET', KEYS[19], number, p.step)
  redis.call('HDEL', KEYS[19], number - 256)
end
for _, tid in ipairs(p.disarm) do
  redis.call('ZREM', KEYS[10], tid)
  redis.call('HDEL', KEYS[11], tid)
end
-- Sleeping instances wake for the earliest timer only: one due in 20 minutes behind
-- another due sooner wakes nobody.
local earliest = redis.call('ZRANGE', KEYS[10], 0, 0, 'WITHSCORES')[2]
local soonest = nil
for _, t in ipairs(p.arm) do
  if soonest == nil or tonumber(t.due) < soonest then soonest = tonumber(t.due) end
end
for _, t in ipairs(p.arm) do
  redis.call('ZADD', KEYS[10], t.due, t.id)
  redis.call('HSET', KEYS[11], t.id, ARGV[t.json])
end
for _, e in ipairs(p.events) do redis.call('XADD', KEYS[12], '*', 'e', ARGV[e]) end
if p.arrival ~= false then
  redis.call('ZREMRANGEBYLEX', KEYS[14], '[' .. p.arrival.key .. '|', '(' .. p.arrival.forget)
  redis.call('ZADD', KEYS[14], 0, p.arrival.member)
end
if soonest ~= nil and (earliest == nil or soonest < tonumber(earliest)) then
  redis.call('PUBLISH', ARGV[2], soonest)
end
local dispatch, responders = redis.call('GET', KEYS[16]), redis.call('GET', KEYS[17])
local version = (dispatch and responders) and (dispatch .. '/' .. responders) or ''
return {'ok', rev, version, redis.call('GET', KEYS[18]) or '0', seq}
