"""Venues of an organization: import from a seating-plan file, list, export. Knows nothing of HTTP.

An import reads and checks the plan (plans/), hashes its seating (db/seating.py), and either finds the venue the
same import made before (same organization, name, city and layout hash: 200, nothing written) or writes the venue,
its sections and every seat in one transaction with one bulk statement for the seats (201). Two identical imports
racing make one venue: a unique index decides, and the loser answers with the winner's venue. The CPU-heavy steps
(reading 60,000 seats, hashing, encoding an export) run in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import msgspec
from asyncpg.exceptions import UniqueViolationError
from piccolo.query.functions.aggregate import Count

from backend.errors import BadRequest, Invalid
from backend.organizer.guard import Organizer, owned_venue
from backend.organizer.plans import PlanFormat, ReadPlan, read_plan, to_pretix, to_showtime, validation_pointer
from backend.organizer.schemas import OrganizerVenue, OrganizerVenueList, VenueImportBody, VenueImported
from db.seating import categories_of, decode_plan_meta, insert_venue, layout_hash, load_seating, venue_plan_meta
from db.tables import Seat, Section, Venue


def decode_import_body(raw: bytes) -> VenueImportBody:
    try:
        body = msgspec.json.decode(raw, type=VenueImportBody)
    except msgspec.ValidationError as exc:
        pointer, detail = validation_pointer(exc, "")
        raise Invalid(detail, code="invalid", pointer=pointer) from None
    except msgspec.DecodeError:
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from None
    for field in ("name", "city"):
        if "\x00" in getattr(body, field):
            raise Invalid(f"The {field} may not contain the NUL character.", code="invalid", pointer=f"/{field}")
    return body


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc).upper()
    return isinstance(exc, UniqueViolationError)


def _read(raw: bytes) -> tuple[ReadPlan, str]:
    plan = read_plan(raw)
    return plan, layout_hash(plan.seating)


async def import_venue(organizer: Organizer, raw_body: bytes) -> tuple[VenueImported, bool]:
    """(the venue, True when this call made it)."""
    body = decode_import_body(raw_body)
    plan, digest = await asyncio.to_thread(_read, bytes(body.seating_plan))
    found = await _same_import(organizer, body, digest)
    if found is not None:
        return found, False
    try:
        venue_id, _ = await insert_venue(name=body.name, city=body.city, lat=body.lat, lng=body.lng,
                                         organization=organizer.organization_id, seating=plan.seating,
                                         plan_meta=plan.meta, digest=digest)
    except Exception as exc:
        found = await _same_import(organizer, body, digest) if _is_unique_violation(exc) else None
        if found is None:
            raise
        return found, False
    return VenueImported(venue_id=str(venue_id), layout_hash=digest, seats=len(plan.seating),
                         categories=list(plan.seating.categories)), True


async def _same_import(organizer: Organizer, body: VenueImportBody, digest: str) -> VenueImported | None:
    row = await Venue.select(Venue.id).where(
        (Venue.organization == organizer.organization_id) & (Venue.name == body.name) & (Venue.city == body.city)
        & (Venue.layout_hash == digest)).first()
    if row is None:
        return None
    venue = (await _describe([row["id"]]))[0]
    return VenueImported(venue_id=venue.venue_id, layout_hash=venue.layout_hash, seats=venue.seats,
                         categories=venue.categories)


async def list_venues(organizer: Organizer) -> OrganizerVenueList:
    ids = await Venue.select(Venue.id).where(Venue.organization == organizer.organization_id).order_by(
        Venue.id).output(as_list=True)
    return OrganizerVenueList(items=await _describe(ids))


async def _describe(venue_ids: list[int]) -> list[OrganizerVenue]:
    if not venue_ids:
        return []
    venues = await Venue.select(Venue.id, Venue.name, Venue.city, Venue.lat, Venue.lng, Venue.layout_hash,
                                Venue.plan_meta).where(Venue.id.is_in(venue_ids)).order_by(Venue.id)
    counts = {row["venue"]: row["count"] for row in await Seat.select(Seat.venue, Count()).where(
        Seat.venue.is_in(venue_ids)).group_by(Seat.venue)}
    section_categories: dict[int, list[str]] = {}
    for row in await Section.select(Section.venue, Section.category, Section.name).where(
            Section.venue.is_in(venue_ids)).order_by(Section.sort_order).order_by(Section.id):
        section_categories.setdefault(row["venue"], []).append(row["category"] or row["name"])
    return [
        OrganizerVenue(venue_id=str(v["id"]), name=v["name"], city=v["city"], lat=v["lat"], lng=v["lng"],
                       layout_hash=v["layout_hash"] or await _remember_hash(v["id"]),
                       seats=counts.get(v["id"], 0),
                       categories=categories_of(decode_plan_meta(v["plan_meta"]), section_categories.get(v["id"], [])))
        for v in venues
    ]


async def _remember_hash(venue_id: int) -> str:
    """Venues made before plans were imported get their hash on first sight, and keep it."""
    seating = await load_seating(venue_id)
    digest = await asyncio.to_thread(layout_hash, seating)
    await Venue.update({Venue.layout_hash: digest}).where((Venue.id == venue_id) & Venue.layout_hash.is_null())
    return digest


def _encode(seating: Any, meta: dict[str, Any], name: str, fmt: PlanFormat) -> bytes:
    plan = to_pretix(seating, meta, name) if fmt == "pretix" else to_showtime(seating, meta, name)
    return msgspec.json.encode(plan)


async def export_plan(organizer: Organizer, raw_venue_id: str, fmt: PlanFormat) -> bytes:
    venue_id = await owned_venue(organizer, raw_venue_id)
    seating = await load_seating(venue_id)
    meta = await venue_plan_meta(venue_id)
    name = await Venue.select(Venue.name).where(Venue.id == venue_id).first()
    return await asyncio.to_thread(_encode, seating, meta, name["name"] if name else "", fmt)
