"""Finance in Chromium: set a tariff, run a month and watch the run page update itself
while the worker runs it, issue the draft from the list, download the invoice PDF; the
organisation's billing contact finds it on the organisation's invoices page. Every page
is checked with axe."""

import subprocess
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import MembershipRole
from allocations.billing import invoicing
from allocations.billing.models import Invoice, InvoiceRun, InvoiceState
from allocations.billing.reference_data import load_reference_data
from tests.browser.conftest import assert_accessible, log_in
from tests.factories import OrganisationFactory, ResourceFactory
from tests.factories_billing_docs import add_member, paid_allocation, record_usage, seller_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARCH = date(2026, 3, 1)


def test_finance_invoices_a_month(page, live_server, finance, monkeypatch):
    # Transactional tests flush the tables, the migrations' VAT rates and tracks included.
    load_reference_data()
    seller_profile()
    resource = ResourceFactory(name="H200 main")
    organisation = OrganisationFactory(legal_name="Qazaq Vision AI LLP", bin="940140000385")
    billing_contact = add_member(organisation, MembershipRole.BILLING)
    allocation = paid_allocation(organisation=organisation, resource=resource,
                                 account="p000042_h200")  # fmt: skip
    # 10 days × 4 GPU-hours in March.
    record_usage(allocation, [MARCH + timedelta(days=i) for i in range(10)], 4 * 3600)
    # The worker is this test: the run stays queued until the test runs it.
    queued: list[int] = []
    monkeypatch.setattr(
        "allocations.billing.tasks.run_invoicing.delay",
        lambda **kwargs: queued.append(kwargs["run_id"]),
    )

    log_in(page, live_server, finance)
    page.goto(reverse("core:dashboard"))
    page.locator(".staff-nav").get_by_role("link", name="Finance").click()
    assert "No invoice matches" in page.locator("main").inner_text()
    assert_accessible(page)

    # A tariff: bad input first, then a good one.
    page.get_by_role("link", name="Tariffs and tracks", exact=True).click()
    assert_accessible(page)
    page.locator("#id_new_resource").select_option(label="H200 main")
    page.locator("#id_new_category").select_option("startup")
    page.fill("#id_new_price_per_gpu_hour", "-1")
    page.fill("#id_new_valid_from", "2026-01-01")
    page.get_by_role("button", name="Save the tariff").click()
    assert "greater than or equal to 0" in page.locator("main").inner_text()
    assert_accessible(page)
    page.fill("#id_new_price_per_gpu_hour", "1500")
    page.get_by_role("button", name="Save the tariff").click()
    assert "The tariff is saved." in page.locator("main").inner_text()
    assert "1500.00" in page.locator("main table").first.inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Seller profile", exact=True).click()
    assert page.locator("#seller details").get_attribute("open") is None  # filled in: folded
    page.get_by_text("Edit the seller profile").click()
    page.fill("#id_seller_bin", "12345")
    page.get_by_role("button", name="Save the seller profile").click()
    assert "Enter a valid 12-digit BIN." in page.locator("#seller").inner_text()
    assert_accessible(page)

    # Run March and watch the page follow the run.
    page.get_by_role("link", name="Invoicing runs", exact=True).click()
    assert_accessible(page)
    page.fill("#id_month", "2026-03")
    page.get_by_role("button", name="Run the month").click()
    assert "This page updates by itself." in page.locator("#progress").inner_text()
    assert_accessible(page)
    assert len(queued) == 1
    invoicing.run_invoicing(run_id=queued[0], now=timezone.now())
    page.get_by_role("link", name="See the drafts of March 2026").wait_for()
    assert "This page updates by itself." not in page.locator("#progress").inner_text()
    assert InvoiceRun.objects.get().drafts == 1
    assert_accessible(page)

    # The draft: preview, then issue it from the list.
    page.get_by_role("link", name="See the drafts of March 2026").click()
    assert_accessible(page)
    draft = Invoice.objects.get(state=InvoiceState.DRAFT)
    page.get_by_role("link", name="Draft of Qazaq Vision AI LLP").click()
    main = page.locator("main").inner_text().replace("\u00a0", " ")
    assert "DRAFT: a preview, not a valid document" in main
    assert "40.000000" in main and "60 000.00" in main and "69 600.00" in main
    assert_accessible(page)
    page.go_back()
    page.get_by_label("Select the draft of Qazaq Vision AI LLP for March 2026").check()
    page.get_by_role("button", name="Issue selected").click()
    assert "1 invoice issued" in page.locator("main").inner_text()
    assert_accessible(page)
    draft.refresh_from_db()
    assert draft.state == InvoiceState.ISSUED and draft.number

    # The invoice page and its PDF (stored by the documents task when it was issued).
    page.goto(reverse("billing:invoice_list"))
    page.get_by_role("link", name=draft.number).click()
    assert_accessible(page)
    assert draft.number in page.locator("h1").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Invoice PDF").click()
    assert download.value.suggested_filename == f"{draft.number}-invoice.pdf"
    pdf = open(download.value.path(), "rb").read()  # noqa: SIM115
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode().replace("\u00a0", " ")  # fmt: skip
    assert draft.number in text and "940140000385" in text and "69 600,00" in text
    assert not page.csp_errors

    # The organisation's billing contact sees it too.
    page.context.clear_cookies()
    log_in(page, live_server, billing_contact)
    page.goto(reverse("accounts:organisation_detail", args=[organisation.pk]))
    page.get_by_role("link", name="Invoices").last.click()
    assert draft.number in page.locator("main table").inner_text()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Invoice {draft.number} (PDF)").click()
    assert download.value.suggested_filename == f"{draft.number}-invoice.pdf"
