"""Usage ingestion: windows, idempotency, running jobs, mapping, failures and alerts.

Jobs are written as slurmrestd v0.0.38 JSON (the demo source's `job_json`, the recorded
shape) and parsed by the real mapping. Idempotency and corrections run through both
writers: set-based PostgreSQL and the plain ORM of the embedded defaults.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from allocations.awards.models import Allocation, AllocationState
from allocations.scheduler.backends import SchedulerUnavailable
from allocations.scheduler.backends.mappings.v0_0_38 import Mapping
from allocations.usage import ingest as writing
from allocations.usage import services
from allocations.usage.demo_source import DemoSource, job_json
from allocations.usage.models import (
    IngestRun,
    IngestStatus,
    JobDay,
    JobRecord,
    UsageAlert,
    UsageDaily,
)
from tests.factories import UserFactory
from tests.factories_applications import add_to_team
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    approve_application,
    call_with_capacity,
    fast_letters,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_letters")]

CLUSTER = "kazgpu"
NOW = datetime(2026, 3, 12, 6, 0, tzinfo=UTC)  # 11:00 in Almaty
HOUR = 3600


def at(text: str) -> int:
    """Epoch of an ISO time (UTC unless it says otherwise)."""
    moment = datetime.fromisoformat(text)
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def job(job_id, account, user, start, end=None, *, gpus=1, elapsed=None, now=NOW):
    """A job as slurmrestd v0.0.38 reports it; `end` None while it runs."""
    begin = at(start)
    finish = at(end) if end else 0
    if elapsed is None:
        elapsed = (finish or int(now.timestamp())) - begin
    return job_json(
        cluster=CLUSTER,
        job_id=job_id,
        account=account,
        user=user,
        partition="h200",
        state="COMPLETED" if end else "RUNNING",
        start=begin,
        end=finish,
        elapsed=elapsed,
        gpus=gpus,
    )


class Source:
    """Replies like a slurm-rest read would, through the v0.0.38 mapping."""

    name = "test"

    def __init__(self, jobs=(), error=None):
        self.jobs, self.error, self.windows = list(jobs), error, []

    def read_jobs(self, *, cluster, start, end):
        self.windows.append((start, end))
        if self.error is not None:
            raise self.error
        return Mapping().parse_jobs({"jobs": self.jobs})


def ingest(source, *, now=NOW, since=NOW - timedelta(days=3)):
    return services.ingest_cluster(cluster=CLUSTER, now=now, since=since, source=source)


def dump() -> tuple[list, list, list]:
    """Every stored row, every column."""
    return (
        list(JobRecord.objects.order_by("cluster", "job_id").values()),
        list(JobDay.objects.order_by("job_id", "day").values()),
        list(UsageDaily.objects.order_by("cluster", "account", "username", "day").values()),
    )


@pytest.fixture(params=["postgresql", "orm"])
def writer(request, monkeypatch):
    """Run the test with each writer; both must give the same rows."""
    if request.param == "orm":
        monkeypatch.setattr(
            writing, "write", lambda batches, **kw: writing._write_orm(batches, **kw)
        )
    return request.param


@pytest.fixture
def team(db):
    return UserFactory(cluster_username="u_alice"), UserFactory(cluster_username="u_bob")


@pytest.fixture
def allocation(call_manager, team, django_capture_on_commit_callbacks):
    """An approved allocation of 100 GPU-hours on kazgpu, alice (PI) and bob."""
    alice, bob = team
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=alice, hours=100)
    add_to_team(application.project, bob)
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 100)
    return Allocation.objects.get(application=application)


def window_jobs(account):
    return [
        # 22:00–02:00 Almaty: over local midnight, 2 GPUs.
        job(101, account, "u_alice", "2026-03-10T17:00", "2026-03-10T21:00", gpus=2),
        job(102, account, "u_bob", "2026-03-11T03:00", "2026-03-11T04:30", gpus=8),
        # Suspended half an hour: elapsed is less than end - start.
        job(103, account, "u_alice", "2026-03-11T18:00", "2026-03-11T20:00", elapsed=5400),
        job(104, account, "u_alice", "2026-03-12T04:00", gpus=4),  # running
        job(105, "legacy_hpc", "guest01", "2026-03-11T10:00", "2026-03-11T12:00", gpus=1),
        job(106, account, "u_nobody", "2026-03-11T10:00", "2026-03-11T11:00", gpus=1),
    ]


def test_reading_the_same_window_three_times_changes_nothing(writer, allocation):
    source = Source(window_jobs(allocation.slurm_account))
    first = ingest(source)
    assert (first.status, first.records, first.changed) == (IngestStatus.DONE, 6, 6), first.error
    stored = dump()
    for _ in range(2):
        again = ingest(source)
        assert (again.status, again.records, again.changed) == (IngestStatus.DONE, 6, 0)
        assert dump() == stored
    records, days, daily = stored
    assert sum(r["gpu_seconds"] for r in records) == sum(d["gpu_seconds"] for d in days)
    assert sum(d["gpu_seconds"] for d in days) == sum(u["gpu_seconds"] for u in daily)


def test_split_over_local_days_and_suspended_time(writer, allocation):
    ingest(Source(window_jobs(allocation.slurm_account)))
    over_midnight = JobRecord.objects.get(job_id=101)
    assert over_midnight.gpu_seconds == 2 * 4 * HOUR
    assert sorted(over_midnight.days.values_list("day", "gpu_seconds")) == [
        (datetime(2026, 3, 10).date(), 2 * 2 * HOUR),
        (datetime(2026, 3, 11).date(), 2 * 2 * HOUR),
    ]
    suspended = JobRecord.objects.get(job_id=103)  # 23:00–01:00 Almaty, 5400 s elapsed
    assert suspended.gpu_seconds == 5400
    assert sorted(suspended.days.values_list("gpu_seconds", flat=True)) == [2700, 2700]


def test_running_job_counts_to_now_then_is_corrected_when_it_ends(writer, allocation):
    account = allocation.slurm_account
    # Started 22:00 Almaty on the 11th; read at 01:00 and 02:00, then read ended at 03:00.
    start, first_read = "2026-03-11T17:00", datetime(2026, 3, 11, 20, 0, tzinfo=UTC)
    ingest(Source([job(7, account, "u_alice", start, gpus=2, now=first_read)]), now=first_read)
    record = JobRecord.objects.get(job_id=7)
    assert (record.running, record.end_time, record.gpu_seconds) == (True, None, 2 * 3 * HOUR)
    assert daily_seconds(account) == {"2026-03-11": 2 * 2 * HOUR, "2026-03-12": 2 * HOUR}

    later = first_read + timedelta(hours=1)
    ingest(Source([job(7, account, "u_alice", start, gpus=2, now=later)]), now=later)
    assert JobRecord.objects.get(job_id=7).gpu_seconds == 2 * 4 * HOUR
    assert daily_seconds(account) == {"2026-03-11": 2 * 2 * HOUR, "2026-03-12": 2 * 2 * HOUR}

    ended = job(7, account, "u_alice", start, "2026-03-11T19:00", gpus=2, elapsed=1800)
    ingest(Source([ended]), now=later + timedelta(hours=1))
    record = JobRecord.objects.get(job_id=7)
    assert (record.running, record.state, record.gpu_seconds) == (False, "COMPLETED", 3600)
    assert record.end_time == datetime(2026, 3, 11, 19, 0, tzinfo=UTC)
    # Ended before local midnight: the 12th has nothing left, and its row is gone.
    assert daily_seconds(account) == {"2026-03-11": 3600}


def daily_seconds(account) -> dict[str, int]:
    rows = UsageDaily.objects.filter(account=account).values_list("day", "gpu_seconds")
    return {day.isoformat(): seconds for day, seconds in rows}


def test_jobs_map_to_allocations_and_people(allocation, team):
    alice, bob = team
    ingest(Source(window_jobs(allocation.slurm_account)))
    assert JobRecord.objects.get(job_id=101).allocation == allocation
    assert JobRecord.objects.get(job_id=101).user == alice
    assert JobRecord.objects.get(job_id=102).user == bob
    assert JobRecord.objects.get(job_id=106).user is None  # no portal user has that name
    bob_day = UsageDaily.objects.get(account=allocation.slurm_account, username="u_bob")
    assert (bob_day.allocation, bob_day.user, bob_day.jobs) == (allocation, bob, 1)
    assert bob_day.gpu_seconds == 8 * 90 * 60


def test_unknown_accounts_are_reported_and_kept(allocation):
    run = ingest(Source(window_jobs(allocation.slurm_account)))
    assert run.unknown_accounts == {"legacy_hpc": 2 * HOUR}
    unknown = JobRecord.objects.get(job_id=105)
    assert (unknown.account, unknown.allocation) == ("legacy_hpc", None)
    day = UsageDaily.objects.get(account="legacy_hpc")
    assert (day.allocation, day.gpu_seconds, day.username) == (None, 2 * HOUR, "guest01")


def test_window_starts_at_last_success_minus_overlap(allocation, settings):
    settings.USAGE_OVERLAP_MINUTES, settings.USAGE_FIRST_WINDOW_DAYS = 120, 35
    assert services.next_window(cluster=CLUSTER, now=NOW) == (NOW - timedelta(days=35), NOW)

    source = Source()
    services.ingest_cluster(cluster=CLUSTER, now=NOW, source=source)
    assert source.windows == [(NOW - timedelta(days=35), NOW)]
    later = NOW + timedelta(minutes=10)
    services.ingest_cluster(cluster=CLUSTER, now=later, source=source)
    assert source.windows[-1] == (NOW - timedelta(minutes=120), later)

    # A failed run does not move the window; a shorter overlap does.
    failing = Source(error=SchedulerUnavailable("slurmrestd unreachable"))
    services.ingest_cluster(cluster=CLUSTER, now=later + timedelta(minutes=10), source=failing)
    settings.USAGE_OVERLAP_MINUTES = 30
    last = later + timedelta(minutes=20)
    assert services.next_window(cluster=CLUSTER, now=last) == (later - timedelta(minutes=30), last)
    assert services.next_window(cluster="other", now=last)[0] == last - timedelta(days=35)


def test_a_failed_read_is_recorded_and_changes_nothing(allocation):
    ingest(Source(window_jobs(allocation.slurm_account)))
    before = dump()
    run = ingest(Source(error=SchedulerUnavailable("GET /slurmdb/v0.0.38/jobs: refused")))
    assert run.status == IngestStatus.FAILED
    assert "refused" in run.error and run.finished_at is not None
    assert dump() == before


def test_a_read_failing_halfway_writes_nothing(allocation, monkeypatch):
    """A lazy source that fails after some batches were written: all is rolled back."""
    ingest(Source(window_jobs(allocation.slurm_account)))
    before = dump()
    monkeypatch.setattr(writing, "BATCH_SIZE", 2)
    jobs = [job(200 + i, allocation.slurm_account, "u_bob", "2026-03-11T05:00", "2026-03-11T06:00")
            for i in range(6)]  # fmt: skip

    class Broken(Source):
        def read_jobs(self, *, cluster, start, end):
            yield from Mapping().parse_jobs({"jobs": jobs})
            raise SchedulerUnavailable("connection reset mid-reply")

    run = ingest(Broken())
    assert (run.status, run.error) == (IngestStatus.FAILED, "connection reset mid-reply")
    assert dump() == before


def test_crossing_75_percent_alerts_once_over_three_ingestions(
    allocation, mailoutbox, django_capture_on_commit_callbacks
):
    account = allocation.slurm_account  # 100 GPU-hours
    jobs = [job(301, account, "u_alice", "2026-03-11T00:00", "2026-03-11T10:00", gpus=8)]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ingest(Source(jobs))  # 80 GPU-hours: 80 %
    assert list(UsageAlert.objects.values_list("allocation", "threshold")) == [(allocation.pk, 75)]
    sent = len(mailoutbox)
    assert sent >= 1
    # Usage of the allocation changes again (a running job grows), still below 90 %.
    for minutes in (10, 20):
        now = NOW + timedelta(minutes=minutes)
        running = job(302, account, "u_bob", "2026-03-12T05:00", gpus=1, now=now)
        with django_capture_on_commit_callbacks(execute=True):
            run = ingest(Source([*jobs, running]), now=now)
        assert run.changed == 1
    assert UsageAlert.objects.count() == 1
    assert len(mailoutbox) == sent


def test_demo_source_runs_jobs_of_active_allocations_as_their_members(
    call_manager, team, django_capture_on_commit_callbacks
):
    alice, bob = team
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=alice, hours=40_000)
    add_to_team(application.project, bob)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 40_000, start=today - timedelta(days=20))
    allocation = Allocation.objects.get(application=application)
    assert allocation.state == AllocationState.ACTIVE
    now = timezone.now()
    jobs = DemoSource().read_jobs(cluster=CLUSTER, start=now - timedelta(days=7), end=now)
    mine = [job for job in jobs if job.account == allocation.slurm_account]
    assert mine and {job.username for job in mine} == {"u_alice", "u_bob"}
    assert all(job.start.date() >= today - timedelta(days=21) for job in mine)
    run = services.ingest_cluster(cluster=CLUSTER, now=now, source=DemoSource())
    assert run.status == IngestStatus.DONE and run.changed == run.records - sum(
        1 for job in jobs if job.start is None
    )
    assert UsageDaily.objects.filter(allocation=allocation).exists()


def test_clusters_in_use_and_the_task(allocation, settings):
    settings.SLURM_CLUSTER_NAME = "fallback"
    assert services.clusters_in_use() == [CLUSTER]
    Allocation.objects.all().delete()
    assert services.clusters_in_use() == ["fallback"]


def test_the_beat_task_reads_every_cluster_with_the_demo_source(allocation, settings):
    from allocations.usage.tasks import ingest_usage

    settings.SCHEDULER_BACKEND = "dry-run"
    run_ids = ingest_usage.delay().get()
    run = IngestRun.objects.get(pk=run_ids[0])
    assert (run.cluster, run.source, run.status) == (CLUSTER, "demo", IngestStatus.DONE)
    assert "legacy_hpc" in run.unknown_accounts


def test_management_command_prints_the_counts(allocation, settings, capsys):
    from django.core.management import call_command

    settings.SCHEDULER_BACKEND = "dry-run"
    call_command("ingest_usage", "--cluster", CLUSTER, "--since", "2026-03-01T00:00")
    out = capsys.readouterr().out
    assert f"{CLUSTER} (demo)" in out and "records read:" in out and "legacy_hpc" in out
    run = IngestRun.objects.get()
    assert run.window_start == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)  # 00:00 in Almaty
