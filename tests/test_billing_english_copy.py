"""English on request: `?lang=en` on a document download gives an English copy rendered
from the same frozen data, to the same people who may download the original; the stored
Kazakh/Russian original is left as it is and is still what a plain download serves."""

import subprocess

import pytest
from django.urls import reverse

from allocations.accounts.models import MembershipRole
from allocations.billing import documents
from tests.factories import UserFactory
from tests.factories_billing_docs import add_member, make_credit_note, make_invoice

pytestmark = pytest.mark.django_db

NUMBER = "INV-2026-000321"


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def pdf_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return text_of(body)


@pytest.fixture
def invoice(db):
    issued = make_invoice(number=NUMBER)
    documents.store_invoice_documents(invoice_id=issued.pk)
    issued.refresh_from_db()
    return issued


@pytest.fixture
def credit_note(invoice):
    return make_credit_note(invoice, quantities={1: 10})


def english_urls(invoice, credit_note, *, applicant: bool) -> dict[str, str]:
    organisation = invoice.organisation_id
    if applicant:
        return {
            "invoice": reverse("billing:organisation_invoice_download",
                               args=[organisation, invoice.pk, "invoice"]),
            "act": reverse("billing:organisation_invoice_download",
                           args=[organisation, invoice.pk, "act"]),
            "credit_note": reverse("billing:organisation_credit_note_download",
                                   args=[organisation, credit_note.pk]),
        }  # fmt: skip
    return {
        "invoice": reverse("billing:invoice_download", args=[invoice.pk, "invoice"]),
        "act": reverse("billing:invoice_download", args=[invoice.pk, "act"]),
        "credit_note": reverse("billing:credit_note_download", args=[credit_note.pk]),
    }


ENGLISH_TITLES = {
    "invoice": "Invoice for payment",
    "act": "Act of services rendered",
    "credit_note": "Credit note",
}


@pytest.mark.parametrize("kind", ["invoice", "act", "credit_note"])
def test_finance_gets_an_english_copy_and_the_original_stays(client, finance, invoice,
                                                             credit_note, kind):  # fmt: skip
    client.force_login(finance)
    url = english_urls(invoice, credit_note, applicant=False)[kind]
    english = client.get(url + "?lang=en")
    assert english.status_code == 200
    assert "-en.pdf" in english["Content-Disposition"]
    text = pdf_text(english)
    assert ENGLISH_TITLES[kind] in text
    assert "Төлем" not in text and "Счет" not in text  # no Kazakh or Russian labels
    original = pdf_text(client.get(url))
    assert ENGLISH_TITLES[kind] not in original  # the bilingual original, labels kk/ru
    # Asking for a language the documents do not print gives the original, not an error.
    assert pdf_text(client.get(url + "?lang=de")) == original
    if kind != "credit_note":
        invoice.refresh_from_db()
        stored = getattr(invoice, f"{kind}_pdf")
        with stored.open("rb") as handle:
            assert text_of(handle.read()) == original


@pytest.mark.parametrize("who", ["owner", "billing", "member", "stranger", "anonymous"])
def test_applicant_english_copy_per_role(client, invoice, credit_note, who):
    organisation = invoice.organisation
    users = {
        "owner": add_member(organisation, MembershipRole.OWNER),
        "billing": add_member(organisation, MembershipRole.BILLING),
        "member": add_member(organisation),
        "stranger": UserFactory(),
    }
    if who != "anonymous":
        client.force_login(users[who])
    for kind, url in english_urls(invoice, credit_note, applicant=True).items():
        response = client.get(url + "?lang=en")
        if who == "anonymous":
            assert response.status_code == 302 and "login" in response["Location"]
            continue
        expected = {"owner": 200, "billing": 200, "member": 403}.get(who, 404)
        assert response.status_code == expected, kind
        if expected == 200:
            assert ENGLISH_TITLES[kind] in pdf_text(response)


def test_pages_offer_the_english_copy(client, finance, invoice, credit_note):
    client.force_login(finance)
    page = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "?lang=en" in page and 'hreflang="en"' in page
    owner = add_member(invoice.organisation, MembershipRole.OWNER)
    client.force_login(owner)
    listing = reverse("billing:organisation_invoices", args=[invoice.organisation_id])
    assert "?lang=en" in client.get(listing).content.decode()
