-- _record.lua: how a script reads a contact's record, included where a script says
-- `--#include _record.lua` (router/store/redis.py `_lua`): contact_view.lua and transition.lua.

-- Where a record's tail begins (its first batch mark, RS or US; nil: no tail), searching from
-- `from` (router/store/tails.py). Plain finds (memchr), not a character class: a pattern walked
-- the head a character at a time on every appending write.
local function tail_at(raw, from)
  local rs = string.find(raw, '\30', from, true)
  if rs == nil then
    local us = string.find(raw, '\31', from, true)
    return us
  end
  local us = string.find(string.sub(raw, from, rs - 1), '\31', 1, true)
  return us and (from + us - 1) or rs
end

-- A contact's record as HGET gave it (false: none) with the offers its facts name, read from the
-- offers HASH `offers`: {record or "", {offer JSON, ...}, listed (1/0)}. The offers are read only
-- from a record whose facts are in the clear ("3|" or the release before's "2|"); a record of an
-- earlier release leaves them to the caller (listed = 0).
local function with_offers(raw, offers)
  if not raw then return '', {}, 0 end
  local form = string.sub(raw, 1, 2)
  if form ~= '3|' and form ~= '2|' then return raw, {}, 0 end
  local bar = string.find(raw, '|', 3, true)
  local tail = tail_at(raw, bar + 1)
  local ids = cjson.decode(string.sub(raw, bar + 1, tail and tail - 1 or -1)).offer_ids or {}
  local others = {}
  if #ids > 0 then
    for _, o in ipairs(redis.call('HMGET', offers, unpack(ids))) do
      if o then others[#others + 1] = o end
    end
  end
  return raw, others, 1
end
