"""Downloads of a case's documents (its importers and the import desk; 404 for anyone
else), on-the-fly annexes of cases still being written, and the desk's revocation of a
confirmation."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import add_service_error
from allocations.customs import confirmation_services, documents
from allocations.customs.models import CaseDocument
from allocations.customs.verification import format_code


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def document_download(request, pk: int):
    """A stored document as it was generated, with a readable file name."""
    document = documents.document_for_user(user=request.user, pk=pk)
    try:
        handle = document.file.open("rb")
    except OSError as missing:
        raise Http404 from missing
    return FileResponse(
        handle,
        as_attachment=True,
        filename=documents.document_filename(document.case, document.kind, document.language),
        content_type=documents.content_type_of(document),
    )


@require_GET
@login_required
def annex_pdf(request, case_pk: int):
    """The annex of the case as it stands now (drafts: marked DRAFT on every page)."""
    case = documents.case_for_documents(user=request.user, case_pk=case_pk)
    name = documents.document_filename(case, CaseDocument.Kind.ANNEX_PDF, documents.BILINGUAL)
    return _attachment(documents.annex_pdf(case), name, documents.PDF)


@require_GET
@login_required
def annex_xlsx(request, case_pk: int):
    case = documents.case_for_documents(user=request.user, case_pk=case_pk)
    name = documents.document_filename(case, CaseDocument.Kind.ANNEX_XLSX, documents.BILINGUAL)
    return _attachment(documents.annex_xlsx(case), name, documents.XLSX)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=confirmation_services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Kept in the case's history and shown to the importer; the public verification "
            "page says only that the confirmation was revoked and when."
        ),
    )


@capability_required(Capability.MANAGE_IMPORTS)
def confirmation_revoke(request, case_pk: int):
    """GET: the confirmation and the form; POST: revoke it (the reason is required)."""
    confirmation = confirmation_services.confirmation_for_desk(user=request.user, case_pk=case_pk)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmation_services.revoke_confirmation(
                actor=request.user,
                case_id=case_pk,
                reason=form.cleaned_data["reason"],
                now=timezone.now(),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Confirmation %(number)s is revoked; the verification page now says so.")
                % {"number": confirmation.registry_number},
            )
            return redirect("customs:desk_case", confirmation.case_id)
    return render(
        request,
        "customs/documents/confirmation_revoke.html",
        {
            "confirmation": confirmation,
            "case": confirmation.case,
            "code": format_code(confirmation.verification_code),
            "form": form,
        },
    )
