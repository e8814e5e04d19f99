"""Finance pages and the applicants' invoice pages: every route per role, bad input on
every form shown as a message (never a 500), the invoice list in constant queries, bulk
issue, the run page's htmx region, and the downloads (stored or rendered)."""

import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from allocations.accounts.models import MembershipRole, OrganisationCategory
from allocations.billing import documents
from allocations.billing.models import (
    CreditNote,
    Invoice,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceState,
    SellerProfile,
    Tariff,
    TrackBilling,
)
from allocations.core.models import AuditEvent
from tests.conftest import ROLE_FIXTURES
from tests.factories import OrganisationFactory, UserFactory
from tests.factories_billing_docs import (
    add_member,
    make_credit_note,
    make_invoice,
    make_tariff,
    seller_profile,
)

FINANCE = {"finance", "admin_user"}
MARCH = date(2026, 3, 1)


@pytest.fixture
def world(db):
    seller_profile()
    organisation = OrganisationFactory(legal_name="Qazaq Vision AI LLP", bin="940140000385")
    owner = add_member(organisation, MembershipRole.OWNER)
    billing = add_member(organisation, MembershipRole.BILLING)
    member = add_member(organisation, MembershipRole.MEMBER)
    tariff = make_tariff()
    draft = make_invoice(organisation=organisation, state=InvoiceState.DRAFT)
    issued = make_invoice(
        organisation=organisation, period_start=date(2026, 2, 1), number="INV-2026-000010"
    )
    credit_note = make_credit_note(issued, quantities={1: Decimal("1")})
    run = InvoiceRun.objects.create(period_start=MARCH, status=InvoiceRunStatus.RUNNING,
                                    organisations_total=4, organisations_done=1)  # fmt: skip
    return {
        "organisation": organisation,
        "owner": owner,
        "billing": billing,
        "member": member,
        "tariff": tariff,
        "draft": draft,
        "issued": issued,
        "credit_note": credit_note,
        "run": run,
    }


SELLER_FORM = {
    "name_kk": "Орталық", "name_ru": "Центр", "name_en": "Centre", "bin": "940140000385",
    "address_kk": "Астана", "address_ru": "Астана", "address_en": "Astana",
    "iik": "KZ86125KZT5004100100", "bik": "HSBKKZKX", "bank_name": "Halyk Bank",
    "kbe": "17", "payment_days": "10",
}  # fmt: skip


def _today() -> str:
    return timezone.localdate().isoformat()


def _routes(world) -> dict:
    draft, issued, tariff = world["draft"], world["issued"], world["tariff"]
    line = issued.lines.get(position=1)
    return {
        "tariff_list": ("get", reverse("billing:tariff_list"), {}, 200),
        "tariff_create": (
            "post",
            reverse("billing:tariff_list"),
            {
                "resource": tariff.resource_id,
                "category": OrganisationCategory.COMPANY,
                "price_per_gpu_hour": "2000.00",
                "valid_from": "2026-01-01",
            },
            302,
        ),
        "tariff_edit": ("get", reverse("billing:tariff_edit", args=[tariff.pk]), {}, 200),
        "tariff_delete": ("post", reverse("billing:tariff_delete", args=[tariff.pk]), {}, 302),
        "track_billing": (
            "post",
            reverse("billing:track_billing"),
            {"track": "academic", "is_paid": "1"},
            302,
        ),
        "seller_profile": ("get", reverse("billing:seller_profile"), {}, 302),
        "seller_save": ("post", reverse("billing:seller_profile"), SELLER_FORM, 302),
        "run_list": ("get", reverse("billing:run_list"), {}, 200),
        "run_create": ("post", reverse("billing:run_list"), {"month": "2026-04"}, 302),
        "run_detail": ("get", reverse("billing:run_detail", args=[world["run"].pk]), {}, 200),
        "invoice_list": ("get", reverse("billing:invoice_list"), {}, 200),
        "bulk_issue": (
            "post",
            reverse("billing:invoice_list"),
            {"invoice": [draft.pk], "issue_date": _today()},
            302,
        ),
        "register_csv": (
            "get",
            reverse("billing:register", args=["invoices", "csv"]),
            {"month_from": "2026-01"},
            200,
        ),
        "register_xlsx": ("get", reverse("billing:register", args=["lines", "xlsx"]), {}, 200),
        "invoice_detail": ("get", reverse("billing:invoice_detail", args=[draft.pk]), {}, 200),
        "issued_detail": ("get", reverse("billing:invoice_detail", args=[issued.pk]), {}, 200),
        "invoice_issue": (
            "post",
            reverse("billing:invoice_issue", args=[draft.pk]),
            {"issue_date": _today()},
            302,
        ),
        "invoice_discard": ("post", reverse("billing:invoice_discard", args=[draft.pk]), {}, 302),
        "invoice_paid": (
            "post",
            reverse("billing:invoice_paid", args=[issued.pk]),
            {"paid_on": _today()},
            302,
        ),
        "invoice_cancel": (
            "post",
            reverse("billing:invoice_cancel", args=[issued.pk]),
            {"reason": "Sent to the wrong organisation."},
            302,
        ),
        "credit_note_create": (
            "post",
            reverse("billing:credit_note_create", args=[issued.pk]),
            {f"quantity_{line.pk}": "2.5", "reason": "A failed node.", "issue_date": _today()},
            302,
        ),
        "invoice_pdf": (
            "get",
            reverse("billing:invoice_download", args=[issued.pk, "invoice"]),
            {},
            200,
        ),
        "draft_act_pdf": (
            "get",
            reverse("billing:invoice_download", args=[draft.pk, "act"]),
            {},
            200,
        ),
        "esf": ("get", reverse("billing:esf_download", args=[issued.pk]), {}, 200),
        "credit_note_pdf": (
            "get",
            reverse("billing:credit_note_download", args=[world["credit_note"].pk]),
            {},
            200,
        ),
    }


