"""Piccolo tables: the source of truth for the catalog, accounts, money and sold seats.

Redis holds only what may be lost (holds, queue, caches); everything here survives it.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organization(Table):
    """Who puts on shows: owns venues (and, through them, shows); its staff are profiles with the organizer role."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    # `just create-organizer EMAIL ORG_NAME` finds the organization by this name (or makes it).
    name = Varchar(length=200, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Venue(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    name = Varchar(length=200)
    city = Varchar(length=100)
    lat = DoublePrecision(index=True)
    lng = DoublePrecision(index=True)
    # Every venue belongs to one organization (the demo venues to the demo one); an organization that still owns
    # venues cannot be deleted.
    organization = ForeignKey(Organization, null=True, index=True, on_delete=OnDelete.restrict)
    # The seating's content hash (db/seating.py): the same plan imported again finds this venue. Null until first
    # computed for venues made before plans were imported (backend/organizer computes and keeps it).
    layout_hash = Varchar(length=32, null=True, default=None)
    # What the imported plan carried besides its seats (its name, category colours, size, zones' drawings), kept
    # so an export gives it back; not part of the layout hash.
    plan_meta = JSON(default="{}")


class Section(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    venue = ForeignKey(Venue, index=True)
    name = Varchar(length=100)
    price_cents = Integer()
    sort_order = Integer(default=0)
    # The plan's seat category (what a show prices) and zone (pretix's spatial grouping) this section is made of:
    # an imported plan has one section per (zone, category) it uses. Null on rows made before plans were imported.
    category = Varchar(length=100, null=True, default=None)
    zone = Varchar(length=100, null=True, default=None)


class Seat(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    venue = ForeignKey(Venue, index=True)
    section = ForeignKey(Section, index=True)
    row = Varchar(length=8)
    number = Integer()
    x = DoublePrecision()
    y = DoublePrecision()
    # Lower is better: "best available" walks seats in this order.
    rank = Integer()
    accessible = Boolean(default=False)
    # The seating plan's own id for this seat (pretix's seat_guid), unique in its venue (an index made by migration
    # 2026-12-06T14:00:00); an export gives it back so a plan survives a round trip.
    guid = Varchar(length=100, null=True, default=None)


class Show(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    title = Varchar(length=200)
    description = Text(default="")
    venue = ForeignKey(Venue, index=True)
    starts_at = Timestamptz(index=True)
    sale_opens_at = Timestamptz()
    currency = Varchar(length=3, default="EUR")
    queue_enabled = Boolean(default=False)
    seats_total = Integer(default=0)
    # Set by the organizer (API.md, "Organizers"): the sale's own state beside its opening time ("open" until paused
    # or closed; "scheduled" is only how an open sale before sale_opens_at is shown), the seat limit per order and
    # the waiting room's capacity and outflow; null means the platform's setting (backend/settings.py).
    sale = Varchar(length=10, default="open")
    max_seats_per_order = Integer(null=True, default=None)
    queue_capacity = Integer(null=True, default=None)
    queue_outflow_per_minute = Integer(null=True, default=None)
    # No sold counter here: a row every settlement of the show would lock. Sold seats are counted from the tickets
    # (UNIQUE(show, seat) is their index) when Redis does not know a show's state (backend/catalog/search.py).
    # Title, venue and city in one column: the full-text index (FTS5 / tsvector) is built on it.
    search_text = Text(default="")
    # Set once when the organizer cancels the show (backend/organizer/cancellation.py): no new holds from then on,
    # and every paid order is refunded by the cancellation job. Never unset.
    cancelled_at = Timestamptz(null=True, default=None)
    cancel_reason = Varchar(length=500, null=True, default=None)
    # When the cancellation job found every paid order of the cancelled show refunded.
    cancellation_done_at = Timestamptz(null=True, default=None)


class ShowPrice(Table):
    """A show's price of one seat category of its venue (Section.category); a show without rows (the demo data's)
    sells at its venue's section prices. UNIQUE(show, category) by migration 2026-12-06T17:30:00."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    show = ForeignKey(Show, index=True)
    category = Varchar(length=100)
    price_cents = Integer()


class ShowSales(Table):
    """A show's sales counters, what the organizer's dashboard reads instead of the orders table: kept by every
    change of an order's status in the same transaction (backend/payments/sales_counters.py). Striped: an order
    counts in row (show, order id mod STRIPES), so settlements of one show rarely wait on the same row; a read sums
    at most STRIPES rows. UNIQUE(show, stripe) by migration 2026-12-06T17:30:00."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    show = BigInt()
    stripe = Integer()
    paid_orders = BigInt(default=0)
    refunded_orders = BigInt(default=0)
    pending_orders = BigInt(default=0)
    revenue_cents = BigInt(default=0)
    seats_sold = BigInt(default=0)


class Profile(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    email = Varchar(length=254, unique=True)
    name = Varchar(length=100)
    password_hash = Varchar(length=200)
    created_at = Timestamptz(default=TimestamptzNow())
    # "fan", "scanner" for gate staff (`just create-scanner`), or "organizer" (`just create-organizer`).
    role = Varchar(length=20, default="fan")
    # The organization an organizer works for (null for every other role).
    organization = ForeignKey(Organization, null=True, index=True, on_delete=OnDelete.set_null)
    # Set when the owner proved they read this address (the token mailed at registration); see accounts.verification.
    email_verified_at = Timestamptz(null=True, default=None)


class Order(Table, tablename="orders"):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    profile = ForeignKey(Profile, index=True)
    show = ForeignKey(Show, index=True)
    # One live order per hold: a repeated checkout for the same hold finds this row. A cancelled order gives the hold
    # back for the next order (its snapshot of other seats) by renaming its copy `<hold id>~<order id>`.
    hold_id = Varchar(length=64, unique=True)
    idempotency_key = Varchar(length=128, null=True, default=None, unique=True)
    status = Varchar(length=20, index=True)
    amount_cents = Integer()
    currency = Varchar(length=3)
    payment_intent_id = Varchar(length=64, null=True, default=None, unique=True)
    client_secret = Varchar(length=200, null=True, default=None)
    last_payment_error = Text(null=True, default=None)
    expires_at = Timestamptz()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)
    # When the fan said they are paying (or Stripe said processing): the hold's grace was given, seats are frozen.
    paying_at = Timestamptz(null=True, default=None)
    # Why an order that took money was refunded (backend/payments/order_states.py RefundReason).
    refund_reason = Varchar(length=40, null=True, default=None)
    # What went back to the fan so far (refunds of some or all seats, backend/payments/refunds.py); the order stays
    # `paid` until every ticket of it is refunded.
    refunded_cents = Integer(default=0)


class OrderItem(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    order = ForeignKey(Order, index=True)
    seat = ForeignKey(Seat)
    price_cents = Integer()


class Ticket(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    order = ForeignKey(Order, index=True)
    show = ForeignKey(Show)
    seat = ForeignKey(Seat)
    profile = ForeignKey(Profile, index=True)
    price_cents = Integer()
    currency = Varchar(length=3)
    issued_at = Timestamptz(default=TimestamptzNow())
    scanned_at = Timestamptz(null=True, default=None)
    scanned_gate = Varchar(length=60, null=True, default=None)
    # The one certificate serial that verifies: 0 is the static code; binding to a device makes it 1, moving to
    # another device bumps it, and every other serial is revoked.
    code_serial = Integer(default=0)
    device_alg = Varchar(length=10, null=True, default=None)
    device_key = Varchar(length=100, null=True, default=None)
    # Set when the seat was refunded (backend/payments/refunds.py): the ticket is void at the gate and no longer
    # the fan's, and the seat may be sold again.
    revoked_at = Timestamptz(null=True, default=None)
    refund = BigInt(null=True, default=None)
    # UNIQUE (show, seat) among tickets not revoked, the last line of defence against a double sale whatever
    # happened in Redis, is a partial unique index made by migration 2026-12-06T17:10:30 (it replaced the plain
    # UNIQUE (show, seat) of 2026-11-25T22:00:30 when refunded seats became sellable again). It is not declared here as piccolo.constraints.Unique because every later --auto migration would then try to
    # ALTER it in again and fail on SQLite.


class GateScan(Table):
    """One scan a gate uploaded (often long after it was made offline); `scan_id` makes a re-upload harmless."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    scan_id = Varchar(length=64, unique=True)
    show = ForeignKey(Show, index=True)
    ticket = ForeignKey(Ticket, null=True, index=True)
    gate = Varchar(length=60)
    scanner = ForeignKey(Profile, null=True)
    scanned_at = Timestamptz()
    uploaded_at = Timestamptz(default=TimestamptzNow())
    result = Varchar(length=20)
    # The whole answer the gate got, so a repeated upload gets the same answer.
    answer = JSON(default="{}")


class PaymentLedgerEntry(Table, tablename="payment_ledger"):
    """Append-only, hash-chained record of money movements: Stripe ids, amounts, statuses, times; no card data.

    One hash chain per show (`chain` = the show's id; chain 0 holds the rows written before the ledger was
    partitioned), so settlements of different shows never wait for each other; UNIQUE(chain, seq) by migration
    2026-12-03T10:00:00 (backend/payments/ledger.py)."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    chain = BigInt(default=0)
    seq = Serial()
    recorded_at = Timestamptz(default=TimestamptzNow())
    kind = Varchar(length=40)
    order_ref = BigInt()
    stripe_object_id = Varchar(length=64)
    amount_cents = Integer()
    currency = Varchar(length=3)
    status = Varchar(length=40)
    prev_hash = Varchar(length=64)
    entry_hash = Varchar(length=64, unique=True)


class LedgerChain(Table):
    """The head of one ledger chain (one per show): the row an append locks, for as long as one statement and its
    commit. Written in the same transaction as the ledger row it points at; never trusted by verification, which
    walks the rows themselves and compares them with the signed checkpoints."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    chain = BigInt(unique=True)
    entries = BigInt()
    prev_hash = Varchar(length=64)
    head_hash = Varchar(length=64)


class LedgerCheckpoint(Table):
    """A signed note of the ledger's heads taken on a schedule: deleting or replacing the newest rows of a chain
    leaves a chain that still verifies, but not through the head a checkpoint saw (backend/payments/checkpoints).

    Version 1 (before the ledger was partitioned): `entries` and `head_hash` of the one chain. Version 2: `entries`
    is the sum over all chains, `head_hash` the Merkle root over every chain's head, `chains` how many; the heads
    that moved since the previous checkpoint are its LedgerCheckpointHead rows, which the signature covers."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    taken_at = Timestamptz()
    entries = BigInt()
    head_hash = Varchar(length=64)
    signature = Varchar(length=64)
    version = Integer(default=1)
    chains = BigInt(default=0)


class LedgerCheckpointHead(Table):
    """One chain's head as a version-2 checkpoint saw it, written only when it moved since the checkpoint before;
    verification requires each chain to pass through every head noted here (append-only, like the ledger)."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    checkpoint = BigInt(index=True)
    chain = BigInt()
    entries = BigInt()
    head_hash = Varchar(length=64)


class PaymentWatermark(Table):
    """Per Stripe account: every PaymentIntent created before `created_since` (Stripe's time, Unix seconds) is known
    to the database as it should be (backend/payments/repair.py); the next look at Stripe starts there."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    account = Varchar(length=64, unique=True)
    created_since = BigInt()
    updated_at = Timestamptz(default=TimestamptzNow())


class Refund(Table):
    """Money an organizer sent back for some or all seats of a paid order (backend/payments/refunds.py): written with
    the tickets it revokes, before Stripe is asked; `stripe_refund_id` and `refunded_at` once Stripe has it (the
    ledger's refund row is written in that same transaction). A row without them is owed, and retried.

    `released_at` once the seats are free again in Redis; without it, the reconciler releases them again.

    `idempotency_key` (the request's header, or `show-cancelled` for the cancellation job's one refund per order)
    is unique per order (index by migration 2026-12-06T17:10:30): a retry finds the refund it made."""

    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    order = ForeignKey(Order, index=True)
    show = BigInt(index=True)
    amount_cents = Integer()
    currency = Varchar(length=3)
    reason = Varchar(length=500)
    # `organizer` (POST /organizer/orders/{id}/refund) or `show_cancelled` (the cancellation job).
    kind = Varchar(length=20)
    idempotency_key = Varchar(length=128)
    # The seats refunded (JSON list of seat ids as strings): what a retry with the same key must ask again.
    seat_ids = JSON(default="[]")
    created_at = Timestamptz(default=TimestamptzNow())
    stripe_refund_id = Varchar(length=64, null=True, default=None)
    refunded_at = Timestamptz(null=True, default=None)
    # Once Redis gave the seats back (every live map shows them free again); a row without it is released again by
    # the reconciler, however late: only seats its own order bought are released (backend/seats, `sold-by`).
    released_at = Timestamptz(null=True, default=None)


class ProcessedWebhookEvent(Table):
    id: Serial  # the implicit primary key Piccolo adds; declared for type checkers
    event_id = Varchar(length=100, unique=True)
    event_type = Varchar(length=100)
    received_at = Timestamptz(default=TimestamptzNow())
    detail = JSON(default="{}")
