"""The credit-note register: CSV parsed back and XLSX read back with openpyxl (values,
negative amounts, formats, the totals row), filtering by the credit note's issue date and
by the invoice's state, organisation and search, a constant number of queries, the links
on the finance invoice list, and the download per role."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from allocations.billing import exports
from allocations.billing.exports import RegisterFilter
from allocations.billing.models import InvoiceState
from tests.conftest import ROLE_FIXTURES
from tests.factories import OrganisationFactory, UserFactory
from tests.factories_billing_docs import make_credit_note, make_invoice
from tests.factories_billing_pages import billing_pages_world  # noqa: F401  (fixture `world`)

pytestmark = pytest.mark.django_db

KIND = "credit-notes"
FEBRUARY, MARCH, APRIL, MAY = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
FINANCE = {"finance", "admin_user"}
HEADER = [
    "Credit note number", "Issued on", "Invoice number", "Invoice period from",
    "Invoice period to", "Organisation", "BIN", "Reason", "Amount without VAT", "VAT",
    "Amount with VAT", "Issued by",
]  # fmt: skip


@pytest.fixture
def notes(db):
    """Three credit notes issued on 7 April (of March invoices), one on 7 March and one on
    7 June. An invoice is issued the day after its month, a credit note five days later."""
    alpha = OrganisationFactory(legal_name="Alpha AI LLP", bin="940140000385")
    beta = OrganisationFactory(legal_name="Beta Robotics LLP", bin="950341000052")
    aigerim = UserFactory(full_name="Aigerim Sadykova")
    nameless = UserFactory(full_name="", email="cn-issuer@example.org")
    a1 = make_invoice(organisation=alpha, number="INV-2026-000001",
                      lines=((Decimal("10"), "1000.00"), (Decimal("2"), "1500.00")))  # fmt: skip
    b1 = make_invoice(organisation=beta, number="INV-2026-000002", state=InvoiceState.PAID,
                      lines=((Decimal("10"), "1000.00"),))  # fmt: skip
    c1 = make_invoice(organisation=beta, number="INV-2026-000003", state=InvoiceState.CANCELLED,
                      lines=((Decimal("3"), "1000.00"),))  # fmt: skip
    old = make_invoice(organisation=alpha, period_start=FEBRUARY, number="INV-2026-000004")
    may = make_invoice(organisation=beta, period_start=MAY, number="INV-2026-000005")
    return {
        "alpha": alpha,
        "a1": make_credit_note(
            a1,
            quantities={1: Decimal("2"), 2: Decimal("1")},
            number="CN-2026-000001",
            issued_by=aigerim,
            reason="Node 7 failed; jobs re-run.",
        ),  # fmt: skip
        "b1": make_credit_note(
            b1, quantities={1: Decimal("0.5")}, number="CN-2026-000002", issued_by=nameless
        ),  # fmt: skip
        "c1": make_credit_note(
            c1, quantities={1: Decimal("3")}, number="CN-2026-000003", reason="Issued by mistake."
        ),  # fmt: skip
        "old": make_credit_note(old, quantities={1: Decimal("1")}, number="CN-2026-000004"),
        "may": make_credit_note(may, quantities={1: Decimal("1")}, number="CN-2026-000005"),
    }


def read_csv(chunks) -> list[list[str]]:
    data = b"".join(chunks)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def dec(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def numbers(filters: RegisterFilter) -> list[str]:
    return [row[0] for row in read_csv(exports.register_csv(KIND, filters))[1:]]


def test_credit_note_register_csv(notes):
    rows = read_csv(exports.register_csv(KIND, RegisterFilter(APRIL, APRIL)))
    header, body = rows[0], rows[1:]
    assert header == HEADER
    # Issued in April: the credit notes of 7 March and 7 June are left out.
    assert [row[0] for row in body] == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    first = dict(zip(header, body[0], strict=True))
    assert first["Issued on"] == "2026-04-07"
    assert first["Invoice number"] == "INV-2026-000001"
    assert first["Invoice period from"] == "2026-03-01"
    assert first["Invoice period to"] == "2026-03-31"
    assert first["Organisation"] == "Alpha AI LLP" and first["BIN"] == "940140000385"
    assert first["Reason"] == "Node 7 failed; jobs re-run."
    assert first["Issued by"] == "Aigerim Sadykova"
    # 2 × 1 000.00 + 1 × 1 500.00 taken back, VAT 16 %: negative as stored.
    assert first["Amount without VAT"] == "-3500,00"  # decimal comma for kk/ru Excel
    assert dec(first["VAT"]) == Decimal("-560.00")
    assert dec(first["Amount with VAT"]) == Decimal("-4060.00")
    second = dict(zip(header, body[1], strict=True))
    assert second["Organisation"] == "Beta Robotics LLP" and second["BIN"] == "950341000052"
    assert second["Issued by"] == "cn-issuer@example.org"  # no name: the e-mail
    assert [dec(second[name]) for name in HEADER[8:11]] == [
        Decimal("-500.00"), Decimal("-80.00"), Decimal("-580.00"),
    ]  # fmt: skip
    for row in body:
        line = dict(zip(header, row, strict=True))
        assert dec(line["Amount without VAT"]) + dec(line["VAT"]) == dec(line["Amount with VAT"])
        assert dec(line["Amount with VAT"]) < 0


def test_months_are_those_of_the_issue_date(notes):
    assert numbers(RegisterFilter(MARCH, MARCH)) == ["CN-2026-000004"]  # a February invoice
    assert numbers(RegisterFilter(MARCH, APRIL)) == [f"CN-2026-00000{i}" for i in (4, 1, 2, 3)]
    assert numbers(RegisterFilter(month_from=MAY)) == ["CN-2026-000005"]
    assert numbers(RegisterFilter(month_to=MARCH)) == ["CN-2026-000004"]
    assert len(numbers(RegisterFilter())) == 5
    assert numbers(RegisterFilter(date(2020, 1, 1), date(2020, 1, 1))) == []


def test_state_organisation_and_search_apply_to_the_invoice(notes):
    assert numbers(RegisterFilter(APRIL, APRIL, state="paid")) == ["CN-2026-000002"]
    assert numbers(RegisterFilter(state="cancelled")) == ["CN-2026-000003"]
    assert numbers(RegisterFilter(state="draft")) == []  # drafts never have credit notes
    assert numbers(RegisterFilter(APRIL, APRIL, query="beta")) == [
        "CN-2026-000002", "CN-2026-000003",
    ]  # fmt: skip
    assert numbers(RegisterFilter(query="9401400")) == ["CN-2026-000004", "CN-2026-000001"]
    assert numbers(RegisterFilter(query="INV-2026-000005")) == ["CN-2026-000005"]
    alpha = notes["alpha"].pk
    assert numbers(RegisterFilter(APRIL, APRIL, organisation_id=alpha)) == ["CN-2026-000001"]
    assert exports.filename(KIND, RegisterFilter(MARCH, APRIL, state="paid"), "xlsx") == (
        "credit-notes-register-2026-03-2026-04-paid.xlsx"
    )


def test_credit_note_register_xlsx(notes):
    data = exports.register_xlsx(KIND, RegisterFilter(APRIL, APRIL), title="Credit notes")
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.title == "Credit notes"
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header == HEADER
    assert len(rows) == 1 + 3 + 1  # header, three credit notes, totals
    first = {header[i]: cell for i, cell in enumerate(rows[1])}
    assert first["Credit note number"].value == "CN-2026-000001"
    assert first["Issued on"].value.date() == date(2026, 4, 7)
    assert first["Issued on"].number_format == "dd.mm.yyyy"
    assert first["Invoice period to"].value.date() == date(2026, 3, 31)
    assert first["Invoice period to"].number_format == "dd.mm.yyyy"
    assert first["Amount without VAT"].value == pytest.approx(-3500.00)
    assert first["VAT"].value == pytest.approx(-560.00)
    assert first["Amount with VAT"].value == pytest.approx(-4060.00)
    assert first["Amount with VAT"].number_format == "#,##0.00"
    assert first["Issued by"].value == "Aigerim Sadykova"
    for row in rows[1:-1]:
        cells = {header[i]: cell.value for i, cell in enumerate(row)}
        total = cells["Amount without VAT"] + cells["VAT"]
        assert total == pytest.approx(cells["Amount with VAT"])
    totals = {header[i]: cell for i, cell in enumerate(rows[-1])}
    assert totals["Credit note number"].value == "Total (3 rows)"
    assert totals["Credit note number"].font.bold
    # -3 500.00 - 500.00 - 3 000.00 net; VAT -560.00 - 80.00 - 480.00
    assert totals["Amount without VAT"].value == pytest.approx(-7000.00)
    assert totals["VAT"].value == pytest.approx(-1120.00)
    assert totals["Amount with VAT"].value == pytest.approx(-8120.00)
    assert totals["Amount with VAT"].number_format == "#,##0.00"
    assert totals["Issued on"].value is None


def _credit_notes(count: int) -> None:
    for i in range(count):
        organisation = OrganisationFactory(foreign=True, legal_name=f"Org {count}-{i}")
        invoice = make_invoice(organisation=organisation, number=f"INV-2026-{count:02d}{i:04d}")
        make_credit_note(invoice, quantities={1: Decimal("1")},
                         number=f"CN-2026-{count:02d}{i:04d}")  # fmt: skip


def _queries(expected_rows: int) -> tuple[int, int]:
    filters = RegisterFilter(APRIL, APRIL)
    with CaptureQueriesContext(connection) as as_csv:
        rows = read_csv(exports.register_csv(KIND, filters))
    assert len(rows) == 1 + expected_rows
    with CaptureQueriesContext(connection) as as_xlsx:
        exports.register_xlsx(KIND, filters)
    return len(as_csv.captured_queries), len(as_xlsx.captured_queries)


def test_a_constant_number_of_queries(db):
    _credit_notes(2)
    two = _queries(2)
    _credit_notes(8)
    assert _queries(10) == two
    assert max(two) <= 2


def test_links_on_the_finance_invoice_list(client, world, finance):
    client.force_login(finance)
    page = client.get(reverse("billing:invoice_list"), {"month_from": "2026-03"})
    text = page.content.decode()
    for fmt in ("csv", "xlsx"):
        url = reverse("billing:register", args=[KIND, fmt])
        assert f'href="{url}?month_from=2026-03"' in text
    assert "Credit notes (CSV)" in text and "Credit notes (XLSX)" in text


def test_download(client, world, finance):
    client.force_login(finance)
    filters = {"month_from": "2026-03", "month_to": "2026-04"}
    response = client.get(reverse("billing:register", args=[KIND, "csv"]), filters)
    assert response.streaming
    assert (
        'filename="credit-notes-register-2026-03-2026-04.csv"' in (response["Content-Disposition"])
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert world["credit_note"].number in body and "INV-2026-000010" in body
    xlsx = client.get(reverse("billing:register", args=[KIND, "xlsx"]), filters)
    assert xlsx.content.startswith(b"PK")
    assert load_workbook(io.BytesIO(xlsx.content)).active.title == "Credit notes"


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_credit_note_register_per_role(client_as, world, role, fmt):
    client, _user = client_as(role)
    response = client.get(reverse("billing:register", args=[KIND, fmt]))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif role in FINANCE:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
