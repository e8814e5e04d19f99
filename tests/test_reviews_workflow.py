"""The review workflow through its services: technical_review → peer_review → reply → panel,
and every guard on the way (state, person, conflicts, read-only reviews, double clicks)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from allocations.applications.models import ApplicationState, TeamRole
from allocations.core.models import AuditEvent, Notification
from allocations.reviews import services
from allocations.reviews.models import (
    ApplicantReply,
    AssignmentState,
    ConflictDeclaration,
    Review,
    TechnicalAssessment,
)
from tests.factories import MembershipFactory, UserFactory
from tests.factories_applications import add_to_team
from tests.factories_reviews import (
    application_in,
    assignment_for,
    call_with_rubric,
    cleared_assignment,
    pool_member,
    reply_window,
    submitted_review,
)

pytestmark = pytest.mark.django_db


def _verbs(application):
    return list(
        AuditEvent.objects.filter(target_id=str(application.pk))
        .order_by("id")
        .values_list("verb", "from_state", "to_state")
    )


def _review_as(reviewer, assignment, scores, *, submit=True, comment="Clear and feasible."):
    criteria = list(assignment.application.call.criteria.all())
    return services.save_review(
        actor=reviewer,
        assignment_id=assignment.pk,
        scores={c.pk: s for c, s in zip(criteria, scores, strict=True)},
        comment_applicant=comment,
        comment_panel="For the panel only",
        recommended_gpu_hours=700,
        submit=submit,
        now=timezone.now(),
    )


def test_whole_workflow_to_reply_then_panel(assessor, call_manager):
    call = call_with_rubric(weights=("2.00", "1.00"), reviewers_per_application=2)
    application = application_in(call=call)
    now = timezone.now()

    services.save_assessment(
        actor=assessor,
        application_id=application.pk,
        feasibility="feasible",
        recommended_gpu_hours=800,
        comments="Fits on one node.",
        now=now,
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.PEER_REVIEW

    first, second = pool_member(), pool_member()
    assignments = [
        services.assign_reviewer(
            actor=call_manager,
            application_id=application.pk,
            reviewer_id=reviewer.pk,
            due_at=now + timedelta(days=14),
            now=now,
        )
        for reviewer in (first, second)
    ]
    assert Notification.objects.filter(user=first, kind="reviews_assigned").count() == 1
    for reviewer, assignment in zip((first, second), assignments, strict=True):
        services.accept_assignment(actor=reviewer, assignment_id=assignment.pk, now=now)
        services.declare_conflicts(
            actor=reviewer, assignment_id=assignment.pk, has_conflict=False, statement="", now=now
        )

    draft = _review_as(first, assignments[0], [5, None], submit=False, comment="")
    assert draft.submitted_at is None and draft.weighted_score is None
    review = _review_as(first, assignments[0], [5, 2])
    # (5×2 + 2×1) / 3 = 4.000
    assert review.weighted_score == Decimal("4.000")
    application.refresh_from_db()
    assert application.state == ApplicationState.PEER_REVIEW

    _review_as(second, assignments[1], [4, 3])
    application.refresh_from_db()
    assert application.state == ApplicationState.REPLY
    reply = ApplicantReply.objects.get(application=application)
    assert reply.due_at > now + timedelta(days=call.reply_window_days - 1)
    assert Notification.objects.filter(
        user=application.project.pi, kind="reviews_reply_requested"
    ).exists()

    services.submit_reply(
        actor=application.project.pi,
        application_id=application.pk,
        text="We accept the remarks.",
        now=timezone.now(),
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL
    verbs = _verbs(application)
    assert ("application.assessed", "technical_review", "peer_review") in verbs
    assert ("application.reviewed", "peer_review", "reply") in verbs
    assert ("application.replied", "reply", "panel") in verbs
    assert [v for v, *_ in verbs].count("review.submitted") == 2


def test_without_right_to_reply_reviews_go_straight_to_panel(call_manager):
    call = call_with_rubric(right_to_reply=False, reviewers_per_application=1)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    reviewer = pool_member()
    _review_as(reviewer, cleared_assignment(application, reviewer), [3, 4])
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL
    assert not ApplicantReply.objects.filter(application=application).exists()
    assert Notification.objects.filter(user=application.project.pi, kind="reviews_to_panel")


def test_reviews_complete_before_assessment_advance_when_assessed(assessor):
    call = call_with_rubric(reviewers_per_application=1)
    application = application_in(ApplicationState.TECHNICAL_REVIEW, call=call)
    reviewer = pool_member()
    _review_as(reviewer, cleared_assignment(application, reviewer), [3, 4])
    application.refresh_from_db()
    assert application.state == ApplicationState.TECHNICAL_REVIEW
    services.save_assessment(
        actor=assessor,
        application_id=application.pk,
        feasibility="partial",
        recommended_gpu_hours=100,
        comments="",
        now=timezone.now(),
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.REPLY


def test_assessment_guards_and_correction(assessor, call_manager, reviewer):
    application = application_in(ApplicationState.SUBMITTED)
    kwargs = {
        "feasibility": "feasible",
        "recommended_gpu_hours": 10,
        "comments": "",
        "now": timezone.now(),
    }
    with pytest.raises(ValidationError):
        services.save_assessment(actor=assessor, application_id=application.pk, **kwargs)
    for someone in (call_manager, reviewer):
        with pytest.raises(PermissionDenied):
            services.save_assessment(actor=someone, application_id=application.pk, **kwargs)
    with pytest.raises(Http404):
        services.save_assessment(actor=assessor, application_id=999_999, **kwargs)

    application.state = ApplicationState.TECHNICAL_REVIEW
    application.save()
    with pytest.raises(ValidationError) as bad:
        services.save_assessment(
            actor=assessor, application_id=application.pk, **{**kwargs, "recommended_gpu_hours": 0}
        )
    assert "recommended_gpu_hours" in bad.value.message_dict
    assert not TechnicalAssessment.objects.exists()

    services.save_assessment(actor=assessor, application_id=application.pk, **kwargs)
    services.save_assessment(
        actor=assessor, application_id=application.pk, **{**kwargs, "recommended_gpu_hours": 20}
    )
    assert TechnicalAssessment.objects.get().recommended_gpu_hours == 20
    assert ("assessment.updated", "", "") in _verbs(application)

    application.state = ApplicationState.PANEL
    application.save()
    with pytest.raises(ValidationError):
        services.save_assessment(
            actor=assessor, application_id=application.pk, **{**kwargs, "comments": "late"}
        )
    assert TechnicalAssessment.objects.get().comments == ""


def test_reviewer_cannot_act_on_someone_elses_assignment(reviewer):
    application = application_in(ApplicationState.PEER_REVIEW)
    other = pool_member()
    assignment = assignment_for(application, other)
    with pytest.raises(Http404):
        services.accept_assignment(actor=reviewer, assignment_id=assignment.pk, now=timezone.now())
    cleared = cleared_assignment(application_in(ApplicationState.PEER_REVIEW), other)
    with pytest.raises(Http404):
        _review_as(reviewer, cleared, [3, 3])
    assert not Review.objects.exists()


def test_applicant_without_review_capability_is_refused(applicant):
    application = application_in(ApplicationState.PEER_REVIEW)
    assignment = assignment_for(application, applicant)
    with pytest.raises(PermissionDenied):
        services.accept_assignment(actor=applicant, assignment_id=assignment.pk, now=timezone.now())


def test_review_needs_acceptance_and_declaration_first():
    application = application_in(ApplicationState.PEER_REVIEW)
    reviewer = pool_member()
    assignment = assignment_for(application, reviewer)
    with pytest.raises(PermissionDenied):
        _review_as(reviewer, assignment, [3, 3])
    with pytest.raises(ValidationError):
        services.declare_conflicts(
            actor=reviewer,
            assignment_id=assignment.pk,
            has_conflict=False,
            statement="",
            now=timezone.now(),
        )
    services.accept_assignment(actor=reviewer, assignment_id=assignment.pk, now=timezone.now())
    with pytest.raises(PermissionDenied):
        _review_as(reviewer, assignment, [3, 3])
    assert not Review.objects.exists()


def test_declared_conflict_ends_assignment_and_tells_the_manager(call_manager):
    application = application_in(ApplicationState.PEER_REVIEW)
    reviewer = pool_member()
    assignment = assignment_for(application, reviewer, state=AssignmentState.ACCEPTED)
    assignment.assigned_by = call_manager
    assignment.save()
    with pytest.raises(ValidationError) as missing:
        services.declare_conflicts(
            actor=reviewer,
            assignment_id=assignment.pk,
            has_conflict=True,
            statement=" ",
            now=timezone.now(),
        )
    assert "statement" in missing.value.message_dict
    services.declare_conflicts(
        actor=reviewer,
        assignment_id=assignment.pk,
        has_conflict=True,
        statement="I co-founded the company.",
        now=timezone.now(),
    )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.CONFLICT
    assert Notification.objects.filter(user=call_manager, kind="reviews_conflict").count() == 1
    with pytest.raises(PermissionDenied):
        _review_as(reviewer, assignment, [3, 3])


def test_detected_membership_conflict_refuses_even_without_declaration(call_manager):
    application = application_in(ApplicationState.PEER_REVIEW)
    reviewer = pool_member()
    assignment = assignment_for(application, reviewer, state=AssignmentState.ACCEPTED)
    # The reviewer joined the applicant organisation after being assigned.
    MembershipFactory(organisation=application.project.organisation, user=reviewer, role="member")
    services.declare_conflicts(
        actor=reviewer,
        assignment_id=assignment.pk,
        has_conflict=False,
        statement="",
        now=timezone.now(),
    )
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.CONFLICT
    assert ConflictDeclaration.objects.get(assignment=assignment).has_conflict is False
    event = AuditEvent.objects.get(verb="review.conflict")
    assert event.data["detected"] == "organisation"
    assert Notification.objects.filter(user=call_manager, kind="reviews_conflict").exists()


def test_detected_team_conflict_closes_access_after_a_clean_declaration():
    application = application_in(ApplicationState.PEER_REVIEW)
    reviewer = pool_member()
    assignment = cleared_assignment(application, reviewer)
    add_to_team(application.project, reviewer)
    with pytest.raises(PermissionDenied):
        _review_as(reviewer, assignment, [3, 3])


def test_submitted_review_is_read_only_and_double_submission_is_refused():
    call = call_with_rubric(reviewers_per_application=3)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    reviewer = pool_member()
    assignment = cleared_assignment(application, reviewer)
    _review_as(reviewer, assignment, [4, 4])
    with pytest.raises(ValidationError) as twice:
        _review_as(reviewer, assignment, [1, 1])
    assert "can no longer be changed" in str(twice.value)
    review = Review.objects.get()
    assert [s.score for s in review.scores.order_by("criterion__position")] == [4, 4]
    assert AuditEvent.objects.filter(verb="review.submitted").count() == 1


def test_submit_needs_every_score_and_the_applicant_comment():
    application = application_in(ApplicationState.PEER_REVIEW)
    reviewer = pool_member()
    assignment = cleared_assignment(application, reviewer)
    criteria = list(application.call.criteria.all())
    with pytest.raises(ValidationError) as bad:
        _review_as(reviewer, assignment, [4, None], comment="")
    assert set(bad.value.message_dict) == {f"score_{criteria[1].pk}", "comment_applicant"}
    with pytest.raises(ValidationError) as out_of_scale:
        _review_as(reviewer, assignment, [0, 9], submit=False)
    assert len(out_of_scale.value.message_dict) == 2
    assert not Review.objects.exists()
    assignment.refresh_from_db()
    assert assignment.state == AssignmentState.ACCEPTED


def test_review_refused_once_the_phase_is_closed():
    application = application_in(ApplicationState.PANEL)
    reviewer = pool_member()
    with pytest.raises(ValidationError):
        _review_as(reviewer, cleared_assignment(application, reviewer), [3, 3])


def test_manager_closes_review_phase_early_and_open_assignments_end(call_manager, assessor):
    call = call_with_rubric(reviewers_per_application=3, right_to_reply=False)
    application = application_in(ApplicationState.PEER_REVIEW, call=call)
    waiting = assignment_for(application, pool_member())
    with pytest.raises(ValidationError):
        services.close_review_phase(
            actor=call_manager, application_id=application.pk, reason="", now=timezone.now()
        )
    with pytest.raises(PermissionDenied):
        services.close_review_phase(
            actor=assessor, application_id=application.pk, reason="", now=timezone.now()
        )
    submitted_review(cleared_assignment(application, pool_member()))
    services.close_review_phase(
        actor=call_manager,
        application_id=application.pk,
        reason="Panel meets Monday",
        now=timezone.now(),
    )
    application.refresh_from_db()
    waiting.refresh_from_db()
    assert application.state == ApplicationState.PANEL
    assert waiting.state == AssignmentState.WITHDRAWN
    event = AuditEvent.objects.get(verb="application.reviewed")
    assert event.data["reason"] == "Panel meets Monday"
    assert event.data["withdrawn_assignments"] == [waiting.pk]
    assert Notification.objects.filter(user=waiting.reviewer, kind="reviews_withdrawn").exists()
    with pytest.raises(ValidationError):
        services.close_review_phase(
            actor=call_manager, application_id=application.pk, reason="", now=timezone.now()
        )


def test_close_review_phase_refused_in_technical_review(call_manager):
    application = application_in(ApplicationState.TECHNICAL_REVIEW)
    with pytest.raises(ValidationError) as refused:
        services.close_review_phase(
            actor=call_manager, application_id=application.pk, reason="", now=timezone.now()
        )
    assert "technical assessment" in str(refused.value)


def test_reply_guards(applicant, other_applicant, call_manager):
    application = application_in(ApplicationState.REPLY, pi=applicant)
    reply_window(application)
    member = UserFactory()
    add_to_team(application.project, member)
    kwargs = {"application_id": application.pk, "text": "Thanks", "now": timezone.now()}
    with pytest.raises(Http404):
        services.submit_reply(actor=other_applicant, **kwargs)
    with pytest.raises(PermissionDenied):
        services.submit_reply(actor=member, **kwargs)
    with pytest.raises(ValidationError):
        services.submit_reply(actor=applicant, **{**kwargs, "text": "   "})
    with pytest.raises(ValidationError):
        services.submit_reply(
            actor=applicant, **{**kwargs, "now": timezone.now() + timedelta(days=8)}
        )
    co_pi = UserFactory()
    add_to_team(application.project, co_pi, role=TeamRole.CO_PI)
    services.submit_reply(actor=co_pi, **kwargs)
    with pytest.raises(ValidationError):
        services.submit_reply(actor=applicant, **kwargs)
    reply = ApplicantReply.objects.get()
    assert reply.submitted_by == co_pi and reply.text == "Thanks"


def test_manager_closes_reply_window_early(call_manager, applicant):
    application = application_in(ApplicationState.REPLY, pi=applicant)
    reply_window(application)
    services.close_reply_window(
        actor=call_manager, application_id=application.pk, reason="", now=timezone.now()
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.PANEL
    assert ("application.reply_closed", "reply", "panel") in _verbs(application)
    assert Notification.objects.filter(user=applicant, kind="reviews_reply_closed").exists()
    with pytest.raises(ValidationError):
        services.close_reply_window(
            actor=call_manager, application_id=application.pk, reason="", now=timezone.now()
        )
    with pytest.raises(PermissionDenied):
        services.close_reply_window(
            actor=applicant, application_id=application.pk, reason="", now=timezone.now()
        )
