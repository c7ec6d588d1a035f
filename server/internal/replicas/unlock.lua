-- Ends a write lock that is still ours (the token matches), after a holder that wrote nothing,
-- and wakes the replicas waiting for it (the message invalidates nothing).
-- KEYS[1] the lock; ARGV the lock's token, the channel, the message. Returns 1 when the lock was
-- still ours.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  return 1
end
return 0
