"""Survivors judged equivalent: the mutant behaves as the original for every input the program can give it.

Keyed by (module, Cosmic Ray operator, the mutated line as written, stripped); the value is the one-line reason
docs/mutation.md repeats. A key stops matching when its line changes, so a stale judgement shows up again as a
survivor. A reason starting "tuning:" marks a constant whose value no test may pin (the project's rule: no timing
assertions); a reason starting "race:" marks atomicity that only another client's command landing between two
of ours could show, which no test can place. The report counts both with the equivalents, and says so."""

from __future__ import annotations

_DEADLINES = "backend/infra/redis_deadlines.py"
_DRAW = "realtime/waiting_room/draw.py"
_CODES = "backend/tickets/codes.py"
_LIVE_MAP = "realtime/live_map.py"
_SETTLEMENT = "backend/payments/settlement.py"
_LEASES = "backend/infra/leases.py"
_GATE = "backend/tickets/gate.py"
_CARDS = "backend/edge/card_data.py"
_SCREEN = "backend/edge/screening.py"
_LEDGER = "backend/payments/ledger.py"
_VERIFY_DRAW = "realtime/waiting_room/verify_draw.py"
_CHECKPOINTS = "backend/payments/checkpoints.py"
_ROTATING = "backend/tickets/rotating.py"
_TICKETS = "backend/tickets/service.py"
_CHECKOUT = "backend/payments/checkout.py"
_STATES = "backend/payments/order_states.py"
_LIFECYCLE = "backend/payments/order_lifecycle.py"
_FEEDS = "realtime/feeds.py"
_SEAT_WRITES = "backend/seats/writes.py"
_SEAT_READS = "backend/seats/reads.py"
_LINE = "realtime/waiting_room/line.py"

# Reasons shared by several survivors.
_ONE_ROW = "an INSERT of one row RETURNING its id answers one row: its first is its last"
_ONE_WORD = ("that answer of the script is one word alone, and no other answer ends with it (the others end with "
             "another word, a number, a seat id or a hold id): read at [0] or [-1] alike")
_KEYWORD_ONLY = ("every caller names these arguments: keyword-only made positional-or-keyword (`*` made `/`) changes "
                 "no call")
_CHUNK_RANGE = "the numbers are a range as long as the chunk: the two are of one length by construction"
_LOG_DETAIL = "what a warning carries (its traceback), not what the settlement does"

