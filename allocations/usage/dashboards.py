"""Reads behind the usage dashboards: one allocation for its team, the whole centre for staff.

Everything is read from UsageDaily (a row per account, person and day) with a fixed
number of grouped queries, however many jobs lie behind them.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q, Sum

from allocations.awards.models import Allocation, AllocationState
from allocations.calls.models import Call, Resource
from allocations.usage.models import IngestRun, UsageAlert, UsageDaily

BURN_WINDOW_DAYS = 7  # the burn rate is the average of the last week
IDLE_AFTER_DAYS = 14  # active, started at least this long ago, nothing used for as long


def _hours(seconds: int) -> float:
    return seconds / 3600


@dataclass
class AllocationUsage:
    allocation: Allocation
    used_seconds: int
    granted_seconds: int
    days: list[tuple[date, int]]  # the chart: every day of the window, zeros included
    members: list[dict]  # [{"username", "hours", "share"}] biggest first
    burn_per_day_seconds: float
    runs_out_on: date | None  # at the current burn rate; None when nothing is burning
    alerts: list[UsageAlert] = field(default_factory=list)

    @property
    def used_hours(self) -> float:
        return _hours(self.used_seconds)

    @property
    def remaining_hours(self) -> float:
        return max(_hours(self.granted_seconds - self.used_seconds), 0.0)

    @property
    def percent(self) -> float:
        return 100 * self.used_seconds / self.granted_seconds if self.granted_seconds else 0.0

    @property
    def burn_per_day_hours(self) -> float:
        return _hours(self.burn_per_day_seconds)

    @property
    def day_rows(self) -> list[dict]:
        return [{"day": day, "hours": _hours(seconds)} for day, seconds in self.days]

    @property
    def runs_out_before_end(self) -> bool:
        return self.runs_out_on is not None and self.runs_out_on < self.allocation.end_date


def run_out_date(*, remaining_seconds: int, per_day_seconds: float, today: date) -> date | None:
    """The day the remaining GPU time is used up at `per_day_seconds` a day."""
    if per_day_seconds <= 0:
        return None
    if remaining_seconds <= 0:
        return today
    days = remaining_seconds / per_day_seconds
    return today + timedelta(days=int(days))


def allocation_usage(*, allocation: Allocation, today: date) -> AllocationUsage:
    """Used vs granted, per member, per day (chart window) and the burn rate (4 queries)."""
    rows = UsageDaily.objects.filter(allocation=allocation)
    used = rows.aggregate(total=Sum("gpu_seconds"))["total"] or 0
    window_start = max(allocation.start_date, today - timedelta(days=59))
    window_end = min(today, allocation.end_date - timedelta(days=1))
    per_day = dict(
        rows.filter(day__gte=window_start, day__lte=window_end)
        .values_list("day")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by()
    )
    days = []
    day = window_start
    while day <= window_end:
        days.append((day, int(per_day.get(day, 0))))
        day += timedelta(days=1)
    members = [
        {
            "username": r["username"],
            "hours": _hours(r["seconds"]),
            "share": 100 * r["seconds"] / used if used else 0.0,
        }
        for r in rows.values("username")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by("-seconds", "username")
    ]
    burn_start = max(allocation.start_date, today - timedelta(days=BURN_WINDOW_DAYS - 1))
    burn_days = max((today - burn_start).days + 1, 1)
    recent = sum(seconds for d, seconds in per_day.items() if burn_start <= d <= today)
    burn = recent / burn_days if allocation.state == AllocationState.ACTIVE else 0.0
    granted = allocation.gpu_hours * 3600
    return AllocationUsage(
        allocation=allocation,
        used_seconds=int(used),
        granted_seconds=granted,
        days=days,
        members=members,
        burn_per_day_seconds=burn,
        runs_out_on=run_out_date(
            remaining_seconds=granted - int(used), per_day_seconds=burn, today=today
        ),
        alerts=list(allocation.alerts.order_by("threshold")),
    )


def chart_bars(days: list[tuple[date, int]], *, width=600, height=160) -> dict:
    """Bar geometry for the server-drawn SVG chart (no JavaScript, nothing inline)."""
    peak = max((s for _d, s in days), default=0) or 1
    step = width / max(len(days), 1)
    bars = []
    for index, (day, seconds) in enumerate(days):
        bar_height = round(height * seconds / peak, 1)
        bars.append(
            {
                "x": round(index * step, 1),
                "y": round(height - bar_height, 1),
                "width": max(round(step - 1, 1), 1),
                "height": bar_height,
                "day": day,
                "hours": _hours(seconds),
            }
        )
    return {"bars": bars, "width": width, "height": height, "peak_hours": _hours(peak)}


# --- Staff ------------------------------------------------------------------------------


def _period_hours(start: date, end: date) -> int:
    return max((end - start).days, 0) * 24


def centre_usage(*, start: date, end: date, today: date, top: int = 10) -> dict:
    """Utilisation per resource and per call, top consumers, idle allocations, for [start, end)."""
    in_period = UsageDaily.objects.filter(day__gte=start, day__lt=end)
    by_resource = dict(
        in_period.filter(allocation__isnull=False)
        .values_list("allocation__resource_id")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by()
    )
    hours = _period_hours(start, end)
    resources = [
        {
            "resource": resource,
            "capacity_hours": resource.gpus_per_node * resource.node_count * hours,
            "used_hours": _hours(by_resource.get(resource.pk, 0)),
        }
        for resource in Resource.objects.order_by("name")
    ]
    for row in resources:
        capacity = row["capacity_hours"]
        row["percent"] = 100 * row["used_hours"] / capacity if capacity else 0.0

    by_call = dict(
        in_period.filter(allocation__isnull=False)
        .values_list("allocation__application__call_id")
        .annotate(seconds=Sum("gpu_seconds"))
        .order_by()
    )
    granted = dict(
        Allocation.objects.values_list("application__call_id")
        .annotate(hours=Sum("gpu_hours"))
        .order_by()
    )
    calls = [
        {
            "call": call,
            "granted_hours": granted.get(call.pk, 0),
            "used_hours": _hours(by_call.get(call.pk, 0)),
        }
        for call in Call.objects.filter(pk__in=set(granted) | set(by_call)).order_by("title")
    ]
    for row in calls:
        granted_hours = row["granted_hours"]
        row["percent"] = 100 * row["used_hours"] / granted_hours if granted_hours else 0.0

    top_rows = list(
        in_period.filter(allocation__isnull=False)
        .values("allocation_id")
        .annotate(seconds=Sum("gpu_seconds"), people=Count("username", distinct=True))
        .order_by("-seconds")[:top]
    )
    allocations = Allocation.objects.select_related("project__organisation", "resource").in_bulk(
        [r["allocation_id"] for r in top_rows]
    )
    consumers = [
        {
            "allocation": allocations[r["allocation_id"]],
            "used_hours": _hours(r["seconds"]),
            "people": r["people"],
        }
        for r in top_rows
    ]
    return {
        "start": start,
        "end": end,
        "resources": resources,
        "calls": calls,
        "consumers": consumers,
        "idle": idle_allocations(today=today),
        "last_ingest": IngestRun.objects.order_by("-started_at", "-id").first(),
    }


def idle_allocations(*, today: date, limit: int = 50) -> list[Allocation]:
    """Active allocations, started at least IDLE_AFTER_DAYS ago, with no usage since."""
    since = today - timedelta(days=IDLE_AFTER_DAYS)
    return list(
        Allocation.objects.filter(state=AllocationState.ACTIVE, start_date__lte=since)
        .annotate(recent=Count("usage_days", filter=Q(usage_days__day__gte=since)))
        .filter(recent=0)
        .select_related("project__organisation", "resource")
        .order_by("start_date", "pk")[:limit]
    )


def allocation_for_viewer(*, user, pk: int) -> Allocation:
    """An allocation for its project's team or staff who see usage; 404 for anyone else."""
    from django.shortcuts import get_object_or_404

    from allocations.applications.models import ProjectMember
    from allocations.core.permissions import Capability, has_capability

    allocation = get_object_or_404(
        Allocation.objects.select_related("project__organisation", "resource", "application__call"),
        pk=pk,
    )
    on_team = ProjectMember.objects.filter(project_id=allocation.project_id, user=user).exists()
    if not on_team and not has_capability(user, Capability.VIEW_USAGE):
        from django.http import Http404

        raise Http404
    return allocation
