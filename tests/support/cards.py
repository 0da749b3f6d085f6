"""Stripe's public test card numbers (https://docs.stripe.com/testing), every network, and the ways a client could
write one: without separators, or grouped as the card prints it, by spaces or by dashes.

The screen at the edge must refuse every one of these, whatever field or JSON position it is sent in."""

from __future__ import annotations

from collections.abc import Iterator

# "Cards by brand": every network Stripe lists.
BY_BRAND: dict[str, tuple[str, ...]] = {
    "Visa": ("4242424242424242", "4000056655665556"),
    "Mastercard": ("5555555555554444", "5200828282828210", "5105105105105100"),
    "Mastercard 2-series": ("2223003122003222",),
    "American Express": ("378282246310005", "371449635398431"),
    "Discover": ("6011111111111117", "6011000990139424", "6011981111111113"),
    "Diners Club": ("3056930009020004", "36227206271667"),
    "BCcard and DinaCard": ("6555900000604105",),
    "JCB": ("3566002020360505",),
    "UnionPay": ("6200000000000005", "6200000000000047", "6205500000000000004"),
}
# Older Stripe lists, and the cards for declines, 3D Secure and billing countries (all Luhn-valid).
OTHERS: tuple[str, ...] = (
    "4012888888881881", "4111111111111111", "30569309025904", "38520000023237", "3530111333300000",
    "4000000000000002", "4000000000009995", "4000000000009987", "4000000000009979", "4000000000000069",
    "4000000000000127", "4000000000000119", "4000000000000077", "4000000000000093", "4000002500003155",
    "4000000000003220", "4000002760003184", "4000008260003178", "4000003800000446", "4000002500001001",
    "4000000760000002", "4000001240000000", "4000004840008001", "4000000400000008", "4000002760000016",
    "4000008260000000", "5555558265554449", "4000003920000003", "4000007020000003", "4000000360000006",
)
ALL: tuple[str, ...] = tuple(number for numbers in BY_BRAND.values() for number in numbers) + OTHERS


def printed_groups(number: str) -> tuple[int, ...]:
    """How the card prints its number: Amex 4-6-5, 14-digit Diners 4-6-4, the rest in fours."""
    if len(number) == 15:
        return (4, 6, 5)
    if len(number) == 14:
        return (4, 6, 4)
    return tuple(min(4, len(number) - start) for start in range(0, len(number), 4))


def _grouped(number: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(number[start:start + size])
        start += size
    return separator.join(parts)


def groupings(number: str) -> Iterator[str]:
    """The number as a client might write it: bare, and in its printed groups (also in fours) by spaces or dashes."""
    yield number
    fours = tuple(min(4, len(number) - start) for start in range(0, len(number), 4))
    for sizes in dict.fromkeys((printed_groups(number), fours)):
        for separator in (" ", "-"):
            yield _grouped(number, sizes, separator)
