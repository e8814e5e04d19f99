"""From job records to the invoice: reading the same window three times gives the same
usage and the same invoice, through both writers (set-based PostgreSQL and the plain ORM),
and the invoice's GPU-hours are exactly the jobs' GPU-seconds."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from allocations.billing.models import Invoice
from allocations.scheduler.backends.mappings.v0_0_38 import Mapping
from allocations.usage import ingest as writing
from allocations.usage import services
from allocations.usage.demo_source import job_json
from allocations.usage.models import IngestStatus, JobRecord, UsageDaily
from tests.factories import ResourceFactory
from tests.factories_billing import TariffFactory, allocation_for, run_month

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
NOW = datetime(2026, 4, 2, 6, 0, tzinfo=UTC)
CLUSTER = "invoicegpu"


class Reply:
    """slurmdbd's reply for a window, parsed by the real v0.0.38 mapping."""

    name = "test"

    def __init__(self, jobs):
        self.jobs = jobs

    def read_jobs(self, *, cluster, start, end):
        return Mapping().parse_jobs({"jobs": self.jobs})


def march_jobs(account: str) -> list[dict]:
    def epoch(text):
        return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())

    rows = [
        # (job id, user, start, end, GPUs): over a local midnight, over the month's end,
        # odd lengths so that the day split has remainders to place.
        (1, "u_aida", "2026-03-03T15:00", "2026-03-04T02:17", 8),
        (2, "u_berik", "2026-03-10T09:13", "2026-03-10T09:14", 1),
        (3, "u_aida", "2026-03-31T16:00", "2026-04-01T03:00", 4),
        (4, "u_berik", "2026-02-28T17:59", "2026-03-01T00:01", 2),
    ]
    return [
        job_json(
            cluster=CLUSTER,
            job_id=job_id,
            account=account,
            user=user,
            partition="h200",
            state="COMPLETED",
            start=epoch(start),
            end=epoch(end),
            elapsed=epoch(end) - epoch(start),
            gpus=gpus,
        )  # fmt: skip
        for job_id, user, start, end, gpus in rows
    ]


def invoice_lines() -> list[tuple]:
    invoice = Invoice.objects.get()
    lines = invoice.lines.order_by("position").values_list(
        "gpu_seconds", "quantity", "unit_price", "net_amount", "vat_amount", "gross_amount"
    )
    return [*lines, (invoice.net_total, invoice.vat_total, invoice.gross_total)]


@pytest.fixture(params=["postgresql", "orm"])
def writer(request, monkeypatch):
    if request.param == "orm":
        monkeypatch.setattr(
            writing, "write", lambda batches, **kw: writing._write_orm(batches, **kw)
        )
    return request.param


def test_three_reads_give_the_same_usage_and_the_same_invoice(writer):
    resource = ResourceFactory(cluster=CLUSTER)
    TariffFactory(resource=resource, price_per_gpu_hour=Decimal("1234.56"))
    allocation = allocation_for(resource=resource)
    reply = Reply(march_jobs(allocation.slurm_account))
    seen = []
    for _ in range(3):
        run = services.ingest_cluster(
            cluster=CLUSTER, now=NOW, since=NOW - timedelta(days=40), source=reply
        )
        assert run.status == IngestStatus.DONE, run.error
        usage = list(UsageDaily.objects.order_by("username", "day").values_list(
            "username", "day", "gpu_seconds", "jobs"))  # fmt: skip
        run_month(MARCH)  # a new run replaces the draft
        seen.append((usage, invoice_lines()))
    assert seen[0] == seen[1] == seen[2]
    # March's share of the jobs, to the GPU-second: whole days of jobs 1 and 2, and the
    # parts of jobs 3 and 4 that fall on local (Almaty, UTC+5) March days.
    march = UsageDaily.objects.filter(day__gte=MARCH, day__lt=date(2026, 4, 1))
    march_seconds = sum(march.values_list("gpu_seconds", flat=True))
    lines, totals = seen[0][1][:-1], seen[0][1][-1]
    assert sum(line[0] for line in lines) == march_seconds > 0
    assert totals[2] == sum(line[5] for line in lines)
    all_seconds = sum(JobRecord.objects.values_list("gpu_seconds", flat=True))
    assert march_seconds < all_seconds  # job 3's April part is not in March's invoice
