"""The waiting room's Lua scripts: every change to a line is one atomic script, safe with any number of processes.

All scripts take the same KEYS (queue_keys.script_keys) and publish the line's status on its changes channel in
the same step as the change, so subscribers see statuses in the order the changes happened.
"""

from __future__ import annotations

from backend.infra.leases import FENCE_GUARD
from backend.infra.lua import LuaScript

RATE_WINDOW_MS = 60_000
VALVE_BURST_S = 5  # the outflow valve keeps at most this many seconds' worth of admissions unspent

# status(now) -> JSON {serving, waiting, rate_per_s, open, paused}. `paused`: the organizer paused or closed the sale
# (the line's config), so nobody is let in. The rate is the admissions of the last minute over
# the time they span (at least 10 s, so the first burst does not read as a flood; at most the minute).
_STATUS = """
local function status(now)
  local serving = tonumber(redis.call('GET', KEYS[1]) or '0')
  local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
  local open = redis.call('EXISTS', KEYS[4]) == 1
  local waiting = issued - serving
  if not open then waiting = waiting + redis.call('LLEN', KEYS[3]) end
  local rate = 0
  local recent = redis.call('ZCOUNT', KEYS[5], now - __RATE_WINDOW_MS__, '+inf')
  if recent > 0 then
    local first = tonumber(redis.call('GET', KEYS[6]) or now)
    local span = math.min(__RATE_WINDOW_MS__, math.max(10000, now - first)) / 1000
    rate = math.floor(recent / span * 100 + 0.5) / 100
  end
  local paused = redis.call('HGET', KEYS[12], 'paused') == '1'
  return cjson.encode({serving = serving, waiting = waiting, rate_per_s = rate, open = open, paused = paused})
end
""".replace("__RATE_WINDOW_MS__", str(RATE_WINDOW_MS))

# ARGV: profile, new queue_id, now, sale_opens_at (ms), capacity, admission ttl (ms), a fresh draw seed (hex),
# admissions per minute (0: no limit but capacity), paused ('1' while the sale is paused or closed); the first
# joiner's capacity, ttl, outflow and pause become the line's config, and its seed the draw's (committed to from then on). Returns {number, queue_id, created}; number 0 = waiting for the draw,
# -1 = the sale has opened (or a draw has started) but the draw is not done (the caller draws, then joins again).
# An entry whose number was served and whose admission is over (released everything, paid, let it expire) is a
# finished turn: joining again is joining anew, with a new number at the back of the line (never ahead of anyone
# waiting) in place of the old entry, so a profile still has one entry.
JOIN = (
    _STATUS
    + """
local now = tonumber(ARGV[3])
local number = redis.call('HGET', KEYS[8], ARGV[1])
if number then
  number = tonumber(number)
  local admitted_until = tonumber(redis.call('ZSCORE', KEYS[11], ARGV[1]) or '0')
  if number == 0 or number > tonumber(redis.call('GET', KEYS[1]) or '0') or admitted_until > now then
    return {number, redis.call('HGET', KEYS[10], ARGV[1]), 0}
  end
  redis.call('HDEL', KEYS[9], number)
end
redis.call('HSETNX', KEYS[12], 'capacity', ARGV[5])
redis.call('HSETNX', KEYS[12], 'admission_ttl_ms', ARGV[6])
redis.call('HSETNX', KEYS[12], 'admissions_per_minute', ARGV[8] or '0')
redis.call('HSETNX', KEYS[12], 'paused', ARGV[9] or '0')
redis.call('SET', KEYS[17], ARGV[7], 'NX')
if redis.call('EXISTS', KEYS[4]) == 0 then
  if now >= tonumber(ARGV[4]) or redis.call('EXISTS', KEYS[13]) == 1 then return {-1, '', 0} end
  redis.call('RPUSH', KEYS[3], ARGV[1])
  number = 0
else
  number = redis.call('INCR', KEYS[2])
  redis.call('HSET', KEYS[9], number, ARGV[1])
end
redis.call('HSET', KEYS[8], ARGV[1], number)
redis.call('HSET', KEYS[10], ARGV[1], ARGV[2])
redis.call('SPUBLISH', KEYS[7], status(now))
return {number, ARGV[2], 1}
"""
)

