-- forget_contact.lua: remove a finished contact and its offers from live state (the ledger keeps it).
--
-- KEYS[1]  contacts        HASH id -> contact JSON
-- KEYS[2]  revs            HASH id -> revision
-- KEYS[3]  open            ZSET open contacts by arrival ms
-- KEYS[4]  queue           ZSET ready contacts
-- KEYS[5]  offers          HASH offer id -> offer JSON
-- KEYS[6]  pending         ZSET pending offer ids by expiry ms
-- KEYS[7]  contact_offers  SET every offer id made for this contact
-- ARGV[1]  contact id
--
-- Returns 1 when forgotten, 0 when unknown or still open (then nothing is removed).

local id = ARGV[1]
if redis.call('HEXISTS', KEYS[2], id) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[3], id) or redis.call('ZSCORE', KEYS[4], id) then return 0 end
local offers = redis.call('SMEMBERS', KEYS[7])
for _, oid in ipairs(offers) do
  if redis.call('ZSCORE', KEYS[6], oid) then return 0 end
end
for _, oid in ipairs(offers) do redis.call('HDEL', KEYS[5], oid) end
redis.call('DEL', KEYS[7])
redis.call('HDEL', KEYS[1], id)
redis.call('HDEL', KEYS[2], id)
return 1
