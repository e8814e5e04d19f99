"""Reads for reviewers and applicants: conflicts, the reviewer's own assignment, and the
anonymised reviews.

Blindness lives here: reviewers only ever get their own assignment, and what applicants get
(`applicant_reviews`) carries labels ("Reviewer 1"), never names or panel comments.
"""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership
from allocations.applications import selectors as application_selectors
from allocations.applications.models import (
    Application,
    ApplicationState,
    Attachment,
    ProjectMember,
)
from allocations.reviews import rules
from allocations.reviews.models import (
    OPEN_ASSIGNMENT_STATES,
    AssignmentState,
    Review,
    ReviewAssignment,
    ReviewScore,
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


def conflict_expression(application: Application, user_ref: str = "user_id"):
    return Exists(
        Membership.objects.filter(
            organisation_id=application.project.organisation_id, user_id=OuterRef(user_ref)
        )
    ) | Exists(
        ProjectMember.objects.filter(project_id=application.project_id, user_id=OuterRef(user_ref))
    )


def open_load_expression(user_ref: str = "user_id"):
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


def one_to_one(instance, name: str):
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
    declaration = one_to_one(assignment, "conflict_declaration")
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
    application.assessment = one_to_one(application, "technical_assessment")
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


def _label_text(number: int) -> str:
    return _("Reviewer %(number)s") % {"number": number}


# Lazy: a letter rendered later under another language shows the label in that language.
reviewer_label = lazy(_label_text, str)


def applicant_reviews(*, application: Application) -> list[dict]:
    """The submitted reviews as the applicant may see them: anonymised, no panel comments.

    Returns a list, in assignment order, of dicts:
        {"number": 1,
         "label": "Reviewer 1" (lazy: translated in the language active when rendered),
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
                "label": reviewer_label(number),
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
            "label": reviewer_label(number),
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
        return one_to_one(application, "reply") is not None
    return application.state in rules.DECIDED_STATES


def application_for_reply(*, user, pk: int) -> Application:
    """A team member's application with its reply window and assessment; else 404."""
    application = application_selectors.application_for_member(user=user, pk=pk)
    application.reply_window = one_to_one(application, "reply")
    application.assessment = one_to_one(application, "technical_assessment")
    return application


def declaration_of(*, assignment: ReviewAssignment):
    return one_to_one(assignment, "conflict_declaration")
