"""Usage alerts: at 75 %, 90 % and 100 % of an allocation's grant, once each, by e-mail
and in the portal. Called after every ingestion with the allocations it touched."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Sum

from allocations.awards import provisioning
from allocations.awards.models import Allocation
from allocations.core.audit import record
from allocations.usage.models import UsageAlert, UsageDaily

THRESHOLDS = (75, 90, 100)


def used_gpu_seconds(allocation_ids: Iterable[int]) -> dict[int, int]:
    """GPU-seconds used per allocation, all time (one query)."""
    rows = (
        UsageDaily.objects.filter(allocation_id__in=list(allocation_ids))
        .values("allocation_id")
        .annotate(used=Sum("gpu_seconds"))
        .order_by()
    )
    return {row["allocation_id"]: int(row["used"] or 0) for row in rows}


def crossed(*, used_seconds: int, granted_hours: int) -> list[int]:
    """The thresholds (percent) that `used_seconds` has reached of the grant."""
    if granted_hours <= 0:
        return []
    # Integer arithmetic: used / granted >= t / 100  <=>  used * 100 >= t * granted.
    granted_seconds = granted_hours * 3600
    return [t for t in THRESHOLDS if used_seconds * 100 >= t * granted_seconds]


def check_alerts(*, allocation_ids: Iterable[int], now) -> int:
    """Send every alert that is due and was not sent yet; return how many were sent."""
    ids = list(set(allocation_ids))
    if not ids:
        return 0
    used = used_gpu_seconds(ids)
    sent = set(
        UsageAlert.objects.filter(allocation_id__in=ids).values_list("allocation_id", "threshold")
    )
    count = 0
    allocations = Allocation.objects.filter(pk__in=ids).select_related(
        "resource", "project", "application"
    )
    for allocation in allocations:
        for threshold in crossed(
            used_seconds=used.get(allocation.pk, 0), granted_hours=allocation.gpu_hours
        ):
            if (allocation.pk, threshold) not in sent:
                count += _send(allocation, threshold, used.get(allocation.pk, 0), now)
    return count


def _send(allocation: Allocation, threshold: int, used: int, now) -> int:
    try:
        with transaction.atomic():
            alert = UsageAlert.objects.create(
                allocation=allocation, threshold=threshold, used_gpu_seconds=used, sent_at=now
            )
            record(
                actor=None,
                verb="usage.alert_sent",
                target=allocation,
                data={"threshold": threshold, "used_gpu_hours": used // 3600},
            )
            context = {
                **provisioning.allocation_context(allocation),
                "threshold": threshold,
                "used_gpu_hours": used // 3600,
            }
            provisioning.notify_team(
                project_id=allocation.project_id,
                template="usage_threshold",
                context=context,
                url=context["path"],
            )
    except IntegrityError:  # a concurrent ingestion sent it first: once means once
        return 0
    return 1 if alert.pk else 0
