"""An allocation's life on the cluster after activation: suspension, resumption, expiry.

Each change is pushed to the scheduler outbox in the same transaction (awards.sync).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.awards import provisioning, sync
from allocations.awards.models import Allocation, AllocationState
from allocations.core.audit import record
from allocations.core.permissions import Capability, require
from allocations.scheduler.models import OperationReason


def _lock(allocation_id: int) -> Allocation:
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .filter(pk=allocation_id)
        .first()
    )
    if allocation is None:
        raise ValidationError(_("This allocation does not exist."))
    return allocation


def _notify(allocation: Allocation, template: str, reason: str) -> None:
    context = {**provisioning.allocation_context(allocation), "reason": reason}
    provisioning.notify_team(
        project_id=allocation.project_id, template=template, context=context, url=context["path"]
    )


@transaction.atomic
def suspend_allocation(*, actor, allocation_id: int, reason: str) -> Allocation:
    """Active → suspended: GPU limit 0 on the cluster, members kept, account kept."""
    require(actor, Capability.DECIDE)
    allocation = _lock(allocation_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for suspending the allocation.")})
    if allocation.state != AllocationState.ACTIVE:
        raise ValidationError(
            _("Only an active allocation can be suspended (this one is %(state)s).")
            % {"state": allocation.get_state_display()}
        )
    allocation.state = AllocationState.SUSPENDED
    allocation.save(update_fields=["state"])
    sync.push(allocation=allocation, reason=OperationReason.SUSPENSION)
    record(
        actor=actor,
        verb="allocation.suspended",
        target=allocation,
        from_state=AllocationState.ACTIVE,
        to_state=AllocationState.SUSPENDED,
        data={"reason": reason},
    )
    _notify(allocation, "awards_allocation_suspended", reason)
    return allocation


@transaction.atomic
def resume_allocation(*, actor, allocation_id: int, now) -> Allocation:
    """Suspended → active (or expired, if its period ended meanwhile)."""
    require(actor, Capability.DECIDE)
    allocation = _lock(allocation_id)
    if allocation.state != AllocationState.SUSPENDED:
        raise ValidationError(_("Only a suspended allocation can be resumed."))
    ended = timezone.localdate(now) >= allocation.end_date
    allocation.state = AllocationState.EXPIRED if ended else AllocationState.ACTIVE
    allocation.save(update_fields=["state"])
    sync.push(
        allocation=allocation,
        reason=OperationReason.EXPIRY if ended else OperationReason.RESUMPTION,
    )
    record(
        actor=actor,
        verb="allocation.resumed",
        target=allocation,
        from_state=AllocationState.SUSPENDED,
        to_state=allocation.state,
    )
    if not ended:
        _notify(allocation, "awards_allocation_resumed", "")
    return allocation


def expire_allocations(*, now) -> int:
    """Every running or suspended allocation whose period has ended becomes expired.

    Periods are half-open: an allocation ending on 1 March may be used until the end of
    28 February. Safe to run repeatedly (beat, hourly).
    """
    today = timezone.localdate(now)
    ids = list(
        Allocation.objects.filter(
            state__in=(AllocationState.ACTIVE, AllocationState.SUSPENDED), end_date__lte=today
        ).values_list("pk", flat=True)
    )
    return sum(_expire_one(allocation_id=pk, today=today) for pk in ids)


@transaction.atomic
def _expire_one(*, allocation_id: int, today) -> int:
    allocation = _lock(allocation_id)
    if allocation.state not in (AllocationState.ACTIVE, AllocationState.SUSPENDED):
        return 0
    if allocation.end_date > today:
        return 0
    from_state = allocation.state
    allocation.state = AllocationState.EXPIRED
    allocation.save(update_fields=["state"])
    sync.push(allocation=allocation, reason=OperationReason.EXPIRY)
    record(
        actor=None,
        verb="allocation.expired",
        target=allocation,
        from_state=from_state,
        to_state=AllocationState.EXPIRED,
        data={"end_date": allocation.end_date.isoformat()},
    )
    _notify(allocation, "awards_allocation_expired", "")
    return 1