# The draw, in three steps so that no step keeps Redis busy for long even with 100,000 early arrivals:
# SEAL closes the early list and hands it out; the process holding the draw lock keeps the verified profiles in it
# (one database query per chunk of the list, none per join), orders them (realtime/draw.py, from the committed seed),
# puts the others after them in the order they joined, and writes the numbers and the frozen entry list (drawn
# entries only) into its own drawing:<token>:* keys in chunks; FINISH_DRAW swaps them in, publishes the draw and
# opens the line, if that process still holds the lock.
# A draw that dies half-way is done again from SEAL by the next process, from the same seed: the same order.

# No ARGV. Returns the early arrivals (list order), or false when the line is already open.
SEAL = """
if redis.call('EXISTS', KEYS[4]) == 1 then return false end
redis.call('SET', KEYS[13], 1)
return redis.call('LRANGE', KEYS[3], 0, -1)
"""

# ARGV: now, draw token, entries_hash, D = how many entries were drawn. Of the E early arrivals, numbers 1..D now
# belong to the verified ones as drawn and D+1..E to the others in the order they joined; later joiners continue from
# E+1. The draw record (closed_at, entries_hash, entries_count = D, placed_after_count = E - D) and the list of the
# drawn entries are published with it. Returns 1 when the line opened, 0 when it was open already, -1 when this draw
# lost its lock or is incomplete.
FINISH_DRAW = (
    _STATUS
    + """
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
local count = redis.call('LLEN', KEYS[3])
local drawn = tonumber(ARGV[4])
if redis.call('GET', KEYS[16]) ~= ARGV[2] or redis.call('EXISTS', KEYS[13]) == 0 or drawn > count
    or redis.call('HLEN', KEYS[14]) ~= count or redis.call('HLEN', KEYS[15]) ~= count
    or (drawn > 0 and redis.call('EXISTS', KEYS[20]) == 0) then
  return -1
end
if count > 0 then
  redis.call('UNLINK', KEYS[8])  -- early arrivals at 0, nobody else: the drawn hash replaces it whole
  redis.call('RENAME', KEYS[14], KEYS[8])
  redis.call('RENAME', KEYS[15], KEYS[9])
  redis.call('PERSIST', KEYS[8])  -- the drawing hashes expire (a dead draw cleans up after itself); these must not
  redis.call('PERSIST', KEYS[9])
end
if drawn > 0 then
  redis.call('RENAME', KEYS[20], KEYS[19])
  redis.call('PERSIST', KEYS[19])
end
redis.call('HSET', KEYS[18], 'closed_at', ARGV[1], 'entries_hash', ARGV[3], 'entries_count', drawn,
  'placed_after_count', count - drawn)
redis.call('SET', KEYS[2], count)
redis.call('SET', KEYS[4], count)
redis.call('DEL', KEYS[3], KEYS[13])
redis.call('SPUBLISH', KEYS[7], status(tonumber(ARGV[1])))
return 1
"""
)

