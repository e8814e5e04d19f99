"""Usage ingestion against the real cluster: GPU jobs run under an approved allocation's
account are read from slurmdbd through slurmrestd and match what sacct says."""

import time

import pytest
from django.db.models import Sum
from django.utils import timezone

from allocations.awards.models import Allocation
from allocations.usage.models import IngestStatus, JobRecord, UsageDaily
from allocations.usage.services import ingest_cluster
from tests.factories import UserFactory
from tests.factories_awards import (  # noqa: F401  (fixtures)
    application_at,
    approve_application,
    call_with_capacity,
    fast_letters,
    fast_passwords,
)

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.django_db,
    pytest.mark.usefixtures("slurm_rest", "fast_letters", "fast_passwords"),
]

JOBS = 2


@pytest.fixture
def alice(cluster_users):
    return UserFactory(cluster_username="pt_alice")


@pytest.fixture
def approved(call_manager, alice, django_capture_on_commit_callbacks):
    """An approved allocation of 100 GPU-hours for alice, its account on the cluster."""
    call, _rows = call_with_capacity(capacities=(50_000,))
    application = application_at(call, pi=alice, hours=100)
    with django_capture_on_commit_callbacks(execute=True):
        approve_application(call_manager, application, 100)
    return Allocation.objects.get(application=application)


def _sacct(slurm_run, job_id: str) -> dict:
    line = slurm_run(
        "sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,Account,User,ElapsedRaw,AllocTRES",
    ).strip()  # fmt: skip
    _job, account, user, elapsed, tres = line.split("|")
    gpus = next(int(t.split("=")[1]) for t in tres.split(",") if t.startswith("gres/gpu="))
    return {"account": account, "user": user, "elapsed": int(elapsed), "gpus": gpus}


def _wait_completed(slurm_run, job_ids: list[str], seconds: int = 120) -> None:
    deadline = time.monotonic() + seconds
    states = ""
    while time.monotonic() < deadline:
        states = slurm_run("sacct", "-n", "-P", "-X", "-j", ",".join(job_ids), "-o", "State")
        if states.split() == ["COMPLETED"] * len(job_ids):
            return
        time.sleep(1)
    pytest.fail(f"jobs {job_ids} did not complete: {states.split()}")


def _ingest_until_read(cluster: str, job_ids: list[int], seconds: int = 30):
    """Ingest until the jobs are read. slurmrestd may answer without a job for a moment
    after sacct shows it completed (in production the next run's overlap reads it)."""
    deadline = time.monotonic() + seconds
    while True:
        run = ingest_cluster(cluster=cluster, now=timezone.now())
        assert run.status == IngestStatus.DONE, run.error
        found = JobRecord.objects.filter(cluster=cluster, job_id__in=job_ids).count()
        if found == len(job_ids) or time.monotonic() > deadline:
            return run
        time.sleep(1)


def test_gpu_jobs_are_read_as_sacct_reports_them(approved, alice, slurm_run, slurm_cluster):
    account = approved.slurm_account
    job_ids = [
        slurm_run(
            "sbatch", "--parsable", "--uid=pt_alice", "--gid=pt_alice", f"--account={account}",
            "--partition=h200", "--gres=gpu:2", "--time=1", "--chdir=/tmp",
            "--output=/dev/null", "--wrap", "sleep 3",
        ).strip().split(";")[0]
        for _ in range(JOBS)
    ]  # fmt: skip
    _wait_completed(slurm_run, job_ids)

    # The first run reads USAGE_FIRST_WINDOW_DAYS back: wide enough whatever the time zone
    # slurmrestd runs in (it reads the window's bounds as its local time).
    run = _ingest_until_read(slurm_cluster["SLURM_CLUSTER_NAME"], [int(i) for i in job_ids])
    assert run.source == "slurm-rest" and run.records >= JOBS

    for job_id in job_ids:
        expected = _sacct(slurm_run, job_id)
        record = JobRecord.objects.get(cluster=run.cluster, job_id=int(job_id))
        assert (record.account, record.username) == (expected["account"], expected["user"])
        assert (record.account, record.username) == (account, "pt_alice")
        assert record.elapsed_seconds == expected["elapsed"]
        assert record.gpus == expected["gpus"] == 2
        assert record.gpu_seconds == expected["gpus"] * expected["elapsed"]
        assert (record.state, record.running) == ("COMPLETED", False)
        assert (record.allocation, record.user) == (approved, alice)
        parts = record.days.aggregate(total=Sum("gpu_seconds"))["total"] or 0
        assert parts == record.gpu_seconds

    # The daily roll-up holds every job of the account (earlier test sessions may have
    # left jobs under the same account name in slurmdbd; they count too).
    jobs_total = JobRecord.objects.filter(account=account).aggregate(s=Sum("gpu_seconds"))["s"]
    daily = UsageDaily.objects.filter(account=account)
    assert daily.aggregate(s=Sum("gpu_seconds"))["s"] == jobs_total
    assert set(daily.values_list("allocation", flat=True)) == {approved.pk}

    # Reading again changes nothing of ours (other sessions' jobs may be running).
    before = list(JobRecord.objects.filter(account=account).order_by("job_id").values())
    again = ingest_cluster(cluster=run.cluster, now=timezone.now())
    assert again.status == IngestStatus.DONE, again.error
    assert list(JobRecord.objects.filter(account=account).order_by("job_id").values()) == before
