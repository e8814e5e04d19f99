"""Who may run jobs under an allocation's account: its members, kept in step with the
project's team and with people's cluster usernames.

- Joining the project team adds the person to the project's open allocations; leaving
  it removes them (receivers of the applications area's signals).
- The PI, a co-PI or a call manager may also take a member off one allocation, or put a
  team member back on it.
- A changed cluster username re-sends every open allocation the person is on.
Every change is pushed to the scheduler outbox in the same transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allocations.applications.models import ProjectMember, TeamRole
from allocations.awards import sync
from allocations.awards.models import OPEN_STATES, Allocation, AllocationMember
from allocations.core.audit import record
from allocations.core.permissions import Capability, has_capability
from allocations.scheduler.models import OperationReason

LEADING_ROLES = (TeamRole.PI, TeamRole.CO_PI)


def _lock_for_team_change(*, actor, allocation_id: int) -> Allocation:
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .filter(pk=allocation_id)
        .first()
    )
    if allocation is None:
        raise Http404
    if not has_capability(actor, Capability.DECIDE):
        role = (
            ProjectMember.objects.filter(project_id=allocation.project_id, user=actor)
            .values_list("role", flat=True)
            .first()
        )
        if role is None:
            raise Http404
        if role not in LEADING_ROLES:
            raise PermissionDenied
    if allocation.state not in OPEN_STATES:
        raise ValidationError(_("The members of a closed or expired allocation cannot change."))
    return allocation


@transaction.atomic
def add_allocation_member(*, actor, allocation_id: int, user_id: int) -> AllocationMember:
    """Put a member of the project's team on the allocation."""
    allocation = _lock_for_team_change(actor=actor, allocation_id=allocation_id)
    on_team = ProjectMember.objects.filter(project_id=allocation.project_id, user_id=user_id)
    if not on_team.exists():
        raise ValidationError(_("Only members of the project's team can use its allocations."))
    active = AllocationMember.objects.filter(
        allocation=allocation, user_id=user_id, removed_at__isnull=True
    )
    if active.exists():
        raise ValidationError(_("This person is already a member of the allocation."))
    member = AllocationMember.objects.create(allocation=allocation, user_id=user_id)
    sync.push(allocation=allocation, reason=OperationReason.MEMBER_ADDED)
    record(
        actor=actor,
        verb="allocation.member_added",
        target=allocation,
        data={"user_id": user_id},
    )
    return member


@transaction.atomic
def remove_allocation_member(*, actor, allocation_id: int, member_id: int, now) -> None:
    """Take a member off the allocation: their user association goes from the cluster."""
    allocation = _lock_for_team_change(actor=actor, allocation_id=allocation_id)
    member = AllocationMember.objects.filter(
        allocation=allocation, pk=member_id, removed_at__isnull=True
    ).first()
    if member is None:
        raise ValidationError(_("This person is not a member of the allocation any more."))
    member.removed_at = now
    member.save(update_fields=["removed_at"])
    sync.push(allocation=allocation, reason=OperationReason.MEMBER_REMOVED)
    record(
        actor=actor,
        verb="allocation.member_removed",
        target=allocation,
        data={"user_id": member.user_id},
    )


def _open_allocations(**filters) -> list[Allocation]:
    return list(
        Allocation.objects.select_for_update(of=("self",))
        .select_related("resource", "project", "application")
        .filter(state__in=OPEN_STATES, **filters)
        .order_by("pk")
    )


def follow_team_join(*, project_id: int, user_id: int, actor) -> None:
    """A new team member joins every open allocation of the project."""
    for allocation in _open_allocations(project_id=project_id):
        _, created = AllocationMember.objects.get_or_create(
            allocation=allocation, user_id=user_id, removed_at__isnull=True
        )
        if created:
            sync.push(allocation=allocation, reason=OperationReason.MEMBER_ADDED)
            record(
                actor=actor,
                verb="allocation.member_added",
                target=allocation,
                data={"user_id": user_id, "via": "project team"},
            )


def follow_team_leave(*, project_id: int, user_id: int, actor) -> None:
    """Someone who left the team leaves every open allocation of the project."""
    now = timezone.now()
    for allocation in _open_allocations(project_id=project_id):
        removed = AllocationMember.objects.filter(
            allocation=allocation, user_id=user_id, removed_at__isnull=True
        ).update(removed_at=now)
        if removed:
            sync.push(allocation=allocation, reason=OperationReason.MEMBER_REMOVED)
            record(
                actor=actor,
                verb="allocation.member_removed",
                target=allocation,
                data={"user_id": user_id, "via": "project team"},
            )


def follow_username_change(*, user_id: int) -> None:
    """Re-send the allocations the person is on, so the cluster gets the new name."""
    for allocation in _open_allocations(members__user_id=user_id, members__removed_at__isnull=True):
        sync.push(allocation=allocation, reason=OperationReason.USERNAME_CHANGED)
