"""Helpers for the reviews tests: calls with a rubric, applications in a review state,
reviewers in the pool and assignments at each step."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from allocations.accounts.models import Role, RoleGrant
from allocations.applications.models import ApplicationState
from allocations.reviews.models import (
    ApplicantReply,
    AssignmentState,
    ConflictDeclaration,
    Feasibility,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewScore,
    TechnicalAssessment,
)
from tests.factories import ProjectFactory, RubricCriterionFactory, UserFactory
from tests.factories_applications import call_with_resources, draft_for


def call_with_rubric(*, weights=("1.00", "1.00"), **kwargs):
    """An open call with one resource and a rubric of criteria with these weights."""
    kwargs.setdefault("reviewers_per_application", 2)
    call, _rows = call_with_resources(capacities=(100_000,), **kwargs)
    for position, weight in enumerate(weights):
        RubricCriterionFactory(
            call=call, name=f"Criterion {position + 1}", weight=Decimal(weight), position=position
        )
    return call


def application_in(state=ApplicationState.TECHNICAL_REVIEW, *, pi=None, call=None, **kwargs):
    """A submitted application of a new project, moved straight to `state`.

    New projects belong to non-resident organisations: the factories know only five BINs.
    """
    if call is None:
        call = call_with_rubric()
    pi = pi or UserFactory()
    kwargs.setdefault("project", ProjectFactory(pi=pi, organisation__foreign=True))
    application = draft_for(
        pi, call=call, submitted_at=timezone.now() - timedelta(days=1), **kwargs
    )
    application.state = state
    application.save(update_fields=["state"])
    return application


def pool_member(*, expertise=(), max_active_assignments=5, is_active=True, **user_kwargs):
    """A user with the reviewer role and a pool profile."""
    user = UserFactory(**user_kwargs)
    RoleGrant.objects.get_or_create(user=user, role=Role.REVIEWER)
    ReviewerProfile.objects.create(
        user=user,
        expertise=list(expertise),
        max_active_assignments=max_active_assignments,
        is_active=is_active,
    )
    return user


def ensure_profile(user, **kwargs):
    return ReviewerProfile.objects.get_or_create(user=user, defaults=kwargs)[0]


def assignment_for(application, reviewer, *, state=AssignmentState.INVITED, due_in_days=14):
    return ReviewAssignment.objects.create(
        application=application,
        reviewer=reviewer,
        state=state,
        due_at=timezone.now() + timedelta(days=due_in_days),
    )


def cleared_assignment(application, reviewer, **kwargs):
    """Accepted and declared free of conflict: the reviewer may read and write."""
    assignment = assignment_for(application, reviewer, state=AssignmentState.ACCEPTED, **kwargs)
    ConflictDeclaration.objects.create(assignment=assignment, has_conflict=False)
    return assignment


def submitted_review(assignment, *, scores=None, comment_applicant="Solid plan.", **kwargs):
    """A submitted review with a score per criterion (all equal to the call's top by default)."""
    call = assignment.application.call
    criteria = list(call.criteria.all())
    values = scores or [call.scale_max] * len(criteria)
    review = Review.objects.create(
        assignment=assignment,
        comment_applicant=comment_applicant,
        comment_panel=kwargs.pop("comment_panel", "Panel-only remark."),
        recommended_gpu_hours=kwargs.pop("recommended_gpu_hours", 800),
        weighted_score=Decimal(sum(values)) / len(values),
        submitted_at=timezone.now(),
    )
    for criterion, value in zip(criteria, values, strict=True):
        ReviewScore.objects.create(review=review, criterion=criterion, score=value)
    assignment.state = AssignmentState.SUBMITTED
    assignment.save(update_fields=["state"])
    return review


def assessment_for(application, assessor, *, comments="Runs well on H200."):
    return TechnicalAssessment.objects.create(
        application=application,
        assessor=assessor,
        feasibility=Feasibility.FEASIBLE,
        recommended_gpu_hours=900,
        comments=comments,
    )


def reply_window(application, *, due_in_days=7, **kwargs):
    return ApplicantReply.objects.create(
        application=application, due_at=timezone.now() + timedelta(days=due_in_days), **kwargs
    )
