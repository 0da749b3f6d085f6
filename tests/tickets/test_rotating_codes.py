"""Rotating codes against the real server: the online check is the authority on every kind of bad code."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from base64 import urlsafe_b64decode
from dataclasses import dataclass

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend.accounts.staff import create_scanner
from backend.tickets import rotating
from backend.tickets.encoding import b64
from backend.tickets.rotating import STEP_SECONDS, Verdict, read_rotating_code
from tests.conftest import STRONG_PASSWORD
from tests.support.data import create_show
from tests.tickets.devices import SCANNER, Device, buy, current_step, forged_certificate, gate


async def verify(server, code: str, show_id: int, **extra: str) -> dict:
    """The code, checked by a gate device set up for that show (its gate token)."""
    async with httpx.AsyncClient(base_url=server.url) as scanner:
        response = await scanner.post("/api/v1/tickets/verify", json={"code": code, **extra}, headers=gate(show_id))
    assert response.status_code == 200, response.text
    return response.json()


async def fresh_step() -> None:
    """Wait out the last five seconds of a step, so a test's code and its check fall in the same one."""
    left = STEP_SECONDS - time.time() % STEP_SECONDS
    if left < 5:
        await asyncio.sleep(left + 0.05)


def unpad(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture
async def bought(server, fan) -> tuple[object, list[dict]]:
    show = await create_show(rows=1, seats_per_row=6)
    return show, await buy(server, fan, show.id, show.rows["Front/A"][:4])


@pytest.mark.parametrize("alg", ["Ed25519", "ES256"])
async def test_rotating_code_is_valid_now_once_then_already_scanned(server, fan, bought, alg) -> None:
    show, tickets = bought
    device = Device(alg)
    certificate = await device.certificate(fan, tickets[0]["ticket_id"])
    assert await device.certificate(fan, tickets[0]["ticket_id"]) == certificate  # same device: same certificate
    await fresh_step()
    first = await verify(server, device.code(certificate), show.id, gate="North 1")
    assert (first["result"], first["kind"], first["scanned_gate"]) == ("valid", "rotating", "North 1")
    assert first["ticket"]["ticket_id"] == tickets[0]["ticket_id"]
    again = await verify(server, device.code(certificate), show.id, gate="South 2")
    assert (again["result"], again["scanned_at"], again["scanned_gate"]) == (
        "already_scanned", first["scanned_at"], "North 1")


async def test_same_code_two_steps_later_is_expired_and_lets_nobody_in(server, fan, bought) -> None:
    show, tickets = bought
    device = Device()
    certificate = await device.certificate(fan, tickets[0]["ticket_id"])
    await fresh_step()
    assert (await verify(server, device.code(certificate, current_step() - 2), show.id))["result"] == "expired"
    assert (await verify(server, device.code(certificate, current_step() + 2), show.id))["result"] == "expired"
    # One step either way is clock skew between phone and scanner, not a screenshot.
    assert (await verify(server, device.code(certificate, current_step() - 1), show.id))["result"] == "valid"


@dataclass(frozen=True)
class _Issued:
    """A device's certificate for seat 3 of show 7, good from a minute before `now` to an hour after, made
    in-process with a fresh server secret; the show's public key to read its codes with."""

    secret: str
    device: Device
    cert: rotating.Certificate
    certificate: str
    show_key: Ed25519PublicKey


def _issued(now: float, alg: str = "Ed25519") -> _Issued:
    secret, device = secrets.token_hex(16), Device(alg)
    cert = rotating.Certificate(1, 7, 3, 1, "Stalls A-1", alg, unpad(device.public_key),  # type: ignore[arg-type]
                                int(now) - 60, int(now) + 3600)
    return _Issued(secret, device, cert, rotating.issue_certificate(secret, cert),
                   Ed25519PublicKey.from_public_bytes(rotating.show_public_key(secret, 7)))


def test_the_same_code_read_two_steps_later_is_expired() -> None:
    now = time.time()
    issued = _issued(now)
    cert, show_key = issued.cert, issued.show_key
    code = issued.device.code(issued.certificate, rotating.time_step(now))
    verdicts = [read_rotating_code(show_key, code, now + k * STEP_SECONDS).verdict for k in (0, 1, 2)]
    assert verdicts == [Verdict.VALID, Verdict.VALID, Verdict.EXPIRED]
    other_show = Ed25519PublicKey.from_public_bytes(rotating.show_public_key(issued.secret, 8))
    assert read_rotating_code(other_show, code, now) is None
    assert read_rotating_code(show_key, code, cert.not_after + 1).verdict is Verdict.INVALID


def _genuine_code(now: float) -> tuple[str, Ed25519PublicKey]:
    issued = _issued(now)
    return issued.device.code(issued.certificate, rotating.time_step(now)), issued.show_key


@pytest.mark.parametrize("step", ["1a", "\u0663\u0664", "", "-1", "1" * 13])
def test_a_time_step_that_is_not_ascii_digits_is_no_code(step: str) -> None:
    """Not an error either: a scanner's garbage is answered `invalid`, never with a 500."""
    now = time.time()
    code, show_key = _genuine_code(now)
    prefix, cert, show_signature, _, device_signature = code.split(".")
    assert read_rotating_code(show_key, ".".join((prefix, cert, show_signature, step, device_signature)), now) is None


def test_a_time_step_is_fifteen_seconds_as_the_fan_s_device_counts_them() -> None:
    # The format (rotating.py's docstring, and the web app's ticket page) fixes it: floor(unix time / 15).
    assert [rotating.time_step(t) for t in (0, 14.999, 15, 1_799_999_999, 1_800_000_000)] == [
        0, 0, 1, 119_999_999, 120_000_000]


def test_an_es256_signature_of_the_wrong_length_is_invalid() -> None:
    """WebCrypto signs P-256 as r||s, 64 bytes; anything else from an ES256 device is no signature."""
    now = time.time()
    issued = _issued(now, "ES256")
    show_key = issued.show_key
    code = issued.device.code(issued.certificate, rotating.time_step(now))
    assert read_rotating_code(show_key, code, now).verdict is Verdict.VALID
    signed, signature = code.rsplit(".", 1)
    for wrong in (unpad(signature)[:63], unpad(signature) + b"\x00"):
        assert read_rotating_code(show_key, f"{signed}.{b64(wrong)}", now).verdict is Verdict.INVALID


def test_an_es256_signature_must_be_its_64_bytes_even_when_shorter_would_read_the_same() -> None:
    """When s begins with a zero byte, r||s without that byte parses to the same (r, s): still refused, since
    WebCrypto always sends 64 bytes and a second spelling of one signature is a forgery's first step."""
    now = time.time()
    issued = _issued(now, "ES256")
    signed = f"{issued.certificate}.{rotating.time_step(now)}"
    signature = issued.device.sign(signed.encode())
    while signature[32] != 0:  # one signature in 256 (ECDSA draws a new nonce each time)
        signature = issued.device.sign(signed.encode())
    show_key = issued.show_key
    assert read_rotating_code(show_key, f"{signed}.{b64(signature)}", now).verdict is Verdict.VALID
    short = signature[:32] + signature[33:]
    assert read_rotating_code(show_key, f"{signed}.{b64(short)}", now).verdict is Verdict.INVALID


def test_a_code_may_be_as_long_as_the_limit_and_no_longer() -> None:
    """Whitespace around a scanned code is not part of it, but counts against the limit."""
    now = time.time()
    code, show_key = _genuine_code(now)
    at_limit = code + " " * (rotating.MAX_CODE_LENGTH - len(code))
    assert read_rotating_code(show_key, at_limit, now).verdict is Verdict.VALID
    assert rotating.claimed_show(at_limit) == 7
    assert read_rotating_code(show_key, at_limit + " ", now) is None
    assert rotating.claimed_show(at_limit + " ") is None


def test_a_device_key_must_be_of_its_own_algorithm() -> None:
    ed25519, es256 = unpad(Device().public_key), unpad(Device("ES256").public_key)
    rotating.check_device_key("Ed25519", ed25519)
    rotating.check_device_key("ES256", es256)
    for alg, raw in (("ES256", ed25519), ("Ed25519", es256), ("RS256", ed25519)):
        with pytest.raises(ValueError, match="unsupported device key"):
            rotating.check_device_key(alg, raw)


def test_a_code_of_a_step_far_off_but_well_formed_is_expired_and_a_garbage_step_is_none() -> None:
    now = time.time()
    issued = _issued(now)
    device, cert, certificate, show_key = issued.device, issued.cert, issued.certificate, issued.show_key
    # Twelve digits: as long as a step may be (Unix time / 15 has nine until the year 2446).
    assert read_rotating_code(show_key, device.code(certificate, 10**12 - 1), now).verdict is Verdict.EXPIRED
    assert read_rotating_code(show_key, device.code(certificate, 10**12), now) is None
    # A device signature that is not even base64url is answered invalid, never an error.
    signed = device.code(certificate, rotating.time_step(now)).rsplit(".", 1)[0]
    for garbage in ("!!!", "A", "é" * 86):
        assert read_rotating_code(show_key, f"{signed}.{garbage}", now).verdict is Verdict.INVALID
    # From its first second to its last: a certificate is good at not_before and at not_after themselves.
    for edge in (cert.not_before, cert.not_after):
        assert read_rotating_code(show_key, device.code(certificate, rotating.time_step(edge)),
                                  float(edge)).verdict is Verdict.VALID


def test_the_claimed_show_is_read_only_from_a_rotating_code_of_a_sane_length() -> None:
    now = time.time()
    code, _ = _genuine_code(now)
    assert rotating.claimed_show(code) == 7
    assert rotating.claimed_show("TKR2" + code[4:]) is None
    assert rotating.claimed_show(code + "A" * (rotating.MAX_CODE_LENGTH - len(code) + 1)) is None


async def test_forged_other_show_wrong_device_and_revoked_codes_are_invalid(server, fan, bought) -> None:
    show, tickets = bought
    other = await create_show(rows=1, seats_per_row=2)
    device, thief = Device(), Device("ES256")
    certificate = await device.certificate(fan, tickets[0]["ticket_id"])
    prefix, cert_b64, show_sig = certificate.split(".")
    fields = json.loads(unpad(cert_b64))
    await fresh_step()

    forged = forged_certificate(certificate, thief)
    # Altered: the genuine signature over a certificate edited to name another seat.
    altered = f"{prefix}.{b64(json.dumps([*fields[:2], fields[2] + 1, *fields[3:]]).encode())}.{show_sig}"
    cases = {
        "forged certificate": thief.code(forged),
        "altered certificate": device.code(altered),
        "wrong device signature": thief.code(certificate),
        "truncated": device.code(certificate)[:-3],
        "garbage": "TKR1.not.a.real.code",
    }
    for name, code in cases.items():
        answer = await verify(server, code, show.id)
        assert (answer["result"], answer["reason"]) == ("invalid", "not_genuine"), name
    # A genuine code, shown at another show's gate.
    elsewhere = await verify(server, device.code(certificate), other.id)
    assert (elsewhere["result"], elsewhere["reason"]) == ("invalid", "other_show")

    # Moved to a new phone: the old phone's codes and the static code are revoked, the new phone's are good.
    assert (await device.bind(fan, tickets[1]["ticket_id"])).status_code == 200
    old_certificate = await device.certificate(fan, tickets[1]["ticket_id"])
    new_phone = Device("ES256")
    refused = await new_phone.bind(fan, tickets[1]["ticket_id"])
    assert refused.status_code == 409 and refused.json()["error"] == "bound_to_other_device"
    new_certificate = await new_phone.certificate(fan, tickets[1]["ticket_id"], move=True)
    old = await verify(server, device.code(old_certificate), show.id)
    assert (old["result"], old["reason"]) == ("invalid", "revoked")
    assert (await verify(server, tickets[1]["code"], show.id))["reason"] == "revoked"
    moved = await verify(server, new_phone.code(new_certificate), show.id)
    assert (moved["result"], moved["kind"]) == ("valid", "rotating")


async def test_static_fallback_is_valid_and_marked_static(server, bought) -> None:
    show, tickets = bought
    result = await verify(server, tickets[2]["code"], show.id)
    assert (result["result"], result["kind"]) == ("valid", "static")


async def test_only_the_owner_binds_and_only_real_keys(server, make_fan, bought) -> None:
    _, tickets = bought
    stranger = await make_fan()
    assert (await Device().bind(stranger, tickets[0]["ticket_id"])).status_code == 404
    async with httpx.AsyncClient(base_url=server.url) as anon:
        assert (await Device().bind(anon, tickets[0]["ticket_id"])).status_code == 401
    bad = await stranger.put(f"/api/v1/tickets/{tickets[0]['ticket_id']}/device",
                             json={"alg": "Ed25519", "public_key": "A" * 43})
    assert bad.status_code in (404, 422)


async def signed_in_scanner(server) -> httpx.AsyncClient:
    email = f"gate-{secrets.token_hex(4)}@example.com"
    await create_scanner(email, password=STRONG_PASSWORD)
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": STRONG_PASSWORD})
    assert response.status_code == 200 and response.json()["role"] == "scanner", response.text
    return client


async def test_gate_bundle_needs_a_scanner_and_lists_revocations(server, fan, bought) -> None:
    show, tickets = bought
    assert (await fan.get(f"/api/v1/shows/{show.id}/gate")).json()["error"] == "scanner_role_required"
    async with httpx.AsyncClient(base_url=server.url) as anon:
        assert (await anon.get(f"/api/v1/shows/{show.id}/gate")).status_code == 401
        wrong = await anon.get(f"/api/v1/shows/{show.id}/gate", headers={"Authorization": "dev-scanner-token"})
        assert wrong.status_code == 401
        assert (await anon.get(f"/api/v1/shows/{show.id}/gate", headers=SCANNER)).status_code == 200
    first, second = Device(), Device()
    await first.certificate(fan, tickets[3]["ticket_id"])
    await second.certificate(fan, tickets[3]["ticket_id"], move=True)
    scanner = await signed_in_scanner(server)
    try:
        bundle = (await scanner.get(f"/api/v1/shows/{show.id}/gate")).json()
    finally:
        await scanner.aclose()
    assert {k["use"] for k in bundle["keys"]} == {"rotating", "static"}
    assert bundle["step_seconds"] == STEP_SECONDS and bundle["title"]
    assert {"ticket_id": tickets[3]["ticket_id"], "min_serial": 2, "void": False} in bundle["revocations"]
    assert all(r["ticket_id"] != tickets[0]["ticket_id"] for r in bundle["revocations"])


async def test_uploaded_scans_report_duplicates_across_gates(server, fan, bought) -> None:
    show, tickets = bought
    device = Device()
    certificate = await device.certificate(fan, tickets[0]["ticket_id"])
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    await fresh_step()
    code = device.code(certificate)
    north, south = await signed_in_scanner(server), await signed_in_scanner(server)

    async def upload(scanner: httpx.AsyncClient, gate: str, scan: dict) -> list[dict]:
        response = await scanner.post("/api/v1/gate/scans", json={"show_id": str(show.id), "gate": gate,
                                                                  "scans": [scan]})
        assert response.status_code == 200, response.text
        return response.json()["items"]

    try:
        scan_a = {"scan_id": secrets.token_hex(8), "code": code, "scanned_at": now}
        scan_b = {"scan_id": secrets.token_hex(8), "code": code, "scanned_at": now}
        first = await upload(north, "North", scan_a)
        assert [(i["result"], i["duplicate"]) for i in first] == [("valid", False)]
        (item,) = await upload(south, "South", scan_b)
        assert (item["result"], item["duplicate"], item["scanned_gate"]) == ("already_scanned", True, "North")
        # A scanner that uploads the same scan twice (a lost answer) gets the first answer again.
        assert await upload(north, "North", scan_a) == first
    finally:
        await north.aclose()
        await south.aclose()
