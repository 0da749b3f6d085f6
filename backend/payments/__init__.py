"""Payments: checkout through Stripe, the webhook, one settlement path, the reconciler and the hash-chained ledger.

Card data never reaches this package: the browser confirms the payment with Stripe (or its stand-in) directly.
"""

# Spelled once: the route, the cross-site guard's exemption and the Stripe stand-in's webhook target use it.
WEBHOOK_PATH = "/api/v1/payments/stripe/webhook"
