"""Screening: the call manager's eligibility check right after submission."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import Application, ApplicationState
from allocations.awards import provisioning
from allocations.awards.models import Decision, DecisionOutcome, Screening, ScreeningOutcome
from allocations.core.audit import record
from allocations.core.permissions import Capability, require

SCREENABLE_STATES = (ApplicationState.SUBMITTED, ApplicationState.SCREENING)


@transaction.atomic
def screen_application(
    *, actor, application_id: int, eligible: bool, reason: str, now
) -> Screening:
    """Eligible: on to technical review. Ineligible (reason required): rejected, with a letter."""
    require(actor, Capability.DECIDE)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("project", "call")
        .filter(pk=application_id)
        .exclude(state=ApplicationState.DRAFT)
        .first()
    )
    if application is None:
        raise Http404
    if application.state not in SCREENABLE_STATES:
        raise ValidationError(
            _("This application is not waiting for screening (it is %(state)s).")
            % {"state": application.get_state_display()}
        )
    reason = reason.strip()
    if not eligible and not reason:
        raise ValidationError({"reason": _("Say why the application is not eligible.")})
    screening = Screening.objects.create(
        application=application,
        outcome=ScreeningOutcome.ELIGIBLE if eligible else ScreeningOutcome.INELIGIBLE,
        reason=reason,
        decided_by=actor,
    )
    from_state = application.state
    application.state = ApplicationState.TECHNICAL_REVIEW if eligible else ApplicationState.REJECTED
    application.save(update_fields=["state", "updated_at"])
    data = {"outcome": screening.outcome, "reason": reason}
    if not eligible:
        decision = Decision.objects.create(
            application=application,
            outcome=DecisionOutcome.REJECTED,
            reason=reason,
            decided_by=actor,
            decided_at=now,
        )
        data["decision_id"] = decision.pk
        # The letter task tells the team once the letter exists.
        provisioning.schedule_letter(decision)
    record(
        actor=actor,
        verb="application.screened",
        target=application,
        from_state=from_state,
        to_state=application.state,
        data=data,
    )
    if eligible:
        context = provisioning.application_context(application)
        provisioning.notify_team(
            project_id=application.project_id,
            template="awards_screened",
            context=context,
            url=context["path"],
        )
    return screening
