"""Helpers for the billing tests: allocations on paid or free tracks, daily usage, tariffs,
the seller profile, and running a month's invoicing in this process."""

from datetime import date
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

import allocations.billing.apps_ready  # noqa: F401  (the ORM guards, as apps.py connects them)
from allocations.accounts.models import OrganisationCategory
from allocations.applications.models import ApplicationState
from allocations.awards.models import Allocation, AllocationState
from allocations.billing import invoicing
from allocations.billing.models import InvoiceRun, SellerProfile, Tariff
from allocations.calls.models import Track
from allocations.usage.models import UsageDaily
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    ProjectFactory,
    ResourceFactory,
)

HOUR = 3600
# A valid Kazakh IBAN (ISO 13616 mod-97).
SELLER_IIK = "KZ86125KZT5004100100"
SELLER_BIN = "940140000385"


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tariff

    resource = factory.SubFactory(ResourceFactory)
    category = OrganisationCategory.STARTUP
    price_per_gpu_hour = Decimal("1000.00")
    valid_from = date(2020, 1, 1)
    valid_to = None


def seller(**overrides) -> SellerProfile:
    values = {
        "name_kk": "«Ұлттық суперкомпьютер орталығы» АҚ",
        "name_ru": "АО «Национальный суперкомпьютерный центр»",
        "name_en": "National Supercomputer Centre JSC",
        "bin": SELLER_BIN,
        "address_kk": "Астана, Мәңгілік Ел 55",
        "address_ru": "Астана, Мангилик Ел 55",
        "address_en": "Astana, Mangilik El 55",
        "iik": SELLER_IIK,
        "bik": "HSBKKZKX",
        "bank_name": "Halyk Bank",
        "kbe": "16",
        "payment_days": 10,
    }
    values.update(overrides)
    return SellerProfile.objects.create(**values)


def organisation(*, category=OrganisationCategory.STARTUP, **kwargs):
    """A non-resident organisation unless a BIN is given (the factories know five BINs)."""
    if "bin" in kwargs:
        return OrganisationFactory(category=category, **kwargs)
    return OrganisationFactory(foreign=True, category=category, **kwargs)


def allocation_for(
    org=None,
    *,
    track=Track.STARTUP,
    resource=None,
    call=None,
    category=OrganisationCategory.STARTUP,
    start=date(2024, 1, 1),
    end=date(2028, 1, 1),
) -> Allocation:
    """An active allocation of an approved application of `org` on a call of `track`."""
    org = org or organisation(category=category)
    call = call or CallFactory(track=track)
    resource = resource or ResourceFactory()
    project = ProjectFactory(organisation=org)
    application = ApplicationFactory(
        project=project, call=call, state=ApplicationState.APPROVED, submitted_at=timezone.now()
    )
    return Allocation.objects.create(
        application=application,
        project=project,
        resource=resource,
        gpu_hours=100_000,
        start_date=start,
        end_date=end,
        state=AllocationState.ACTIVE,
        slurm_account=f"p{project.pk:05d}_a{application.pk:06d}",
    )


def use(allocation, day: date, seconds: int, username: str = "aigerim") -> UsageDaily:
    """Add GPU-seconds to the allocation's usage on `day` (one row per user and day)."""
    row, _created = UsageDaily.objects.get_or_create(
        cluster=allocation.resource.cluster,
        account=allocation.slurm_account,
        username=username,
        day=day,
        defaults={"allocation": allocation, "gpu_seconds": 0, "jobs": 1},
    )
    row.gpu_seconds += int(seconds)
    row.save(update_fields=["gpu_seconds"])
    return row


def run_month(period_start: date, *, actor=None) -> InvoiceRun:
    """Queue-free: create a run for the month and run it here, as the task would."""
    run = InvoiceRun.objects.create(period_start=period_start, started_by=actor)
    return invoicing.run_invoicing(run_id=run.pk, now=timezone.now())


@pytest.fixture
def no_documents(monkeypatch):
    """Issuing sends PDF tasks after commit; tests that commit (transactional ones) record
    them here instead of rendering (import this fixture)."""
    sent: list[tuple[str, dict]] = []
    for name in ("generate_invoice_documents", "generate_credit_note_document"):
        monkeypatch.setattr(
            f"allocations.billing.tasks.{name}.delay",
            lambda _name=name, **kwargs: sent.append((_name, kwargs)),
        )
    return sent
