"""Thin, idempotent Celery tasks of the accounts area."""

from celery import shared_task
from django.utils import timezone

from allocations.accounts import invitation_services


@shared_task(name="allocations.accounts.tasks.expire_invitations")
def expire_invitations() -> int:
    return invitation_services.expire_invitations(now=timezone.now())
