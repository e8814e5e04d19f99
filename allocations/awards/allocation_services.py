"""What happens to an allocation after the decision: activation once the scheduler has
provisioned it, the PI declining it before it starts, the call manager closing it early."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import ProjectMember, TeamRole
from allocations.awards import provisioning
from allocations.awards.decision_services import offer_freed_capacity
from allocations.awards.models import (
    OPEN_STATES,
    Allocation,
    AllocationState,
    ChangeRequestState,
)
from allocations.calls.models import Call
from allocations.core.audit import record
from allocations.core.permissions import Capability, require


def lock_call_and_allocation(*, allocation_id: int) -> tuple[Call, Allocation]:
    """Call first, then the allocation: the lock order every awards service keeps."""
    call_id = (
        Allocation.objects.filter(pk=allocation_id)
        .values_list("application__call_id", flat=True)
        .first()
    )
    if call_id is None:
        raise Http404
    call = Call.objects.select_for_update().get(pk=call_id)
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .get(pk=allocation_id)
    )
    return call, allocation


@transaction.atomic
def activate_allocation(*, allocation_id: int, now) -> Allocation | None:
    """Pending → active once the scheduler has the account; repeated calls do nothing."""
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .filter(pk=allocation_id)
        .first()
    )
    if allocation is None or allocation.state != AllocationState.PENDING:
        return allocation
    allocation.state = AllocationState.ACTIVE
    allocation.save(update_fields=["state"])
    record(
        actor=None,
        verb="allocation.activated",
        target=allocation,
        from_state=AllocationState.PENDING,
        to_state=AllocationState.ACTIVE,
        data={"account": allocation.slurm_account, "reason": "scheduler account provisioned"},
    )
    context = provisioning.allocation_context(allocation)
    provisioning.notify_team(
        project_id=allocation.project_id,
        template="awards_allocation_ready",
        context=context,
        url=context["path"],
    )
    return allocation


def _release(*, call: Call, allocation: Allocation, hours: int, reason: str, now) -> None:
    """Close the allocation, give `hours` back to the call and offer them to the waitlist."""
    allocation.state = AllocationState.CLOSED
    allocation.released_gpu_hours = hours
    allocation.close_reason = reason
    allocation.save(update_fields=["state", "released_gpu_hours", "close_reason"])
    provisioning.lock_account(allocation=allocation)
    # Nothing can be granted on a closed allocation: open requests end with it.
    allocation.change_requests.filter(state=ChangeRequestState.SUBMITTED).update(
        state=ChangeRequestState.REJECTED, decided_at=now, decision_reason=reason
    )
    context = provisioning.allocation_context(allocation)
    context["reason"] = reason
    provisioning.notify_team(
        project_id=allocation.project_id,
        template="awards_allocation_closed",
        context=context,
        url=context["path"],
    )


@transaction.atomic
def decline_allocation(*, actor, allocation_id: int, reason: str, now) -> Allocation:
    """The PI gives an awarded allocation back before it starts; its hours go to the waitlist."""
    call, allocation = lock_call_and_allocation(allocation_id=allocation_id)
    role = (
        ProjectMember.objects.filter(project_id=allocation.project_id, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Http404
    if role != TeamRole.PI:
        raise PermissionDenied
    if allocation.state not in OPEN_STATES:
        raise ValidationError(_("This allocation is already closed."))
    if timezone.localdate(now) >= allocation.start_date:
        raise ValidationError(
            _("The allocation has started; ask the centre to close it instead of declining it.")
        )
    from_state = allocation.state
    reason = reason.strip()
    _release(call=call, allocation=allocation, hours=allocation.gpu_hours, reason=reason, now=now)
    offers = offer_freed_capacity(call=call, now=now)
    record(
        actor=actor,
        verb="allocation.declined",
        target=allocation,
        from_state=from_state,
        to_state=allocation.state,
        data={
            "reason": reason,
            "released_gpu_hours": allocation.gpu_hours,
            "offered_to": [d.application_id for d in offers],
        },
    )
    return allocation


@transaction.atomic
def close_allocation(
    *, actor, allocation_id: int, reason: str, used_gpu_hours: int, now
) -> Allocation:
    """The call manager ends an allocation early; the unused hours go to the waitlist."""
    require(actor, Capability.DECIDE)
    call, allocation = lock_call_and_allocation(allocation_id=allocation_id)
    if allocation.state not in OPEN_STATES:
        raise ValidationError(_("This allocation is already closed."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for closing the allocation early.")})
    if not 0 <= used_gpu_hours <= allocation.gpu_hours:
        raise ValidationError(
            {
                "used_gpu_hours": _("Between 0 and the %(hours)s GPU-hours granted.")
                % {"hours": allocation.gpu_hours}
            }
        )
    from_state = allocation.state
    unused = allocation.gpu_hours - used_gpu_hours
    _release(call=call, allocation=allocation, hours=unused, reason=reason, now=now)
    offers = offer_freed_capacity(call=call, now=now) if unused else []
    record(
        actor=actor,
        verb="allocation.closed",
        target=allocation,
        from_state=from_state,
        to_state=allocation.state,
        data={
            "reason": reason,
            "used_gpu_hours": used_gpu_hours,
            "released_gpu_hours": unused,
            "offered_to": [d.application_id for d in offers],
        },
    )
    return allocation
