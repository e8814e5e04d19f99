"""The monthly invoicing run: one draft per organisation with paid usage, lines per
allocation and tariff period, VAT by turnover date, drafts replaced and documents never
touched, missing tariffs reported, progress, and running twice."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allocations.accounts.models import OrganisationCategory
from allocations.billing import invoicing, selectors, services
from allocations.billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceState,
)
from allocations.calls.models import Track
from allocations.core.models import AuditEvent
from tests.factories import ResourceFactory
from tests.factories_billing import (
    HOUR,
    TariffFactory,
    allocation_for,
    organisation,
    run_month,
    seller,
    use,
)

NOV = date(2025, 11, 1)  # VAT 12 %
JAN = date(2026, 1, 1)  # VAT 16 %


@pytest.fixture
def resource(db):
    return ResourceFactory(name="H200 main")


@pytest.fixture
def tariff(resource):
    return TariffFactory(resource=resource, price_per_gpu_hour=Decimal("1500.00"))


def issue(actor, invoice, day=date(2026, 2, 5)):
    return services.issue_invoices(
        actor=actor, invoice_ids=[invoice.pk], issue_date=day, now=timezone.now()
    )[0]


def test_one_draft_per_organisation_with_lines_per_allocation(tariff, resource):
    org = organisation()
    first = allocation_for(org, resource=resource)
    second = allocation_for(org, resource=resource)
    for day in range(1, 31):
        use(first, date(2025, 11, day), 2 * HOUR)
    use(second, date(2025, 11, 3), 5400, username="bolat")  # 1.5 GPU-hours
    use(second, date(2025, 12, 1), 99 * HOUR)  # next month: not on this invoice
    use(second, date(2025, 10, 31), 99 * HOUR)  # previous month

    run = run_month(NOV)

    assert run.status == InvoiceRunStatus.DONE and run.error == ""
    assert (run.organisations_total, run.organisations_done, run.drafts) == (1, 1, 1)
    invoice = Invoice.objects.get()
    assert invoice.state == InvoiceState.DRAFT and invoice.run_id == run.pk
    assert (invoice.period_start, invoice.period_end) == (NOV, date(2025, 12, 1))
    assert invoice.turnover_date == date(2025, 11, 30)
    lines = list(invoice.lines.order_by("position"))
    assert [line.allocation_id for line in lines] == sorted([first.pk, second.pk])
    by_alloc = {line.allocation_id: line for line in lines}
    assert by_alloc[first.pk].quantity == Decimal("60.000000")
    assert by_alloc[first.pk].net_amount == Decimal("90000.00")
    assert by_alloc[first.pk].vat_rate == Decimal("0.1200")
    assert by_alloc[first.pk].vat_amount == Decimal("10800.00")
    assert by_alloc[second.pk].gpu_seconds == 5400
    assert by_alloc[second.pk].quantity == Decimal("1.500000")
    assert by_alloc[second.pk].gross_amount == Decimal("2520.00")
    assert invoice.net_total == sum(line.net_amount for line in lines)
    assert invoice.vat_total == sum(line.vat_amount for line in lines)
    assert invoice.gross_total == sum(line.gross_amount for line in lines)
    assert all(line.tariff_id == tariff.pk for line in lines)
    assert all(line.unit_price == Decimal("1500.00") for line in lines)
    assert all((line.period_start, line.period_end) == (NOV, date(2025, 12, 1)) for line in lines)


def test_vat_follows_the_turnover_date_of_the_month(tariff, resource):
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 12, 31), HOUR)
    use(alloc, date(2026, 1, 1), HOUR)
    run_month(date(2025, 12, 1))
    run_month(JAN)
    december = Invoice.objects.get(period_start=date(2025, 12, 1))
    january = Invoice.objects.get(period_start=JAN)
    assert december.lines.get().vat_rate == Decimal("0.12")
    assert december.vat_total == Decimal("180.00")
    assert january.lines.get().vat_rate == Decimal("0.16")
    assert january.vat_total == Decimal("240.00")


def test_a_price_change_mid_month_splits_the_line_at_the_date(finance, resource):
    services.save_tariff(
        actor=finance,
        resource_id=resource.pk,
        category=OrganisationCategory.STARTUP,
        price_per_gpu_hour=Decimal("1000"),
        valid_from=date(2025, 1, 1),
        valid_to=None,
    )
    services.save_tariff(
        actor=finance,
        resource_id=resource.pk,
        category=OrganisationCategory.STARTUP,
        price_per_gpu_hour=Decimal("1200"),
        valid_from=date(2026, 1, 15),
        valid_to=None,
    )
    alloc = allocation_for(resource=resource)
    for day in range(1, 32):
        use(alloc, date(2026, 1, day), HOUR)  # 14 days at 1000, 17 days at 1200
    run_month(JAN)
    first, second = Invoice.objects.get().lines.order_by("position")
    assert (first.period_start, first.period_end) == (JAN, date(2026, 1, 15))
    assert (second.period_start, second.period_end) == (date(2026, 1, 15), date(2026, 2, 1))
    assert (first.quantity, first.unit_price, first.net_amount) == (
        Decimal("14"),
        Decimal("1000"),
        Decimal("14000.00"),
    )
    assert (second.quantity, second.unit_price, second.net_amount) == (
        Decimal("17"),
        Decimal("1200"),
        Decimal("20400.00"),
    )
    assert first.tariff_id != second.tariff_id


def test_the_organisation_category_chooses_the_tariff(resource):
    TariffFactory(resource=resource, category="startup", price_per_gpu_hour=Decimal("100"))
    TariffFactory(resource=resource, category="company", price_per_gpu_hour=Decimal("300"))
    startup = allocation_for(resource=resource, category="startup")
    company = allocation_for(resource=resource, category="company")
    use(startup, date(2025, 11, 2), HOUR)
    use(company, date(2025, 11, 2), HOUR)
    run_month(NOV)
    prices = {
        i.organisation.category: i.lines.get().unit_price
        for i in Invoice.objects.select_related("organisation")
    }
    assert prices == {"startup": Decimal("100.00"), "company": Decimal("300.00")}


def test_free_tracks_are_not_invoiced(tariff, resource, finance):
    academic = allocation_for(resource=resource, track=Track.ACADEMIC)
    public = allocation_for(resource=resource, track=Track.PUBLIC_SECTOR)
    paid = allocation_for(resource=resource, track=Track.COMMERCIAL)
    for alloc in (academic, public, paid):
        use(alloc, date(2025, 11, 5), 10 * HOUR)
    run = run_month(NOV)
    assert run.organisations_total == 1
    assert list(Invoice.objects.values_list("organisation_id", flat=True)) == [
        paid.project.organisation_id
    ]
    # Finance makes the academic track paid: the next run invoices it too.
    services.set_track_billing(actor=finance, track=Track.ACADEMIC, is_paid=True)
    run_month(NOV)
    assert Invoice.objects.count() == 2


def test_a_rerun_replaces_drafts_and_never_touches_issued_invoices(tariff, resource, finance):
    seller()
    issued_org, draft_org, gone_org = organisation(), organisation(), organisation()
    issued_alloc = allocation_for(issued_org, resource=resource)
    draft_alloc = allocation_for(draft_org, resource=resource)
    gone_alloc = allocation_for(gone_org, resource=resource)
    for alloc in (issued_alloc, draft_alloc, gone_alloc):
        use(alloc, date(2025, 11, 10), 10 * HOUR)
    run_month(NOV)
    issued = issue(finance, Invoice.objects.get(organisation=issued_org))
    old_draft = Invoice.objects.get(organisation=draft_org)
    snapshot = (issued.gross_total, list(issued.lines.values_list("pk", "quantity")))

    use(issued_alloc, date(2025, 11, 11), 5 * HOUR)  # late usage of an invoiced month
    use(draft_alloc, date(2025, 11, 11), 5 * HOUR)
    gone_alloc.usage_days.all().delete()  # re-attributed: no paid usage any more
    run = run_month(NOV)

    issued.refresh_from_db()
    assert issued.state == InvoiceState.ISSUED
    assert (issued.gross_total, list(issued.lines.values_list("pk", "quantity"))) == snapshot
    assert not Invoice.objects.filter(pk=old_draft.pk).exists()
    new_draft = Invoice.objects.get(organisation=draft_org, state=InvoiceState.DRAFT)
    assert new_draft.lines.get().quantity == Decimal("15")
    assert not Invoice.objects.filter(organisation=gone_org).exists()
    assert Invoice.objects.filter(organisation=issued_org).count() == 1  # no second invoice
    assert run.status == InvoiceRunStatus.DONE and run.drafts == 1
    assert issued.number in run.error and "5.000000 GPU-hours" in run.error
    drafted = AuditEvent.objects.filter(verb="billing.invoice_drafted", target_id=new_draft.pk)
    assert drafted.get().data["replaced_invoice_id"] == old_draft.pk


def test_a_cancelled_invoice_frees_the_month_for_a_complete_new_draft(tariff, resource, finance):
    seller()
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 11, 10), 10 * HOUR)
    run_month(NOV)
    invoice = issue(finance, Invoice.objects.get())
    use(alloc, date(2025, 11, 20), 2 * HOUR)
    services.cancel_invoice(
        actor=finance, invoice_id=invoice.pk, reason="Late usage", now=timezone.now()
    )
    run_month(NOV)
    draft = Invoice.objects.get(state=InvoiceState.DRAFT)
    assert draft.lines.get().quantity == Decimal("12")


def test_missing_tariff_is_reported_and_the_organisation_skipped(tariff, resource):
    other = ResourceFactory(name="H200 spare")
    ok = allocation_for(resource=resource)
    org = organisation(legal_name="No Tariff LLP")
    missing = allocation_for(org, resource=other)
    priced = allocation_for(org, resource=resource)
    use(ok, date(2025, 11, 4), HOUR)
    use(priced, date(2025, 11, 4), HOUR)
    for day in (3, 4, 5, 20):
        use(missing, date(2025, 11, day), HOUR)
    run = run_month(NOV)
    assert run.status == InvoiceRunStatus.DONE
    assert (run.organisations_total, run.organisations_done, run.drafts) == (2, 2, 1)
    assert list(Invoice.objects.values_list("organisation_id", flat=True)) == [
        ok.project.organisation_id
    ]
    [problem] = run.error.splitlines()
    assert problem.startswith("No Tariff LLP: no draft made")
    assert "H200 spare" in problem and missing.slurm_account in problem
    assert "Startup" in problem
    progress = selectors.run_progress(run_id=run.pk)
    assert progress["errors"] == [problem] and progress["percent"] == 100


def test_running_a_run_twice_changes_nothing(tariff, resource):
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 11, 4), HOUR)
    run = run_month(NOV)
    invoice = Invoice.objects.get()
    again = invoicing.run_invoicing(run_id=run.pk, now=timezone.now())
    assert again.status == InvoiceRunStatus.DONE and again.finished_at == run.finished_at
    assert list(Invoice.objects.values_list("pk", flat=True)) == [invoice.pk]
    assert AuditEvent.objects.filter(verb="billing.run_finished").count() == 1
    # A new run of the same month replaces the draft with an equal one.
    run_month(NOV)
    replaced = Invoice.objects.get()
    assert replaced.pk != invoice.pk and replaced.gross_total == invoice.gross_total


def test_a_month_without_vat_rate_fails_the_run_with_a_message(tariff, resource):
    from allocations.billing.models import VatRate

    VatRate.objects.all().delete()
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 11, 4), HOUR)
    run = run_month(NOV)
    assert run.status == InvoiceRunStatus.FAILED
    assert "No VAT rate" in run.error
    assert not Invoice.objects.exists()


def test_progress_is_committed_in_batches(tariff, resource, monkeypatch):
    monkeypatch.setattr(invoicing, "BATCH_SIZE", 2)
    seen = []
    real = invoicing._run_batch

    def spy(run, month, batch, by_org):
        seen.append(InvoiceRun.objects.get(pk=run.pk).organisations_done)
        return real(run, month, batch, by_org)

    monkeypatch.setattr(invoicing, "_run_batch", spy)
    for _ in range(5):
        use(allocation_for(resource=resource), date(2025, 11, 4), HOUR)
    run = run_month(NOV)
    assert seen == [0, 2, 4]
    assert (run.organisations_total, run.organisations_done, run.drafts) == (5, 5, 5)


def test_queue_a_run_after_commit(finance, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "allocations.billing.tasks.run_invoicing.delay", lambda **kwargs: sent.append(kwargs)
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.queue_invoice_run(actor=finance, period_start=NOV)
    assert sent == [{"run_id": run.pk}]
    assert run.status == InvoiceRunStatus.QUEUED and run.started_by == finance
    assert AuditEvent.objects.filter(verb="billing.run_queued", target_id=run.pk).exists()
    with pytest.raises(ValidationError, match="already in progress"):
        services.queue_invoice_run(actor=finance, period_start=NOV)


@pytest.mark.parametrize(
    ("period", "message"),
    [(date(2025, 11, 2), "first day"), (date(2099, 1, 1), "not started")],
)
def test_queue_refuses_bad_months(finance, period, message):
    with pytest.raises(ValidationError, match=message) as refused:
        services.queue_invoice_run(actor=finance, period_start=period)
    assert "period_start" in refused.value.message_dict


def test_the_task_runs_the_run(tariff, resource, finance, django_capture_on_commit_callbacks):
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 11, 4), HOUR)
    with django_capture_on_commit_callbacks(execute=True):  # eager Celery in tests
        run = services.queue_invoice_run(actor=finance, period_start=NOV)
    run.refresh_from_db()
    assert run.status == InvoiceRunStatus.DONE and run.drafts == 1


@pytest.mark.parametrize(
    "role", ["applicant", "reviewer", "assessor", "call_manager", "import_desk"]
)
def test_only_finance_runs_invoicing(request, role):
    user = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        services.queue_invoice_run(actor=user, period_start=NOV)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite stores decimals as floats: the models' gross = net + VAT checks misfire",
)
@pytest.mark.django_db
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),  # which allocation
            st.integers(min_value=1, max_value=30),  # day of November
            st.integers(min_value=1, max_value=8 * 24 * HOUR),  # GPU-seconds
        ),
        min_size=1,
        max_size=25,
    ),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    st.integers(min_value=2, max_value=30),
)
def test_invoice_totals_are_the_sums_of_their_lines(usage, price, change_day):
    with transaction.atomic():
        resource = ResourceFactory()
        TariffFactory(
            resource=resource, price_per_gpu_hour=price, valid_to=date(2025, 11, change_day)
        )
        TariffFactory(
            resource=resource,
            price_per_gpu_hour=price + Decimal("0.37"),
            valid_from=date(2025, 11, change_day),
        )
        org = organisation()
        allocs = [allocation_for(org, resource=resource) for _ in range(3)]
        for which, day, seconds in usage:
            use(allocs[which], date(2025, 11, day), seconds)
        run_month(NOV)
        invoice = Invoice.objects.get(organisation=org)
        lines = list(InvoiceLine.objects.filter(invoice=invoice))
        assert invoice.net_total == sum(line.net_amount for line in lines)
        assert invoice.vat_total == sum(line.vat_amount for line in lines)
        assert invoice.gross_total == sum(line.gross_amount for line in lines)
        assert sum(line.gpu_seconds for line in lines) == sum(s for _a, _d, s in usage)
        for line in lines:
            assert line.period_end - line.period_start <= timedelta(days=30)
            assert line.period_start == NOV or line.period_start == date(2025, 11, change_day)
        transaction.set_rollback(True)
