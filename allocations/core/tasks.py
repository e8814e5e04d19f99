"""Thin Celery tasks of the core area. Safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from allocations.core.models import Notification
from allocations.core.notifications import render_message


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_templated_email(*, to: list[str], template: str, context: dict, language: str) -> None:
    subject, body = render_message(template=template, context=context, language=language)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email(*, notification_id: int) -> None:
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return
    send_mail(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.user.email],
    )
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
