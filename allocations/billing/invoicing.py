"""The monthly invoicing run: one draft invoice per organisation with paid usage.

Finance queues a run for a month (`queue_invoice_run`); a Celery task runs it
(`run_invoicing`) while the page polls its progress.

What a run does for the month [period_start, next month's first day):

- Usage: UsageDaily rows of allocations whose call's track is invoiced (TrackBilling),
  read in one grouped query (GPU-seconds per allocation and day).
- Lines: per allocation, resource and tariff period. The tariff is the one of the
  allocation's resource and the organisation's category on each day, so a price change
  on the 15th splits the line on the 15th. Quantity = GPU-seconds / 3600, half-up to
  6 decimals; net = quantity × price, half-up to 2; VAT at the rate of the turnover date
  (the month's last day), per line, half-up to 2; gross = net + VAT. Invoice totals are
  the exact sums of the lines.
- Replacing: the month's drafts are deleted and made again from the current usage and
  tariffs. Issued, paid and cancelled invoices are never touched.
- Already invoiced: an organisation with an issued or paid invoice for the month gets
  no draft (its usage of the month is on that invoice). Usage recorded after issuing is
  reported on the run; to invoice it, finance cancels the invoice (a credit note for what
  it still held is issued with it) and runs the month again: a cancelled invoice no
  longer holds the month, so the new run makes a complete draft. Smaller corrections of
  an issued invoice are partial credit notes.
- No tariff for a day with paid usage: that organisation gets no draft and the run lists
  why in `InvoiceRun.error` (one line per organisation); the others are invoiced.

Organisations are handled in batches, each its own transaction that locks the batch's
organisations (issuing locks them too, so a draft is never made beside an invoice being
issued), so a page polling the run sees `organisations_done` move. Running a run again
does nothing once it is finished; re-running the month is a new run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation, OrganisationCategory
from allocations.awards.models import Allocation
from allocations.billing import pricing, selectors
from allocations.billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceState,
)
from allocations.core.audit import record
from allocations.core.models import AuditEvent
from allocations.core.permissions import Capability, require
from allocations.usage.models import UsageDaily

log = logging.getLogger(__name__)

# Organisations per transaction: small enough that progress moves, large enough that
# the run is a few dozen statements per batch.
BATCH_SIZE = 100
# A queued or running run younger than this blocks another run of the same month.
RUN_STALE_AFTER = timedelta(hours=1)


# --- queueing -----------------------------------------------------------------------------


@transaction.atomic
def queue_invoice_run(*, actor, period_start: date) -> InvoiceRun:
    """Finance: make (or remake) the month's draft invoices in the background."""
    require(actor, Capability.MANAGE_BILLING)
    if not isinstance(period_start, date) or not pricing.is_month_start(period_start):
        raise ValidationError({"period_start": _("Choose a month (its first day).")})
    this_month = pricing.month_start(timezone.localdate())
    if period_start > this_month:
        raise ValidationError(
            {"period_start": _("A month that has not started yet cannot be invoiced.")}
        )
    busy = selectors.run_in_progress(period_start=period_start)
    if busy is not None and busy.queued_at > timezone.now() - RUN_STALE_AFTER:
        raise ValidationError(
            _("A run for %(month)s is already in progress; wait until it finishes.")
            % {"month": date_format(period_start, "YEAR_MONTH_FORMAT")}
        )
    run = InvoiceRun.objects.create(period_start=period_start, started_by=actor)
    record(
        actor=actor,
        verb="billing.run_queued",
        target=run,
        to_state=InvoiceRunStatus.QUEUED,
        data={"period_start": period_start.isoformat()},
    )
    run_id = run.pk

    def send():
        from allocations.billing.tasks import run_invoicing as task

        task.delay(run_id=run_id)

    transaction.on_commit(send, robust=True)
    return run


# --- the run ------------------------------------------------------------------------------


@dataclass
class AllocationInfo:
    pk: int
    organisation_id: int
    category: str
    resource_id: int
    resource_name: str
    account: str
    application_id: int
    project_title: str


