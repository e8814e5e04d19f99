"""Review assignments: the manager assigns and withdraws; the reviewer accepts, declines and
declares conflicts of interest before seeing anything of the application.

Lock order everywhere: the application row first, then the assignment row.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.core.permissions import Capability, require
from allocations.reviews import rules, selectors
from allocations.reviews.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    ConflictDeclaration,
    ReviewAssignment,
    ReviewerProfile,
)
from allocations.reviews.phase_services import (
    application_context,
    local_text,
    lock_application,
    managers_for,
)

CONFLICT_REASONS = {
    "organisation": _("%(name)s is a member of the applicant organisation."),
    "team": _("%(name)s is on the project team."),
}


def lock_assignment(*, assignment_id: int, reviewer=None):
    """Lock the application, then the assignment; 404 when unknown or not the reviewer's."""
    found = ReviewAssignment.objects.filter(pk=assignment_id)
    if reviewer is not None:
        found = found.filter(reviewer=reviewer)
    application_id = found.values_list("application_id", flat=True).first()
    if application_id is None:
        raise Http404
    application = lock_application(application_id)
    assignment = (
        ReviewAssignment.objects.select_for_update(of=("self",))
        .select_related("reviewer", "assigned_by")
        .get(pk=assignment_id)
    )
    assignment.application = application
    return application, assignment


def _tell_managers(assignment, *, template: str, extra: dict) -> None:
    application = assignment.application
    context = application_context(
        application,
        reviewer=str(assignment.reviewer),
        path=reverse("reviews:manage", args=[application.pk]),
        **extra,
    )
    for manager in managers_for(assignment):
        notify_user(manager, template=template, context=context)


@transaction.atomic
def assign_reviewer(
    *, actor, application_id: int, reviewer_id: int, due_at, now
) -> ReviewAssignment:
    """Invite a pool member to review; refuses detected conflicts and a full complement."""
    require(actor, Capability.DECIDE)
    application = lock_application(application_id)
    if application.state not in rules.REVIEWABLE_STATES:
        raise ValidationError(
            _("Reviewers can only be assigned during technical review or peer review.")
        )
    profile = ReviewerProfile.objects.select_related("user").filter(user_id=reviewer_id).first()
    if profile is None:
        raise ValidationError({"reviewer": _("Choose a member of the reviewer pool.")})
    reviewer = profile.user
    if due_at is None or due_at <= now:
        raise ValidationError({"due_at": _("The due date must be in the future.")})
    conflict = selectors.detected_conflict(user_id=reviewer.pk, application=application)
    if conflict:
        message = CONFLICT_REASONS[conflict] % {"name": str(reviewer)}
        raise ValidationError(
            {"reviewer": _("%(why)s Conflict of interest: choose someone else.") % {"why": message}}
        )
    earlier = ReviewAssignment.objects.filter(application=application, reviewer=reviewer)
    if earlier.filter(state=AssignmentState.CONFLICT).exists():
        raise ValidationError(
            {"reviewer": _("This reviewer declared a conflict of interest with this application.")}
        )
    if earlier.exclude(
        state__in=[AssignmentState.DECLINED, AssignmentState.WITHDRAWN, AssignmentState.CONFLICT]
    ).exists():
        raise ValidationError({"reviewer": _("This reviewer is already assigned.")})
    counted = ReviewAssignment.objects.filter(
        application=application,
        state__in=[*OPEN_ASSIGNMENT_STATES, AssignmentState.SUBMITTED],
    ).count()
    required = application.call.reviewers_per_application
    if counted >= required:
        raise ValidationError(
            _(
                "This application already has the %(count)s reviewers the call asks for. "
                "Withdraw an assignment before assigning someone else."
            )
            % {"count": required}
        )
    assignment = ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, due_at=due_at, assigned_by=actor
    )
    record(
        actor=actor,
        verb="review.assigned",
        target=application,
        to_state=AssignmentState.INVITED,
        data={
            "assignment_id": assignment.pk,
            "reviewer_id": reviewer.pk,
            "due_at": due_at.isoformat(),
        },
    )
    # Before the reviewer declares conflicts, the e-mail names no project content.
    notify_user(
        reviewer,
        template="reviews_assigned",
        context={
            "reference": application.reference,
            "call_title": application.call.title,
            "due": local_text(due_at),
            "path": reverse("reviews:assignment", args=[assignment.pk]),
        },
    )
    return assignment


