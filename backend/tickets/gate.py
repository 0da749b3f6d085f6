"""The gate's side of rotating codes: binding a ticket to a fan's device, the offline bundle a scanner downloads,
and the scans a scanner uploads when it is back online."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import msgspec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.errors import Conflict, Invalid, NotFound, Unavailable
from backend.tickets import rotating
from backend.tickets.codes import public_key
from backend.tickets.encoding import b64, unb64
from backend.tickets.rotating import Certificate
from backend.tickets.schemas import (
    DeviceCertificate,
    GateBundle,
    GateKey,
    Revocation,
    ScanOutcome,
    ScanUpload,
    TicketVenue,
)
from backend.tickets.service import check_code, verify
from backend.timeutil import parse_rfc3339, rfc3339, utcnow
from db.tables import GateScan, Show, Ticket

# A certificate is good from shortly before it was made (phone clocks run early) until a day after the show starts.
CLOCK_SKEW = timedelta(minutes=5)
VALID_AFTER_START = timedelta(days=1)
# An uploaded scan time later than this past the server's clock is taken as "now": a scanner cannot make an old
# screenshot current by claiming a future time.
UPLOAD_SKEW = timedelta(minutes=1)


class BoundToOtherDevice(Conflict):
    code = "bound_to_other_device"


def _seat_label(row: dict[str, Any]) -> str:
    return f"{row['seat.section.name']} {row['seat.row']}-{row['seat.number']}"


async def bind_device(secret_key: str, profile_id: int, ticket_id: int, alg: str, device_key_b64: str,
                      move: bool) -> DeviceCertificate:
    """Certify `device_key` for the caller's ticket. The same key again gets the same certificate; another key
    needs `move`, and then every earlier certificate (and the static code) of this ticket is revoked."""
    try:
        device_key = unb64(device_key_b64)
        rotating.check_device_key(alg, device_key)
    except ValueError as exc:
        raise Invalid("The device key is not a public key of that algorithm.", code="invalid_device_key") from exc
    row = await Ticket.select(
        Ticket.id, Ticket.show, Ticket.seat, Ticket.code_serial, Ticket.device_alg, Ticket.device_key,
        Ticket.issued_at, Ticket.show.starts_at, Ticket.seat.section.name,  # type: ignore[union-attr]
        Ticket.seat.row, Ticket.seat.number, Ticket.order.status,
    ).where((Ticket.id == ticket_id) & (Ticket.profile == profile_id) & Ticket.revoked_at.is_null()).first()
    if row is None or row["order.status"] != "paid":
        raise NotFound("You have no such ticket.", code="ticket_not_found")
    serial = row["code_serial"]
    same_device = row["device_key"] == device_key_b64 and row["device_alg"] == alg
    if not same_device:
        if row["device_key"] is not None and not move:
            raise BoundToOtherDevice("This ticket is on another device; move it here to use it on this one.")
        # Compare-and-set on the serial: of two devices racing to take the ticket, one wins and the other retries.
        updated = await Ticket.update({Ticket.code_serial: serial + 1, Ticket.device_alg: alg,
                                       Ticket.device_key: device_key_b64}).where(
            (Ticket.id == ticket_id) & (Ticket.code_serial == serial)).returning(Ticket.id)
        if not updated:
            raise Conflict("The ticket moved at the same moment; try again.", code="ticket_moved")
        serial += 1
    # Derived, not stored: the same inputs always give the same certificate, so a reload changes nothing.
    not_before = row["issued_at"] - CLOCK_SKEW
    not_after = row["show.starts_at"] + VALID_AFTER_START
    cert = Certificate(ticket_id=row["id"], show_id=row["show"], seat_id=row["seat"], serial=serial,
                       seat_label=_seat_label(row), alg=alg, device_key=device_key,  # type: ignore[arg-type]
                       not_before=int(not_before.timestamp()), not_after=int(not_after.timestamp()))
    return DeviceCertificate(ticket_id=str(ticket_id), certificate=rotating.issue_certificate(secret_key, cert),
                             serial=serial, step_seconds=rotating.STEP_SECONDS, not_after=rfc3339(not_after),
                             server_time_ms=int(utcnow().timestamp() * 1000))


async def gate_bundle(secret_key: str, show_id: int) -> GateBundle:
    """The show's public keys and its revocation list: every ticket whose codes were re-certified or voided."""
    show = await Show.select(Show.id, Show.title, Show.starts_at, Show.venue.name,  # type: ignore[union-attr]
                             Show.venue.city).where(Show.id == show_id).first()
    if show is None:
        raise NotFound("No such show.", code="show_not_found")
    rows = await Ticket.select(Ticket.id, Ticket.code_serial, Ticket.order.status, Ticket.revoked_at).where(
        (Ticket.show == show_id)
        & ((Ticket.code_serial > 0) | (Ticket.order.status != "paid") | Ticket.revoked_at.is_not_null())
    ).order_by(Ticket.id)
    static_key = public_key(secret_key).public_bytes(Encoding.Raw, PublicFormat.Raw)
    return GateBundle(
        show_id=str(show_id), title=show["title"], starts_at=rfc3339(show["starts_at"]),
        venue=TicketVenue(name=show["venue.name"], city=show["venue.city"]),
        step_seconds=rotating.STEP_SECONDS, step_tolerance=rotating.STEP_TOLERANCE, generated_at=rfc3339(utcnow()),
        keys=[
            GateKey(kid=f"show-{show_id}", use="rotating", alg="Ed25519",
                    public_key=b64(rotating.show_public_key(secret_key, show_id))),
            GateKey(kid="static", use="static", alg="Ed25519", public_key=b64(static_key)),
        ],
        revocations=[Revocation(ticket_id=str(r["id"]), min_serial=r["code_serial"],
                                void=r["order.status"] != "paid" or r["revoked_at"] is not None) for r in rows],
    )


