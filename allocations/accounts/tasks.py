"""Thin, idempotent Celery tasks of the accounts area."""

from celery import shared_task
from django.utils import timezone

from allocations.accounts import services


@shared_task(name="allocations.accounts.tasks.expire_invitations")
def expire_invitations() -> int:
    return services.expire_invitations(now=timezone.now())
