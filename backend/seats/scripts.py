"""The Lua scripts that change seat holds. Each runs atomically in Redis, so one request is all-or-nothing and
no two requests can interleave between "is this seat free?" and "lock it".

Key layout (see _keys.py): every key a script touches carries the show's hash tag `{show:<id>}`, so all of them
hash to one Redis Cluster slot. Keys known before the call (state, version, expiries, the channel, the
caller's holder and hold keys, the seat locks of the request) are passed in KEYS. Keys a script only discovers
while it runs (the hold named by a holder key, the holds due in the expiries set, the other seats of a hold)
are built inside the script from the show's prefix `{show:<id>}:` passed as ARGV[1]; they are in the same slot
as the declared keys, so Redis Cluster runs the script on the node that owns the show and lets it touch them.

Conventions shared by every script:
- Time is Redis's clock (TIME): one clock for every app process.
- The version key is never created by these scripts: its absence means the state was lost (Redis flushed) and
  must be rebuilt from the database first (rebuild.ensure_built). Scripts that add held or sold seats
  answer `needs_init` then; scripts that only release publish nothing. INIT_STATE is that rebuild's one step.
- Each call that changes seats bumps the version once and publishes
  `{"v":<version>,"c":[["<seat_id>","<status>"],...]}` on the show's changes channel, with SPUBLISH: sharded
  pub/sub keeps the message on the shard that owns the show (realtime.channels subscribes with SSUBSCRIBE).
- A seat's lock is deleted only when it still names the hold being released, and its state only when it still
  holds that hold's id: a lock that expired a moment ago may already belong to someone else.
"""

from __future__ import annotations

from backend.infra.leases import FENCE_GUARD
from backend.infra.lua import LuaScript
from backend.seats._free_runs_lua import BUILD_INDEX, FREE_RUNS

_COMMON = FREE_RUNS + """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Bring the free-run index up to date with all changes of this call (every change of a seat's status passes
-- here), then bump the version once and publish them; nothing if there are none or state is gone.
-- `marked`: the caller has already set the changed seats in the index's rows (fr_set), and knows the state is built
-- (the index exists only on a built state: INIT_STATE drops it).
local function publish(prefix, version_key, channel, changes, marked)
  if marked then fr_commit(prefix) else fr_apply(prefix, changes) end
  if #changes == 0 or (not marked and redis.call('EXISTS', version_key) == 0) then return 0 end
  local version = redis.call('INCR', version_key)
  local parts = {}
  for i, change in ipairs(changes) do
    parts[i] = '[' .. cjson.encode(change[1]) .. ',"' .. change[2] .. '"]'
  end
  local message = '{"v":' .. string.format('%d', version) .. ',"c":[' .. table.concat(parts, ',') .. ']}'
  redis.call('SPUBLISH', channel, message)
  return version
end

-- Make the hold's seats available again where the hold still owns them.
local function release_seats(prefix, state_key, hold_id, seats, changes)
  for _, seat in ipairs(seats) do
    if redis.call('HGET', state_key, seat) == hold_id then
      redis.call('HDEL', state_key, seat)
      changes[#changes + 1] = {seat, 'available'}
    end
    local lock = prefix .. 'seat:' .. seat
    if redis.call('GET', lock) == hold_id then redis.call('DEL', lock) end
  end
end

-- CHECKOUT_GUARD: a hold that went to checkout carries `checkout` (MARK_CHECKOUT); its seats change only after the
-- caller has cleared the hold's open order with the payments lifecycle (cancelled it, or been refused) and says so.
-- Holds that never reached checkout, nearly all of them, change without that database look.
local function in_checkout(mark, cleared)
  return mark and cleared ~= '1'
end

-- Forget the hold itself: its record, its owner's pointer to it (if still this hold) and its expiry entry.
local function drop_hold(prefix, expiries_key, hold_id, profile)
  redis.call('DEL', prefix .. 'hold:' .. hold_id)
  if profile then
    local holder = prefix .. 'holder:' .. profile
    if redis.call('GET', holder) == hold_id then redis.call('DEL', holder) end
  end
  redis.call('ZREM', expiries_key, hold_id)
end
"""

