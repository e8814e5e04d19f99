"""Reads for centre staff: the reviewer pool and suggestions, the assessment queue, review
management. Lists run a constant number of queries whatever the number of rows."""

from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from allocations.applications import selectors as application_selectors
from allocations.applications.models import (
    Application,
    ApplicationState,
    ResourceRequest,
)
from allocations.calls.models import Call
from allocations.reviews import rules
from allocations.reviews.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    ReviewAssignment,
    ReviewerProfile,
)
from allocations.reviews.reviewer_selectors import (
    conflict_expression,
    one_to_one,
    open_load_expression,
)

PAGE_SIZE = 50
REVIEW_PHASE_STATES = (
    ApplicationState.TECHNICAL_REVIEW,
    ApplicationState.PEER_REVIEW,
    ApplicationState.REPLY,
)

# --- Reviewer pool ---------------------------------------------------------------------


def reviewer_pool() -> QuerySet[ReviewerProfile]:
    """Every pool member with user and current load (one query)."""
    return (
        ReviewerProfile.objects.select_related("user")
        .annotate(load=open_load_expression())
        .order_by("user__full_name", "user__email")
    )


def reviewer_profile(*, pk: int) -> ReviewerProfile:
    return get_object_or_404(reviewer_pool(), pk=pk)


def own_profile(*, user) -> ReviewerProfile | None:
    return ReviewerProfile.objects.filter(user=user).first()


def _pool_for(application: Application) -> QuerySet[ReviewerProfile]:
    already = ReviewAssignment.objects.filter(
        application=application, reviewer_id=OuterRef("user_id")
    )
    return reviewer_pool().annotate(
        conflicted=conflict_expression(application), already_assigned=Exists(already)
    )


@dataclass(frozen=True)
class Suggestion:
    profile: ReviewerProfile
    matched: list[str]

    @property
    def overlap(self) -> int:
        return len(self.matched)


def suggestions(
    *, application: Application, pool: list[ReviewerProfile] | None = None, limit: int = 10
) -> list[Suggestion]:
    """Reviewers to propose: most matching keywords first, then the least loaded.

    Excluded: detected conflicts, anyone already on this application in any state,
    inactive profiles and reviewers at their maximum load. `pool` is pool_choices()
    when the caller already has it.
    """
    text_words = rules.project_words(application.project)
    candidates = [
        profile
        for profile in (pool if pool is not None else _pool_for(application))
        if profile.is_active
        and not profile.conflicted
        and not profile.already_assigned
        and profile.load < profile.max_active_assignments
    ]
    ranked = [
        Suggestion(profile=p, matched=rules.keyword_overlap(p.expertise, text_words))
        for p in candidates
    ]
    ranked.sort(key=lambda s: (-s.overlap, s.profile.load, str(s.profile.user).lower()))
    return ranked[:limit]


def pool_choices(*, application: Application) -> list[ReviewerProfile]:
    """The whole pool for a manual choice, with conflict and assignment flags."""
    return list(_pool_for(application))


# --- Technical assessment --------------------------------------------------------------


def _total_requested():
    totals = (
        ResourceRequest.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(total=Sum("gpu_hours"))
        .values("total")
    )
    return Coalesce(Subquery(totals), Value(0))


def assessment_queue(*, call_id: int | None, assessed: bool) -> QuerySet[Application]:
    """Applications awaiting assessment, or (assessed=True) those whose assessment may
    still be corrected because the panel has not seen them yet."""
    if assessed:
        queryset = Application.objects.filter(
            state__in=rules.ASSESSABLE_STATES, technical_assessment__isnull=False
        )
    else:
        queryset = Application.objects.filter(state=ApplicationState.TECHNICAL_REVIEW)
    if call_id:
        queryset = queryset.filter(call_id=call_id)
    return (
        queryset.select_related("project__organisation", "call", "technical_assessment")
        .annotate(total_gpu_hours=_total_requested())
        .order_by("submitted_at", "id")
    )


def calls_for_filter() -> QuerySet[Call]:
    return Call.objects.order_by("-opens_at", "title").only("id", "title")


def application_for_assessment(*, pk: int) -> Application:
    """A submitted application (full content for staff) with its assessment, if any."""
    application = application_selectors.application_for_staff(pk=pk)
    application.assessment = getattr(application, "technical_assessment", None)
    return application


# --- Staff: review management -------------------------------------------------------------


def staff_review_overview(*, call_id: int | None, now) -> QuerySet[Application]:
    """Applications in technical review, peer review or reply, with review counts."""
    queryset = Application.objects.filter(state__in=REVIEW_PHASE_STATES)
    if call_id:
        queryset = queryset.filter(call_id=call_id)
    return (
        queryset.select_related("project__organisation", "call", "technical_assessment", "reply")
        .annotate(
            submitted_reviews=Count(
                "review_assignments", filter=Q(review_assignments__state=AssignmentState.SUBMITTED)
            ),
            open_reviews=Count(
                "review_assignments",
                filter=Q(review_assignments__state__in=OPEN_ASSIGNMENT_STATES),
            ),
            overdue_reviews=Count(
                "review_assignments",
                filter=Q(
                    review_assignments__state__in=OPEN_ASSIGNMENT_STATES,
                    review_assignments__due_at__lt=now,
                ),
            ),
        )
        .order_by("submitted_at", "id")
    )


def overdue_assignments(*, now, call_id: int | None = None) -> QuerySet[ReviewAssignment]:
    """Open assignments past their due time on applications still being reviewed."""
    queryset = ReviewAssignment.objects.filter(
        state__in=OPEN_ASSIGNMENT_STATES,
        due_at__lt=now,
        application__state__in=rules.REVIEWABLE_STATES,
    )
    if call_id:
        queryset = queryset.filter(application__call_id=call_id)
    return queryset.select_related("reviewer", "application__call").order_by("due_at", "id")


def _assignments_for_staff() -> QuerySet[ReviewAssignment]:
    return ReviewAssignment.objects.select_related(
        "reviewer", "conflict_declaration", "review"
    ).order_by("created_at", "id")


def application_for_manager(*, pk: int) -> Application:
    """A submitted application with assessment, reply and every assignment (staff only)."""
    application = get_object_or_404(
        Application.objects.exclude(state=ApplicationState.DRAFT)
        .filter(submitted_at__isnull=False)
        .select_related("project__organisation", "project__pi", "call")
        .prefetch_related(Prefetch("review_assignments", queryset=_assignments_for_staff())),
        pk=pk,
    )
    application.assessment = one_to_one(application, "technical_assessment")
    application.reply_window = one_to_one(application, "reply")
    return application


def assignment_for_staff(*, pk: int) -> ReviewAssignment:
    return get_object_or_404(ReviewAssignment.objects.select_related("reviewer"), pk=pk)
