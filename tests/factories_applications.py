"""Helpers for the applications tests: a call with resources, a PI's draft, uploads."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from allocations.applications.models import ProjectMember, TeamRole
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    CallResourceFactory,
    ProjectFactory,
    ResourceRequestFactory,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def call_with_resources(*, capacities=(100_000, 50_000), **kwargs):
    """A published, open call offering each capacity on its own resource."""
    call = CallFactory(**kwargs)
    rows = [CallResourceFactory(call=call, capacity_gpu_hours=c) for c in capacities]
    return call, rows


def draft_for(pi, *, call=None, hours=1000, **kwargs):
    """A complete draft of a project led by `pi`, asking `hours` on the call's first resource."""
    if call is None:
        call, _rows = call_with_resources()
    project = kwargs.pop("project", None) or ProjectFactory(pi=pi)
    application = ApplicationFactory(project=project, call=call, **kwargs)
    if hours:
        first = call.capacities.order_by("resource__name").first()
        ResourceRequestFactory(application=application, resource=first.resource, gpu_hours=hours)
    return application


def add_to_team(project, user, role=TeamRole.MEMBER):
    return ProjectMember.objects.create(project=project, user=user, role=role)


def pdf_upload(name="plan.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def edit_data(application, **overrides):
    """POST data for the edit form with the application's current values."""
    data = {
        "start_date": (
            application.start_date or timezone.localdate() + timedelta(days=30)
        ).isoformat(),
        "duration_months": str(application.duration_months or 6),
        "justification": application.justification,
        "software_and_data": application.software_and_data,
    }
    requested = {r.resource_id: r.gpu_hours for r in application.requests.all()}
    for capacity in application.call.capacities.all():
        hours = requested.get(capacity.resource_id)
        data[f"gpu_hours_{capacity.resource_id}"] = "" if hours is None else str(hours)
    data.update(overrides)
    return data


def make_attachment(application, *, name="plan.pdf", content=PDF_BYTES):
    """An attachment stored in the private storage, as the upload service would store it."""
    from django.core.files.base import ContentFile

    from allocations.applications.models import Attachment

    attachment = Attachment(
        application=application,
        original_name=name,
        size_bytes=len(content),
        uploaded_by=application.project.pi,
    )
    attachment.file.save("stored.pdf", ContentFile(content), save=False)
    attachment.save()
    return attachment
