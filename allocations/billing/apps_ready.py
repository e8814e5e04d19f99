"""Connects the billing guards (allocations.billing.guards) to the model signals.

Imported once from `AllocationsConfig.ready()`; importing it again connects nothing twice
(every receiver has a dispatch_uid).
"""

from django.db.models.signals import pre_delete, pre_save

from allocations.billing import guards
from allocations.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

RECEIVERS = (
    (pre_save, Invoice, guards.guard_invoice_save),
    (pre_delete, Invoice, guards.guard_invoice_delete),
    (pre_save, InvoiceLine, guards.guard_line_save),
    (pre_delete, InvoiceLine, guards.guard_line_delete),
    (pre_save, CreditNote, guards.guard_credit_note_save),
    (pre_delete, CreditNote, guards.guard_credit_note_delete),
    (pre_save, CreditNoteLine, guards.guard_credit_note_line_save),
    (pre_delete, CreditNoteLine, guards.guard_credit_note_line_delete),
)


def connect() -> None:
    for signal, sender, receiver in RECEIVERS:
        signal.connect(
            receiver, sender=sender, weak=False, dispatch_uid=f"billing.{receiver.__name__}"
        )


connect()
