"""The critical modules of issue 21 and, for each, the fast subset of tests that covers it.

A mutant is run against its module's subset only (with `-x`, so the first failure kills it), which keeps one
module's run to minutes on a 2-core machine. A subset lists the tests that exercise the module, through the
server subprocess where that is where the module runs; widen it when a survivor is killed by a test elsewhere."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    # Only these functions or methods ("Class.method") are mutated; empty: the whole of every source.
    scope: tuple[str, ...] = ()


TARGETS: dict[str, Target] = {
    "ids": Target(("backend/ids.py",), ("tests/test_ids.py",)),
    "deadlines": Target(("backend/infra/redis_deadlines.py",), ("tests/infra/test_redis_deadlines.py",)),
    "leases": Target(("backend/infra/leases.py",), ("tests/cluster/test_leases.py",)),
    "draw": Target(
        ("realtime/waiting_room/draw.py",),
        ("tests/realtime/waiting_room/test_draw_algorithm.py", "tests/realtime/waiting_room/test_draw.py"),
    ),
    "verify-draw": Target(
        ("realtime/waiting_room/verify_draw.py",),
        ("tests/realtime/waiting_room/test_draw.py",),
    ),
    "waiting-room": Target(
        ("realtime/waiting_room/line.py", "realtime/waiting_room/admission.py"),
        ("tests/realtime/waiting_room/test_waiting_room_scripts.py", "tests/cluster/test_leases.py",
         "tests/realtime/waiting_room/test_turn_table.py", "tests/realtime/waiting_room/test_waiting_room.py"),
        # the advance and the draw's Python side (issue 21's table); the rest of line.py is reads and settings
        scope=("WaitingRoom.advance", "WaitingRoom.draw_if_due", "WaitingRoom._queue_ids", "WaitingRoom.join",
               "WaitingRoom.place", "admitted_until", "is_admitted", "finish"),
    ),
    "live-map": Target(
        ("realtime/live_map.py",),
        ("tests/realtime/test_fold.py", "tests/realtime/test_live_map.py", "tests/realtime/test_broadcast_catch_up.py"),
        # the diff, the fold and the catch-up (issue 21's table); the loop's pacing and the audit are left out
        scope=("ShowFeed._resumption", "ShowFeed._absorb_arrivals", "ShowFeed._catch_up", "ShowFeed._changes_since",
               "ShowFeed._absorb"),
    ),
    "feeds": Target(
        ("realtime/feeds.py",),
        ("tests/realtime/test_feed_hub.py", "tests/realtime/test_coalescing.py",
         "tests/realtime/test_broadcast_catch_up.py", "tests/realtime/test_live_map.py"),
    ),
    "payments-states": Target(
        ("backend/payments/order_states.py", "backend/payments/order_lifecycle.py"),
        ("tests/payments/lifecycle/test_state_table.py", "tests/payments/lifecycle/test_reported_bugs.py",
         "tests/payments/lifecycle/test_processing_payment.py",
         # a cancel overtaken by the webhook of its own cancellation (the order found expired)
         "tests/payments/test_checkout.py::test_a_cancel_overtaken_by_the_webhook_of_its_own_cancellation_still_succeeds"),
    ),
    "payments-settlement": Target(
        ("backend/payments/settlement.py",),
        ("tests/payments/test_settlement.py", "tests/payments/test_settle_endpoint.py",
         "tests/payments/test_late_payment.py", "tests/payments/test_purchase.py", "tests/payments/test_reconciler.py",
         "tests/payments/lifecycle/test_processing_payment.py"),
    ),
    "payments-checkout": Target(
        ("backend/payments/checkout.py",),
        ("tests/payments/test_checkout.py", "tests/payments/test_purchase.py"),
    ),
    "ledger": Target(
        ("backend/payments/ledger.py",),
        ("tests/payments/test_ledger_integrity.py", "tests/payments/test_ledger.py"),
    ),
    "checkpoints": Target(
        ("backend/payments/checkpoints.py",),
        ("tests/payments/test_ledger_integrity.py", "tests/payments/test_ledger.py"),
    ),
    "tickets-gate": Target(
        ("backend/tickets/gate.py", "backend/tickets/codes.py"),
        ("tests/tickets/test_gate_void.py", "tests/tickets/test_gate_show.py", "tests/tickets/test_verify_forgery.py",
         "tests/tickets/test_scanner_token.py", "tests/tickets/test_rotating_codes.py"),
    ),
    "tickets-rotating": Target(
        ("backend/tickets/rotating.py", "backend/tickets/service.py"),
        ("tests/tickets/test_rotating_codes.py", "tests/tickets/test_device_keys.py",
         "tests/tickets/test_verify_forgery.py", "tests/tickets/test_ticket_list.py", "tests/tickets/test_gate_void.py"),
    ),
    "seats": Target(
        ("backend/seats/writes.py", "backend/seats/reads.py"),
        ("tests/seats/test_store.py", "tests/seats/test_flush.py", "tests/seats/test_best_available_rules.py"),
    ),
    "card-data": Target(
        ("backend/edge/card_data.py", "backend/edge/screening.py"),
        ("tests/edge/test_screening_rules.py", "tests/edge/test_card_screen.py", "tests/edge/test_bodies.py",
         "tests/edge/test_card_edge.py",
         # NUL refused on every route (422), and a seating plan's own size limit (413 naming it)
         "tests/test_bad_input.py::test_text_the_database_cannot_store_is_refused_everywhere",
         "tests/organizer/test_hostile_plans.py::test_a_million_seats_is_too_large_a_body"),
    ),
}
