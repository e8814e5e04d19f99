"""Printed billing documents as A4 PDFs (WeasyPrint): the invoice for payment, the act of
services rendered and the credit note, rendered on request or stored once per document.

Language: Kazakh and Russian side by side by default (every label is "Kazakh / Russian",
the seller's name and address are printed in both), English when the invoice says so
(`invoice.language == "en"`). The labels, numbers and dates are in `document_text`; what
each document prints (parties, lines, totals) is built in `document_context`.

The templates are templates/billing/pdf/*.html (DejaVu Sans covers Kazakh and Russian);
the invoice page's HTML preview uses `document_context` too, so it shows the same data.
"""

import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation

from allocations.billing.document_context import (
    DocumentContext,
    credit_note_context,
    document_context,
    parties,
)
from allocations.billing.document_text import (
    DEFAULT_LANGUAGE,
    LANGUAGE_SETS,
    number,
    percent,
    period_text,
    texts,
)
from allocations.billing.models import CreditNote, Invoice, InvoiceState

INVOICE_TEMPLATE = "billing/pdf/invoice.html"
ACT_TEMPLATE = "billing/pdf/act.html"
CREDIT_NOTE_TEMPLATE = "billing/pdf/credit_note.html"

# The text and context helpers are read from here too (the views, the ESF export, tests).
__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGE_SETS",
    "DocumentContext",
    "act_pdf",
    "credit_note_context",
    "credit_note_pdf",
    "document_context",
    "file_stem",
    "invoice_pdf",
    "number",
    "parties",
    "percent",
    "period_text",
    "store_credit_note_document",
    "store_invoice_documents",
    "texts",
]


# --- Rendering ---------------------------------------------------------------------------


def _pdf(template: str, doc: DocumentContext) -> bytes:
    from weasyprint import HTML

    # The page itself is rendered in the first language (lang attribute, fallbacks).
    with translation.override(doc.lang):
        html = render_to_string(template, {"doc": doc, "t": doc.t})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The invoice for payment. Drafts are previews marked DRAFT.

    `language`: "kk+ru" (the default: bilingual, or English when the invoice's language
    is "en"), "en", "kk" or "ru" (an explicit choice)."""
    return _pdf(INVOICE_TEMPLATE, document_context(invoice, language=language))


def act_pdf(invoice: Invoice, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The act of services rendered, dated on the turnover date (the month's last day)."""
    return _pdf(ACT_TEMPLATE, document_context(invoice, language=language, kind="act"))


def credit_note_pdf(credit_note: CreditNote, *, language: str = DEFAULT_LANGUAGE) -> bytes:
    return _pdf(CREDIT_NOTE_TEMPLATE, credit_note_context(credit_note, language=language))


# --- Storage -----------------------------------------------------------------------------


def file_stem(number: str) -> str:
    """A document number made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", number).strip("-") or "document"


def _store(instance, field_name: str, filename: str, render) -> bool:
    """Render and save into an empty FileField; False when a file is already there.

    The UPDATE is conditional on the column still being empty, so two workers storing at
    once keep one file (the loser's copy is deleted) and nothing else of the row changes.
    """
    model = type(instance)
    current = model.objects.filter(pk=instance.pk).values_list(field_name, flat=True).first()
    if current:
        return False
    file_field = getattr(instance, field_name)
    file_field.save(filename, ContentFile(render()), save=False)
    updated = model.objects.filter(pk=instance.pk, **{field_name: ""}).update(
        **{field_name: file_field.name}
    )
    if not updated:
        file_field.storage.delete(file_field.name)
    return bool(updated)


def store_invoice_documents(*, invoice_id: int) -> Invoice | None:
    """Render and store the invoice and act PDFs of an issued invoice, each only once.

    Drafts are never stored (their PDF is a preview made on request). Safe to run twice.
    """
    invoice = (
        Invoice.objects.select_related("organisation")
        .prefetch_related("lines__allocation")
        .filter(pk=invoice_id)
        .exclude(state=InvoiceState.DRAFT)
        .first()
    )
    if invoice is None:
        return None
    stem = file_stem(invoice.number or f"invoice-{invoice.pk}")
    _store(invoice, "invoice_pdf", f"{stem}-invoice.pdf", lambda: invoice_pdf(invoice))
    _store(invoice, "act_pdf", f"{stem}-act.pdf", lambda: act_pdf(invoice))
    invoice.refresh_from_db(fields=["invoice_pdf", "act_pdf"])
    return invoice


def store_credit_note_document(*, credit_note_id: int) -> CreditNote | None:
    """Render and store a credit note's PDF once. Safe to run twice."""
    credit_note = (
        CreditNote.objects.select_related("invoice__organisation").filter(pk=credit_note_id).first()
    )
    if credit_note is None:
        return None
    name = f"{file_stem(credit_note.number)}.pdf"
    _store(credit_note, "pdf", name, lambda: credit_note_pdf(credit_note))
    credit_note.refresh_from_db(fields=["pdf"])
    return credit_note
