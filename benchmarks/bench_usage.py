"""Usage ingestion (issue 5) on PostgreSQL:

- ingest_records_per_s: 1,000,000 job records in slurmdbd's JSON (v0.0.38, dicts in
  memory; ~2,000 accounts of which a tenth unknown to the portal, 3 users each, over 60
  days, about 10 % over a local midnight, a few still running) through the real path:
  the v0.0.38 mapping's parse_jobs (in batches), mapping to allocations and people, the
  day split, COPY into staging tables, the set-based upsert and the UsageDaily roll-up,
  the IngestRun and the alert check, into empty usage tables.
- copy_records_per_s: a plain COPY of the same rows (JobRecord's columns) into a scratch
  table without indexes or constraints: the floor this machine sets.

Reading the same records again (nothing changes, nothing is written) is timed too and
printed as a note.
"""

import gc
import random
import time
from datetime import timedelta

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from allocations.accounts.models import Organisation, OrganisationCategory, User
from allocations.applications.models import Application, ApplicationState, Project
from allocations.awards.models import Allocation, AllocationState
from allocations.calls.models import Call, Resource, Track
from allocations.scheduler.backends.mappings import get_mapping
from allocations.usage import services
from allocations.usage.demo_source import job_json
from allocations.usage.models import IngestStatus, JobDay, JobRecord, UsageDaily
from benchmarks.common import bench

RECORDS = 1_000_000
ACCOUNTS = 2_000
KNOWN_ACCOUNTS = 1_800  # the rest are accounts the portal does not know
USERS_PER_ACCOUNT = 3
DAYS = 60
CLUSTER = "benchgpu"
PARSE_BATCH = 50_000


class InMemorySource:
    """slurmdbd's reply already in memory; parsed by the real mapping, batch by batch."""

    name = "bench"

    def __init__(self, jobs: list[dict]):
        self.jobs = jobs

    def read_jobs(self, *, cluster, start, end):
        mapping = get_mapping("v0.0.38")
        for first in range(0, len(self.jobs), PARSE_BATCH):
            yield from mapping.parse_jobs({"jobs": self.jobs[first : first + PARSE_BATCH]})


def _username(account: int, user: int) -> str:
    return f"bu{account * USERS_PER_ACCOUNT + user:05d}"


def _account(index: int) -> str:
    return f"u{index:05d}_a{index:06d}"


def _seed(now) -> None:
    """2,000 accounts: 1,800 allocations, 5,700 people with cluster usernames."""
    resource = Resource.objects.create(
        name="Usage bench H200", cluster=CLUSTER, partition="h200", capacity_gpu_hours=10**9
    )
    call = Call.objects.create(
        title="Usage bench call",
        slug="usage-bench-call",
        track=Track.ACADEMIC,
        is_published=True,
        is_continuous=True,
        opens_at=now - timedelta(days=400),
        eligible_categories=[c.value for c in OrganisationCategory],
    )
    users = User.objects.bulk_create(
        User(email=f"usage-bench-{n}@bench.kz", password="!", cluster_username=_username(0, n))
        for n in range(ACCOUNTS * USERS_PER_ACCOUNT)
        if n % 20  # a few cluster users nobody in the portal has
    )
    org = Organisation.objects.create(
        legal_name="Usage Bench LLP", country="DE", category=OrganisationCategory.UNIVERSITY
    )
    projects = Project.objects.bulk_create(
        Project(title=f"Usage project {i}", organisation=org, pi=users[i])
        for i in range(KNOWN_ACCOUNTS)
    )
    applications = Application.objects.bulk_create(
        Application(
            project=project,
            call=call,
            state=ApplicationState.APPROVED,
            submitted_at=now,
            start_date=(now - timedelta(days=90)).date(),
            duration_months=12,
            created_by=project.pi,
        )
        for project in projects
    )
    Allocation.objects.bulk_create(
        Allocation(
            application=application,
            project=application.project,
            resource=resource,
            gpu_hours=10**6,  # far from any alert threshold
            start_date=(now - timedelta(days=90)).date(),
            end_date=(now + timedelta(days=275)).date(),
            state=AllocationState.ACTIVE,
            slurm_account=_account(i),
        )
        for i, application in enumerate(applications)
    )


