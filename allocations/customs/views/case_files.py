"""The pages for a case's files: the importer attaches and removes PDFs; the importer and
the desk download them."""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import AttachmentForm
from allocations.customs.views.case_helpers import case_section_url


@capability_required(Capability.APPLY)
def attachment_upload(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "GET" and request.GET.get("kind"):
        form.fields["kind"].initial = request.GET["kind"]
    saved = save_form(
        request,
        form,
        lambda data: services.add_attachment(
            actor=request.user, case_id=pk, kind=data["kind"], upload=data["file"]
        ),
        success=_("The file is attached."),
        then=case_section_url(pk, "attachments"),
    )
    return saved or render(
        request,
        "customs/cases/attachment_form.html",
        {"case": case, "attachment_form": form, "max_bytes": settings.PORTAL_ATTACHMENT_MAX_BYTES},
    )


@require_POST
@capability_required(Capability.APPLY)
def attachment_remove(request, pk: int, attachment_pk: int):
    run_action(
        request,
        lambda: services.remove_attachment(
            actor=request.user, case_id=pk, attachment_id=attachment_pk
        ),
        success=_("The file is removed."),
    )
    return redirect(case_section_url(pk, "attachments"))


@require_GET
@capability_required(Capability.APPLY)
def attachment_download(request, pk: int, attachment_pk: int):
    """Stream the file, to the case's importers and to the desk."""
    attachment = selectors.attachment_for_download(user=request.user, case_pk=pk, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    return FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/pdf",
    )