@dataclass
class DraftPlan:
    organisation_id: int
    lines: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class MonthData:
    start: date
    end: date
    turnover: date
    vat_rate: Decimal
    usage: dict[int, dict[date, int]]
    allocations: dict[int, AllocationInfo]
    tariffs: dict[tuple[int, str], list]
    organisations: dict[int, tuple[str, str]]  # id -> (legal name, BIN)


def run_invoicing(*, run_id: int, now) -> InvoiceRun:
    """The task body. Safe to run twice: a finished run is returned as it is."""
    with transaction.atomic():
        run = InvoiceRun.objects.select_for_update().get(pk=run_id)
        if run.status in (InvoiceRunStatus.DONE, InvoiceRunStatus.FAILED):
            return run
        from_state = run.status
        run.status, run.started_at = InvoiceRunStatus.RUNNING, now
        run.organisations_total = run.organisations_done = run.drafts = 0
        run.error = ""
        run.save(
            update_fields=[
                "status",
                "started_at",
                "organisations_total",
                "organisations_done",
                "drafts",
                "error",
            ]
        )
        record(
            actor=None,
            verb="billing.run_started",
            target=run,
            from_state=from_state,
            to_state=InvoiceRunStatus.RUNNING,
        )
    try:
        messages = _invoice_month(run)
    except ValidationError as invalid:  # configuration (no VAT rate): finance can fix it
        return _finish(run, failed=" ".join(invalid.messages))
    except Exception as failure:  # stored for finance to see; the next run starts afresh
        log.exception("invoicing run %s failed", run.pk)
        return _finish(run, failed=str(failure)[:2000] or failure.__class__.__name__)
    return _finish(run, messages=messages)


def _finish(run: InvoiceRun, *, messages=(), failed: str = "") -> InvoiceRun:
    with transaction.atomic():
        run.refresh_from_db(fields=["organisations_total", "organisations_done", "drafts"])
        run.status = InvoiceRunStatus.FAILED if failed else InvoiceRunStatus.DONE
        run.error = failed or "\n".join(messages)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        record(
            actor=None,
            verb="billing.run_failed" if failed else "billing.run_finished",
            target=run,
            from_state=InvoiceRunStatus.RUNNING,
            to_state=run.status,
            data={
                "organisations": run.organisations_total,
                "drafts": run.drafts,
                "problems": len(messages),
            },
        )
    return run


def _load_month(period_start: date) -> MonthData:
    start = period_start
    end = pricing.month_end(start)
    turnover = pricing.turnover_date(start)
    vat_rate = selectors.vat_rate_for(day=turnover)
    tracks = selectors.paid_tracks()
    usage: dict[int, dict[date, int]] = {}
    rows = (
        UsageDaily.objects.filter(
            day__gte=start,
            day__lt=end,
            gpu_seconds__gt=0,
            allocation__isnull=False,
            allocation__application__call__track__in=tracks,
        )
        .values_list("allocation_id", "day")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by()
    )
    for allocation_id, day, seconds in rows.iterator(chunk_size=10_000):
        usage.setdefault(allocation_id, {})[day] = int(seconds)
    allocations = {
        row[0]: AllocationInfo(*row)
        for row in Allocation.objects.filter(pk__in=list(usage)).values_list(
            "pk",
            "project__organisation_id",
            "project__organisation__category",
            "resource_id",
            "resource__name",
            "slurm_account",
            "application_id",
            "project__title",
        )
    }
    tariffs = selectors.tariff_periods(
        resource_ids={a.resource_id for a in allocations.values()},
        categories={a.category for a in allocations.values()},
    )
    org_ids = {a.organisation_id for a in allocations.values()}
    org_ids |= set(
        Invoice.objects.filter(period_start=start, state=InvoiceState.DRAFT).values_list(
            "organisation_id", flat=True
        )
    )
    organisations = {
        pk: (name, bin_ or "")
        for pk, name, bin_ in Organisation.objects.filter(pk__in=org_ids).values_list(
            "pk", "legal_name", "bin"
        )
    }
    return MonthData(start, end, turnover, vat_rate, usage, allocations, tariffs, organisations)


