"""Lua of the free-run index (backend/seats/free_runs.py says what it is and how it stays right).

FREE_RUNS is part of every seat script (scripts._COMMON): the scripts that change a seat's status call `fr_apply`
(through `publish`) with their changes, and the best-available script picks with `fr_pick`. BUILD_INDEX builds the
index from the show's live state in one step.

Keys, under the show's prefix `{show:N}:` (one Redis Cluster slot with the seat state):
- fr:meta    HASH   K (largest block size indexed), R (rank bound), base, span (seat ids base..base+span-1 have a
                    place), acc (JSON list of the rows with accessible seats). Its absence: no index (yet).
- fr:places  STRING 4 bytes per seat id from `base`: row position and character position in the row (2 bytes each,
                    big-endian); row 0: no seat of the venue has that id.
- fr:rows    HASH   s<pos> -> the row's layout (free_runs.row_layout: section, ranks, seat ids, accessible flags,
                    and for each block size k the row's blocks of k seats best first); never
                    changes. d<pos> -> the row string: one character per seat in seat-number order, '.' free, 'x'
                    held or sold, '|' between seats whose numbers are not consecutive (an aisle).
- fr:blocks, fr:blocks:<section>  ZSET  member "<k>:<row position, 6 digits>" for each row and size k it has a free
                    block of, scored k * BIG + at most the row's score for k (below): the rows that can seat k, best
                    first (rows of equal score in layout order), for the show and for each section.

A block's score is (lone * LONE + rank sum) * R + best rank: lower is better, and a block that leaves a lone free
seat beside it loses to every block that does not (LONE = K * R exceeds any rank sum of K seats).

An entry's score is never above its row's score for k, and may be below it: the scripts keep entries exact where a
seat was freed, but a change that only takes seats (nearly every hold) leaves the entries it worsens as they are,
and writes only the entries it improves (a block whose lone neighbour was taken: fr_improved) and removes the sizes
the row can no longer seat. Choosing reads the first member of fr:blocks with a score in [k * BIG, (k + 1) * BIG)
and that row: if the row's score for k is the entry's, no other row can beat it (their scores are at least their
entries', which are at least this one's); if not, the entry is set right and the next first member read. Each
change that takes seats leaves at most one entry per size to set right this way, and the best-available hold sets
the entry of the size it took at once, so a sale of best-available holds finds its first entry right.

Finding a row's best block of k seats costs one string.find: the row's layout lists its blocks of k seats by start,
best first (by rank sum, best rank, start: rule 3), one byte per block (127 + start), and a character class made of
the starts that fit in the row's free runs without leaving a lone seat picks the first that fits, in C. Rows are at
most 127 characters long.
"""