# The steps PLACE_HOLD and PLACE_BEST share. KEYS: state, version, expiries, channel, holder, new hold key, the
# closing mark (a key of the show's whose presence closes its sale to new holds: booking passes the cancellation
# mark, so a cancellation refuses holds in the same step that would lock the seats), ...
# ARGV: prefix, new hold id, profile id, ttl ms, max seats per order, currency, checkout cleared ('1' | '0'), ...
# Replies: {'ok', hold_id, seats_json, expires_at_ms, amount_cents, first} | {'taken', seat...} | {'too_many', total}
# | {'in_checkout', hold_id} | {'closed'}; `first` is 1 when this hold is the show's only live one (its expiries set
# was empty), which is when the show must be registered for the sweeper (writes.lock_seats). `in_checkout`: the live
# hold the seats would join went to checkout, and the caller has not cleared its order yet (see CHECKOUT_GUARD).
_PLACE = _COMMON + """
if redis.call('EXISTS', KEYS[7]) == 1 then return {'closed'} end
local prefix, new_id, profile = ARGV[1], ARGV[2], ARGV[3]
local ttl, max_seats, currency = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
local now = now_ms()

-- One hold per profile and show: new seats join the live one and keep its expiry. Returns the hold (a new, empty
-- one when the profile has none live), or nil and the hold id when that hold went to checkout (CHECKOUT_GUARD).
local function open_hold()
  local hold_id = redis.call('GET', KEYS[5])
  if hold_id then
    local hold_key = prefix .. 'hold:' .. hold_id
    local record = redis.call('HMGET', hold_key, 'seats', 'expires_at_ms', 'amount_cents', 'checkout')
    if record[1] and tonumber(record[2]) > now then
      if in_checkout(record[4], ARGV[7]) then return nil, hold_id end
      return {id = hold_id, key = hold_key, expires_at = tonumber(record[2]), seats = cjson.decode(record[1]),
              amount = tonumber(record[3])}
    end
    -- expired: the sweeper releases it; this request starts a new hold
  end
  return {id = new_id, key = KEYS[6], expires_at = now + ttl, seats = {}, amount = 0}
end

-- Seats just locked for the hold ({seat id, price} each) join it: the state hash, the hold's record, its owner's
-- pointer and its expiry entry; then the change is published. `marked` as for publish.
local function add_to_hold(hold, fresh, marked)
  local state, changes, amount = {}, {}, hold.amount
  for _, entry in ipairs(fresh) do
    state[#state + 1] = entry[1]
    state[#state + 1] = hold.id
    hold.seats[#hold.seats + 1] = entry[1]
    amount = amount + entry[2]
    changes[#changes + 1] = {entry[1], 'held'}
  end
  redis.call('HSET', KEYS[1], unpack(state))
  local seats_json = cjson.encode(hold.seats)
  redis.call('HSET', hold.key, 'profile', profile, 'seats', seats_json, 'expires_at_ms',
    string.format('%d', hold.expires_at), 'amount_cents', amount, 'currency', currency)
  local first = 0
  if hold.id == new_id then
    redis.call('SET', KEYS[5], hold.id)
    if redis.call('ZCARD', KEYS[3]) == 0 then first = 1 end
    redis.call('ZADD', KEYS[3], hold.expires_at, hold.id)
  end
  publish(prefix, KEYS[2], KEYS[4], changes, marked)
  return {'ok', hold.id, seats_json, hold.expires_at, amount, first}
end

-- Lock the named seats ({seat id, price, lock key} each) into the hold, all or none.
local function lock_into(hold, wanted)
  local mine = {}
  for _, seat in ipairs(hold.seats) do mine[seat] = true end
  local fresh, taken = {}, {'taken'}
  for _, entry in ipairs(wanted) do
    local seat = entry[1]
    if not mine[seat] then
      -- A state value naming another hold whose lock has expired is free: that hold is merely not swept yet.
      if redis.call('HGET', KEYS[1], seat) == 'sold' or redis.call('EXISTS', entry[3]) == 1 then
        taken[#taken + 1] = seat
      else
        fresh[#fresh + 1] = entry
      end
    end
  end
  if #taken > 1 then return taken end
  if #hold.seats + #fresh > max_seats then return {'too_many', #hold.seats + #fresh} end
  if #fresh == 0 then return {'ok', hold.id, cjson.encode(hold.seats), hold.expires_at, hold.amount, 0} end
  for _, entry in ipairs(fresh) do redis.call('SET', entry[3], hold.id, 'NX', 'PX', hold.expires_at - now) end
  return add_to_hold(hold, fresh, false)
end
"""

