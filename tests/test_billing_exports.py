"""Registers and the electronic invoice: CSV parsed back, XLSX read back with openpyxl
(values, number and date formats, the totals row), filters, and the ESF XML of an issued
invoice checked by validate_esf, including broken ones and their messages."""

import csv
import io
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from allocations.billing import esf, exports
from allocations.billing.exports import RegisterFilter
from allocations.billing.models import InvoiceState
from tests.factories import OrganisationFactory
from tests.factories_billing_docs import SELLER_BIN, make_allocation, make_invoice

pytestmark = pytest.mark.django_db

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def month_data(db):
    alpha = OrganisationFactory(legal_name="Alpha AI LLP", bin="940140000385")
    beta = OrganisationFactory(legal_name="Beta Robotics LLP", bin="950341000052")
    allocation = make_allocation(organisation=alpha, account="p000101_h200")
    a1 = make_invoice(
        organisation=alpha, allocation=allocation, number="INV-2026-000001",
        lines=((Decimal("120.5"), "1500.00"), (Decimal("0.333333"), "2499.99")),
    )  # fmt: skip
    b1 = make_invoice(organisation=beta, number="INV-2026-000002", state=InvoiceState.PAID,
                      lines=((Decimal("10"), "1000.00"),))  # fmt: skip
    a2 = make_invoice(organisation=alpha, period_start=APRIL, number="INV-2026-000003",
                      lines=((Decimal("1"), "1500.00"),))  # fmt: skip
    draft = make_invoice(organisation=beta, period_start=APRIL, state=InvoiceState.DRAFT)
    may = make_invoice(organisation=beta, period_start=MAY, number="INV-2026-000004")
    return {"a1": a1, "b1": b1, "a2": a2, "draft": draft, "may": may}


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def dec(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_invoice_register_csv(month_data):
    rows = read_csv(exports.register_csv("invoices", RegisterFilter(MARCH, APRIL)))
    header, body = rows[0], rows[1:]
    assert header[0] == "Invoice number" and header[-1] == "Amount with VAT"
    # Drafts are not accounting documents; May is outside the range.
    assert [row[0] for row in body] == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    first = dict(zip(header, body[0], strict=True))
    assert first["Issued on"] == "2026-04-02"
    assert first["Turnover date"] == "2026-03-31"
    assert first["Period from"] == "2026-03-01" and first["Period to"] == "2026-03-31"
    assert first["Organisation"] == "Alpha AI LLP" and first["BIN"] == "940140000385"
    assert first["State"] == "Issued"
    assert dec(first["Amount without VAT"]) == Decimal("181583.33")
    assert dec(first["VAT"]) == Decimal("29053.33")
    assert dec(first["Amount with VAT"]) == Decimal("210636.66")
    assert first["Amount with VAT"] == "210636,66"  # decimal comma for kk/ru Excel
    assert dict(zip(header, body[1], strict=True))["State"] == "Paid"


def test_lines_register_csv(month_data):
    rows = read_csv(exports.register_csv("lines", RegisterFilter(MARCH, MARCH)))
    header, body = rows[0], rows[1:]
    assert header == [
        "Invoice number", "Line", "Allocation account", "Resource", "Period from", "Period to",
        "GPU-hours", "Price per GPU-hour", "Amount without VAT", "VAT rate", "VAT",
        "Amount with VAT",
    ]  # fmt: skip
    assert len(body) == 3
    line = dict(zip(header, body[1], strict=True))
    assert line["Invoice number"] == "INV-2026-000001" and line["Line"] == "2"
    assert line["Allocation account"] == "p000101_h200"
    assert line["GPU-hours"] == "0,333333"
    assert dec(line["Price per GPU-hour"]) == Decimal("2499.99")
    assert dec(line["Amount without VAT"]) == Decimal("833.33")
    assert dec(line["VAT rate"]) == Decimal("0.16")
    assert dec(line["VAT"]) == Decimal("133.33") and dec(line["Amount with VAT"]) == Decimal(
        "966.66"
    )


def test_filters_state_search_and_drafts(month_data):
    paid = read_csv(exports.register_csv("invoices", RegisterFilter(state="paid")))
    assert [row[0] for row in paid[1:]] == ["INV-2026-000002"]
    drafts = read_csv(exports.register_csv("invoices", RegisterFilter(state="draft")))
    assert len(drafts) == 2 and drafts[1][0] == ""  # drafts only when asked for
    by_name = read_csv(exports.register_csv("invoices", RegisterFilter(query="beta")))
    assert [row[0] for row in by_name[1:]] == ["INV-2026-000002", "INV-2026-000004"]
    by_bin = read_csv(exports.register_csv("invoices", RegisterFilter(query="9401400")))
    assert {row[0] for row in by_bin[1:]} == {"INV-2026-000001", "INV-2026-000003"}
    empty = read_csv(
        exports.register_csv("lines", RegisterFilter(date(2020, 1, 1), date(2020, 1, 1)))
    )
    assert len(empty) == 1  # the header only
    assert exports.filename("lines", RegisterFilter(MARCH, APRIL), "csv") == (
        "lines-register-2026-03-2026-04.csv"
    )


def test_invoice_register_xlsx(month_data):
    data = exports.register_xlsx("invoices", RegisterFilter(MARCH, APRIL))
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[0] == "Invoice number"
    assert len(rows) == 1 + 3 + 1  # header, three invoices, totals
    first = {header[i]: cell for i, cell in enumerate(rows[1])}
    assert first["Invoice number"].value == "INV-2026-000001"
    assert first["Issued on"].value.date() == date(2026, 4, 2)
    assert first["Issued on"].number_format == "dd.mm.yyyy"
    assert first["Amount with VAT"].value == pytest.approx(210636.66)
    assert first["Amount with VAT"].number_format == "#,##0.00"
    assert first["Paid on"].value is None
    totals = {header[i]: cell for i, cell in enumerate(rows[-1])}
    assert totals["Invoice number"].value == "Total (3 rows)"
    assert totals["Invoice number"].font.bold
    # 181 583.33 + 10 000.00 + 1 500.00 net; VAT 29 053.33 + 1 600.00 + 240.00
    assert totals["Amount without VAT"].value == pytest.approx(193083.33)
    assert totals["VAT"].value == pytest.approx(30893.33)
    assert totals["Amount with VAT"].value == pytest.approx(223976.66)
    assert totals["Amount with VAT"].number_format == "#,##0.00"


def test_lines_register_xlsx(month_data):
    data = exports.register_xlsx("lines", RegisterFilter(MARCH, MARCH))
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert len(rows) == 1 + 3 + 1
    line = {header[i]: cell for i, cell in enumerate(rows[2])}
    assert line["Line"].value == 2
    assert line["GPU-hours"].value == pytest.approx(0.333333)
    assert line["GPU-hours"].number_format == "#,##0.000000"
    assert line["Price per GPU-hour"].number_format == "#,##0.00"
    assert line["VAT rate"].value == pytest.approx(0.16)
    assert line["VAT rate"].number_format == "0.00%"
    assert line["Period to"].value.date() == date(2026, 3, 31)
    totals = {header[i]: cell for i, cell in enumerate(rows[-1])}
    assert totals["GPU-hours"].value == pytest.approx(130.833333)  # 120.5 + 0.333333 + 10
    assert totals["Price per GPU-hour"].value is None  # prices are not summed
    assert totals["Amount with VAT"].value == pytest.approx(222236.66)


def test_csv_streams_many_rows(db):
    organisation = OrganisationFactory(legal_name="Many Lines LLP")
    make_invoice(organisation=organisation, lines=[(Decimal(i + 1), "100.00") for i in range(300)])
    chunks = list(exports.register_csv("lines", RegisterFilter(MARCH, MARCH)))
    assert len(chunks) == 301  # the header, then one chunk per row
    assert len(read_csv(chunks)) == 301


# --- ESF ---------------------------------------------------------------------------------


def test_esf_of_an_issued_invoice_validates(month_data, finance):
    invoice = month_data["a1"]
    invoice.issued_by = finance
    xml = esf.esf_xml(invoice)
    assert esf.validate_esf(xml) == []
    root = ET.fromstring(xml)
    assert root.tag == "{esf}invoiceContainer"
    node = root.find("invoiceSet/{v2.esf}invoice")
    assert node.findtext("num") == "INV-2026-000001"
    assert node.findtext("date") == "02.04.2026"
    assert node.findtext("turnoverDate") == "31.03.2026"
    assert node.findtext("sellers/seller/tin") == SELLER_BIN
    assert node.findtext("sellers/seller/iik") == "KZ86125KZT5004100100"
    assert node.findtext("sellers/seller/kbe") == "17"
    assert node.findtext("customers/customer/tin") == "940140000385"
    assert node.findtext("deliveryTerm/hasContract") == "true"
    assert node.findtext("deliveryTerm/contractNum").startswith("APP-")
    products = node.findall("productSet/products/product")
    assert len(products) == 2
    second = products[1]
    assert second.findtext("unitNomenclature") == "356"
    assert second.findtext("quantity") == "0.333333"
    assert second.findtext("unitPrice") == "2499.99"
    assert second.findtext("priceWithoutTax") == "833.33"
    assert second.findtext("ndsRate") == "16"
    assert second.findtext("ndsAmount") == "133.33"
    assert second.findtext("priceWithTax") == "966.66"
    assert node.findtext("productSet/totalPriceWithTax") == "210636.66"
    assert node.findtext("productSet/totalNdsAmount") == "29053.33"
    assert node.findtext("operatorFullname") == (finance.full_name or finance.email)


def test_non_resident_customer_esf(db):
    foreign = OrganisationFactory(foreign=True, legal_name="Berlin Robotics GmbH")
    xml = esf.esf_xml(make_invoice(organisation=foreign))
    assert esf.validate_esf(xml) == []
    node = ET.fromstring(xml).find("invoiceSet/{v2.esf}invoice/customers/customer")
    assert node.findtext("countryCode") == "DE" and node.find("tin") is None
    assert node.findtext("statuses/status") == "NONRESIDENT"


@pytest.mark.parametrize("state", [InvoiceState.DRAFT, InvoiceState.CANCELLED])
def test_only_issued_invoices_have_an_esf(db, state):
    invoice = make_invoice(state=state)
    with pytest.raises(ValidationError):
        esf.esf_xml(invoice)


def _broken(xml: bytes, change) -> bytes:
    ET.register_namespace("esf", "esf")
    ET.register_namespace("v2", "v2.esf")
    root = ET.fromstring(xml)
    change(root.find("invoiceSet/{v2.esf}invoice"))
    return ET.tostring(root)


def test_broken_esf_gives_clear_messages(month_data):
    xml = esf.esf_xml(month_data["a1"])

    def break_it(invoice):
        seller = invoice.find("sellers/seller")
        seller.remove(seller.find("tin"))
        invoice.find("productSet/products/product/priceWithoutTax").text = "180750.123"
        invoice.find("turnoverDate").text = "2026-03-31"

    errors = esf.validate_esf(_broken(xml, break_it))
    assert "Section B (seller): the BIN is missing." in errors
    assert (
        "Section G, line 1: the amount without tax 180750.123 has more than 2 decimal places."
        in errors
    )
    assert "Section A: the turnover date 2026-03-31 is not a date (dd.mm.yyyy)." in errors


def test_more_broken_esf(month_data):
    xml = esf.esf_xml(month_data["a1"])

    def break_it(invoice):
        invoice.find("customers/customer/tin").text = "940140000386"  # bad check digit
        product = invoice.find("productSet/products/product")
        product.find("quantity").text = "120.5000001"
        product.find("ndsAmount").text = "28920.01"
        invoice.find("sellers/seller/iik").text = "KZ00125KZT5004100100"
        invoice.find("productSet/totalPriceWithTax").text = "1.00"

    errors = esf.validate_esf(_broken(xml, break_it))
    assert "Section C (customer): the BIN 940140000386 is not a valid BIN or IIN." in errors
    assert "Section G, line 1: the quantity 120.5000001 has more than 6 decimal places." in errors
    assert "Section G, line 1: the amount with tax 209670.00 is not 180750.00 + 28920.01." in errors
    assert "Section G, line 1: the VAT amount 28920.01 is not 16 % of 180750.00." in errors
    assert "Section B (seller): the account KZ00125KZT5004100100 is not a valid Kazakh IBAN." in (
        errors
    )
    assert any("total with tax 1.00 is not the sum of the lines" in e for e in errors)


def test_unreadable_esf():
    assert esf.validate_esf(b"<not xml")[0].startswith("The XML cannot be read")
    assert esf.validate_esf(b"<invoice/>") == ["The root element must be esf:invoiceContainer."]