class ScanIdReused(Conflict):
    code = "scan_id_reused"


async def _scanned_tickets(secret_key: str, codes: list[str]) -> list[int | None]:
    """For each code, the ticket it is a scan of: the one its signatures name (whatever the verdict: expired,
    revoked, another show's), if it exists; None for a code that names none."""
    now = utcnow().timestamp()
    claims = [check_code(secret_key, code, now) for code in codes]
    named = {check.claim.ticket_id for check in claims if check is not None}
    existing = {row["id"] for row in await Ticket.select(Ticket.id).where(Ticket.id.is_in(list(named)))} \
        if named else set()
    return [check.claim.ticket_id if check is not None and check.claim.ticket_id in existing else None
            for check in claims]


def _reused(scan_id: str) -> ScanIdReused:
    return ScanIdReused(f"Scan {scan_id} was uploaded before for another ticket, gate or show; a scan id names one "
                        "scan. Nothing in this upload was judged.", scan_id=scan_id)


async def upload_scans(secret_key: str, scanner_id: int | None, show_id: int, upload: ScanUpload
                       ) -> list[ScanOutcome]:
    """Judge each scan as the online check would have at the moment it was made, in upload order: the first scan
    of a ticket that reaches the server is `valid`, any later one (from this gate or another) is a duplicate.

    A scan id names one scan: one ticket (the one its code names) at one gate of one show. Uploaded again, it gets
    the stored answer; reused for another ticket, gate or show, it would get another scan's answer and hide this
    one, so the whole upload is refused (409 scan_id_reused) before any of its scans is judged."""
    if not await Show.exists().where(Show.id == show_id):
        raise NotFound("No such show.", code="show_not_found")
    tickets = await _scanned_tickets(secret_key, [scan.code for scan in upload.scans])
    identity: dict[str, int | None] = {}
    for scan, ticket in zip(upload.scans, tickets, strict=True):
        if identity.setdefault(scan.scan_id, ticket) != ticket:
            raise _reused(scan.scan_id)
    stored = await GateScan.select(GateScan.scan_id, GateScan.show, GateScan.gate, GateScan.ticket).where(
        GateScan.scan_id.is_in(list(identity)))
    for row in stored:
        if (row["show"], row["gate"], row["ticket"]) != (show_id, upload.gate, identity[row["scan_id"]]):
            raise _reused(row["scan_id"])
    uploaded_before = {row["scan_id"] for row in stored}
    outcomes = []
    for scan, ticket in zip(upload.scans, tickets, strict=True):
        if scan.scan_id in uploaded_before:
            outcomes.append(await _stored_answer(scan.scan_id, show_id, upload.gate, ticket))
            continue
        try:
            scanned_at = min(parse_rfc3339(scan.scanned_at), utcnow() + UPLOAD_SKEW)
        except ValueError as exc:
            raise Invalid(f"scanned_at of scan {scan.scan_id} is not an RFC 3339 time.",
                          code="invalid_scanned_at") from exc
        # The scan id is claimed before the scan is judged: judging marks the ticket scanned, so two requests that
        # judged the same scan would answer it `valid` and `already_scanned` (a duplicate of itself). The request
        # that claimed it judges; the others wait for its answer.
        claimed = await GateScan.insert(GateScan(
            scan_id=scan.scan_id, show=show_id, ticket=ticket, gate=upload.gate, scanner=scanner_id,
            scanned_at=scanned_at, result=_JUDGING, answer="{}",
        )).on_conflict(action="DO NOTHING").returning(GateScan.id)
        if not claimed:  # the same scan id uploaded at this moment by another request: one answer for both
            outcomes.append(await _stored_answer(scan.scan_id, show_id, upload.gate, ticket))
            continue
        try:
            result = await verify(secret_key, scan.code, show_id=show_id, gate=upload.gate, at=scanned_at)
        except BaseException:
            await GateScan.delete().where(GateScan.id == claimed[0]["id"])
            raise
        outcome = ScanOutcome(
            scan_id=scan.scan_id, result=result.result, kind=result.kind,
            ticket_id=result.ticket.ticket_id if result.ticket else None, scanned_at=result.scanned_at,
            scanned_gate=result.scanned_gate, duplicate=result.result == "already_scanned", reason=result.reason,
        )
        await GateScan.update({GateScan.result: outcome.result, GateScan.answer: _encode(outcome)}).where(
            GateScan.id == claimed[0]["id"])
        outcomes.append(outcome)
    return outcomes