def _org_label(month: MonthData, organisation_id: int) -> str:
    name, bin_ = month.organisations.get(organisation_id, (str(organisation_id), ""))
    return f"{name} (BIN {bin_})" if bin_ else name


def _days_text(days: list[date]) -> str:
    first, last = days[0], days[-1]
    if first == last:
        return date_format(first)
    return f"{date_format(first)} – {date_format(last)}"


def _plan(month: MonthData, organisation_id: int, allocation_ids: list[int]) -> DraftPlan:
    """The lines of one organisation's draft, or why it cannot have one."""
    plan = DraftPlan(organisation_id)
    infos = sorted(
        (month.allocations[pk] for pk in allocation_ids),
        key=lambda a: (a.resource_name, a.account, a.pk),
    )
    for info in infos:
        periods = month.tariffs.get((info.resource_id, info.category), [])
        segments = pricing.split_by_periods(
            usage=month.usage[info.pk],
            periods=periods,
            window_start=month.start,
            window_end=month.end,
        )
        for segment in segments:
            if segment.period is None:
                plan.errors.append(
                    gettext(
                        "no tariff for %(resource)s, category %(category)s, on %(days)s "
                        "(account %(account)s)"
                    )
                    % {
                        "resource": info.resource_name,
                        "category": OrganisationCategory(info.category).label,
                        "days": _days_text(segment.days),
                        "account": info.account,
                    }
                )
                continue
            tariff = segment.period.key
            quantity = pricing.gpu_hours(segment.gpu_seconds)
            amounts = pricing.line_amounts(
                quantity=quantity, unit_price=tariff.price_per_gpu_hour, vat_rate=month.vat_rate
            )
            description = (
                f"GPU computing: {info.resource_name}, "
                f"APP-{info.application_id:06d} {info.project_title}"
            )[:500]
            plan.lines.append(
                {
                    "allocation_id": info.pk,
                    "resource_id": info.resource_id,
                    "tariff": tariff,
                    "description": description,
                    "period_start": segment.start,
                    "period_end": segment.end,
                    "gpu_seconds": segment.gpu_seconds,
                    "quantity": quantity,
                    "unit_price": tariff.price_per_gpu_hour,
                    "net_amount": amounts.net,
                    "vat_rate": month.vat_rate,
                    "vat_amount": amounts.vat,
                    "gross_amount": amounts.gross,
                }
            )
    return plan


