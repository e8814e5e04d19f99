"""Billing PDFs read back with pdftotext: the invoice and the act in Kazakh and Russian
(labels in both languages, the seller's names in both, numbers, BINs, bank details, VAT,
totals), English on request, drafts marked as previews, the credit note, and storing the
documents once (safe to run twice)."""

import subprocess
import time
from datetime import date
from decimal import Decimal

import pytest

from allocations.billing import documents
from allocations.billing.models import Invoice, InvoiceState
from tests.factories import OrganisationFactory
from tests.factories_billing_docs import (
    SELLER,
    SELLER_BIN,
    SELLER_IIK,
    make_allocation,
    make_credit_note,
    make_invoice,
    seller_profile,
)

pytestmark = pytest.mark.django_db

CUSTOMER_BIN = "940140000385"


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    result = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    )
    # Numbers are grouped with no-break spaces; compare with plain ones.
    return " ".join(result.stdout.decode().replace("\u00a0", " ").split())


@pytest.fixture
def customer(db):
    return OrganisationFactory(
        legal_name="«Qazaq Vision AI» ЖШС", bin=CUSTOMER_BIN, address="Алматы, Абай д-лы, 10"
    )


@pytest.fixture
def issued(customer):
    # 120.5 h × 1 500.00 = 180 750.00; VAT 16 % = 28 920.00; with VAT 209 670.00
    # 0.333333 h × 2 499.99 = 833.33; VAT 133.33; with VAT 966.66
    allocation = make_allocation(organisation=customer, account="p000777_h200")
    return make_invoice(
        organisation=customer,
        allocation=allocation,
        number="INV-2026-000042",
        lines=((Decimal("120.5"), Decimal("1500.00")), (Decimal("0.333333"), Decimal("2499.99"))),
    )


def test_bilingual_invoice_shows_parties_lines_and_totals(issued):
    text = text_of(documents.invoice_pdf(issued))
    # Number and dates: issued 02.04.2026, turnover on the month's last day, period.
    assert "INV-2026-000042" in text
    assert "02.04.2026" in text and "31.03.2026" in text
    assert "01.03.2026 – 31.03.2026" in text
    # Both parties, with BINs, the seller's names in Kazakh and Russian, bank details.
    assert SELLER_BIN in text and CUSTOMER_BIN in text
    assert "Ұлттық жасанды интеллект есептеу орталығы" in text
    assert "Национальный центр вычислений ИИ" in text
    assert "«Qazaq Vision AI» ЖШС" in text
    assert SELLER_IIK in text and "HSBKKZKX" in text and "Halyk Bank JSC" in text
    assert "17" in text
    # Labels in both languages (from the shipped catalogues): BIN, address.
    assert "БСН" in text and "БИН" in text
    assert "Мекенжай" in text and "Адрес" in text
    # Lines: quantities with 6 decimals, prices and amounts with 2, comma decimals.
    assert "120,500000" in text and "0,333333" in text
    assert "1 500,00" in text and "2 499,99" in text
    assert "180 750,00" in text and "28 920,00" in text and "209 670,00" in text
    assert "833,33" in text and "133,33" in text and "966,66" in text
    assert "16 %" in text
    # Totals are the sums of the lines.
    assert "181 583,33" in text  # net
    assert "29 053,33" in text  # VAT
    assert "210 636,66" in text  # gross
    # The allocation is named as the basis; the signatories are printed.
    assert "p000777_h200" in text and "APP-" in text
    assert SELLER["director"] in text and SELLER["accountant"] in text
    assert "DRAFT" not in text


def test_act_of_services_has_the_same_figures(issued):
    text = text_of(documents.act_pdf(issued))
    assert "INV-2026-000042" in text
    assert "31.03.2026" in text
    assert SELLER_BIN in text and CUSTOMER_BIN in text
    assert "210 636,66" in text and "29 053,33" in text
    assert "БСН" in text and "БИН" in text


def test_english_invoice(customer):
    invoice = make_invoice(
        organisation=customer, language="en", number="INV-2026-000043",
        lines=((Decimal("1000"), Decimal("1234.56")),),
    )  # fmt: skip
    text = text_of(documents.invoice_pdf(invoice))
    assert "Invoice for payment" in text
    assert "National AI Compute Centre LLP" in text
    assert "55/8 Mangilik El Avenue, Astana" in text
    assert "Национальный центр" not in text  # one language only
    assert "BIN" in text and "БИН" not in text
    assert "1 000.000000" in text and "1 234 560.00" in text
    assert "197 529.60" in text and "1 432 089.60" in text
    assert "Total with VAT" in text and "Chief accountant" in text
    act = text_of(documents.act_pdf(invoice))
    assert "Act of services rendered" in act and "1 432 089.60" in act
    # An explicit choice wins over the invoice's language.
    assert "БИН" in text_of(documents.invoice_pdf(invoice, language="ru"))