@transaction.atomic
def withdraw_assignment(*, actor, assignment_id: int, reason: str) -> ReviewAssignment:
    """The manager takes an open assignment back (declined elsewhere, late, unavailable)."""
    require(actor, Capability.DECIDE)
    application, assignment = lock_assignment(assignment_id=assignment_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the assignment is withdrawn.")})
    if assignment.state not in OPEN_ASSIGNMENT_STATES:
        raise ValidationError(_("Only an invitation or an accepted assignment can be withdrawn."))
    from_state = assignment.state
    assignment.state = AssignmentState.WITHDRAWN
    assignment.save(update_fields=["state"])
    record(
        actor=actor,
        verb="review.withdrawn",
        target=application,
        from_state=from_state,
        to_state=assignment.state,
        data={
            "assignment_id": assignment.pk,
            "reviewer_id": assignment.reviewer_id,
            "reason": reason,
        },
    )
    notify_user(
        assignment.reviewer,
        template="reviews_withdrawn",
        context={
            "reference": application.reference,
            "call_title": application.call.title,
            "reason": reason,
            "phase_ended": False,
            "path": reverse("reviews:my_reviews"),
        },
    )
    return assignment


def guard_phase_open(application) -> None:
    if application.state not in rules.REVIEWABLE_STATES:
        raise ValidationError(_("The review phase of this application is closed."))


@transaction.atomic
def accept_assignment(*, actor, assignment_id: int, now) -> ReviewAssignment:
    require(actor, Capability.REVIEW)
    application, assignment = lock_assignment(assignment_id=assignment_id, reviewer=actor)
    if assignment.state != AssignmentState.INVITED:
        raise ValidationError(_("This invitation has already been answered."))
    guard_phase_open(application)
    assignment.state = AssignmentState.ACCEPTED
    assignment.responded_at = now
    assignment.save(update_fields=["state", "responded_at"])
    record(
        actor=actor,
        verb="review.accepted",
        target=application,
        from_state=AssignmentState.INVITED,
        to_state=AssignmentState.ACCEPTED,
        data={"assignment_id": assignment.pk},
    )
    return assignment


@transaction.atomic
def decline_assignment(*, actor, assignment_id: int, reason: str, now) -> ReviewAssignment:
    """Decline an invitation, or step back from an accepted review not yet submitted."""
    require(actor, Capability.REVIEW)
    application, assignment = lock_assignment(assignment_id=assignment_id, reviewer=actor)
    if assignment.state not in OPEN_ASSIGNMENT_STATES:
        raise ValidationError(_("This assignment can no longer be declined."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say briefly why you decline.")})
    from_state = assignment.state
    assignment.state = AssignmentState.DECLINED
    assignment.decline_reason = reason
    assignment.responded_at = now
    assignment.save(update_fields=["state", "decline_reason", "responded_at"])
    record(
        actor=actor,
        verb="review.declined",
        target=application,
        from_state=from_state,
        to_state=assignment.state,
        data={"assignment_id": assignment.pk, "reason": reason},
    )
    _tell_managers(assignment, template="reviews_declined", extra={"reason": reason})
    return assignment


@transaction.atomic
def declare_conflicts(
    *, actor, assignment_id: int, has_conflict: bool | None, statement: str, now
) -> ReviewAssignment:
    """Record the reviewer's declaration. A declared or a detected conflict ends the
    assignment (state conflict) and tells the managers; otherwise the content opens."""
    require(actor, Capability.REVIEW)
    application, assignment = lock_assignment(assignment_id=assignment_id, reviewer=actor)
    if assignment.state == AssignmentState.INVITED:
        raise ValidationError(_("Accept the invitation before declaring conflicts of interest."))
    if assignment.state != AssignmentState.ACCEPTED:
        raise ValidationError(_("This assignment is no longer open."))
    if ConflictDeclaration.objects.filter(assignment=assignment).exists():
        raise ValidationError(_("You have already declared your conflicts of interest."))
    guard_phase_open(application)
    statement = statement.strip()
    if has_conflict is None:
        raise ValidationError({"has_conflict": _("Say whether you have a conflict of interest.")})
    if has_conflict and not statement:
        raise ValidationError({"statement": _("Describe the conflict of interest.")})
    ConflictDeclaration.objects.create(
        assignment=assignment, has_conflict=has_conflict, statement=statement
    )
    detected = (
        ""
        if has_conflict
        else selectors.detected_conflict(user_id=actor.pk, application=application)
    )
    data = {"assignment_id": assignment.pk, "declared": has_conflict, "statement": statement}
    if not has_conflict and not detected:
        record(
            actor=actor,
            verb="review.no_conflict_declared",
            target=application,
            data=data,
        )
        return assignment
    assignment.state = AssignmentState.CONFLICT
    assignment.responded_at = now
    assignment.save(update_fields=["state", "responded_at"])
    if detected:
        data["detected"] = detected
    record(
        actor=actor,
        verb="review.conflict",
        target=application,
        from_state=AssignmentState.ACCEPTED,
        to_state=AssignmentState.CONFLICT,
        data=data,
    )
    _tell_managers(
        assignment,
        template="reviews_conflict",
        extra={"statement": statement, "detected": bool(detected)},
    )
    return assignment
