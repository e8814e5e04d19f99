"""Helpers for the finance and invoice page tests (test_billing_pages*.py): a world with an
organisation and its owner, billing contact and member, a tariff, a draft and an issued
invoice with a credit note, and a running invoice run; the seller form; reading a page.

Import `billing_pages_world` into a test module to have the fixture `world` there."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from allocations.accounts.models import MembershipRole
from allocations.billing.models import InvoiceRun, InvoiceRunStatus, InvoiceState
from tests.factories import OrganisationFactory
from tests.factories_billing_docs import (
    add_member,
    make_credit_note,
    make_invoice,
    make_tariff,
    seller_profile,
)

MARCH = date(2026, 3, 1)


@pytest.fixture(name="world")
def billing_pages_world(db):
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


def today() -> str:
    """Today's date as a form gives it."""
    return timezone.localdate().isoformat()


def page_text(response) -> str:
    """The page of a response that must not be a server error."""
    assert response.status_code < 500
    return response.content.decode()
