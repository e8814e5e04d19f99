"""PDF attachments: upload and delete while editable, download with an access check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.applications import selectors, services
from allocations.applications.forms import AttachmentForm
from allocations.applications.views.applications import READ_ONLY, edit_page
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages


@require_POST
@capability_required(Capability.APPLY)
def attachment_upload(request, pk: int):
    application = selectors.application_for_member(user=request.user, pk=pk)
    if application.my_role not in selectors.LEADING_ROLES:
        raise PermissionDenied
    if not application.is_editable:
        messages.error(request, READ_ONLY)
        return redirect("applications:application_detail", pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_attachment(
                actor=request.user,
                application_id=pk,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The file was attached."))
            return redirect("applications:application_edit", pk)
    return edit_page(request, application, upload_form=form)


@require_POST
@capability_required(Capability.APPLY)
def attachment_delete(request, pk: int, attachment_pk: int):
    try:
        services.delete_attachment(
            actor=request.user, application_id=pk, attachment_id=attachment_pk
        )
    except ValidationError as error:
        errors_to_messages(request, error)
        return redirect("applications:application_detail", pk)
    messages.success(request, _("The file was removed."))
    return redirect("applications:application_edit", pk)


@login_required
def attachment_download(request, pk: int, attachment_pk: int):
    """Stream the file as a download, to the team and to staff who may see applications."""
    attachment = selectors.attachment_for_download(
        user=request.user, pk=attachment_pk, application_pk=pk
    )
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
