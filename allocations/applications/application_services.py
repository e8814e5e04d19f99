"""State changes of applications: start, save draft, attachments, submit, withdraw.

Every function locks the application (or project) row, checks who acts, guards the
state, changes it and writes one audit event; e-mails leave after commit.
"""

import os
import uuid
from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.applications import rules
from allocations.applications.models import (
    CLOSED_STATES,
    EDITABLE_STATES,
    WITHDRAWABLE_STATES,
    Application,
    ApplicationState,
    Attachment,
    Project,
    ProjectMember,
    ResourceRequest,
    TeamRole,
)
from allocations.calls.models import Call, CallResource
from allocations.core.audit import record
from allocations.core.models import AuditEvent
from allocations.core.notifications import notify_user

LEADING_ROLES = (TeamRole.PI, TeamRole.CO_PI)
# Autosave runs every few seconds while someone types; one audit event per person and
# application in this interval is enough to tell who edited the draft when.
DRAFT_AUDIT_INTERVAL = timedelta(minutes=10)


class ApplicationAlreadyOpen(ValidationError):
    """The project already has an open application to this call (carried as `.existing`)."""

    def __init__(self, existing: Application):
        super().__init__(
            _("This project already has an open application to this call: %(reference)s.")
            % {"reference": existing.reference}
        )
        self.existing = existing


