"""The values an importer types, read the way the checks (and the rest of the customs
area) compare them: HS codes, serial numbers, line amounts."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

_HS_SEPARATORS = re.compile(r"[\s.\-\u00a0]+")


def normalise_hs_code(raw: str) -> str:
    """'8471 50 000 0' or '8471.50.000.0' → '8471500000' (no other change: check it after)."""
    return _HS_SEPARATORS.sub("", raw or "")


def normalise_serial(raw: str) -> str:
    """Trimmed, upper-case, inner whitespace collapsed to one space."""
    return " ".join((raw or "").split()).upper()


def format_hs_code(code: str) -> str:
    """'8471500000' → '8471 50 000 0' (how the EAEU nomenclature writes it); prefixes are
    grouped the same way as far as they go ('847330' → '8473 30')."""
    parts, start = [], 0
    for size in (4, 2, 3, 1):
        if start >= len(code):
            break
        parts.append(code[start : start + size])
        start += size
    return " ".join(parts) if code.isdigit() else code


def is_valid_hs_code(code: str) -> bool:
    return len(code) == 10 and code.isascii() and code.isdigit()


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
