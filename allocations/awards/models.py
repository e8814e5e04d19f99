"""Screening, the panel's decisions and what they grant: allocations of GPU-hours."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import Application, Project, private_storage
from allocations.calls.models import Resource


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")


class Screening(models.Model):
    """The call manager's eligibility check, the first step after submission."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="screening"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=ScreeningOutcome.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="eligible") | ~Q(reason=""),
                name="screening_ineligible_has_reason",
            )
        ]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.outcome}"


class PanelEntry(models.Model):
    """The call manager's adjustments on the panel: manual position and proposed amount."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="panel_entry"
    )
    # Lower comes first; empty means "order by weighted score".
    position = models.PositiveIntegerField(_("position"), null=True, blank=True)
    proposed_gpu_hours = models.PositiveBigIntegerField(
        _("proposed GPU-hours"), null=True, blank=True
    )
    note = models.TextField(_("panel note"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("panel entry")
        verbose_name_plural = _("panel entries")

    def __str__(self) -> str:
        return f"Panel: {self.application.reference}"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    WAITLISTED = "waitlisted", _("Waitlisted")
    REJECTED = "rejected", _("Rejected")


class Decision(models.Model):
    """The one decision on an application. A waitlisted decision may later become approved."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="decision"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=DecisionOutcome.choices)
    reason = models.TextField(_("reason"))
    start_date = models.DateField(_("start"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    over_capacity = models.BooleanField(_("approved beyond capacity"), default=False)
    override_reason = models.TextField(_("reason for exceeding capacity"), blank=True)
    # None when the system decided (an offer from the waitlist when capacity freed).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    letter = models.FileField(upload_to="letters/%Y/", storage=private_storage, blank=True)
    letter_language = models.CharField(max_length=8, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    # Compared with decided_at: a letter older than the decision (waitlisted, then
    # approved) is stale and is generated again.
    letter_generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="approved")
                | (Q(start_date__isnull=False) & Q(end_date__gt=F("start_date"))),
                name="decision_approved_has_period",
            ),
            models.CheckConstraint(
                condition=Q(over_capacity=False) | ~Q(override_reason=""),
                name="decision_override_has_reason",
            ),
        ]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.application.reference}: {self.outcome}"


class DecisionLine(models.Model):
    """GPU-hours granted on one resource."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="lines")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    gpu_hours = models.PositiveBigIntegerField(_("GPU-hours"), validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "resource"], name="decision_line_unique"),
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="decision_line_positive"),
        ]
        verbose_name = _("granted amount")
        verbose_name_plural = _("granted amounts")

    def __str__(self) -> str:
        return f"{self.resource}: {self.gpu_hours}"


class AllocationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", _("Closed")


# Where an allocation can still change (members, suspension, closing, declining).
OPEN_STATES = (AllocationState.PENDING, AllocationState.ACTIVE, AllocationState.SUSPENDED)


class Allocation(models.Model):
    """GPU-hours on one resource for a period, with a stable Slurm account."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="allocations"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="allocations")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="allocations")
    gpu_hours = models.PositiveBigIntegerField(_("GPU-hours"), validators=[MinValueValidator(1)])
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"))
    state = models.CharField(
        _("state"), max_length=16, choices=AllocationState.choices, default=AllocationState.PENDING
    )
    # Stable: lower-case letters, digits and underscores, at most 32 characters.
    slurm_account = models.CharField(_("Slurm account"), max_length=32, unique=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    # Hours given back to the call: all of them when the PI declines, the unused part
    # when the allocation is closed early. Capacity used = gpu_hours - released_gpu_hours.
    released_gpu_hours = models.PositiveBigIntegerField(_("GPU-hours released"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "resource"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=Q(released_gpu_hours__lte=F("gpu_hours")),
                name="allocation_release_within_grant",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="allocation_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(slurm_account__regex=r"^[a-z][a-z0-9_]{2,31}$"),
                name="allocation_account_name_valid",
            ),
        ]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return self.slurm_account


class AllocationMember(models.Model):
    """A person who may run jobs under the allocation's account."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="allocation_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "user"],
                condition=Q(removed_at__isnull=True),
                name="allocation_member_one_active",
            )
        ]
        verbose_name = _("allocation member")
        verbose_name_plural = _("allocation members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.allocation}"


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("Extension (a later end date)")
    SUPPLEMENT = "supplement", _("Supplement (more GPU-hours)")


class ChangeRequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(models.Model):
    """An extension or supplement of an allocation, decided like a small application."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChangeKind.choices)
    # Extra GPU-hours asked for (a supplement must ask for some; an extension may).
    requested_gpu_hours = models.PositiveBigIntegerField(_("additional GPU-hours"), default=0)
    # The new end date asked for (extensions only).
    requested_end_date = models.DateField(_("new end date"), null=True, blank=True)
    justification = models.TextField(_("justification"))
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ChangeRequestState.choices,
        default=ChangeRequestState.SUBMITTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    granted_gpu_hours = models.PositiveBigIntegerField(
        _("GPU-hours granted"), null=True, blank=True
    )
    granted_end_date = models.DateField(_("end date granted"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request of each kind per allocation.
            models.UniqueConstraint(
                fields=["allocation", "kind"],
                condition=Q(state="submitted"),
                name="change_request_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind="extension") | Q(requested_end_date__isnull=False),
                name="change_request_extension_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="supplement") | Q(requested_gpu_hours__gt=0),
                name="change_request_supplement_has_hours",
            ),
            models.CheckConstraint(
                condition=Q(state="submitted") | Q(decided_at__isnull=False),
                name="change_request_decided_has_time",
            ),
        ]
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")

    def __str__(self) -> str:
        return f"{self.allocation.slurm_account}: {self.kind} ({self.state})"
