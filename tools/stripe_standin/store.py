"""Every object the stand-in knows, in memory, kept on disk as a snapshot plus an append-only journal.

A restart forgets nothing, as Stripe would not: objects, events, pending webhook deliveries, idempotency records
and the test switches. The files never hold card numbers or CVCs (see cards.py): payment methods keep only brand,
last4 and expiry.

On disk:
- the state file (``--state-file``): a snapshot of everything, written whole to a temporary file that is then
  renamed over it, so it is all-or-nothing even if the process is killed;
- the journal beside it (``<state file>.journal``): one JSON line per ``flush()``, holding the new value of every
  entry changed since the previous one (``[collection, key, value]``, or ``[collection, key]`` for a removal).
  The API flushes before it answers, so whatever a caller was told has happened is on disk (no fsync: surviving
  a power cut is not this development tool's job, a killed process is).

Loading reads the snapshot, then replays the journal over it. When the journal has outgrown the snapshot (and a
floor), ``flush`` compacts: a new snapshot, then an empty journal. A crash between the two replays the old journal
over the new snapshot, which changes nothing: each line sets entries to values no newer than the snapshot's, in
order, and the last line sets each to exactly the snapshot's value. A last line cut short by a kill was never
acknowledged (the process died inside the write, before answering) and is dropped.

Rewriting the whole state on every change (what this replaced) cost O(state) per request: 86 % of the stand-in's
CPU after a few thousand payments (bench/stripe_standin.py).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import msgspec

log = logging.getLogger("stripe_standin.store")

FORMAT_VERSION = 2

# Stripe object type -> collection in the state file.
COLLECTIONS = {
    "payment_intent": "payment_intents",
    "payment_method": "payment_methods",
    "charge": "charges",
    "refund": "refunds",
}
OTHER_COLLECTIONS = (
    # payment_method id -> the decline its card produces (null when it pays), since the card number that decides
    # it is not kept.
    "card_outcomes",
    # payment_method id -> true when its charges stay pending before they settle (cards.SETTLING_LATER)
    "settles_later",
    # PaymentIntent id -> when its `processing` ends (epoch seconds), kept so a restart still settles it
    "processing",
    # event id -> Event, as Stripe serves it (never changes once recorded)
    "events",
    # event id -> its webhook delivery: {"status", "attempts", "next_attempt_at", ...}
    "deliveries",
    # Idempotency-Key -> {"fingerprint", "status", "body", "created"}
    "idempotency",
    # test switches: {"webhooks_enabled": bool}
    "switches",
)
ALL_COLLECTIONS = (*COLLECTIONS.values(), *OTHER_COLLECTIONS)

# Stripe forgets idempotency keys after 24 hours and keeps events for 30 days; so does the stand-in (when it
# compacts, and when it starts), which also keeps the files from growing forever.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
EVENT_TTL_SECONDS = 30 * 24 * 3600
# The journal is folded into a new snapshot once it is larger than the snapshot and than this floor: the cost of
# compaction (encoding the whole state) is then paid once per as many bytes of journal, O(1) per change.
COMPACT_FLOOR_BYTES = 8 * 1024 * 1024

_encoder = msgspec.json.Encoder()


class StateFileError(RuntimeError):
    pass


class Collection(dict[str, Any]):
    """A dict that tells its store which keys changed. Assigning or removing a key is noticed; a change made
    inside a value (``intent.update(...)``) must be announced with ``touch(key)``, or by fetching the value with
    ``Store.get(..., for_update=True)`` before changing it."""

    def __init__(self, name: str, store: Store, items: dict[str, Any] | None = None) -> None:
        super().__init__(items or {})
        self.name = name
        self.store = store

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.store._dirty.add((self.name, key))

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.store._dirty.add((self.name, key))

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.store._dirty.add((self.name, key))
        return super().pop(key, *default)

    def touch(self, key: str) -> None:
        self.store._dirty.add((self.name, key))

    # Never used on a collection; refused so that no change slips past the journal unnoticed.
    def update(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("assign keys one by one so that the journal sees them")

    def setdefault(self, *args: Any) -> Any:
        raise TypeError("assign keys one by one so that the journal sees them")

    def clear(self) -> None:
        raise TypeError("remove keys one by one so that the journal sees them")

    def popitem(self) -> tuple[str, Any]:
        raise TypeError("remove keys one by one so that the journal sees them")


class Store:
    def __init__(self, path: Path, *, compact_floor_bytes: int = COMPACT_FLOOR_BYTES) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal")
        self.compact_floor_bytes = compact_floor_bytes
        self._dirty: set[tuple[str, str]] = set()
        self._journal: IO[bytes] | None = None
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self.collections: dict[str, Collection] = {}
        self._load()
        self._dirty.clear()
        # refunds by PaymentIntent, in creation order (derived, not stored)
        self._refunds_by_intent: dict[str, list[str]] = {}
        for refund in self.collections["refunds"].values():
            self._index_refund(refund)

    # loading

    def _load(self) -> None:
        raw: dict[str, Any] = {}
        if self.path.exists():
            try:
                data = self.path.read_bytes()
                raw = msgspec.json.decode(data)
            except (OSError, msgspec.DecodeError) as exc:
                raise StateFileError(f"cannot read the state file {self.path}: {exc}") from exc
            if not isinstance(raw, dict) or raw.get("format_version") not in (1, FORMAT_VERSION):
                raise StateFileError(f"{self.path} is not a Stripe stand-in state file (format {FORMAT_VERSION})")
            self._snapshot_bytes = len(data)
            if raw["format_version"] == 1:
                raw = _from_format_1(raw)
        self.collections = {name: Collection(name, self, raw.get(name)) for name in ALL_COLLECTIONS}
        if "webhooks_enabled" not in self.collections["switches"]:
            self.collections["switches"]["webhooks_enabled"] = True
        self._replay_journal()

    def _replay_journal(self) -> None:
        if not self.journal_path.exists():
            return
        try:
            data = self.journal_path.read_bytes()
        except OSError as exc:
            raise StateFileError(f"cannot read the journal {self.journal_path}: {exc}") from exc
        lines = data.split(b"\n")
        # Every complete line ends with a newline, so the last piece is empty, or a write a kill cut short.
        complete, torn = lines[:-1], lines[-1]
        if torn:
            log.warning(
                "%s: dropping a last line cut short (%d bytes), never acknowledged", self.journal_path, len(torn)
            )
        for number, line in enumerate(complete, start=1):
            try:
                changes = msgspec.json.decode(line)
                for change in changes:
                    collection = self.collections[change[0]]
                    if len(change) == 3:
                        dict.__setitem__(collection, change[1], change[2])
                    else:
                        dict.pop(collection, change[1], None)
            except (msgspec.DecodeError, KeyError, IndexError, TypeError) as exc:
                raise StateFileError(f"{self.journal_path} line {number} is damaged: {exc}") from exc
        self._journal_bytes = len(data) - len(torn)
        if torn:
            # Cut the torn line off, so the next line appended starts on a line of its own.
            with self.journal_path.open("r+b") as handle:
                handle.truncate(self._journal_bytes)

    # saving

    def flush(self, now: float | None = None) -> None:
        """Write what changed since the last flush: one line appended to the journal (or a new snapshot when the
        journal has grown past it). Called before the API answers a change."""
        if not self._dirty:
            return
        changes: list[list[Any]] = []
        collections = self.collections
        for name, key in self._dirty:
            collection = collections[name]
            if key in collection:
                changes.append([name, key, collection[key]])
            else:
                changes.append([name, key])
        self._dirty.clear()
        line = _encoder.encode(changes) + b"\n"
        if self._journal is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = self.journal_path.open("ab", buffering=0)
        self._journal.write(line)
        self._journal_bytes += len(line)
        if self._journal_bytes > max(self.compact_floor_bytes, self._snapshot_bytes):
            self.compact(now)

    def compact(self, now: float | None = None) -> None:
        """A new snapshot of everything (old idempotency records and events forgotten), then an empty journal."""
        if now is not None:
            self._forget_old_records(now)
        self._dirty.clear()  # the snapshot holds every change
        encoded = _encoder.encode({"format_version": FORMAT_VERSION, **self.collections})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(encoded)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        self.journal_path.unlink(missing_ok=True)
        self._snapshot_bytes = len(encoded)
        self._journal_bytes = 0
        log.info("state compacted: %s (%.1f MB)", self.path, len(encoded) / 1e6)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _forget_old_records(self, now: float) -> None:
        records = self.idempotency
        for key in [key for key, record in records.items() if now - record["created"] > IDEMPOTENCY_TTL_SECONDS]:
            del records[key]
        events, deliveries = self.events, self.deliveries
        for event_id in [
            event_id
            for event_id, event in events.items()
            if now - event["created"] > EVENT_TTL_SECONDS and deliveries[event_id]["status"] != "pending"
        ]:
            del events[event_id]
            del deliveries[event_id]

    # Stripe objects

    def get(self, object_type: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
        """The object, or None. ``for_update``: the caller may change it (its new value goes to the journal at
        the next flush, whether or not it changed)."""
        collection = self.collections[COLLECTIONS[object_type]]
        obj = collection.get(object_id)
        if obj is not None and for_update:
            collection.touch(object_id)
        return obj

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object, or announce a change made inside a stored one."""
        collection = self.collections[COLLECTIONS[obj["object"]]]
        new = obj["id"] not in collection
        collection[obj["id"]] = obj
        if new and obj["object"] == "refund":
            self._index_refund(obj)
        return obj

    def _index_refund(self, refund: dict[str, Any]) -> None:
        self._refunds_by_intent.setdefault(refund["payment_intent"] or "", []).append(refund["id"])

    def refunds_of(self, intent_id: str) -> list[dict[str, Any]]:
        """The refunds of one PaymentIntent, oldest first."""
        refunds = self.collections["refunds"]
        return [refunds[refund_id] for refund_id in self._refunds_by_intent.get(intent_id, ())]

    def refunds_by_intent(self) -> dict[str, list[dict[str, Any]]]:
        """PaymentIntent id -> its refunds, oldest first."""
        return {intent_id: self.refunds_of(intent_id) for intent_id in self._refunds_by_intent}

    def values(self, object_type: str) -> Iterable[dict[str, Any]]:
        return self.collections[COLLECTIONS[object_type]].values()

    # test switches

    @property
    def webhooks_enabled(self) -> bool:
        return bool(self.collections["switches"]["webhooks_enabled"])

    @webhooks_enabled.setter
    def webhooks_enabled(self, enabled: bool) -> None:
        self.collections["switches"]["webhooks_enabled"] = enabled

    # other collections

    @property
    def events(self) -> Collection:
        return self.collections["events"]

    @property
    def deliveries(self) -> Collection:
        return self.collections["deliveries"]

    @property
    def idempotency(self) -> Collection:
        return self.collections["idempotency"]

    @property
    def card_outcomes(self) -> Collection:
        return self.collections["card_outcomes"]

    @property
    def settles_later(self) -> Collection:
        return self.collections["settles_later"]

    @property
    def processing(self) -> Collection:
        return self.collections["processing"]


def _from_format_1(raw: dict[str, Any]) -> dict[str, Any]:
    """The single-file format before the journal: events held their delivery; the switch was a top-level field."""
    entries = raw.get("events", {})
    return {
        **{name: raw.get(name, {}) for name in ALL_COLLECTIONS if name not in ("events", "deliveries", "switches")},
        "events": {event_id: entry["event"] for event_id, entry in entries.items()},
        "deliveries": {event_id: entry["delivery"] for event_id, entry in entries.items()},
        "switches": {"webhooks_enabled": bool(raw.get("webhooks_enabled", True))},
    }
