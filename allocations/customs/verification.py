"""Public verification of confirmations: anyone holding a code (printed on the confirmation,
and in its QR code) may check it, without signing in.

The result says only what the confirmation itself states: registry number, date of issue,
validity, importer name and BIN, regime, number of lines and the total per currency, and
whether it is valid, expired or revoked. Never the contacts, comments, files or anything
else of the case.

Codes are 16 characters of upper-case base32 (workflow_services.new_verification_code);
people type them in any case, with spaces or dashes, and read 0 for O or 1 for I (which
base32 does not use), so what they type is normalised before the look-up. Guessing is
pointless (80 bits) and also throttled per client address (see views/verify.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone, translation

from allocations.customs.checks import line_total
from allocations.customs.models import Confirmation, EquipmentLine

GENUINE_VALID = "genuine_valid"
REVOKED = "revoked"
EXPIRED = "expired"
UNKNOWN = "unknown"
STATUSES = (GENUINE_VALID, REVOKED, EXPIRED, UNKNOWN)

MAX_CODE_LENGTH = 32  # Confirmation.verification_code
# Longer input is not looked at (a code with generous separators is still far shorter).
MAX_INPUT_LENGTH = 80
_SEPARATORS = re.compile(r"[\s\-_.·/\\]+")
_CODE = re.compile(r"^[A-Z0-9]{8,32}$")
# Base32 has neither 0 nor 1; people read them for O and I.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I"})


def normalise_code(typed: str | None) -> str | None:
    """What someone typed → the stored form, or None when it cannot be a code.

    " 7kq2-mzxa 4trw_3bne " → "7KQ2MZXA4TRW3BNE"; "7KQ2MZXA4TRW3BNE" stays. (The look-up
    also tries the code with 0 read as O and 1 as I.)
    """
    if not typed or len(typed) > MAX_INPUT_LENGTH:
        return None
    code = _SEPARATORS.sub("", typed).upper()
    if not code.isascii() or not _CODE.match(code):
        return None
    return code


def format_code(code: str) -> str:
    """ "7KQ2MZXA4TRW3BNE" → "7KQ2-MZXA-4TRW-3BNE" (printed, read aloud)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class VerificationResult:
    status: str
    code: str = ""  # formatted; empty when what was typed is not a code
    registry_number: str = ""
    issued_on: date | None = None
    valid_until: date | None = None
    revoked_on: date | None = None
    importer_name: str = ""
    importer_bin: str = ""
    regime_name: str = ""
    line_count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.status != UNKNOWN

    @property
    def is_valid(self) -> bool:
        return self.status == GENUINE_VALID


def _regime_name(regime) -> str:
    language = (translation.get_language() or "en")[:2]
    return getattr(regime, f"name_{language}", "") or regime.name_en


def _equipment(case_id: int) -> tuple[int, list[tuple[str, Decimal]]]:
    """Number of lines and the total per currency, each line rounded as the documents do."""
    count = 0
    totals: dict[str, Decimal] = {}
    lines = EquipmentLine.objects.filter(case_id=case_id).values_list(
        "currency", "quantity", "unit_price"
    )
    for currency, quantity, price in lines:
        count += 1
        totals[currency] = totals.get(currency, Decimal(0)) + line_total(quantity, price)
    return count, sorted(totals.items())


def verify(*, code: str | None, today: date | None = None) -> VerificationResult:
    """The status of the confirmation with this code, and what it states."""
    from allocations.customs.documents import importer_of

    normalised = normalise_code(code)
    if normalised is None:
        return VerificationResult(status=UNKNOWN)
    candidates = {normalised, normalised.translate(_LOOKALIKES)}
    confirmation = (
        Confirmation.objects.select_related("case__organisation", "case__regime")
        .filter(verification_code__in=candidates)
        .order_by("pk")
        .first()
    )
    if confirmation is None:
        return VerificationResult(status=UNKNOWN, code=format_code(normalised))
    today = today or timezone.localdate()
    if confirmation.revoked_at is not None:
        status = REVOKED
    elif confirmation.valid_until < today:
        status = EXPIRED
    else:
        status = GENUINE_VALID
    case = confirmation.case
    importer = importer_of(case)
    line_count, totals = _equipment(case.pk)
    return VerificationResult(
        status=status,
        code=format_code(normalised),
        registry_number=confirmation.registry_number,
        issued_on=timezone.localdate(confirmation.issued_at),
        valid_until=confirmation.valid_until,
        revoked_on=timezone.localdate(confirmation.revoked_at) if confirmation.revoked_at else None,
        importer_name=importer.name,
        importer_bin=importer.bin,
        regime_name=_regime_name(case.regime),
        line_count=line_count,
        totals=totals,
    )
