"""Usage from the scheduler's accounting: job records, their GPU time per day, roll-ups,
ingestion runs and usage alerts.

GPU-seconds = allocated gres/gpu × elapsed seconds. A job's GPU time is split at local
day boundaries (settings.TIME_ZONE), so every day, and so every month, gets exactly its
share; the parts of a job always add up to its total.

These tables are derived data, rewritten in bulk by every ingestion (a million records in
a run): their foreign keys carry no database constraint and no index of their own where a
composite index already leads with them. PostgreSQL would otherwise check every reference
at commit, which cost a third of the ingestion time. Django still applies the on_delete
rules, and ingestion writes only ids it has just read.

JobRecord is indexed only for what reads it: the job's key (cluster, job id) and the
roll-up's lookup by (cluster, account). Every page reads UsageDaily; no query lists job
records by allocation or person, so no index serves one (an index by allocation cost an
eighth of the ingestion time). Allocations are never deleted (they are PROTECTed and no
service deletes one), so SET_NULL never has to find their jobs.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allocations.awards.models import Allocation


class JobRecord(models.Model):
    """One Slurm job as last read from slurmdbd (unique per cluster and job id)."""

    cluster = models.CharField(_("cluster"), max_length=64)
    job_id = models.BigIntegerField(_("job id"))
    account = models.CharField(_("account"), max_length=64)
    username = models.CharField(_("cluster user"), max_length=64)
    partition = models.CharField(_("partition"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=32)
    start_time = models.DateTimeField(_("start"), null=True, blank=True)
    end_time = models.DateTimeField(_("end"), null=True, blank=True)
    elapsed_seconds = models.BigIntegerField(_("elapsed seconds"), default=0)
    gpus = models.PositiveIntegerField(_("GPUs"), default=0)
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"), default=0)
    # A running job is counted up to the moment it was read, and corrected when it ends.
    running = models.BooleanField(_("running"), default=False)
    # Mapped by account (allocation) and cluster username (person); None when unknown.
    allocation = models.ForeignKey(
        Allocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_constraint=False,
        db_index=False,  # nothing reads job records by allocation (see the docstring)
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    ingested_at = models.DateTimeField(_("read at"))

    class Meta:
        ordering = ["-start_time", "-job_id"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "job_id"], name="job_record_unique"),
            models.CheckConstraint(
                condition=Q(gpu_seconds__gte=0) & Q(elapsed_seconds__gte=0),
                name="job_record_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["cluster", "account"]),
        ]
        verbose_name = _("job record")
        verbose_name_plural = _("job records")

    def __str__(self) -> str:
        return f"{self.cluster}:{self.job_id}"


class JobDay(models.Model):
    """A job's GPU-seconds on one local day. Replaced whenever the job is read again; the
    days of a job always add up to its gpu_seconds."""

    # Indexed by the (job, day) unique constraint.
    job = models.ForeignKey(
        JobRecord,
        on_delete=models.CASCADE,
        related_name="days",
        db_constraint=False,
        db_index=False,
    )
    day = models.DateField(_("day"))
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="job_day_unique"),
            models.CheckConstraint(condition=Q(gpu_seconds__gte=0), name="job_day_positive"),
        ]
        verbose_name = _("job day")
        verbose_name_plural = _("job days")

    def __str__(self) -> str:
        return f"{self.job_id} {self.day}: {self.gpu_seconds}"


class UsageDaily(models.Model):
    """GPU-seconds of one account and cluster user on one local day: the sum of the day
    parts of their jobs. Rebuilt for the affected days by every ingestion."""

    cluster = models.CharField(_("cluster"), max_length=64)
    account = models.CharField(_("account"), max_length=64)
    username = models.CharField(_("cluster user"), max_length=64)
    day = models.DateField(_("day"))
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"), default=0)
    jobs = models.PositiveIntegerField(_("jobs"), default=0)
    allocation = models.ForeignKey(
        Allocation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="usage_days",
        db_constraint=False,
        db_index=False,  # the (allocation, day) index leads with it
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        ordering = ["day", "account", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "account", "username", "day"], name="usage_daily_unique"
            ),
            models.CheckConstraint(condition=Q(gpu_seconds__gte=0), name="usage_daily_positive"),
        ]
        indexes = [models.Index(fields=["allocation", "day"]), models.Index(fields=["day"])]
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")

    def __str__(self) -> str:
        return f"{self.account}/{self.username} {self.day}: {self.gpu_seconds}"


class IngestStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class IngestRun(models.Model):
    """One read of the scheduler's job records for a time window."""

    cluster = models.CharField(_("cluster"), max_length=64)
    source = models.CharField(_("source"), max_length=32)  # slurm-rest or demo
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("to"))
    status = models.CharField(
        _("status"), max_length=16, choices=IngestStatus.choices, default=IngestStatus.RUNNING
    )
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    records = models.PositiveIntegerField(_("records read"), default=0)
    changed = models.PositiveIntegerField(_("records new or changed"), default=0)
    # Accounts seen in job records that no allocation has: {"account": GPU-seconds}.
    unknown_accounts = models.JSONField(_("unknown accounts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="ingest_run_window_ordered"
            )
        ]
        verbose_name = _("usage ingestion")
        verbose_name_plural = _("usage ingestions")

    def __str__(self) -> str:
        return f"ingest {self.cluster} {self.window_start:%Y-%m-%d %H:%M}"


class UsageAlert(models.Model):
    """An alert sent once when an allocation's usage passed a share of its grant."""

    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    used_gpu_seconds = models.BigIntegerField(_("GPU-seconds used when sent"))
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        ordering = ["allocation", "threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation", "threshold"], name="usage_alert_once_per_threshold"
            )
        ]
        verbose_name = _("usage alert")
        verbose_name_plural = _("usage alerts")

    def __str__(self) -> str:
        return f"{self.allocation} {self.threshold} %"
