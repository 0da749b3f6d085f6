"""Payments: checkout through Stripe, the webhook, one settlement path, the reconciler and the hash-chained ledger.

Card data never reaches this package: the browser confirms the payment with Stripe (or its stand-in) directly.
"""
