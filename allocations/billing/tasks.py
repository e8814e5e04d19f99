"""Thin Celery tasks of billing (routed to the "documents" queue). Safe to run twice."""

from celery import shared_task
from django.utils import timezone

from allocations.billing import invoicing


@shared_task
def run_invoicing(*, run_id: int) -> int:
    """An invoicing run finance queued (the runs page follows its progress)."""
    return invoicing.run_invoicing(run_id=run_id, now=timezone.now()).pk


@shared_task
def generate_invoice_documents(*, invoice_id: int) -> None:
    """Render and store an issued invoice's PDFs (the invoice and the act), once."""
    from allocations.billing import documents

    documents.store_invoice_documents(invoice_id=invoice_id)


@shared_task
def generate_credit_note_document(*, credit_note_id: int) -> None:
    """Render and store a credit note's PDF, once."""
    from allocations.billing import documents

    documents.store_credit_note_document(credit_note_id=credit_note_id)
