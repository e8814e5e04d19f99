"""An invoice's life after the run: discard a draft, issue drafts (numbered, with copies of
seller and customer), record payment, cancel (with a credit note for what it still holds).

Lock order, kept by every billing service that writes invoices: organisations (by id),
then invoices (by id), then the number sequence. The invoicing run locks organisations
too, so it never makes a draft beside an invoice being issued.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation
from allocations.billing import numbering, selectors
from allocations.billing.models import SELLER_FIELDS, Invoice, InvoiceLine, InvoiceState
from allocations.core.audit import record
from allocations.core.permissions import Capability, require


def customer_copy(organisation: Organisation) -> dict:
    """The customer as printed on an issued invoice (the same keys the documents read)."""
    return {
        "legal_name": organisation.legal_name,
        "bin": organisation.bin or "",
        "address": organisation.address,
        "country": organisation.country,
        "category": organisation.category,
    }


def seller_copy(profile) -> dict:
    return model_to_dict(profile, fields=SELLER_FIELDS)


def _label(invoice: Invoice) -> str:
    if invoice.number:
        return f"{invoice.number} ({invoice.get_state_display()})"
    return f"#{invoice.pk} ({invoice.get_state_display()})"


def lock_invoice(invoice_id: int) -> Invoice:
    """One invoice, locked after its organisation (the billing lock order); 404 if gone."""
    organisation_id = (
        Invoice.objects.filter(pk=invoice_id).values_list("organisation_id", flat=True).first()
    )
    if organisation_id is None:
        raise Http404
    list(
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk=organisation_id)
        .values_list("pk", flat=True)
    )
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def send_invoice_documents(invoice_ids: list[int]) -> None:
    """After commit: render and store each issued invoice's PDFs (queue "documents")."""
    ids = list(invoice_ids)

    def send():
        from allocations.billing.tasks import generate_invoice_documents

        for invoice_id in ids:
            generate_invoice_documents.delay(invoice_id=invoice_id)

    transaction.on_commit(send, robust=True)


@transaction.atomic
def discard_draft(*, actor, invoice_id: int) -> None:
    """Delete a draft invoice (a later run of its month makes it again)."""
    require(actor, Capability.MANAGE_BILLING)
    invoice = lock_invoice(invoice_id)
    if invoice.state != InvoiceState.DRAFT:
        raise ValidationError(
            _("Only a draft can be discarded; %(invoice)s is a document.")
            % {"invoice": _label(invoice)}
        )
    record(
        actor=actor,
        verb="billing.draft_discarded",
        target=invoice,
        from_state=InvoiceState.DRAFT,
        data={
            "organisation_id": invoice.organisation_id,
            "period_start": invoice.period_start.isoformat(),
            "gross_total": str(invoice.gross_total),
        },
    )
    invoice.delete()


