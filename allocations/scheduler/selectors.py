"""Reads of the scheduler outbox."""

from django.db.models import QuerySet

from allocations.scheduler.models import OperationState, SchedulerOperation


def operations_for_accounts(*, accounts: list[str]) -> QuerySet[SchedulerOperation]:
    """Operations on these accounts, newest first (for staff pages)."""
    return SchedulerOperation.objects.filter(account__in=accounts).order_by("-created_at", "-id")


def unfinished_operation_ids(*, limit: int = 500) -> list[int]:
    return list(
        SchedulerOperation.objects.exclude(state=OperationState.DONE)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
