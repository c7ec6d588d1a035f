-- Ends a write lock and tells every replica that the user changed, in one round trip.
--
-- KEYS[1] the lock, KEYS[2] the user's shared copy, KEYS[3] the user's version.
-- ARGV    the lock's token, the profile as upstream now holds it ('' when unknown), the copy's
--         lifetime (ms), the version's lifetime (ms), the invalidation channel, the message, and
--         how long the lock stays taken (ms; 0: it ends now).
-- The copy is replaced only while the lock is still ours, and dropped otherwise: a lease that ran
-- out may have let another writer in, and which write landed last is unknown. A lock kept (a write whose outcome is unknown may
-- still land) expires on its own. Returns 1 when the lock was still ours.
local owned = redis.call('GET', KEYS[1]) == ARGV[1]
if owned then
  if tonumber(ARGV[7]) > 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[7])
  else
    redis.call('DEL', KEYS[1])
  end
end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
if owned and ARGV[2] ~= '' then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[2])
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
if owned then return 1 end
return 0