FREE_RUNS = r"""
local FR = {rows = {}}

-- Whether the show has an index; loads its meta once per call.
local function fr_ready(prefix)
  if FR.ready == nil then
    local meta = redis.call('HMGET', prefix .. 'fr:meta', 'K', 'R', 'base', 'span')
    if meta[1] then
      local K, R = tonumber(meta[1]), tonumber(meta[2])
      FR.ready, FR.K, FR.R, FR.base, FR.span = true, K, R, tonumber(meta[3]), tonumber(meta[4])
      FR.LONE, FR.BIG = K * R, 2 * K * R * R
    else
      FR.ready = false
    end
  end
  return FR.ready
end

-- A row's layout (free_runs.row_layout): its section and length, and where its parts start in the blob; orders[k]
-- is where the list of its blocks of k seats starts.
local function fr_decode(blob)
  local section, length, sizes, at = struct.unpack('>I4I2B', blob)
  local orders, o = {}, at + 9 * length
  for k = 1, sizes do
    orders[k] = o
    o = o + 1 + string.byte(blob, o)
  end
  return {section = section, length = length, blob = blob, ranks = at, ids = at + 4 * length,
          flags = at + 8 * length, orders = orders}
end

-- '>I4I4...': the struct format of k ranks.
local RANKS = {}
local function fr_ranks_format(k)
  local format = RANKS[k]
  if not format then
    format = '>' .. string.rep('I4', k)
    RANKS[k] = format
  end
  return format
end

-- The row's ranks of its seats a..a+n-1, as a table (1..n; struct.unpack's next position dropped).
local function fr_rank_list(layout, a, n)
  local ranks = {struct.unpack(fr_ranks_format(n), layout.blob, layout.ranks + 4 * (a - 1))}
  ranks[n + 1] = nil
  return ranks
end

-- A row of this call: its layout and string, read in one step, written back by fr_commit when changed.
local function fr_row(prefix, pos)
  local row = FR.rows[pos]
  if not row then
    local got = redis.call('HMGET', prefix .. 'fr:rows', 's' .. pos, 'd' .. pos)
    row = {pos = pos, layout = fr_decode(got[1]), bits = got[2], old = got[2], dirty = false, takes = {},
           freed = false}
    FR.rows[pos] = row
  end
  return row
end

local function fr_seat_id(layout, at)
  return string.format('%d', (struct.unpack('>I4', layout.blob, layout.ids + 4 * (at - 1))))
end

-- The row's blocks of k seats, best first: one byte per block, 127 + its start.
local function fr_order(layout, k)
  local at = layout.orders[k]
  return string.sub(layout.blob, at + 1, at + string.byte(layout.blob, at))
end

-- The free runs of a row string: s1, e1, s2, e2, ...; and the longest run's length.
local function fr_runs(bits)
  local runs, init, longest = {}, 1, 0
  while true do
    local s, e = string.find(bits, '%.+', init)
    if not s then return runs, longest end
    runs[#runs + 1] = s
    runs[#runs + 1] = e
    if e - s + 1 > longest then longest = e - s + 1 end
    init = e + 2
  end
end

local C = string.char

-- The starts a of blocks of k seats in the free runs that leave no lone seat (`lone` false) or that do (true), as a
-- Lua character class of bytes 127 + a; '' when there are none. In a run s..e (last start: l = e - k + 1) a block
-- leaves a lone seat when exactly one free seat is left on one side: at s + 1 and l - 1.
local function fr_class(runs, k, lone)
  local class = ''
  for i = 1, #runs, 2 do
    local s, l = runs[i], runs[i + 1] - k + 1
    local n = l - s
    if n >= 0 then
      if lone then
        if n >= 1 then class = class .. C(128 + s, 126 + l) end
      elseif n >= 4 then
        class = class .. C(127 + s, 127 + l, 129 + s) .. '-' .. C(125 + l)
      elseif n ~= 1 then
        class = class .. C(127 + s, 127 + l)
      end
    end
  end
  return class
end

-- A block's score from a table of the row's ranks (ranks[i]: character position i's): (lone * LONE + rank sum) * R
-- + best rank.
local function fr_score(ranks, start, k, lone)
  local sum, best = 0, ranks[start]
  for i = start, start + k - 1 do
    local r = ranks[i]
    sum = sum + r
    if r < best then best = r end
  end
  if lone then sum = sum + FR.LONE end
  return sum * FR.R + best
end

-- The same, reading the block's ranks from the row's layout.
local function fr_block_score(layout, start, k, lone)
  return fr_score(fr_rank_list(layout, start, k), 1, k, lone)
end

-- The row's best free block of k seats: its start and score; nil when none fits.
local function fr_best(layout, runs, k)
  local order = fr_order(layout, k)
  local lone = false
  local class = fr_class(runs, k, false)
  local found = class ~= '' and string.find(order, '[' .. class .. ']')
  if not found then
    lone = true
    class = fr_class(runs, k, true)
    found = class ~= '' and string.find(order, '[' .. class .. ']')
    if not found then return nil end
  end
  local start = string.byte(order, found) - 127
  return start, fr_block_score(layout, start, k, lone)
end

-- A seat of the row changed status: free (not in the state hash) or taken.
local function fr_set(row, at, taken)
  local ch = taken and 'x' or '.'
  if string.sub(row.bits, at, at) ~= ch then
    row.bits = string.sub(row.bits, 1, at - 1) .. ch .. string.sub(row.bits, at + 1)
    row.dirty = true
    if taken then row.takes[#row.takes + 1] = at else row.freed = true end
  end
end

-- As fr_set, for a seat named by its id (seats outside the venue are ignored).
local function fr_mark(prefix, seat, taken)
  local id = tonumber(seat)
  if not id then return end
  local off = id - FR.base
  if off < 0 or off >= FR.span then return end
  local pos, at = struct.unpack('>HH', redis.call('GETRANGE', prefix .. 'fr:places', off * 4, off * 4 + 3))
  if pos > 0 then fr_set(fr_row(prefix, pos), at, taken) end
end

local function fr_member(k, pos)
  return string.format('%d:%06d', k, pos)
end

-- The row's exact entry for blocks of k seats, given its free runs: score, member (appended to `adds`) when it has
-- such a block, else the member (to `removes`). Returns the best block's start and the entry's score, if any.
local function fr_entry(row, k, runs, longest, adds, removes)
  local start, score
  if k <= longest then start, score = fr_best(row.layout, runs, k) end
  if not start then
    removes[#removes + 1] = fr_member(k, row.pos)
    return nil
  end
  adds[#adds + 1] = k * FR.BIG + score
  adds[#adds + 1] = fr_member(k, row.pos)
  return start, k * FR.BIG + score
end

-- The row's exact entries, for every size.
local function fr_entries(row, adds, removes)
  local runs, longest = fr_runs(row.bits)
  for k = 1, FR.K do fr_entry(row, k, runs, longest, adds, removes) end
end

-- Whether a free block starting at a (ending at z) of a row string leaves one lone free seat on its left (right).
local function fr_lone_left(bits, a)
  return string.byte(bits, a - 1) == 46 and (a < 3 or string.byte(bits, a - 2) ~= 46)
end

local function fr_lone_right(bits, z)
  return string.byte(bits, z + 1) == 46 and string.byte(bits, z + 2) ~= 46
end

-- fr_improved's blocks on one side of the taken seat p: those of k = 1..n seats beside p, growing away from it
-- (d = 1: p+1..p+k; d = -1: p-k..p-1). `near` is the lone check of a block's end beside p, `far` of its growing end;
-- the block one over is p and the block's seats but its far end e.
local function fr_offer_side(row, adds, p, d, n)
  local old, bits, R, BIG = row.old, row.bits, FR.R, FR.BIG
  local near, far = fr_lone_left, fr_lone_right
  if d < 0 then near, far = fr_lone_right, fr_lone_left end
  local was = near(old, p + d)
  if near(bits, p + d) then return end
  -- The ranks of seats p .. p + d * n, read once: seat p + d * i's is ranks[at + d * i].
  local first = d > 0 and p or p - n
  local ranks, at = fr_rank_list(row.layout, first, n + 1), p - first + 1
  local sum, best, sum_over, best_over = 0, ranks[at + d], 0, ranks[at]
  for k = 1, n do
    local r, r_over, e = ranks[at + d * k], ranks[at + d * (k - 1)], p + d * k
    sum, sum_over = sum + r, sum_over + r_over
    if r < best then best = r end
    if r_over < best_over then best_over = r_over end
    if (was or far(old, e)) and not far(bits, e) then
      local score = sum * R + best
      -- The block one over ends beside e (free): it was lone before unless the seat past e was free too.
      if not (string.byte(old, e + d) == 46 and sum_over * R + best_over <= score) then
        adds[#adds + 1] = k * BIG + score
        adds[#adds + 1] = fr_member(k, row.pos)
      end
    end
  end
end

-- After seats of the row were only taken: the blocks whose score a take improved, as score, member pairs (to
-- `adds`, written with ZADD LT). Taking seats removes blocks and can make a block lone, which only worsens a row's
-- entries, and those are left as they are (see fr_pick); it improves one kind of block: one whose lone free seat
-- was the seat taken, now the edge of its run. So the blocks looked at are those starting just after a taken seat
-- p that was the first of its run before the call, and those ending just before one that was the last; each that
-- was lone before (on either side) and is not now is offered, unless the block one seat over (p and the block's
-- seats but its far one) was a free block of k not lone before the call that scores no worse: the entry is at most
-- that block's score already (it was at most the row's best), so the offer could not lower it. (A sale that takes
-- seats in order of rank offers nothing this way.) The blocks of one side share a start (or an end), so their ranks
-- are read once and their scores summed up as k grows: a block's score, not lone, is rank sum * R + best rank
-- (fr_block_score).
local function fr_improved(row, adds)
  local old, bits, b, K = row.old, row.bits, string.byte, FR.K
  for _, p in ipairs(row.takes) do
    if b(old, p - 1) ~= 46 and b(bits, p + 1) == 46 then
      fr_offer_side(row, adds, p, 1, math.min(K, (string.find(bits, '[^.]', p + 1) or #bits + 1) - p - 1))
    end
    if b(old, p + 1) ~= 46 and b(bits, p - 1) == 46 then
      local s = p - 1
      while s > 1 and b(bits, s - 1) == 46 do s = s - 1 end
      fr_offer_side(row, adds, p, -1, math.min(K, p - s))
    end
  end
end

local function fr_zadd(key, flag, pairs_)
  if flag then redis.call('ZADD', key, flag, unpack(pairs_)) else redis.call('ZADD', key, unpack(pairs_)) end
end

-- ZADD (with its flag, if any) and ZREM of a call's entries, on the show's ZSET and on each section's.
local function fr_write(prefix, per_section, flag)
  local all_adds, all_removes = {}, {}
  for section, lists in pairs(per_section) do
    local key = prefix .. 'fr:blocks:' .. section
    if #lists[1] > 0 then
      fr_zadd(key, flag, lists[1])
      for _, v in ipairs(lists[1]) do all_adds[#all_adds + 1] = v end
    end
    if #lists[2] > 0 then
      redis.call('ZREM', key, unpack(lists[2]))
      for _, v in ipairs(lists[2]) do all_removes[#all_removes + 1] = v end
    end
  end
  local key = prefix .. 'fr:blocks'
  if #all_adds > 0 then fr_zadd(key, flag, all_adds) end
  if #all_removes > 0 then redis.call('ZREM', key, unpack(all_removes)) end
end

local function fr_lists(per_section, section)
  local lists = per_section[section]
  if not lists then
    lists = {{}, {}}
    per_section[section] = lists
  end
  return lists
end

-- Write back every row this call changed: its string, and its entries in the show's and its section's ZSET.
-- An entry's score is never above its row's best block of that size (rows with none may keep an entry): a row
-- that had a seat freed gets its exact entries; a row whose seats were only taken gets only the entries a take
-- improved (fr_improved), the removal of the sizes it has no room for any more, and the exact entry of the size a
-- best-available request took from it (`refresh`).
local function fr_commit(prefix)
  local exact, lowered, writes = {}, {}, {}
  for pos, row in pairs(FR.rows) do
    if row.dirty then
      local section = row.layout.section
      if row.freed then
        local lists = fr_lists(exact, section)
        fr_entries(row, lists[1], lists[2])
      else
        local runs, after = fr_runs(row.bits)
        if row.refresh then
          local lists = fr_lists(exact, section)
          fr_entry(row, row.refresh, runs, after, lists[1], lists[2])
        end
        local lists = fr_lists(lowered, section)
        fr_improved(row, lists[1])
        -- The sizes the row can no longer seat at all: their entries go (cheap to know, and a sold-out row's
        -- entries would otherwise wait for a request to find them).
        local _, before = fr_runs(row.old)
        for k = after + 1, math.min(before, FR.K) do lists[2][#lists[2] + 1] = fr_member(k, pos) end
      end
      row.dirty, row.freed, row.takes, row.old, row.refresh = false, false, {}, row.bits, nil
      writes[#writes + 1] = 'd' .. pos
      writes[#writes + 1] = row.bits
    end
  end
  if #writes == 0 then return end
  fr_write(prefix, exact, nil)
  fr_write(prefix, lowered, 'LT')
  redis.call('HSET', prefix .. 'fr:rows', unpack(writes))
end

-- The index's side of a call's changes ({seat, 'available' | 'held' | 'sold', taken before}, in order): a seat
-- that was taken before and still is (held to sold, one hold to another) changes nothing here.
local function fr_apply(prefix, changes)
  if #changes == 0 or not fr_ready(prefix) then return end
  for _, change in ipairs(changes) do
    if not change[3] then fr_mark(prefix, change[1], change[2] ~= 'available') end
  end
  fr_commit(prefix)
end

local function fr_range(start, count)
  local at = {}
  for i = 1, count do at[i] = start + i - 1 end
  return at
end

-- Accessible seats only, among the rows that have accessible seats: the best adjacent block of them (every block in
-- the row's free runs: the lone-seat rule looks at all the row's seats); failing that, the best-ranked `count` free
-- accessible seats of one row (the row where their rank sum is lowest).
local function fr_pick_accessible(prefix, count, section)
  local rows = cjson.decode(redis.call('HGET', prefix .. 'fr:meta', 'acc'))
  local best
  for _, pos in ipairs(rows) do
    local row = fr_row(prefix, pos)
    local layout = row.layout
    if not section or layout.section == section then
      local flags = string.sub(layout.blob, layout.flags, layout.flags + layout.length - 1)
      local runs, ranks = fr_runs(row.bits), nil
      for i = 1, #runs, 2 do
        local s, e = runs[i], runs[i + 1]
        for a = s, e - count + 1 do
          local z = a + count - 1
          local ordinary = string.find(flags, '0', a, true)
          if not ordinary or ordinary > z then
            ranks = ranks or fr_rank_list(layout, 1, layout.length)
            local score = fr_score(ranks, a, count, a - s == 1 or e - z == 1)
            if not best or score < best[1] then best = {score, pos, a} end
          end
        end
      end
    end
  end
  if best then return best[2], fr_range(best[3], count) end
  local fallback
  for _, pos in ipairs(rows) do
    local row = fr_row(prefix, pos)
    local layout = row.layout
    if not section or layout.section == section then
      local usable = {}
      for at = 1, layout.length do
        if string.byte(row.bits, at) == 46 and string.byte(layout.blob, layout.flags + at - 1) == 49 then
          usable[#usable + 1] = at
        end
      end
      if #usable >= count then
        local ranks = fr_rank_list(layout, 1, layout.length)
        table.sort(usable, function(a, b) return ranks[a] < ranks[b] end)
        local chosen, sum = {}, 0
        for i = 1, count do
          chosen[i] = usable[i]
          sum = sum + ranks[usable[i]]
        end
        if not fallback or sum < fallback[1] then
          table.sort(chosen)
          fallback = {sum, pos, chosen}
        end
      end
    end
  end
  if fallback then return fallback[2], fallback[3] end
  return nil
end

-- The best `count` seats for a best-available request: the row (as fr_row has it) and the seats' character
-- positions in it, or nil when no seats satisfy the request.
local function fr_pick(prefix, count, section, accessible)
  if accessible then
    local pos, at = fr_pick_accessible(prefix, count, section)
    if pos then return fr_row(prefix, pos), at end
    return nil
  end
  local zset = prefix .. 'fr:blocks'
  if section then zset = zset .. ':' .. section end
  local low, high = string.format('%d', count * FR.BIG), string.format('(%d', (count + 1) * FR.BIG)
  local fixed
  while true do
    local head = redis.call('ZRANGE', zset, low, high, 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
    if #head == 0 then return nil end
    local row = fr_row(prefix, tonumber(string.sub(head[1], -6)))
    local runs, longest = fr_runs(row.bits)
    local adds, removes = {}, {}
    local start, entry = fr_entry(row, count, runs, longest, adds, removes)
    -- The entry just set right coming back first is right, however its score reads back.
    if start and (entry == tonumber(head[2]) or head[1] == fixed) then
      row.refresh = count
      return row, fr_range(start, count)
    end
    -- A row whose seats were taken since its entry was written: its entry set right, and the next head read.
    fr_write(prefix, {[row.layout.section] = {adds, removes}}, nil)
    fixed = head[1]
  end
end
"""

