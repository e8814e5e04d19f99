"""Decisions: approve within capacity (or with a recorded override), waitlist, reject;
offers from the waitlist when capacity frees."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import Application, ApplicationState
from allocations.awards import capacity as cap
from allocations.awards import provisioning, selectors
from allocations.awards.models import Decision, DecisionLine, DecisionOutcome
from allocations.awards.periods import requested_period
from allocations.calls.models import Call
from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability

# Stored on decisions the portal takes itself; letters show a translated sentence instead.
WAITLIST_OFFER_REASON = "Capacity became available; the application was next on the waitlist."


def _guard_decidable(application: Application, outcome: str) -> None:
    if application.state == ApplicationState.PANEL:
        return
    if application.state == ApplicationState.WAITLISTED:
        if outcome == DecisionOutcome.WAITLISTED:
            raise ValidationError(_("This application is already on the waitlist."))
        return
    if hasattr(application, "decision") or application.state in (
        ApplicationState.APPROVED,
        ApplicationState.REJECTED,
    ):
        raise ValidationError(
            _("This application has already been decided: %(state)s. It cannot be decided twice.")
            % {"state": application.get_state_display()}
        )
    raise ValidationError(
        _("Only applications on the panel can be decided (this one is %(state)s).")
        % {"state": application.get_state_display()}
    )


def _clean_amounts(application: Application, amounts: dict[int, int]) -> dict[int, int]:
    requested = {r.resource_id for r in application.requests.all()}
    unknown = set(amounts) - requested
    if unknown:
        raise ValidationError(_("GPU-hours can only be granted on resources that were requested."))
    if any(hours < 0 for hours in amounts.values()):
        raise ValidationError(_("GPU-hours cannot be negative."))
    granted = {rid: hours for rid, hours in amounts.items() if hours > 0}
    if not granted:
        raise ValidationError(_("Grant GPU-hours on at least one resource to approve."))
    return granted


def _check_period(start_date: date | None, end_date: date | None) -> None:
    errors = {}
    if start_date is None:
        errors["start_date"] = _("Give the start date of the allocation.")
    if end_date is None:
        errors["end_date"] = _("Give the end date of the allocation.")
    elif start_date is not None and end_date <= start_date:
        errors["end_date"] = _("The end date must be after the start date.")
    if errors:
        raise ValidationError(errors)


def _approve(*, decision: Decision, application: Application, granted: dict[int, int]) -> list:
    DecisionLine.objects.bulk_create(
        DecisionLine(decision=decision, resource_id=rid, gpu_hours=hours)
        for rid, hours in sorted(granted.items())
    )
    return provisioning.create_allocations(decision=decision, application=application)


@transaction.atomic
def decide(
    *,
    actor,
    application_id: int,
    outcome: str,
    reason: str,
    now,
    amounts: dict[int, int] | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    override: bool = False,
    override_reason: str = "",
) -> Decision:
    """The panel's decision on an application in panel state (or on the waitlist).

    Approval beyond the remaining capacity of any resource needs `override` and an
    `override_reason`, both stored on the decision and in the audit event.
    """
    if not has_capability(actor, Capability.DECIDE):
        raise PermissionDenied
    call, application = provisioning.lock_call_and_application(application_id=application_id)
    if application is None or application.state == ApplicationState.DRAFT:
        raise Http404
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": _("Choose approve, waitlist or reject.")})
    _guard_decidable(application, outcome)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the decision.")})
    granted: dict[int, int] = {}
    shortfall: dict[int, int] = {}
    override_reason = override_reason.strip()
    if outcome == DecisionOutcome.APPROVED:
        granted = _clean_amounts(application, amounts or {})
        _check_period(start_date, end_date)
        shortfall = cap.shortfalls(
            amounts=granted, available=selectors.remaining_capacity(call=call)
        )
        if shortfall and not override:
            names = ", ".join(
                c.resource.name for c in call.capacities.all() if c.resource_id in shortfall
            )
            raise ValidationError(
                {
                    "override": _(
                        "This exceeds the remaining capacity of the call on %(resources)s. "
                        "Tick the override and give a reason to approve anyway."
                    )
                    % {"resources": names}
                }
            )
        if shortfall and not override_reason:
            raise ValidationError(
                {"override_reason": _("Say why the call's capacity may be exceeded.")}
            )
    decision = getattr(application, "decision", None) or Decision(application=application)
    from_state = application.state
    decision.outcome = outcome
    decision.reason = reason
    decision.start_date = start_date if outcome == DecisionOutcome.APPROVED else None
    decision.end_date = end_date if outcome == DecisionOutcome.APPROVED else None
    decision.over_capacity = bool(shortfall)
    decision.override_reason = override_reason if shortfall else ""
    decision.decided_by = actor
    decision.decided_at = now
    decision.save()
    allocations = []
    if outcome == DecisionOutcome.APPROVED:
        allocations = _approve(decision=decision, application=application, granted=granted)
    application.state = outcome
    application.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        verb="application.decided",
        target=application,
        from_state=from_state,
        to_state=outcome,
        data={
            "reason": reason,
            "gpu_hours": {str(rid): hours for rid, hours in granted.items()},
            "start_date": start_date.isoformat() if granted else None,
            "end_date": end_date.isoformat() if granted else None,
            "over_capacity": decision.over_capacity,
            "override_reason": decision.override_reason,
            "shortfall": {str(rid): hours for rid, hours in shortfall.items()},
            "accounts": [a.slurm_account for a in allocations],
        },
    )
    provisioning.schedule_letter(decision)
    return decision


def offer_freed_capacity(*, call: Call, now) -> list[Decision]:
    """Approve waitlisted applications, in panel order, whose proposal fits what is free.

    Runs inside the transaction of the service that freed capacity, which holds the
    call's lock. An application whose proposal does not fit is skipped, not split.
    """
    available = selectors.remaining_capacity(call=call)
    waitlist = selectors.ranked_rows(
        call=call,
        states=(ApplicationState.WAITLISTED,),
        capacity=selectors.capacity_of(call),
        committed={},
    )
    offers = []
    for row in waitlist:
        wanted = {rid: hours for rid, hours in row.proposed.items() if hours > 0}
        if not wanted or not cap.fits(amounts=wanted, available=available):
            continue
        offers.append(_offer(application_id=row.application_id, granted=wanted, now=now))
        for rid, hours in wanted.items():
            available[rid] -= hours
    return offers


def _offer(*, application_id: int, granted: dict[int, int], now) -> Decision:
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("project__organisation", "project__pi", "call", "decision")
        .get(pk=application_id)
    )
    decision = application.decision
    start, end = requested_period(application=application, today=timezone.localdate(now))
    decision.outcome = DecisionOutcome.APPROVED
    decision.reason = WAITLIST_OFFER_REASON
    decision.start_date, decision.end_date = start, end
    decision.over_capacity = False
    decision.override_reason = ""
    decision.decided_by = None
    decision.decided_at = now
    decision.save()
    allocations = _approve(decision=decision, application=application, granted=granted)
    application.state = ApplicationState.APPROVED
    application.save(update_fields=["state", "updated_at"])
    record(
        actor=None,
        verb="decision.offered_from_waitlist",
        target=application,
        from_state=ApplicationState.WAITLISTED,
        to_state=ApplicationState.APPROVED,
        data={
            "reason": WAITLIST_OFFER_REASON,
            "gpu_hours": {str(rid): hours for rid, hours in granted.items()},
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "accounts": [a.slurm_account for a in allocations],
        },
    )
    provisioning.schedule_letter(decision)
    return decision
