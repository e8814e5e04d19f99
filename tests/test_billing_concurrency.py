"""Gapless numbering under concurrency, on PostgreSQL with real transactions: issuers on
separate connections never skip or repeat a number, and a rolled-back issue gives its
number back."""

import importlib
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.utils import timezone

from allocations.billing import numbering, services
from allocations.billing.models import Invoice, InvoiceState, NumberSequence
from tests.factories import ResourceFactory, make_staff
from tests.factories_billing import (  # noqa: F401  (fixture)
    HOUR,
    TariffFactory,
    allocation_for,
    no_documents,
    run_month,
    seller,
    use,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite has none)"
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("no_documents"),
]

THREADS = 4
PER_THREAD = 5


def _month_of_drafts(count: int) -> list[int]:
    # A transactional test's flush empties migration data; load it again.
    importlib.import_module("allocations.migrations.0002_billing_reference_data").load(apps, None)
    seller()
    resource = ResourceFactory()
    TariffFactory(resource=resource, price_per_gpu_hour=Decimal("100.00"))
    for _ in range(count):
        use(allocation_for(resource=resource), date(2025, 11, 7), HOUR)
    run_month(date(2025, 11, 1))
    return list(Invoice.objects.filter(state=InvoiceState.DRAFT).values_list("pk", flat=True))


def _in_threads(work, chunks):
    barrier = threading.Barrier(len(chunks))
    errors = []

    def target(chunk):
        try:
            barrier.wait(timeout=30)
            work(chunk)
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_issuing_never_skips_or_repeats_a_number():
    finance = make_staff("finance")
    ids = _month_of_drafts(THREADS * PER_THREAD)
    chunks = [ids[i::THREADS] for i in range(THREADS)]

    def issue_one_by_one(chunk):
        for invoice_id in chunk:
            services.issue_invoices(
                actor=finance,
                invoice_ids=[invoice_id],
                issue_date=date(2026, 2, 5),
                now=timezone.now(),
            )

    errors = _in_threads(issue_one_by_one, chunks)
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, THREADS * PER_THREAD + 1)]
    assert NumberSequence.objects.get(series="INV", year=2026).last == THREADS * PER_THREAD


def test_a_rolled_back_issue_gives_its_number_back():
    finance = make_staff("finance")
    ids = _month_of_drafts(THREADS * 2)
    chunks = [ids[i::THREADS] for i in range(THREADS)]

    class Abort(Exception):
        pass

    def issue_and_sometimes_fail(chunk):
        for position, invoice_id in enumerate(chunk):
            try:
                with transaction.atomic():
                    services.issue_invoices(
                        actor=finance,
                        invoice_ids=[invoice_id],
                        issue_date=date(2026, 2, 5),
                        now=timezone.now(),
                    )
                    if position == 0:  # e.g. a later step of the same request fails
                        raise Abort
            except Abort:
                pass

    assert _in_threads(issue_and_sometimes_fail, chunks) == []
    issued = sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True))
    assert issued == [f"INV-2026-{n:06d}" for n in range(1, THREADS + 1)]
    assert Invoice.objects.filter(state=InvoiceState.DRAFT).count() == THREADS


def test_the_sequence_row_is_created_once_by_racing_issuers():
    def take(_chunk):
        with transaction.atomic():
            numbering.take_number(series="CN", year=2031)

    assert _in_threads(take, [None] * 6) == []
    assert NumberSequence.objects.get(series="CN", year=2031).last == 6