# KEYS: version, state, fr:meta.
# ARGV: prefix, K, R, base, span, places, sections (JSON list), accessible rows (JSON list), then one
#       (layout, empty row string) pair per row, in row-position order.
# -> 1 when built, 0 when an index for blocks of K seats or more is already there, {'needs_init'} when the show's
#    state is not built. The index is built from the state as it is now, in the same step, so no change is missed.
BUILD_INDEX = FREE_RUNS + r"""
if redis.call('EXISTS', KEYS[1]) == 0 then return {'needs_init'} end
local prefix, K = ARGV[1], tonumber(ARGV[2])
local old = redis.call('HGET', KEYS[3], 'K')
if old and tonumber(old) >= K then return 0 end
local dropped = {prefix .. 'fr:rows', prefix .. 'fr:places', prefix .. 'fr:blocks', KEYS[3]}
for _, section in ipairs(cjson.decode(ARGV[7])) do dropped[#dropped + 1] = prefix .. 'fr:blocks:' .. section end
redis.call('DEL', unpack(dropped))

local R = tonumber(ARGV[3])
FR.ready, FR.K, FR.R, FR.base, FR.span = true, K, R, tonumber(ARGV[4]), tonumber(ARGV[5])
FR.LONE, FR.BIG = K * R, 2 * K * R * R
local places = ARGV[6]
local FIRST = 9
local nrows = (#ARGV - FIRST + 1) / 2
-- Every seat in the state hash (held or sold) is taken.
local taken = {}
for _, seat in ipairs(redis.call('HKEYS', KEYS[2])) do
  local id = tonumber(seat)
  if id then
    local off = id - FR.base
    if off >= 0 and off < FR.span then
      local pos, at = struct.unpack('>HH', string.sub(places, off * 4 + 1, off * 4 + 4))
      if pos > 0 then
        taken[pos] = taken[pos] or {}
        taken[pos][#taken[pos] + 1] = at
      end
    end
  end
end
local fields, adds, removes = {}, {}, {}
for pos = 1, nrows do
  local blob, bits = ARGV[FIRST + 2 * pos - 2], ARGV[FIRST + 2 * pos - 1]
  if taken[pos] then
    local chars = {}
    for i = 1, #bits do chars[i] = string.sub(bits, i, i) end
    for _, at in ipairs(taken[pos]) do chars[at] = 'x' end
    bits = table.concat(chars)
  end
  local row = {pos = pos, layout = fr_decode(blob), bits = bits}
  local section = row.layout.section
  adds[section] = adds[section] or {}
  fr_entries(row, adds[section], removes)
  fields[#fields + 1] = 's' .. pos
  fields[#fields + 1] = blob
  fields[#fields + 1] = 'd' .. pos
  fields[#fields + 1] = bits
end
local function in_chunks(command, key, list)
  for i = 1, #list, 1000 do redis.call(command, key, unpack(list, i, math.min(i + 999, #list))) end
end
in_chunks('HSET', prefix .. 'fr:rows', fields)
for section, list in pairs(adds) do
  in_chunks('ZADD', prefix .. 'fr:blocks:' .. section, list)
  in_chunks('ZADD', prefix .. 'fr:blocks', list)
end
redis.call('SET', prefix .. 'fr:places', places)
redis.call('HSET', KEYS[3], 'K', K, 'R', ARGV[3], 'base', ARGV[4], 'span', ARGV[5], 'acc', ARGV[8])
return 1
"""
