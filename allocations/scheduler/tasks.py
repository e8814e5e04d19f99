"""Thin Celery tasks of the scheduler outbox (queue "scheduler"). Safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from allocations.scheduler import reconcile, services


@shared_task(bind=True, max_retries=None)
def converge_account(self, *, account_id: int) -> str:
    """Send one account's newest desired state; after a failure, retry with backoff.

    The failure itself is already stored on the operation (staff see it); the retry is
    only the wake-up call. Eager runs (embedded defaults) leave retries to beat.
    """
    outcome, retry_in = services.converge_account(account_id=account_id, now=timezone.now())
    if retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=retry_in)
    return outcome.value


@shared_task
def send_due_accounts() -> int:
    """Beat: re-send changes left waiting by an outage, a lost message or a crash."""
    return services.send_due_accounts(now=timezone.now())


@shared_task
def run_reconcile(*, run_id: int) -> int:
    """A reconcile staff asked for (the sync page follows its progress)."""
    return reconcile.run_reconcile(run_id=run_id, now=timezone.now()).pk


@shared_task
def reconcile_clusters() -> list[int]:
    """Beat: compare every cluster the portal has accounts on with the desired state."""
    from allocations.scheduler.selectors import clusters_in_use

    clusters = clusters_in_use() or [settings.SLURM_CLUSTER_NAME]
    return [reconcile.reconcile_cluster(cluster=c, now=timezone.now()).pk for c in clusters]
