"""Pure checks on application content, shared by forms (to mark fields) and services
(to refuse what a form would have refused). Nothing here reads or writes the database
beyond what the caller already loaded."""

import os
from datetime import date

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PDF_MAGIC = b"%PDF-"


def gpu_hours_field(resource_id: int) -> str:
    """Form field (and error key) for the GPU-hours asked on one resource."""
    return f"gpu_hours_{resource_id}"


def draft_value_errors(
    *,
    call,
    capacities,
    start_date: date | None,
    duration_months: int | None,
    gpu_hours: dict[int, int | None],
    today: date,
) -> dict[str, list[str]]:
    """Errors per field for the values of a draft; empty when everything may be saved.

    Blank values are allowed in a draft; the submission check asks for them later.
    `capacities` are the call's CallResource rows.
    """
    errors: dict[str, list[str]] = {}
    if start_date is not None and start_date < today:
        errors["start_date"] = [_("The start date cannot be in the past.")]
    if duration_months is not None and not 1 <= duration_months <= call.max_duration_months:
        errors["duration_months"] = [
            _("Choose between 1 and %(max)s months.") % {"max": call.max_duration_months}
        ]
    limits = {capacity.resource_id: capacity for capacity in capacities}
    for resource_id, hours in gpu_hours.items():
        capacity = limits.get(resource_id)
        if capacity is None:
            errors[gpu_hours_field(resource_id)] = [_("This resource is not offered by the call.")]
        elif hours is not None and hours < 1:
            errors[gpu_hours_field(resource_id)] = [
                _("Enter a whole number of GPU-hours of at least 1, or leave the field blank.")
            ]
        elif hours is not None and hours > capacity.capacity_gpu_hours:
            errors[gpu_hours_field(resource_id)] = [
                _("This call offers at most %(limit)s GPU-hours on %(resource)s.")
                % {"limit": capacity.capacity_gpu_hours, "resource": capacity.resource.name}
            ]
    return errors


def pdf_upload_errors(upload) -> list[str]:
    """Why an uploaded file cannot be attached; empty when it is an acceptable PDF."""
    errors = []
    name = os.path.basename(upload.name or "")
    if not name.lower().endswith(".pdf"):
        errors.append(_("Only PDF files can be attached: the file name must end in .pdf."))
    limit = settings.PORTAL_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        errors.append(
            _("The file is %(size)s; attachments may be at most %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
        return errors
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head != PDF_MAGIC:
        errors.append(_("This file is not a PDF document. Export it as PDF and try again."))
    return errors


def submission_problems(*, application, now) -> list[str]:
    """What still stops the application from being submitted; empty when complete.

    Expects the application with its call, project organisation and requests loaded.
    """
    problems = []
    call = application.call
    today = timezone.localdate(now)
    if not application.justification.strip():
        problems.append(_("Write the justification."))
    if application.start_date is None:
        problems.append(_("Give the requested start date."))
    elif application.start_date < today:
        problems.append(_("The requested start date is in the past; choose a later one."))
    if application.duration_months is None:
        problems.append(_("Give the duration in months."))
    elif application.duration_months > call.max_duration_months:
        problems.append(
            _("The duration is longer than this call allows (%(max)s months).")
            % {"max": call.max_duration_months}
        )
    requests = list(application.requests.all())
    if not any(request.gpu_hours > 0 for request in requests):
        problems.append(_("Request GPU-hours on at least one resource."))
    limits = {c.resource_id: c.capacity_gpu_hours for c in call.capacities.all()}
    for request in requests:
        if request.gpu_hours > limits.get(request.resource_id, 0):
            problems.append(
                _("The request on %(resource)s is more than this call offers.")
                % {"resource": request.resource.name}
            )
    if not call.is_open_at(now):
        problems.append(_("The call is no longer open for applications."))
    if application.project.organisation.category not in (call.eligible_categories or []):
        problems.append(
            _("Organisations of the category “%(category)s” are not eligible for this call.")
            % {"category": application.project.organisation.get_category_display()}
        )
    return problems
