"""Import tax rates on the import desk's pages: creating a rate (closing the open-ended
one before it), editing and deleting, and bad input explained with nothing saved."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from allocations.core.models import AuditEvent
from allocations.customs.models import ImportTaxRate
from tests.factories_customs import ImportTaxRateFactory
from tests.factories_customs_regimes import (
    rate_data,
    regimes_world,  # noqa: F401  (fixture `world`)
)


def verbs() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("verb", flat=True))


# --- Tax rates -----------------------------------------------------------------------------


def test_create_a_duty_rate(client, import_desk, db):
    client.force_login(import_desk)
    response = client.post(reverse("customs:tax_rate_list"), rate_data())
    assert response.status_code == 302
    rate = ImportTaxRate.objects.get(hs_prefix="850440")
    assert rate.rate == Decimal("0.0750") and rate.kind == "duty"
    assert AuditEvent.objects.get(verb="customs.tax_rate_created").data["rate"] == "0.0750"
    page = client.get(reverse("customs:tax_rate_list")).content.decode()
    assert "8504 40" in page and "7.50 %" in page


def test_a_new_rate_closes_the_open_ended_one(client, import_desk, db):
    old = ImportTaxRateFactory(kind="vat", rate=Decimal("0.12"), valid_from=date(2009, 1, 1))
    client.force_login(import_desk)
    data = rate_data(kind="vat", hs_prefix="", rate_percent="16", valid_from="2026-01-01")
    assert client.post(reverse("customs:tax_rate_list"), data).status_code == 302
    old.refresh_from_db()
    assert old.valid_to == date(2026, 1, 1)
    assert verbs() == ["customs.tax_rate_closed", "customs.tax_rate_created"]


def test_edit_and_delete_a_rate(client, import_desk, world):
    rate = world["rate"]
    client.force_login(import_desk)
    page = client.get(reverse("customs:tax_rate_edit", args=[rate.pk])).content.decode()
    assert 'value="5.00"' in page
    response = client.post(
        reverse("customs:tax_rate_edit", args=[rate.pk]),
        rate_data(hs_prefix="8544", rate_percent="4.25", note="Changed"),
    )
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate == Decimal("0.0425") and rate.note == "Changed"
    changed = AuditEvent.objects.get(verb="customs.tax_rate_changed")
    assert changed.data["before"]["rate"] == "0.0500"
    client.post(reverse("customs:tax_rate_delete", args=[rate.pk]))
    assert not ImportTaxRate.objects.filter(pk=rate.pk).exists()
    assert AuditEvent.objects.filter(verb="customs.tax_rate_deleted").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "excise"}, "Select a valid choice"),
        ({"hs_prefix": "84x1"}, "An HS code prefix has 2 to 10 digits"),
        ({"hs_prefix": "8"}, "An HS code prefix has 2 to 10 digits"),
        ({"kind": "vat", "hs_prefix": "8471"}, "leave the HS code prefix empty"),
        ({"rate_percent": "100"}, "less than or equal to 99.99"),
        ({"rate_percent": "-1"}, "greater than or equal to 0"),
        ({"rate_percent": "abc"}, "Enter a number."),
        ({"rate_percent": "1.234"}, "no more than 2 decimal places"),
        ({"valid_from": ""}, "This field is required."),
        ({"valid_to": "2025-01-01"}, "The end must be after the start."),
        ({"hs_prefix": "8544", "valid_from": "2019-01-01"}, "This period overlaps the rate"),
        ({"note": "n" * 256}, "at most 255 characters"),
    ],
)
def test_bad_rate_input_is_explained_and_nothing_is_saved(
    client, import_desk, world, overrides, message
):
    # world["rate"]: duty 8544 from 2020-01-01, open-ended. A new one from 2019 overlaps it.
    client.force_login(import_desk)
    count = ImportTaxRate.objects.count()
    response = client.post(reverse("customs:tax_rate_list"), rate_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert ImportTaxRate.objects.count() == count
    assert not AuditEvent.objects.exists()
