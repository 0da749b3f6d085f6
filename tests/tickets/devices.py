"""A fan's device as the web app is one (a key pair, its certificate, a signature per time step), and a ticket bought
through the real purchase path; shared by the ticket tests and the e2e gate tests."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.tickets.encoding import b64
from backend.tickets.gate_tokens import gate_token
from backend.tickets.rotating import STEP_SECONDS
from tests.payments.helpers import Standin, hold_and_checkout, order_status_becomes
from tests.support.servers import ServerProcess

SCANNER_TOKEN = "dev-scanner-token"
SCANNER = {"Authorization": f"Bearer {SCANNER_TOKEN}"}  # the operator's token: names no show


def gate(show_id: int | str) -> dict[str, str]:
    """The headers of a hand-held gate device set up for one show (its gate token)."""
    return {"Authorization": f"Bearer {gate_token(SCANNER_TOKEN, int(show_id))}"}


def current_step() -> int:
    return int(time.time() // STEP_SECONDS)


@dataclass
class Device:
    alg: str = "Ed25519"
    key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey = field(init=False)

    def __post_init__(self) -> None:
        self.key = Ed25519PrivateKey.generate() if self.alg == "Ed25519" else ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        encoding = PublicFormat.Raw if self.alg == "Ed25519" else PublicFormat.UncompressedPoint
        return b64(self.key.public_key().public_bytes(Encoding.X962 if self.alg == "ES256" else Encoding.Raw,
                                                      encoding))

    def sign(self, message: bytes) -> bytes:
        if isinstance(self.key, Ed25519PrivateKey):
            return self.key.sign(message)
        r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32) + s.to_bytes(32)  # IEEE P1363, as WebCrypto signs

    async def bind(self, fan: httpx.AsyncClient, ticket_id: str, move: bool = False) -> httpx.Response:
        return await fan.put(f"/api/v1/tickets/{ticket_id}/device",
                             json={"alg": self.alg, "public_key": self.public_key, "move": move})

    async def certificate(self, fan: httpx.AsyncClient, ticket_id: str, move: bool = False) -> str:
        response = await self.bind(fan, ticket_id, move)
        assert response.status_code == 200, response.text
        return response.json()["certificate"]

    def code(self, certificate: str, step: int | None = None) -> str:
        signed = f"{certificate}.{current_step() if step is None else step}"
        return f"{signed}.{b64(self.sign(signed.encode()))}"


async def buy(server: ServerProcess, fan: httpx.AsyncClient, show_id: int | str, seat_ids: list[str]) -> list[dict]:
    """Tickets for these seats, paid through the Stripe stand-in and settled by its webhook."""
    order = await hold_and_checkout(fan, show_id, seat_ids)
    await Standin(server).pay(order["payment"]["client_secret"])
    paid = await order_status_becomes(fan, order["order_id"], "paid")
    return sorted(paid["tickets"], key=lambda t: int(t["ticket_id"]))


def forged_certificate(genuine: str, thief: Device) -> str:
    """A genuine certificate rewritten to name the thief's device, signed with a key that is not the show's."""
    prefix, cert_b64, _ = genuine.split(".")
    fields = json.loads(base64.urlsafe_b64decode(cert_b64 + "=" * (-len(cert_b64) % 4)))
    body = f"{prefix}.{b64(json.dumps([*fields[:5], thief.alg, thief.public_key, *fields[7:]]).encode())}"
    return f"{body}.{b64(Ed25519PrivateKey.generate().sign(body.encode()))}"
