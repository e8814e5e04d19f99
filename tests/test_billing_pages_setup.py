"""Finance pages that set invoicing up: tariffs, which tracks are invoiced, the seller's
profile and monthly invoice runs (the form and the run page's htmx region). Bad input on
every form is shown as a message, never a 500."""

from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from allocations.billing.models import (
    InvoiceRun,
    InvoiceRunStatus,
    SellerProfile,
    Tariff,
    TrackBilling,
)
from tests.factories_billing_pages import (
    SELLER_FORM,
    billing_pages_world,  # noqa: F401  (fixture `world`)
)
from tests.factories_billing_pages import page_text as _page


def test_tariff_forms_report_bad_input(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:tariff_list")
    page = _page(client.post(url, {}))
    assert "This field is required." in page
    resource = world["tariff"].resource_id
    data = {"resource": resource, "category": "startup", "valid_from": "2026-01-01"}
    page = _page(client.post(url, {**data, "price_per_gpu_hour": "-5"}))
    assert "greater than or equal to 0" in page
    page = _page(client.post(url, {"resource": world["tariff"].resource_id, "category": "startup",
                                   "price_per_gpu_hour": "5", "valid_from": "2026-05-01",
                                   "valid_to": "2026-04-01"}))  # fmt: skip
    assert "The end must be after the start." in page
    page = _page(client.post(url, {"resource": 999999, "category": "nope",
                                   "price_per_gpu_hour": "abc", "valid_from": "x"}))  # fmt: skip
    assert "Select a valid choice" in page and "Enter a number." in page
    edit = reverse("billing:tariff_edit", args=[world["tariff"].pk])
    page = _page(client.post(edit, {"resource": world["tariff"].resource_id}))
    assert "This field is required." in page
    assert client.get(reverse("billing:tariff_edit", args=[999999])).status_code == 404
    assert Tariff.objects.count() == 1


def test_tariff_lifecycle_through_the_page(client, world, finance):
    client.force_login(finance)
    tariff = world["tariff"]
    response = client.post(reverse("billing:tariff_list"), {
        "resource": tariff.resource_id, "category": "university", "price_per_gpu_hour": "750.50",
        "valid_from": "2026-02-01",
    })  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("billing:tariff_list")).content.decode()
    assert "750.50" in page and "University" in page
    created = Tariff.objects.get(category="university")
    response = client.post(reverse("billing:tariff_edit", args=[created.pk]), {
        "resource": tariff.resource_id, "category": "university", "price_per_gpu_hour": "800.00",
        "valid_from": "2026-02-01", "valid_to": "2026-12-01",
    })  # fmt: skip
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.price_per_gpu_hour == Decimal("800.00")
    assert client.post(reverse("billing:tariff_delete", args=[created.pk])).status_code == 302
    assert not Tariff.objects.filter(pk=created.pk).exists()
    assert client.post(reverse("billing:tariff_delete", args=[created.pk])).status_code == 404


def test_track_toggle_and_bad_track(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:track_billing")
    client.post(url, {"track": "academic", "is_paid": "1"})
    assert TrackBilling.objects.get(track="academic").is_paid
    response = client.post(url, {"track": "martian", "is_paid": "1"}, follow=True)
    assert "Choose a track and whether it is invoiced." in _page(response)


def test_seller_profile_form(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:seller_profile")
    assert client.get(url)["Location"] == reverse("billing:tariff_list") + "#seller"
    page = _page(client.post(url, {**SELLER_FORM, "bin": "940140000386", "kbe": "7"}))
    assert "Enter a valid 12-digit BIN." in page
    assert "The beneficiary code (KBe) has 2 digits." in page
    assert "Центр" in page  # what was typed stays in the form
    assert '<details class="billing-seller-form" open>' in page
    assert SellerProfile.objects.get().name_ru != "Центр"
    assert client.post(url, SELLER_FORM).status_code == 302
    assert SellerProfile.objects.get().name_ru == "Центр"
    page = client.get(reverse("billing:tariff_list")).content.decode()
    assert '<details class="billing-seller-form">' in page  # filled in: folded


def test_run_form_reports_bad_input(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:run_list")
    assert "Enter a month as YYYY-MM" in _page(client.post(url, {"month": "March"}))
    assert "This field is required." in _page(client.post(url, {"month": ""}))
    future = f"{timezone.localdate().year + 1}-01"
    assert "has not started yet" in _page(client.post(url, {"month": future}))
    # "03.2026" is understood too.
    busy = _page(client.post(url, {"month": "2026-03"}))  # the world's run is running
    assert "already in progress" in busy
    response = client.post(url, {"month": "02.2026"})
    assert response.status_code == 302
    run = InvoiceRun.objects.get(period_start=date(2026, 2, 1))
    assert response["Location"] == reverse("billing:run_detail", args=[run.pk])


def test_run_page_polls_until_done(client, world, finance):
    client.force_login(finance)
    run = world["run"]
    url = reverse("billing:run_detail", args=[run.pk])
    page = client.get(url).content.decode()
    assert "<html" in page and 'hx-trigger="every 2s"' in page and "1 / 4" in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="progress"' in partial
    assert 'hx-trigger="every 2s"' in partial
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=InvoiceRunStatus.DONE, organisations_done=4, drafts=3, finished_at=timezone.now()
    )
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial
    assert "month_from=2026-03" in partial and "state=draft" in partial
    assert client.get(reverse("billing:run_detail", args=[999999])).status_code == 404
