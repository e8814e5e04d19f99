"""Extensions and supplements of an allocation, decided like small applications.

The PI or a co-PI asks (one open request per kind) or withdraws; a call manager approves
within the call's remaining capacity (or with a recorded override) or rejects. Approving
locks the call, then the allocation, and pushes the new GPU limit to the scheduler outbox.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import ProjectMember
from allocations.awards import provisioning, sync
from allocations.awards.allocation_services import lock_call_and_allocation
from allocations.awards.member_services import LEADING_ROLES
from allocations.awards.models import (
    Allocation,
    AllocationState,
    ChangeKind,
    ChangeRequest,
    ChangeRequestState,
)
from allocations.awards.panel_selectors import remaining_capacity
from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability, require
from allocations.scheduler.models import OperationReason


def _lock_for_team(*, actor, allocation_id: int) -> Allocation:
    """The allocation, locked, for its PI or a co-PI: 404 for outsiders, 403 for others."""
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .filter(pk=allocation_id)
        .first()
    )
    if allocation is None:
        raise Http404
    role = (
        ProjectMember.objects.filter(project_id=allocation.project_id, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None and not has_capability(actor, Capability.VIEW_APPLICATIONS):
        raise Http404
    if role not in LEADING_ROLES:
        raise PermissionDenied
    return allocation


def _check_change(allocation: Allocation, *, kind: str, hours: int, end_date, field: str):
    """Amounts a request asks for or a decision grants (`field`: "requested", "granted")."""
    if allocation.state == AllocationState.CLOSED:
        raise ValidationError(_("This allocation is closed; it can no longer be changed."))
    if hours < 0:
        raise ValidationError({f"{field}_gpu_hours": _("GPU-hours cannot be negative.")})
    if kind == ChangeKind.SUPPLEMENT and hours == 0:
        raise ValidationError(
            {f"{field}_gpu_hours": _("A supplement needs at least one GPU-hour.")}
        )
    if kind == ChangeKind.EXTENSION and (end_date is None or end_date <= allocation.end_date):
        raise ValidationError(
            {
                f"{field}_end_date": _("Give a new end date after the current one, %(end)s.")
                % {"end": date_format(allocation.end_date)}
            }
        )


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _notify(allocation: Allocation, change: ChangeRequest, template: str) -> None:
    context = {
        **provisioning.allocation_context(allocation),
        "kind": change.kind,
        "state": change.state,
        "requested_gpu_hours": change.requested_gpu_hours,
        "requested_end_date": _iso(change.requested_end_date),
        "granted_gpu_hours": change.granted_gpu_hours or 0,
        "granted_end_date": _iso(change.granted_end_date),
        "reason": change.decision_reason,
    }
    provisioning.notify_team(
        project_id=allocation.project_id, template=template, context=context, url=context["path"]
    )


@transaction.atomic
def request_change(
    *,
    actor,
    allocation_id: int,
    kind: str,
    justification: str,
    now,
    requested_end_date: date | None = None,
    requested_gpu_hours: int = 0,
) -> ChangeRequest:
    """The PI or a co-PI asks for a later end date (extension) or more GPU-hours (supplement)."""
    allocation = _lock_for_team(actor=actor, allocation_id=allocation_id)
    hours = requested_gpu_hours or 0
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": _("Choose an extension or a supplement.")})
    end_date = requested_end_date if kind == ChangeKind.EXTENSION else None
    _check_change(allocation, kind=kind, hours=hours, end_date=end_date, field="requested")
    if end_date and end_date <= timezone.localdate(now):
        raise ValidationError({"requested_end_date": _("The new end date must be in the future.")})
    justification = justification.strip()
    if not justification:
        raise ValidationError({"justification": _("Say why the allocation needs this change.")})
    try:
        with transaction.atomic():
            change = ChangeRequest.objects.create(
                allocation=allocation,
                kind=kind,
                requested_gpu_hours=hours,
                requested_end_date=end_date,
                justification=justification,
                requested_by=actor,
                requested_at=now,
            )
    except IntegrityError as clash:  # change_request_one_open_per_kind
        raise ValidationError(
            _(
                "This allocation already has an open request of this kind (%(kind)s). "
                "Withdraw it or wait for its decision before asking again."
            )
            % {"kind": ChangeKind(kind).label}
        ) from clash
    record(
        actor=actor,
        verb="allocation.change_requested",
        target=allocation,
        data={
            "change_id": change.pk,
            "kind": kind,
            "requested_gpu_hours": hours,
            "requested_end_date": _iso(change.requested_end_date),
        },
    )
    _notify(allocation, change, "awards_change_submitted")
    return change


@transaction.atomic
def withdraw_change(*, actor, allocation_id: int, change_id: int, now) -> ChangeRequest:
    """The PI or a co-PI takes back an open request of the allocation."""
    allocation = _lock_for_team(actor=actor, allocation_id=allocation_id)
    change = (
        ChangeRequest.objects.select_for_update()
        .filter(pk=change_id, allocation=allocation)
        .first()
    )
    if change is None:
        raise Http404
    if change.state != ChangeRequestState.SUBMITTED:
        raise ValidationError(
            _("Only an open request can be withdrawn (this one is: %(state)s).")
            % {"state": change.get_state_display()}
        )
    change.state, change.decided_by, change.decided_at = ChangeRequestState.WITHDRAWN, actor, now
    change.save(update_fields=["state", "decided_by", "decided_at"])
    record(
        actor=actor,
        verb="allocation.change_withdrawn",
        target=allocation,
        data={"change_id": change.pk, "kind": change.kind},
    )
    return change


def _lock_for_decision(change_id: int) -> tuple:
    allocation_id = (
        ChangeRequest.objects.filter(pk=change_id).values_list("allocation_id", flat=True).first()
    )
    if allocation_id is None:
        raise Http404
    call, allocation = lock_call_and_allocation(allocation_id=allocation_id)
    change = ChangeRequest.objects.select_for_update().get(pk=change_id)
    if change.state != ChangeRequestState.SUBMITTED:
        raise ValidationError(
            _("This request is no longer open (%(state)s); it cannot be decided again.")
            % {"state": change.get_state_display()}
        )
    return call, allocation, change


def _check_capacity(call, allocation, *, hours: int, override: bool, override_reason: str):
    """What the call has left on the resource (None: nothing granted); True if it is exceeded."""
    if hours == 0:
        return None, False
    left = remaining_capacity(call=call).get(allocation.resource_id, 0)
    if hours <= left:
        return left, False
    if not override:
        raise ValidationError(
            {
                "override": _(
                    "Only %(left)s GPU-hours remain in the call on %(resource)s. Grant fewer, "
                    "or tick the override and give a reason to approve anyway."
                )
                % {"left": max(left, 0), "resource": allocation.resource.name}
            }
        )
    if not override_reason:
        raise ValidationError(
            {"override_reason": _("Say why the call's capacity may be exceeded.")}
        )
    return left, True


def _approve(call, allocation, change, *, hours, end_date, override, override_reason, now):
    """Grant the hours (and date; by default what was asked for); the audit data."""
    hours = change.requested_gpu_hours if hours is None else hours
    is_extension = change.kind == ChangeKind.EXTENSION
    end_date = (end_date or change.requested_end_date) if is_extension else None
    _check_change(allocation, kind=change.kind, hours=hours, end_date=end_date, field="granted")
    left, over = _check_capacity(
        call, allocation, hours=hours, override=override, override_reason=override_reason
    )
    allocation.gpu_hours += hours
    if is_extension:
        allocation.end_date = end_date
        if allocation.state == AllocationState.EXPIRED and end_date > timezone.localdate(now):
            allocation.state = AllocationState.ACTIVE
    allocation.save(update_fields=["gpu_hours", "end_date", "state"])
    # The scheduler's reasons "extension" and "supplement" are the kinds' values.
    sync.push(allocation=allocation, reason=OperationReason(change.kind))
    change.granted_gpu_hours, change.granted_end_date = hours, end_date
    return {
        "granted_gpu_hours": hours,
        "granted_end_date": _iso(end_date),
        "gpu_hours": allocation.gpu_hours,
        "end_date": allocation.end_date.isoformat(),
        "remaining_gpu_hours": left,
        "over_capacity": over,
        "override_reason": override_reason if over else "",
    }


@transaction.atomic
def decide_change(
    *,
    actor,
    change_id: int,
    outcome: str,
    reason: str,
    now,
    granted_gpu_hours: int | None = None,
    granted_end_date: date | None = None,
    override: bool = False,
    override_reason: str = "",
) -> ChangeRequest:
    """A call manager approves or rejects an open request. Hours beyond the call's
    remaining capacity need `override` and an `override_reason` (stored with the reason)."""
    require(actor, Capability.DECIDE)
    if outcome not in (ChangeRequestState.APPROVED, ChangeRequestState.REJECTED):
        raise ValidationError({"outcome": _("Choose approve or reject.")})
    call, allocation, change = _lock_for_decision(change_id)
    reason, override_reason = reason.strip(), override_reason.strip()
    from_state = allocation.state
    data = {"change_id": change.pk, "kind": change.kind, "reason": reason}
    if outcome == ChangeRequestState.REJECTED and not reason:
        raise ValidationError({"reason": _("Give the reason for rejecting the request.")})
    if outcome == ChangeRequestState.APPROVED:
        data |= _approve(
            call,
            allocation,
            change,
            hours=granted_gpu_hours,
            end_date=granted_end_date,
            override=override,
            override_reason=override_reason,
            now=now,
        )
        if data["over_capacity"]:
            label = gettext("Beyond the call's capacity")
            reason = f"{reason}\n\n{label}: {override_reason}" if reason else override_reason
    change.state = outcome
    change.decided_by, change.decided_at, change.decision_reason = actor, now, reason
    change.save()
    record(
        actor=actor,
        verb=f"allocation.change_{outcome}",
        target=allocation,
        from_state=from_state,
        to_state=allocation.state,
        data=data,
    )
    _notify(allocation, change, "awards_change_decided")
    return change
