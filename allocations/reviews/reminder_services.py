"""Deadline reminders for reviewers: two days before the due time and on the due date."""

from django.db import transaction
from django.urls import reverse

from allocations.core.audit import record
from allocations.core.notifications import notify_user
from allocations.reviews import rules
from allocations.reviews.models import OPEN_ASSIGNMENT_STATES, ReviewAssignment
from allocations.reviews.phase_services import local_text

TEMPLATES = {"due_soon": "reviews_due_soon", "due_today": "reviews_due_today"}


@transaction.atomic
def send_review_reminders(*, now) -> int:
    """Send each open assignment's reminders that are due at `now`, each at most once.

    Rows another worker is handling are skipped (it will remind them); the reminded_*
    stamps make a second run send nothing.
    """
    candidates = (
        ReviewAssignment.objects.select_for_update(of=("self",), skip_locked=True)
        .filter(
            state__in=OPEN_ASSIGNMENT_STATES,
            application__state__in=rules.REVIEWABLE_STATES,
            reminded_on_due_at__isnull=True,
            due_at__lte=now + rules.REMIND_BEFORE,
        )
        .select_related("reviewer", "application__call")
        .order_by("due_at", "id")
    )
    sent = 0
    for assignment in candidates:
        kind = rules.reminder_due(
            due_at=assignment.due_at,
            now=now,
            reminded_before_due_at=assignment.reminded_before_due_at,
            reminded_on_due_at=assignment.reminded_on_due_at,
        )
        if kind is None:
            continue
        if kind == "due_today":
            assignment.reminded_on_due_at = now
            # The early reminder would now be late: it is never sent after this one.
            if assignment.reminded_before_due_at is None:
                assignment.reminded_before_due_at = now
        else:
            assignment.reminded_before_due_at = now
        assignment.save(update_fields=["reminded_before_due_at", "reminded_on_due_at"])
        application = assignment.application
        notify_user(
            assignment.reviewer,
            template=TEMPLATES[kind],
            context={
                "reference": application.reference,
                "call_title": application.call.title,
                "due": local_text(assignment.due_at),
                "path": reverse("reviews:assignment", args=[assignment.pk]),
            },
        )
        record(actor=None, verb="review.reminded", target=assignment, data={"kind": kind})
        sent += 1
    return sent
