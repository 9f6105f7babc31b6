"""Currencies: ISO 4217 codes, amounts always in integer minor units (cents)."""

from __future__ import annotations

import pycountry

# Largest amount accepted anywhere (minor units). It keeps totals far inside a signed 64-bit
# column even for an order of many expensive lines.
MAX_AMOUNT = 10**12


def is_iso4217(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code written in upper case (e.g. ``EUR``)."""
    return (
        len(code) == 3
        and code.isascii()
        and code.isupper()
        and pycountry.currencies.get(alpha_3=code) is not None
    )
