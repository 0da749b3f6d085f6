"""Rotating ticket codes: a device certificate signed by the show's key, plus the device's signature over the time.

Format (ASCII; about 340 characters with an Ed25519 device key, a QR code of version 14 at level M):

    TKR1.<certificate>.<show signature>.<time step>.<device signature>

- `certificate` is base64url(JSON array) `[ticket_id, show_id, seat_id, serial, seat_label, alg, device_public_key,
  not_before, not_after]`: the device key is base64url of its raw bytes (Ed25519: 32 bytes; ES256: the 65-byte
  uncompressed P-256 point), times are Unix seconds.
- `show signature` is the show's Ed25519 signature over the ASCII text `TKR1.<certificate>`.
- `time step` is floor(unix time / 15) in decimal, chosen by the fan's device when it draws the code.
- `device signature` is the device key's signature over the ASCII text before it, `TKR1.<cert>.<show sig>.<step>`
  (Ed25519, or ECDSA P-256 SHA-256 as IEEE P1363 r||s, which is what WebCrypto produces).

Every signature covers the text before it, so the browser signs and the scanner verifies plain strings. A scanner
needs the show's public key and the revocation list (ticket id -> current serial); no per-ticket secret.
This module is pure: no database, no clock of its own.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Literal

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.tickets.device_keys import check_ed25519_public_key
from backend.tickets.encoding import b64, unb64

PREFIX = "TKR1"
STEP_SECONDS = 15
# A code drawn in the step before or after the scanner's own still passes: phone and scanner clocks differ by a few
# seconds. Two steps away is `expired`, so a screenshot is worthless 15 to 45 seconds after it was taken.
STEP_TOLERANCE = 1
MAX_CODE_LENGTH = 1024
DeviceAlg = Literal["Ed25519", "ES256"]
DEVICE_ALGS = frozenset(("Ed25519", "ES256"))


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass(frozen=True)
class Certificate:
    ticket_id: int
    show_id: int
    seat_id: int
    serial: int
    seat_label: str
    alg: DeviceAlg
    device_key: bytes
    not_before: int
    not_after: int

    def payload(self) -> bytes:
        return msgspec.json.encode([self.ticket_id, self.show_id, self.seat_id, self.serial, self.seat_label,
                                    self.alg, b64(self.device_key), self.not_before, self.not_after])


@dataclass(frozen=True)
class RotatingCode:
    certificate: Certificate
    step: int
    verdict: Verdict


def time_step(unix_seconds: float) -> int:
    return int(unix_seconds // STEP_SECONDS)


@lru_cache(maxsize=256)
def show_signing_key(secret_key: str, show_id: int) -> Ed25519PrivateKey:
    """Each show's key is derived from the server's secret, so there is nothing per show to store or back up, and a
    scanner trusted with one show's public key learns nothing about another show's codes."""
    seed = hmac.new(secret_key.encode(), b"showtime show gate key\x00" + str(show_id).encode(), hashlib.sha256)
    return Ed25519PrivateKey.from_private_bytes(seed.digest())


def show_public_key(secret_key: str, show_id: int) -> bytes:
    return show_signing_key(secret_key, show_id).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def issue_certificate(secret_key: str, cert: Certificate) -> str:
    """`TKR1.<certificate>.<show signature>`: what the fan's device keeps and prefixes to each step's signature."""
    body = f"{PREFIX}.{b64(cert.payload())}"
    return f"{body}.{b64(show_signing_key(secret_key, cert.show_id).sign(body.encode()))}"


def check_device_key(alg: str, raw: bytes) -> None:
    """Raises ValueError unless `raw` is a usable public key of `alg`: for Ed25519 the canonical encoding of a point
    outside the small subgroup (device_keys); for ES256 a point on P-256 (whose group has no small subgroup)."""
    if alg == "Ed25519" and len(raw) == 32:
        check_ed25519_public_key(raw)
        Ed25519PublicKey.from_public_bytes(raw)
    elif alg == "ES256" and len(raw) == 65:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    else:
        raise ValueError("unsupported device key")


def _device_signature_holds(alg: str, key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        # Also at the gate: a certificate issued before degenerate keys were refused must not verify either.
        check_device_key(alg, key)
        if alg == "Ed25519":
            Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        elif alg == "ES256" and len(signature) == 64:
            der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key).verify(
                der, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _certificate(payload: bytes) -> Certificate:
    (ticket_id, show_id, seat_id, serial, seat_label, alg, device_key, not_before, not_after) = msgspec.json.decode(
        payload, type=tuple[int, int, int, int, str, str, str, int, int])
    if alg not in DEVICE_ALGS:
        raise ValueError("unsupported device algorithm")
    return Certificate(ticket_id, show_id, seat_id, serial, seat_label, alg,  # type: ignore[arg-type]
                       unb64(device_key), not_before, not_after)


def read_rotating_code(show_key: Ed25519PublicKey | None, code: str, now: float) -> RotatingCode | None:
    """The certificate and verdict of a rotating code, or None when it is not one this show's key signed.

    `show_key` is the key of the show the code claims (None when that show is unknown). Order of checks: the show's
    signature, then the certificate's validity window, then the device's signature, then the time step; only a code
    that is genuine in every other way can be `expired` rather than `invalid`.
    """
    try:
        if len(code) > MAX_CODE_LENGTH or show_key is None:
            return None
        prefix, cert_b64, show_sig_b64, step_text, device_sig_b64 = code.strip().split(".")
        if prefix != PREFIX or not (step_text.isascii() and step_text.isdigit()) or len(step_text) > 12:
            return None
        show_key.verify(unb64(show_sig_b64), f"{PREFIX}.{cert_b64}".encode())
        cert = _certificate(unb64(cert_b64))
    except (ValueError, InvalidSignature, msgspec.DecodeError, TypeError):
        return None
    step = int(step_text)
    signed = f"{PREFIX}.{cert_b64}.{show_sig_b64}.{step_text}".encode()
    try:
        device_signature = unb64(device_sig_b64)
    except ValueError:
        return RotatingCode(cert, step, Verdict.INVALID)
    if not cert.not_before <= now <= cert.not_after:
        return RotatingCode(cert, step, Verdict.INVALID)
    if not _device_signature_holds(cert.alg, cert.device_key, device_signature, signed):
        return RotatingCode(cert, step, Verdict.INVALID)
    if abs(time_step(now) - step) > STEP_TOLERANCE:
        return RotatingCode(cert, step, Verdict.EXPIRED)
    return RotatingCode(cert, step, Verdict.VALID)


def claimed_show(code: str) -> int | None:
    """The show a rotating code names, read before any signature is checked: only to pick the key to check with."""
    try:
        prefix, cert_b64, *_ = code.strip().split(".")
        if prefix != PREFIX or len(code) > MAX_CODE_LENGTH:
            return None
        return _certificate(unb64(cert_b64)).show_id
    except (ValueError, msgspec.DecodeError, TypeError):
        return None
