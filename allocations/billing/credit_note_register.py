"""The credit-note register for accounting: one row per credit note, amounts negative as
stored. Written as CSV and XLSX by allocations.billing.exports (registered there in
REGISTERS as "credit-notes"), with the same formats and totals row as the other registers.

Filters are the finance invoice list's, read for credit notes:
- months: the credit note's issue date falls in them (first day of the first month to the
  last day of the last month), not the invoice's period: a correction belongs to the
  accounting period in which it is issued, whatever month the invoice it corrects was for;
- state: the credit notes of invoices in that state (e.g. "cancelled" lists the full credit
  notes of cancellations). Drafts never have credit notes, so "draft" gives an empty
  register, and without a state every credit note is listed;
- organisation and search: as for invoices, applied to the corrected invoice (organisation
  name, BIN, invoice number).

Organisation name and BIN are the organisation's current ones, as in the invoice register.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from allocations.billing.models import CreditNote, Invoice

if TYPE_CHECKING:
    from allocations.billing.exports import RegisterFilter

# exports imports this module to register it, so exports is imported here inside the
# functions (at call time), never at import time.


def _next_month(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def register_credit_notes(filters: RegisterFilter) -> QuerySet:
    from allocations.billing.exports import filter_invoices

    queryset = CreditNote.objects.all()
    if filters.month_from:
        queryset = queryset.filter(issue_date__gte=filters.month_from)
    if filters.month_to:
        queryset = queryset.filter(issue_date__lt=_next_month(filters.month_to))
    # State, organisation and search apply to the corrected invoice; its months do not.
    of_invoice = replace(filters, month_from=None, month_to=None)
    if of_invoice.state or of_invoice.organisation_id or of_invoice.query.strip():
        invoices = filter_invoices(Invoice.objects.all(), of_invoice)
        queryset = queryset.filter(invoice__in=invoices.values("pk"))
    return queryset


def credit_note_columns() -> list[tuple[str, str]]:
    from allocations.billing.exports import DAY, MONEY, TEXT

    return [
        (_("Credit note number"), TEXT),
        (_("Issued on"), DAY),
        (_("Invoice number"), TEXT),
        (_("Invoice period from"), DAY),
        (_("Invoice period to"), DAY),
        (_("Organisation"), TEXT),
        (_("BIN"), TEXT),
        (_("Reason"), TEXT),
        (_("Amount without VAT"), MONEY),
        (_("VAT"), MONEY),
        (_("Amount with VAT"), MONEY),
        (_("Issued by"), TEXT),
    ]


def credit_note_rows(filters: RegisterFilter) -> Iterator[list]:
    from allocations.billing.exports import CHUNK, _last_day

    rows = (
        register_credit_notes(filters)
        .order_by("issue_date", "number", "pk")
        .values_list(
            "number",
            "issue_date",
            "invoice__number",
            "invoice__period_start",
            "invoice__period_end",
            "invoice__organisation__legal_name",
            "invoice__organisation__bin",
            "reason",
            "net_total",
            "vat_total",
            "gross_total",
            "issued_by__full_name",
            "issued_by__email",
        )
    )
    for row in rows.iterator(chunk_size=CHUNK):
        (number, issued, invoice_number, start, end, name, bin_, reason, net, vat, gross,
         issuer_name, issuer_email) = row  # fmt: skip
        yield [
            number,
            issued,
            invoice_number or "",
            start,
            _last_day(end),
            name,
            bin_ or "",
            reason,
            net,
            vat,
            gross,
            issuer_name or issuer_email,
        ]