def test_draft_is_a_preview_with_live_parties(customer):
    seller_profile(name_en="Old Centre Name LLP")
    draft = make_invoice(organisation=customer, state=InvoiceState.DRAFT, language="en")
    assert draft.number is None and draft.seller == {}
    seller_profile(name_en="New Centre Name LLP")
    customer.legal_name = "Renamed Customer LLP"
    customer.save()
    text = text_of(documents.invoice_pdf(Invoice.objects.get(pk=draft.pk)))
    assert "DRAFT: a preview, not a valid document" in text
    assert "not numbered yet" in text
    assert "New Centre Name LLP" in text and "Renamed Customer LLP" in text
    assert "Old Centre Name" not in text
    # A draft of the default print languages is marked too (whatever the wording).
    bilingual = make_invoice(organisation=customer, state=InvoiceState.DRAFT,
                             period_start=date(2026, 4, 1))  # fmt: skip
    draft_label = documents.texts(("kk", "ru"))["draft"].parts[0][1]
    assert draft_label in text_of(documents.invoice_pdf(bilingual))


def test_issued_invoice_prints_its_copies_not_live_data(issued, customer):
    seller_profile(name_ru="ТОО «Другое имя»", bin="950341000052")
    customer.legal_name = "Renamed Customer LLP"
    customer.save()
    text = text_of(documents.invoice_pdf(Invoice.objects.get(pk=issued.pk)))
    assert "Национальный центр вычислений ИИ" in text and SELLER_BIN in text
    assert "Другое имя" not in text and "Renamed Customer" not in text


def test_non_resident_customer_has_no_bin(db):
    foreign = OrganisationFactory(foreign=True, legal_name="Berlin Robotics GmbH")
    invoice = make_invoice(organisation=foreign, language="en")
    text = text_of(documents.invoice_pdf(invoice))
    assert "Berlin Robotics GmbH" in text and "none (non-resident)" in text


def test_credit_note_pdf(issued):
    credit_note = make_credit_note(
        issued, quantities={1: Decimal("20.5")}, reason="A node failed during the jobs."
    )
    # 20.5 h × 1 500.00 = 30 750.00, VAT 4 920.00, with VAT 35 670.00 (credited: negative)
    text = text_of(documents.credit_note_pdf(credit_note))
    assert credit_note.number in text
    assert "INV-2026-000042" in text and "02.04.2026" in text
    assert "A node failed during the jobs." in text
    assert SELLER_BIN in text and CUSTOMER_BIN in text
    assert "-20,500000" in text
    assert "-30 750,00" in text and "-4 920,00" in text and "-35 670,00" in text
    assert "БСН" in text and "БИН" in text


def test_store_documents_once(issued):
    stored = documents.store_invoice_documents(invoice_id=issued.pk)
    assert stored.invoice_pdf.name.endswith("INV-2026-000042-invoice.pdf")
    assert stored.act_pdf.name.endswith("INV-2026-000042-act.pdf")
    with stored.invoice_pdf.open("rb") as handle:
        assert "INV-2026-000042" in text_of(handle.read())
    names = (stored.invoice_pdf.name, stored.act_pdf.name)
    again = documents.store_invoice_documents(invoice_id=issued.pk)
    assert (again.invoice_pdf.name, again.act_pdf.name) == names
    # Drafts are previews: never stored.
    draft = make_invoice(organisation=issued.organisation, state=InvoiceState.DRAFT,
                         period_start=date(2026, 4, 1))  # fmt: skip
    assert documents.store_invoice_documents(invoice_id=draft.pk) is None
    draft.refresh_from_db()
    assert not draft.invoice_pdf
    assert documents.store_invoice_documents(invoice_id=999_999) is None


def test_store_credit_note_once(issued):
    credit_note = make_credit_note(issued, quantities={2: Decimal("0.333333")})
    stored = documents.store_credit_note_document(credit_note_id=credit_note.pk)
    assert stored.pdf.name.endswith(f"{credit_note.number}.pdf")
    name = stored.pdf.name
    assert documents.store_credit_note_document(credit_note_id=credit_note.pk).pdf.name == name


def test_number_formatting():
    assert documents.number(Decimal("1234567.5"), 2) == "1\u00a0234\u00a0567,50"
    assert documents.number(Decimal("-0.005"), 2, decimal_separator=".") == "-0.01"
    assert documents.number(Decimal("0.1234565"), 6) == "0,123457"
    assert documents.percent(Decimal("0.1200")) == "12\u00a0%"
    assert documents.percent(Decimal("0.125")) == "12.5\u00a0%"


def test_a_ten_line_invoice_renders_quickly(customer):
    invoice = make_invoice(
        organisation=customer, lines=[(Decimal(i) + Decimal("0.5"), "1500.00") for i in range(10)]
    )
    documents.invoice_pdf(invoice)  # warm up fonts and templates
    start = time.perf_counter()
    for _ in range(3):
        documents.invoice_pdf(Invoice.objects.get(pk=invoice.pk))
    # The target is < 0.5 s; allow for a loaded test machine.
    assert (time.perf_counter() - start) / 3 < 1.5
