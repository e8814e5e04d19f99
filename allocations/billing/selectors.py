"""Billing reads: tariffs and VAT by date, what a free track's compute was worth, and the
lists the finance pages, documents and dashboards show."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation
from allocations.billing import pricing
from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceRunStatus,
    InvoiceState,
    SellerProfile,
    Tariff,
    TrackBilling,
    VatRate,
)
from allocations.usage.models import UsageDaily

# Invoices that hold a month's usage for their organisation: no second draft beside them.
BINDING_STATES = (InvoiceState.ISSUED, InvoiceState.PAID)
# Invoices that are documents: never edited, only issued → paid | cancelled.
FINAL_STATES = (InvoiceState.ISSUED, InvoiceState.PAID, InvoiceState.CANCELLED)


# --- reference data ---------------------------------------------------------------------


def tariff_for(*, resource_id: int, category: str, day: date) -> Tariff | None:
    """The tariff of a resource for an organisation category on `day` (None: no price)."""
    return (
        Tariff.objects.filter(resource_id=resource_id, category=category, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("-valid_from")
        .first()
    )


def tariff_periods(*, resource_ids, categories=None) -> dict[tuple[int, str], list]:
    """Every tariff of these resources as `pricing.Period`s (key: the tariff), by
    (resource id, category), in date order. One query."""
    rows = Tariff.objects.filter(resource_id__in=list(resource_ids))
    if categories is not None:
        rows = rows.filter(category__in=list(categories))
    periods: dict[tuple[int, str], list] = {}
    for tariff in rows.order_by("valid_from", "pk"):
        periods.setdefault((tariff.resource_id, tariff.category), []).append(
            pricing.Period(tariff.valid_from, tariff.valid_to, tariff)
        )
    return periods


def vat_rate_for(*, day: date) -> Decimal:
    """The VAT rate for a turnover dated `day` (VatRate rows; 0.12 before 2026, 0.16 from
    then as loaded). Raises ValidationError when no rate covers the day."""
    rate = (
        VatRate.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("-valid_from")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            _("No VAT rate is configured for turnovers dated %(day)s.") % {"day": date_format(day)}
        )
    return rate


def is_paid_track(track: str) -> bool:
    """Whether calls of this track are invoiced. A track without a TrackBilling row is
    not invoiced: finance must say so explicitly."""
    return TrackBilling.objects.filter(track=track, is_paid=True).exists()


def paid_tracks() -> list[str]:
    return list(TrackBilling.objects.filter(is_paid=True).values_list("track", flat=True))


def track_billing() -> list[TrackBilling]:
    return list(TrackBilling.objects.order_by("track"))


def seller_profile() -> SellerProfile | None:
    """The centre's seller profile (one row), or None before finance configures it."""
    return SellerProfile.objects.order_by("pk").first()


def tariffs(*, resource_id: int | None = None, category: str | None = None):
    rows = Tariff.objects.select_related("resource", "created_by")
    if resource_id is not None:
        rows = rows.filter(resource_id=resource_id)
    if category:
        rows = rows.filter(category=category)
    return rows.annotate(
        invoiced=Exists(
            InvoiceLine.objects.filter(tariff=OuterRef("pk"), invoice__state__in=FINAL_STATES)
        ),
        on_drafts=Exists(
            InvoiceLine.objects.filter(tariff=OuterRef("pk"), invoice__state=InvoiceState.DRAFT)
        ),
    ).order_by("resource__name", "category", "valid_from")


# --- value of compute ---------------------------------------------------------------------


def usage_by_day(*, allocation_ids, start: date, end: date) -> dict[int, dict[date, int]]:
    """GPU-seconds per allocation and day in [start, end). One grouped query."""
    rows = (
        UsageDaily.objects.filter(
            allocation_id__in=list(allocation_ids), day__gte=start, day__lt=end, gpu_seconds__gt=0
        )
        .values_list("allocation_id", "day")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by()
    )
    usage: dict[int, dict[date, int]] = {}
    for allocation_id, day, seconds in rows:
        usage.setdefault(allocation_id, {})[day] = int(seconds)
    return usage


def value_of_compute(*, allocation, start: date, end: date) -> Decimal:
    """What the GPU-hours used in [start, end) are worth at the tariff of the allocation's
    organisation category (net, KZT): per tariff period, hours (6 decimals) × price, half-up
    to 2; the periods' values added. Days without a tariff count for nothing. For free
    tracks' "value given" (and any track's dashboards)."""
    if end <= start:
        return Decimal("0.00")
    category = (
        Organisation.objects.filter(projects__pk=allocation.project_id)
        .values_list("category", flat=True)
        .first()
    )
    usage = usage_by_day(allocation_ids=[allocation.pk], start=start, end=end).get(
        allocation.pk, {}
    )
    if not usage:
        return Decimal("0.00")
    periods = tariff_periods(resource_ids=[allocation.resource_id], categories=[category]).get(
        (allocation.resource_id, category), []
    )
    value = Decimal("0.00")
    for segment in pricing.split_by_periods(
        usage=usage, periods=periods, window_start=start, window_end=end
    ):
        if segment.period is None:
            continue
        tariff = segment.period.key
        value += pricing.round_money(
            pricing.gpu_hours(segment.gpu_seconds) * tariff.price_per_gpu_hour
        )
    return value


