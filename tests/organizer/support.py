"""What the refund, cancellation and export tests share: a show of the organizer's organization, the stand-in's
refund counts, an order's ledger rows."""

from __future__ import annotations

from typing import Any

import httpx

from backend.launcher.serve import STANDIN_SECRET_KEY
from db.tables import PaymentLedgerEntry, Venue
from tests.support.data import TestShow, create_show
from tests.support.servers import ServerProcess


async def show_of(organizer: httpx.AsyncClient, **kwargs: Any) -> TestShow:
    """A fresh show whose venue belongs to the organizer's organization."""
    show = await create_show(**kwargs)
    await Venue.update({Venue.organization: organizer.organization_id}).where(  # type: ignore[attr-defined]
        Venue.id == show.venue_id)
    return show


async def standin_refunds(server: ServerProcess, intent_id: str | None = None) -> dict[str, Any]:
    """The stand-in's refunds: {total, amount, payment_intents, by_payment_intent}, of one intent when named."""
    params = {"payment_intent": intent_id} if intent_id else {}
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.get(f"{server.standin_url}/_standin/refunds", params=params,
                                    headers={"Authorization": f"Bearer {STANDIN_SECRET_KEY}"})
    assert response.status_code == 200, response.text
    return response.json()


async def ledger_rows(order_id: int | str) -> list[dict[str, Any]]:
    return await PaymentLedgerEntry.select(
        PaymentLedgerEntry.chain, PaymentLedgerEntry.kind, PaymentLedgerEntry.amount_cents,
        PaymentLedgerEntry.stripe_object_id,
    ).where(PaymentLedgerEntry.order_ref == int(order_id)).order_by(PaymentLedgerEntry.id)
