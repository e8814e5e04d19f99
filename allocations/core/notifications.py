"""Telling people what happened: an in-portal notification plus an e-mail.

Services call notify_user() for people with an account (in-portal list + e-mail) and
notify() for bare addresses (e-mail only, e.g. invitations). Nothing leaves before the
transaction commits. Templates: templates/email/<name>_subject.txt and <name>_body.txt,
rendered in the recipient's language.
"""

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from allocations.core.models import Notification


def render_message(*, template: str, context: dict, language: str) -> tuple[str, str]:
    from django.conf import settings

    with translation.override(language):
        ctx = {**context, "site_url": settings.SITE_URL}
        subject = " ".join(render_to_string(f"email/{template}_subject.txt", ctx).split())
        body = render_to_string(f"email/{template}_body.txt", ctx)
    return subject[:255], body


def notify(*, to: list[str], template: str, context: dict, language: str = "en") -> None:
    """E-mail to addresses without an account. `context` must be JSON-serialisable."""
    from allocations.core.tasks import send_templated_email

    recipients = [address for address in to if address]
    if not recipients:
        return
    transaction.on_commit(
        lambda: send_templated_email.delay(
            to=recipients, template=template, context=context, language=language
        )
    )


def notify_user(user, *, template: str, context: dict, url: str = "") -> Notification:
    """Store an in-portal notification for `user` and e-mail it after commit."""
    from allocations.core.tasks import send_notification_email

    subject, body = render_message(template=template, context=context, language=user.language)
    notification = Notification.objects.create(
        user=user, kind=template, subject=subject, body=body, url=url or context.get("path", "")
    )
    transaction.on_commit(lambda: send_notification_email.delay(notification_id=notification.pk))
    return notification
