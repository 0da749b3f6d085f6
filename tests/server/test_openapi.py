"""The OpenAPI document, built offline: API.md's operations stay where they are, statuses carry their values, and
the WebSocket messages' schemas (added to the exported document by `just openapi`) match what the sockets send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from backend.settings import load_settings
from realtime.messages import Diff, ErrorMessage, QueueBroadcast, Snapshot
from server.app import create_app
from server.openapi_export import document as export_document
from server.openapi_export import message_schemas

# Every operation of API.md (method, path, operation id); the web app's generated client relies on them.
OPERATIONS = {
    ("GET", "/healthz", "health"),
    ("GET", "/livez", "liveness"),  # an extension: the process runs (asks no dependency)
    ("POST", "/api/v1/auth/login", "login"),
    ("POST", "/api/v1/auth/logout", "logout"),
    ("GET", "/api/v1/auth/me", "me"),
    ("POST", "/api/v1/auth/register", "register"),
    ("POST", "/api/v1/auth/verify-email/send", "sendVerificationEmail"),
    ("POST", "/api/v1/auth/verify-email", "verifyEmail"),
    ("GET", "/api/v1/shows/{show_id}", "getShow"),
    ("GET", "/api/v1/shows", "listShows"),
    ("GET", "/api/v1/shows/{show_id}/map", "getSeatMap"),
    ("GET", "/api/v1/shows/{show_id}/map/status", "getSeatStatus"),
    ("GET", "/api/v1/venues/{venue_id}/layouts/{layout_hash}", "getVenueLayout"),
    ("PUT", "/api/v1/tickets/{ticket_ref}/device", "bindTicketDevice"),
    ("GET", "/api/v1/shows/{show_id}/gate", "getGateBundle"),
    ("POST", "/api/v1/gate/scans", "uploadGateScans"),
    ("GET", "/api/v1/profile/{profile_ref}/tickets", "listTickets"),
    ("POST", "/api/v1/tickets/verify", "verifyTicket"),
    ("GET", "/api/v1/holds/{hold_id}", "getHold"),
    ("DELETE", "/api/v1/holds/{hold_id}", "releaseHold"),
    ("POST", "/api/v1/shows/{show_id}/holds", "placeHold"),
    ("DELETE", "/api/v1/holds/{hold_id}/seats/{seat_id}", "releaseHeldSeat"),
    ("POST", "/api/v1/{show_id}/checkout", "startCheckoutSeedPath"),
    ("POST", "/api/v1/shows/{show_id}/checkout", "startCheckout"),
    ("GET", "/api/v1/orders/{order_id}", "getOrder"),
    ("DELETE", "/api/v1/orders/{order_id}", "cancelOrder"),
    ("POST", "/api/v1/orders/{order_id}/paying", "startPaying"),
    ("POST", "/api/v1/orders/{order_id}/settle", "settleOrder"),
    ("POST", "/api/v1/payments/stripe/webhook", "stripeWebhook"),
    ("POST", "/api/v1/shows/{show_id}/queue", "joinQueue"),
    ("GET", "/api/v1/shows/{show_id}/queue/me", "getMyQueueEntry"),
    ("GET", "/api/v1/shows/{show_id}/queue/draw", "getQueueDraw"),
    # Organizers (API.md, "Organizers").
    ("POST", "/api/v1/organizer/venues", "importVenue"),
    ("GET", "/api/v1/organizer/venues", "listOrganizerVenues"),
    ("GET", "/api/v1/organizer/venues/{venue_id}/seating-plan", "exportSeatingPlan"),
    ("POST", "/api/v1/organizer/shows", "createShow"),
    ("GET", "/api/v1/organizer/shows", "listOrganizerShows"),
    ("GET", "/api/v1/organizer/shows/{show_id}", "getOrganizerShow"),
    ("PATCH", "/api/v1/organizer/shows/{show_id}", "updateShow"),
    ("POST", "/api/v1/organizer/shows/{show_id}/sale", "setSale"),
    ("PUT", "/api/v1/organizer/shows/{show_id}/queue", "setQueue"),
    ("GET", "/api/v1/organizer/shows/{show_id}/dashboard", "showDashboard"),
    ("GET", "/api/v1/organizer/orders/{order_id}", "getOrganizerOrder"),  # an extension: the refund form's order
    ("POST", "/api/v1/organizer/orders/{order_id}/refund", "refundOrder"),
    ("POST", "/api/v1/organizer/shows/{show_id}/cancel", "cancelShow"),
    ("GET", "/api/v1/organizer/shows/{show_id}/cancel", "getShowCancellation"),
    ("GET", "/api/v1/organizer/shows/{show_id}/orders.csv", "exportShowOrders"),
    ("GET", "/api/v1/organizer/shows/{show_id}/attendees.csv", "exportShowAttendees"),
    ("GET", "/api/v1/organizer/shows/{show_id}/ledger.csv", "exportShowLedger"),  # an extension: the chain as CSV
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Nothing listens on port 1: building the app and its document must not connect to anything.
    var_dir = tmp_path_factory.mktemp("openapi")
    settings = load_settings({"VAR_DIR": str(var_dir), "REDIS_URL": "redis://127.0.0.1:1/0",
                              "DATABASE_URL": f"sqlite:///{Path(var_dir) / 'none.sqlite3'}"})
    return create_app(settings).openapi_schema.to_schema()


def test_every_contract_operation_keeps_its_path_and_id(document: dict[str, Any]) -> None:
    found = {(method.upper(), path, operation["operationId"])
             for path, item in document["paths"].items() for method, operation in item.items()}
    assert found == OPERATIONS


@pytest.mark.parametrize(("schema", "field", "values"), [
    ("ShowOut", "status", ["scheduled", "on_sale", "sold_out", "ended", "cancelled"]),
    ("MapSeat", "status", ["available", "held", "sold"]),
    ("CheckoutOut", "status", ["pending_payment", "paid", "expired", "refunded", "cancelled"]),
    ("OrderOut", "status", ["pending_payment", "paid", "expired", "refunded", "cancelled"]),
    ("OrderOut", "refund_reason", ["seats_taken", "amount_mismatch", "order_cancelled", "organizer_refund",
                                   "show_cancelled", None]),
    ("PayingOut", "status", ["pending_payment", "paid", "expired", "refunded", "cancelled"]),
    ("VerifyResult", "result", ["valid", "already_scanned", "invalid", "expired"]),
])
def test_statuses_carry_their_values(document: dict[str, Any], schema: str, field: str, values: list[str]) -> None:
    assert document["components"]["schemas"][schema]["properties"][field]["enum"] == values


def test_socket_messages_are_documented_as_sent() -> None:
    schemas = message_schemas()
    assert set(schemas) == {"Snapshot", "Diff", "QueueBroadcast", "ErrorMessage"}
    # Each message, as the sockets encode it, carries exactly the documented, required fields.
    sent = [Snapshot(version=3, seats={"s1": "held"}), Diff(from_version=3, version=4, changes=[("s1", "sold")]),
            QueueBroadcast(serving=1, waiting=2, rate_per_s=0.5, open=True, paused=False), ErrorMessage(error="e", detail="d")]
    for message in sent:
        encoded = msgspec.json.decode(msgspec.json.encode(message))
        schema = schemas[type(message).__name__]
        assert set(encoded) == set(schema["properties"]) == set(schema["required"])
        assert [encoded["type"]] == schema["properties"]["type"]["enum"]
    assert schemas["Diff"]["properties"]["changes"]["items"]["prefixItems"][1]["enum"] == ["available", "held", "sold"]
    assert schemas["Snapshot"]["properties"]["seats"]["additionalProperties"]["enum"] == ["held", "sold"]


def test_exported_document_is_the_served_one_plus_the_messages(document: dict[str, Any]) -> None:
    exported = export_document()
    assert exported["paths"] == document["paths"]
    served_schemas = document["components"]["schemas"]
    assert set(exported["components"]["schemas"]) == set(served_schemas) | set(message_schemas())
