"""Kazakh identifiers: BIN/IIN check digit (rule in shared/KZ-FACTS.md)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS_FIRST = tuple(range(1, 12))
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def bin_check_digit(first_eleven: str) -> int | None:
    """The check digit for 11 digits, or None when no valid digit exists."""
    digits = [int(c) for c in first_eleven]
    for weights in (_WEIGHTS_FIRST, _WEIGHTS_SECOND):
        check = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if check != 10:
            return check
    return None


def is_valid_bin(value: str) -> bool:
    """True for a 12-digit BIN or IIN whose last digit matches the check digit."""
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return False
    return bin_check_digit(value[:11]) == int(value[11])


def validate_bin(value: str) -> None:
    if value in (None, ""):
        return
    if len(value) != 12 or not value.isdigit():
        raise ValidationError(_("A BIN has exactly 12 digits."), code="bin_format")
    if not is_valid_bin(value):
        raise ValidationError(
            _("This BIN fails the check-digit test. Please check it for a typing error."),
            code="bin_checksum",
        )
