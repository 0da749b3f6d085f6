"""API keys: the secret key for the backend, the publishable key (with a client secret) for browsers."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from typing import Any

from .errors import StripeError, authentication
from .payments import Caller
from .settings import Settings

NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization header, "
    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). "
    "See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
)
PUBLISHABLE_NOT_ALLOWED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a "
    "list of your API keys at https://dashboard.stripe.com/account/apikeys."
)


def _key_from_header(authorization: str) -> str | None:
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return credentials.strip() or None
    if scheme.lower() == "basic":  # curl -u sk_test_...:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def _masked(key: str) -> str:
    if len(key) <= 12:
        return "*" * len(key)
    prefix = key[: key.find("_", 3) + 1] if key.count("_") >= 2 else key[:3]
    return prefix + "*" * (len(key) - len(prefix) - 4) + key[-4:]


def authenticate(
    headers: Mapping[str, str], params: dict[str, Any], settings: Settings, *, publishable_allowed: bool
) -> Caller:
    """Identify the caller; Stripe.js sends the publishable key as the form field ``key``."""
    form_key = params.pop("key", None)
    key = _key_from_header(headers.get("authorization", "")) or (form_key if isinstance(form_key, str) else None)
    if not key:
        raise authentication(NO_KEY)
    if hmac.compare_digest(key.encode(), settings.secret_key.encode()):
        return Caller(publishable=False)
    if hmac.compare_digest(key.encode(), settings.publishable_key.encode()):
        if not publishable_allowed:
            raise StripeError(401, "invalid_request_error", PUBLISHABLE_NOT_ALLOWED)
        return Caller(publishable=True)
    raise authentication(f"Invalid API Key provided: {_masked(key)}")
