"""Usage ingestion: read the scheduler's job records for a window, store them, alert.

- `ingest_cluster` reads one cluster incrementally. The window starts where the last
  successful one ended, minus USAGE_OVERLAP_MINUTES (jobs reach slurmdbd late, and a
  cluster whose clock or zone is a little off must not make us miss any); the first run
  reads USAGE_FIRST_WINDOW_DAYS back. Reading a window again is harmless: nothing that
  is already stored as read is touched.
- Jobs map to allocations by Slurm account (on the allocation's resource cluster) and to
  people by cluster username. Accounts the portal does not know are kept (allocation
  None) and listed on the run with their GPU-seconds.
- Every run is an IngestRun: a failed read or write stores the error and changes nothing
  else. After a successful run the allocations whose usage changed are checked for
  alerts.
"""

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from allocations.accounts.models import User
from allocations.awards.models import Allocation
from allocations.scheduler.backends.mappings import JobSnapshot
from allocations.usage import ingest
from allocations.usage.alerts import check_alerts
from allocations.usage.models import IngestRun, IngestStatus
from allocations.usage.sources import JobSource, get_source
from allocations.usage.splitting import job_usage, split_gpu_seconds

log = logging.getLogger(__name__)


@dataclass
class Lookup:
    """Who is who on one cluster: Slurm account → allocation, cluster user → person."""

    allocations: dict[str, int]
    users: dict[str, int]

    @classmethod
    def for_cluster(cls, cluster: str) -> "Lookup":
        allocations = Allocation.objects.filter(resource__cluster=cluster)
        users = User.objects.exclude(cluster_username__isnull=True).exclude(cluster_username="")
        return cls(
            allocations=dict(allocations.values_list("slurm_account", "pk")),
            users=dict(users.values_list("cluster_username", "pk")),
        )


@dataclass
class ReadStats:
    records: int = 0
    # Accounts no allocation has, with the GPU-seconds of their jobs read.
    unknown_accounts: dict[str, int] = field(default_factory=dict)


def clusters_in_use() -> list[str]:
    """Every cluster an allocation is on; the configured cluster when there is none."""
    clusters = (
        Allocation.objects.order_by("resource__cluster")
        .values_list("resource__cluster", flat=True)
        .distinct()
    )
    return list(clusters) or [settings.SLURM_CLUSTER_NAME]


def next_window(*, cluster: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the next incremental read of `cluster`."""
    last = (
        IngestRun.objects.filter(cluster=cluster, status=IngestStatus.DONE)
        .order_by("-window_end")
        .first()
    )
    overlap = timedelta(minutes=settings.USAGE_OVERLAP_MINUTES)
    if last is None:
        start = now - timedelta(days=settings.USAGE_FIRST_WINDOW_DAYS)
    else:
        start = last.window_end - overlap
    # A window is never empty, even if the clock went back since the last run.
    return min(start, now - max(overlap, timedelta(minutes=1))), now


def ingest_all(*, now: datetime) -> list[IngestRun]:
    """Beat: one incremental run per cluster in use."""
    return [ingest_cluster(cluster=cluster, now=now) for cluster in clusters_in_use()]


def ingest_cluster(
    *,
    cluster: str,
    now: datetime,
    since: datetime | None = None,
    source: JobSource | None = None,
) -> IngestRun:
    """Read and store `cluster`'s jobs from `since` (default: the next window) to now."""
    source = source or get_source()
    start, end = next_window(cluster=cluster, now=now)
    if since is not None:
        start = min(since, end - timedelta(seconds=1))
    run = IngestRun.objects.create(
        cluster=cluster, source=source.name, window_start=start, window_end=end, started_at=now
    )
    stats = ReadStats()
    try:
        with transaction.atomic():
            # A lazy source is read inside the transaction: its failure undoes it all.
            snapshots = source.read_jobs(cluster=cluster, start=start, end=end)
            batches = prepare(
                snapshots,
                lookup=Lookup.for_cluster(cluster),
                now=now,
                tz=timezone.get_default_timezone(),
                stats=stats,
            )
            written = ingest.write(batches, cluster=cluster, now=now)
            run.status = IngestStatus.DONE
            run.records, run.changed = stats.records, written.changed
            run.unknown_accounts = dict(sorted(stats.unknown_accounts.items()))
            run.finished_at = timezone.now()
            run.save()
    except Exception as error:  # stored on the run (staff see it); the next run retries
        log.warning("usage ingestion of %s failed: %s", cluster, error)
        run.status, run.finished_at = IngestStatus.FAILED, timezone.now()
        run.error = str(error)[:2000] or error.__class__.__name__
        run.save(update_fields=["status", "finished_at", "error"])
        return run
    check_alerts(allocation_ids=written.allocation_ids, now=now)
    return run


def prepare(
    snapshots: Iterable[JobSnapshot],
    *,
    lookup: Lookup,
    now: datetime,
    tz: tzinfo,
    stats: ReadStats,
    size: int | None = None,
) -> Iterator[ingest.Batch]:
    """The rows to stage, batch by batch (memory stays bounded by `size`).

    Jobs that never started have no usage and are left out (they are read again once
    they start). Within a batch a job id read twice keeps its latest start.
    """
    unknown = stats.unknown_accounts
    for chunk in itertools.batched(snapshots, size or ingest.BATCH_SIZE):
        stats.records += len(chunk)
        newest: dict[int, JobSnapshot] = {}
        for job in chunk:
            if job.start is not None:
                seen = newest.get(job.job_id)
                if seen is None or seen.start <= job.start:
                    newest[job.job_id] = job
        jobs, days = [], []
        for job in newest.values():
            end, elapsed, gpu_seconds = job_usage(
                start=job.start,
                end=job.end,
                elapsed_seconds=job.elapsed_seconds,
                gpus=job.gpus,
                now=now,
            )
            allocation_id = lookup.allocations.get(job.account)
            if allocation_id is None:
                unknown[job.account] = unknown.get(job.account, 0) + gpu_seconds
            jobs.append(
                (
                    job.job_id,
                    job.account[:64],
                    job.username[:64],
                    job.partition[:64],
                    job.state[:32],
                    job.start,
                    job.end,  # None while running: the record says it has not ended
                    elapsed,
                    job.gpus,
                    gpu_seconds,
                    job.end is None,
                    allocation_id,
                    lookup.users.get(job.username),
                )
            )
            for day, part in split_gpu_seconds(
                start=job.start, end=end, gpu_seconds=gpu_seconds, tz=tz
            ):
                days.append((job.job_id, day, part))
        yield jobs, days