EQUIVALENT: dict[tuple[str, str, str], str] = {
    (_DEADLINES, "core/NumberReplacer", "COMMAND_TIMEOUT_S = 5.0"):
        "tuning: the default deadline; the tests set their own (command_timeout) and may not assert times",
    (_DEADLINES, "core/NumberReplacer", "TICK_S = 0.5"):
        "tuning: how often the watchdog looks; a deadline is kept within it, which no test may time",
    (_DEADLINES, "core/ReplaceBinaryOperator_Mul_Div",
     "def __init__(self, *, command_timeout: float = COMMAND_TIMEOUT_S, **kwargs: Any) -> None:"):
        "the bare `*` made `/`: redis-py and the app pass command_timeout by keyword only",
    (_DEADLINES, "core/ReplaceComparisonOperator_LtE_Lt",
     "overdue = [connection for connection, due in self._due.items() if due <= now]"):
        "differs only when the monotonic clock reads the deadline to the last bit, and the next look ends it",
    (_DEADLINES, "core/NumberReplacer",
     "self._sent_at = 0.0  # when the last write ended, until the answer to it is read (a round trip)"):
        "the first read of a connection always follows a write (its handshake), which sets _sent_at",
    (_DEADLINES, "core/ReplaceFalseWithTrue",
     "async def read_response(self, disable_decoding: bool = False, timeout: float | None = None, *,  "
     "# noqa: ASYNC109 (redis-py's signature)"):
        "the app's clients never decode (decode_responses=False), so disabling decoding changes nothing",
    (_DEADLINES, "core/ReplaceFalseWithTrue",
     "disconnect_on_error: bool = True, push_request: bool | None = False) -> Any:"):
        "push_request matters for RESP3 push messages only; the app's clients speak RESP2",
    (_DEADLINES, "core/ReplaceTrueWithFalse",
     "disconnect_on_error: bool = True, push_request: bool | None = False) -> Any:"):
        "a read that fails is followed by redis-py's own disconnect (the retry's failure callback) either way",
    (_DEADLINES, "core/ReplaceTrueWithFalse",
     "async def send_packed_command(self, command: Any, check_health: bool = True) -> None:"):
        "only pipelines use the default; a pipeline on a connection dead since its last use fails its write "
        "and is retried on a new connection, as the skipped health check would have",
    (_DRAW, "core/NumberReplacer", "for i in range(len(drawn) - 1, 0, -1):"):
        "one more turn at i = 0 swaps the first entry with itself; the word it draws is past the last one used",
    (_CODES, "core/NumberReplacer", "@lru_cache(maxsize=4)"):
        "the size of a cache of derived keys changes no answer",
    (_LIVE_MAP, "core/ReplaceAndWithOr", "if self._inbox and not self.stale:"):
        "an empty inbox folds nothing; on a stale feed the snapshot read that follows covers and replaces it all",
    (_SETTLEMENT, "core/NumberReplacer",
     "turns: ShoppingTurns, expire_unpaid_before: datetime | None = None, grace_seconds: int = 0,"):
        "the one caller that leaves grace_seconds out (a cancel that lost to a payment) settles a succeeded intent, "
        "which never reaches the grace",
    (_CODES, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a claim's fields; frozen only guards against a future slip",
    (_GATE, "core/NumberReplacer", "CLOCK_SKEW = timedelta(minutes=5)"):
        "tuning: how early before its making a certificate is good (phone clocks run early)",
    (_GATE, "core/NumberReplacer", "UPLOAD_SKEW = timedelta(minutes=1)"):
        "tuning: how far ahead of the server's clock an uploaded scan's time may be before it is taken as now",
    (_LEASES, "core/NumberReplacer", "LEASE_TTL_MS = 3_000"):
        "tuning: how long a lease outlives its holder's silence; no test may time it",
    (_LEASES, "core/NumberReplacer", "async def release_all(self, timeout_s: float = 1.0) -> None:"):
        "tuning: how long a clean shutdown waits for Redis to take its leases back; no test may time it",
    (_LEASES, "core/NumberReplacer", 'return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"'):
        "the random part of a process's name, 6, 8 or 10 hex digits: unique among a fleet's processes either way",
    (_LEASES, "core/AddNot", "if self.held.pop(show_id, None) is not None:"):
        "decides only whether 'lost the lease' is logged; the lease is dropped from `held` either way",
    (_LEASES, "core/ReplaceComparisonOperator_IsNot_Is", "if self.held.pop(show_id, None) is not None:"):
        "decides only whether 'lost the lease' is logged; the lease is dropped from `held` either way",
    (_GATE, "core/NumberReplacer", 'await GateScan.delete().where(GateScan.id == claimed[0]["id"])'): _ONE_ROW,
    (_GATE, "core/NumberReplacer", 'GateScan.id == claimed[0]["id"])'): _ONE_ROW,
    (_GATE, "core/NumberReplacer", "_JUDGING_WAIT_S = 10.0"):
        "tuning: how long an upload waits for another request's judging of the same scan; no test may time it",
    (_GATE, "core/ReplaceComparisonOperator_Gt_GtE", "if time.monotonic() > deadline:"):
        "tuning: whether the wait's very last instant (a float clock equal to the deadline) still polls once more",
    (_GATE, "core/NumberReplacer", "await asyncio.sleep(0.02)"):
        "tuning: the poll interval while another request judges the same scan (a negative one polls without pause)",
    (_GATE, "core/ReplaceTrueWithFalse", "for scan, ticket in zip(upload.scans, tickets, strict=True):"):
        "the two lists have one entry per scan by construction (_scanned_tickets answers one per code)",
    (_SETTLEMENT, "core/NumberReplacer", "return timedelta(seconds=min(30.0, hold_ttl_seconds / 10))"):
        "tuning: the longest expiry grace (30 s) that a payment racing its hold's end is given",
    (_CARDS, "core/NumberReplacer",
     "return 13 <= len(text) <= 37 and _WHOLE_PAN.fullmatch(text) is not None and _run_holds_card(text.encode())"):
        "a pre-filter only: _WHOLE_PAN matches 13 to 37 characters, and no card grouping of 14-19 digits is longer "
        "than 23 or shorter than 14, so any bound from 12 to 14 and 24 to 38 answers the same",
    (_CARDS, "core/NumberReplacer",
     "elif (kind is str and len(child) >= SHORTEST) or (kind is int and child >= 10**12):"):
        "a pre-filter only: integers below 10**13 are 13 digits or fewer, no card (is_card_number: 14 at least), "
        "and value_is_card_number judges every integer it lets through",
    (_CARDS, "core/ReplaceBinaryOperator_Pow_Mul",
     "elif (kind is str and len(child) >= SHORTEST) or (kind is int and child >= 10**12):"):
        "a pre-filter only: 10*12 lets more integers through to value_is_card_number, which refuses them itself",
    (_CARDS, "core/ReplaceComparisonOperator_GtE_Gt",
     "elif (kind is str and len(child) >= SHORTEST) or (kind is int and child >= 10**12):"):
        "only for the integer bound (the string one is killed): 10**12 itself is 13 digits, no card",
    (_CARDS, "core/ReplaceBreakWithContinue", "break"):
        "the window only grows past LONGEST digits, and no longer window is a card: continuing finds nothing more",
    (_CARDS, "core/ReplaceComparisonOperator_LtE_Lt",
     "return 13 <= len(text) <= 37 and _WHOLE_PAN.fullmatch(text) is not None and _run_holds_card(text.encode())"):
        "a pre-filter only: a value of exactly 13 or 37 characters is no card (14-19 digits, at most 23 characters "
        "in any card grouping)",
    (_CARDS, "core/NumberReplacer", "return 10**12 <= value < 10**19 and is_card_number(str(value))"):
        "integers of 13 digits (10**12 to 10**13) are no card (is_card_number: 14 digits at least), and 10**19 and "
        "up are 20 digits; bounds between change nothing",
    (_CARDS, "core/ReplaceBinaryOperator_Pow_Mul", "return 10**12 <= value < 10**19 and is_card_number(str(value))"):
        "10*12 lets integers of 3 to 12 digits through to is_card_number, which refuses fewer than 14 digits",
    (_CARDS, "core/ReplaceComparisonOperator_LtE_Lt", "return 10**12 <= value < 10**19 and is_card_number(str(value))"):
        "10**12 itself is 13 digits, no card",
    (_SCREEN, "core/NumberReplacer", "MAX_JSON_DEPTH = 32"):
        "tuning: a policy limit (no contract names it); the boundary tests use the constant",
    (_LEDGER, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a LedgerEntry's or a ChainReport's fields",
    (_LEDGER, "core/ReplaceBinaryOperator_Mul_Div",
     "async def append(entry: LedgerEntry, now: datetime, *, once_per_order: bool = False) -> bool:"):
        "the bare `*` made `/`: every caller passes once_per_order by keyword",
    (_LEDGER, "core/NumberReplacer", "chain, prev_hash, expected_seq = -1, GENESIS_HASH, 1"):
        "the walk's state before its first row ('no chain yet' -1, seq 1) made 0 or -2, or seq 0 or 2: the first row "
        "resets it (no chain is -1), and with 'no chain yet' 0 it already is the state a new chain starts in",
    (_LEDGER, "core/ReplaceUnaryOperator_USub_UAdd", "chain, prev_hash, expected_seq = -1, GENESIS_HASH, 1"):
        "the walk's 'no chain yet' made +1 (a show's chain): whether or not the first row resets it, the walk is in the "
        "state a new chain starts in (genesis hash, seq 1)",
    (_LEDGER, "core/NumberReplacer", "VERIFY_BATCH = 2000"):
        "tuning: the walk's page size; its report does not depend on it (a test walks in pages of two)",
    (_VERIFY_DRAW, "core/NumberReplacer",
     "with urllib.request.urlopen(address, timeout=30) as answer:  # noqa: S310 (the scheme is checked above)"):
        "tuning: how long the command waits for the server; no test may time it",
    (_CHECKPOINTS, "core/NumberReplacer", "_WRITER_LOCK = 7_220_022"):
        "any constant: the advisory lock's number only has to be the checkpoint writers' own",
    (_CHECKPOINTS, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a Checkpoint's or a Requirements' fields",
    (_CHECKPOINTS, "core/NumberReplacer", 'if entries >= latest.get(chain, (0, ""))[0]:'):
        "a noted head has one entry at least, so a default count of -1, 0 or 1 loses to every head the same way",
    (_CHECKPOINTS, "core/ReplaceComparisonOperator_GtE_Gt", 'if entries >= latest.get(chain, (0, ""))[0]:'):
        "a chain is noted again only once it has more entries (one writer at a time), so no two checkpoints note "
        "the same count of one chain",
    (_ROTATING, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a Certificate's or a RotatingCode's fields",
    (_ROTATING, "core/NumberReplacer", "@lru_cache(maxsize=256)"):
        "tuning: how many shows' derived keys a process keeps; any size derives the same keys",
    (_TICKETS, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a CodeCheck's fields",
    (_CHECKPOINTS, "core/NumberReplacer", "return level[0]"):
        "the loop ends with exactly one node left: level[0] and level[-1] are the same one",
    (_CHECKPOINTS, "core/NumberReplacer", "checkpoints: int = 0"):
        "the count is printed only with a verdict of OK, and requirements() then passes it; a refusal never shows it",
    (_CHECKOUT, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a checkout request's, order's or outcome's fields",
    (_CHECKOUT, "core/AddNot", "if amount != hold.amount_cents:"):
        "it decides only whether a warning is logged; the order charges the section prices either way",
    (_CHECKOUT, "core/ReplaceComparisonOperator_NotEq_Eq", "if amount != hold.amount_cents:"):
        "it decides only whether a warning is logged; the order charges the section prices either way",
    (_CHECKPOINTS, "core/NumberReplacer", "moved = [head for head in heads if head[1] > known.get(head[0], 0)]"):
        "only the default -1 survives: a chain has one entry at least, so a default of 0 or -1 notes a new chain alike",
    (_CHECKOUT, "core/NumberReplacer", ')).returning(Order.id))[0]["id"]'):
        "the insert returns one row: [0] and [-1] are the same",
    (_ROTATING, "core/NumberReplacer", "MAX_CODE_LENGTH = 1024"):
        "tuning: a cap far above a real code (about 340 characters); the boundary test uses the constant",
    (_CHECKOUT, "core/NumberReplacer", 'return _created(rows[0]["order"], request, amount, currency, expires_at)'):
        "every row the statement returns names the one order it inserted",
    (_ROTATING, "core/ReplaceBinaryOperator_FloorDiv_Div", "return int(unix_seconds // STEP_SECONDS)"):
        "Unix time is positive here, and int() of a positive quotient floors it as // does",
    (_TICKETS, "core/ReplaceBinaryOperator_Mul_Div",
     "async def verify(secret_key: str, code: str, *, show_id: int | None, gate: str | None = None,"):
        "the bare `*` made `/`: every caller passes show_id, gate and at by keyword",
    (_STATES, "core/ReplaceBinaryOperator_Mul_Div",
     "async def move(order: dict[str, Any], target: str, now: datetime, *, seats: int | None = None,"):
        "the bare `*` made `/`: every caller passes seats and the columns by keyword",
    (_LIFECYCLE, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a Paying answer's fields",
    (_STATES, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a Transition's fields: the table is read, never written",
    (_CARDS, "core/ReplaceComparisonOperator_Lt_LtE", "return 10**12 <= value < 10**19 and is_card_number(str(value))"):
        "10**19 itself is 20 digits, no card",
    (_SCREEN, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to a Refusal's fields",
    (_CARDS, "core/NumberReplacer", "return 13 <= len(digits) <= 19 and luhn_ok(digits)"):
        "only the bounds' outward moves survive (12, 20): the log pattern hands it runs of 13 to 19 digits only",
    (_CARDS, "core/ReplaceAndWithOr", "if isinstance(value, int) and not isinstance(value, bool):"):
        "its one caller (walk_file) passes only strings and integers (no bool), so `or` lets the same values through",
    (_CARDS, "core/ReplaceFalseWithTrue",
     "return False  # not reached from walk_file, which passes strings and integers only"):
        "its one caller passes only strings and integers, each answered on the lines before",
    (_FEEDS, "core/ReplaceComparisonOperator_Gt_GtE",
     "if not self.watchers and time.monotonic() - self._idle_since > LINGER_S:"):
        "differs only when the monotonic clock reads the linger's end to the last bit, and the next look retires it",
    (_FEEDS, "core/NumberReplacer", "await asyncio.sleep(0)"):
        "asyncio.sleep(-1) returns at once like sleep(0): both only hand the event loop back",
    (_FEEDS, "core/ReplaceFalseWithTrue", "async def fan_out(self, message: Outgoing, replace: bool = False) -> None:"):
        "its one caller (the waiting room) sends the whole queue status each time: a newer one replacing those queued "
        "tells a client the same",
    (_SCREEN, "core/ReplaceBinaryOperator_Mul_Div",
     "def screen_body(raw: bytes, content_type: str | None, *, screen_cards: bool = True,"):
        "the bare `*` made `/`: every caller passes screen_cards, limit and file_body by keyword",
    (_FEEDS, "core/NumberReplacer", "LINGER_S = 30.0"):
        "tuning: how long a feed outlives its last watcher; the tests set their own and may not time it",
    (_FEEDS, "core/NumberReplacer",
     "READY_TIMEOUT_S = 10.0  # the ChannelsPlugin starts with the app; a socket waits this long for it at most"):
        "tuning: a bound on waiting for the app's start, which no test may time",
    (_FEEDS, "core/NumberReplacer", "FAN_OUT_SLICE = 500  # sockets sent to between two yields to the event loop (~5 ms of sends)"):
        "tuning: how many sockets a broadcast serves between two yields; the tests set their own slice",
    (_SETTLEMENT, "core/ReplaceComparisonOperator_Eq_NotEq",
     "return not await Ticket.exists().where((Ticket.show == show_id) & Ticket.seat.is_in([int(s) for s in seat_ids])"):
        "a live ticket of the seat makes the database's UNIQUE(show, seat) refuse the sale anyway (seats_taken); the "
        "look only spares that attempt",
    (_SCREEN, "core/NumberReplacer", 'if content_type and content_type.split(";", 1)[0].strip().lower() in FORM_TYPES:'):
        "split once or twice, the part before the first ';' is the same",
    (_SETTLEMENT, "core/NumberReplacer", "CLAIM_MS = 60_000"):
        "tuning: how long a payment's claim keeps its seats while the sale commits; no test may time it",
    (_SETTLEMENT, "core/ReplaceFalseWithTrue",
     "return False  # Redis cannot say: taken, as claimed (the database's UNIQUE would decide either way)"):
        "going on to the commit instead, the database's UNIQUE(show, seat) refuses a seat sold to another alike",
    (_SEAT_WRITES, "core/NumberReplacer", 'if reply[0] != b"needs_index":'): _ONE_WORD,
    (_SEAT_WRITES, "core/NumberReplacer", "REREGISTER_AFTER_S = 5.0"):
        "tuning: how often a process registers a show it holds seats in again for the sweeper; no test may time it",
    (_SEAT_WRITES, "core/NumberReplacer", 'if reply[0] == b"claimed":'): _ONE_WORD,
    **{(_SEAT_WRITES, "core/ReplaceBinaryOperator_Mul_Div", line): _KEYWORD_ONLY for line in (
        "redis: Redis, *, show_id: int, profile_id: int, new_hold_id: str, seats: list[tuple[str, int]],",
        "redis: Redis, *, show_id: int, profile_id: int, new_hold_id: str, count: int, section_id: int | None,",
        "redis: Redis, *, show_id: int, hold_id: str, profile_id: int, seat_id: str, price: int, currency: str,",
        "async def release_hold(redis: Redis, *, show_id: int, hold_id: str, profile_id: int,",
        "async def mark_checkout(redis: Redis, *, show_id: int, hold_id: str, profile_id: int) -> bool:",
        "async def extend_hold(redis: Redis, *, show_id: int, hold_id: str, profile_id: int, grace_ms: int) -> int | None:",
        "async def claim_seats(redis: Redis, *, show_id: int, hold_id: str, profile_id: int, seat_ids: list[str],",
        "async def mark_sold(redis: Redis, show_id: int, seat_ids: list[str], hold_id: str | None, *, order_id: int) -> int:",
        "async def release_sold(redis: Redis, show_id: int, seat_ids: list[str], *, order_id: int) -> int:",
    )},
    (_SEAT_READS, "core/ReplaceTrueWithFalse", "async with redis.pipeline(transaction=True) as pipe:"):
        "race: the reads are one snapshot only against a flush or rebuild landing between them; sent back to back "
        "on one connection, no test can place another client's command there",
    (_SETTLEMENT, "core/ReplaceTrueWithFalse", "@dataclass(frozen=True)"):
        "nothing assigns to an order's facts once read; frozen only guards against a future slip",
    (_SEAT_READS, "core/ReplaceTrueWithFalse",
     "return {seat for seat, state in zip(seat_ids, states, strict=True) if state != keys.SOLD_SENTINEL}"):
        "HMGET answers one value per field asked: the two lists are of one length by construction",
    (_SEAT_READS, "core/ReplaceTrueWithFalse",
     "state != keys.SOLD_SENTINEL and lock in (None, mine) for state, lock in zip(states, locks, strict=True)"):
        "one state and one lock read per seat asked: the two lists are of one length by construction",
    (_SEAT_WRITES, "core/NumberReplacer", "INIT_ATTEMPTS = 3"):
        "tuning: how often a script is retried after rebuilding a state that a flush keeps taking away",
    (_SEAT_WRITES, "core/ReplaceComparisonOperator_GtE_Gt",
     "if first or time.monotonic() - _registered_at.get(show_id, -REREGISTER_AFTER_S) >= REREGISTER_AFTER_S:"):
        "tuning: whether a registration falling due to the very instant (a float clock) is made now or next time",
    (_SEAT_WRITES, "core/ReplaceUnaryOperator_USub_UAdd",
     "if first or time.monotonic() - _registered_at.get(show_id, -REREGISTER_AFTER_S) >= REREGISTER_AFTER_S:"):
        "a show never registered is due either way: Linux's monotonic clock counts from boot, past 10 s in any "
        "process that serves",
    (_SEAT_WRITES, "core/NumberReplacer",
     'if not (isinstance(reply, list) and reply and reply[0] == b"needs_init"):'): _ONE_WORD,
    (_SEAT_WRITES, "core/NumberReplacer", "return _release_outcome(reply[0], hold_id)"): _ONE_WORD,
    (_LINE, "core/ReplaceComparisonOperator_Lt_LtE", "while time.monotonic() < deadline:"):
        "tuning: whether the draw's wait polls once more at its very last instant (a float clock)",
    (_LINE, "core/NumberReplacer", "pipe.pexpire(key, DRAW_LOCK_MS * 2)"):
        "tuning: how long a dead draw's scratch lingers; written after the lock was taken, any life from the lock's "
        "own up outlives the lock (what the test pins), and twice it is the margin",
    (_SEAT_READS, "core/ReplaceTrueWithFalse", "record = dict(zip(fields[::2], fields[1::2], strict=True))"):
        "a hash read whole answers field and value in pairs: the two slices are of one length",
    (_SEAT_READS, "core/ReplaceComparisonOperator_LtE_Lt", 'if not record or int(record[b"expires_at_ms"]) <= now_ms:'):
        "tuning: whether a hold read in its very last millisecond (Redis's clock) is still live",
    (_SEAT_WRITES, "core/NumberReplacer", "outcome = _release_outcome(reply[0], hold_id)"): _ONE_WORD,
    (_LINE, "core/ReplaceComparisonOperator_Gt_GtE", "if time.monotonic() > deadline:"):
        "tuning: whether a join's wait for the draw gives up at its very last instant (a float clock)",
    (_LINE, "core/NumberReplacer", "token = secrets.token_hex(8)"):
        "the length of a draw's random name, 16 or 18 hex digits: unique among the processes drawing either way",
    (_LINE, "core/NumberReplacer", "if await self.redis.exists(keys[3]):"):
        "a shortcut: with keys[4] (admissions, which exist only once the line opened) asked instead, a drawn line "
        "is found one step later, by the seal that answers it opened",
    (_LINE, "core/ReplaceFalseWithTrue", "async with self.redis.pipeline(transaction=False) as pipe:"):
        "a chunk's writes go to the draw's own scratch keys, which nothing reads before the same process finishes "
        "the draw: in a transaction or not, they land before it",
    (_LINE, "core/ReplaceTrueWithFalse", "pipe.hset(keys[13], mapping=dict(zip(chunk, numbers, strict=True)))"):
        _CHUNK_RANGE,
    (_LINE, "core/ReplaceTrueWithFalse", "pipe.hset(keys[14], mapping=dict(zip(numbers, chunk, strict=True)))"):
        _CHUNK_RANGE,
    (_SETTLEMENT, "core/ReplaceBinaryOperator_Mul_Div",
     "async def settle_intent(redis: Redis, gateway: StripeGateway, intent: IntentSnapshot, now: datetime, *,"):
        _KEYWORD_ONLY,
    (_SETTLEMENT, "core/ReplaceComparisonOperator_LtE_Lt",
     "if intent.status == \"canceled\" or (expire_unpaid_before and order.expires_at <= expire_unpaid_before):"):
        "tuning: whether an order whose hold ended at the very instant of the reconciler's cut-off expires now or at "
        "its next pass",
    (_SETTLEMENT, "core/ReplaceTrueWithFalse",
     "logger.warning(\"order %s paid, but its pace was not recorded\", order.id, exc_info=True)"): _LOG_DETAIL,
    (_LINE, "core/NumberReplacer", "secrets.token_urlsafe(12),"):
        "the length of a place's random queue id, 11 to 13 random bytes: unique and unguessable either way",
    # The last line of a warning's call: every such line in settlement.py is one.
    (_SETTLEMENT, "core/ReplaceTrueWithFalse", "exc_info=True)"): _LOG_DETAIL,
    (_LINE, "core/ReplaceTrueWithFalse",
     "profile_of = dict(zip(await self._queue_ids(keys, in_draw), in_draw, strict=True))"):
        "one queue id read per profile asked (HMGET): the two lists are of one length by construction",
}
