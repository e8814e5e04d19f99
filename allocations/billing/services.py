"""Billing services (writes): one import for views and tasks.

Every function is keyword-only, requires Capability.MANAGE_BILLING (except the task body
`run_invoicing`), writes an AuditEvent and raises ValidationError on bad input.
"""

from allocations.billing.credit_notes import issue_credit_note
from allocations.billing.invoicing import queue_invoice_run, run_invoicing
from allocations.billing.issue_services import (
    cancel_invoice,
    discard_draft,
    issue_invoices,
    mark_paid,
)
from allocations.billing.tariff_services import (
    delete_tariff,
    save_seller_profile,
    save_tariff,
    set_track_billing,
)

__all__ = [
    "cancel_invoice",
    "delete_tariff",
    "discard_draft",
    "issue_credit_note",
    "issue_invoices",
    "mark_paid",
    "queue_invoice_run",
    "run_invoicing",
    "save_seller_profile",
    "save_tariff",
    "set_track_billing",
]
