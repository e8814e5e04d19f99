"""Reading numbers that people or forms typed, for the services that must refuse bad ones
with a message of their own."""

from decimal import Decimal, InvalidOperation


def finite_decimal(value) -> Decimal | None:
    """`value` (a Decimal, an int, a float or text) as a finite Decimal; None when it is not
    a number (text, NaN, infinity, None). A float goes through its shortest text, so 0.1
    stays 0.1 rather than its binary approximation."""
    if isinstance(value, Decimal):
        number = value
    else:
        try:
            number = Decimal(str(value).strip())
        except (InvalidOperation, TypeError, ValueError):
            return None
    return number if number.is_finite() else None
