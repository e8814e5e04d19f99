"""The right to reply: the team answers the anonymised reviews within a window, then the
application goes to the panel (also when the window passes or the manager closes it)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import ApplicationState, ProjectMember, TeamRole
from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.reviews.models import ApplicantReply
from allocations.reviews.phase_services import application_context, lock_application, notify_team

REPLYING_ROLES = (TeamRole.PI, TeamRole.CO_PI)
WINDOW_PASSED = "reply window passed"


def _lock_reply(application) -> ApplicantReply:
    reply = ApplicantReply.objects.select_for_update().filter(application=application).first()
    if reply is None:
        raise ValidationError(_("This application has no reply window."))
    return reply


def _to_panel(application, reply, *, actor, verb: str, reason: str) -> None:
    application.state = ApplicationState.PANEL
    application.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        verb=verb,
        target=application,
        from_state=ApplicationState.REPLY,
        to_state=ApplicationState.PANEL,
        data={"reason": reason, "reply_id": reply.pk, "replied": reply.submitted_at is not None},
    )


@transaction.atomic
def submit_reply(*, actor, application_id: int, text: str, now) -> ApplicantReply:
    """The PI or a co-PI answers the reviews; the application goes to the panel."""
    application = lock_application(application_id)
    role = (
        ProjectMember.objects.filter(project_id=application.project_id, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Http404
    if role not in REPLYING_ROLES:
        raise PermissionDenied
    if application.state != ApplicationState.REPLY:
        raise ValidationError(_("This application is not waiting for your reply."))
    reply = _lock_reply(application)
    if now > reply.due_at:
        raise ValidationError(_("The reply window has closed."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write your reply before sending it.")})
    reply.text = text
    reply.submitted_by = actor
    reply.submitted_at = now
    reply.save(update_fields=["text", "submitted_by", "submitted_at"])
    _to_panel(application, reply, actor=actor, verb="application.replied", reason="reply submitted")
    notify_team(
        application,
        template="reviews_to_panel",
        context=application_context(
            application, path=reverse("reviews:reply", args=[application.pk])
        ),
    )
    return reply


@transaction.atomic
def close_reply_window(*, actor, application_id: int, reason: str, now) -> ApplicantReply:
    """The call manager ends the reply window early; the application goes to the panel."""
    require(actor, Capability.DECIDE)
    application = lock_application(application_id)
    if application.state != ApplicationState.REPLY:
        raise ValidationError(_("This application is not waiting for a reply."))
    reply = _lock_reply(application)
    reason = reason.strip() or str(_("Closed early by the call manager."))
    _to_panel(application, reply, actor=actor, verb="application.reply_closed", reason=reason)
    notify_team(
        application,
        template="reviews_reply_closed",
        context=application_context(
            application,
            reason=reason,
            expired=False,
            path=reverse("reviews:reply", args=[application.pk]),
        ),
    )
    return reply


def close_expired_replies(*, now) -> int:
    """Move every application whose reply window has passed to the panel (beat task).

    Each application in its own transaction, skipping rows another worker holds; safe to
    run twice.
    """
    due = list(
        ApplicantReply.objects.filter(
            application__state=ApplicationState.REPLY, due_at__lt=now
        ).values_list("application_id", flat=True)
    )
    closed = 0
    for application_id in due:
        closed += _close_expired(application_id=application_id, now=now)
    return closed


@transaction.atomic
def _close_expired(*, application_id: int, now) -> int:
    try:
        application = lock_application(application_id)
    except Http404:
        return 0
    if application.state != ApplicationState.REPLY:
        return 0
    reply = _lock_reply(application)
    if reply.due_at >= now:
        return 0
    _to_panel(application, reply, actor=None, verb="application.reply_closed", reason=WINDOW_PASSED)
    notify_team(
        application,
        template="reviews_reply_closed",
        context=application_context(
            application,
            expired=True,
            path=reverse("reviews:reply", args=[application.pk]),
        ),
    )
    return 1
