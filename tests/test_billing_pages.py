"""Finance pages and the applicants' invoice pages: every route per role, what an applicant
sees of the organisation's invoices (documents, never drafts), and the links to them.

Forms of tariffs, the seller and invoice runs: test_billing_pages_setup; invoices, issuing
and downloads: test_billing_pages_invoices."""

import pytest
from django.urls import reverse

from allocations.accounts.models import OrganisationCategory
from tests.conftest import ROLE_FIXTURES
from tests.factories import OrganisationFactory, UserFactory
from tests.factories_billing_docs import make_invoice
from tests.factories_billing_pages import (
    SELLER_FORM,
    billing_pages_world,  # noqa: F401  (fixture `world`)
)
from tests.factories_billing_pages import today as _today

FINANCE = {"finance", "admin_user"}


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
