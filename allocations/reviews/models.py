"""Evaluation of submitted applications: technical assessment, peer review, right to reply."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import Application
from allocations.calls.models import RubricCriterion


class Feasibility(models.TextChoices):
    FEASIBLE = "feasible", _("Feasible")
    PARTIAL = "partial", _("Partially feasible")
    NOT_FEASIBLE = "not_feasible", _("Not feasible")


class TechnicalAssessment(models.Model):
    """Centre staff's view of whether the request can run on the requested resource."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="technical_assessment"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    feasibility = models.CharField(_("feasibility"), max_length=16, choices=Feasibility.choices)
    recommended_gpu_hours = models.PositiveBigIntegerField(_("recommended GPU-hours"))
    comments = models.TextField(_("comments (shown to the applicant)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("technical assessment")
        verbose_name_plural = _("technical assessments")

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.get_feasibility_display()}"


class ReviewerProfile(models.Model):
    """A person in the reviewer pool, with expertise keywords used to suggest assignments."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    # Lower-case keywords, e.g. ["nlp", "speech", "climate"].
    expertise = models.JSONField(_("expertise keywords"), default=list, blank=True)
    max_active_assignments = models.PositiveSmallIntegerField(
        _("most open assignments"), default=5, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("available for new assignments"), default=True)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self) -> str:
        return str(self.user)


class AssignmentState(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    CONFLICT = "conflict", _("Conflict of interest")
    SUBMITTED = "submitted", _("Review submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the call manager")


# Assignments that still count towards a reviewer's load and the application's reviewers.
OPEN_ASSIGNMENT_STATES = frozenset({AssignmentState.INVITED, AssignmentState.ACCEPTED})


class ReviewAssignment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="review_assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AssignmentState.choices, default=AssignmentState.INVITED
    )
    due_at = models.DateTimeField(_("review due"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("reason"), blank=True)
    reminded_before_due_at = models.DateTimeField(null=True, blank=True)
    reminded_on_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"],
                condition=~Q(state__in=["declined", "conflict", "withdrawn"]),
                name="assignment_one_live_per_reviewer",
            )
        ]
        indexes = [models.Index(fields=["reviewer", "state"])]
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")

    def __str__(self) -> str:
        return f"{self.application.reference} → {self.reviewer}"


class ConflictDeclaration(models.Model):
    """What the reviewer declared before being shown the application."""

    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.CASCADE, related_name="conflict_declaration"
    )
    has_conflict = models.BooleanField(_("I have a conflict of interest"))
    statement = models.TextField(_("statement"), blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")

    def __str__(self) -> str:
        return f"{self.assignment}: {self.has_conflict}"


class Review(models.Model):
    assignment = models.OneToOneField(
        ReviewAssignment, on_delete=models.CASCADE, related_name="review"
    )
    comment_applicant = models.TextField(_("comment for the applicant"), blank=True)
    comment_panel = models.TextField(_("comment for the panel"), blank=True)
    recommended_gpu_hours = models.PositiveBigIntegerField(
        _("recommended GPU-hours"), null=True, blank=True
    )
    # Sum of score × weight over the weights, rounded half-up to 3 places at submission.
    weighted_score = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(weighted_score__isnull=False),
                name="review_submitted_has_score",
            )
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"Review of {self.assignment}"


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    # PROTECT: a criterion that has been scored cannot disappear from the call.
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_one_per_criterion")
        ]
        verbose_name = _("score")
        verbose_name_plural = _("scores")

    def __str__(self) -> str:
        return f"{self.criterion}: {self.score}"


class ApplicantReply(models.Model):
    """The applicant's answer to the anonymised reviews, within the call's reply window."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="reply")
    opened_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(_("reply due"))
    text = models.TextField(_("your reply"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("applicant reply")
        verbose_name_plural = _("applicant replies")

    def __str__(self) -> str:
        return f"Reply to {self.application.reference}"
