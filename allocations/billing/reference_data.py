"""Reference data finance starts from (editable on the tariff pages afterwards):

- VAT: 12 % for turnovers before 1 January 2026, 16 % from then (Tax Code as amended for
  2026; see ../shared/KZ-FACTS.md). Rates are data, never constants in code.
- Tracks: academic and public-sector calls are free (their value is still shown);
  startup and commercial calls are invoiced.

Loaded by migration 0002; `load_reference_data()` again (idempotent, never overwriting)
restores it where a test flushed the tables.
"""

from datetime import date
from decimal import Decimal


def load_reference_data(apps=None) -> None:
    if apps is None:
        from allocations.billing.models import TrackBilling, VatRate
    else:
        VatRate = apps.get_model("allocations", "VatRate")  # noqa: N806
        TrackBilling = apps.get_model("allocations", "TrackBilling")  # noqa: N806
    VatRate.objects.get_or_create(
        valid_from=date(2009, 1, 1),
        defaults={
            "rate": Decimal("0.1200"),
            "valid_to": date(2026, 1, 1),
            "legal_basis": "Tax Code of the Republic of Kazakhstan, art. 422 (12 %)",
        },
    )
    VatRate.objects.get_or_create(
        valid_from=date(2026, 1, 1),
        defaults={
            "rate": Decimal("0.1600"),
            "legal_basis": "Tax Code of the Republic of Kazakhstan as in force from "
            "1 January 2026 (16 %)",
        },
    )
    for track, paid in (
        ("academic", False),
        ("public_sector", False),
        ("startup", True),
        ("commercial", True),
    ):
        TrackBilling.objects.get_or_create(track=track, defaults={"is_paid": paid})
