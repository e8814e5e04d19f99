"""The outbox of changes for the cluster's scheduler. Knows accounts, not allocations:
higher packages (awards) describe what they want; this package makes it so."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OperationKind(models.TextChoices):
    # Make the account exist with this GPU limit and exactly these user associations.
    ENSURE_ACCOUNT = "ensure_account", _("Ensure account, limit and members")


class OperationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SchedulerOperation(models.Model):
    """One desired change, stored before it is sent, so an outage delays and never loses it."""

    kind = models.CharField(_("kind"), max_length=32, choices=OperationKind.choices)
    cluster = models.CharField(_("cluster"), max_length=64)
    account = models.CharField(_("account"), max_length=32, db_index=True)
    # Desired state, e.g. {"gpu_minutes": 600000, "users": ["alice"], "description": "..."}.
    payload = models.JSONField(default=dict)
    state = models.CharField(
        _("state"), max_length=16, choices=OperationState.choices, default=OperationState.PENDING
    )
    backend = models.CharField(_("backend"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # What the backend did or would do (dry-run): commands, requests, replies.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"])]
        verbose_name = _("scheduler operation")
        verbose_name_plural = _("scheduler operations")

    def __str__(self) -> str:
        return f"{self.kind} {self.account} ({self.state})"
