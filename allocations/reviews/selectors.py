"""Reads of the reviews area: queues, the reviewer pool, suggestions, what a reviewer may see.

Blindness lives here: reviewers only ever get their own assignment, and what applicants get
(`applicant_reviews`) carries labels ("Reviewer 1"), never names or panel comments.
Lists run a constant number of queries whatever the number of rows.
"""

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership
from allocations.applications import selectors as application_selectors
from allocations.applications.models import (
    Application,
    ApplicationState,
    Attachment,
    ProjectMember,
    ResourceRequest,
)
from allocations.calls.models import Call
from allocations.reviews import rules
from allocations.reviews.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    Review,
    ReviewAssignment,
    ReviewerProfile,
    ReviewScore,
)

PAGE_SIZE = 50
REVIEW_PHASE_STATES = (
    ApplicationState.TECHNICAL_REVIEW,
    ApplicationState.PEER_REVIEW,
    ApplicationState.REPLY,
)


# --- Conflicts and load -----------------------------------------------------------------


def detected_conflict(*, user_id: int, application: Application) -> str:
    """Why the portal itself sees a conflict: "organisation", "team" or "" for none."""
    if Membership.objects.filter(
        organisation_id=application.project.organisation_id, user_id=user_id
    ).exists():
        return "organisation"
    if ProjectMember.objects.filter(project_id=application.project_id, user_id=user_id).exists():
        return "team"
    return ""


def _conflict_expression(application: Application, user_ref: str = "user_id"):
    return Exists(
        Membership.objects.filter(
            organisation_id=application.project.organisation_id, user_id=OuterRef(user_ref)
        )
    ) | Exists(
        ProjectMember.objects.filter(project_id=application.project_id, user_id=OuterRef(user_ref))
    )


