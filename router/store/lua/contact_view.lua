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
-- transition.lua reads the same for a refused guess (both from _record.lua).

--#include _record.lua

local offer = ''
local cid = ARGV[2]
if ARGV[1] ~= '' then
  offer = redis.call('HGET', KEYS[1], ARGV[1]) or ''
  if offer == '' then return {'', '', {}, 0} end
  cid = cjson.decode(offer).contact_id
end
local raw, others, listed = with_offers(redis.call('HGET', KEYS[2], cid), KEYS[1])
return {offer, raw, others, listed}
