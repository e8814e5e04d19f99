"""E-mail to people, rendered in their own language, sent by Celery after commit.

Services call notify(); the e-mail leaves only if the transaction commits.
Templates: templates/email/<name>_subject.txt and templates/email/<name>_body.txt.
"""

from django.db import transaction


def notify(*, to: list[str], template: str, context: dict, language: str = "en") -> None:
    """Schedule one templated e-mail. `context` must be JSON-serialisable."""
    from allocations.core.tasks import send_templated_email

    recipients = [address for address in to if address]
    if not recipients:
        return
    transaction.on_commit(
        lambda: send_templated_email.delay(
            to=recipients, template=template, context=context, language=language
        )
    )


def notify_user(user, *, template: str, context: dict) -> None:
    notify(to=[user.email], template=template, context=context, language=user.language)
