"""Document downloads. A stored PDF is served as stored; without one (a draft, or before
the worker stored it) the PDF is rendered on the fly: a draft's is a preview marked DRAFT.
The applicants' routes check that the user is an owner or billing contact first.

English on request: `?lang=en` renders an English copy from the same frozen data (the
stored Kazakh/Russian original stays the document of record, so the copy is never stored).
Any other value of `lang` is ignored and the original is served."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from allocations.billing import documents, esf, page_selectors
from allocations.billing.models import InvoiceState
from allocations.core.permissions import Capability, capability_required

PDF = "application/pdf"
ENGLISH = "en"
KINDS = {"invoice": ("invoice_pdf", documents.invoice_pdf), "act": ("act_pdf", documents.act_pdf)}


def _attachment(content: bytes, filename: str, content_type: str = PDF) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stored_or_rendered(file_field, render, filename: str):
    if file_field:
        try:
            handle = file_field.open("rb")
        except OSError:
            pass  # gone from storage: render it again rather than fail
        else:
            return FileResponse(handle, as_attachment=True, filename=filename, content_type=PDF)
    return _attachment(render(), filename)


def requested_english(request) -> bool:
    return request.GET.get("lang") == ENGLISH


def invoice_filename(invoice, kind: str, *, english: bool = False) -> str:
    suffix = f"{kind}-{ENGLISH}" if english else kind
    if invoice.number:
        return f"{documents.file_stem(invoice.number)}-{suffix}.pdf"
    return f"draft-{invoice.organisation_id}-{invoice.period_start:%Y-%m}-{suffix}.pdf"


def invoice_document(invoice, kind: str, *, english: bool = False):
    if kind not in KINDS:
        raise Http404
    field_name, render = KINDS[kind]
    filename = invoice_filename(invoice, kind, english=english)
    if english:
        return _attachment(render(invoice, language=ENGLISH), filename)
    stored = getattr(invoice, field_name) if invoice.state != InvoiceState.DRAFT else None
    return _stored_or_rendered(stored, lambda: render(invoice), filename)


def credit_note_document(credit_note, *, english: bool = False):
    stem = documents.file_stem(credit_note.number)
    if english:
        pdf = documents.credit_note_pdf(credit_note, language=ENGLISH)
        return _attachment(pdf, f"{stem}-{ENGLISH}.pdf")
    return _stored_or_rendered(
        credit_note.pdf, lambda: documents.credit_note_pdf(credit_note), f"{stem}.pdf"
    )


# --- Finance -----------------------------------------------------------------------------


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def invoice_download(request, pk: int, kind: str):
    return invoice_document(page_selectors.invoice(pk=pk), kind, english=requested_english(request))


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def esf_download(request, pk: int):
    invoice = page_selectors.invoice(pk=pk)
    try:
        xml = esf.esf_xml(invoice)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("billing:invoice_detail", invoice.pk)
    name = f"{documents.file_stem(invoice.number)}-esf.xml"
    return _attachment(xml, name, content_type="application/xml; charset=utf-8")


@require_GET
@capability_required(Capability.MANAGE_BILLING)
def credit_note_download(request, pk: int):
    return credit_note_document(
        page_selectors.credit_note(pk=pk), english=requested_english(request)
    )


# --- Applicants (owners and billing contacts of the organisation) -----------------------


@require_GET
@login_required
def organisation_invoice_download(request, pk: int, invoice_pk: int, kind: str):
    invoice = page_selectors.organisation_invoice(
        user=request.user, organisation_id=pk, invoice_id=invoice_pk
    )
    return invoice_document(invoice, kind, english=requested_english(request))


@require_GET
@login_required
def organisation_credit_note_download(request, pk: int, credit_note_pk: int):
    credit_note = page_selectors.organisation_credit_note(
        user=request.user, organisation_id=pk, credit_note_id=credit_note_pk
    )
    return credit_note_document(credit_note, english=requested_english(request))
