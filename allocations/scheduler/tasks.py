"""Thin Celery tasks of the scheduler outbox (queue "scheduler"). Safe to run twice."""

from celery import shared_task
from django.utils import timezone

from allocations.scheduler import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def run_operation(*, operation_id: int) -> None:
    services.run_operation(operation_id=operation_id, now=timezone.now())


@shared_task
def run_pending_operations() -> int:
    """Send every operation that is not done yet (after an outage or a lost message)."""
    from allocations.scheduler.selectors import unfinished_operation_ids

    ids = unfinished_operation_ids()
    for operation_id in ids:
        run_operation.delay(operation_id=operation_id)
    return len(ids)
