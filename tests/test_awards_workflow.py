"""The whole workflow through the services, from submission to an active allocation:
screening → technical assessment → peer review → right to reply → panel → decision →
letter → allocation provisioned by the dry-run scheduler."""

from datetime import timedelta

import pytest
from django.utils import timezone

from allocations.applications.models import ApplicationState
from allocations.awards import selectors
from allocations.awards import services as awards
from allocations.awards.models import Allocation, AllocationState, Decision
from allocations.core.models import AuditEvent, Notification
from allocations.reviews import services as reviews
from allocations.scheduler.models import OperationState, SchedulerOperation
from tests.factories_awards import fast_passwords  # noqa: F401  (fixture)
from tests.factories_reviews import application_in, call_with_rubric, pool_member

pytestmark = pytest.mark.usefixtures("fast_passwords")


def test_from_submission_to_active_allocation(
    assessor, call_manager, django_capture_on_commit_callbacks, mailoutbox
):
    call = call_with_rubric(reviewers_per_application=2)
    application = application_in(ApplicationState.SUBMITTED, call=call)
    pi = application.project.pi
    now = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        awards.screen_application(
            actor=call_manager, application_id=application.pk, eligible=True, reason="", now=now
        )
        reviews.save_assessment(
            actor=assessor,
            application_id=application.pk,
            feasibility="feasible",
            recommended_gpu_hours=900,
            comments="Fits on one node.",
            now=now,
        )
        criteria = list(call.criteria.all())
        for index, reviewer in enumerate((pool_member(), pool_member())):
            assignment = reviews.assign_reviewer(
                actor=call_manager,
                application_id=application.pk,
                reviewer_id=reviewer.pk,
                due_at=now + timedelta(days=14),
                now=now,
            )
            reviews.accept_assignment(actor=reviewer, assignment_id=assignment.pk, now=now)
            reviews.declare_conflicts(
                actor=reviewer,
                assignment_id=assignment.pk,
                has_conflict=False,
                statement="",
                now=now,
            )
            reviews.save_review(
                actor=reviewer,
                assignment_id=assignment.pk,
                scores={c.pk: 4 + index % 2 for c in criteria},
                comment_applicant=f"Comment {index + 1} for the team.",
                comment_panel="For the panel only.",
                recommended_gpu_hours=800,
                submit=True,
                now=now,
            )
        reviews.submit_reply(
            actor=pi, application_id=application.pk, text="Thank you.", now=timezone.now()
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL

    panel = selectors.panel(call=selectors.call_for_staff(pk=call.pk))
    row = panel.rows[0]
    resource_id = application.requests.get().resource_id
    assert (row.application_id, row.review_count, row.proposed[resource_id]) == (
        application.pk,
        2,
        900,  # the technical recommendation
    )

    start = timezone.localdate() + timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        awards.decide(
            actor=call_manager,
            application_id=application.pk,
            outcome="approved",
            reason="Well reviewed and feasible.",
            amounts=row.proposed,
            start_date=start,
            end_date=start + timedelta(days=180),
            now=timezone.now(),
        )
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    decision = Decision.objects.get(application=application)
    assert decision.letter and decision.letter_language == pi.language
    allocation = Allocation.objects.get(application=application)
    assert allocation.state == AllocationState.ACTIVE
    operation = SchedulerOperation.objects.get(account__name=allocation.slurm_account)
    assert operation.state == OperationState.DONE
    assert "GrpTRESMins=gres/gpu=54000" in operation.actions[1]
    assert any(m.to == [pi.email] and m.attachments for m in mailoutbox)
    kinds = set(Notification.objects.filter(user=pi).values_list("kind", flat=True))
    assert {"awards_screened", "awards_decision", "awards_allocation_ready"} <= kinds
    verbs = list(
        AuditEvent.objects.filter(target_id=str(application.pk))
        .order_by("id")
        .values_list("verb", "from_state", "to_state")
    )
    assert ("application.screened", "submitted", "technical_review") in verbs
    assert ("application.decided", "panel", "approved") in verbs
    assert AuditEvent.objects.filter(verb="allocation.activated", actor=None).exists()