def _jobs(now) -> list[dict]:
    rng = random.Random(5)
    newest = int(now.timestamp())
    oldest = newest - DAYS * 86400
    jobs = []
    for job_id in range(1, RECORDS + 1):
        account = rng.randrange(ACCOUNTS)
        start = rng.randrange(oldest, newest - 60)
        seconds = rng.randrange(300, 5 * 3600)  # mean 2.5 h: ~10 % cross a midnight
        end = start + seconds
        running = end >= newest
        jobs.append(
            job_json(
                cluster=CLUSTER,
                job_id=job_id,
                account=_account(account),
                user=_username(account, rng.randrange(USERS_PER_ACCOUNT)),
                partition="h200",
                state="RUNNING" if running else "COMPLETED",
                start=start,
                end=0 if running else end,
                elapsed=(newest if running else end) - start,
                gpus=rng.choice((1, 2, 4, 8)),
            )
        )
    return jobs


def _ingest(jobs, now) -> float:
    """Seconds for one ingestion of `jobs`, from reading the reply to the committed roll-up
    and the alert check."""
    started = time.perf_counter()
    run = services.ingest_cluster(
        cluster=CLUSTER,
        now=now,
        since=now - timedelta(days=DAYS + 1),
        source=InMemorySource(jobs),
    )
    elapsed = time.perf_counter() - started
    if run.status != IngestStatus.DONE or run.records != RECORDS:
        raise RuntimeError(f"ingestion failed: {run.status} {run.records} {run.error}")
    return elapsed


def _check() -> None:
    """The stored rows add up (outside the timing)."""
    records = JobRecord.objects.filter(cluster=CLUSTER)
    total = records.aggregate(s=Sum("gpu_seconds"))["s"]
    days = JobDay.objects.filter(job__cluster=CLUSTER).aggregate(s=Sum("gpu_seconds"))["s"]
    daily = UsageDaily.objects.filter(cluster=CLUSTER).aggregate(s=Sum("gpu_seconds"))["s"]
    if records.count() != RECORDS or not total == days == daily:
        raise RuntimeError(f"sums differ: records {total}, days {days}, daily {daily}")


def _copy_rows(jobs, now) -> list[tuple]:
    """The JobRecord columns of every job, as the ingestion computes them."""
    tz = timezone.get_default_timezone()
    lookup = services.Lookup(allocations={}, users={})
    stats = services.ReadStats()
    rows = []
    for batch, _days in services.prepare(
        InMemorySource(jobs).read_jobs(cluster=CLUSTER, start=now, end=now),
        lookup=lookup,
        now=now,
        tz=tz,
        stats=stats,
    ):
        rows.extend((CLUSTER, *row, now) for row in batch)
    return rows


def _time_copy(rows) -> float:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_usage_copy")
        cursor.execute(
            "CREATE TABLE bench_usage_copy (cluster text, job_id bigint, account text, "
            "username text, partition text, state text, start_time timestamptz, "
            "end_time timestamptz, elapsed_seconds bigint, gpus integer, gpu_seconds bigint, "
            "running boolean, allocation_id bigint, user_id bigint, ingested_at timestamptz)"
        )
        started = time.perf_counter()
        with cursor.copy("COPY bench_usage_copy FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_usage_copy")
    return elapsed


def run() -> None:
    now = timezone.now()
    _seed(now)
    jobs = _jobs(now)
    # The reply is input, not work: keep the collector from rescanning its million dicts.
    gc.collect()
    gc.freeze()
    elapsed = _ingest(jobs, now)
    bench("ingest_records_per_s", int(RECORDS / elapsed), "records/s")
    _check()
    again = _ingest(jobs, now)
    print(f"  reading the same records again (nothing changes): {int(RECORDS / again)} records/s")
    rows = _copy_rows(jobs, now)
    del jobs
    gc.unfreeze()
    bench("copy_records_per_s", int(RECORDS / _time_copy(rows)), "records/s")