def _lock_application_for(*, actor, application_id: int, roles) -> Application:
    """Lock an application with what the checks need; 404 off the team, 403 outside `roles`."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "project__organisation")
        .prefetch_related(
            Prefetch("requests", queryset=ResourceRequest.objects.select_related("resource")),
            Prefetch("call__capacities", queryset=CallResource.objects.select_related("resource")),
        )
        .filter(pk=application_id)
        .first()
    )
    if application is None:
        raise Http404
    role = (
        ProjectMember.objects.filter(project_id=application.project_id, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Http404
    if role not in roles:
        raise PermissionDenied
    return application


def _guard_editable(application: Application) -> None:
    if application.state not in EDITABLE_STATES:
        raise ValidationError(
            _("This application has been submitted and can no longer be changed.")
        )


def _team_emails(*, application: Application, template: str, actor) -> None:
    context = {
        "reference": application.reference,
        "project_title": application.project.title,
        "call_title": application.call.title,
        "actor": str(actor),
        "path": reverse("applications:application_detail", args=[application.pk]),
    }
    members = ProjectMember.objects.filter(project_id=application.project_id).select_related("user")
    for member in members:
        notify_user(member.user, template=template, context=context)


@transaction.atomic
def start_application(*, actor, project_id: int, call_id: int, now) -> Application:
    """Open a draft for the project to the call (PI or co-PI); one open per project and call."""
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise Http404
    role = ProjectMember.objects.filter(project=project, user=actor).values_list("role", flat=True)
    if not role:
        raise Http404
    if role[0] not in LEADING_ROLES:
        raise PermissionDenied
    call = Call.objects.filter(pk=call_id, is_published=True).first()
    if call is None:
        raise Http404
    if not call.is_open_at(now):
        raise ValidationError(_("This call is not open for applications."))
    if project.organisation.category not in (call.eligible_categories or []):
        raise ValidationError(
            _(
                "%(organisation)s is a “%(category)s” organisation; this call does not accept "
                "applications from that category."
            )
            % {
                "organisation": project.organisation.legal_name,
                "category": project.organisation.get_category_display(),
            }
        )
    existing = (
        Application.objects.filter(project=project, call=call)
        .exclude(state__in=CLOSED_STATES)
        .first()
    )
    if existing is not None:
        raise ApplicationAlreadyOpen(existing)
    application = Application.objects.create(
        project=project, call=call, state=ApplicationState.DRAFT, created_by=actor
    )
    record(
        actor=actor,
        verb="application.created",
        target=application,
        to_state=ApplicationState.DRAFT,
        data={"call_id": call.pk, "project_id": project.pk},
    )
    return application


@transaction.atomic
def save_draft(
    *,
    actor,
    application_id: int,
    start_date: date | None,
    duration_months: int | None,
    justification: str,
    software_and_data: str,
    gpu_hours: dict[int, int | None],
    now,
) -> Application:
    """Save every value of an editable application, or nothing (PI or co-PI).

    `gpu_hours` maps each resource of the call to the hours asked, None for not asked.
    """
    application = _lock_application_for(
        actor=actor, application_id=application_id, roles=LEADING_ROLES
    )
    _guard_editable(application)
    errors = rules.draft_value_errors(
        call=application.call,
        capacities=application.call.capacities.all(),
        start_date=start_date,
        duration_months=duration_months,
        gpu_hours=gpu_hours,
        today=timezone.localdate(now),
    )
    if errors:
        raise ValidationError(errors)

    values = {
        "start_date": start_date,
        "duration_months": duration_months,
        "justification": justification,
        "software_and_data": software_and_data,
    }
    changed = [name for name, value in values.items() if getattr(application, name) != value]
    for name, value in values.items():
        setattr(application, name, value)

    existing = {request.resource_id: request for request in application.requests.all()}
    offered = {capacity.resource_id for capacity in application.call.capacities.all()}
    # A resource the call no longer offers has no field left on the form: drop its request.
    for resource_id in set(existing) - offered:
        gpu_hours = {**gpu_hours, resource_id: None}
    for resource_id, hours in gpu_hours.items():
        request = existing.get(resource_id)
        if hours is None and request is not None:
            request.delete()
            changed.append(rules.gpu_hours_field(resource_id))
        elif hours is not None and request is None:
            ResourceRequest.objects.create(
                application=application, resource_id=resource_id, gpu_hours=hours
            )
            changed.append(rules.gpu_hours_field(resource_id))
        elif hours is not None and request.gpu_hours != hours:
            request.gpu_hours = hours
            request.save(update_fields=["gpu_hours"])
            changed.append(rules.gpu_hours_field(resource_id))
    if not changed:
        return application
    application.save()

    recently_audited = AuditEvent.objects.filter(
        verb="application.draft_saved",
        actor=actor,
        target_id=str(application.pk),
        target_type=ContentType.objects.get_for_model(Application),
        created_at__gte=now - DRAFT_AUDIT_INTERVAL,
    ).exists()
    if not recently_audited:
        record(
            actor=actor,
            verb="application.draft_saved",
            target=application,
            data={"changed": changed},
        )
    return application


@transaction.atomic
def add_attachment(*, actor, application_id: int, upload, description: str = "") -> Attachment:
    """Attach a PDF to an editable application (PI or co-PI); stored privately."""
    application = _lock_application_for(
        actor=actor, application_id=application_id, roles=LEADING_ROLES
    )
    _guard_editable(application)
    problems = rules.pdf_upload_errors(upload)
    if problems:
        raise ValidationError({"file": problems})
    original_name = os.path.basename(upload.name)[:255]
    attachment = Attachment(
        application=application,
        original_name=original_name,
        size_bytes=upload.size,
        description=description,
        uploaded_by=actor,
    )
    # A random stored name: the original name is only metadata, never a path.
    attachment.file.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    stored_name = attachment.file.name
    storage = attachment.file.storage
    try:
        attachment.save()
        record(
            actor=actor,
            verb="application.attachment_added",
            target=application,
            data={"attachment_id": attachment.pk, "name": original_name, "size": upload.size},
        )
    except Exception:
        storage.delete(stored_name)
        raise
    return attachment


@transaction.atomic
def delete_attachment(*, actor, application_id: int, attachment_id: int) -> None:
    """Remove an attachment of an editable application (PI or co-PI)."""
    application = _lock_application_for(
        actor=actor, application_id=application_id, roles=LEADING_ROLES
    )
    _guard_editable(application)
    attachment = Attachment.objects.filter(application=application, pk=attachment_id).first()
    if attachment is None:
        raise Http404
    stored_name = attachment.file.name
    storage = attachment.file.storage
    data = {"attachment_id": attachment.pk, "name": attachment.original_name}
    attachment.delete()
    record(actor=actor, verb="application.attachment_removed", target=application, data=data)
    transaction.on_commit(lambda: storage.delete(stored_name))


def submission_problems(*, application: Application, now) -> list[str]:
    return rules.submission_problems(application=application, now=now)


@transaction.atomic
def submit_application(*, actor, application_id: int, now) -> Application:
    """Submit a complete draft (or a changed application) for review (PI only)."""
    application = _lock_application_for(
        actor=actor, application_id=application_id, roles=(TeamRole.PI,)
    )
    if application.state not in EDITABLE_STATES:
        raise ValidationError(_("This application has already been submitted."))
    problems = rules.submission_problems(application=application, now=now)
    if problems:
        raise ValidationError(problems)
    from_state = application.state
    application.state = ApplicationState.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["state", "submitted_at", "updated_at"])
    record(
        actor=actor,
        verb="application.submitted",
        target=application,
        from_state=from_state,
        to_state=application.state,
        data={"requests": {str(r.resource_id): r.gpu_hours for r in application.requests.all()}},
    )
    _team_emails(application=application, template="application_submitted", actor=actor)
    return application


@transaction.atomic
def withdraw_application(*, actor, application_id: int, reason: str) -> Application:
    """Withdraw the application with a reason (PI only), from any still-open state."""
    application = _lock_application_for(
        actor=actor, application_id=application_id, roles=(TeamRole.PI,)
    )
    if application.state not in WITHDRAWABLE_STATES:
        raise ValidationError(_("This application can no longer be withdrawn."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the application is withdrawn.")})
    from_state = application.state
    application.state = ApplicationState.WITHDRAWN
    application.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        verb="application.withdrawn",
        target=application,
        from_state=from_state,
        to_state=application.state,
        data={"reason": reason},
    )
    _team_emails(application=application, template="application_withdrawn", actor=actor)
    return application
