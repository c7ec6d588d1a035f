-- Takes a write lock and, in the same round trip, reads the user's shared copy: a writer whose
-- own cache misses the user can often start from it.
--
-- Redis keeps no lock across a restart or a flush, yet a writer that took one before may still
-- be working under it. So the first lock after the data was lost starts a quiet period of one
-- lease: no lock is granted until every lease taken before the loss has run out. The marker
-- KEYS[3] records when that period began; it has no expiry.
--
-- KEYS[1] the lock, KEYS[2] the user's shared copy, KEYS[3] the marker.
-- ARGV    the lock's token, the lease (ms).
-- Returns {1, copy or ''} when the lock was taken, {0, ''} when another holder has it, and
--         {2, ms} during the quiet period, with the time left.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
local since = tonumber(redis.call('GET', KEYS[3]) or '')
if since == nil then
  redis.call('SET', KEYS[3], string.format('%.0f', now))
  since = now
end
if now - since < lease then
  return {2, string.format('%.0f', lease - (now - since))}
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or ''}
end
return {0, ''}
