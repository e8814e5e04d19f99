"""Registers for accounting: invoices, invoice lines and credit notes of a range of months,
as CSV and XLSX (the credit-note register and how it reads the filters:
allocations.billing.credit_note_register).

Filters are those of the finance invoice list (months from/to by the invoice's period,
state, organisation search). Without a state filter the registers leave drafts out: a
draft is not an accounting document (ask for state "draft" to list them).

CSV: UTF-8 with a byte-order mark (so Excel detects the encoding), `;` between fields and a
decimal comma, ISO dates. Finance works in Kazakh and Russian Excel, whose list separator is
`;` and decimal separator `,`: such a file opens in columns with numbers as numbers, and a
decimal point could turn "12.05" into 12 May. The CSV has no totals row (it is for
importing); it is streamed row by row, so any size works in constant memory.

XLSX (openpyxl, write-only): numbers are numbers with 2 decimals (money) or 6 (GPU-hours),
VAT rates are percentages, dates are dates, and a bold totals row ends each sheet.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from allocations.billing.credit_note_register import credit_note_columns, credit_note_rows
from allocations.billing.models import Invoice, InvoiceLine, InvoiceState

CHUNK = 2000
BOM = "\ufeff"
MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.000000"
RATE_FORMAT = "0.00%"
DATE_FORMAT = "dd.mm.yyyy"


@dataclass(frozen=True)
class RegisterFilter:
    """Months are first days of months; both ends are included."""

    month_from: date | None = None
    month_to: date | None = None
    state: str = ""
    query: str = ""
    organisation_id: int | None = None

    def query_string(self) -> str:
        from urllib.parse import urlencode

        pairs = {
            "month_from": f"{self.month_from:%Y-%m}" if self.month_from else "",
            "month_to": f"{self.month_to:%Y-%m}" if self.month_to else "",
            "state": self.state,
            "q": self.query,
        }
        return urlencode({key: value for key, value in pairs.items() if value})


def filter_invoices(queryset: QuerySet, filters: RegisterFilter, *, drafts=True) -> QuerySet:
    """Apply the list's filters. `drafts=False` leaves drafts out unless asked for."""
    if filters.month_from:
        queryset = queryset.filter(period_start__gte=filters.month_from)
    if filters.month_to:
        queryset = queryset.filter(period_start__lte=filters.month_to)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    elif not drafts:
        queryset = queryset.exclude(state=InvoiceState.DRAFT)
    if filters.organisation_id:
        queryset = queryset.filter(organisation_id=filters.organisation_id)
    query = filters.query.strip()
    if query:
        queryset = queryset.filter(
            Q(organisation__legal_name__icontains=query)
            | Q(organisation__bin__startswith=query)
            | Q(number__icontains=query)
        )
    return queryset


def register_invoices(filters: RegisterFilter) -> QuerySet:
    return filter_invoices(Invoice.objects.all(), filters, drafts=False)


def _last_day(end_exclusive: date) -> date:
    return end_exclusive - timedelta(days=1)


# --- The two registers as rows -----------------------------------------------------------

# (header, kind) per column; kind decides the XLSX format and the CSV text.
# Money is summed in the totals row, a price (money per GPU-hour) is not.
TEXT, INTEGER, DAY, MONEY, PRICE, QUANTITY, RATE = (
    "text", "int", "date", "money", "price", "qty", "rate"
)  # fmt: skip


def invoice_columns() -> list[tuple[str, str]]:
    return [
        (_("Invoice number"), TEXT),
        (_("Issued on"), DAY),
        (_("Turnover date"), DAY),
        (_("Period from"), DAY),
        (_("Period to"), DAY),
        (_("Due on"), DAY),
        (_("Paid on"), DAY),
        (_("Organisation"), TEXT),
        (_("BIN"), TEXT),
        (_("State"), TEXT),
        (_("Currency"), TEXT),
        (_("Amount without VAT"), MONEY),
        (_("VAT"), MONEY),
        (_("Amount with VAT"), MONEY),
    ]


