"""The state on disk (snapshot + journal) gives back exactly what was in memory, whatever happened in between.

In-process: the Stripe operations run against a Store on a temporary directory, flushing after each as the API does,
and a second Store loaded from the same files must hold the same state. test_restart.py does the same through a real
process killed with SIGKILL.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tools.stripe_standin.errors import StripeError
from tools.stripe_standin.idempotency import IdempotencyRecords
from tools.stripe_standin.payments import BACKEND, Caller, Payments, RequestInfo
from tools.stripe_standin.settings import Settings
from tools.stripe_standin.store import FORMAT_VERSION, StateFileError, Store
from tools.stripe_standin.webhooks import Webhooks


def contents(store: Store) -> dict[str, dict[str, Any]]:
    return {name: dict(collection) for name, collection in store.collections.items()}


class World:
    """The stand-in's parts without HTTP, flushing after each operation as StripeGateway does."""

    def __init__(self, path: Path, compact_floor_bytes: int = 8 * 1024 * 1024) -> None:
        self.store = Store(path, compact_floor_bytes=compact_floor_bytes)
        settings = Settings(state_file=path, webhook_url="http://127.0.0.1:9/never-sent")
        self.webhooks = Webhooks(self.store, settings)
        self.payments = Payments(self.store, self.webhooks, processing_seconds=60)
        self.idempotency = IdempotencyRecords(self.store)

    def call(self, operation: Any, *args: Any, key: str | None = None) -> Any:
        info = RequestInfo(request_id="req_test", idempotency_key=key)
        try:
            result = operation(*args, info)
        except StripeError as error:
            result = error.body()
        if key:
            self.idempotency.remember(f"sk:{key}", "fingerprint", 200, result, time.time())
        self.store.flush(time.time())
        return result

    def scenario(self, rounds: int) -> None:
        """Every kind of change the API makes."""
        p = self.payments
        for number in range(rounds):
            intent = self.call(
                p.create_intent,
                {"amount": "5000", "currency": "eur", "metadata": {"n": str(number)}},
                key=f"create-{number}",
            )
            self.call(
                lambda params, info, i=intent["id"]: p.update_intent(i, params, info),
                {"metadata": {"order_id": f"ord_{number}"}, "description": "changed"},
            )
            self.call(
                lambda params, info, i=intent["id"]: p.confirm_intent(i, params, BACKEND, info),
                {"payment_method": "pm_card_chargeDeclined"},
            )
            self.call(
                lambda params, info, i=intent["id"]: p.confirm_intent(i, params, Caller(publishable=True), info),
                {"payment_method": "pm_card_visa", "client_secret": intent["client_secret"]},
            )
            self.call(p.create_refund, {"payment_intent": intent["id"], "amount": "1000"}, key=f"refund-{number}")
            self.call(p.create_refund, {"payment_intent": intent["id"]})
            slow = self.call(p.create_intent, {"amount": "700", "currency": "eur"})
            self.call(
                lambda params, info, i=slow["id"]: p.confirm_intent(i, params, BACKEND, info),
                {"payment_method": "pm_card_processingThenSucceeds"},
            )
            if number % 2:
                p.finish_processing(slow["id"])
            abandoned = self.call(p.create_intent, {"amount": "900", "currency": "eur"})
            self.call(lambda params, info, i=abandoned["id"]: p.cancel_intent(i, params, info), {})
            self.webhooks.set_enabled(number % 3 != 0)
            self.store.flush()
            event_id = next(reversed(self.store.events))
            self.webhooks.redeliver(event_id)
            self.store.flush()


def test_a_reloaded_store_holds_what_memory_held(tmp_path: Path) -> None:
    world = World(tmp_path / "state.json")
    world.scenario(rounds=6)
    assert (tmp_path / "state.json.journal").exists()  # no compaction below the floor: all of it is journal
    assert contents(Store(tmp_path / "state.json")) == contents(world.store)


def test_compaction_keeps_everything_and_empties_the_journal(tmp_path: Path) -> None:
    world = World(tmp_path / "state.json", compact_floor_bytes=20_000)
    snapshots = []
    for _ in range(4):
        world.scenario(rounds=3)
        snapshots.append((tmp_path / "state.json").stat().st_mtime_ns if (tmp_path / "state.json").exists() else 0)
        assert contents(Store(tmp_path / "state.json")) == contents(world.store)
    assert len(set(snapshots)) > 1  # compacted more than once along the way
    world.store.compact(time.time())
    assert not (tmp_path / "state.json.journal").exists()
    assert json.loads((tmp_path / "state.json").read_text())["format_version"] == FORMAT_VERSION
    assert contents(Store(tmp_path / "state.json")) == contents(world.store)


def test_a_crash_between_the_new_snapshot_and_the_empty_journal_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    world = World(path)
    world.scenario(rounds=4)
    old_journal = path.with_name("state.json.journal").read_bytes()
    world.store.compact(time.time())
    # As if killed right after the rename: the old journal is still there, and is replayed over the new snapshot.
    path.with_name("state.json.journal").write_bytes(old_journal)
    assert contents(Store(path)) == contents(world.store)


def test_a_last_line_cut_short_is_dropped_and_the_journal_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    world = World(path)
    world.scenario(rounds=2)
    expected = contents(world.store)
    with path.with_name("state.json.journal").open("ab") as journal:
        journal.write(b'[["payment_intents","pi_torn",{"id":"pi_tor')  # killed inside the write: never answered
    reloaded = World(path)
    assert contents(reloaded.store) == expected
    reloaded.scenario(rounds=1)  # the next line starts on a line of its own
    assert contents(Store(path)) == contents(reloaded.store)


def test_a_damaged_journal_refuses_to_load(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    world = World(path)
    world.scenario(rounds=1)
    journal = path.with_name("state.json.journal")
    lines = journal.read_bytes().split(b"\n")
    lines[1] = b"{not json"
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StateFileError, match="line 2 is damaged"):
        Store(path)


def test_a_state_file_of_the_format_before_the_journal_loads(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    world = World(path)
    world.scenario(rounds=1)
    expected = contents(world.store)
    shutil.rmtree(tmp_path / "old", ignore_errors=True)
    old = tmp_path / "old" / "state.json"
    old.parent.mkdir()
    # Format 1: one file; each event held its delivery; the switch was a top-level field.
    events = {
        event_id: {"event": event, "delivery": expected["deliveries"][event_id]}
        for event_id, event in expected["events"].items()
    }
    others = {name: value for name, value in expected.items() if name not in ("events", "deliveries", "switches")}
    old.write_text(
        json.dumps(
            {
                "format_version": 1,
                "webhooks_enabled": expected["switches"]["webhooks_enabled"],
                **others,
                "events": events,
            }
        )
    )
    assert contents(Store(old)) == expected
