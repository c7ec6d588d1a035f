-- Takes a write lock and, in the same round trip, reads the user's shared copy: a writer whose
-- own cache misses the user can often start from it.
--
-- KEYS[1] the lock, KEYS[2] the user's shared copy.
-- ARGV    the lock's token, the lease (ms).
-- Returns {1, copy or ''} when the lock was taken, {0, ''} when another holder has it.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]) or ''}
end
return {0, ''}
