"""The files of an import case: PDFs the importer attaches (contract, invoice, licences,
and after approval the transport document and declaration), stored privately under a
random name."""

import hashlib
import os
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from allocations.applications import rules
from allocations.core.audit import record
from allocations.customs.case_access import (
    ATTACHABLE_STATES,
    first_or_404,
    lock_editable,
    lock_for_importer,
)
from allocations.customs.models import AttachmentKind, CaseAttachment


@transaction.atomic
def add_attachment(*, actor, case_id: int, kind: str, upload) -> CaseAttachment:
    """Attach a PDF (stored privately under a random name)."""
    case = lock_for_importer(actor=actor, case_id=case_id)
    if case.state not in ATTACHABLE_STATES:
        raise ValidationError(
            _("No more files can be attached: the case is “%(state)s”.")
            % {"state": case.get_state_display()}
        )
    if kind not in AttachmentKind.values:
        raise ValidationError({"kind": _("Choose what kind of document this is.")})
    problems = rules.pdf_upload_errors(upload)
    if problems:
        raise ValidationError({"file": problems})
    original_name = os.path.basename(upload.name)[:255]
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = CaseAttachment(
        case=case,
        kind=kind,
        original_name=original_name,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    stored_name, storage = attachment.file.name, attachment.file.storage
    try:
        attachment.save()
        record(
            actor=actor,
            verb="import_case.attachment_added",
            target=case,
            data={"attachment_id": attachment.pk, "kind": kind, "name": original_name},
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return attachment


@transaction.atomic
def remove_attachment(*, actor, case_id: int, attachment_id: int) -> None:
    case = lock_editable(actor=actor, case_id=case_id)
    attachment = first_or_404(CaseAttachment.objects.filter(case=case, pk=attachment_id))
    stored_name, storage = attachment.file.name, attachment.file.storage
    data = {
        "attachment_id": attachment.pk,
        "kind": attachment.kind,
        "name": attachment.original_name,
    }
    attachment.delete()
    record(actor=actor, verb="import_case.attachment_removed", target=case, data=data)
    transaction.on_commit(lambda: storage.delete(stored_name))
