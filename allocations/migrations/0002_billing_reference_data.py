"""VAT rates and paid/free tracks finance starts from (allocations/billing/reference_data.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from allocations.billing.reference_data import load_reference_data

    load_reference_data(apps=apps)


def unload(apps, schema_editor):
    apps.get_model("allocations", "VatRate").objects.all().delete()
    apps.get_model("allocations", "TrackBilling").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("allocations", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
