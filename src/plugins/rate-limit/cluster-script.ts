/**
 * The one Lua script behind `scope: cluster`: for ALL limits of a route, in one round trip and
 * atomically (Redis runs a script to completion before any other command), it reads each key,
 * brings it up to now, decides, and charges every limit only when all of them have room — the
 * same two-phase rule as the local RouteLimiter, with no read-then-write race between gateways.
 *
 * Time comes from Redis (`TIME`), never from the gateways, so instances whose clocks disagree
 * still share one consistent bucket. (Redis 5+ replicates script effects, so TIME is allowed.)
 *
 * KEYS[i]: the key of limit i. ARGV: 4 numbers per limit: kind (1 token bucket, 2 sliding
 * window), limit, window (ms), burst. State per key is a small hash: token bucket `t` (tokens,
 * float) and `a` (ms of the last update); sliding window `s` (window start), `c` (current count),
 * `p` (previous count). Every written key gets a PEXPIRE: a token bucket until it would be full
 * again (a missing key is a full bucket), a sliding window two windows.
 *
 * Reply: { allowed (0|1), then per limit: available before the charge, ms until one more request
 * fits, ms until the allowance is whole again } — integers (ms rounded up), as Redis replies
 * truncate Lua numbers.
 */
export const CLUSTER_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local st = {}
local allowed = 1
for i = 1, n do
  local b = (i - 1) * 4
  local kind = tonumber(ARGV[b + 1])
  local limit = tonumber(ARGV[b + 2])
  local win = tonumber(ARGV[b + 3])
  local burst = tonumber(ARGV[b + 4])
  local s = { kind = kind, limit = limit, win = win }
  if kind == 1 then
    s.cap = limit + burst
    s.rate = limit / win
    local h = redis.call('HMGET', KEYS[i], 't', 'a')
    local tokens = tonumber(h[1])
    local at = tonumber(h[2])
    if tokens == nil or at == nil then tokens = s.cap; at = now end
    if now > at then tokens = math.min(s.cap, tokens + (now - at) * s.rate); at = now end
    s.tokens = tokens
    s.at = at
    s.avail = math.floor(tokens + 1e-9)
  else
    local start = math.floor(now / win) * win
    local h = redis.call('HMGET', KEYS[i], 's', 'c', 'p')
    local ws = tonumber(h[1])
    local cur = tonumber(h[2]) or 0
    local prev = tonumber(h[3]) or 0
    if ws == nil then
      ws = start; cur = 0; prev = 0
    elseif start > ws then
      if start - ws == win then prev = cur else prev = 0 end
      cur = 0
      ws = start
    end
    s.ws = ws
    s.cur = cur
    s.prev = prev
    s.elapsed = math.min(win, math.max(0, now - ws))
    s.avail = math.max(0, math.floor(limit - (prev * (win - s.elapsed) / win + cur) + 1e-9))
  end
  st[i] = s
  if s.avail < 1 then allowed = 0 end
end
local out = { allowed }
for i = 1, n do
  local s = st[i]
  local retry = 0
  local reset = 0
  if s.kind == 1 then
    if allowed == 1 then
      s.tokens = s.tokens - 1
      redis.call('HSET', KEYS[i], 't', tostring(s.tokens), 'a', tostring(s.at))
      redis.call('PEXPIRE', KEYS[i], math.ceil((s.cap - s.tokens) / s.rate) + 1000)
    end
    local missing = 1 - s.tokens
    if missing > 1e-9 then retry = missing / s.rate end
    local empty = s.cap - s.tokens
    if empty > 1e-9 then reset = empty / s.rate end
  else
    if allowed == 1 then
      s.cur = s.cur + 1
      redis.call('HSET', KEYS[i], 's', tostring(s.ws), 'c', tostring(s.cur), 'p', tostring(s.prev))
      redis.call('PEXPIRE', KEYS[i], 2 * s.win + 1000)
    end
    local W = s.win
    local est = s.prev * (W - s.elapsed) / W + s.cur
    if math.floor(s.limit - est + 1e-9) < 1 then
      local room = s.limit - 1 - s.cur
      if room >= 0 and s.prev > 0 then
        retry = math.max(0, W * (1 - room / s.prev) - s.elapsed)
      else
        local into = 0
        if s.cur > s.limit - 1 then into = W * (1 - (s.limit - 1) / s.cur) end
        retry = W - s.elapsed + math.max(0, into)
      end
    end
    reset = W - s.elapsed
  end
  out[#out + 1] = s.avail
  out[#out + 1] = math.ceil(retry)
  out[#out + 1] = math.ceil(reset)
end
return out
`;
