"""Thin Celery tasks of the core area."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_templated_email(*, to: list[str], template: str, context: dict, language: str) -> None:
    with translation.override(language):
        ctx = {**context, "site_url": settings.SITE_URL}
        subject = render_to_string(f"email/{template}_subject.txt", ctx).strip()
        body = render_to_string(f"email/{template}_body.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
