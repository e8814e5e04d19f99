"""Thin Celery tasks of the calls area."""

from celery import shared_task
from django.utils import timezone

from allocations.calls import services


@shared_task(name="allocations.calls.tasks.report_closing_calls")
def report_closing_calls() -> int:
    """Daily (beat): tell call managers which calls close within three days."""
    return services.report_closing_calls(now=timezone.now())
