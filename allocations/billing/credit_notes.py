"""Credit notes: the only way to correct an issued (or paid) invoice.

A credit note takes, per invoice line, some of its GPU-hours back: amounts are negative,
at the line's price and VAT rate, rounded half-up per line. What the credit notes of a
line take never exceeds the line, in GPU-hours or in money: a partial credit is capped at
what the line still holds, and the credit that takes a line's last GPU-hours takes exactly
its remaining money, so the credits of a fully credited line add up to the line to the
tiyn. Numbered CN-<year>-<000001>, without gaps, like invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.billing import numbering, pricing, selectors
from allocations.billing.issue_services import lock_invoice
from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
)
from allocations.core.audit import record
from allocations.core.numbers import finite_decimal
from allocations.core.permissions import Capability, require

ZERO = Decimal("0")


@dataclass(frozen=True)
class Credit:
    line: InvoiceLine
    quantity: Decimal
    net: Decimal  # negative or zero
    vat: Decimal  # negative or zero


def credit_amounts(*, line: InvoiceLine, quantity: Decimal, credited: dict | None) -> Credit:
    """What crediting `quantity` GPU-hours of `line` takes, given what earlier credit notes
    took (`credited`: quantity and negative net and VAT sums, or None)."""
    credited = credited or {}
    left_quantity = line.quantity - (credited.get("quantity") or ZERO)
    left_net = line.net_amount + (credited.get("net") or ZERO)
    left_vat = line.vat_amount + (credited.get("vat") or ZERO)
    if quantity == left_quantity:  # the line's last GPU-hours take its remaining money
        return Credit(line, quantity, -left_net, -left_vat)
    net = min(pricing.round_money(quantity * line.unit_price), left_net)
    vat = min(pricing.round_money(net * line.vat_rate), left_vat)
    return Credit(line, quantity, -max(net, ZERO), -max(vat, ZERO))


def _quantity(value) -> Decimal | None:
    # An empty box credits nothing on that line.
    if isinstance(value, str) and not value.strip():
        return Decimal(0)
    return finite_decimal(value)


def _write(*, actor, invoice: Invoice, credits: list[Credit], reason: str, issue_date: date):
    """Store the credit note and its lines, numbered, with its audit event; send its PDF
    after commit. The caller holds the invoice's lock and checked everything."""
    number = numbering.take_number(series=numbering.CREDIT_NOTE_SERIES, year=issue_date.year)
    total = pricing.totals(pricing.Amounts(c.net, c.vat, c.net + c.vat) for c in credits)
    credit_note = CreditNote.objects.create(
        invoice=invoice,
        number=number,
        issue_date=issue_date,
        reason=reason,
        net_total=total.net,
        vat_total=total.vat,
        gross_total=total.gross,
        issued_by=actor,
    )
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(
            credit_note=credit_note,
            invoice_line=credit.line,
            quantity=credit.quantity,
            net_amount=credit.net,
            vat_rate=credit.line.vat_rate,
            vat_amount=credit.vat,
            gross_amount=credit.net + credit.vat,
        )
        for credit in credits
    )
    record(
        actor=actor,
        verb="billing.credit_note_issued",
        target=invoice,
        from_state=invoice.state,
        to_state=invoice.state,
        data={
            "credit_note_id": credit_note.pk,
            "number": number,
            "invoice": invoice.number,
            "reason": reason,
            "gross_total": str(credit_note.gross_total),
            "lines": {str(c.line.pk): str(c.quantity) for c in credits},
        },
    )
    credit_note_id = credit_note.pk

    def send():
        from allocations.billing.tasks import generate_credit_note_document

        generate_credit_note_document.delay(credit_note_id=credit_note_id)

    transaction.on_commit(send, robust=True)
    return credit_note


def credit_remaining(*, actor, invoice: Invoice, reason: str, issue_date: date):
    """A credit note for everything the (locked) invoice still holds; None if nothing."""
    credited = selectors.credited_by_line(invoice_id=invoice.pk)
    credits = []
    for line in invoice.lines.order_by("position"):
        done = credited.get(line.pk)
        left = line.quantity - ((done or {}).get("quantity") or ZERO)
        if left > 0:
            credits.append(credit_amounts(line=line, quantity=left, credited=done))
    if not credits:
        return None
    return _write(
        actor=actor, invoice=invoice, credits=credits, reason=reason, issue_date=issue_date
    )


@transaction.atomic
def issue_credit_note(
    *,
    actor,
    invoice_id: int,
    quantities: dict[int, Decimal],
    reason: str,
    issue_date: date,
    now,
) -> CreditNote:
    """Credit GPU-hours of an issued or paid invoice's lines: {invoice line id: GPU-hours}.

    Lines given 0 are left out; each other quantity must be more than 0 and at most what
    the line still holds. Errors about a line's quantity are keyed `quantity_<line id>`.
    """
    require(actor, Capability.MANAGE_BILLING)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is corrected.")})
    invoice = lock_invoice(invoice_id)
    if invoice.state not in (InvoiceState.ISSUED, InvoiceState.PAID):
        raise ValidationError(
            _("Only an issued or paid invoice can be corrected with a credit note.")
        )
    if not isinstance(issue_date, date):
        raise ValidationError({"issue_date": _("Give the date of the credit note.")})
    if issue_date < invoice.issue_date:
        raise ValidationError(
            {
                "issue_date": _("A credit note cannot be dated before its invoice (%(day)s).")
                % {"day": date_format(invoice.issue_date)}
            }
        )
    if issue_date > timezone.localdate(now):
        raise ValidationError({"issue_date": _("The date cannot be in the future.")})

    lines = {line.pk: line for line in invoice.lines.order_by("position")}
    credited = selectors.credited_by_line(invoice_id=invoice.pk)
    errors: dict[str, list] = {}
    credits: list[Credit] = []
    for key, value in (quantities or {}).items():
        try:
            line_id = int(key)
        except (TypeError, ValueError):
            line_id = None
        line = lines.get(line_id)
        field = f"quantity_{key}"
        if line is None:
            errors.setdefault("__all__", []).append(
                _("Line %(id)s is not a line of this invoice.") % {"id": key}
            )
            continue
        quantity = _quantity(value)
        if quantity is None:
            errors[field] = [_("Enter the GPU-hours as a number.")]
            continue
        if quantity == 0:
            continue
        if quantity < 0:
            errors[field] = [_("Enter a positive number of GPU-hours.")]
            continue
        if pricing.decimal_places(quantity) > 6:
            errors[field] = [_("Give the GPU-hours with at most 6 decimals.")]
            continue
        done = credited.get(line.pk)
        left = line.quantity - ((done or {}).get("quantity") or ZERO)
        if quantity > left:
            errors[field] = [
                _(
                    "Line %(position)s has %(left)s GPU-hours left to credit "
                    "(of %(quantity)s); %(asked)s is more."
                )
                % {
                    "position": line.position,
                    "left": left,
                    "quantity": line.quantity,
                    "asked": quantity,
                }
            ]
            continue
        credits.append(
            credit_amounts(line=line, quantity=quantity.quantize(pricing.MICRO), credited=done)
        )
    if errors:
        raise ValidationError(errors)
    if not credits:
        raise ValidationError(_("Give the GPU-hours to credit on at least one line."))
    credits.sort(key=lambda credit: credit.line.position)
    return _write(
        actor=actor, invoice=invoice, credits=credits, reason=reason, issue_date=issue_date
    )