# KEYS: state, version, expiries, channel, holder, new hold key, closing mark, then one seat lock per requested seat.
# ARGV: prefix, new hold id, profile id, ttl ms, max seats per order, currency, checkout cleared ('1' | '0'), then
#       seat id, price per seat.
# -> as _PLACE says, or {'needs_init'}.
PLACE_HOLD = _PLACE + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {'needs_init'} end
local hold, checkout_hold = open_hold()
if not hold then return {'in_checkout', checkout_hold} end
local PAIRS = 7  -- seat id, price pairs start after ARGV[PAIRS]
local wanted = {}
for i = 1, (#ARGV - PAIRS) / 2 do
  wanted[i] = {ARGV[PAIRS - 1 + 2 * i], tonumber(ARGV[PAIRS + 2 * i]), KEYS[7 + i]}
end
return lock_into(hold, wanted)
"""

# Best available, chosen and locked in one step: the best `count` seats by the free-run index (free_runs.py).
# KEYS: state, version, expiries, channel, holder, new hold key, closing mark, fr:meta.
# ARGV: as PLACE_HOLD's first seven, then count, section id ('' for any), accessible ('1' | '0'), and the price of a
#       seat of each section as one string: ',<section id>:<price>,...,' (writes._price_list).
# -> as _PLACE says, or {'no_block'} when no `count` seats satisfy the request, or {'needs_index'} when the show has
#    no index for blocks of max_seats (free_runs.build_index builds it; it answers whether the state is built).
PLACE_BEST = _PLACE + """
if not fr_ready(prefix) or FR.K < max_seats then return {'needs_index'} end
local hold, checkout_hold = open_hold()
if not hold then return {'in_checkout', checkout_hold} end
local count, section, accessible = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10] == '1'
local row, at = fr_pick(prefix, count, section, accessible)
if not row then return {'no_block'} end
if #hold.seats + count > max_seats then return {'too_many', #hold.seats + count} end
local price = tonumber(string.match(ARGV[11], ',' .. row.layout.section .. ':(%d+),')) or 0
-- Free in the index means in no hold and unsold, so no seat here has a lock (a lock is only ever set with its hold
-- in the state hash). SET NX checks it all the same; should one fail, the locks set before it are undone.
local fresh, locks = {}, {}
for i, c in ipairs(at) do
  local seat = fr_seat_id(row.layout, c)
  locks[i] = prefix .. 'seat:' .. seat
  if not redis.call('SET', locks[i], hold.id, 'NX', 'PX', hold.expires_at - now) then
    for j = 1, i - 1 do redis.call('DEL', locks[j]) end
    return {'taken', seat}
  end
  fresh[i] = {seat, price}
  fr_set(row, c, true)
