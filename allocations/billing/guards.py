"""Issued invoices and credit notes are documents: the ORM refuses to change them.

Receivers of `pre_save` / `pre_delete` (connected by `allocations.billing.apps_ready`):

- Invoice: a draft changes freely. Once issued, only these changes are allowed:
  issued → paid (with `paid_on`), issued → cancelled (with `cancelled_reason`), each PDF
  field filled once, and `run` cleared (when an old run is deleted). An issued, paid or
  cancelled invoice is never deleted.
- InvoiceLine: written, changed and deleted only while its invoice is a draft.
- CreditNote: never changed except its PDF filled once; never deleted; only written for
  an issued, paid or cancelled invoice.
- CreditNoteLine: never changed or deleted.

Queryset `.update()` / `.delete()` and `bulk_create` skip signals: on PostgreSQL the
triggers of migration 0003 guard those paths too (and say the same things).
"""

from __future__ import annotations

from django.db import IntegrityError, models

from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
)

# What may still change on an invoice that is no longer a draft (each under a rule below).
INVOICE_FREE_FIELDS = frozenset(
    {"state", "paid_on", "cancelled_reason", "invoice_pdf", "act_pdf", "run"}
)
INVOICE_TRANSITIONS = {
    InvoiceState.ISSUED: frozenset({InvoiceState.PAID, InvoiceState.CANCELLED}),
}


class ImmutableDocumentError(IntegrityError):
    """An attempt to change an issued invoice or a credit note (a programming error: the
    services never try; corrections are credit notes)."""


def _fields(model, update_fields) -> list[models.Field]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    if update_fields is not None:
        names = set(update_fields)
        fields = [f for f in fields if f.name in names or f.attname in names]
    return fields


def _value(field: models.Field, value):
    if isinstance(field, models.FileField):
        return getattr(value, "name", value) or ""
    if value is None:
        return None
    try:
        return field.to_python(value)
    except Exception:  # compare as given; a bad value fails on save anyway
        return value


def _changes(instance, stored: dict, fields) -> dict[str, tuple]:
    """{field name: (stored, new)} for every field whose value differs."""
    changed = {}
    for field in fields:
        old = _value(field, stored[field.attname])
        new = _value(field, getattr(instance, field.attname))
        if old != new:
            changed[field.name] = (old, new)
    return changed


def _stored(model, pk, fields) -> dict | None:
    return model._default_manager.filter(pk=pk).values(*[f.attname for f in fields]).first()


def guard_invoice_save(sender, instance: Invoice, update_fields=None, **kwargs) -> None:
    if instance.pk is None:
        return
    fields = _fields(Invoice, None)
    stored = _stored(Invoice, instance.pk, fields)
    if stored is None or stored["state"] == InvoiceState.DRAFT:
        return
    changed = _changes(instance, stored, _fields(Invoice, update_fields))
    if not changed:
        return
    label = stored["number"] or f"#{instance.pk}"
    fixed = sorted(set(changed) - INVOICE_FREE_FIELDS)
    if fixed:
        raise ImmutableDocumentError(
            f"Invoice {label} is {stored['state']}: {', '.join(fixed)} cannot change; "
            "correct it with a credit note."
        )
    old_state = stored["state"]
    new_state = changed.get("state", (old_state, old_state))[1]
    if new_state != old_state and new_state not in INVOICE_TRANSITIONS.get(old_state, ()):
        raise ImmutableDocumentError(f"Invoice {label} cannot go from {old_state} to {new_state}.")
    if "paid_on" in changed and not (
        old_state == InvoiceState.ISSUED and new_state == InvoiceState.PAID and instance.paid_on
    ):
        raise ImmutableDocumentError(f"Invoice {label}: the payment date is set once, when paid.")
    if new_state == InvoiceState.PAID and old_state != new_state and not instance.paid_on:
        raise ImmutableDocumentError(f"Invoice {label}: a paid invoice needs its payment date.")
    if "cancelled_reason" in changed and not (
        old_state == InvoiceState.ISSUED and new_state == InvoiceState.CANCELLED
    ):
        raise ImmutableDocumentError(f"Invoice {label}: the reason is given when cancelling.")
    for name in ("invoice_pdf", "act_pdf"):
        if name in changed and changed[name][0]:
            raise ImmutableDocumentError(f"Invoice {label}: its {name} is stored once.")
    if "run" in changed and changed["run"][1] is not None:
        raise ImmutableDocumentError(f"Invoice {label}: it cannot move to another run.")


def guard_invoice_delete(sender, instance: Invoice, **kwargs) -> None:
    stored = Invoice.objects.filter(pk=instance.pk).values_list("state", "number").first()
    if stored is not None and stored[0] != InvoiceState.DRAFT:
        raise ImmutableDocumentError(
            f"Invoice {stored[1] or instance.pk} is {stored[0]}: it is never deleted."
        )


def _not_draft(invoice_ids) -> str | None:
    row = (
        Invoice.objects.filter(pk__in=[i for i in invoice_ids if i is not None])
        .exclude(state=InvoiceState.DRAFT)
        .values_list("number", flat=True)
        .first()
    )
    return row


def guard_line_save(sender, instance: InvoiceLine, **kwargs) -> None:
    ids = {instance.invoice_id}
    if instance.pk is not None:
        ids.add(
            InvoiceLine.objects.filter(pk=instance.pk).values_list("invoice_id", flat=True).first()
        )
    number = _not_draft(ids)
    if number is not None:
        raise ImmutableDocumentError(
            f"Invoice {number} is issued: its lines cannot change; correct it with a credit note."
        )


def guard_line_delete(sender, instance: InvoiceLine, **kwargs) -> None:
    number = _not_draft({instance.invoice_id})
    if number is not None:
        raise ImmutableDocumentError(f"Invoice {number} is issued: its lines are never deleted.")


def guard_credit_note_save(sender, instance: CreditNote, update_fields=None, **kwargs) -> None:
    fields = _fields(CreditNote, None)
    stored = _stored(CreditNote, instance.pk, fields) if instance.pk is not None else None
    if stored is None:  # a new credit note: only for an invoice that is a document
        state = Invoice.objects.filter(pk=instance.invoice_id).values_list("state", flat=True)
        if state.first() == InvoiceState.DRAFT:
            raise ImmutableDocumentError("A draft invoice cannot have a credit note.")
        return
    changed = _changes(instance, stored, _fields(CreditNote, update_fields))
    fixed = sorted(set(changed) - {"pdf"})
    if fixed:
        raise ImmutableDocumentError(
            f"Credit note {stored['number']}: {', '.join(fixed)} cannot change."
        )
    if "pdf" in changed and changed["pdf"][0]:
        raise ImmutableDocumentError(f"Credit note {stored['number']}: its PDF is stored once.")


def guard_credit_note_delete(sender, instance: CreditNote, **kwargs) -> None:
    raise ImmutableDocumentError(f"Credit note {instance.number} is never deleted.")


def guard_credit_note_line_save(sender, instance: CreditNoteLine, **kwargs) -> None:
    if instance.pk is not None and CreditNoteLine.objects.filter(pk=instance.pk).exists():
        raise ImmutableDocumentError("The lines of a credit note never change.")


def guard_credit_note_line_delete(sender, instance: CreditNoteLine, **kwargs) -> None:
    raise ImmutableDocumentError("The lines of a credit note are never deleted.")