@transaction.atomic
def issue_invoices(*, actor, invoice_ids: list[int], issue_date: date, now) -> list[Invoice]:
    """Issue draft invoices: each gets the next number of its year (INV-<year>-<000001>),
    copies of the seller and the customer, and its due date; its PDFs are made after
    commit. All or nothing: one invoice that cannot be issued stops them all."""
    require(actor, Capability.MANAGE_BILLING)
    ids = sorted({int(pk) for pk in invoice_ids or []})
    if not ids:
        raise ValidationError({"invoice_ids": _("Choose at least one draft invoice to issue.")})
    if not isinstance(issue_date, date):
        raise ValidationError({"issue_date": _("Give the date of issue.")})
    if issue_date > timezone.localdate(now):
        raise ValidationError({"issue_date": _("The date of issue cannot be in the future.")})
    seller = selectors.seller_profile()
    if seller is None:
        raise ValidationError(
            _("Fill in the seller profile (the centre's name, BIN and bank) before issuing.")
        )

    organisation_ids = sorted(
        set(Invoice.objects.filter(pk__in=ids).values_list("organisation_id", flat=True))
    )
    list(
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk__in=organisation_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {invoice.pk for invoice in invoices})
    if missing:
        raise ValidationError(
            _(
                "These invoices no longer exist (a later run may have replaced them): "
                "%(ids)s. Reload the list and choose again."
            )
            % {"ids": ", ".join(f"#{pk}" for pk in missing)}
        )
    not_drafts = [invoice for invoice in invoices if invoice.state != InvoiceState.DRAFT]
    if not_drafts:
        raise ValidationError(
            _("Only drafts can be issued; these are not drafts: %(invoices)s.")
            % {"invoices": ", ".join(_label(invoice) for invoice in not_drafts)}
        )
    early = [invoice for invoice in invoices if issue_date < invoice.turnover_date]
    if early:
        raise ValidationError(
            {
                "issue_date": _(
                    "An invoice cannot be issued before its turnover date (%(day)s, the "
                    "month's last day): %(invoices)s."
                )
                % {
                    "day": date_format(early[0].turnover_date),
                    "invoices": ", ".join(_label(invoice) for invoice in early),
                }
            }
        )
    with_lines = set(
        InvoiceLine.objects.filter(invoice_id__in=ids).values_list("invoice_id", flat=True)
    )
    empty = [invoice for invoice in invoices if invoice.pk not in with_lines]
    if empty:
        raise ValidationError(
            _("These drafts have no lines: %(invoices)s.")
            % {"invoices": ", ".join(_label(invoice) for invoice in empty)}
        )

    # Numbers in register order: by organisation name, then id.
    invoices.sort(key=lambda invoice: (invoice.organisation.legal_name, invoice.pk))
    numbers = numbering.take_numbers(
        series=numbering.INVOICE_SERIES, year=issue_date.year, count=len(invoices)
    )
    seller_data = seller_copy(seller)
    due_date = issue_date + timedelta(days=seller.payment_days)
    for invoice, number in zip(invoices, numbers, strict=True):
        invoice.state = InvoiceState.ISSUED
        invoice.number = number
        invoice.issue_date = issue_date
        invoice.due_date = due_date
        invoice.seller = seller_data
        invoice.customer = customer_copy(invoice.organisation)
        invoice.issued_by = actor
        invoice.save(
            update_fields=[
                "state",
                "number",
                "issue_date",
                "due_date",
                "seller",
                "customer",
                "issued_by",
            ]
        )
        record(
            actor=actor,
            verb="billing.invoice_issued",
            target=invoice,
            from_state=InvoiceState.DRAFT,
            to_state=InvoiceState.ISSUED,
            data={
                "number": number,
                "issue_date": issue_date.isoformat(),
                "due_date": due_date.isoformat(),
                "gross_total": str(invoice.gross_total),
            },
        )
    send_invoice_documents([invoice.pk for invoice in invoices])
    return invoices


@transaction.atomic
def mark_paid(*, actor, invoice_id: int, paid_on: date) -> Invoice:
    """Record that an issued invoice was paid."""
    require(actor, Capability.MANAGE_BILLING)
    invoice = lock_invoice(invoice_id)
    if invoice.state != InvoiceState.ISSUED:
        raise ValidationError(
            _("Only an issued invoice can be marked paid; %(invoice)s cannot.")
            % {"invoice": _label(invoice)}
        )
    if not isinstance(paid_on, date):
        raise ValidationError({"paid_on": _("Give the date of payment.")})
    if paid_on < invoice.issue_date:
        raise ValidationError(
            {
                "paid_on": _("The payment date cannot be before the invoice was issued (%(day)s).")
                % {"day": date_format(invoice.issue_date)}
            }
        )
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    invoice.state, invoice.paid_on = InvoiceState.PAID, paid_on
    invoice.save(update_fields=["state", "paid_on"])
    record(
        actor=actor,
        verb="billing.invoice_paid",
        target=invoice,
        from_state=InvoiceState.ISSUED,
        to_state=InvoiceState.PAID,
        data={"number": invoice.number, "paid_on": paid_on.isoformat()},
    )
    return invoice


@transaction.atomic
def cancel_invoice(*, actor, invoice_id: int, reason: str, now) -> Invoice:
    """Cancel an issued, unpaid invoice. A credit note for everything it still holds (all
    of it, less earlier credit notes) is issued with it, dated today. The month can then
    be run again for that organisation."""
    from allocations.billing.credit_notes import credit_remaining

    require(actor, Capability.MANAGE_BILLING)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the invoice is cancelled.")})
    invoice = lock_invoice(invoice_id)
    if invoice.state != InvoiceState.ISSUED:
        raise ValidationError(
            _("Only an issued, unpaid invoice can be cancelled; %(invoice)s cannot.")
            % {"invoice": _label(invoice)}
        )
    credit_note = credit_remaining(
        actor=actor, invoice=invoice, reason=reason, issue_date=timezone.localdate(now)
    )
    invoice.state, invoice.cancelled_reason = InvoiceState.CANCELLED, reason
    invoice.save(update_fields=["state", "cancelled_reason"])
    record(
        actor=actor,
        verb="billing.invoice_cancelled",
        target=invoice,
        from_state=InvoiceState.ISSUED,
        to_state=InvoiceState.CANCELLED,
        data={
            "number": invoice.number,
            "reason": reason,
            "credit_note": credit_note.number if credit_note else None,
        },
    )
    return invoice