ROUTES = [
    "tariff_list", "tariff_create", "tariff_edit", "tariff_delete", "track_billing",
    "seller_profile", "seller_save", "run_list", "run_create", "run_detail", "invoice_list",
    "bulk_issue", "register_csv", "register_xlsx", "invoice_detail", "issued_detail",
    "invoice_issue", "invoice_discard", "invoice_paid", "invoice_cancel",
    "credit_note_create", "invoice_pdf", "draft_act_pdf", "esf", "credit_note_pdf",
]  # fmt: skip


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("route", ROUTES)
def test_finance_routes_per_role(client_as, world, role, route):
    method, url, data, success = _routes(world)[route]
    client, _user = client_as(role)
    response = getattr(client, method)(url, data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in FINANCE:
        assert response.status_code == success, response.content[:2000]
    else:
        assert response.status_code == 403


def _applicant_routes(world) -> dict:
    organisation, issued = world["organisation"], world["issued"]
    return {
        "list": reverse("billing:organisation_invoices", args=[organisation.pk]),
        "invoice": reverse(
            "billing:organisation_invoice_download", args=[organisation.pk, issued.pk, "invoice"]
        ),
        "act": reverse(
            "billing:organisation_invoice_download", args=[organisation.pk, issued.pk, "act"]
        ),
        "credit_note": reverse(
            "billing:organisation_credit_note_download",
            args=[organisation.pk, world["credit_note"].pk],
        ),
    }


@pytest.mark.parametrize("who", ["owner", "billing", "member", "stranger", "finance", "anonymous"])
@pytest.mark.parametrize("route", ["list", "invoice", "act", "credit_note"])
def test_applicant_invoice_routes(client, request, world, who, route):
    url = _applicant_routes(world)[route]
    if who == "anonymous":
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
        return
    user = {"owner": world["owner"], "billing": world["billing"], "member": world["member"],
            "stranger": UserFactory()}.get(who) or request.getfixturevalue(who)  # fmt: skip
    client.force_login(user)
    response = client.get(url)
    expected = {"owner": 200, "billing": 200, "member": 403}.get(who, 404)
    assert response.status_code == expected
    if expected == 200 and route != "list":
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(b"%PDF")


def test_applicant_sees_documents_not_drafts(client, world):
    client.force_login(world["billing"])
    page = client.get(_applicant_routes(world)["list"]).content.decode()
    assert "INV-2026-000010" in page
    assert world["credit_note"].number in page
    assert "Draft" not in page
    # A draft of the organisation cannot be downloaded by the applicant.
    url = reverse(
        "billing:organisation_invoice_download",
        args=[world["organisation"].pk, world["draft"].pk, "invoice"],
    )
    assert client.get(url).status_code == 404
    # Another organisation's invoice through this organisation's URL: 404.
    other = make_invoice(organisation=OrganisationFactory(foreign=True), number="INV-2026-000099")
    url = reverse(
        "billing:organisation_invoice_download",
        args=[world["organisation"].pk, other.pk, "invoice"],
    )
    assert client.get(url).status_code == 404


def test_organisation_page_links_to_invoices_for_owner_and_billing(client, world):
    detail = reverse("accounts:organisation_detail", args=[world["organisation"].pk])
    link = reverse("billing:organisation_invoices", args=[world["organisation"].pk])
    for user, visible in ((world["owner"], True), (world["billing"], True),
                          (world["member"], False)):  # fmt: skip
        client.force_login(user)
        assert (link in client.get(detail).content.decode()) is visible


def test_finance_nav_link(client, world, finance, call_manager):
    client.force_login(finance)
    page = client.get(reverse("core:dashboard")).content.decode()
    assert reverse("billing:invoice_list") in page and "Finance" in page
    client.force_login(call_manager)
    assert (
        reverse("billing:invoice_list")
        not in client.get(reverse("core:dashboard")).content.decode()
    )


# --- Bad input shows a message -----------------------------------------------------------


def _page(response) -> str:
    assert response.status_code < 500
    return response.content.decode()


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
