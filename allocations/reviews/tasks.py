"""Thin Celery tasks of the reviews area (beat). Safe to run twice."""

from celery import shared_task
from django.utils import timezone

from allocations.reviews import services


@shared_task(name="allocations.reviews.tasks.send_review_reminders")
def send_review_reminders() -> int:
    """Hourly: reminders two days before a review is due and on the due date."""
    return services.send_review_reminders(now=timezone.now())


@shared_task(name="allocations.reviews.tasks.close_expired_replies")
def close_expired_replies() -> int:
    """Hourly: applications whose reply window has passed go to the panel."""
    return services.close_expired_replies(now=timezone.now())