end
return add_to_hold(hold, fresh, true)
"""

# KEYS: state, version, expiries, channel, hold key, seat lock.
# ARGV: prefix, hold id, profile id, seat id, price, checkout cleared ('1' | '0').
# -> {'ok', hold_id, seats_json, expires_at_ms, amount_cents} | {'released'} | {'no_hold'} | {'no_seat'}
#    | {'in_checkout'}
RELEASE_SEAT = _COMMON + """
local prefix, hold_id, profile, seat = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local record = redis.call('HMGET', KEYS[5], 'profile', 'seats', 'expires_at_ms', 'amount_cents', 'checkout')
if record[1] ~= profile or tonumber(record[3]) <= now_ms() then return {'no_hold'} end
if in_checkout(record[5], ARGV[6]) then return {'in_checkout'} end
local kept, found = {}, false
for _, s in ipairs(cjson.decode(record[2])) do
  if s == seat then found = true else kept[#kept + 1] = s end
end
if not found then return {'no_seat'} end
local changes = {}
release_seats(prefix, KEYS[1], hold_id, {seat}, changes)
if #kept == 0 then
  drop_hold(prefix, KEYS[3], hold_id, profile)
  publish(prefix, KEYS[2], KEYS[4], changes)
  return {'released'}
end
local amount = tonumber(record[4]) - tonumber(ARGV[5])
local seats_json = cjson.encode(kept)
redis.call('HSET', KEYS[5], 'seats', seats_json, 'amount_cents', amount)
publish(prefix, KEYS[2], KEYS[4], changes)
return {'ok', hold_id, seats_json, tonumber(record[3]), amount}
"""

# KEYS: state, version, expiries, channel, hold key, and optionally a sorted set of the show's to take the profile
# out of once its hold is released (the waiting room's admitted set: a fan done shopping frees a place).
# ARGV: prefix, hold id, profile id, checkout cleared ('1' | '0').
# -> {'released'} | {'no_hold'} | {'in_checkout'}.  An expired hold not swept yet is released here too: its owner
#    asked.
RELEASE_HOLD = _COMMON + """
local prefix, hold_id, profile = ARGV[1], ARGV[2], ARGV[3]
local record = redis.call('HMGET', KEYS[5], 'profile', 'seats', 'checkout')
if record[1] ~= profile then return {'no_hold'} end
if in_checkout(record[3], ARGV[4]) then return {'in_checkout'} end
local changes = {}
release_seats(prefix, KEYS[1], hold_id, cjson.decode(record[2]), changes)
drop_hold(prefix, KEYS[3], hold_id, profile)
publish(prefix, KEYS[2], KEYS[4], changes)
if KEYS[6] then redis.call('ZREM', KEYS[6], profile) end
return {'released'}
"""

# KEYS: state, version, expiries, channel, the sweeper's lease.  ARGV: prefix, most holds per call, lease token
# ('' outside the lease).  -> {holds released, holds still waiting to expire} | {-1, 0} when the token is stale.
SWEEP_EXPIRED = _COMMON + FENCE_GUARD + """
if fenced(KEYS[5], ARGV[3]) then return {-1, 0} end
local prefix = ARGV[1]
local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_ms(), 'LIMIT', 0, tonumber(ARGV[2]))
local changes = {}
for _, hold_id in ipairs(due) do
  local record = redis.call('HMGET', prefix .. 'hold:' .. hold_id, 'profile', 'seats')
  if record[2] then release_seats(prefix, KEYS[1], hold_id, cjson.decode(record[2]), changes) end
  drop_hold(prefix, KEYS[3], hold_id, record[1])
