"""Demo jobs for the embedded defaults (no Slurm): made up, but deterministic.

Every active allocation of the cluster runs jobs under its Slurm account as its members'
cluster usernames, in proportion to its grant; one account the portal does not know
(`legacy_hpc`) always has a job running. A job depends only on its account and its
four-hour slot (a seeded generator), never on the window asked for: overlapping windows
see the same jobs, and a job that was running is read again, ended, later. The reply is
the JSON of slurmrestd v0.0.38 (the shape recorded in tests/scheduler_examples/v0.0.38)
and is parsed by that version's mapping, like a real reply.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from allocations.scheduler.backends.mappings import JobSnapshot
from allocations.scheduler.backends.mappings.v0_0_38 import Mapping

SLOT_SECONDS = 4 * 3600
LONGEST_JOB_SECONDS = 12 * 3600
GPU_CHOICES = (1, 1, 2, 4, 8)
MEAN_JOB_GPU_HOURS = 3.2 * 6.1  # mean GPUs × mean hours of the choices below
SHARE_OF_GRANT = 0.6  # demo teams use about this much of their grant per day of it
UNKNOWN_ACCOUNT, UNKNOWN_USER = "legacy_hpc", "guest01"
UNKNOWN_SLOT_INDEX = 99_999  # job ids: slot × 100,000 + the account's index


@dataclass(frozen=True)
class DemoAccount:
    account: str
    index: int
    users: tuple[str, ...]
    partition: str
    jobs_per_slot: float  # probability of a job starting in a slot
    first: int  # epochs: jobs start within [first, last)
    last: int


class DemoSource:
    name = "demo"

    def read_jobs(self, *, cluster: str, start: datetime, end: datetime) -> list[JobSnapshot]:
        return Mapping().parse_jobs(jobs_body(cluster=cluster, start=start, end=end))


def jobs_body(*, cluster: str, start: datetime, end: datetime) -> dict:
    """The reply of GET /slurmdb/v0.0.38/jobs for the window; `end` is "now"."""
    since, now = int(start.timestamp()), int(end.timestamp())
    jobs = []
    for account in _accounts(cluster):
        first_slot = max(since - LONGEST_JOB_SECONDS, account.first) // SLOT_SECONDS
        for slot in range(first_slot, min(now, account.last) // SLOT_SECONDS + 1):
            job = _job(cluster, account, slot, now)
            if job is not None and job["time"]["start"] < now and _ends_after(job, since):
                jobs.append(job)
    return {"meta": {"plugin": {"type": "openapi/dbv0.0.38"}}, "errors": [], "jobs": jobs}


def _ends_after(job: dict, since: int) -> bool:
    return job["time"]["end"] == 0 or job["time"]["end"] >= since


def _accounts(cluster: str) -> list[DemoAccount]:
    from allocations.awards.models import Allocation, AllocationState

    allocations = (
        Allocation.objects.filter(state=AllocationState.ACTIVE, resource__cluster=cluster)
        .select_related("resource")
        .prefetch_related("members__user")
        .order_by("pk")
    )
    accounts = []
    for allocation in allocations:
        users = sorted(
            m.user.cluster_username
            for m in allocation.members.all()
            if m.removed_at is None and m.user.cluster_username
        )
        days = max((allocation.end_date - allocation.start_date).days, 1)
        per_slot = allocation.gpu_hours * SHARE_OF_GRANT / days / (86400 / SLOT_SECONDS)
        accounts.append(
            DemoAccount(
                account=allocation.slurm_account,
                index=allocation.pk % UNKNOWN_SLOT_INDEX,
                users=tuple(users) or (f"u_{allocation.slurm_account}"[:32],),
                partition=allocation.resource.partition,
                jobs_per_slot=min(per_slot / MEAN_JOB_GPU_HOURS, 0.9),
                # Slurm knows no start date: the account runs jobs once it exists.
                first=min(_epoch(allocation.start_date), int(allocation.created_at.timestamp())),
                last=_epoch(allocation.end_date),
            )
        )
    # An account nobody in the portal has: reported as unknown, never dropped.
    accounts.append(
        DemoAccount(UNKNOWN_ACCOUNT, UNKNOWN_SLOT_INDEX, (UNKNOWN_USER,), "h200", 1.0, 0, 2**40)
    )
    return accounts


def _epoch(day) -> int:
    tz = timezone.get_default_timezone()
    return int(datetime.combine(day, time(0), tzinfo=tz).timestamp())


def _job(cluster: str, account: DemoAccount, slot: int, now: int) -> dict | None:
    rng = random.Random(f"{cluster}:{account.account}:{slot}")
    if rng.random() >= account.jobs_per_slot:
        return None
    if account.account == UNKNOWN_ACCOUNT:
        # Longer than a slot: one of them is always running.
        start, seconds, gpus = slot * SLOT_SECONDS + rng.randrange(1800), 5 * 3600, 1
    else:
        start = slot * SLOT_SECONDS + rng.randrange(SLOT_SECONDS)
        seconds = rng.randrange(600, LONGEST_JOB_SECONDS)
        gpus = rng.choice(GPU_CHOICES)
    end = start + seconds
    running = end > now
    return job_json(
        cluster=cluster,
        job_id=slot * 100_000 + account.index,
        account=account.account,
        user=rng.choice(account.users),
        partition=account.partition,
        state="RUNNING" if running else rng.choice(("COMPLETED",) * 8 + ("FAILED", "TIMEOUT")),
        start=start,
        end=0 if running else end,
        elapsed=(now if running else end) - start,
        gpus=gpus,
    )


def job_json(
    *,
    cluster: str,
    job_id: int,
    account: str,
    user: str,
    partition: str,
    state: str,
    start: int,
    end: int,
    elapsed: int,
    gpus: int,
) -> dict:
    """One job as slurmrestd v0.0.38 writes it (epochs; `end` 0 while running)."""
    tres = [
        {"type": "cpu", "name": None, "id": 1, "count": 8 * gpus},
        {"type": "node", "name": None, "id": 4, "count": 1},
        {"type": "billing", "name": None, "id": 5, "count": 8 * gpus},
        {"type": "gres", "name": "gpu", "id": 1001, "count": gpus},
    ]
    return {
        "account": account,
        "association": {"account": account, "cluster": cluster, "partition": None, "user": user},
        "cluster": cluster,
        "job_id": job_id,
        "name": f"job-{job_id}",
        "nodes": "gpu01",
        "partition": partition,
        "qos": "normal",
        "group": user,
        "state": {"current": state, "reason": "None"},
        "time": {
            "elapsed": elapsed,
            "eligible": start,
            "end": end,
            "start": start,
            "submission": start,
            "suspended": 0,
            "limit": 720,
        },
        "tres": {"allocated": tres, "requested": tres},
        "user": user,
    }
