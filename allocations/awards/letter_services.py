"""Issuing decision letters: generate the PDF, store it privately, tell the team."""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse

from allocations.applications.models import ProjectMember
from allocations.awards import letters, provisioning
from allocations.awards.models import Decision, DecisionLine
from allocations.core.audit import record
from allocations.core.models import Notification
from allocations.core.notifications import notify_user, render_message
from allocations.reviews import selectors as reviews_selectors

TEMPLATE = "awards_decision"


def letter_is_current(decision: Decision) -> bool:
    return bool(
        decision.letter
        and decision.letter_generated_at is not None
        and decision.letter_generated_at >= decision.decided_at
    )


@transaction.atomic
def issue_decision_letter(*, decision_id: int, now) -> Decision | None:
    """Make the letter of the decision as it stands; nothing to do if it is already current.

    The PI gets it by e-mail with the PDF attached; every team member gets an in-portal
    notification (and an e-mail without the attachment).
    """
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related(
            "application__project__organisation",
            "application__project__pi",
            "application__call",
            "application__technical_assessment",
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DecisionLine.objects.select_related("resource").order_by("resource__name"),
            )
        )
        .filter(pk=decision_id)
        .first()
    )
    if decision is None or letter_is_current(decision):
        return decision
    application = decision.application
    pi = application.project.pi
    language = pi.language or settings.LANGUAGE_CODE
    context = letters.letter_context(
        decision=decision,
        annex=reviews_selectors.applicant_reviews(application=application),
        assessment=getattr(application, "technical_assessment", None),
        allocations=list(application.allocations.select_related("resource")),
    )
    pdf = letters.render_decision_letter(context=context, language=language)
    name = f"{application.reference}-{decision.outcome}-{language}.pdf"
    decision.letter.save(name, ContentFile(pdf), save=False)
    decision.letter_sha256 = hashlib.sha256(pdf).hexdigest()
    decision.letter_language = language
    decision.letter_generated_at = now
    decision.save(
        update_fields=["letter", "letter_sha256", "letter_language", "letter_generated_at"]
    )
    record(
        actor=None,
        verb="decision.letter_issued",
        target=decision,
        to_state=decision.outcome,
        data={"sha256": decision.letter_sha256, "language": language, "file": decision.letter.name},
    )
    _tell_team(decision=decision, pi=pi)
    return decision


def _tell_team(*, decision: Decision, pi) -> None:
    application = decision.application
    message = {
        **provisioning.application_context(application),
        "outcome": decision.outcome,
        "letter_path": reverse("awards:letter_download", args=[application.pk]),
    }
    url = reverse("awards:allocation_list")
    team = ProjectMember.objects.filter(project_id=application.project_id).select_related("user")
    for member in team:
        if member.user_id == pi.pk:
            continue
        notify_user(member.user, template=TEMPLATE, context=message, url=url)
    # The PI's e-mail carries the PDF, so the PI's notification is sent by our own task.
    subject, body = render_message(template=TEMPLATE, context=message, language=pi.language)
    notification = Notification.objects.create(
        user=pi, kind=TEMPLATE, subject=subject, body=body, url=url
    )
    decision_id, notification_id = decision.pk, notification.pk

    def send():
        from allocations.awards.tasks import email_decision_letter

        email_decision_letter.apply_async(
            kwargs={"decision_id": decision_id, "notification_id": notification_id},
            queue="mail",
        )

    transaction.on_commit(send)


def email_decision_letter(*, decision_id: int, notification_id: int, now) -> bool:
    """E-mail the PI's notification with the letter attached; once (safe to repeat)."""
    notification = (
        Notification.objects.select_related("user")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    decision = Decision.objects.select_related("application").filter(pk=decision_id).first()
    if notification is None or decision is None or not decision.letter:
        return False
    with decision.letter.open("rb") as handle:
        pdf = handle.read()
    email = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
    )
    email.attach(f"{decision.application.reference}-decision.pdf", pdf, "application/pdf")
    email.send()
    Notification.objects.filter(pk=notification_id).update(emailed_at=now)
    return True
