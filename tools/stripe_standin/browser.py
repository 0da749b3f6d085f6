"""What the browser loads: the Stripe.js-compatible script and the card form's iframe page.

The script (``/v3/``) runs in the shop's page; the card form (``/elements/payment-frame``) runs in an
iframe on the stand-in's own origin, so no card number ever enters the shop's page or reaches the
shop's server. Both are plain files in ``static/``.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Response, get

STATIC = Path(__file__).parent / "static"

# The card form's page allows nothing but its own script, styles and the stand-in's API.
FRAME_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)


def _static(name: str, media_type: str, **headers: str) -> Response:
    return Response(
        (STATIC / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", **headers},
    )


@get(["/v3", "/v3/"], include_in_schema=False)
async def stripe_js() -> Response:
    return _static(
        "stripe-v3.js",
        "application/javascript; charset=utf-8",
        **{"Cross-Origin-Resource-Policy": "cross-origin"},
    )


@get("/elements/payment-frame", include_in_schema=False)
async def payment_frame() -> Response:
    return _static(
        "payment-frame.html",
        "text/html; charset=utf-8",
        **{"Content-Security-Policy": FRAME_POLICY, "Referrer-Policy": "no-referrer"},
    )


@get("/elements/payment-frame.js", include_in_schema=False)
async def payment_frame_script() -> Response:
    return _static("payment-frame.js", "application/javascript; charset=utf-8")


@get("/elements/payment-frame.css", include_in_schema=False)
async def payment_frame_styles() -> Response:
    return _static("payment-frame.css", "text/css; charset=utf-8")


routes = [stripe_js, payment_frame, payment_frame_script, payment_frame_styles]