def invoice_rows(filters: RegisterFilter) -> Iterator[list]:
    states = dict(InvoiceState.choices)
    rows = (
        register_invoices(filters)
        .order_by("period_start", "number", "organisation__legal_name", "pk")
        .values_list(
            "number",
            "issue_date",
            "turnover_date",
            "period_start",
            "period_end",
            "due_date",
            "paid_on",
            "organisation__legal_name",
            "organisation__bin",
            "state",
            "currency",
            "net_total",
            "vat_total",
            "gross_total",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (number, issued, turnover, start, end, due, paid, name, bin_, state, currency,
         net, vat, gross) = row  # fmt: skip
        yield [
            number or "",
            issued,
            turnover,
            start,
            _last_day(end),
            due,
            paid,
            name,
            bin_ or "",
            str(states.get(state, state)),
            currency,
            net,
            vat,
            gross,
        ]


def line_columns() -> list[tuple[str, str]]:
    return [
        (_("Invoice number"), TEXT),
        (_("Line"), INTEGER),
        (_("Allocation account"), TEXT),
        (_("Resource"), TEXT),
        (_("Period from"), DAY),
        (_("Period to"), DAY),
        (_("GPU-hours"), QUANTITY),
        (_("Price per GPU-hour"), PRICE),
        (_("Amount without VAT"), MONEY),
        (_("VAT rate"), RATE),
        (_("VAT"), MONEY),
        (_("Amount with VAT"), MONEY),
    ]


def line_rows(filters: RegisterFilter) -> Iterator[list]:
    invoices = register_invoices(filters).values("pk")
    rows = (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .order_by("invoice__period_start", "invoice__number", "invoice_id", "position")
        .values_list(
            "invoice__number",
            "position",
            "allocation__slurm_account",
            "resource__name",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "net_amount",
            "vat_rate",
            "vat_amount",
            "gross_amount",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (number, position, account, resource, start, end, quantity, price, net, rate, vat,
         gross) = row  # fmt: skip
        yield [
            number or "",
            position,
            account or "",
            resource,
            start,
            _last_day(end),
            quantity,
            price,
            net,
            rate,
            vat,
            gross,
        ]


REGISTERS = {
    "invoices": (invoice_columns, invoice_rows),
    "lines": (line_columns, line_rows),
    "credit-notes": (credit_note_columns, credit_note_rows),
}


# --- CSV ---------------------------------------------------------------------------------


class _Line:
    """A file-like object that hands back what csv.writer writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == DAY:
        return value.isoformat()
    if kind in (MONEY, PRICE):
        return f"{Decimal(value):.2f}".replace(".", ",")
    if kind == QUANTITY:
        return f"{Decimal(value):.6f}".replace(".", ",")
    if kind == RATE:
        return f"{Decimal(value):.4f}".replace(".", ",")
    return str(value)


def register_csv(kind: str, filters: RegisterFilter) -> Iterator[bytes]:
    """The register as CSV, one encoded line at a time (for StreamingHttpResponse)."""
    columns_of, rows_of = REGISTERS[kind]
    columns = columns_of()
    kinds = [column_kind for _header, column_kind in columns]
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield (BOM + writer.writerow([header for header, _kind in columns])).encode()
    for row in rows_of(filters):
        values = [_csv_value(value, kinds[i]) for i, value in enumerate(row)]
        yield writer.writerow(values).encode()


# --- XLSX --------------------------------------------------------------------------------


def register_xlsx(kind: str, filters: RegisterFilter, *, title: str = "") -> bytes:
    """The register as an XLSX workbook: one sheet, formatted numbers, a totals row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns_of, rows_of = REGISTERS[kind]
    columns = columns_of()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or kind)[:31])
    formats = {
        DAY: DATE_FORMAT,
        MONEY: MONEY_FORMAT,
        PRICE: MONEY_FORMAT,
        QUANTITY: QUANTITY_FORMAT,
        RATE: RATE_FORMAT,
    }
    widths = {TEXT: 28, INTEGER: 7, DAY: 12, MONEY: 16, PRICE: 14, QUANTITY: 16, RATE: 9}
    for index, (_header, column_kind) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths[column_kind]
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value, column_kind=None, *, font=None):
        item = WriteOnlyCell(sheet, value=value)
        if column_kind in formats and value is not None:
            item.number_format = formats[column_kind]
        if font is not None:
            item.font = font
        return item

    header = []
    for text, _kind in columns:
        item = cell(text, font=bold)
        item.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(item)
    sheet.append(header)
    summed = [column_kind in (MONEY, QUANTITY) for _text, column_kind in columns]
    totals = [Decimal(0)] * len(columns)
    count = 0
    for row in rows_of(filters):
        count += 1
        cells = []
        for index, value in enumerate(row):
            column_kind = columns[index][1]
            if summed[index] and value is not None:
                totals[index] += value
            cells.append(cell(_xlsx_value(value, column_kind), column_kind))
        sheet.append(cells)
    footer = []
    for index, (_text, column_kind) in enumerate(columns):
        if index == 0:
            footer.append(cell(_("Total (%(count)s rows)") % {"count": count}, font=bold))
        elif summed[index]:
            footer.append(cell(_xlsx_value(totals[index], column_kind), column_kind, font=bold))
        else:
            footer.append(cell(None))
    sheet.append(footer)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value, kind: str):
    """Decimals become floats rounded to the column's places (Excel stores doubles)."""
    if value is None or value == "":
        return None
    if kind in (MONEY, PRICE):
        return float(round(Decimal(value), 2))
    if kind == QUANTITY:
        return float(round(Decimal(value), 6))
    if kind == RATE:
        return float(Decimal(value))
    return value


def filename(kind: str, filters: RegisterFilter, extension: str) -> str:
    start = f"{filters.month_from:%Y-%m}" if filters.month_from else "start"
    end = f"{filters.month_to:%Y-%m}" if filters.month_to else "now"
    suffix = f"-{filters.state}" if filters.state else ""
    return f"{kind}-register-{start}-{end}{suffix}.{extension}"