# ARGV: now, active-shopper capacity, admission ttl (ms), used only where the line has no config. Lets in as many
# as there are free places (live grants in admission.py's `admitted` set, expired ones dropped first)
# and grants each admission there (ZADD GT: a grant never shortens), in the same atomic step that moves `serving`.
# This is the only place grants are made. ARGV[4]: the advancing job's lease token (KEYS[21]), '' for a request's own
# step. ARGV[5]: admissions per minute where the line has no config.
# The outflow valve: with admissions_per_minute R > 0 in the line's config, no more are let in than a token bucket
# allows (KEYS[22]: tokens, at): R / 60,000 tokens per ms, at most VALVE_BURST_S seconds' worth kept, one token per
# admission; so over any minute at most R (plus one burst) are let in, however much capacity is free. R = 0: capacity
# alone, as before the valve.
# Returns how many were let in, or -1 when the token is stale (the lease has passed to another process).
ADVANCE = (
    _STATUS
    + FENCE_GUARD
    + """
if fenced(KEYS[21], ARGV[4]) then return -1 end
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
if redis.call('HGET', KEYS[12], 'paused') == '1' then return 0 end  -- the organizer paused or closed the sale
local now = tonumber(ARGV[1])
local config = redis.call('HMGET', KEYS[12], 'capacity', 'admission_ttl_ms', 'admissions_per_minute')
redis.call('ZREMRANGEBYSCORE', KEYS[11], '-inf', now)
local free = tonumber(config[1] or ARGV[2]) - redis.call('ZCARD', KEYS[11])
local serving = tonumber(redis.call('GET', KEYS[1]) or '0')
local issued = tonumber(redis.call('GET', KEYS[2]) or '0')
local n = math.min(free, issued - serving)
local per_minute = tonumber(config[3] or ARGV[5] or '0') or 0
if per_minute > 0 then
  local burst = math.max(1, per_minute * __VALVE_BURST_S__ / 60)
  local valve = redis.call('HMGET', KEYS[22], 'tokens', 'at')
  local tokens, at = burst, now
  if valve[1] then
    at = math.max(now, tonumber(valve[2]))  -- a process whose clock lags adds nothing, and takes nothing back
    tokens = math.min(burst, tonumber(valve[1]) + (at - tonumber(valve[2])) * per_minute / 60000)
  end
  n = math.min(n, math.floor(tokens))
  if n > 0 then tokens = tokens - n end
  redis.call('HSET', KEYS[22], 'tokens', string.format('%.6f', tokens), 'at', string.format('%d', at))
end
if n <= 0 then return 0 end
local admitted_until = now + tonumber(config[2] or ARGV[3])
for number = serving + 1, serving + n do
  local profile = redis.call('HGET', KEYS[9], number)
  if profile then redis.call('ZADD', KEYS[11], 'GT', admitted_until, profile) end
  redis.call('ZADD', KEYS[5], now, number)
end
redis.call('SET', KEYS[1], serving + n)
redis.call('SET', KEYS[6], now, 'NX')
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - __RATE_WINDOW_MS__)
redis.call('SPUBLISH', KEYS[7], status(now))
return n
""".replace("__RATE_WINDOW_MS__", str(RATE_WINDOW_MS)).replace("__VALVE_BURST_S__", str(VALVE_BURST_S))
)

# ARGV: now, profile. Returns {number or -2 when not in the line, queue_id, status JSON}.
ENTRY = (
    _STATUS
    + """
local number = redis.call('HGET', KEYS[8], ARGV[2])
return {tonumber(number or '-2'), redis.call('HGET', KEYS[10], ARGV[2]) or '', status(tonumber(ARGV[1]))}
"""
)

# No ARGV. The draw as it may be shown: {commitment source (the seed, hex, or false), draw record (flat pairs)}; the
# caller reveals the seed only with a record, i.e. after the draw.
DRAW_STATE = """
return {redis.call('GET', KEYS[17]) or false, redis.call('HGETALL', KEYS[18])}
"""

# ARGV: now. Returns the status JSON (heartbeats, first message of a new socket).
STATUS = (
    _STATUS
    + """
return status(tonumber(ARGV[1]))
"""
)

# ARGV: now, then field, value pairs of the line's config (capacity, admissions_per_minute, paused): set for every
# process at once, and the status published in the same step, so a pause reaches every waiting fan's screen.
CONFIGURE = (
    _STATUS
    + """
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[12], ARGV[i], ARGV[i + 1]) end
redis.call('SPUBLISH', KEYS[7], status(tonumber(ARGV[1])))
return 1
"""
)

# KEYS[1] the draw lock, ARGV[1] the caller's token: release only a lock we still own.
RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

join = LuaScript(JOIN)
seal = LuaScript(SEAL)
finish_draw = LuaScript(FINISH_DRAW)
advance = LuaScript(ADVANCE)
entry = LuaScript(ENTRY)
status = LuaScript(STATUS)
configure = LuaScript(CONFIGURE)
release_lock = LuaScript(RELEASE_LOCK)
draw_state = LuaScript(DRAW_STATE)
