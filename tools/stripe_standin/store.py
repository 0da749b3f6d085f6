"""Every object the stand-in knows, kept in one JSON file written atomically after each change.

A restart forgets nothing, as Stripe would not: objects, events, pending webhook deliveries,
idempotency records and the test switches all live here. The file never holds card numbers or
CVCs (see cards.py): payment methods keep only brand, last4 and expiry.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

FORMAT_VERSION = 1

# Stripe object type -> collection in the state file.
COLLECTIONS = {
    "payment_intent": "payment_intents",
    "payment_method": "payment_methods",
    "charge": "charges",
    "refund": "refunds",
}

# Stripe forgets idempotency keys after 24 hours and keeps events for 30 days; so does the stand-in,
# which also keeps the file (rewritten on every change) from growing forever.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
EVENT_TTL_SECONDS = 30 * 24 * 3600


class StateFileError(RuntimeError):
    pass


def _empty_state() -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "webhooks_enabled": True,
        **{collection: {} for collection in COLLECTIONS.values()},
        # payment_method id -> the decline its card produces (null when it pays), since the
        # card number that decides it is not kept.
        "card_outcomes": {},
        # payment_method id -> true when its charges stay pending before they settle (cards.SETTLING_LATER)
        "settles_later": {},
        # PaymentIntent id -> when its `processing` ends (epoch seconds), kept so a restart still settles it
        "processing": {},
        # event id -> {"event": Event, "delivery": {...}}
        "events": {},
        # Idempotency-Key -> {"fingerprint", "status", "body", "created"}
        "idempotency": {},
    }


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.state = self._load()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return _empty_state()
        try:
            state = msgspec.json.decode(self.path.read_bytes())
        except (OSError, msgspec.DecodeError) as exc:
            raise StateFileError(f"cannot read the state file {self.path}: {exc}") from exc
        if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
            raise StateFileError(f"{self.path} is not a Stripe stand-in state file (format {FORMAT_VERSION})")
        return {**_empty_state(), **state}

    def save(self, now: float | None = None) -> None:
        """Write the whole state to a temporary file beside the real one, then rename it over.

        Called after every change, before the API answers, so even a killed process loses nothing it
        confirmed. The rename makes each write all-or-nothing. There is no fsync (it would dominate the
        cost of a request): surviving a power cut is not this development tool's job.
        """
        if now is not None:
            self._forget_old_records(now)
        # msgspec encodes about ten times faster than the json module: this runs on every change.
        encoded = msgspec.json.encode(self.state)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(encoded)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _forget_old_records(self, now: float) -> None:
        records = self.idempotency
        for key in [key for key, record in records.items() if now - record["created"] > IDEMPOTENCY_TTL_SECONDS]:
            del records[key]
        events = self.events
        for event_id in [
            event_id
            for event_id, entry in events.items()
            if now - entry["event"]["created"] > EVENT_TTL_SECONDS and entry["delivery"]["status"] != "pending"
        ]:
            del events[event_id]

    # Stripe objects

    def get(self, object_type: str, object_id: str) -> dict[str, Any] | None:
        return self.state[COLLECTIONS[object_type]].get(object_id)

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.state[COLLECTIONS[obj["object"]]][obj["id"]] = obj
        return obj

    # test switches

    @property
    def webhooks_enabled(self) -> bool:
        return bool(self.state["webhooks_enabled"])

    @webhooks_enabled.setter
    def webhooks_enabled(self, enabled: bool) -> None:
        self.state["webhooks_enabled"] = enabled

    # other collections

    @property
    def events(self) -> dict[str, dict[str, Any]]:
        return self.state["events"]

    @property
    def idempotency(self) -> dict[str, dict[str, Any]]:
        return self.state["idempotency"]

    @property
    def card_outcomes(self) -> dict[str, dict[str, Any] | None]:
        return self.state["card_outcomes"]

    @property
    def settles_later(self) -> dict[str, bool]:
        return self.state["settles_later"]

    @property
    def processing(self) -> dict[str, float]:
        return self.state["processing"]
