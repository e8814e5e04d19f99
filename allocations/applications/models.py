"""Projects and their applications for GPU-hours to a call."""

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation
from allocations.calls.models import Call, Resource


class _PrivateStorage(LazyObject):
    """storages["private"], looked up on first use and again after STORAGES changes.

    A FileField evaluates a storage callable once, when the model class is built; without
    this indirection the field would keep the storage configured at import time.
    """

    def _setup(self):
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    """Storage outside any public URL; files are served by an access-checking view."""
    return _private


class Project(models.Model):
    """Long-lived research or product work owned by an organisation, led by a PI."""

    title = models.CharField(_("title"), max_length=255)
    abstract = models.TextField(_("abstract"), blank=True)
    field_of_science = models.CharField(_("field of science"), max_length=120, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=_("organisation"),
    )
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_projects",
        verbose_name=_("principal investigator"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.title


class TeamRole(models.TextChoices):
    PI = "pi", _("Principal investigator")
    CO_PI = "co_pi", _("Co-investigator")
    MEMBER = "member", _("Team member")


class ProjectMember(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=TeamRole.choices)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique")
        ]
        verbose_name = _("team member")
        verbose_name_plural = _("team members")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENING = "screening", _("Screening")
    TECHNICAL_REVIEW = "technical_review", _("Technical review")
    PEER_REVIEW = "peer_review", _("Peer review")
    REPLY = "reply", _("Right to reply")
    PANEL = "panel", _("Panel")
    APPROVED = "approved", _("Approved")
    WAITLISTED = "waitlisted", _("Waitlisted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


# States in which the applicant may still edit the application.
EDITABLE_STATES = frozenset({ApplicationState.DRAFT, ApplicationState.CHANGES_REQUESTED})
# States from which the applicant may withdraw.
WITHDRAWABLE_STATES = frozenset(
    {
        ApplicationState.DRAFT,
        ApplicationState.SUBMITTED,
        ApplicationState.SCREENING,
        ApplicationState.TECHNICAL_REVIEW,
        ApplicationState.PEER_REVIEW,
        ApplicationState.REPLY,
        ApplicationState.PANEL,
        ApplicationState.WAITLISTED,
        ApplicationState.CHANGES_REQUESTED,
    }
)
# Closed states: a project may apply to the same call again only after these.
CLOSED_STATES = frozenset({ApplicationState.WITHDRAWN, ApplicationState.REJECTED})


class Application(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="applications", verbose_name=_("project")
    )
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call")
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    start_date = models.DateField(_("requested start"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("duration (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    justification = models.TextField(_("scientific or business justification"), blank=True)
    software_and_data = models.TextField(_("software and data"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "call"],
                condition=~Q(state__in=["withdrawn", "rejected"]),
                name="application_one_open_per_project_call",
            ),
            # A draft withdrawn before submission keeps no submission time.
            models.CheckConstraint(
                condition=Q(state__in=["draft", "withdrawn"]) | Q(submitted_at__isnull=False),
                name="application_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["call", "state"])]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"{self.reference} {self.project.title}"

    @property
    def reference(self) -> str:
        return f"APP-{self.pk:06d}" if self.pk else "APP-new"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ResourceRequest(models.Model):
    """GPU-hours asked for on one resource of the call."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="requests")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    gpu_hours = models.PositiveBigIntegerField(_("GPU-hours"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["resource__name"]
        constraints = [
            models.UniqueConstraint(fields=["application", "resource"], name="request_unique"),
            models.CheckConstraint(condition=Q(gpu_hours__gt=0), name="request_positive"),
        ]
        verbose_name = _("resource request")
        verbose_name_plural = _("resource requests")

    def __str__(self) -> str:
        return f"{self.resource}: {self.gpu_hours}"


class Attachment(models.Model):
    """A PDF attached to an application, stored privately (never under a public URL)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="attachments/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    size_bytes = models.PositiveIntegerField(_("size"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