end
publish(prefix, KEYS[2], KEYS[4], changes)
return {#due, redis.call('ZCARD', KEYS[3])}
"""

# KEYS: state, version, expiries, channel, hold key (any name when there is no hold), sold-by.
# ARGV: prefix, hold id or '', order id, then the sold seat ids.
# -> number of seats whose status changed | {'needs_init'}
MARK_SOLD = _COMMON + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {'needs_init'} end
local prefix, hold_id, order_id = ARGV[1], ARGV[2], ARGV[3]
local changes, sold = {}, {}
for i = 4, #ARGV do
  local seat = ARGV[i]
  sold[seat] = true
  local was = redis.call('HGET', KEYS[1], seat)
  if was ~= 'sold' then
    redis.call('HSET', KEYS[1], seat, 'sold')
    changes[#changes + 1] = {seat, 'sold', was ~= false}  -- held before: taken already for the index
  end
  redis.call('HSET', KEYS[6], seat, order_id)
  redis.call('DEL', prefix .. 'seat:' .. seat)
end
if hold_id ~= '' then
  -- The hold is done: seats it held beyond those sold (added while paying) become available again.
  local record = redis.call('HMGET', KEYS[5], 'profile', 'seats')
  if record[2] then
    local rest = {}
    for _, seat in ipairs(cjson.decode(record[2])) do
      if not sold[seat] then rest[#rest + 1] = seat end
    end
    release_seats(prefix, KEYS[1], hold_id, rest, changes)
  end
  drop_hold(prefix, KEYS[3], hold_id, record[1])
end
publish(prefix, KEYS[2], KEYS[4], changes)
return #changes
"""


# KEYS: state, version, expiries, channel, sold-by.  ARGV: prefix, the refunded order's id, then its refunded seat ids.
# -> number of seats made available | {'needs_init'}
# A refund gave the seats back: the seats that order bought become available. A seat not sold changes nothing, nor
# does one sold since to another order (a refund repeated or retried late, after the seat was sold again), so a
# repeat is harmless. A sold seat with no buyer on record (a state built before buyers were recorded) is released.
RELEASE_SOLD = _COMMON + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {'needs_init'} end
local changes = {}
for i = 3, #ARGV do
  local seat = ARGV[i]
  if redis.call('HGET', KEYS[1], seat) == 'sold' then
    local buyer = redis.call('HGET', KEYS[5], seat)
    if not buyer or buyer == ARGV[2] then
      redis.call('HDEL', KEYS[1], seat)
      redis.call('HDEL', KEYS[5], seat)
      changes[#changes + 1] = {seat, 'available'}
    end
  end
end
publish(ARGV[1], KEYS[2], KEYS[4], changes)
return #changes
"""


# KEYS: state, version, expiries, channel, hold key.  ARGV: prefix, hold id, profile id, grace ms.
# -> {'ok', expires_at_ms, 1 if extended now else 0} | {'no_hold'}
# The fan is paying: the hold (its record, its seat locks, its expiry entry) lives `grace` longer, once per hold.
EXTEND_HOLD = _COMMON + """
local prefix, hold_id, profile, grace = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local record = redis.call('HMGET', KEYS[5], 'profile', 'seats', 'expires_at_ms', 'graced')
if record[1] ~= profile or tonumber(record[3]) <= now_ms() then return {'no_hold'} end
if record[4] then return {'ok', tonumber(record[3]), 0} end
local expires_at = tonumber(record[3]) + grace
for _, seat in ipairs(cjson.decode(record[2])) do
  local lock = prefix .. 'seat:' .. seat
  if redis.call('GET', lock) == hold_id then redis.call('PEXPIREAT', lock, expires_at) end
end
redis.call('HSET', KEYS[5], 'expires_at_ms', string.format('%d', expires_at), 'graced', 1)
redis.call('ZADD', KEYS[3], expires_at, hold_id)
return {'ok', expires_at, 1}
"""

# KEYS: state, version, expiries, channel, hold key.
# ARGV: prefix, hold id, profile id, claim ms, amount cents, currency, then the order's seat ids.
# -> {'claimed'} | {'taken', seat...} | {'needs_init'}
# A payment arrived: the order's seats are this hold's for `claim` ms more, all or none, whether the hold is live or
# ended. A seat is claimable when it is not sold and its lock is absent or this hold's. An ended hold is written
# again, so if the sale is not committed the sweeper releases the seats as for any hold.
CLAIM_SEATS = _COMMON + """
if redis.call('EXISTS', KEYS[2]) == 0 then return {'needs_init'} end
local prefix, hold_id, profile, claim = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local taken = {'taken'}
for i = 7, #ARGV do
  local lock = redis.call('GET', prefix .. 'seat:' .. ARGV[i])
  if redis.call('HGET', KEYS[1], ARGV[i]) == 'sold' or (lock and lock ~= hold_id) then taken[#taken + 1] = ARGV[i] end
end
if #taken > 1 then return taken end
local now = now_ms()
local record = redis.call('HMGET', KEYS[5], 'expires_at_ms', 'seats')
local until_ms = now + claim
if record[1] and tonumber(record[1]) > until_ms then until_ms = tonumber(record[1]) end
local seats, changes = {}, {}
for i = 7, #ARGV do
  local seat = ARGV[i]
  seats[#seats + 1] = seat
  redis.call('SET', prefix .. 'seat:' .. seat, hold_id, 'PX', until_ms - now)
  local was = redis.call('HGET', KEYS[1], seat)
  if was ~= hold_id then
    redis.call('HSET', KEYS[1], seat, hold_id)
    changes[#changes + 1] = {seat, 'held', was ~= false}  -- another hold's before: taken already for the index
  end
end
if not record[2] then
  redis.call('HSET', KEYS[5], 'profile', profile, 'seats', cjson.encode(seats), 'amount_cents', ARGV[5],
    'currency', ARGV[6])
end
redis.call('HSET', KEYS[5], 'expires_at_ms', string.format('%d', until_ms))
redis.call('ZADD', KEYS[3], until_ms, hold_id)
publish(prefix, KEYS[2], KEYS[4], changes)
return {'claimed'}
"""

# KEYS: hold key.  ARGV: profile id.  -> 1 when the profile's live hold is now marked as in checkout, else 0.
# Checkout marks the hold before it writes the order, so a change that starts after the order can exist asks the
# payments lifecycle first (CHECKOUT_GUARD).
MARK_CHECKOUT = _COMMON + """
local record = redis.call('HMGET', KEYS[1], 'profile', 'expires_at_ms')
if record[1] ~= ARGV[1] or tonumber(record[2]) <= now_ms() then return 0 end
redis.call('HSET', KEYS[1], 'checkout', 1)
return 1
"""

# KEYS: hold key.  -> {now_ms, {field, value, ...}}: the hold and Redis's clock in one step, on the hold's shard
# (a MULTI with TIME cannot be routed on a cluster: TIME names no key).
READ_HOLD = _COMMON + """
return {now_ms(), redis.call('HGETALL', KEYS[1])}
"""


place_hold = LuaScript(PLACE_HOLD)
place_best = LuaScript(PLACE_BEST)
build_index = LuaScript(BUILD_INDEX)
release_seat = LuaScript(RELEASE_SEAT)
release_hold = LuaScript(RELEASE_HOLD)
sweep_expired = LuaScript(SWEEP_EXPIRED)
mark_sold = LuaScript(MARK_SOLD)
release_sold = LuaScript(RELEASE_SOLD)
extend_hold = LuaScript(EXTEND_HOLD)
claim_seats = LuaScript(CLAIM_SEATS)
mark_checkout = LuaScript(MARK_CHECKOUT)
read_hold = LuaScript(READ_HOLD)


# KEYS: version, state, channel, fr:meta, sold-by.  ARGV: initial version, then (seat id, order id) for each seat
# the database says is sold.
# -> 1 when this call built the state (and announced it with one reset), 0 when it was already there.
# The free-run index is dropped with the old state (its meta is what says it exists): the next best-available
# request builds it from the state built here (free_runs.build_index).
INIT_STATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[4], KEYS[5])
-- A thousand fields per HSET: a stadium's 52,800 sold seats in ~100 calls rather than ~105,600 (the shard is busy
-- with nothing else meanwhile).
local states, buyers = {}, {}
for i = 2, #ARGV, 2 do
  states[#states + 1] = ARGV[i]
  states[#states + 1] = 'sold'
  buyers[#buyers + 1] = ARGV[i]
  buyers[#buyers + 1] = ARGV[i + 1]
  if #states >= 1000 or i + 2 > #ARGV then
    redis.call('HSET', KEYS[2], unpack(states))
    redis.call('HSET', KEYS[5], unpack(buyers))
    states, buyers = {}, {}
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SPUBLISH', KEYS[3], '{"v":' .. ARGV[1] .. ',"reset":true}')
return 1
"""
init_state = LuaScript(INIT_STATE)
