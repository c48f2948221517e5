-- contact_view.lua: a contact with its offers (and the offer that names it), in one call.
--
-- KEYS[1] offers    HASH offer id -> offer JSON
-- KEYS[2] contacts  HASH id -> contact record ("3|<sealed personal part>|<facts JSON>", then
--                   its tail's batches, each opened by RS or US: router/store/tails.py; or the
--                   release before's "2|<sealed>|<facts JSON>")
-- ARGV[1] an offer id ("" for none): its contact is the one read
-- ARGV[2] a contact id ("" when the offer names it)
--
-- Returns {offer JSON or "", contact record or "", {offer JSON, ...}, listed (1/0)}: the
-- contact's offers are those its record's offer_ids name, read only from a record whose facts
-- are in the clear (listed = 1); an earlier release's record leaves them to the caller.
-- transition.lua's `viewed` reads the same for a refused guess: keep the two alike.

-- Where a record's tail begins (its first batch mark, RS or US; nil: no tail), searching from
-- `from`. Plain finds (memchr), not a character class: a pattern walked the head a character at
-- a time on every appending write.
local function tail_at(raw, from)
  local rs = string.find(raw, '\30', from, true)
  if rs == nil then
    local us = string.find(raw, '\31', from, true)
    return us
  end
  local us = string.find(string.sub(raw, from, rs - 1), '\31', 1, true)
  return us and (from + us - 1) or rs
end

local offer = ''
local cid = ARGV[2]
if ARGV[1] ~= '' then
  offer = redis.call('HGET', KEYS[1], ARGV[1]) or ''
  if offer == '' then return {'', '', {}, 0} end
  cid = cjson.decode(offer).contact_id
end
local raw = redis.call('HGET', KEYS[2], cid)
if not raw then return {offer, '', {}, 0} end
local form = string.sub(raw, 1, 2)
if form ~= '3|' and form ~= '2|' then return {offer, raw, {}, 0} end
local bar = string.find(raw, '|', 3, true)
local tail = tail_at(raw, bar + 1)
local ids = cjson.decode(string.sub(raw, bar + 1, tail and tail - 1 or -1)).offer_ids or {}
local others = {}
if #ids > 0 then
  for _, o in ipairs(redis.call('HMGET', KEYS[1], unpack(ids))) do
    if o then others[#others + 1] = o end
  end
end
return {offer, raw, others, 1}