# --- runs, invoices and credit notes ----------------------------------------------------


def invoice_runs(*, period_start: date | None = None):
    rows = InvoiceRun.objects.select_related("started_by")
    if period_start is not None:
        rows = rows.filter(period_start=period_start)
    return rows.order_by("-queued_at", "-id")


def run_in_progress(*, period_start: date) -> InvoiceRun | None:
    return (
        InvoiceRun.objects.filter(
            period_start=period_start,
            status__in=(InvoiceRunStatus.QUEUED, InvoiceRunStatus.RUNNING),
        )
        .order_by("-id")
        .first()
    )


def run_progress(*, run_id: int) -> dict:
    """What a page polling a run shows: status, counts and the percentage done."""
    run = InvoiceRun.objects.get(pk=run_id)
    if run.status == InvoiceRunStatus.DONE:
        percent = 100
    elif run.organisations_total:
        percent = 100 * run.organisations_done // run.organisations_total
    else:
        percent = 0
    return {
        "run": run,
        "status": run.status,
        "total": run.organisations_total,
        "done": run.organisations_done,
        "drafts": run.drafts,
        "percent": percent,
        "errors": [line for line in run.error.splitlines() if line.strip()],
        "finished": run.status in (InvoiceRunStatus.DONE, InvoiceRunStatus.FAILED),
    }


def invoices(*, period_start: date | None = None, state: str | None = None, organisation_id=None):
    rows = Invoice.objects.select_related("organisation", "issued_by")
    if period_start is not None:
        rows = rows.filter(period_start=period_start)
    if state:
        rows = rows.filter(state=state)
    if organisation_id is not None:
        rows = rows.filter(organisation_id=organisation_id)
    return rows.order_by("-period_start", "organisation__legal_name", "id")


def invoice_detail(*, invoice_id: int) -> Invoice:
    """One invoice with its lines (allocations, resources, tariffs) and credit notes."""
    return (
        Invoice.objects.select_related("organisation", "issued_by", "run")
        .prefetch_related(
            "lines__allocation",
            "lines__resource",
            "lines__tariff",
            "credit_notes__lines",
        )
        .get(pk=invoice_id)
    )


def credited_by_line(*, invoice_id: int) -> dict[int, dict[str, Decimal]]:
    """Per invoice line, what its credit notes took so far (quantity and negative amounts)."""
    rows = (
        CreditNoteLine.objects.filter(invoice_line__invoice_id=invoice_id)
        .values("invoice_line_id")
        .annotate(quantity=Sum("quantity"), net=Sum("net_amount"), vat=Sum("vat_amount"))
        .order_by()
    )
    return {
        row["invoice_line_id"]: {"quantity": row["quantity"], "net": row["net"], "vat": row["vat"]}
        for row in rows
    }


def creditable_lines(*, invoice_id: int) -> list[dict]:
    """The lines of an invoice with the GPU-hours still open to credit (for the credit
    note form): [{"line": InvoiceLine, "credited": Decimal, "remaining": Decimal}]."""
    credited = credited_by_line(invoice_id=invoice_id)
    result = []
    for line in InvoiceLine.objects.filter(invoice_id=invoice_id).order_by("position"):
        done = credited.get(line.pk, {}).get("quantity") or Decimal("0")
        result.append({"line": line, "credited": done, "remaining": line.quantity - done})
    return result


def credit_notes(*, invoice_id: int | None = None):
    rows = CreditNote.objects.select_related("invoice__organisation", "issued_by")
    if invoice_id is not None:
        rows = rows.filter(invoice_id=invoice_id)
    return rows.order_by("-issue_date", "-id")


def allocation_value(*, allocation, today: date) -> dict:
    """What an allocation's compute so far is worth at its organisation's tariff, and
    whether its track is invoiced (the usage page shows it; free tracks see the value of
    what they were given)."""
    end = min(today + timedelta(days=1), allocation.end_date)
    return {
        "allocation": allocation,
        "is_paid": is_paid_track(allocation.application.call.track),
        "value": value_of_compute(allocation=allocation, start=allocation.start_date, end=end),
        "until": end - timedelta(days=1),
    }
