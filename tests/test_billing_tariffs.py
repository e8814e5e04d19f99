"""Tariffs (no overlaps, a new price closes the running one, invoiced tariffs frozen),
which tracks are paid, the seller profile, the value of free compute, and roles."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from allocations.billing import selectors, services
from allocations.billing.models import Invoice, SellerProfile, Tariff, TrackBilling
from allocations.calls.models import Track
from allocations.core.models import AuditEvent
from tests.factories import ResourceFactory
from tests.factories_billing import (
    HOUR,
    SELLER_IIK,
    allocation_for,
    run_month,
    seller,
    use,
)

NON_FINANCE = ["applicant", "reviewer", "assessor", "call_manager", "import_desk"]


@pytest.fixture
def resource(db):
    return ResourceFactory(name="H200 main")


def save(actor, resource, price="1000", start=date(2025, 1, 1), end=None, **kwargs):
    kwargs.setdefault("category", "startup")
    return services.save_tariff(
        actor=actor,
        resource_id=resource.pk,
        price_per_gpu_hour=Decimal(price),
        valid_from=start,
        valid_to=end,
        **kwargs,
    )


def test_create_tariff_with_audit(finance, resource):
    tariff = save(finance, resource, "1234.50")
    assert (tariff.price_per_gpu_hour, tariff.created_by) == (Decimal("1234.50"), finance)
    event = AuditEvent.objects.get(verb="billing.tariff_created")
    assert event.actor == finance and event.data["price"] == "1234.50"
    assert selectors.tariff_for(resource_id=resource.pk, category="startup", day=date(2030, 1, 1))
    assert (
        selectors.tariff_for(resource_id=resource.pk, category="startup", day=date(2024, 12, 31))
        is None
    )
    assert (
        selectors.tariff_for(resource_id=resource.pk, category="company", day=date(2026, 1, 1))
        is None
    )


def test_overlapping_tariffs_are_refused(finance, resource):
    save(finance, resource, start=date(2025, 1, 1), end=date(2025, 7, 1))
    with pytest.raises(ValidationError) as refused:
        save(finance, resource, start=date(2025, 6, 1), end=date(2025, 9, 1))
    assert "overlaps" in refused.value.message_dict["valid_from"][0]
    with pytest.raises(ValidationError, match="overlaps"):
        save(finance, resource, start=date(2024, 1, 1), end=None)  # would run into it
    # Adjacent periods are fine ([from, to) is half-open), as is another category.
    save(finance, resource, start=date(2025, 7, 1), end=date(2026, 1, 1))
    save(finance, resource, start=date(2025, 6, 1), category="company")
    assert Tariff.objects.count() == 3


def test_a_new_price_closes_the_running_tariff(finance, resource):
    old = save(finance, resource, "1000", start=date(2025, 1, 1))
    new = save(finance, resource, "1200", start=date(2026, 1, 15))
    old.refresh_from_db()
    assert old.valid_to == date(2026, 1, 15) and new.valid_to is None
    closed = AuditEvent.objects.get(verb="billing.tariff_closed")
    assert closed.target_id == str(old.pk)
    assert (
        selectors.tariff_for(resource_id=resource.pk, category="startup", day=date(2026, 1, 14))
        == old
    )
    assert (
        selectors.tariff_for(resource_id=resource.pk, category="startup", day=date(2026, 1, 15))
        == new
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "-1"}, "price_per_gpu_hour"),
        ({"price": "10.001"}, "price_per_gpu_hour"),
        ({"end": date(2024, 1, 1)}, "valid_to"),
        ({"category": "pirates"}, "category"),
    ],
)
def test_bad_tariff_input_is_a_field_error(finance, resource, changes, field):
    with pytest.raises(ValidationError) as refused:
        save(finance, resource, **changes)
    assert field in refused.value.message_dict


def test_unknown_resource_is_a_field_error(finance):
    with pytest.raises(ValidationError) as refused:
        services.save_tariff(
            actor=finance,
            resource_id=999_999,
            category="startup",
            price_per_gpu_hour=Decimal(1),
            valid_from=date(2025, 1, 1),
            valid_to=None,
        )
    assert "resource_id" in refused.value.message_dict


def invoice_november(finance, resource):
    seller()
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 11, 20), HOUR)
    run_month(date(2025, 11, 1))
    return services.issue_invoices(
        actor=finance,
        invoice_ids=[Invoice.objects.get().pk],
        issue_date=date(2025, 12, 3),
        now=timezone.now(),
    )[0]


def test_a_tariff_on_an_issued_invoice_is_frozen(finance, resource):
    tariff = save(finance, resource, "1000", start=date(2025, 1, 1))
    invoice_november(finance, resource)
    with pytest.raises(ValidationError, match="issued invoice"):
        save(finance, resource, "900", start=date(2025, 1, 1), tariff_id=tariff.pk)
    with pytest.raises(ValidationError, match="issued invoice"):
        services.delete_tariff(actor=finance, tariff_id=tariff.pk)
    # A price change may not start inside what was invoiced at the old price...
    with pytest.raises(ValidationError, match="invoiced up to"):
        save(finance, resource, "1200", start=date(2025, 11, 15))
    # ...but from the end of the invoiced period on, it closes the old tariff.
    save(finance, resource, "1200", start=date(2025, 12, 1))
    tariff.refresh_from_db()
    assert tariff.valid_to == date(2025, 12, 1) and tariff.price_per_gpu_hour == Decimal(1000)


def test_an_unused_tariff_may_be_changed_and_deleted(finance, resource):
    tariff = save(finance, resource, "1000")
    changed = save(finance, resource, "1100", start=date(2025, 2, 1), tariff_id=tariff.pk)
    assert changed.pk == tariff.pk and changed.price_per_gpu_hour == Decimal("1100")
    assert (
        AuditEvent.objects.get(verb="billing.tariff_changed").data["before"]["price"] == "1000.00"
    )
    services.delete_tariff(actor=finance, tariff_id=tariff.pk)
    assert not Tariff.objects.exists()
    assert AuditEvent.objects.filter(verb="billing.tariff_deleted").count() == 1


def test_a_tariff_on_drafts_cannot_be_deleted(finance, resource):
    tariff = save(finance, resource, "1000")
    use(allocation_for(resource=resource), date(2025, 11, 20), HOUR)
    run_month(date(2025, 11, 1))
    with pytest.raises(ValidationError, match="Draft invoices use this tariff"):
        services.delete_tariff(actor=finance, tariff_id=tariff.pk)


def test_track_billing(finance):
    assert selectors.is_paid_track(Track.STARTUP) and selectors.is_paid_track(Track.COMMERCIAL)
    assert not selectors.is_paid_track(Track.ACADEMIC)
    row = services.set_track_billing(actor=finance, track=Track.STARTUP, is_paid=False)
    assert row.is_paid is False and not selectors.is_paid_track(Track.STARTUP)
    event = AuditEvent.objects.get(verb="billing.track_billing_set")
    assert (event.from_state, event.to_state) == ("paid", "free")
    with pytest.raises(ValidationError):
        services.set_track_billing(actor=finance, track="space", is_paid=True)
    TrackBilling.objects.filter(track=Track.COMMERCIAL).delete()
    assert not selectors.is_paid_track(Track.COMMERCIAL)  # no row: not invoiced


def test_seller_profile_is_one_row_and_checked(finance):
    values = {
        "name_kk": "Орталық",
        "name_ru": "Центр",
        "name_en": "Centre",
        "bin": "940140000385",
        "address_kk": "Астана",
        "address_ru": "Астана",
        "iik": "kz86 125k zt50 0410 0100",
        "bik": "HSBKKZKX",
        "bank_name": "Halyk Bank",
        "kbe": "16",
    }
    profile = services.save_seller_profile(actor=finance, **values)
    assert profile.iik == SELLER_IIK
    again = services.save_seller_profile(actor=finance, payment_days=15)
    assert again.pk == profile.pk and SellerProfile.objects.count() == 1
    assert again.payment_days == 15 and again.name_en == "Centre"
    assert AuditEvent.objects.filter(verb="billing.seller_saved").latest("id").data["changed"] == [
        "payment_days"
    ]
    with pytest.raises(ValidationError) as refused:
        services.save_seller_profile(actor=finance, bin="123456789012", iik="KZ00", kbe="X")
    assert {"bin", "iik", "kbe"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError, match="Unknown"):
        services.save_seller_profile(actor=finance, colour="red")


def test_a_new_seller_profile_needs_the_required_fields(finance):
    with pytest.raises(ValidationError) as refused:
        services.save_seller_profile(actor=finance, name_en="Centre")
    assert "name_ru" in refused.value.message_dict
    assert not SellerProfile.objects.exists()


def test_value_of_compute_for_a_free_track(finance, resource):
    save(finance, resource, "1000", start=date(2025, 1, 1))
    save(finance, resource, "1500", start=date(2025, 11, 16))
    save(finance, resource, "700", start=date(2025, 1, 1), category="university")
    academic = allocation_for(resource=resource, track=Track.ACADEMIC)
    use(academic, date(2025, 11, 10), 3 * HOUR)  # 3 × 1000
    use(academic, date(2025, 11, 20), 5400)  # 1.5 × 1500
    use(academic, date(2025, 12, 1), 10 * HOUR)  # outside
    value = selectors.value_of_compute(
        allocation=academic, start=date(2025, 11, 1), end=date(2025, 12, 1)
    )
    assert value == Decimal("5250.00")
    uni = allocation_for(resource=resource, track=Track.ACADEMIC, category="university")
    use(uni, date(2025, 11, 10), 1)  # 1 second: 0.000278 h × 700 = 0.19
    assert selectors.value_of_compute(
        allocation=uni, start=date(2025, 11, 1), end=date(2025, 12, 1)
    ) == Decimal("0.19")
    assert selectors.value_of_compute(
        allocation=uni, start=date(2025, 12, 1), end=date(2025, 11, 1)
    ) == Decimal("0.00")


@pytest.mark.parametrize("role", NON_FINANCE)
def test_only_finance_maintains_reference_data(request, role, resource):
    user = request.getfixturevalue(role)
    attempts = [
        lambda: save(user, resource),
        lambda: services.delete_tariff(actor=user, tariff_id=1),
        lambda: services.set_track_billing(actor=user, track=Track.ACADEMIC, is_paid=True),
        lambda: services.save_seller_profile(actor=user, name_en="x"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert not Tariff.objects.exists()
