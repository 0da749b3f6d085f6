"""An offline stand-in for Stripe that speaks Stripe's wire format.

The backend reaches it only through the real ``stripe`` SDK (via its API base address) and the
browser only through the Stripe.js-compatible script it serves at ``/v3/``. It runs as its own
process (``python -m tools.stripe_standin``) and is never imported by the app.
"""
