"""Thin Celery tasks of the customs area. Each takes ids, calls one function, is safe twice.

Routes: generate_case_documents on "documents" (also named where it is sent);
send_report_reminders is a daily beat job.
"""

from celery import shared_task
from django.utils import timezone


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def generate_case_documents(*, case_id: int) -> None:
    """Render the documents the case's state calls for (application and annex on
    submission, the confirmation on approval) and store them with their hashes."""
    from allocations.customs import documents

    documents.generate_case_documents(case_id=case_id)


@shared_task
def send_report_reminders() -> int:
    """Beat, daily: use reports due within 14 days or overdue, once each per due date."""
    from allocations.customs import monitoring_services

    return monitoring_services.send_report_reminders(today=timezone.localdate())
