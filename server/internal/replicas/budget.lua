-- The Management API budget shared by replicas: reserveOne, mirror.observe and localBudget.observe
-- of budget.go and local.go, on
-- state kept in one hash so that every replica sees the same. Times are microseconds on Redis's
-- clock.
--
-- KEYS[1]  the budget hash: 'cfg:<kind>' (the configured budget's TAT), 'limit:<kind>' (the
--          bucket size Auth0 announced for the kind) and, per mirror of an Auth0 bucket,
--          '<bucket>:tat', '<bucket>:iv', '<bucket>:ivat', '<bucket>:seq', '<bucket>:applied',
--          '<bucket>:prev', '<bucket>:last'.
-- ARGV     reads, writes, maxWait, read interval, read burst, write interval, write burst,
--          ttl (seconds), number of observations, interval window, interval and bucket size
--          assumed while unknown, then 7 values per observation: kind, bucket, seq, limit,
--          remaining, resetIn, age.
-- Returns  {1, kind, bucket, seq, wait, ...} per grant, or {0, refused kind, wait}.
local h = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local kinds = {'read', 'write'}
local rates = {read = {tonumber(ARGV[4]), tonumber(ARGV[5])}, write = {tonumber(ARGV[6]), tonumber(ARGV[7])}}

local function num(field)
  return tonumber(redis.call('HGET', h, field) or '0') or 0
end
local function put(field, v)
  redis.call('HSET', h, field, string.format('%.0f', v))
end
-- bucket_of: the bucket a kind counts against and its size, 0 while unknown (see bucketOf).
local function bucket_of(kind)
  local limit = num('limit:' .. kind)
  if limit <= 0 then
    for _, other in ipairs(kinds) do
      limit = num('limit:' .. other)
      if limit > 0 then break end
    end
  end
  if limit <= 0 then return 'unknown', 0 end
  return 'limit-' .. string.format('%.0f', limit), limit
end
local function mirror_interval(b, kind)
  local iv = num(b .. ':iv')
  if iv > 0 then return iv end
  return math.max(rates[kind][1], tonumber(ARGV[11]))
end
-- earliest: the soonest a request may arrive in a GCRA bucket (see gcra.earliest).
local function earliest(tat, interval, burst)
  return tat + interval - math.max(burst, 1) * interval
end

local i = 13
for _ = 1, tonumber(ARGV[9]) do
  local kind, granted_by = ARGV[i], ARGV[i + 1]
  local seq, limit, rem = tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local reset_in, age = tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
  i = i + 7
  if limit > 0 and rates[kind] then
    put('limit:' .. kind, limit)
    local b = bucket_of(kind)
    if redis.call('HEXISTS', h, b .. ':seq') == 0 and redis.call('HEXISTS', h, granted_by .. ':seq') == 1 then
      -- A bucket that has granted nothing yet takes over the grants of the one before (as
      -- localBudget.observe does).
      put(b .. ':seq', num(granted_by .. ':seq'))
      put(b .. ':applied', num(granted_by .. ':applied'))
      put(b .. ':last', num(granted_by .. ':last'))
      redis.call('HSET', h, b .. ':prev', granted_by)
    end
    local same = granted_by == b or granted_by == redis.call('HGET', h, b .. ':prev')
    local apply, pending = true, 0
    if same then
      local applied, granted = num(b .. ':applied'), num(b .. ':seq')
      if seq > granted then
        apply = false
      elseif seq <= applied then
        same = false
      else
        put(b .. ':applied', seq)
        pending = granted - seq
      end
    end
    if apply then
      if limit - rem - 1 > 0 and reset_in > 0 then
        local iv, cur = math.floor(reset_in / (limit - rem - 1)), num(b .. ':iv')
        if cur == 0 or iv <= cur or now - num(b .. ':ivat') > tonumber(ARGV[10]) then
          put(b .. ':iv', iv)
          put(b .. ':ivat', now)
        end
      end
      local iv = mirror_interval(b, kind)
      local tat = now + math.max((limit - rem) * iv - age, 0) + pending * iv
      if pending > 0 then
        tat = math.max(tat, num(b .. ':last') + math.min(pending, limit) * iv)
      end
      if not same then tat = math.max(tat, num(b .. ':tat')) end
      put(b .. ':tat', tat)
    end
  end
end

local max_wait = tonumber(ARGV[3])
local cfg, tat, seq, last, out = {}, {}, {}, {}, {1}
for k = 1, 2 do
  local kind = kinds[k]
  for _ = 1, tonumber(ARGV[k]) do
    local b, limit = bucket_of(kind)
    local interval
    if limit <= 0 then
      limit, interval = tonumber(ARGV[12]), rates[kind][1]
    else
      interval = mirror_interval(b, kind)
    end
    if cfg[kind] == nil then cfg[kind] = num('cfg:' .. kind) end
    if tat[b] == nil then tat[b], seq[b], last[b] = num(b .. ':tat'), num(b .. ':seq'), num(b .. ':last') end
    local at = math.max(now, last[b], earliest(cfg[kind], rates[kind][1], rates[kind][2]), earliest(tat[b], interval, limit))
    local wait = at - now
    if wait > max_wait then
      return {0, k - 1, string.format('%.0f', wait)}
    end
    cfg[kind] = math.max(cfg[kind], at) + rates[kind][1]
    tat[b] = math.max(tat[b], at) + interval
    seq[b], last[b] = seq[b] + 1, at
    table.insert(out, k - 1)
    table.insert(out, b)
    table.insert(out, string.format('%.0f', seq[b]))
    table.insert(out, string.format('%.0f', wait))
  end
end
for kind, v in pairs(cfg) do put('cfg:' .. kind, v) end
for b, v in pairs(tat) do
  put(b .. ':tat', v)
  put(b .. ':seq', seq[b])
  put(b .. ':last', last[b])
end
redis.call('EXPIRE', h, tonumber(ARGV[8]))
return out