def _open_load(user_ref: str = "user_id"):
    """Open assignments (invited or accepted) of the outer reviewer, as one subquery."""
    counts = (
        ReviewAssignment.objects.filter(
            reviewer_id=OuterRef(user_ref), state__in=OPEN_ASSIGNMENT_STATES
        )
        .order_by()
        .values("reviewer_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def open_load(*, user) -> int:
    return ReviewAssignment.objects.filter(reviewer=user, state__in=OPEN_ASSIGNMENT_STATES).count()


# --- Reviewer pool ---------------------------------------------------------------------


def reviewer_pool() -> QuerySet[ReviewerProfile]:
    """Every pool member with user and current load (one query)."""
    return (
        ReviewerProfile.objects.select_related("user")
        .annotate(load=_open_load())
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
        conflicted=_conflict_expression(application), already_assigned=Exists(already)
    )


@dataclass(frozen=True)
class Suggestion:
    profile: ReviewerProfile
    matched: list[str]

    @property
    def overlap(self) -> int:
        return len(self.matched)


def suggestions(*, application: Application, limit: int = 10) -> list[Suggestion]:
    """Reviewers to propose: most matching keywords first, then the least loaded.

    Excluded: detected conflicts, anyone already on this application in any state,
    inactive profiles and reviewers at their maximum load.
    """
    text_words = rules.project_words(application.project)
    candidates = [
        profile
        for profile in _pool_for(application)
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
    application.assessment = _one_to_one(application, "technical_assessment")
    application.reply_window = _one_to_one(application, "reply")
    return application


def _one_to_one(instance, name: str):
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


# --- Reviewer workspace ----------------------------------------------------------------------


def my_assignments(*, user, now) -> list[ReviewAssignment]:
    """The reviewer's assignments, open ones first by due date, with an overdue flag.

    Only the reference and the call are loaded: nothing of the application's content.
    """
    assignments = list(
        ReviewAssignment.objects.filter(reviewer=user)
        .select_related("application__call")
        .only(
            "id",
            "state",
            "due_at",
            "created_at",
            "application_id",
            "application__id",
            "application__state",
            "application__call__id",
            "application__call__title",
        )
    )
    for assignment in assignments:
        assignment.is_open = assignment.state in OPEN_ASSIGNMENT_STATES
        assignment.overdue = assignment.is_open and rules.is_overdue(
            due_at=assignment.due_at, now=now
        )
    current = sorted((a for a in assignments if a.is_open), key=lambda a: (a.due_at, a.pk))
    past = sorted((a for a in assignments if not a.is_open), key=lambda a: -a.pk)
    return current + past


def assignment_for_reviewer(*, user, pk: int) -> ReviewAssignment:
    """The reviewer's own assignment (else 404) with declaration and review, no content."""
    return get_object_or_404(
        ReviewAssignment.objects.select_related(
            "application__call", "application__project__organisation", "conflict_declaration"
        ),
        reviewer=user,
        pk=pk,
    )


def reviewer_may_read(*, assignment: ReviewAssignment) -> bool:
    """Accepted (or submitted), declared free of conflict, and no conflict the portal sees."""
    if assignment.state not in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED):
        return False
    declaration = _one_to_one(assignment, "conflict_declaration")
    if declaration is None or declaration.has_conflict:
        return False
    return not detected_conflict(user_id=assignment.reviewer_id, application=assignment.application)


def team_for_declaration(*, application: Application) -> list[ProjectMember]:
    """Who applies, so that a reviewer can judge a conflict: names and roles only."""
    return list(
        ProjectMember.objects.filter(project_id=application.project_id)
        .select_related("user")
        .only("role", "user__full_name", "user__email")
    )


def application_for_reviewer(*, assignment: ReviewAssignment) -> Application:
    """The application content for a cleared reviewer; PermissionDenied otherwise."""
    if not reviewer_may_read(assignment=assignment):
        raise PermissionDenied
    application = application_selectors.application_for_staff(pk=assignment.application_id)
    application.assessment = _one_to_one(application, "technical_assessment")
    return application


def review_of(*, assignment: ReviewAssignment) -> Review | None:
    return (
        Review.objects.filter(assignment=assignment)
        .prefetch_related(
            Prefetch("scores", queryset=ReviewScore.objects.select_related("criterion"))
        )
        .first()
    )


def attachment_for_reviewer(*, user, assignment_pk: int, attachment_pk: int) -> Attachment:
    """An attachment of the reviewer's application, once cleared to read it."""
    assignment = assignment_for_reviewer(user=user, pk=assignment_pk)
    if not reviewer_may_read(assignment=assignment):
        raise PermissionDenied
    attachment = Attachment.objects.filter(
        application_id=assignment.application_id, pk=attachment_pk
    ).first()
    if attachment is None:
        raise Http404
    return attachment


# --- What applicants and the panel see ----------------------------------------------------


def _submitted_reviews(application: Application) -> list[Review]:
    return list(
        Review.objects.filter(
            assignment__application=application,
            assignment__state=AssignmentState.SUBMITTED,
            submitted_at__isnull=False,
        )
        .select_related("assignment__reviewer")
        .prefetch_related(
            Prefetch(
                "scores",
                queryset=ReviewScore.objects.select_related("criterion").order_by(
                    "criterion__position", "criterion__id"
                ),
            )
        )
        .order_by("assignment__created_at", "assignment__id")
    )


def reviewer_label(number: int):
    return _("Reviewer %(number)s") % {"number": number}


def applicant_reviews(*, application: Application) -> list[dict]:
    """The submitted reviews as the applicant may see them: anonymised, no panel comments.

    Returns a list, in assignment order, of dicts:
        {"number": 1,
         "label": "Reviewer 1" (translated in the active language when built),
         "scores": [{"criterion": "Scientific merit", "score": 4, "scale_max": 5}, ...]
                   (criteria in the call's rubric order),
         "weighted_score": Decimal("4.250"),
         "comment_applicant": "..."}
    Never contains reviewer names or e-mails, panel comments or recommended GPU-hours.
    """
    scale_max = application.call.scale_max
    result = []
    for number, review in enumerate(_submitted_reviews(application), start=1):
        result.append(
            {
                "number": number,
                "label": str(reviewer_label(number)),
                "scores": [
                    {"criterion": s.criterion.name, "score": s.score, "scale_max": scale_max}
                    for s in review.scores.all()
                ],
                "weighted_score": review.weighted_score,
                "comment_applicant": review.comment_applicant,
            }
        )
    return result


def panel_comments(*, application: Application) -> list[dict]:
    """For staff only: per submitted review, its label, reviewer, panel comment, hours.

    Returns dicts: {"number", "label", "reviewer" (User), "weighted_score",
    "comment_panel", "comment_applicant", "recommended_gpu_hours" (int or None),
    "scores": [{"criterion", "score"}]}, in assignment order.
    """
    return [
        {
            "number": number,
            "label": str(reviewer_label(number)),
            "reviewer": review.assignment.reviewer,
            "weighted_score": review.weighted_score,
            "comment_panel": review.comment_panel,
            "comment_applicant": review.comment_applicant,
            "recommended_gpu_hours": review.recommended_gpu_hours,
            "scores": [
                {"criterion": s.criterion.name, "score": s.score} for s in review.scores.all()
            ],
        }
        for number, review in enumerate(_submitted_reviews(application), start=1)
    ]


def reviews_visible_to_team(application: Application) -> bool:
    """The team sees the anonymised reviews from its reply window on, and once decided
    (the decision letter carries them too)."""
    if application.state == ApplicationState.REPLY:
        return True
    if application.state == ApplicationState.PANEL:
        return _one_to_one(application, "reply") is not None
    return application.state in rules.DECIDED_STATES


def application_for_reply(*, user, pk: int) -> Application:
    """A team member's application with its reply window and assessment; else 404."""
    application = application_selectors.application_for_member(user=user, pk=pk)
    application.reply_window = _one_to_one(application, "reply")
    application.assessment = _one_to_one(application, "technical_assessment")
    return application


def assignment_for_staff(*, pk: int) -> ReviewAssignment:
    return get_object_or_404(ReviewAssignment.objects.select_related("reviewer"), pk=pk)


def declaration_of(*, assignment: ReviewAssignment):
    return _one_to_one(assignment, "conflict_declaration")
