"""Stripe's error objects: ``{"error": {"type": ..., "message": ..., ...}}`` with Stripe's HTTP statuses."""

from __future__ import annotations

from typing import Any

DOCS = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error the API answers with; ``body()`` is exactly what Stripe would send."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"type": error_type, "message": message}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = DOCS + code.replace("_", "-")
        if param:
            self.error["param"] = param
        if decline_code:
            self.error["decline_code"] = decline_code
        self.error.update(extra)

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def invalid_request(message: str, *, code: str | None = None, param: str | None = None) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code=code, param=param)


def missing_param(param: str) -> StripeError:
    return invalid_request(f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown_param(param: str) -> StripeError:
    return invalid_request(
        f"Received unknown parameter: {param} (not supported by the Stripe stand-in)",
        code="parameter_unknown",
        param=param,
    )


def resource_missing(kind: str, object_id: str, param: str = "id") -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def unexpected_state(message: str, **extra: Any) -> StripeError:
    return StripeError(400, "invalid_request_error", message, code="payment_intent_unexpected_state", **extra)


def authentication(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)


def unrecognized_url(method: str, path: str) -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )
