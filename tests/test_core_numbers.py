"""finite_decimal: what typed numbers the services accept before their own checks."""

from decimal import Decimal

import pytest

from allocations.core.numbers import finite_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" 7 ", Decimal("7")),
        (3, Decimal("3")),
        (0.1, Decimal("0.1")),  # the float's shortest text, not its binary value
        (Decimal("-1.5"), Decimal("-1.5")),
        ("1e3", Decimal("1E+3")),
    ],
)
def test_numbers_are_read(value, expected):
    assert finite_decimal(value) == expected


@pytest.mark.parametrize("value", ["", "abc", "1,5", None, "NaN", "Infinity", float("nan"),
                                   Decimal("Infinity"), [1]])  # fmt: skip
def test_anything_else_is_none(value):
    assert finite_decimal(value) is None