def _delete_drafts(invoice_ids: list[int]) -> None:
    """Delete draft invoices and their lines with two statements (the run replaces
    hundreds; the per-row deletion signals would cost a query each). The database
    trigger still refuses any row that is not a draft."""
    if not invoice_ids:
        return
    marks = ", ".join(["%s"] * len(invoice_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {InvoiceLine._meta.db_table} WHERE invoice_id IN ({marks})",
            invoice_ids,
        )
        cursor.execute(
            f"DELETE FROM {Invoice._meta.db_table} WHERE id IN ({marks}) AND state = %s",
            [*invoice_ids, InvoiceState.DRAFT],
        )


def _run_batch(run: InvoiceRun, month: MonthData, batch: list[int], by_org: dict) -> tuple:
    """One transaction: lock the organisations, replace their drafts. Returns the number
    of drafts made and the problems found."""
    problems: list[str] = []
    list(
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk__in=batch)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    held = {}
    for organisation_id, number, invoice_id in Invoice.objects.filter(
        organisation_id__in=batch, period_start=month.start, state__in=selectors.BINDING_STATES
    ).values_list("organisation_id", "number", "pk"):
        held.setdefault(organisation_id, []).append((number, invoice_id))
    drafts = dict(
        Invoice.objects.filter(
            organisation_id__in=batch, period_start=month.start, state=InvoiceState.DRAFT
        ).values_list("organisation_id", "pk")
    )
    _delete_drafts(list(drafts.values()))

    invoiced_seconds = {}
    if held:
        invoiced_seconds = dict(
            InvoiceLine.objects.filter(invoice_id__in=[i for v in held.values() for _n, i in v])
            .values_list("invoice__organisation_id")
            .annotate(seconds=Sum("gpu_seconds"))
            .order_by()
        )

    invoices: list[Invoice] = []
    plans: list[DraftPlan] = []
    for organisation_id in batch:
        allocation_ids = by_org.get(organisation_id)
        if not allocation_ids:
            continue  # a stale draft of an organisation without paid usage any more
        label = _org_label(month, organisation_id)
        if organisation_id in held:
            used = sum(sum(month.usage[a].values()) for a in allocation_ids)
            late = used - int(invoiced_seconds.get(organisation_id) or 0)
            if late > 0:
                numbers = ", ".join(n for n, _i in held[organisation_id])
                problems.append(
                    gettext(
                        "%(organisation)s: %(numbers)s already invoices this month; "
                        "%(hours)s GPU-hours recorded since are not on it. To invoice them, "
                        "cancel the invoice and run the month again."
                    )
                    % {
                        "organisation": label,
                        "numbers": numbers,
                        "hours": pricing.gpu_hours(late),
                    }
                )
            continue
        plan = _plan(month, organisation_id, allocation_ids)
        if plan.errors:
            problems.append(
                gettext(
                    "%(organisation)s: no draft made: %(errors)s. "
                    "Add the tariff and run the month again."
                )
                % {"organisation": label, "errors": "; ".join(plan.errors)}
            )
            continue
        total = pricing.totals(
            pricing.Amounts(line["net_amount"], line["vat_amount"], line["gross_amount"])
            for line in plan.lines
        )
        invoices.append(
            Invoice(
                organisation_id=organisation_id,
                period_start=month.start,
                period_end=month.end,
                turnover_date=month.turnover,
                state=InvoiceState.DRAFT,
                net_total=total.net,
                vat_total=total.vat,
                gross_total=total.gross,
                run=run,
            )
        )
        plans.append(plan)

    Invoice.objects.bulk_create(invoices)
    lines = [
        InvoiceLine(invoice=invoice, position=position, **line)
        for invoice, plan in zip(invoices, plans, strict=True)
        for position, line in enumerate(plan.lines, start=1)
    ]
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    invoice_type = ContentType.objects.get_for_model(Invoice)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=None,
            verb="billing.invoice_drafted",
            target_type=invoice_type,
            target_id=str(invoice.pk),
            target_repr=str(invoice)[:255],
            to_state=InvoiceState.DRAFT,
            data={
                "run_id": run.pk,
                "replaced_invoice_id": drafts.get(invoice.organisation_id),
                "lines": len(plan.lines),
                "gross_total": str(invoice.gross_total),
            },
        )
        for invoice, plan in zip(invoices, plans, strict=True)
    )
    return len(invoices), problems


def _invoice_month(run: InvoiceRun) -> list[str]:
    month = _load_month(run.period_start)
    by_org: dict[int, list[int]] = {}
    for info in month.allocations.values():
        by_org.setdefault(info.organisation_id, []).append(info.pk)

    def order(pk):
        return (month.organisations.get(pk, ("", ""))[0], pk)

    with_usage = sorted(by_org, key=order)
    stale = sorted(set(month.organisations) - set(by_org), key=order)
    InvoiceRun.objects.filter(pk=run.pk).update(organisations_total=len(with_usage))

    problems: list[str] = []
    done = drafts = 0
    if stale:  # drafts of organisations that no longer have paid usage this month
        with transaction.atomic():
            _run_batch(run, month, stale, by_org)
    for index in range(0, len(with_usage), BATCH_SIZE):
        batch = with_usage[index : index + BATCH_SIZE]
        with transaction.atomic():
            made, found = _run_batch(run, month, batch, by_org)
            drafts += made
            done += len(batch)
            problems += found
            InvoiceRun.objects.filter(pk=run.pk).update(
                organisations_done=done, drafts=drafts, error="\n".join(problems)
            )
    return problems