# A claimed scan's result while the request that claimed it judges it (a few milliseconds).
_JUDGING = "judging"
_JUDGING_WAIT_S = 10.0


async def _stored_answer(scan_id: str, show_id: int, gate: str, ticket: int | None) -> ScanOutcome:
    """The answer stored for a scan id, once the request judging it has stored it; 409 scan_id_reused when the id
    names a scan of another ticket, gate or show."""
    deadline = time.monotonic() + _JUDGING_WAIT_S
    while True:
        row = await GateScan.select(GateScan.show, GateScan.gate, GateScan.ticket, GateScan.result,
                                    GateScan.answer).where(GateScan.scan_id == scan_id).first()
        if row is None or (row["show"], row["gate"], row["ticket"]) != (show_id, gate, ticket):
            raise _reused(scan_id)
        if row["result"] != _JUDGING:
            return ScanOutcome(**_answer(row["answer"]))
        if time.monotonic() > deadline:
            raise Unavailable("This scan is being judged by another request; upload it again.", code="busy")
        await asyncio.sleep(0.02)


def _encode(outcome: ScanOutcome) -> str:
    return msgspec.json.encode(outcome).decode()


def _answer(stored: Any) -> dict[str, Any]:
    return msgspec.json.decode(stored) if isinstance(stored, str | bytes) else stored
