"""Degenerate device keys are never certified, and never verify: the eight Ed25519 points of small order (with the
identity, a signature made of the base point and 1 verifies every message) and every non-canonical encoding, refused
when a fan binds them (PUT /api/v1/tickets/{id}/device) and at the online gate, for a certificate that was issued
before they were refused. The browser's offline verifier applies the same rule (frontend/test/gate.test.ts)."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.tickets import rotating
from backend.tickets.encoding import b64
from tests.conftest import ENV
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, buy, current_step
from tests.tickets.small_order import BASE, encode, non_canonical_encodings, small_order_points, universal_signature

SMALL_ORDER = small_order_points()
# The same eight, as published (libsodium's blocklist, "Taming the many EdDSAs"): the arithmetic above finds them.
PUBLISHED = {
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}
IDENTITY_B64 = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # the key from the report


def test_the_eight_points_are_the_published_ones() -> None:
    assert {encode(point).hex() for point in SMALL_ORDER} == PUBLISHED
    assert b64(encode((0, 1))) == IDENTITY_B64


@pytest.mark.parametrize("point", SMALL_ORDER, ids=lambda p: f"{encode(p).hex()[:6]}..{encode(p).hex()[-2:]}")
def test_a_small_order_key_verifies_a_forged_signature_but_is_refused(point) -> None:
    raw = encode(point)
    message = b"TKR1.certificate.signature.123456"
    forged = universal_signature(point, message)
    Ed25519PublicKey.from_public_bytes(raw).verify(forged, message)  # OpenSSL alone accepts it: the threat is real
    with pytest.raises(ValueError):
        rotating.check_device_key("Ed25519", raw)
    assert not rotating._device_signature_holds("Ed25519", raw, forged, message)


def test_the_identity_signs_everything_with_the_base_point_and_one() -> None:
    anything = encode(BASE) + (1).to_bytes(32, "little")
    for message in (b"hello", b"TKR1.a.b.1", b"TKR1.a.b.2"):
        Ed25519PublicKey.from_public_bytes(encode((0, 1))).verify(anything, message)


def test_non_canonical_encodings_are_refused() -> None:
    encodings = non_canonical_encodings()
    assert len(encodings) == 40
    for raw in encodings:
        with pytest.raises(ValueError):
            rotating.check_device_key("Ed25519", raw)


def test_real_device_keys_pass() -> None:
    for _ in range(300):
        raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        rotating.check_device_key("Ed25519", raw)


async def test_binding_a_degenerate_key_is_422(server, fan) -> None:
    show = await create_show(rows=1, seats_per_row=2)
    (ticket,) = await buy(server, fan, show.id, show.rows["Front/A"][:1])
    for raw in [encode(point) for point in SMALL_ORDER] + non_canonical_encodings()[::3]:
        response = await fan.put(f"/api/v1/tickets/{ticket['ticket_id']}/device",
                                 json={"alg": "Ed25519", "public_key": b64(raw)})
        assert response.status_code == 422, (raw.hex(), response.text)
        assert response.json()["error"] == "invalid_device_key"
    identity = await fan.put(f"/api/v1/tickets/{ticket['ticket_id']}/device",
                             json={"alg": "Ed25519", "public_key": IDENTITY_B64})
    assert identity.status_code == 422


async def test_a_certificate_for_a_degenerate_key_never_verifies_at_the_gate(server, fan) -> None:
    """As if issued before such keys were refused: the show's own signature over a certificate naming each small
    order key, and a forged device signature that the key accepts. The gate answers invalid."""
    show = await create_show(rows=1, seats_per_row=2)
    (ticket,) = await buy(server, fan, show.id, show.rows["Front/A"][:1])
    secret = (ENV.var_dir / "secret_key").read_text().strip()
    now = current_step() * rotating.STEP_SECONDS
    for point in SMALL_ORDER:
        cert = rotating.Certificate(int(ticket["ticket_id"]), show.id, int(ticket["seat"]["id"]), 0, "Front A-1",
                                    "Ed25519", encode(point), now - 600, now + 3600)
        signed = f"{rotating.issue_certificate(secret, cert)}.{current_step()}"
        forged = universal_signature(point, signed.encode())
        try:  # the device signature holds for the key it names...
            Ed25519PublicKey.from_public_bytes(encode(point)).verify(forged, signed.encode())
        except InvalidSignature:
            pytest.fail("the forged signature should verify under the degenerate key")
        code = f"{signed}.{base64.urlsafe_b64encode(forged).decode().rstrip('=')}"
        response = await fan.post("/api/v1/tickets/verify", json={"code": code, "show_id": str(show.id)},
                                   headers=SCANNER)
        assert response.status_code == 200 and response.json()["result"] == "invalid", response.text  # ...refused
