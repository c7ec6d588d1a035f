-- Stores a user's shared copy unless a write was released since the reader loaded the version.
--
-- KEYS[1] the user's shared copy, KEYS[2] the user's version.
-- ARGV    the version the reader saw ('' for none), the copy, its lifetime (ms).
local v = redis.call('GET', KEYS[2]) or ''
if v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
