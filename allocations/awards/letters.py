"""Decision letters as A4 PDFs (WeasyPrint), in the principal investigator's language.

The template is templates/letters/decision.html; DejaVu Sans covers Kazakh and Russian.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from allocations.awards.models import Decision, DecisionOutcome

TEMPLATE = "letters/decision.html"


def group_digits(value: int) -> str:
    """12000 → "12 000" with a no-break space: one style for every language of the letter."""
    return f"{value:,}".replace(",", "\u00a0")


def letter_context(*, decision: Decision, annex: list[dict], assessment, allocations) -> dict:
    application = decision.application
    lines = [
        {"resource": line.resource.name, "gpu_hours": group_digits(line.gpu_hours)}
        for line in decision.lines.all()
    ]
    return {
        "decision": decision,
        "application": application,
        "project": application.project,
        "organisation": application.project.organisation,
        "pi": application.project.pi,
        "call": application.call,
        "approved": decision.outcome == DecisionOutcome.APPROVED,
        "waitlisted": decision.outcome == DecisionOutcome.WAITLISTED,
        "rejected": decision.outcome == DecisionOutcome.REJECTED,
        "offered_from_waitlist": decision.decided_by_id is None,
        "lines": lines,
        "allocations": allocations,
        "letter_date": timezone.localdate(decision.decided_at),
        "reviews": annex,
        "assessment": assessment,
        "site_url": settings.SITE_URL,
    }


def render_decision_letter(*, context: dict, language: str) -> bytes:
    """The letter as PDF bytes, every string in `language`."""
    from weasyprint import HTML

    with translation.override(language):
        html = render_to_string(TEMPLATE, {**context, "language": language})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
