"""Reads of the scheduler outbox: sync health for staff, an account's state for its team."""

from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from allocations.scheduler.models import (
    UNFINISHED_STATES,
    OperationState,
    ReconcileRun,
    SchedulerAccount,
    SchedulerOperation,
)


class SyncState:
    """How an account stands, in the words its team reads."""

    NOT_REQUESTED = "not_requested"
    IN_SYNC = "in_sync"
    SENDING = "sending"
    RETRYING = "retrying"


@dataclass(frozen=True)
class AccountStatus:
    state: str
    account: SchedulerAccount | None
    newest: SchedulerOperation | None


def account_status(*, cluster: str, name: str) -> AccountStatus:
    """The account's sync state and its newest operation (two queries)."""
    account = SchedulerAccount.objects.filter(cluster=cluster, name=name).first()
    if account is None:
        return AccountStatus(SyncState.NOT_REQUESTED, None, None)
    newest = account.operations.filter(version=account.desired_version).first()
    if account.in_sync:
        state = SyncState.IN_SYNC
    elif newest is not None and newest.state == OperationState.FAILED:
        state = SyncState.RETRYING
    else:
        state = SyncState.SENDING
    return AccountStatus(state, account, newest)


def operations_for_account(*, cluster: str, name: str, limit: int = 20) -> list[SchedulerOperation]:
    """The account's newest operations, for the staff view of an allocation."""
    return list(
        SchedulerOperation.objects.filter(account__cluster=cluster, account__name=name)
        .select_related("account")
        .order_by("-version")[:limit]
    )


def clusters_in_use() -> list[str]:
    return list(
        SchedulerAccount.objects.order_by("cluster").values_list("cluster", flat=True).distinct()
    )


def unfinished_operations(*, state: str = "") -> QuerySet[SchedulerOperation]:
    """Operations not yet done, oldest first: what the sync page lists (paginate it)."""
    states = [state] if state in UNFINISHED_STATES else list(UNFINISHED_STATES)
    return (
        SchedulerOperation.objects.filter(state__in=states)
        .select_related("account")
        .order_by("created_at", "id")
    )


def sync_counts() -> dict[str, int]:
    """Accounts in sync and waiting, operations pending and failed (two queries)."""
    accounts = SchedulerAccount.objects.aggregate(
        total=Count("pk"),
        waiting=Count("pk", filter=Q(applied_version__lt=F("desired_version"))),
    )
    operations = SchedulerOperation.objects.filter(state__in=UNFINISHED_STATES).aggregate(
        pending=Count("pk", filter=Q(state=OperationState.PENDING)),
        failed=Count("pk", filter=Q(state=OperationState.FAILED)),
    )
    return {
        "accounts": accounts["total"],
        "in_sync": accounts["total"] - accounts["waiting"],
        "waiting": accounts["waiting"],
        **operations,
    }


def latest_reconcile_runs(*, limit: int = 5) -> list[ReconcileRun]:
    return list(
        ReconcileRun.objects.select_related("requested_by").order_by("-queued_at", "-id")[:limit]
    )


def reconcile_run(*, pk: int) -> ReconcileRun:
    return get_object_or_404(ReconcileRun.objects.select_related("requested_by"), pk=pk)
