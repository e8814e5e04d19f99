"""The end of the review phase: peer_review → reply (right to reply) or → panel.

Shared by the review submission (automatic, when the call's number of reviews is in), the
technical assessment (reviews may be complete before it) and the call manager (early close).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Role, User
from allocations.applications.models import Application, ApplicationState, ProjectMember
from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.core.permissions import Capability, require
from allocations.reviews.models import (
    OPEN_ASSIGNMENT_STATES,
    ApplicantReply,
    AssignmentState,
    ReviewAssignment,
)

AUTOMATIC_REASON = "required reviews submitted"


def lock_application(application_id: int) -> Application:
    """Lock a submitted application row with its call and project; 404 for drafts and unknown."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "project__organisation")
        .filter(pk=application_id, submitted_at__isnull=False)
        .exclude(state=ApplicationState.DRAFT)
        .first()
    )
    if application is None:
        raise Http404
    return application


def local_text(moment) -> str:
    """A time for e-mail contexts (which must be JSON-serialisable)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def application_context(application: Application, **extra) -> dict:
    return {
        "reference": application.reference,
        "call_title": application.call.title,
        "project_title": application.project.title,
        **extra,
    }


def notify_team(application: Application, *, template: str, context: dict) -> None:
    members = ProjectMember.objects.filter(project_id=application.project_id).select_related("user")
    for member in members:
        notify_user(member.user, template=template, context=context)


def managers_for(assignment: ReviewAssignment) -> list[User]:
    """Who hears about a reviewer's answer: the manager who assigned, else every call manager."""
    if assignment.assigned_by_id and assignment.assigned_by.is_active:
        return [assignment.assigned_by]
    return list(User.objects.filter(role_grants__role=Role.CALL_MANAGER, is_active=True).distinct())


def submitted_count(application: Application) -> int:
    return ReviewAssignment.objects.filter(
        application=application, state=AssignmentState.SUBMITTED
    ).count()


def _withdraw_open_assignments(application: Application) -> list[int]:
    """Open assignments end with the phase: their reviewers are told and freed."""
    still_open = list(
        ReviewAssignment.objects.select_for_update()
        .filter(application=application, state__in=OPEN_ASSIGNMENT_STATES)
        .select_related("reviewer")
    )
    for assignment in still_open:
        assignment.state = AssignmentState.WITHDRAWN
        assignment.save(update_fields=["state"])
        notify_user(
            assignment.reviewer,
            template="reviews_withdrawn",
            context={
                "reference": application.reference,
                "call_title": application.call.title,
                "reason": "",
                "phase_ended": True,
                "path": reverse("reviews:my_reviews"),
            },
        )
    return [assignment.pk for assignment in still_open]


def finish_review_phase(application: Application, *, actor, now, reason: str) -> Application:
    """Move a locked application from peer_review to reply or panel (one audit event)."""
    withdrawn = _withdraw_open_assignments(application)
    from_state = application.state
    call = application.call
    data = {"reason": reason, "reviews": submitted_count(application)}
    if withdrawn:
        data["withdrawn_assignments"] = withdrawn
    if call.right_to_reply:
        due_at = now + timedelta(days=call.reply_window_days)
        ApplicantReply.objects.create(application=application, due_at=due_at)
        application.state = ApplicationState.REPLY
        data["reply_due_at"] = due_at.isoformat()
        template = "reviews_reply_requested"
        extra = {"due": local_text(due_at)}
    else:
        application.state = ApplicationState.PANEL
        template = "reviews_to_panel"
        extra = {}
    application.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        verb="application.reviewed",
        target=application,
        from_state=from_state,
        to_state=application.state,
        data=data,
    )
    notify_team(
        application,
        template=template,
        context=application_context(
            application, path=reverse("reviews:reply", args=[application.pk]), **extra
        ),
    )
    return application


def complete_if_reviewed(application: Application, *, now) -> bool:
    """Close the phase when the call's number of reviews is in (application locked).

    The portal acts here (no actor): the last submission merely triggered it.
    """
    if application.state != ApplicationState.PEER_REVIEW:
        return False
    if submitted_count(application) < application.call.reviewers_per_application:
        return False
    finish_review_phase(application, actor=None, now=now, reason=AUTOMATIC_REASON)
    return True


@transaction.atomic
def close_review_phase(*, actor, application_id: int, reason: str, now) -> Application:
    """The call manager ends peer review early; at least one review must be in."""
    require(actor, Capability.DECIDE)
    application = lock_application(application_id)
    if application.state == ApplicationState.TECHNICAL_REVIEW:
        raise ValidationError(
            _("The technical assessment is still missing: peer review has not started.")
        )
    if application.state != ApplicationState.PEER_REVIEW:
        raise ValidationError(_("This application is not in peer review."))
    if submitted_count(application) < 1:
        raise ValidationError(
            _("No review has been submitted yet: the review phase cannot be closed.")
        )
    reason = reason.strip() or str(_("Closed early by the call manager."))
    return finish_review_phase(application, actor=actor, now=now, reason=reason)
