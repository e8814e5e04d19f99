"""Billing: the monthly invoicing run for 1,000 organisations.

- invoice_1000_orgs_s: `run_invoicing` for one month of 1,000 organisations with three
  paid-track allocations each (two resources, two users per allocation, usage every day,
  a price change on the 15th so lines split): reading the usage, pricing, and writing
  1,000 draft invoices with their lines and audit events, committed in batches.
- invoice_1000_orgs_rerun_s: the same month run again (every draft replaced).

Run alone on a fresh database:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_bench_billing \
        .venv/bin/python benchmarks/bench_billing.py
"""

import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ORGANISATIONS = 1_000
ALLOCATIONS_PER_ORG = 3
USERS_PER_ALLOCATION = 2
MONTH = date(2026, 3, 1)
PRICE_CHANGE = date(2026, 3, 15)


def _seed() -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from allocations.accounts.models import Organisation, OrganisationCategory, User
    from allocations.applications.models import Application, ApplicationState, Project
    from allocations.awards.models import Allocation, AllocationState
    from allocations.billing.models import SellerProfile, Tariff
    from allocations.calls.models import Call, Resource, Track
    from allocations.usage.models import UsageDaily

    now = timezone.now()
    SellerProfile.objects.create(
        name_kk="Орталық", name_ru="Центр", name_en="Centre", bin="940140000385",
        address_kk="Астана", address_ru="Астана", iik="KZ86125KZT5004100100",
        bik="HSBKKZKX", bank_name="Halyk Bank", kbe="16",
    )  # fmt: skip
    resources = [
        Resource.objects.create(
            name=f"Bench billing H200 {i}",
            cluster="kazgpu",
            partition=f"bill{i}",
            capacity_gpu_hours=10**9,
        )  # fmt: skip
        for i in range(2)
    ]
    categories = [OrganisationCategory.STARTUP, OrganisationCategory.COMPANY]
    Tariff.objects.bulk_create(
        Tariff(
            resource=resource,
            category=category,
            price_per_gpu_hour=Decimal(price),
            valid_from=start,
            valid_to=end,
        )
        for resource in resources
        for category in categories
        for price, start, end in (
            ("1450.00", date(2025, 1, 1), PRICE_CHANGE),
            ("1590.50", PRICE_CHANGE, None),
        )
    )
    # One application per project and call: each allocation of an organisation comes
    # from another call (paid tracks only).
    calls = [
        Call.objects.create(
            title=f"Bench billing {k}",
            slug=f"bench-billing-{k}",
            track=track,
            is_published=True,
            is_continuous=True,
            opens_at=now - timedelta(days=400),
            eligible_categories=[c.value for c in OrganisationCategory],
        )  # fmt: skip
        for k, track in enumerate(
            [Track.STARTUP, Track.COMMERCIAL] * ((ALLOCATIONS_PER_ORG + 1) // 2)
        )
    ]
    password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"billing-pi{i}@bench.kz", password=password) for i in range(ORGANISATIONS)
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(
            legal_name=f"Bench Billing Org {i:04d} LLP",
            country="DE",
            category=categories[i % 2],
            address="Berlin",
        )
        for i in range(ORGANISATIONS)
    )
    projects = Project.objects.bulk_create(
        Project(title=f"Bench billing project {i}", organisation=org, pi=pi)
        for i, (org, pi) in enumerate(zip(orgs, users, strict=True))
    )
    applications = Application.objects.bulk_create(
        Application(
            project=project,
            call=calls[k],
            state=ApplicationState.APPROVED,
            submitted_at=now,
            start_date=date(2026, 1, 1),
            duration_months=12,
            created_by=project.pi,
        )
        for i, project in enumerate(projects)
        for k in range(ALLOCATIONS_PER_ORG)
    )
    allocations = Allocation.objects.bulk_create(
        Allocation(
            application=application,
            project_id=application.project_id,
            resource=resources[n % 2],
            gpu_hours=1_000_000,
            start_date=date(2026, 1, 1),
            end_date=date(2027, 1, 1),
            state=AllocationState.ACTIVE,
            slurm_account=f"b{application.project_id:05d}_a{application.pk:06d}",
        )
        for n, application in enumerate(applications)
    )
    days = [MONTH + timedelta(days=d) for d in range(31)]
    rows = (
        UsageDaily(
            cluster="kazgpu",
            account=allocation.slurm_account,
            username=f"user{u}",
            day=day,
            gpu_seconds=(allocation.pk * 7919 + day.day * 104729 + u * 3) % (8 * 86_400) + 1,
            jobs=1,
            allocation=allocation,
        )
        for allocation in allocations
        for day in days
        for u in range(USERS_PER_ALLOCATION)
    )
    UsageDaily.objects.bulk_create(rows, batch_size=5_000)


def _time_run() -> tuple[float, object]:
    from django.utils import timezone

    from allocations.billing.invoicing import run_invoicing
    from allocations.billing.models import InvoiceRun

    run = InvoiceRun.objects.create(period_start=MONTH)
    started = time.perf_counter()
    run = run_invoicing(run_id=run.pk, now=timezone.now())
    return time.perf_counter() - started, run


def run() -> None:
    from allocations.billing.models import Invoice, InvoiceLine
    from benchmarks.common import analyze, bench

    _seed()
    analyze()
    elapsed, first = _time_run()
    if first.status != "done" or first.error or first.drafts != ORGANISATIONS:
        raise RuntimeError(f"invoicing run went wrong: {first.status} {first.error[:500]}")
    lines = InvoiceLine.objects.count()
    expected = ORGANISATIONS * ALLOCATIONS_PER_ORG * 2  # split on the 15th
    if lines != expected:
        raise RuntimeError(f"{lines} invoice lines, expected {expected}")
    bench("invoice_1000_orgs_s", f"{elapsed:.2f}", "s")
    again, second = _time_run()
    if second.drafts != ORGANISATIONS or Invoice.objects.count() != ORGANISATIONS:
        raise RuntimeError("the second run did not replace the drafts")
    bench("invoice_1000_orgs_rerun_s", f"{again:.2f}", "s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.common import run_standalone

    run_standalone(run)
