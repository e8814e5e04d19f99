"""What the centre offers: schedulable resources and calls for proposals."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Resource(models.Model):
    """A schedulable pool of GPUs: one Slurm partition of one cluster."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    cluster = models.CharField(_("Slurm cluster"), max_length=64)
    partition = models.CharField(_("Slurm partition"), max_length=64)
    gpu_type = models.CharField(_("GPU type"), max_length=64, default="NVIDIA H200")
    gpus_per_node = models.PositiveSmallIntegerField(
        _("GPUs per node"), default=8, validators=[MinValueValidator(1)]
    )
    node_count = models.PositiveIntegerField(
        _("nodes"), default=1, validators=[MinValueValidator(1)]
    )
    capacity_gpu_hours = models.PositiveBigIntegerField(
        _("capacity (GPU-hours per period)"), validators=[MinValueValidator(1)]
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "partition"], name="resource_partition_unique"
            ),
            models.CheckConstraint(
                condition=Q(capacity_gpu_hours__gt=0), name="resource_capacity_positive"
            ),
        ]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.name


class Track(models.TextChoices):
    ACADEMIC = "academic", _("Academic")
    STARTUP = "startup", _("Startup")
    COMMERCIAL = "commercial", _("Commercial")
    PUBLIC_SECTOR = "public_sector", _("Public sector")


class CallState(models.TextChoices):
    """Where a call stands at a given moment; derived from its fields, never stored."""

    DRAFT = "draft", _("Draft (unpublished)")
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Call(models.Model):
    """A call for proposals on one track, with a window (or continuous intake)."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    track = models.CharField(_("track"), max_length=16, choices=Track.choices)
    description = models.TextField(_("description"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    is_continuous = models.BooleanField(_("continuous intake"), default=False)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    # Organisation categories that may apply (values of OrganisationCategory).
    eligible_categories = models.JSONField(_("eligible organisation categories"), default=list)
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=2, validators=[MinValueValidator(1)]
    )
    blind_review = models.BooleanField(_("blind review"), default=True)
    right_to_reply = models.BooleanField(_("right to reply"), default=True)
    reply_window_days = models.PositiveSmallIntegerField(_("reply window (days)"), default=7)
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=5)
    max_duration_months = models.PositiveSmallIntegerField(
        _("longest allocation (months)"), default=12, validators=[MinValueValidator(1)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_continuous=True) | Q(closes_at__isnull=False),
                name="call_window_or_continuous",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="call_closes_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min")), name="call_scale_ordered"
            ),
        ]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return self.title

    def is_open_at(self, now) -> bool:
        if not self.is_published or now < self.opens_at:
            return False
        return self.is_continuous or self.closes_at is None or now < self.closes_at

    @property
    def is_open(self) -> bool:
        return self.is_open_at(timezone.now())

    def state_at(self, now) -> CallState:
        if not self.is_published:
            return CallState.DRAFT
        if now < self.opens_at:
            return CallState.SCHEDULED
        if self.is_open_at(now):
            return CallState.OPEN
        return CallState.CLOSED


class CallResource(models.Model):
    """The GPU-hours a call may give out on one resource."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="capacities")
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    capacity_gpu_hours = models.PositiveBigIntegerField(
        _("capacity (GPU-hours)"), validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["resource__name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "resource"], name="call_resource_unique"),
            models.CheckConstraint(
                condition=Q(capacity_gpu_hours__gt=0), name="call_resource_capacity_positive"
            ),
        ]
        verbose_name = _("call capacity")
        verbose_name_plural = _("call capacities")

    def __str__(self) -> str:
        return f"{self.call}: {self.resource} {self.capacity_gpu_hours}"


class RubricCriterion(models.Model):
    """One scored criterion of a call's review rubric."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("guidance for reviewers"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive")
        ]
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")

    def __str__(self) -> str:
        return self.name
