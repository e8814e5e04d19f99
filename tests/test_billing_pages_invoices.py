"""Finance pages of invoices: the list's filters and its constant query count, bulk
issue, an invoice's page and actions (issue, discard, pay, cancel, credit) with bad input
shown as a message, and the downloads (stored or rendered) and registers."""

import subprocess
from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from allocations.billing import documents
from allocations.billing.models import CreditNote, Invoice, InvoiceState
from allocations.core.models import AuditEvent
from tests.factories import OrganisationFactory
from tests.factories_billing_docs import make_invoice, seller_profile
from tests.factories_billing_pages import billing_pages_world  # noqa: F401  (fixture `world`)
from tests.factories_billing_pages import page_text as _page
from tests.factories_billing_pages import today as _today


def test_list_filters_report_bad_input(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:invoice_list")
    page = _page(client.get(url, {"month_from": "soon", "state": "lost", "page": "x"}))
    assert "Enter a month as YYYY-MM" in page and "Select a valid choice" in page
    page = _page(client.get(url, {"month_from": "2026-04", "month_to": "2026-03"}))
    assert "The last month cannot be before the first." in page
    page = _page(client.get(url, {"month_from": "2026-02", "month_to": "2026-02"}))
    assert "INV-2026-000010" in page and "Qazaq Vision AI LLP" in page
    page = _page(client.get(url, {"state": "draft"}))
    assert "INV-2026-000010" not in page
    for kind, fmt in (("invoices", "pdf"), ("everything", "csv")):
        assert client.get(reverse("billing:register", args=[kind, fmt])).status_code == 404


def test_bulk_issue(client, world, finance):
    client.force_login(finance)
    second = make_invoice(organisation=OrganisationFactory(foreign=True, legal_name="Alpha LLP"),
                          state=InvoiceState.DRAFT)  # fmt: skip
    url = reverse("billing:invoice_list") + "?month_from=2026-03&month_to=2026-03"
    page = client.get(url).content.decode()
    assert f'name="invoice" value="{world["draft"].pk}"' in page
    response = client.post(url, {"invoice": [world["draft"].pk, second.pk],
                                 "issue_date": _today()})  # fmt: skip
    assert response.status_code == 302
    assert response["Location"].endswith("?month_from=2026-03&month_to=2026-03")
    issued = Invoice.objects.filter(pk__in=[world["draft"].pk, second.pk]).order_by("number")
    assert [invoice.state for invoice in issued] == [InvoiceState.ISSUED] * 2
    # Numbered in register order: by organisation name.
    assert issued[0].organisation.legal_name == "Alpha LLP"
    assert all(invoice.number.startswith("INV-") for invoice in issued)
    page = client.get(url).content.decode()
    assert "2 invoices issued" in page


def test_bulk_issue_reports_bad_input(client, world, finance):
    client.force_login(finance)
    url = reverse("billing:invoice_list")
    page = _page(client.post(url, {"issue_date": _today()}))
    assert "Choose at least one draft invoice to issue." in page
    page = _page(client.post(url, {"invoice": ["x"], "issue_date": _today()}))
    assert "Choose invoices from the list." in page
    page = _page(client.post(url, {"invoice": [world["draft"].pk], "issue_date": "soon"}))
    assert "Enter a valid date." in page
    assert f'value="{world["draft"].pk}" id="pick-{world["draft"].pk}" checked' in page
    page = _page(client.post(url, {"invoice": [world["issued"].pk], "issue_date": _today()}))
    assert "Only drafts can be issued" in page
    page = _page(client.post(url, {"invoice": [world["draft"].pk], "issue_date": "2026-03-15"}))
    assert "cannot be issued before its turnover date" in page
    world["draft"].refresh_from_db()
    assert world["draft"].state == InvoiceState.DRAFT


def test_invoice_page_shows_preview_and_timeline(client, world, finance):
    client.force_login(finance)
    page = client.get(reverse("billing:invoice_detail", args=[world["draft"].pk])).content.decode()
    assert "DRAFT: a preview, not a valid document" in page
    assert "180 750.00" in page.replace("\u00a0", " ")  # 120.5 h × 1 500.00, as in the PDF
    assert "990140004654" in page  # the seller's BIN
    assert "Issue the invoice" in page and "Discard the draft" in page
    assert "esf.xml" not in page
    issued = world["issued"]
    page = client.get(reverse("billing:invoice_detail", args=[issued.pk])).content.decode()
    assert "INV-2026-000010" in page and "esf.xml" in page
    assert world["credit_note"].number in page
    assert "Mark paid" in page and "Correct with a credit note" in page
    assert "would be refused" not in page
    # An issued invoice whose seller copy lacks the bank details: the ESF check says so.
    seller_profile(iik="")
    broken = make_invoice(organisation=world["organisation"], period_start=date(2026, 1, 1))
    seller_profile()
    page = client.get(reverse("billing:invoice_detail", args=[broken.pk])).content.decode()
    assert "would be refused" in page and "the account (IIK) is missing" in page


def test_invoice_actions_report_bad_input(client, world, finance):
    client.force_login(finance)
    draft, issued = world["draft"], world["issued"]
    page = _page(client.post(reverse("billing:invoice_issue", args=[draft.pk]),
                             {"issue_date": "2026-03-02"}))  # fmt: skip
    assert "cannot be issued before its turnover date" in page
    page = _page(client.post(reverse("billing:invoice_issue", args=[draft.pk]), {}))
    assert "This field is required." in page
    page = _page(client.post(reverse("billing:invoice_paid", args=[issued.pk]), {"paid_on": ""}))
    assert "This field is required." in page
    page = _page(client.post(reverse("billing:invoice_paid", args=[issued.pk]),
                             {"paid_on": "2026-01-01"}))  # fmt: skip
    assert "cannot be before the invoice was issued" in page
    page = _page(client.post(reverse("billing:invoice_cancel", args=[issued.pk]), {"reason": " "}))
    assert "This field is required." in page
    line = issued.lines.get(position=1)
    credit = reverse("billing:credit_note_create", args=[issued.pk])
    page = _page(client.post(credit, {f"quantity_{line.pk}": "500", "reason": "x",
                                      "issue_date": _today()}))  # fmt: skip
    assert "less than or equal to" in page
    page = _page(client.post(credit, {"reason": "x", "issue_date": _today()}))
    assert "Give the GPU-hours to credit on at least one line." in page
    page = _page(client.post(credit, {f"quantity_{line.pk}": "1", "reason": "",
                                      "issue_date": "2020-01-01"}))  # fmt: skip
    assert "This field is required." in page
    page = _page(client.post(reverse("billing:invoice_discard", args=[issued.pk]), follow=True))
    assert "Only a draft can be discarded" in page
    page = _page(client.get(reverse("billing:esf_download", args=[draft.pk]), follow=True))
    assert "Only an issued invoice has an electronic invoice (ESF)." in page
    for name in ("invoice_issue", "invoice_paid", "invoice_cancel", "credit_note_create"):
        assert client.post(reverse(f"billing:{name}", args=[999999]), {}).status_code == 404
    assert (
        client.get(reverse("billing:invoice_download", args=[issued.pk, "memo"])).status_code == 404
    )
    assert client.get(reverse("billing:invoice_detail", args=[999999])).status_code == 404
    issued.refresh_from_db()
    assert issued.state == InvoiceState.ISSUED and CreditNote.objects.count() == 1


def test_issue_pay_and_credit_through_the_pages(client, world, finance):
    client.force_login(finance)
    draft = world["draft"]
    response = client.post(reverse("billing:invoice_issue", args=[draft.pk]),
                           {"issue_date": _today()})  # fmt: skip
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == InvoiceState.ISSUED and draft.number
    assert AuditEvent.objects.filter(
        verb="billing.invoice_issued", target_id=str(draft.pk)
    ).exists()
    page = client.get(reverse("billing:invoice_detail", args=[draft.pk])).content.decode()
    assert "Issued" in page and draft.number in page
    assert "Draft → Issued" in page  # the audit timeline
    line = draft.lines.get()
    response = client.post(reverse("billing:credit_note_create", args=[draft.pk]),
                           {f"quantity_{line.pk}": "0.5", "reason": "Node failure.",
                            "issue_date": _today()})  # fmt: skip
    assert response.status_code == 302
    assert draft.credit_notes.get().gross_total == Decimal("-870.00")  # 0.5 h × 1 500 + 16 %
    response = client.post(reverse("billing:invoice_paid", args=[draft.pk]), {"paid_on": _today()})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == InvoiceState.PAID


def test_downloads_serve_stored_files_or_render(client, world, finance):
    client.force_login(finance)
    issued = world["issued"]
    url = reverse("billing:invoice_download", args=[issued.pk, "invoice"])
    rendered = client.get(url)
    assert rendered["Content-Type"] == "application/pdf"
    assert rendered.content.startswith(b"%PDF")
    assert 'filename="INV-2026-000010-invoice.pdf"' in rendered["Content-Disposition"]
    documents.store_invoice_documents(invoice_id=issued.pk)
    issued.refresh_from_db()
    with issued.invoice_pdf.open("rb") as handle:
        stored_bytes = handle.read()
    served = client.get(url)
    assert b"".join(served.streaming_content) == stored_bytes
    # A stored file that went missing is rendered again, not a 500.
    issued.invoice_pdf.storage.delete(issued.invoice_pdf.name)
    again = client.get(url)
    assert again.status_code == 200 and again.content.startswith(b"%PDF")
    draft = client.get(reverse("billing:invoice_download", args=[world["draft"].pk, "invoice"]))
    text = subprocess.run(["pdftotext", "-", "-"], input=draft.content, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip
    from allocations.billing.documents import texts

    draft_label = texts(("kk", "ru"))["draft"].parts[0][1]
    assert draft_label in text  # marked as a draft, in the printed languages
    esf = client.get(reverse("billing:esf_download", args=[issued.pk]))
    assert esf["Content-Type"].startswith("application/xml")
    assert b"<num>INV-2026-000010</num>" in esf.content


def test_registers_download(client, world, finance):
    client.force_login(finance)
    filters = {"month_from": "2026-02", "month_to": "2026-03", "state": "issued"}
    response = client.get(reverse("billing:register", args=["invoices", "csv"]), filters)
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "INV-2026-000010" in body and "Qazaq Vision AI LLP" in body
    assert (
        'filename="invoices-register-2026-02-2026-03-issued.csv"'
        in (response["Content-Disposition"])
    )
    xlsx = client.get(reverse("billing:register", args=["lines", "xlsx"]), {"month_from": "bad"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_invoice_list_reads_a_constant_number_of_queries(client, finance):
    seller_profile()
    client.force_login(finance)
    url = reverse("billing:invoice_list")

    def count_with(n):
        for i in range(n):
            organisation = OrganisationFactory(foreign=True, legal_name=f"Org {n}-{i}")
            state = InvoiceState.DRAFT if i % 2 else InvoiceState.ISSUED
            make_invoice(organisation=organisation, state=state,
                         period_start=date(2026, 1 + i % 3, 1))  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"month_from": "2026-01"})
            assert response.status_code == 200
        return len(queries)

    assert count_with(3) == count_with(30)
