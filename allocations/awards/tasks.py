"""Thin Celery tasks of the awards area. Each takes ids, calls one service, is safe twice.

Queues are chosen where the tasks are sent: letters on "documents", e-mail on "mail".
"""

from celery import shared_task
from django.utils import timezone

from allocations.awards import allocation_services, letter_services, lifecycle_services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_decision_letter(*, decision_id: int) -> None:
    letter_services.issue_decision_letter(decision_id=decision_id, now=timezone.now())


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_decision_letter(*, decision_id: int, notification_id: int) -> None:
    letter_services.email_decision_letter(
        decision_id=decision_id, notification_id=notification_id, now=timezone.now()
    )


@shared_task
def allocation_provisioned(*, allocation_id: int) -> None:
    """Sent by the scheduler outbox once the allocation's account exists."""
    allocation_services.activate_allocation(allocation_id=allocation_id, now=timezone.now())


@shared_task
def expire_allocations() -> int:
    """Beat: allocations whose period ended get GPU limit 0 and no members on the cluster."""
    return lifecycle_services.expire_allocations(now=timezone.now())
