"""The Redis store's scripts: each change to a session's record is one atomic script (no lost update
between processes). Keys, under the store's prefix P:

    P s:<key>      hash: player, client, owner, state (waiting|attached|detached), seq, snap
    P c:<client>   sorted set: the client's session keys by issue order (``seq``)
    P x:<key>      a tombstone: the token expired (a late reconnect hears "expired")
    P r:<client>   hash: the client's new-session bucket (tokens, stamp)
    P seq          the issue counter

Scripts build the keys of *other* records from the prefix, so they need one Redis (or a primary with
replicas, Sentinel): Redis Cluster is not supported.
"""

from __future__ import annotations

# KEYS: client set, counter, new session. ARGV: prefix, key, player, client, owner, cap, ttl ms, tombstone ms.
# Returns {1} admitted, {1, evicted key, its owner} admitted after the oldest waiting token gave way,
# {0} refused (the client holds ``cap`` sessions, each with a socket).
ADMIT = """
local prefix, zkey, cap, ttl = ARGV[1], KEYS[1], tonumber(ARGV[6]), tonumber(ARGV[7])
local held, oldest = 0, nil
for _, m in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do
  local state = redis.call('HGET', prefix .. 's:' .. m, 'state')
  if not state then
    redis.call('ZREM', zkey, m)
  else
    held = held + 1
    if oldest == nil and state == 'waiting' then oldest = m end
  end
end
local out = {1}
if held >= cap then
  if oldest == nil then return {0} end
  local owner = redis.call('HGET', prefix .. 's:' .. oldest, 'owner') or ''
  redis.call('DEL', prefix .. 's:' .. oldest)
  redis.call('ZREM', zkey, oldest)
  redis.call('SET', prefix .. 'x:' .. oldest, '1', 'PX', ARGV[8])
  out = {1, oldest, owner}
end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], 'player', ARGV[3], 'client', ARGV[4], 'owner', ARGV[5], 'state', 'waiting', 'seq', seq)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('ZADD', zkey, seq, ARGV[2])
local left = redis.call('PTTL', zkey)
if left == -1 or left < ttl then redis.call('PEXPIRE', zkey, ttl) end
return out
"""

# KEYS: session. ARGV: prefix, me, lease ms. Returns nil (unknown) or {player, client, owner before, snap}.
CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local v = redis.call('HMGET', KEYS[1], 'player', 'client', 'owner', 'snap')
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'state', 'attached')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local zkey = ARGV[1] .. 'c:' .. (v[2] or '')
local left = redis.call('PTTL', zkey)
if left == -1 or (left >= 0 and left < tonumber(ARGV[3])) then redis.call('PEXPIRE', zkey, ARGV[3]) end
return {v[1] or '', v[2] or '', v[3] or '', v[4]}
"""

# KEYS: session. ARGV: me, snapshot. Written only while this process owns the session.
SAVE = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'snap', ARGV[2])
return 1
"""

# KEYS: session. ARGV: me, snapshot, keep ms. The socket went away: saved, kept for a reconnect.
DETACH = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'snap', ARGV[2], 'state', 'detached')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: session, client set. ARGV: me, lease ms. A connected session this process owns stays alive.
REFRESH = """
local v = redis.call('HMGET', KEYS[1], 'owner', 'state')
if v[1] ~= ARGV[1] or v[2] ~= 'attached' then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local left = redis.call('PTTL', KEYS[2])
if left == -1 or (left >= 0 and left < tonumber(ARGV[2])) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS: session, tombstone. ARGV: prefix, me, key, tombstone ms (0: none). Not if another process owns it.
FORGET = """
local v = redis.call('HMGET', KEYS[1], 'owner', 'client')
if v[1] and v[1] ~= '' and v[1] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if v[2] then redis.call('ZREM', ARGV[1] .. 'c:' .. v[2], ARGV[3]) end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[4]) end
return 1
"""

# KEYS: bucket. ARGV: rate per second, burst. Returns "0" (a token was spent) or the seconds to wait.
# Redis's own clock, so every process agrees on it.
TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(b[1]) or burst
local stamp = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""
