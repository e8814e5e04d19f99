"""Reference data finance starts from (editable on the tariff pages afterwards):

- VAT: 12 % for turnovers before 1 January 2026, 16 % from then (Tax Code as amended for
  2026; see ../shared/KZ-FACTS.md). Rates are data, never constants in code.
- Tracks: academic and public-sector calls are free (their value is still shown);
  startup and commercial calls are invoiced.
"""

from datetime import date
from decimal import Decimal

from django.db import migrations


def load(apps, schema_editor):
    VatRate = apps.get_model("allocations", "VatRate")
    TrackBilling = apps.get_model("allocations", "TrackBilling")
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
            "legal_basis": "Tax Code of the Republic of Kazakhstan as in force from 1 January 2026 (16 %)",
        },
    )
    for track, paid in (
        ("academic", False),
        ("public_sector", False),
        ("startup", True),
        ("commercial", True),
    ):
        TrackBilling.objects.get_or_create(track=track, defaults={"is_paid": paid})


def unload(apps, schema_editor):
    apps.get_model("allocations", "VatRate").objects.all().delete()
    apps.get_model("allocations", "TrackBilling").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("allocations", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
