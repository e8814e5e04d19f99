"""The desired state of Slurm accounts, the outbox of changes to it, and reconcile runs.

This package knows accounts, not allocations: higher packages (awards) say what each
account should look like; this package stores it, converges the cluster to it and
reports where the cluster disagrees.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class SchedulerAccount(models.Model):
    """One Slurm account as the portal wants it, and how far the cluster has caught up.

    Every change bumps `desired_version`; a converge that succeeded sets
    `applied_version` to the version it sent. The two differ exactly while a change is
    waiting for the scheduler.
    """

    cluster = models.CharField(_("cluster"), max_length=64)
    name = models.CharField(_("account"), max_length=32)
    description = models.CharField(_("description"), max_length=200, blank=True)
    organization = models.CharField(_("organisation"), max_length=64, blank=True)
    # GrpTRESMins=gres/gpu=<gpu_minutes> on the account association.
    gpu_minutes = models.PositiveBigIntegerField(_("GPU-minutes limit"))
    # Cluster usernames with a user association under the account, sorted.
    users = models.JSONField(_("users"), default=list)
    desired_version = models.PositiveBigIntegerField(default=1)
    applied_version = models.PositiveBigIntegerField(default=0)
    # Set while a worker converges the account: one converge at a time per account. A
    # crashed worker's lease simply runs out.
    lease_until = models.DateTimeField(null=True, blank=True)
    converged_at = models.DateTimeField(_("last converged"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cluster", "name"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "name"], name="scheduler_account_unique"),
            models.CheckConstraint(
                condition=Q(applied_version__lte=F("desired_version")),
                name="scheduler_account_applied_not_ahead",
            ),
        ]
        indexes = [models.Index(fields=["cluster", "applied_version", "desired_version"])]
        verbose_name = _("scheduler account")
        verbose_name_plural = _("scheduler accounts")

    def __str__(self) -> str:
        return f"{self.name}@{self.cluster}"

    @property
    def in_sync(self) -> bool:
        return self.applied_version == self.desired_version


class OperationReason(models.TextChoices):
    """Why the desired state changed (what staff read in the outbox)."""

    APPROVAL = "approval", _("Approval")
    MEMBER_ADDED = "member_added", _("Member added")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    USERNAME_CHANGED = "username_changed", _("Cluster username changed")
    EXTENSION = "extension", _("Extension")
    SUPPLEMENT = "supplement", _("Supplement")
    SUSPENSION = "suspension", _("Suspension")
    RESUMPTION = "resumption", _("Resumption")
    EXPIRY = "expiry", _("Expiry")
    CLOSURE = "closure", _("Closure")
    REPAIR = "repair", _("Repair after drift")


class OperationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    FAILED = "failed", _("Failed, will retry")
    DONE = "done", _("Done")
    # A newer change to the same account was sent instead; it carried this one's intent.
    SUPERSEDED = "superseded", _("Superseded")


UNFINISHED_STATES = (OperationState.PENDING, OperationState.FAILED)


class SchedulerOperation(models.Model):
    """One change of an account's desired state, stored before anything is sent.

    It carries the whole desired state (not a delta), so applying it is an "ensure"
    that is safe to repeat, and a newer operation makes older unsent ones redundant.
    """

    account = models.ForeignKey(
        SchedulerAccount, on_delete=models.CASCADE, related_name="operations"
    )
    version = models.PositiveBigIntegerField()
    reason = models.CharField(_("reason"), max_length=32, choices=OperationReason.choices)
    gpu_minutes = models.PositiveBigIntegerField(_("GPU-minutes limit"))
    users = models.JSONField(_("users"), default=list)
    state = models.CharField(
        _("state"), max_length=16, choices=OperationState.choices, default=OperationState.PENDING
    )
    backend = models.CharField(_("backend"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("scheduler error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # What the backend did (or, dry-run, would do): one line per change.
    actions = models.JSONField(_("actions"), default=list, blank=True)
    # Celery task to send once done: {"task": dotted name, "kwargs": {...}}.
    on_done = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True, db_index=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "version"], name="scheduler_operation_version_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"])]
        verbose_name = _("scheduler operation")
        verbose_name_plural = _("scheduler operations")

    def __str__(self) -> str:
        return f"{self.account_id} v{self.version} {self.reason} ({self.state})"


class FindingKind(models.TextChoices):
    MISSING_ACCOUNT = "missing_account", _("Account missing on the cluster")
    LIMIT_DIFFERS = "limit_differs", _("GPU limit differs")
    MISSING_USER = "missing_user", _("User association missing")
    EXTRA_USER = "extra_user", _("User association the portal did not ask for")
    UNKNOWN_ACCOUNT = "unknown_account", _("Portal-style account the portal does not know")


class ReconcileStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    READING = "reading", _("Reading the cluster")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReconcileRun(models.Model):
    """One comparison of the cluster with the desired state, and what it found."""

    cluster = models.CharField(_("cluster"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=ReconcileStatus.choices, default=ReconcileStatus.QUEUED
    )
    # None when beat started it.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backend = models.CharField(_("backend"), max_length=32, blank=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    accounts_checked = models.PositiveIntegerField(_("accounts checked"), default=0)
    # Accounts with a change in flight are not compared (the outbox will get there).
    accounts_skipped = models.PositiveIntegerField(_("accounts skipped"), default=0)
    repairs_queued = models.PositiveIntegerField(_("repairs queued"), default=0)
    # [{"kind", "account", "user", "expected", "found"}]
    findings = models.JSONField(_("findings"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("reconcile run")
        verbose_name_plural = _("reconcile runs")

    def __str__(self) -> str:
        return f"reconcile {self.cluster} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (ReconcileStatus.DONE, ReconcileStatus.FAILED)
